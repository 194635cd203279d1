"""Fetch-side parsing and caching at full scale, then a re-read from the cache.

Generates a full-size synthetic year (about 1.5 million rows per flow, in the official layout), then
measures in child processes, so that peak memory (ru_maxrss) is that of the stage alone (the
modules are imported before the clock starts):
  - ingest: both flows of a year from the zips to the Parquet cache (`fiches fetch --from-file`);
  - read:   the year back from the cache, as a build does.
Prints medians over --repeat runs. Goals: <= 5 s ingest, <= 0.5 s read, <= 1.5 GB peak.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from fiches.config import Settings
stage, data_dir, files = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
from fiches.sources import ingest  # imports (about 0.3 s for pandas and pyarrow) are not timed
from fiches.sources.store import load_manifest, read_year
settings = Settings(data_dir=data_dir)
started = time.perf_counter()
if stage == "ingest":
    ingest.fetch(settings, year=2024, files=[Path(f) for f in files])
else:
    rows = len(read_year(load_manifest(settings.data_dir), 2024, is_sample=False).table)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(stage: str, data_dir: Path, files: list[Path]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, stage, str(data_dir), *map(str, files)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=4000, help="product-country pairs per département and flow")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from fiches.sources.sample import write_archive

    with tempfile.TemporaryDirectory(prefix="fiches-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        files = [write_archive(root / f"full-2024-{f}.zip", 2024, f, pairs=args.pairs) for f in ("E", "I")]
        print(f"generated {sum(p.stat().st_size for p in files) / 1e6:.0f} MB of zips in {time.perf_counter() - started:.1f} s")
        import zipfile

        rows = sum(sum(1 for _ in zipfile.ZipFile(f).open(n)) for f in files for n in zipfile.ZipFile(f).namelist() if "Region_" in n)
        print(f"{rows} data rows ({rows // 2} per flow on average)")
        results: dict[str, list[dict]] = {"ingest": [], "read": []}
        for _ in range(args.repeat):
            data_dir = root / "data"
            shutil.rmtree(data_dir, ignore_errors=True)
            results["ingest"].append(run("ingest", data_dir, files))
            results["read"].append(run("read", data_dir, []))
        for stage, goal in (("ingest", 5.0), ("read", 0.5)):
            seconds = statistics.median(r["seconds"] for r in results[stage])
            peak = max(r["peak_mb"] for r in results[stage])
            print(f"{stage:6s} median {seconds:6.2f} s (goal {goal} s)   peak {peak:6.0f} MB (goal 1536 MB)")


if __name__ == "__main__":
    main()

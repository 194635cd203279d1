"""The floor of bench_build.py: WeasyPrint alone renders kept HTML files, in N processes.

Usage: python benchmarks/weasyprint_floor.py JOBS PAGE.html...
Each page is rendered with the options fiches uses (PDF/UA-1, custom metadata) next to itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
from pathlib import Path


def render(path: str) -> int:
    import weasyprint

    target = Path(path).with_suffix(".floor.pdf")
    weasyprint.HTML(filename=path).write_pdf(target, pdf_variant="pdf/ua-1", custom_metadata=True)
    return target.stat().st_size


def main() -> None:
    jobs, pages = int(sys.argv[1]), sys.argv[2:]
    with cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        sizes = list(pool.map(render, pages, chunksize=1))
    print(len(sizes), sum(sizes))


if __name__ == "__main__":
    main()

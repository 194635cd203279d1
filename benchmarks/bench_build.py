"""Every département from cached data, against the floor of WeasyPrint alone on the same HTML.

Each round, on the same machine:
  - build:  `fiches build --all --force --keep-html --jobs N` in a fresh process, timed from launch
            to exit;
  - floor:  WeasyPrint alone renders the kept final HTML files (`<out>/<year>/_html/*/index.html`)
            with the same PDF options, in N fresh processes, timed the same way;
  - again:  the same build command without --force: everything is up to date and skipped.
Odd rounds run the build first, even rounds the floor first (on the previous round's HTML, which
the build then writes again identically): a shared machine's speed drifts over minutes, and the
alternation keeps that drift from always favouring the same side of the ratio.
Then one more build, untimed, for the peak memory of its whole process tree (workers and browsers
included: the sum of their proportional set sizes, sampled every 100 ms), and one département from
a cold process (`fiches build 12 --force`), --repeat times.

Prints medians over --rounds, and the ratio build / floor of each round, their median and the
ratio of the medians; and the same ratio in CPU time, which the machine's other tenants disturb
less than wall time (their share shows as steal time, printed too).
Goals on a 2-core machine: all départements <= 60 s and <= 1.3 x the floor, one département
<= 6 s, peak memory <= 2 GB.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

FLOOR = Path(__file__).with_name("weasyprint_floor.py")


def _memory(process: psutil.Process) -> int:
    """Proportional set size: shared pages (Chromium's many processes, libraries) counted once overall."""
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # CPU seconds the whole machine spent meanwhile: the command's processes, and a little noise
    steal: float  # seconds the hypervisor gave this machine's CPUs to others meanwhile
    peak: float  # MB, with `memory`
    log: str = ""  # the command's standard error: fiches logs one line per factsheet there


#: A factsheet that took longer than this in a parallel build is named in the round's line (a
#: stalled browser shows there, and in the WARNING lines printed with it).
SLOW_FACTSHEET = 10.0
_BUILT = re.compile(r"^INFO (?:built|construite) (\S+) \(([\d.]+) s\)$", re.M)


def anomalies(log: str) -> str:
    """What a build's log says went wrong or slow: its warnings and its slowest factsheet, if slow."""
    notes = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    durations = [(float(seconds), code) for code, seconds in _BUILT.findall(log)]
    if durations and max(durations)[0] > SLOW_FACTSHEET:
        seconds, code = max(durations)
        notes.append(f"slowest factsheet: {code} in {seconds:.1f} s")
    return "".join(f"\n    ! {note}" for note in notes)


def _cpu_times() -> tuple[float, float]:
    """(busy, steal) seconds of all CPUs since boot, from /proc/stat (zeros where it is missing)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


def timed(command: list[str], env: dict[str, str], memory: bool = False) -> Run:
    """Wall and CPU seconds and, with `memory`, peak memory (MB, sum of PSS) of a command and all its descendants.

    CPU time is read machine-wide, so that it includes processes that ended before the command did
    (Chromium's); on a machine doing nothing else it is the command's. Unlike wall time, it does not
    grow when the hypervisor lends the CPUs to other machines (steal time, reported beside it).

    Sampling is not free: reading the proportional set size of the 25 processes of a build (workers
    and their browsers) costs about 60 ms of CPU per sample, a third of a core at 10 samples a second.
    Times are therefore measured without it, and memory in a run of its own.
    """
    busy_before, steal_before = _cpu_times()
    started = time.perf_counter()
    process = psutil.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    stop = threading.Event()
    if not memory:
        stop.set()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                total = 0
                for member in tree:
                    try:
                        total += _memory(member)
                    except psutil.Error:
                        pass
                peak = max(peak, total / 2**20)
            except psutil.Error:
                pass
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - started
    busy_after, steal_after = _cpu_times()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.decode()[-2000:]}")
    return Run(elapsed, busy_after - busy_before, steal_after - steal_before, peak, err.decode(errors="replace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="cold single-département builds")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default: the project's)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    if args.data_dir:
        env["FICHES_DATA_DIR"] = str(args.data_dir)
    fiches = [sys.executable, "-m", "fiches"]
    print(f"interpreter          {platform.python_implementation()} {platform.python_version()}, {os.path.realpath(sys.executable)}", flush=True)
    # Make sure the sample is generated and cached before anything is timed.
    with tempfile.TemporaryDirectory(prefix="fiches-bench-") as tmp:
        subprocess.run([*fiches, "build", "12", "--source", "sample", "--out", tmp], env=env, check=True, capture_output=True)

    builds: list[Run] = []
    floors: list[Run] = []
    agains: list[float] = []
    with tempfile.TemporaryDirectory(prefix="fiches-bench-") as tmp:
        out = Path(tmp) / "out"
        command = [*fiches, "build", "--all", "--source", "sample", "--out", str(out), "--jobs", str(args.jobs)]

        def floor_run() -> Run:
            pages = sorted(str(p) for p in out.glob("*/_html/*/index.html"))
            return timed([sys.executable, str(FLOOR), str(args.jobs), *pages], env)

        for round_ in range(1, args.rounds + 1):
            if round_ % 2:
                build = timed([*command, "--force", "--keep-html"], env)
                floor = floor_run()
            else:
                floor = floor_run()
                build = timed([*command, "--force", "--keep-html"], env)
            pages = sorted(out.glob("*/_html/*/index.html"))
            again = timed(command, env).wall
            pdfs = len(list(out.glob("*/departements/*.pdf")))
            builds.append(build), floors.append(floor), agains.append(again)
            print(
                f"round {round_}: build {build.wall:6.1f} s ({pdfs} PDFs; CPU {build.cpu:5.1f} s, steal {build.steal:4.1f} s)   "
                f"WeasyPrint alone {floor.wall:6.1f} s ({len(pages)} pages; CPU {floor.cpu:5.1f} s, steal {floor.steal:4.1f} s)   "
                f"ratio {build.wall / floor.wall:4.2f}, in CPU {build.cpu / floor.cpu:4.2f}   "
                f"second run {again:4.1f} s   ({'build' if round_ % 2 else 'floor'} first){anomalies(build.log)}",
                flush=True,
            )
        peak = timed([*command, "--force"], env, memory=True).peak
        print(f"memory run: peak {peak:5.0f} MB", flush=True)
        singles = []
        for _ in range(args.repeat):
            singles.append(timed([*fiches, "build", "12", "--source", "sample", "--force", "--out", str(Path(tmp) / "one")], env).wall)

    def median(values) -> float:
        return statistics.median(list(values))

    def listed(values) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    ratios = [b.wall / f.wall for b, f in zip(builds, floors)]
    cpu_ratios = [b.cpu / f.cpu for b, f in zip(builds, floors)]
    build, floor = median(b.wall for b in builds), median(f.wall for f in floors)
    print()
    print(f"all départements     median {build:6.1f} s   (goal <= 60 s, {args.jobs} jobs)")
    print(f"WeasyPrint alone     median {floor:6.1f} s")
    print(f"ratio                {median(ratios):6.2f}     (median of the rounds: {listed(ratios)}; of the medians {build / floor:.2f}; goal <= 1.3)")
    print(f"ratio in CPU time    {median(cpu_ratios):6.2f}     (rounds: {listed(cpu_ratios)}; steal time, build: {listed(b.steal for b in builds)} s, "
          f"floor: {listed(f.steal for f in floors)} s)")
    print(f"second run           median {median(agains):6.1f} s")
    print(f"one département cold median {median(singles):6.1f} s   (goal <= 6 s; runs {', '.join(f'{s:.1f}' for s in singles)})")
    print(f"peak memory          max    {peak:6.0f} MB  (goal <= 2048 MB)")


if __name__ == "__main__":
    main()

"""benchmarks/bench_build.py reads each timed build's log: what it flags in a round's line."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_build.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_build", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _line(level: int, message: str, *args) -> str:
    """A log line as `fiches build` writes it when its output is not a terminal (cli.py)."""
    record = logging.LogRecord("fiches", level, __file__, 0, message, args, None)
    return logging.Formatter("%(levelname)s %(message)s").format(record)


def test_a_quiet_build_has_nothing_to_report():
    bench = _bench()
    log = "\n".join(_line(logging.INFO, "%s %s (%.1f s)%s", "built", code, 1.2, "") for code in ("12", "2A", "974"))
    assert bench.anomalies(log) == ""


def test_warnings_and_a_stalled_factsheet_are_named():
    bench = _bench()
    log = "\n".join([
        _line(logging.INFO, "%s %s (%.1f s)%s", "built", "12", 1.2, ""),
        _line(logging.WARNING, "Chromium ne répond plus (%s) : redémarrage", "TimeoutError"),
        _line(logging.INFO, "%s %s (%.1f s)%s", "built", "2A", 93.4, ""),
        _line(logging.INFO, "%s %s (%.1f s)%s", "built", "974", 11.0, ""),
    ])
    notes = bench.anomalies(log)
    assert "WARNING Chromium ne répond plus (TimeoutError) : redémarrage" in notes
    assert "slowest factsheet: 2A in 93.4 s" in notes and "974" not in notes

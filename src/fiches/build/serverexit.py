"""Imported by the fork server only (pool.WORKER_MODULES), so that it leaves as soon as the command has.

The server holds every module of the workers (pandas, matplotlib, WeasyPrint...); tearing its
interpreter down took 0.4 s after the command had ended, during which it kept the command's
output open: a CI log or anything reading the command's output to its end waited that long. It has
nothing to save or clean up then (its workers are gone, the command removes its socket folder),
so it exits at once. The workers forked from it leave through os._exit and never run this.
"""

from __future__ import annotations

import atexit
import os
import sys


def _leave_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)


atexit.register(_leave_now)  # registered last, so run first

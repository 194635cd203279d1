"""Worker processes of a batch build, forked from a fork server that imported their modules once.

The server is a fresh process (not a fork of the command's, which may run threads: the progress
display, a browser's event loop), so workers start clean; forking them from it instead of
spawning each one spares every worker its two seconds of imports. It is cheap to start before
knowing whether anything needs building: its imports run on another core while the command
reads the data, and it exits with the command.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context

#: Imported once by the fork server, then shared by every worker forked from it.
#: kaleido is imported by a worker only when it starts its browser: preloaded, it costs none of them.
#: fiches.build.serverstart, first, keeps a Ctrl-C from interrupting the imports; fiches.build.serverexit,
#: last, makes the server itself exit at once when the command has.
WORKER_MODULES = ["fiches.build.serverstart", "fiches.build.worker", "weasyprint", "kaleido", "fiches.build.serverexit"]  # fiches.build.worker brings render, charts, pandas…


def context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(WORKER_MODULES)
        return forkserver
    return multiprocessing.get_context("spawn")


def start_server() -> None:
    """Start the fork server now, without waiting for its imports."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()

"""Imported by the fork server first (pool.WORKER_MODULES), so that a Ctrl-C does not stop its imports.

A terminal's Ctrl-C reaches the whole process group. The server ignores it once its imports are
done, but not during them: it would then print a KeyboardInterrupt traceback of its own under the
command's one line. The command stops the build; the server leaves with it. Its workers inherit
this and ignore Ctrl-C as well, as they must (build.worker.init).
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)

"""Errors a user can cause. The CLI prints them as one line and exits non-zero; bugs still raise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class FichesError(Exception):
    """Base class for errors caused by input, network or environment, not by a bug."""

    exit_code = 1


class FetchError(FichesError):
    """A download or an archive was refused. Nothing in the data folder changed."""

    exit_code = 3


class DataError(FichesError):
    """Customs files that are not in the expected layout, or data that is missing."""

    exit_code = 4


class UsageError(FichesError):
    """A bad argument: unknown code, year not in the data..."""

    exit_code = 2


class RenderError(FichesError):
    """A factsheet could not be written (disk full, Chromium missing...)."""

    exit_code = 5


class SetupError(FichesError):
    """The environment lacks something a build needs (what `fiches doctor` reports)."""

    exit_code = 6


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, raised where the command is, so that what it was writing is cleaned up on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: The signals this process received (its command installs `on_signal`).
_received: list[int] = []


def on_signal(signum: int, frame: object) -> None:
    """A signal handler: remember the interruption, then raise it where the command is."""
    _received.append(signum)
    raise Interrupted(signum)


def quiet_unraisable(default: Callable[[Any], None]) -> Callable[[Any], None]:
    """A sys.unraisablehook that keeps silent on an interruption raised where Python can only drop it
    (a weakref callback, a finalizer): it is recorded, and raise_if_interrupted raises it again."""

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, Interrupted):
            default(unraisable)

    return hook


def raise_if_interrupted() -> None:
    """Raise again an interruption that a library caught and dropped.

    WeasyPrint draws each SVG under `except BaseException` and logs the failure: a Ctrl-C or SIGTERM
    arriving then would leave a PDF without its chart and the command running on. Code that runs such
    a library calls this once it returns, before it writes anything.
    """
    if _received:
        raise Interrupted(_received[-1])

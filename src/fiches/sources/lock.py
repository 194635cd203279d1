"""Locks on a data folder: one fetch at a time, and no fetch while a build reads the folder.

A fetch holds the folder exclusively; a build holds it shared while it reads, so that it sees one
consistent set of caches and manifest from its start to its end. Neither waits: a folder in use
is one clear line, and nothing is changed. The lock is the kernel's (flock, on the folder itself:
no file is added to it), and a killed process releases it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from fiches.atomic import os_error_text
from fiches.errors import FetchError, UsageError


def check_folder(folder: Path) -> None:
    """A data folder must be a folder (or not exist yet)."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise UsageError(f"le dossier des données {folder} : {path} est un fichier, pas un dossier (voir --data-dir)")
            return


def _open(folder: Path) -> int:
    check_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise FetchError(f"dossier des données inutilisable {folder} : {os_error_text(exc)}") from None


def _try(handle: int, mode: int) -> bool:
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def fetching(folder: Path) -> Iterator[None]:
    """Exclusive use of a data folder by one fetch."""
    handle = _open(folder)
    try:
        if not _try(handle, fcntl.LOCK_EX):
            if _try(handle, fcntl.LOCK_SH):  # only shared holders: builds
                raise FetchError(f"des fiches sont en cours de construction à partir de {folder} : "
                                 "réessayez la récupération quand elles seront terminées")
            raise FetchError(f"une autre récupération est en cours dans {folder} : réessayez quand elle sera terminée")
        yield
    finally:
        os.close(handle)


@contextlib.contextmanager
def reading(folder: Path) -> Iterator[None]:
    """A build's use of a data folder: shared with other builds, never with a fetch."""
    handle = _open(folder)
    try:
        if not _try(handle, fcntl.LOCK_SH):
            raise FetchError(f"une récupération est en cours dans {folder} : réessayez quand elle sera terminée")
        yield
    finally:
        os.close(handle)

"""Write files so that a crash, a full disk or a kill -9 never leaves a partial one in place."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def os_error_text(exc: OSError) -> str:
    """A short French reason for a failed write; a full disk is named as such."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disque plein (plus d'espace libre)"
    return exc.strerror or str(exc)


def temp_path_for(target: Path) -> Path:
    """A fresh, hidden temporary path in the target's folder (same filesystem, so os.replace is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are meant to be shared
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces `target` only if the block succeeds."""
    temp = temp_path_for(target)
    try:
        yield temp
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_synced(path: Path, data: bytes) -> None:
    """Write `path` directly, and make sure its bytes are on disk before returning."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        write_synced(temp, data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def remove_stale_parts(folder: Path) -> int:
    """Delete temporary files an interrupted run left behind."""
    removed = 0
    if folder.is_dir():
        for part in folder.rglob(".*.part"):
            part.unlink(missing_ok=True)
            removed += 1
    return removed


class Transaction:
    """Stage several files, then move them all into place; on any error, remove every temporary.

    Usage: ``with Transaction() as txn: write(txn.stage(target))`` commits when the block ends.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, target: Path) -> Path:
        temp = temp_path_for(target)
        self._staged.append((temp, target))
        return temp

    def adopt(self, temp: Path, target: Path) -> None:
        """Take charge of a temporary file created elsewhere (a download in progress)."""
        self._staged.append((temp, target))

    def commit(self) -> None:
        for temp, target in self._staged:
            os.replace(temp, target)
        self._staged.clear()

    def rollback(self) -> None:
        for temp, _ in self._staged:
            temp.unlink(missing_ok=True)
        self._staged.clear()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

"""Write files so that a crash, a full disk or a kill -9 never leaves a partial one in place."""

from __future__ import annotations

import contextlib
import errno
import json
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
    """Delete the temporary files an interrupted run left behind, once its journals are recovered."""
    recover(folder)
    removed = 0
    if folder.is_dir():
        for part in folder.rglob(".*.part"):
            part.unlink(missing_ok=True)
            removed += 1
    return removed


JOURNAL_SUFFIX = ".journal"


class Transaction:
    """Stage several files, then move them all into place; on any error, leave the previous set.

    Usage: ``with Transaction(journal) as txn: write(txn.stage(target))`` commits when the block ends.

    A commit first writes its journal (every temporary, its target and the name of the target's
    backup), then moves each existing target aside to its backup, then each temporary into place,
    then removes the backups and the journal. A failure on the way (a directory in the way, a
    permission refused, a full disk) puts every backup back: the previous files, all of them. A
    commit cut short by a crash or a `kill -9` leaves its journal, which `recover` (run before any
    new work in that folder) reads to finish the commit if every file was in place, or to roll it
    back otherwise.
    """

    def __init__(self, journal: Path | None = None) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self.journal = journal

    def stage(self, target: Path) -> Path:
        temp = temp_path_for(target)
        self._staged.append((temp, target))
        return temp

    def adopt(self, temp: Path, target: Path) -> None:
        """Take charge of a temporary file created elsewhere (a download in progress)."""
        self._staged.append((temp, target))

    @property
    def targets(self) -> list[Path]:
        return [target for _, target in self._staged]

    def commit(self) -> None:
        staged, self._staged = self._staged, []
        for _, target in staged:
            if target.is_dir():
                _remove_temps(staged)
                raise IsADirectoryError(errno.EISDIR, f"un dossier occupe la place du fichier {target}", str(target))
        entries = [(temp, target, _backup_name(target) if target.exists() else None) for temp, target in staged]
        journal = self.journal or _journal_for(staged)
        try:
            _write_journal(journal, entries)
        except BaseException:
            _remove_temps(staged)
            raise
        try:
            for _, target, backup in entries:
                if backup is not None:
                    os.replace(target, backup)
            for temp, target, _ in entries:
                os.replace(temp, target)
        except BaseException:
            _roll_back(entries)
            journal.unlink(missing_ok=True)
            raise
        _finish(entries)
        journal.unlink(missing_ok=True)

    def rollback(self) -> None:
        _remove_temps(self._staged)
        self._staged.clear()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


def _journal_for(staged: list[tuple[Path, Path]]) -> Path:
    first = staged[0][1] if staged else Path(tempfile.gettempdir()) / "fiches"
    return first.parent / f".{first.stem}{JOURNAL_SUFFIX}"


def _backup_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.backup.part")


def _write_journal(journal: Path, entries: list[tuple[Path, Path, Path | None]]) -> None:
    document = [[str(temp), str(target), str(backup) if backup else None] for temp, target, backup in entries]
    journal.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(journal)
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, journal)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _remove_temps(staged) -> None:
    for temp, *_ in staged:
        temp.unlink(missing_ok=True)


def _roll_back(entries: list[tuple[Path, Path, Path | None]]) -> None:
    """Every target as it was before the commit: its backup back in place, or no file if it had none."""
    for temp, target, backup in reversed(entries):
        if backup is not None:
            if backup.exists():
                os.replace(backup, target)
        elif not temp.exists() and target.exists():
            target.unlink()  # this commit had put it there
        temp.unlink(missing_ok=True)


def _finish(entries: list[tuple[Path, Path, Path | None]]) -> None:
    for _, _, backup in entries:
        if backup is not None:
            backup.unlink(missing_ok=True)


def recover(folder: Path) -> int:
    """Finish or roll back the commits that a crash cut short in `folder` (and below); returns how many."""
    if not folder.is_dir():
        return 0
    recovered = 0
    for journal in sorted(folder.rglob(f".*{JOURNAL_SUFFIX}")):
        try:
            entries = [(Path(temp), Path(target), Path(backup) if backup else None)
                       for temp, target, backup in json.loads(journal.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            journal.unlink(missing_ok=True)  # cut short while being written: nothing was moved yet
            continue
        if all(not temp.exists() and target.exists() for temp, target, _ in entries):
            _finish(entries)  # every file was in place: only the clean-up was left
        else:
            _roll_back(entries)
        journal.unlink(missing_ok=True)
        recovered += 1
    return recovered

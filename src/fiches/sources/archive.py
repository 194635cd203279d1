"""Read customs zips by member, never by extracting names to disk, within size limits."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fiches.config import Limits
from fiches.errors import FetchError


@dataclass(frozen=True)
class Member:
    name: str
    size: int


def _is_unsafe_name(name: str) -> bool:
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return True
    return ".." in PurePosixPath(posix).parts


class SafeArchive:
    """A zip whose every member was checked before anything is read."""

    def __init__(self, path: Path, limits: Limits, *, label: str | None = None) -> None:
        self.path = path
        self.label = label or path.name
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FetchError(f"{self.label} : archive zip illisible ({exc})") from None
        try:
            self._infos = self._check(self._zip.infolist())
        except FetchError:
            self._zip.close()
            raise

    def _check(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        limits, label = self.limits, self.label
        if len(infos) > limits.max_members:
            raise FetchError(
                f"{label} : {len(infos)} membres dans l'archive, au plus {limits.max_members} attendus"
            )
        checked: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if _is_unsafe_name(name):
                raise FetchError(f"{label} : chemin de membre dangereux refusé : {name!r}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise FetchError(f"{label} : lien symbolique refusé dans l'archive : {name!r}")
            if info.flag_bits & 0x1:
                raise FetchError(f"{label} : membre chiffré refusé dans l'archive : {name!r} (les fichiers des douanes ne le sont pas)")
            if name in checked:
                raise FetchError(f"{label} : membre en double dans l'archive : {name!r}")
            if info.file_size > limits.max_member_size:
                raise FetchError(
                    f"{label} : le membre {name!r} déclare {info.file_size} octets, "
                    f"au-delà de la limite de {limits.max_member_size} octets"
                )
            if info.file_size > limits.ratio_floor:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise FetchError(
                        f"{label} : le membre {name!r} a un taux de compression de {ratio:.0f}:1, "
                        f"au-delà de {limits.max_ratio:.0f}:1 (bombe zip ?)"
                    )
            total += info.file_size
            checked[name] = info
        if total > limits.max_total_size:
            raise FetchError(f"{label} : {total} octets une fois décompressée, archive refusée")
        return checked

    def members(self) -> list[Member]:
        return [Member(name, info.file_size) for name, info in self._infos.items() if not info.is_dir()]

    def read(self, name: str) -> bytes:
        """The member's bytes. zipfile stops at the declared size and checks the CRC."""
        info = self._infos[name]
        try:
            with self._zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise FetchError(f"{self.label} : membre {name!r} illisible ({exc})") from None
        if len(data) != info.file_size:
            raise FetchError(f"{self.label} : membre {name!r} tronqué ou de taille incohérente")
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

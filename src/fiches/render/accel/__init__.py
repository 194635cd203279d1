"""Speed-ups that rely on private internals of WeasyPrint or kaleido, in one place.

Each one is fenced: it runs only on the library versions it was tested on (`TESTED`), and
`FICHES_ACCELERATIONS=off` turns them all off. On or off, a build writes the same PDFs byte for
byte (tests/test_accel.py); off, it is slower. Outside the tested versions they turn themselves
off, and a build says so in one warning line (`notice`).

- `replay`: a région's and France's Sankeys drawn once per process, their PDF operators replayed.
- `shared_pages`: the comparison pages laid out once per process and put in later factsheets.
- `user_agent`: WeasyPrint's HTML user-agent stylesheet without the rules no factsheet uses.
- `kaleido_page`: the browser's page kept between charts instead of reloaded after each one.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import metadata

#: The environment variable that switches every acceleration off ("off", "0", "non", "false", "no").
SWITCH = "FICHES_ACCELERATIONS"
_OFF = frozenset({"off", "0", "non", "false", "no"})


@dataclass(frozen=True)
class Fence:
    library: str  # distribution name, as installed
    tested: tuple[str, ...]  # the exact versions the acceleration was tested on


#: What each acceleration relies on, and the versions it was tested on.
TESTED: dict[str, Fence] = {
    "replay": Fence("weasyprint", ("70.0",)),
    "shared_pages": Fence("weasyprint", ("70.0",)),
    "user_agent": Fence("weasyprint", ("70.0",)),
    "kaleido_page": Fence("kaleido", ("1.5.1",)),
}


def switched_off() -> bool:
    return os.environ.get(SWITCH, "").strip().lower() in _OFF


@functools.cache
def installed(library: str) -> str | None:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return None


def tested(name: str) -> bool:
    """Whether the library acceleration `name` relies on is at a version it was tested on."""
    fence = TESTED[name]
    return installed(fence.library) in fence.tested


def enabled(name: str) -> bool:
    """Whether acceleration `name` runs in this process: switched on and on a tested version."""
    if name not in TESTED:
        raise KeyError(name)
    return not switched_off() and tested(name) and (name != "shared_pages" or enabled("replay"))


def notice() -> tuple[str, str] | None:
    """The one log line a build gives when accelerations do not run: (level, text), or None."""
    if switched_off():
        return "info", f"accélérations désactivées ({SWITCH}={os.environ.get(SWITCH, '').strip()})"
    untested = sorted({(TESTED[name].library, installed(TESTED[name].library)) for name in TESTED if not tested(name)},
                      key=lambda item: item[0])
    if not untested:
        return None
    names = ", ".join(name for name in TESTED if not tested(name))
    versions = " ; ".join(
        f"{library} {version or 'absent'} (testé sur {', '.join(sorted({v for f in TESTED.values() if f.library == library for v in f.tested}))})"
        for library, version in untested
    )
    return "warning", f"accélérations désactivées hors des versions testées : {versions} ; {names} désactivée(s), même résultat en plus lent"

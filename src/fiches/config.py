"""One typed settings object: paths, limits and network options."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from fiches import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = PACKAGE_DIR.parent.parent  # <root>/src/fiches -> <root>


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


#: Templates, CSS and fonts: the source tree in a checkout, the wheel's copy once installed.
TEMPLATES_DIR = _first_existing(_SOURCE_ROOT / "templates", PACKAGE_DIR / "_templates")
#: Small curated tables (Territoires d'industrie...).
REFERENCE_DIR = _first_existing(_SOURCE_ROOT / "data" / "reference", PACKAGE_DIR / "_reference")
FONTS_DIR = TEMPLATES_DIR / "fonts"
#: fiches's own build of plotly.js (tools/plotly-bundle): for the browsers that draw, and the interactive pages.
PLOTLY_JS = TEMPLATES_DIR / "plotly" / "plotly-fiches.min.js"
#: The project root when running from a checkout, else the current directory.
PROJECT_ROOT = _SOURCE_ROOT if (_SOURCE_ROOT / "pyproject.toml").is_file() else Path.cwd()

#: The locked runtime dependencies (requirements/runtime.txt, copied by `make lock`), shipped in the wheel.
RUNTIME_LOCK = PACKAGE_DIR / "_requirements" / "runtime.txt"
#: The browsers kaleido may draw with, first found first; BROWSER_PATH overrides.
CHROMIUM_CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "chrome")


@functools.cache
def lock_digest() -> str:
    """SHA-256 of the runtime lock this installation ships: part of every build key and provenance,
    so that an upgrade of the locked libraries makes older factsheets stale."""
    try:
        return hashlib.sha256(RUNTIME_LOCK.read_bytes()).hexdigest()
    except OSError:
        return "unlocked"


def browser_path() -> str | None:
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@functools.cache
def _chromium_version(path: str | None) -> str:
    if path is None:
        return "absent"
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    found = re.search(r"\d+(?:\.\d+){1,3}", done.stdout)
    return found.group(0) if found else "unknown"


def chromium_version() -> str:
    """The version of the browser kaleido uses (BROWSER_PATH, else the first candidate on PATH),
    asked once per browser and process."""
    return _chromium_version(browser_path())


USER_AGENT = f"fiches/{__version__} (+https://github.com/territoires-industrie/fiches)"

#: Where a build takes its data: the cached customs archives, the embedded sample, or the first there is.
SOURCES = ("auto", "douanes", "sample")
#: What a build covers: a calendar year, or the last four quarters published (`--period 12m`).
PERIODS = ("annee", "12m")

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What an archive may hold before it is refused unread."""

    max_member_size: int = GIB
    max_ratio: float = 100.0
    #: Ratios are only meaningful for members large enough to be a threat.
    ratio_floor: int = MIB
    max_members: int = 1000
    max_total_size: int = 4 * GIB
    max_download_size: int = 2 * GIB


@dataclass(frozen=True)
class Network:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    attempts: int = 4
    backoff: float = 0.5
    #: Ceiling on the whole fetch of one URL, retries included.
    deadline: float = 600.0


#: For `build --source auto`: give up quickly when the network is unreachable.
QUICK_NETWORK = Network(connect_timeout=4.0, read_timeout=20.0, attempts=2, backoff=0.5, deadline=15.0)


def default_data_dir() -> Path:
    env = os.environ.get("FICHES_DATA_DIR")
    return Path(env) if env else PROJECT_ROOT / "data"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    limits: Limits = field(default_factory=Limits)
    network: Network = field(default_factory=Network)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"

    @property
    def sample_dir(self) -> Path:
        """The embedded sample lives in its own data folder, never mixed with real data."""
        return self.data_dir / "sample"

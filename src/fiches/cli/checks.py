"""`fiches doctor`: checks of the environment a build needs, each a pure-ish function returning a Check."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fiches.config import FONTS_DIR, Settings

LIBRARIES = ("pandas", "pyarrow", "matplotlib", "plotly", "kaleido", "weasyprint", "jinja2", "typer", "rich", "openpyxl", "requests")
FONTS = ("Lato-Regular.ttf", "Lato-Bold.ttf", "Lato-Italic.ttf", "Lato-Semibold.ttf")
BROWSER_TIMEOUT = 15.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""  # what to do when it failed

    def line(self) -> str:
        mark = "ok    " if self.ok else "ÉCHEC "
        return f"{mark}{self.name} : {self.detail}" + (f" ; {self.fix}" if not self.ok and self.fix else "")


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check("Python", ok, version, "installez Python 3.11 ou plus récent (make install)")


def check_libraries() -> list[Check]:
    checks = []
    for name in LIBRARIES:
        try:
            checks.append(Check(name, True, metadata.version(name)))
        except metadata.PackageNotFoundError:
            checks.append(Check(name, False, "absent", "lancez make install (ou pip install -e .)"))
    return checks


def check_pango() -> Check:
    fix = "installez Pango (paquet Debian libpango-1.0-0, ou make install)"
    try:
        from weasyprint.text.ffi import pango
    except (ImportError, OSError) as exc:
        return Check("Pango", False, f"non chargé par WeasyPrint ({exc})", fix)
    try:
        version = pango.pango_version()
        return Check("Pango", True, f"{version // 10000}.{version // 100 % 100}.{version % 100}")
    except Exception as exc:  # a Pango too old to answer its version
        return Check("Pango", False, f"version illisible ({exc})", fix)


def check_browser(run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Check:
    from fiches.charts.export import find_browser
    from fiches.errors import FichesError

    fix = "installez chromium-headless-shell (make install) ou faites pointer BROWSER_PATH vers un Chromium"
    try:
        path = find_browser()
    except FichesError as exc:
        return Check("Chromium", False, str(exc))
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        return Check("Chromium", False, f"{path} introuvable ou non exécutable", fix)
    try:
        result = run([path, "--version"], capture_output=True, text=True, timeout=BROWSER_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("Chromium", False, f"{path} ne démarre pas ({exc})", fix)
    if result.returncode != 0:
        first = (result.stderr or result.stdout).strip().splitlines()[:1]
        return Check("Chromium", False, f"{path} ne démarre pas (code {result.returncode}{' : ' + first[0] if first else ''})", fix)
    return Check("Chromium", True, f"{path}, {result.stdout.strip()}")


def check_fonts(fonts_dir: Path = FONTS_DIR) -> Check:
    from fontTools.ttLib import TTFont

    fix = f"restaurez les polices Lato dans {fonts_dir} (git checkout templates/fonts)"
    for name in FONTS:
        try:
            with TTFont(fonts_dir / name) as font:
                font["name"]
        except Exception as exc:  # fontTools raises many kinds on a bad file
            return Check("polices Lato", False, f"{name} illisible ({type(exc).__name__} : {exc})", fix)
    return Check("polices Lato", True, f"{len(FONTS)} fichiers lisibles dans {fonts_dir}")


def check_data_dir(data_dir: Path) -> Check:
    fix = "choisissez un dossier accessible en écriture avec --data-dir ou FICHES_DATA_DIR"
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check("dossier des données", False, f"{data_dir} : {existing} n'est pas un dossier", fix)
    try:
        with tempfile.TemporaryFile(dir=existing):  # removed on close: nothing left behind
            pass
    except OSError as exc:
        return Check("dossier des données", False, f"{data_dir} non accessible en écriture ({exc.strerror or exc})", fix)
    return Check("dossier des données", True, f"{data_dir}, accessible en écriture" + ("" if existing == data_dir else " (sera créé)"))


def local_years(settings: Settings) -> list[int]:
    from fiches.sources.store import load_manifest

    return load_manifest(settings.data_dir).available_years()


def latest_quarters(settings: Settings) -> str:
    """The last four quarters `build --period 12m` would cover, or why there are none."""
    from fiches.sources.store import ROLLING, latest_span, load_manifest, span_text

    manifest = load_manifest(settings.data_dir)
    if not any(d.get("kind") == ROLLING for d in manifest.datasets.values()):
        return "aucun (pas de dernière publication en cache : fiches fetch)"
    span = latest_span(manifest)
    return f"{span_text(span)} (build --period 12m)" if span else "incomplets pour l'un des flux"


def catalogue_years() -> list[int]:
    from fiches.sources.catalogue import catalogue

    return sorted(catalogue())


def sample_years() -> list[int]:
    from fiches.sources.sample import YEARS

    return sorted(YEARS)


def check_years(settings: Settings) -> Check:
    from fiches.errors import FichesError

    try:
        local = local_years(settings)
    except FichesError as exc:
        return Check("années", False, str(exc))
    try:
        offered = catalogue_years()
    except (OSError, ValueError, KeyError) as exc:
        return Check("années", False, f"catalogue sources.toml illisible ({exc})", "réinstallez fiches")
    cached = ", ".join(map(str, local)) or "aucune (l'échantillon sera utilisé ; fiches fetch pour les données réelles)"
    return Check("années", True, f"en cache : {cached} ; au catalogue : {', '.join(map(str, offered)) or 'aucune'}")


def run_checks(settings: Settings) -> list[Check]:
    return [check_python(), *check_libraries(), check_pango(), check_browser(), check_fonts(), check_data_dir(settings.data_dir), check_years(settings)]

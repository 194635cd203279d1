"""Installation from the lock (issue 25): the locks, the floors, the wheel's copy, the system check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from ruamel.yaml import YAML

from fiches import config
from fiches.build import jobs

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Versions known to work; below them, a known failure.
KNOWN_GOOD = {"typer": "0.12.6", "weasyprint": "70.0", "jinja2": "3.1.6", "requests": "2.32.4", "urllib3": "2.5"}
#: Libraries whose private internals render/accel/ uses: capped below their next major.
CAPPED = ("weasyprint", "kaleido", "pydyf")


def _requirements(names: list[str]) -> dict[str, Requirement]:
    return {Requirement(line).name.lower(): Requirement(line) for line in names}


def _locked(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(encoding="utf-8"), re.M))


def test_locks_pin_every_package_with_hashes():
    for path in (RUNTIME_LOCK, DEV_LOCK):
        text = path.read_text(encoding="utf-8")
        assert re.findall(r"^[A-Za-z0-9_.-]+==\S+ \\$", text, re.M)
        for block in re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 2)[2]):
            if "==" in block.splitlines()[0]:
                assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_dev_lock_holds_the_runtime_lock_and_the_extras():
    runtime, dev = _locked(RUNTIME_LOCK), _locked(DEV_LOCK)
    assert runtime.items() <= dev.items(), "runtime.txt and dev.txt disagree: run make lock"
    assert {"pytest", "hypothesis", "pypdf", "pillow"} <= set(dev)


def test_the_locks_satisfy_pyproject():
    declared = _requirements(PYPROJECT["project"]["dependencies"])
    runtime = {name.lower(): version for name, version in _locked(RUNTIME_LOCK).items()}
    for name, requirement in declared.items():
        assert name in runtime, f"{name} is not in the lock: run make lock"
        assert requirement.specifier.contains(runtime[name], prereleases=True), f"{name}=={runtime[name]} breaks {requirement}"


def test_the_package_ships_the_same_runtime_lock():
    shipped = ROOT / "src" / "fiches" / "_requirements" / "runtime.txt"
    assert shipped.read_bytes() == RUNTIME_LOCK.read_bytes(), "run make lock"
    assert config.RUNTIME_LOCK == shipped.resolve()


def test_floors_are_at_least_the_known_good_versions():
    declared = _requirements(PYPROJECT["project"]["dependencies"])
    for name, good in KNOWN_GOOD.items():
        floors = [Version(s.version) for s in declared[name].specifier if s.operator == ">="]
        assert floors and floors[0] >= Version(good), f"{name} floor {floors} below {good}"
    for bad in ("0.12.0", "0.12.3", "0.12.5"):
        assert not declared["typer"].specifier.contains(bad)
    for name in CAPPED:
        assert any(s.operator == "<" for s in declared[name].specifier), f"{name} has no upper bound"


def test_every_library_imported_directly_is_declared():
    declared = set(_requirements(PYPROJECT["project"]["dependencies"]))
    imported = set()
    for path in (ROOT / "src").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) ([A-Za-z_][A-Za-z0-9_]*)", path.read_text(encoding="utf-8"), re.M))
    third_party = {name for name in imported if name != "fiches" and name not in __import__("sys").stdlib_module_names}
    distribution = {"fontTools": "fonttools", "yaml": "pyyaml"}
    missing = {name for name in third_party if distribution.get(name, name).lower() not in declared}
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
    tests_extra = set(_requirements(PYPROJECT["project"]["optional-dependencies"]["test"]))
    assert "pillow" in tests_extra


def test_make_install_uses_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q --require-hashes -r requirements/dev.txt" in makefile
    assert "pip install -q --no-deps -e ." in makefile
    assert re.search(r"^lock:", makefile, re.M) and "--generate-hashes" in makefile
    assert "src/fiches/_requirements/runtime.txt" in makefile


def _load(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _runs(workflow: dict) -> list[tuple[str, int, str]]:
    return [(job, i, step.get("run", "")) for job, body in workflow["jobs"].items() for i, step in enumerate(body.get("steps", []))]


def test_ci_installs_from_the_lock_tests_the_lowest_versions_and_the_wheel():
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert any(run.strip() == "make test" for job, _, run in _runs(ci) if job == "test")
    assert any("--resolution lowest-direct" in run for job, _, run in _runs(ci) if job == "lowest")
    wheel = " ".join(run for job, _, run in _runs(ci) if job == "wheel")
    assert "--require-hashes -r requirements/runtime.txt" in wheel and "mktemp -d" in wheel
    assert '/bin/fiches" build 12 --source sample --out out' in wheel


def test_publish_tests_the_locked_set_before_building():
    publish = _load(ROOT / ".github" / "workflows" / "publish.yml")
    runs = [(i, run.strip()) for job, i, run in _runs(publish) if job == "build"]
    install = next(i for i, run in runs if run == "make install")
    test = next(i for i, run in runs if run == "make test")
    build = next(i for i, run in runs if "fiches build" in run)
    assert install < test < build


def test_dependabot_watches_the_locks_and_the_actions():
    dependabot = _load(ROOT / ".github" / "dependabot.yml")
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in dependabot["updates"]}
    assert ("pip", "/requirements") in ecosystems and ("github-actions", "/") in ecosystems


def test_build_key_changes_with_the_lock_digest_and_the_chromium_version(monkeypatch):
    from fiches.reference.geography import departement

    monkeypatch.setattr(jobs, "code_key", lambda: "code")

    def key() -> str:
        return jobs.build_key(_Year(), None, departement("12"), "sample")

    monkeypatch.setattr(jobs, "lock_digest", lambda: "a" * 64)
    monkeypatch.setattr(jobs, "chromium_version", lambda: "156.0.1")
    first = key()
    monkeypatch.setattr(jobs, "lock_digest", lambda: "b" * 64)
    assert key() != first
    monkeypatch.setattr(jobs, "lock_digest", lambda: "a" * 64)
    assert key() == first
    monkeypatch.setattr(jobs, "chromium_version", lambda: "157.0.1")
    assert key() != first


class _Year:
    year = 2024
    meta = {"cache_sha256": "x", "sources": {}, "bad_rows": {}}


def test_lock_digest_is_the_sha256_of_the_shipped_lock():
    import hashlib

    assert config.lock_digest() == hashlib.sha256(config.RUNTIME_LOCK.read_bytes()).hexdigest()


def test_chromium_version_honours_browser_path(tmp_path, monkeypatch):
    browser = tmp_path / "fake-chromium"
    browser.write_text("#!/bin/sh\necho 'Chromium 123.4.5678.90 built on Debian'\n")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    assert config.chromium_version() == "123.4.5678.90"
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "none"))
    assert config.chromium_version() == "unknown"


def test_without_apt_get_the_system_check_says_what_to_install_and_fails(tmp_path):
    # A PATH with the shell's basic tools but no apt-get; the checks forced to fail.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("grep", "id", "ldconfig", "uname"):
        found = shutil.which(tool) or (f"/sbin/{tool}" if Path(f"/sbin/{tool}").exists() else None)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "FICHES_FORCE_MISSING": "1", "HOME": os.environ.get("HOME", "/tmp")}
    done = subprocess.run([shutil.which("bash"), str(ROOT / "tools" / "system-packages.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in ("Pango", "Chromium", "poppler", "conteneur"):
        assert needle in lines[0]


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs a Debian-like machine")
def test_with_everything_present_the_system_check_does_nothing():
    done = subprocess.run(["bash", str(ROOT / "tools" / "system-packages.sh")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "installing" not in done.stdout


@pytest.mark.slow
def test_the_wheel_alone_builds_a_factsheet_from_elsewhere(tmp_path):
    """Templates, fonts, reference tables, the sample and the lock all travel in the wheel: installed
    into a venv of its own, with the locked libraries but no source tree, it builds a factsheet."""
    import sys
    import sysconfig
    import zipfile

    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist, ROOT],
                   check=True, capture_output=True)
    (wheel,) = dist.glob("fiches-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], check=True, capture_output=True)
    # The locked libraries of this venv, but not its editable fiches: a path line in a .pth file adds
    # the folder without reading the .pth files in it (where the editable install points to src/).
    packages = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True,
                              check=True).stdout.strip()
    ours = sysconfig.get_path("purelib")
    (Path(packages) / "locked-libraries.pth").write_text(ours + "\n", encoding="utf-8")
    where = tmp_path / "elsewhere"
    where.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FICHES_", "PYTHONPATH"))}
    origin = subprocess.run([python, "-c", "import fiches; print(fiches.__file__)"], cwd=where, env=env, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert origin.startswith(packages), origin  # the wheel's fiches, not the source tree
    done = subprocess.run([venv / "bin" / "fiches", "build", "12", "--source", "sample", "--out", "out", "--data-dir", "data", "--jobs", "1"],
                          cwd=where, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (where / "out" / "2024" / "departements" / "12-aveyron.pdf").stat().st_size > 50_000
    assert json_of(where / "out" / "2024" / "departements" / "12-aveyron.json")["provenance"]["lock_sha256"] == config.lock_digest()


def json_of(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))

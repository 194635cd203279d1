"""The container image (Dockerfile): built and run once where a Docker engine answers, skipped elsewhere."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0


def test_the_dockerfile_installs_the_locked_wheel_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r /tmp/runtime.txt" in text and "chromium-headless-shell" in text
    assert "\nUSER fiches" in text and 'ENTRYPOINT ["fiches"]' in text and "WORKDIR /out" in text
    assert ".venv" in (ROOT / ".dockerignore").read_text(encoding="utf-8")
    devcontainer = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text(encoding="utf-8"))
    assert devcontainer["postCreateCommand"] == "make install"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker command")
def test_the_image_builds_a_factsheet_into_a_mounted_folder(tmp_path):
    if not _engine():
        pytest.skip("docker answers but no engine runs")
    tag = "fiches-test:latest"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    subprocess.run(["docker", "run", "--rm", "-e", "SOURCE_DATE_EPOCH=1767225600", "-v", f"{out}:/out", tag,
                    "build", "12", "--source", "sample", "--out", "/out"], check=True, timeout=600)
    assert list(out.rglob("12-*.pdf"))

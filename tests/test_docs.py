"""The documents a user and a contributor read: present, current, and the CLI reference complete."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import typer

from fiches.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_current():
    """Regenerate it with: .venv/bin/python tools/cli_reference.py > docs/cli.md"""
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == _generator().reference()


def test_every_command_and_option_is_documented():
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    root = group.make_context("fiches", [], resilient_parsing=True)
    for name in group.list_commands(root):
        assert f"## fiches {name}\n" in reference
        command = group.get_command(root, name)
        for param in command.params:
            if param.param_type_name == "option":
                for opt in (*param.opts, *param.secondary_opts):
                    assert re.search(rf"`{re.escape(opt)}`", reference), f"{name} {opt}"
            assert getattr(param, "help", None), f"{name} {param.name} has no help"


def test_the_readme_is_a_short_french_user_document():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for needed in ("make reports", "make test", "Installation", "Licences", "Citer", "Etalab 2.0", "OFL"):
        assert needed in readme, needed
    assert not re.search(r"\bsession \d|\brun [A-H]\b|\b[0-9a-f]{7}\b", readme), "a benchmark diary in the README"
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_the_project_files_a_contributor_expects_exist():
    for name in ("LICENSE", "CHANGELOG.md", "CONTRIBUTING.md", "docs/architecture.md", "docs/performance.md",
                 "docs/reliability.md", "docs/cli.md"):
        assert (ROOT / name).is_file(), name
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert not re.search(r"\bsession \d", (ROOT / "docs" / "performance.md").read_text(encoding="utf-8"))

"""The code's layout: one stage per package, no import cycle, and a build key that covers every input."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from fiches import config
from fiches.build import jobs

PACKAGE = Path(config.PACKAGE_DIR)
#: The stages in the order data flows through them; a module may import its own stage and earlier ones.
STAGES = ("reference", "sources", "model", "charts", "render", "build")
TOP_LEVEL = {"__init__", "__main__", "config", "errors", "atomic"}


def _modules() -> dict[str, Path]:
    return {
        ".".join(("fiches", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): path
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _imports(path: Path) -> set[str]:
    """The fiches modules a module imports, at its top or inside its functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fiches"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("fiches"))
    return found


def test_at_most_about_eight_modules_at_the_top():
    assert {p.stem for p in PACKAGE.glob("*.py")} == TOP_LEVEL


def test_every_package_says_what_its_stage_takes_in_and_hands_on():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and 2 <= len(doc.splitlines()), init


def test_no_stage_reaches_back_into_a_later_one():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in STAGES:
            continue
        own = STAGES.index(parts[1])
        for imported in _imports(path) & modules.keys():
            other = imported.split(".")
            if len(other) >= 2 and other[1] in STAGES and STAGES.index(other[1]) > own:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_no_import_cycle():
    modules = _modules()
    graph = {name: {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
             for name, path in modules.items()}
    # Packages' __init__ are imported by their modules by construction; cycles among modules only.
    graph = {name: {m for m in deps if not PACKAGE.joinpath(*m.split(".")[1:], "__init__.py").is_file()}
             for name, deps in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycle.extend(trail[trail.index(dep):] + [dep] if dep in trail else [name, dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycle == []


def test_the_worker_does_not_import_the_batch():
    assert not {m for m in _imports(PACKAGE / "build" / "worker.py") if m.startswith("fiches.build.batch")}


@pytest.fixture
def copied_tree(tmp_path, monkeypatch):
    """The templates, code and reference tables copied, so that one of them can be edited."""
    roots = {}
    for name, source in (("TEMPLATES_DIR", config.TEMPLATES_DIR), ("PACKAGE_DIR", config.PACKAGE_DIR), ("REFERENCE_DIR", config.REFERENCE_DIR)):
        roots[name] = tmp_path / name
        shutil.copytree(source, roots[name], ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(jobs, name, roots[name])
    monkeypatch.setattr(jobs, "_CODE_KEY", None)
    return roots


@pytest.mark.parametrize("root, name", [
    ("REFERENCE_DIR", "countries.csv"),
    ("REFERENCE_DIR", "territoires_industrie.csv"),
    ("TEMPLATES_DIR", "style.css"),
    ("PACKAGE_DIR", "config.py"),
])
def test_editing_a_reference_table_a_template_or_the_code_changes_the_build_key(copied_tree, monkeypatch, root, name):
    """Regression: editing data/reference/ left factsheets "à jour" with stale content."""
    before = jobs.code_key()
    path = copied_tree[root] / name
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(jobs, "_CODE_KEY", None)
    assert jobs.code_key() != before

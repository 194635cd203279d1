"""The GitHub workflows, checked offline: schema, zizmor, pinning, permissions, and the publishing guard.

The publishing workflow must never publish the synthetic sample: it builds with `--source douanes` only,
and `.github/scripts/publication.py check` refuses any output whose provenance is not the customs' data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PUBLISH = WORKFLOWS / "publish.yml"
CI = WORKFLOWS / "ci.yml"
KEEPALIVE = WORKFLOWS / "keepalive.yml"
PUBLICATION = ROOT / ".github" / "scripts" / "publication.py"

PINNED_USE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
USES = re.compile(r"^\s*(?:-\s+)?uses:")


def _tool(name: str) -> str:
    """A console script of the test extras: beside this interpreter, or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    env["ZIZMOR_OFFLINE"] = "true"
    return env


def _load(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _index(steps: list[dict], predicate) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, f"expected exactly one matching step, found {len(found)}"
    return found[0]


def _runs(step: dict, needle: str) -> bool:
    return needle in step.get("run", "")


def _uses(step: dict, action: str) -> bool:
    return step.get("uses", "").startswith(action + "@")


# -- the validators, and proof that they can fail ---------------------------------------------------


def check_schema(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True, text=True, env=_offline_env(), timeout=120,
    )


def zizmor_findings(*paths: Path) -> list[dict]:
    """zizmor's findings (offline, default persona, no config) as parsed JSON."""
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-config", "--no-progress", "--format", "json-v1", "--no-exit-codes", *map(str, paths)],
        capture_output=True, text=True, env=_offline_env(), timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _summary(findings: list[dict]) -> list[tuple[str, str]]:
    return [(f["ident"], f["determinations"]["severity"]) for f in findings]


def test_workflows_match_the_github_workflow_schema():
    result = check_schema(PUBLISH, CI, KEEPALIVE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    findings = zizmor_findings(PUBLISH, CI, KEEPALIVE)
    assert not [f for f in findings if f["determinations"]["severity"] == "High"], _summary(findings)
    assert findings == [], _summary(findings)


BAD_WORKFLOW = """\
name: bad
on:
  workflow_dispatch:
    inputs:
      year:
        type: string
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ inputs.year }} ${{ github.event.issue.title }}"
"""


def test_the_validators_reject_a_bad_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    findings = zizmor_findings(bad)
    assert any(f["determinations"]["severity"] == "High" for f in findings), _summary(findings)
    idents = {f["ident"] for f in findings}
    assert {"template-injection", "unpinned-uses", "artipacked"} <= idents, idents

    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")
    assert check_schema(broken).returncode != 0


# -- hygiene common to both workflows ---------------------------------------------------------------


@pytest.mark.parametrize("path", [PUBLISH, CI], ids=lambda p: p.name)  # keepalive.yml uses no action
def test_actions_are_pinned_to_a_full_commit_with_its_version(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if USES.match(line)]
    assert lines
    for line in lines:
        assert PINNED_USE.match(line), f"not pinned to a 40-hex commit with a '# vX.Y.Z' comment: {line.strip()}"


@pytest.mark.parametrize("path", [PUBLISH, CI, KEEPALIVE], ids=lambda p: p.name)
def test_permissions_are_empty_by_default_and_set_per_job(path):
    workflow = _load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} has no explicit permissions"
        for step in job.get("steps", []):
            if _uses(step, "actions/checkout"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}: checkout keeps its token"


@pytest.mark.parametrize("path", [PUBLISH, CI, KEEPALIVE], ids=lambda p: p.name)
def test_no_expression_inside_a_shell_script(path):
    # Values reach scripts through env: variables, never by template expansion (template injection).
    workflow = _load(path)
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{name}: expression inside run: {step.get('name')}"


def test_ci_runs_make_test_on_pushes_and_pull_requests():
    workflow = _load(CI)
    assert {"push", "pull_request"} <= set(workflow["on"])
    job = workflow["jobs"]["test"]
    assert job["permissions"] == {"contents": "read"}
    assert any(step.get("run", "").strip() == "make test" for step in job["steps"])


# -- the publishing workflow -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def publish() -> dict:
    return _load(PUBLISH)


def test_publish_triggers_monthly_and_by_hand_with_a_year(publish):
    (schedule,) = publish["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (month, weekday) == ("*", "*") and day.isdigit()
    year = publish["on"]["workflow_dispatch"]["inputs"]["year"]
    assert year["required"] is False and year["type"] == "string"


def test_publish_permissions_are_the_minimum_for_each_job(publish):
    jobs = publish["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["site"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["release"]["permissions"] == {"contents": "write"}


def test_publish_validates_the_year_before_using_it(publish):
    steps = _steps(publish, "build")
    first = steps[0]
    assert first["env"]["INPUT_YEAR"] == "${{ inputs.year }}"
    assert "^[0-9]{4}$" in first["run"]
    chosen = steps[_index(steps, lambda s: s.get("id") == "year")]
    assert "publication.py built-year out" in chosen["run"]  # the year actually built, which the script checks
    assert "^[0-9]{4}$" in _steps(publish, "site")[2]["run"]


def test_publish_builds_only_from_the_customs_data(publish):
    scripts = [step.get("run", "") for job in publish["jobs"].values() for step in job.get("steps", [])]
    builds = [line for script in scripts for line in script.splitlines() if "fiches build" in line]
    assert builds, "publish.yml never runs fiches build"
    for line in builds:
        assert re.search(r"--source\s+douanes\b", line), f"build without --source douanes: {line.strip()}"
    text = "\n".join(scripts)
    assert not re.search(r"--source[\s=]+[\"']?(sample|auto)", text)
    assert "make report" not in text  # make reports/report use SOURCE=auto, which may fall back to the sample
    assert "SOURCE" not in json.dumps(publish.get("env", {}))


def test_a_failed_fetch_fails_the_run_before_any_build(publish):
    steps = _steps(publish, "build")
    fetch = _index(steps, lambda s: _runs(s, "fiches fetch"))
    build = _index(steps, lambda s: _runs(s, "fiches build"))
    assert fetch < build
    for index in (fetch, build):  # the year asked for, or the newest one published
        assert '--year "$INPUT_YEAR"' in steps[index]["run"] and steps[index]["env"]["INPUT_YEAR"] == "${{ inputs.year }}"
        assert re.search(r"else\n\s+\.venv/bin/fiches (fetch|build) (?!.*--year)", steps[index]["run"])
    for job in publish["jobs"].values():
        assert "continue-on-error" not in job
        for step in job.get("steps", []):
            assert "continue-on-error" not in step, step.get("name")
            assert "|| true" not in step.get("run", "")


def test_the_guard_runs_after_the_build_and_before_anything_is_uploaded(publish):
    steps = _steps(publish, "build")
    build = _index(steps, lambda s: _runs(s, "fiches build"))
    guard = _index(steps, lambda s: _runs(s, "publication.py check"))
    fresh = _index(steps, lambda s: _runs(s, "publication.py fresh"))
    stage = _index(steps, lambda s: _runs(s, "publication.py stage-release"))
    uploads = [i for i, s in enumerate(steps) if _uses(s, "actions/upload-artifact")]
    assert build < guard < min(stage, *uploads) and build < fresh < min(uploads)
    assert steps[fresh]["if"] == "inputs.year == ''"  # a year asked for by hand is deliberate
    assert {steps[i]["with"]["name"]: steps[i]["with"]["path"] for i in uploads} == {
        "year-site": "out/${{ steps.year.outputs.year }}", "release-assets": "release/"}


def test_the_site_keeps_every_year_and_pages_publish_the_assembled_site(publish):
    site = publish["jobs"]["site"]
    assert site["needs"] == "build"
    steps = site["steps"]
    assemble = _index(steps, lambda s: _runs(s, "publication.py assemble site-tree"))
    pages = _index(steps, lambda s: _uses(s, "actions/upload-pages-artifact"))
    assert assemble < pages and steps[pages]["with"]["path"] == "pages"
    script = steps[assemble]["run"]
    assert "git fetch --depth=1" in script and "push \"$remote\" site" in script and "archive HEAD" in script
    assert publish["jobs"]["release"]["needs"] == ["build", "site", "deploy"]


def test_keepalive_enables_the_scheduled_workflows_weekly():
    keepalive = _load(ROOT / ".github" / "workflows" / "keepalive.yml")
    (schedule,) = keepalive["on"]["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "1"]
    job = keepalive["jobs"]["enable"]
    assert job["permissions"] == {"actions": "write"}
    script = job["steps"][0]["run"]
    assert "publish.yml keepalive.yml" in script and "--method PUT" in script and "/enable" in script


def test_download_cache_is_keyed_on_the_data_manifest(publish):
    steps = _steps(publish, "build")
    fetch = _index(steps, lambda s: _runs(s, "fiches fetch"))
    restore = _index(steps, lambda s: _uses(s, "actions/cache/restore"))
    save = _index(steps, lambda s: _uses(s, "actions/cache/save"))
    assert restore < fetch < save
    paths = {"data/raw", "data/cache", "data/manifest.json"}
    assert set(steps[restore]["with"]["path"].split()) == paths == set(steps[save]["with"]["path"].split())
    assert "hashFiles('data/manifest.json')" in steps[save]["with"]["key"]
    prefix = steps[restore]["with"]["restore-keys"].strip()
    assert steps[save]["with"]["key"].startswith(prefix)


def test_deploy_job_publishes_to_pages_once_at_a_time(publish):
    deploy = publish["jobs"]["deploy"]
    assert deploy["needs"] == "site"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"]["group"] and deploy["concurrency"]["cancel-in-progress"] is False
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_release_job_attaches_pdfs_and_checksums_under_a_dated_tag(publish):
    release = publish["jobs"]["release"]
    assert set(release["needs"]) == {"build", "site", "deploy"}
    (step,) = [s for s in release["steps"] if "run" in s]
    script = step["run"]
    assert "gh release create" in script and "release/SHA256SUMS" in script and "release/*.pdf" in script
    assert "sha256sum --check" in script
    assert 'tag="data-$YEAR-published-$PUBLISHED"' in script
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"


# -- the guard itself ------------------------------------------------------------------------------


def _guard(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PUBLICATION), *map(str, args)], capture_output=True, text=True, timeout=60)


def _sidecar(year: int = 2024, source: str = "douanes") -> dict:
    is_sample = source == "sample"
    return {
        "territory": {"level": "departement", "code": "12", "name": "Aveyron", "slug": "12-aveyron"},
        "year": year,
        "sample": is_sample,
        "sankey": {"links": [{"source": "Produits", "target": "Allemagne", "value_eur": 1.0}]},
        "provenance": {"source": source, "year": year, "archives": [["a.zip", "0" * 64]], "is_sample": is_sample},
    }


def _year_folder(root: Path, sidecar: dict | None = None, *, manifest: dict | None = None) -> Path:
    folder = root / "out" / "2024"
    (folder / "departements").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><title>Fiches 2024</title>", encoding="utf-8")
    manifest = manifest if manifest is not None else {"files": [{"path": "departements/12-aveyron.pdf", "sha256": "0" * 64}],
                                                      "provenance": {"source": "douanes"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "departements" / "12-aveyron.pdf").write_bytes(b"%PDF-1.7 aveyron")
    (folder / "departements" / "12-aveyron.json").write_text(json.dumps(sidecar or _sidecar()), encoding="utf-8")
    (folder / "departements" / "12-aveyron.xlsx").write_bytes(b"PK")
    return folder


def test_guard_accepts_a_folder_built_from_the_customs_data(tmp_path):
    result = _guard("check", _year_folder(tmp_path), "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "1 factsheet" in result.stdout


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda f: (f / "departements/12-aveyron.json").write_text(json.dumps(_sidecar(source="sample"))), "'sample'"),
        (lambda f: (f / "departements/12-aveyron.json").write_text(json.dumps({**_sidecar(), "sample": True})), "sample"),
        (lambda f: (f / "departements/12-aveyron.json").write_text(json.dumps({"year": 2024})), "no provenance"),
        (lambda f: (f / "departements/12-aveyron.json").write_text("{not json"), "unreadable"),
        (lambda f: (f / "departements/12-aveyron.json").write_text(json.dumps(_sidecar(year=2023))), "expected 2024"),
        (lambda f: (f / "departements/12-aveyron.json").unlink(), "no JSON sidecar"),
        (lambda f: (f / "departements/46-lot.pdf").write_bytes(b"%PDF"), "no JSON sidecar"),
        (lambda f: (f / "index.html").unlink(), "index.html: missing"),
        (lambda f: (f / "manifest.json").write_text(json.dumps({"provenance": {"source": "sample"}})), "manifest.json"),
        (lambda f: (f / "manifest.json").write_text(json.dumps({"provenance": {"is_sample": True}})), "manifest.json"),
        (lambda f: [p.unlink() for p in f.rglob("*.pdf")], "no PDF"),
    ],
    ids=["source-sample", "sample-flag", "no-provenance", "bad-json", "wrong-year", "no-sidecar",
         "extra-pdf", "no-index", "manifest-sample", "manifest-is-sample", "no-pdf"],
)
def test_guard_refuses_anything_else(tmp_path, damage, reason):
    folder = _year_folder(tmp_path)
    damage(folder)
    result = _guard("check", folder, "--year", "2024")
    assert result.returncode == 1
    assert result.stderr.startswith("refused:") and reason in result.stderr, result.stderr


def test_guard_refuses_a_missing_folder(tmp_path):
    result = _guard("check", tmp_path / "out" / "2024", "--year", "2024")
    assert result.returncode == 1 and "no such folder" in result.stderr


def test_stage_release_copies_the_pdfs_with_their_checksums(tmp_path):
    folder = _year_folder(tmp_path)
    (folder / "departements" / "46-lot.pdf").write_bytes(b"%PDF-1.7 lot")
    dest = tmp_path / "release"
    result = _guard("stage-release", folder, dest)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["12-aveyron.pdf", "46-lot.pdf", "SHA256SUMS"]
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=dest, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    (folder / "regions").mkdir()
    (folder / "regions" / "12-aveyron.pdf").write_bytes(b"%PDF clash")
    assert _guard("stage-release", folder, tmp_path / "again").returncode == 1


# -- the guard against the sidecars that fiches really writes ---------------------------------------


@pytest.fixture(scope="module")
def real_sidecars(sample_settings) -> dict[str, dict]:
    """sidecar.sidecar for one département from the sample, read as the sample and as customs data."""
    from fiches import __version__
    from fiches.config import Settings
    from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance
    from fiches.reference.geography import departement
    from fiches.render import sidecar, templating
    from fiches.sources.sample import sample_settings as own_settings
    from fiches.sources.selection import select

    as_customs = Settings(data_dir=own_settings(sample_settings).data_dir)
    documents = {}
    for name, settings, source in (("sample", sample_settings, "sample"), ("douanes", as_customs, "douanes")):
        selected = select(settings, source, None)
        trade = TradeYear(selected.current, selected.previous)
        fs = factsheet(trade, departement("12"), provenance(trade, __version__, templating.build_date()), Comparisons(trade))
        documents[name] = json.loads(json.dumps(sidecar.sidecar(fs, {})))
    return documents


def test_guard_reads_the_real_sidecar_layout(tmp_path, real_sidecars):
    year = real_sidecars["douanes"]["year"]
    for name, expected in (("douanes", 0), ("sample", 1)):
        folder = _year_folder(tmp_path / name, real_sidecars[name])
        result = _guard("check", folder, "--year", str(year))
        assert result.returncode == expected, (name, result.stderr)


# -- publishing year after year -----------------------------------------------------------------


def _built_year(root: Path, year: int, marker: str) -> Path:
    folder = root / str(year)
    (folder / "departements").mkdir(parents=True)
    (folder / "index.html").write_text(f"<html>{marker}</html>", encoding="utf-8")
    (folder / "departements" / "12-aveyron.pdf").write_bytes(marker.encode())
    (folder / "_html").mkdir()
    return folder


def test_built_year_is_the_one_built_year(tmp_path):
    _built_year(tmp_path / "out", 2025, "a")
    result = _guard("built-year", tmp_path / "out")
    assert result.returncode == 0 and result.stdout.strip() == "2025"
    _built_year(tmp_path / "out", 2024, "b")
    result = _guard("built-year", tmp_path / "out")
    assert result.returncode == 1 and "2024, 2025" in result.stderr


@pytest.mark.parametrize(("year", "today", "ok"), [(2025, "2026-12-02", True), (2026, "2026-12-02", True),
                                                   (2024, "2026-12-02", False), (2024, "2025-06-01", True)])
def test_freshness_guard_refuses_a_year_older_than_the_previous_calendar_year(year, today, ok):
    result = _guard("fresh", str(year), "--today", today)
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "stale" in result.stderr


def test_assemble_keeps_earlier_years_and_points_the_root_index_to_the_newest(tmp_path):
    site = tmp_path / "site"
    assert _guard("assemble", site, _built_year(tmp_path / "a", 2024, "v1")).returncode == 0
    assert _guard("assemble", site, _built_year(tmp_path / "b", 2025, "v1")).returncode == 0
    result = _guard("assemble", site, _built_year(tmp_path / "c", 2025, "v2"))  # the same year, built again
    assert result.returncode == 0, result.stderr
    assert (site / "2024" / "departements" / "12-aveyron.pdf").read_bytes() == b"v1"  # a published address keeps its meaning
    assert (site / "2025" / "departements" / "12-aveyron.pdf").read_bytes() == b"v2"
    assert not (site / "2025" / "_html").exists()
    root = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="2025/index.html">Les fiches les plus récentes : données 2025' in root
    assert 'href="2024/index.html">Données 2024' in root and "Données 2025</a></li>" not in root
    assert sorted(p.name for p in site.iterdir()) == [".nojekyll", "2024", "2025", "index.html"]


def test_assemble_refuses_a_folder_that_is_not_a_built_year(tmp_path):
    (tmp_path / "out" / "latest").mkdir(parents=True)
    result = _guard("assemble", tmp_path / "site", tmp_path / "out" / "latest")
    assert result.returncode == 1 and "not a built year folder" in result.stderr

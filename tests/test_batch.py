"""Many factsheets: parallel workers with shared région/France work, the index and the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fiches.build import batch
from fiches.config import Settings
from fiches.reference.geography import FRANCE, departement, region

pytestmark = pytest.mark.slow

# Two départements of one région (Occitanie: Aveyron, Lot) and one of another (Ain).
CODES = ("12", "46", "01")


def _figures(sidecar: dict) -> dict:
    """Everything a reader sees, without the build key (which names the run's inputs)."""
    return {k: v for k, v in sidecar.items() if k != "build_key"}


@pytest.fixture(scope="module")
def parallel(sample_settings: Settings, tmp_path_factory) -> tuple[Path, batch.Report]:
    out = tmp_path_factory.mktemp("parallel")
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    try:
        territories = [departement(c) for c in CODES] + [region("12"), FRANCE]
        report = batch.build(sample_settings, territories, year=None, source="sample", out_dir=out, jobs=2)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out, report


def test_parallel_build_matches_a_single_process_build(parallel, sample_settings, tmp_path):
    out, report = parallel
    assert [o.status for o in report.outcomes] == ["built"] * 5, report.outcomes
    assert [o.code for o in report.outcomes] == ["12", "46", "01", "R76", "FR"]
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    try:
        single = batch.build(sample_settings, [departement("46")], year=None, source="sample", out_dir=tmp_path, jobs=1)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert single.count("built") == 1
    name = "2024/departements/46-lot.json"
    shared = json.loads((out / name).read_text(encoding="utf-8"))
    alone = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    # The région and France Sankeys drawn once by the parent are the ones a lone build draws.
    assert _figures(shared) == _figures(alone)
    assert shared["region"]["name"] == "Occitanie"
    # Built at another moment, by another process: the same bytes (SOURCE_DATE_EPOCH is the only date).
    for suffix in (".pdf", ".xlsx", ".html"):
        assert (out / name).with_suffix(suffix).read_bytes() == (tmp_path / name).with_suffix(suffix).read_bytes(), suffix


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        if tag == "td" or (tag == "th" and attrs.get("scope") == "row"):  # the territory is its row's header
            self._cell = []
        if tag == "a":
            self.links.append(attrs["href"])
        for key in ("src", "href"):
            if key in attrs and attrs[key] and "://" in attrs[key]:
                self.external.append(attrs[key])
        if tag == "link":
            self.external.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_index_lists_every_factsheet_with_its_figures_and_files(parallel):
    out, _ = parallel
    year = out / "2024"
    page = (year / "index.html").read_text(encoding="utf-8")
    table = _Table()
    table.feed(page)
    rows = [r for r in table.rows if r]
    # Readers' codes: Occitanie is INSEE's 76 (DGDDI's 12 stays internal).
    assert [(r[0], r[2]) for r in rows] == [("FR", "France"), ("76", "Région"), ("01", "Département"), ("12", "Département"), ("46", "Département")]
    assert table.external == [], "the index must be self-contained"
    assert "default-src 'none'" in page and "Échantillon synthétique" in page
    for row, pattern in zip(rows, ["france/FR-*.json", "regions/76-*.json", "departements/01-*.json", "departements/12-*.json", "departements/46-*.json"]):
        sidecar = json.loads(next(year.glob(pattern)).read_text(encoding="utf-8"))
        assert row[3] == sidecar["exports"]["total"].replace("\u00a0", " ").replace("\u202f", " ") or sidecar["exports"]["total"] in page
        assert sidecar["balance"] in page
    for link in table.links:
        if link != "manifest.json" and not link.startswith("#"):
            assert (year / link).is_file(), link
    assert {Path(link).suffix for link in table.links} >= {".pdf", ".json", ".xlsx"}


def test_manifest_has_every_file_with_size_and_sha256_and_the_provenance(parallel):
    out, _ = parallel
    year = out / "2024"
    manifest = json.loads((year / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(year).as_posix() for p in year.rglob("*") if p.is_file() and not p.name.startswith(".")} - {"manifest.json"}
    assert set(listed) == on_disk and "index.html" in listed
    for path, entry in listed.items():
        data = (year / path).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    # A file changed since the last manifest is hashed again, not taken from the hash cache.
    from fiches.build import index

    page = year / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</html>", "</html>\n"), encoding="utf-8")
    index.write_manifest(year, 2024, manifest["provenance"])
    again = {f["path"]: f for f in json.loads((year / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assert again["index.html"]["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest() != listed["index.html"]["sha256"]
    provenance = manifest["provenance"]
    assert provenance["source"] == "sample" and provenance["is_sample"] is True and provenance["year"] == 2024
    assert all(len(a["sha256"]) == 64 for a in provenance["archives"])


def test_a_failing_departement_does_not_stop_the_others(sample_settings, tmp_path, monkeypatch):
    from fiches import errors
    from fiches.render import pdf

    original = pdf.write_pdf

    def fail_for_lot(path, data):
        if "46-lot" in str(path):
            raise errors.RenderError("disque plein (simulé)")
        return original(path, data)

    monkeypatch.setattr(pdf, "write_pdf", fail_for_lot)
    report = batch.build(sample_settings, [departement(c) for c in ("46", "12")], year=None, source="sample", out_dir=tmp_path)
    assert {o.code: o.status for o in report.outcomes} == {"46": "failed", "12": "built"}
    assert "disque plein" in report.failed[0].reason
    assert not list(tmp_path.rglob("46-lot.*")), "nothing half-written for the failed one"
    assert "12-aveyron.pdf" in (tmp_path / "2024" / "index.html").read_text(encoding="utf-8")


def test_region_and_france_factsheets_list_their_parts_and_sum_up(parallel):
    out, _ = parallel
    year = out / "2024"
    occitanie = json.loads((year / "regions" / "76-occitanie.json").read_text(encoding="utf-8"))
    france = json.loads((year / "france" / "FR-france.json").read_text(encoding="utf-8"))
    aveyron = json.loads((year / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    for flow in ("exports", "imports"):
        members = occitanie["members"]
        assert sum(m[flow] for m in members) == occitanie[flow]["total_eur"]
        assert sum(m[flow] for m in france["members"]) == france[flow]["total_eur"]
        assert next(m for m in members if m["code"] == "12")[flow] == aveyron[flow]["total_eur"]
        assert next(m for m in france["members"] if m["code"] == "76")[flow] == occitanie[flow]["total_eur"]
        assert france[flow]["france_share_pct"] == 100.0
        assert occitanie[flow]["france_share_pct"] == pytest.approx(100 * occitanie[flow]["total_eur"] / france[flow]["total_eur"])
    assert {m["code"] for m in occitanie["members"]} >= {"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"}
    assert len(france["members"]) == 18 and occitanie["region"] is None
    # A région compares itself with France; France has no comparison with itself.
    assert set(occitanie["charts_alt_text"]) >= {"exports_france", "imports_france"}
    assert not {"exports_france", "exports_region"} & set(france["charts_alt_text"])


def test_the_command_process_imports_no_drawing_library():
    """The command of a parallel build only reads data and schedules: its workers import what draws."""
    code = (
        "import sys, fiches.cli, fiches.build.batch, fiches.render.assets\n"
        "heavy = [m for m in ('matplotlib', 'openpyxl', 'weasyprint', 'kaleido', 'plotly', 'fiches.render.pdf', "
        "'fiches.render.workbook', 'fiches.charts.export', 'fiches.charts.factsheet', 'fiches.build.worker') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_fork_server_leaves_at_once_when_the_command_has():
    """Its teardown (0.4 s with every worker module loaded) kept the command's output open after it ended."""
    from fiches.build import pool

    assert "fiches.build.serverexit" in pool.WORKER_MODULES
    script = "import atexit; atexit.register(print, 'torn down'); import fiches.build.serverexit; print('bye', flush=True); raise SystemExit"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "bye\n")  # the handlers registered before it never ran

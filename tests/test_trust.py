"""The data folder as a trustworthy store: never a silently wrong figure, never lost data.

One test (at least) per class of defect an adversarial review found: provisional figures over
final ones, rejected rows, double counting, unlike periods compared, overflowing sums, damaged
caches, archives overwritten, sample factsheets over real ones, half-done moves, concurrent
fetches, and errors that were tracebacks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import TINY_EXPORT, TINY_IMPORT, customs_zip, make_zip, send, snapshot
from test_reliability import _fiches, _lines, _one_error_line

from fiches import atomic
from fiches.build import batch
from fiches.config import Settings
from fiches.errors import DataError, FetchError, UsageError
from fiches.reference.geography import departement
from fiches.sources import ingest, lock
from fiches.sources.douanes import MAX_FILE_VALUE, parse_data_file
from fiches.sources.sample import label_files
from fiches.sources.selection import select
from fiches.sources.store import load_manifest, read_year

#: Imports with all four quarters (TINY_IMPORT has no third quarter).
FULL_IMPORT = TINY_IMPORT + "I;3;2024;12;12;C29A;2910;DE;300000;3\r\n"


def _annual(tmp_path: Path, year: int = 2024, factor: int = 1, *, imports: str = FULL_IMPORT, name: str = "") -> list[Path]:
    files = []
    for flow, rows in (("export", TINY_EXPORT), ("import", imports)):
        lines = [line.split(";") for line in rows.split("\r\n") if line]
        text = "".join(";".join([*f[:2], str(year), *f[3:8], str(int(f[8]) * factor), f[9]]) + "\r\n" for f in lines)
        path = tmp_path / f"{name}{year + 1}02-Regional-{year}-{flow}.zip"
        path.write_bytes(customs_zip(year, flow, text))
        files.append(path)
    return files


def _rolling(tmp_path: Path, rows: dict[str, str], name: str = "derniere-publication-CPF4PAYS.zip") -> Path:
    members = {f"REGIONAL_CPF4PAYS{flow}.txt": text.encode() for flow, text in rows.items()}
    members.update(label_files())
    path = tmp_path / name
    path.write_bytes(make_zip(members))
    return path


def _totals(settings: Settings, year: int) -> dict[str, int]:
    table = read_year(load_manifest(settings.data_dir), year, is_sample=False).table
    return {flow: int(table[table.flow == flow].value.sum()) for flow in ("E", "I")}


def _rows_total(text: str, year: int | None = None) -> int:
    return sum(int(f[8]) for f in (line.split(";") for line in text.split("\r\n") if line) if year is None or int(f[2]) == year)


# -- provisional never replaces final ----------------------------------------------------------


ROLLING_ROWS = {
    # The fourth quarter of 2024, provisional and larger, then three quarters of 2025.
    "E": "E;4;2024;12;12;C29A;2910;DE;9999999;1\r\nE;1;2025;12;12;C29A;2910;DE;1000000;1\r\nE;2;2025;12;12;C29A;2910;DE;2000000;1\r\n"
         "E;3;2025;12;12;C29A;2910;DE;3000000;1\r\n",
    "I": "I;4;2024;12;12;C29A;2910;DE;8888888;1\r\nI;1;2025;12;12;C29A;2910;DE;400000;1\r\nI;2;2025;12;12;C29A;2910;DE;500000;1\r\n"
         "I;3;2025;12;12;C29A;2910;DE;600000;1\r\n",
}


@pytest.mark.parametrize("order", ["annual-first", "rolling-first"])
def test_provisional_figures_never_replace_final_ones_whatever_the_order(settings, tmp_path, order):
    annual, rolling = _annual(tmp_path), _rolling(tmp_path, ROLLING_ROWS)
    steps = [annual, [rolling]] if order == "annual-first" else [[rolling], annual]
    for files in steps:
        ingest.fetch(settings, files=files)
    assert _totals(settings, 2024) == {"E": _rows_total(TINY_EXPORT), "I": _rows_total(FULL_IMPORT)}
    manifest = load_manifest(settings.data_dir)
    assert manifest.years["2024"]["final"] and manifest.years["2024"]["complete"]
    # The rolling data fill the quarters no annual file covers: 2025, provisional.
    assert _totals(settings, 2025) == {"E": 6_000_000, "I": 1_500_000}
    assert not manifest.years["2025"]["final"] and manifest.year_quarters(2025) == {"E": [1, 2, 3], "I": [1, 2, 3]}
    # Each publication is a dataset of its own, with its vintage; the build takes the final year.
    kinds = sorted((d["kind"], d["vintage"]) for d in manifest.datasets.values())
    assert kinds[0] == ("annual", "2025-02") and kinds[-1][0] == "rolling"
    selected = select(settings, "douanes")
    assert selected.current.year == 2024
    assert {s["kind"] for items in selected.current.meta["sources"].values() for s in items} == {"annual"}


def test_a_factsheet_says_which_publication_each_figure_comes_from(settings, tmp_path):
    ingest.fetch(settings, files=[*_annual(tmp_path), _rolling(tmp_path, ROLLING_ROWS)])
    out = tmp_path / "out"
    report = batch.build(settings, [departement("12")], year=2025, source="douanes", out_dir=out)
    assert report.count("built") == 1, report.outcomes
    origin = json.loads((out / "2025" / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))["provenance"]
    assert not origin["final"] and {p["kind"] for p in origin["publications"]} == {"rolling"}
    assert [p["quarters"] for p in origin["publications"]] == [[1, 2, 3], [1, 2, 3]]
    text = subprocess.run(["pdftotext", str(out / "2025" / "departements" / "12-aveyron.pdf"), "-"], capture_output=True, text=True).stdout
    assert "données provisoires" in " ".join(text.split())


# -- rejected rows -------------------------------------------------------------------------------


def test_rows_of_unknown_départements_worth_more_than_the_threshold_refuse_the_fetch(cli, settings, tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(customs_zip(data=TINY_EXPORT + "E;1;2024;ZZ;12;C29A;2910;DE;500000;1\r\n"))
    result = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir)
    _one_error_line(result, 4, "1 ligne(s) invalide(s)", "500\u202f000", "lignes 8", "--accept-bad-rows")
    assert snapshot(settings.data_dir) == {}
    accepted = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir, "--accept-bad-rows")
    assert accepted.exit_code == 0, accepted.stderr
    (dataset,) = load_manifest(settings.data_dir).datasets.values()
    assert dataset["bad_rows"] == 1 and dataset["bad_value"] == 500_000


def test_rows_set_aside_are_stated_in_the_manifest_the_json_and_the_factsheet(settings, tmp_path):
    export, import_ = _annual(tmp_path)
    export.write_bytes(customs_zip(data=TINY_EXPORT + "E;1;2024;ZZ;12;C29A;2910;DE;5;1\r\n"))  # 5 € of 7.75 M€: under the threshold
    ingest.fetch(settings, files=[export, import_])
    out = tmp_path / "out"
    batch.build(settings, [departement("12")], year=None, source="douanes", out_dir=out)
    document = json.loads((out / "2024" / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    assert document["provenance"]["bad_rows"] == 1 and document["provenance"]["bad_value"] == 5
    text = " ".join(subprocess.run(["pdftotext", str(out / "2024" / "departements" / "12-aveyron.pdf"), "-"],
                                   capture_output=True, text=True).stdout.split())
    assert "Lignes écartées" in text and "1 ligne invalide" in text
    manifest = json.loads((out / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["provenance"]["bad_rows"] == 1


def test_a_line_repeated_under_another_région_is_a_bad_row_not_a_second_copy():
    repeated = TINY_EXPORT + "E;1;2024;12;18;C29A;2910;DE;1000000;10\r\n"  # line 1 again, under Auvergne-Rhône-Alpes
    parsed = parse_data_file(repeated.encode(), "f.txt", expected_year=2024, expected_flow="E")
    assert [(row.line, "région" in row.reason) for row in parsed.bad_rows] == [(8, True)]
    assert parsed.total_value == _rows_total(TINY_EXPORT) and parsed.bad_listed == 1


# -- like for like ---------------------------------------------------------------------------------


def _half_year(tmp_path: Path) -> list[Path]:
    """2024's first two quarters only."""
    files = []
    for flow, rows in (("export", TINY_EXPORT), ("import", FULL_IMPORT)):
        text = "".join(line + "\r\n" for line in rows.split("\r\n") if line and line.split(";")[1] in ("1", "2"))
        path = tmp_path / f"half-2024-{flow}.zip"
        path.write_bytes(customs_zip(2024, flow, text))
        files.append(path)
    return files


def test_a_partial_year_is_compared_with_the_same_quarters_of_the_year_before(settings, tmp_path):
    ingest.fetch(settings, files=_annual(tmp_path, 2023, factor=2))
    ingest.fetch(settings, files=_half_year(tmp_path))
    selected = select(settings, "douanes", 2024)
    assert selected.previous is not None and selected.previous.meta["quarters"] == {"E": [1, 2], "I": [1, 2]}
    from fiches import __version__
    from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance

    trade = TradeYear(selected.current, selected.previous)
    fs = factsheet(trade, departement("12"), provenance(trade, __version__, "2026-12-01T00:00:00+00:00"), Comparisons(trade))
    first_half_2023 = 2 * (1_000_000 + 500_000 + 250_000)  # Aveyron's exports of Q1 and Q2, doubled for 2023
    assert fs.exports.change.previous == first_half_2023 and fs.exports.change.basis == "T1–T2 2023"
    assert fs.trends.basis == "T1–T2 2023"


def test_no_change_is_shown_when_the_year_before_lacks_those_quarters(settings, tmp_path):
    ingest.fetch(settings, files=_half_year(tmp_path))
    later = tmp_path / "later"
    later.mkdir()
    # 2023 with imports of the first quarter only: the second is missing.
    imports = "".join(line + "\r\n" for line in FULL_IMPORT.split("\r\n") if line and line.split(";")[1] == "1")
    ingest.fetch(settings, files=_annual(later, 2023, imports=imports))
    selected = select(settings, "douanes", 2024)
    assert selected.previous is None and "ne sont pas tous disponibles pour 2023" in selected.comparison_note


# -- sums that overflow ----------------------------------------------------------------------------


def test_implausible_magnitudes_are_bad_rows_and_a_file_cannot_overflow_its_sums():
    huge = parse_data_file(b"E;1;2024;12;12;C29A;2910;DE;10000000000000;1\r\n" + TINY_EXPORT.encode(), "f.txt")
    assert [("vraisemblance" in row.reason) for row in huge.bad_rows] == [True]
    countries = [f"{a}{b}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    rows = "".join(f"E;{q};2024;12;12;C29A;2910;{c};999999999999;1\r\n" for c in countries for q in (1, 2))
    assert 2 * len(countries) * 999_999_999_999 > MAX_FILE_VALUE
    with pytest.raises(FetchError, match="vraisemblance"):
        parse_data_file(rows.encode(), "f.txt")


# -- cache integrity --------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["flipped-bytes", "truncated"])
def test_a_damaged_cache_is_reported_in_one_line_and_fetch_repairs_it(cli, settings, tmp_path, damage):
    files = _annual(tmp_path)
    ingest.fetch(settings, files=files)
    cache = settings.cache_dir / "douanes-2024.parquet"
    data = bytearray(cache.read_bytes())
    if damage == "flipped-bytes":
        data[len(data) // 2] ^= 0xFF
    else:
        del data[len(data) // 3:]
    cache.write_bytes(bytes(data))
    with pytest.raises(DataError, match="fiches fetch --rebuild"):
        select(settings, "douanes")
    result = cli("build", "12", "--source", "douanes", "--data-dir", settings.data_dir, "--out", tmp_path / "out")
    _one_error_line(result, 4, "modifié depuis son écriture", "fiches fetch --rebuild")
    repaired = cli("fetch", *sum((["--from-file", f] for f in files), []), "--data-dir", settings.data_dir)
    assert repaired.exit_code == 0 and "cache altéré" in repaired.stderr, repaired.stderr
    assert _totals(settings, 2024)["E"] == _rows_total(TINY_EXPORT)
    cache.write_bytes(cache.read_bytes()[:100])
    assert cli("fetch", "--rebuild", "--data-dir", settings.data_dir).exit_code == 0
    assert _totals(settings, 2024)["E"] == _rows_total(TINY_EXPORT)


def test_a_304_with_a_damaged_cache_repairs_instead_of_crashing(settings, server):
    body = customs_zip(data=TINY_EXPORT)

    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            send(handler, body, headers={"ETag": '"v1"'})

    server.routes["/e.zip"] = conditional
    ingest.fetch(settings, urls=[server.url("/e.zip")])
    (settings.cache_dir / "labels.json").write_text("[]", encoding="utf-8")  # the wrong shape, and other bytes
    result = ingest.fetch(settings, urls=[server.url("/e.zip")])
    assert any("cache altéré" in note for note in result.notes)
    assert _totals(settings, 2024)["E"] == _rows_total(TINY_EXPORT)


@pytest.mark.parametrize("content", ["[]", '{"format": 2, "years": []}', '{"format": 2, "cache": {"x": 1}}', "{pas du json"])
def test_a_manifest_of_the_wrong_shape_is_one_line(cli, settings, tmp_path, content):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "manifest.json").write_text(content, encoding="utf-8")
    result = cli("build", "12", "--source", "douanes", "--data-dir", settings.data_dir, "--out", tmp_path / "out")
    _one_error_line(result, 4, "manifeste")


# -- data that must never be lost -------------------------------------------------------------------


def test_a_revised_archive_under_the_same_name_is_a_new_vintage_and_the_old_one_is_kept(settings, server):
    bodies = [customs_zip(data=TINY_EXPORT), customs_zip(data=TINY_EXPORT.replace("1000000", "1000007"))]
    server.routes["/202502-Regional-2024-export.zip"] = lambda h: send(h, bodies[min(server.hits["/202502-Regional-2024-export.zip"], 2) - 1])
    url = server.url("/202502-Regional-2024-export.zip")
    ingest.fetch(settings, urls=[url])
    result = ingest.fetch(settings, urls=[url])
    assert any(note.startswith("révision de 202502-Regional-2024-export.zip") for note in result.notes)
    manifest = load_manifest(settings.data_dir)
    assert len(manifest.archives) == 2 and len(list(settings.raw_dir.glob("*.zip"))) == 2  # nothing cited disappears
    assert _totals(settings, 2024)["E"] == _rows_total(TINY_EXPORT) + 7  # the revision's figures


def test_two_archives_with_the_same_name_from_two_folders_are_both_kept(settings, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "export.zip").write_bytes(customs_zip(2023, "export", TINY_EXPORT.replace(";2024;", ";2023;")))
    (second / "export.zip").write_bytes(customs_zip(2024, "export"))
    ingest.fetch(settings, files=[first / "export.zip", second / "export.zip"])
    assert len(list(settings.raw_dir.glob("*.zip"))) == 2
    assert load_manifest(settings.data_dir).available_years() == [2023, 2024]


def test_a_sample_build_never_overwrites_factsheets_built_from_customs_data(settings, sample_settings, tmp_path, monkeypatch):
    ingest.fetch(settings, files=_annual(tmp_path))
    out = tmp_path / "out"
    batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=out)
    before = snapshot(out)
    with pytest.raises(UsageError, match="l'échantillon synthétique n'y est pas écrit"):
        batch.build(sample_settings, [departement("12")], year=2024, source="sample", out_dir=out)
    empty = Settings(data_dir=tmp_path / "nothing")  # auto, no usable data: it would fall back to the sample
    monkeypatch.setattr(batch, "prepare", lambda *args: "pas de réseau")
    with pytest.raises(UsageError):
        batch.build(empty, [departement("12")], year=2024, source="auto", out_dir=out)
    assert snapshot(out) == before


# -- half-done moves ----------------------------------------------------------------------------


def _set(folder: Path, content: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"12-aveyron{suffix}" for suffix in (".xlsx", ".pdf", ".html", ".json")]
    for path in paths:
        path.write_text(f"{content} {path.suffix}", encoding="utf-8")
    return paths


def _commit(folder: Path, content: str) -> None:
    with atomic.Transaction() as txn:
        for suffix in (".xlsx", ".pdf", ".html", ".json"):
            txn.stage(folder / f"12-aveyron{suffix}").write_text(f"{content} {suffix}", encoding="utf-8")


def test_a_rename_that_fails_half_way_puts_the_previous_set_back(tmp_path, monkeypatch):
    folder = tmp_path / "departements"
    _set(folder, "ancien")
    before = snapshot(folder)
    real, calls = os.replace, []

    def failing(source, target):
        calls.append(target)
        if len(calls) == 7:  # four moved aside, two new ones in place, then the third fails
            raise PermissionError(13, "Permission non accordée", str(target))
        return real(source, target)

    monkeypatch.setattr(atomic.os, "replace", failing)
    with pytest.raises(PermissionError):
        _commit(folder, "nouveau")
    monkeypatch.setattr(atomic.os, "replace", real)
    assert snapshot(folder) == before  # the old set, whole; no .part, no journal


def test_a_commit_cut_short_by_a_crash_is_rolled_back_by_the_next_run(tmp_path, monkeypatch):
    folder = tmp_path / "departements"
    _set(folder, "ancien")
    before = snapshot(folder)
    real, calls = os.replace, []

    def failing(source, target):
        calls.append(target)
        if len(calls) == 6:
            raise OSError(28, "No space left on device")
        return real(source, target)

    def killed(entries):
        raise SystemExit("kill -9")  # the process dies before it could put anything back

    monkeypatch.setattr(atomic.os, "replace", failing)
    monkeypatch.setattr(atomic, "_roll_back", killed)
    with pytest.raises(SystemExit):
        _commit(folder, "nouveau")
    monkeypatch.undo()
    assert snapshot(folder) != before and list(folder.glob(".*.journal"))  # a mixed set, and its journal
    assert atomic.remove_stale_parts(folder) >= 0
    assert snapshot(folder) == before


def test_a_commit_cut_short_after_every_file_was_in_place_is_finished(tmp_path, monkeypatch):
    folder = tmp_path / "departements"
    _set(folder, "ancien")
    monkeypatch.setattr(atomic, "_finish", lambda entries: (_ for _ in ()).throw(SystemExit("kill -9")))
    with pytest.raises(SystemExit):
        _commit(folder, "nouveau")
    monkeypatch.undo()
    atomic.remove_stale_parts(folder)
    assert sorted(snapshot(folder).values()) == sorted(f"nouveau {s}".encode() for s in (".html", ".json", ".pdf", ".xlsx"))


def test_a_directory_in_the_way_of_a_factsheet_leaves_its_previous_files(settings, tmp_path):
    ingest.fetch(settings, files=_annual(tmp_path))
    out = tmp_path / "out"
    batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=out)
    folder = out / "2024" / "departements"
    (folder / "12-aveyron.html").unlink()
    (folder / "12-aveyron.html").mkdir()  # in the way
    before = snapshot(folder)
    report = batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=out, force=True)
    assert report.count("failed") == 1 and "dossier" in report.failed[0].reason
    assert snapshot(folder) == before and not list(folder.glob(".*"))


def test_a_fetch_whose_last_rename_fails_leaves_the_data_folder_as_it_was(settings, tmp_path, monkeypatch):
    ingest.fetch(settings, files=_annual(tmp_path, 2023))
    before = snapshot(settings.data_dir)
    real, failed = os.replace, []

    def failing(source, target):
        if str(target).endswith("manifest.json") and not failed:
            failed.append(target)
            raise OSError(28, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(atomic.os, "replace", failing)
    with pytest.raises(FetchError, match="disque plein"):
        ingest.fetch(settings, files=_annual(tmp_path, 2024))
    assert snapshot(settings.data_dir) == before


# -- concurrency -------------------------------------------------------------------------------------


def test_a_second_fetch_is_refused_and_leaves_the_first_ones_temporaries(settings, tmp_path):
    files = _annual(tmp_path)
    with lock.fetching(settings.data_dir):
        part = settings.data_dir / "raw" / ".e.zip.1234.part"
        part.parent.mkdir(parents=True)
        part.write_bytes(b"a download in progress")
        with pytest.raises(FetchError, match="une autre récupération est en cours"):
            ingest.fetch(settings, files=files)
        assert part.read_bytes() == b"a download in progress"
        with pytest.raises(FetchError, match="une récupération est en cours"):
            batch.build(settings, [departement("12")], year=None, source="douanes", out_dir=tmp_path / "out")


def test_a_fetch_is_refused_while_a_build_reads_the_data_folder(settings, tmp_path):
    ingest.fetch(settings, files=_annual(tmp_path, 2023))
    with lock.reading(settings.data_dir):
        with pytest.raises(FetchError, match="en cours de construction"):
            ingest.fetch(settings, files=_annual(tmp_path))
    ingest.fetch(settings, files=_annual(tmp_path))  # released with the build
    assert load_manifest(settings.data_dir).available_years() == [2023, 2024]


def test_a_fetch_in_another_process_is_refused_too(settings, tmp_path):
    files = _annual(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from fiches.sources import lock\n"
         "with lock.fetching(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)", str(settings.data_dir)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FetchError, match="une autre récupération est en cours"):
            ingest.fetch(settings, files=files)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    ingest.fetch(settings, files=files)  # a killed holder releases the lock


# -- errors that must be one clear line ----------------------------------------------------------


def test_square_brackets_in_user_or_file_text_are_printed_as_they_are(cli, tmp_path):
    folder = tmp_path / "[bold]données[/]"
    result = cli("build", "12", "--source", "douanes", "--data-dir", folder, "--out", tmp_path / "out")
    line = _one_error_line(result, 4, "aucune donnée")
    result = cli("fetch", "--from-file", tmp_path / "[/x]" / "a.zip", "--data-dir", folder)
    assert "[/x]" in _one_error_line(result, 2, "fichier introuvable")
    assert line


@pytest.mark.parametrize("url", ["http://", "http://[::1/x", "ftp://example.org/a.zip", "http://127.0.0.1:99999/a.zip"])
def test_malformed_urls_are_usage_errors_not_disk_errors(cli, settings, url):
    result = cli("fetch", "--url", url, "--data-dir", settings.data_dir)
    line = _one_error_line(result, 2, "URL")
    assert "écriture" not in line


def test_a_data_folder_that_is_a_file_is_one_line(cli, tmp_path):
    data = tmp_path / "data"
    data.write_text("pas un dossier", encoding="utf-8")
    archive = tmp_path / "a.zip"
    archive.write_bytes(customs_zip())
    _one_error_line(cli("fetch", "--from-file", archive, "--data-dir", data), 2, "est un fichier")
    _one_error_line(cli("build", "12", "--source", "sample", "--data-dir", data, "--out", tmp_path / "out"), 2, "est un fichier")


def test_an_encrypted_member_is_refused(settings, tmp_path):
    archive = tmp_path / "chiffre.zip"
    raw = bytearray(customs_zip())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central headers' flags
        start = raw.find(signature)
        while start != -1:
            raw[start + offset] |= 0x1  # declared encrypted, as a password-protected zip's members are
            start = raw.find(signature, start + 4)
    archive.write_bytes(bytes(raw))
    with pytest.raises(FetchError, match="chiffré"):
        ingest.fetch(settings, files=[archive])
    assert snapshot(settings.data_dir) == {}


@pytest.mark.slow
def test_a_département_with_an_empty_flow_gets_its_factsheet_with_a_sentence(settings, tmp_path):
    export, _ = _annual(tmp_path)
    imports = tmp_path / "i.zip"
    imports.write_bytes(customs_zip(2024, "import", "".join(line + "\r\n" for line in FULL_IMPORT.split("\r\n") if line and ";01;" not in line)))
    ingest.fetch(settings, files=[export, imports])
    out = tmp_path / "out"
    report = batch.build(settings, [departement("01")], year=2024, source="douanes", out_dir=out)
    assert report.count("built") == 1, report.outcomes
    text = " ".join(subprocess.run(["pdftotext", str(out / "2024" / "departements" / "01-ain.pdf"), "-"], capture_output=True, text=True).stdout.split())
    assert "Aucune importation de l’Ain n’est recensée dans les données 2024" in text


def _chromium_folders() -> set[str]:
    import tempfile

    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith(("tmp", "kaleido", ".org.chromium"))}


@pytest.mark.slow
def test_sigterm_ends_a_build_in_one_line_and_leaves_no_browser_folder(sample_settings, tmp_path):
    before = _chromium_folders()
    process = _fiches("build", "12", "46", "81", "82", "--jobs", "1", "--source", "sample", "--out", tmp_path / "out",
                      "--data-dir", sample_settings.data_dir)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("*/departements/12-aveyron.pdf")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and [line for line in _lines(stderr) if "interrompu" in line], stderr
    time.sleep(1)
    assert _chromium_folders() <= before


@pytest.mark.slow
def test_ctrl_c_while_workers_start_prints_no_traceback(sample_settings, tmp_path):
    process = _fiches("build", "--all", "--jobs", "2", "--source", "sample", "--out", tmp_path / "out",
                      "--data-dir", sample_settings.data_dir)
    time.sleep(3)  # the fork server's imports and the workers' set-up
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]


#: `fiches build`, with the SIGTERM arriving while WeasyPrint draws the first SVG, which it does under
#: `except BaseException`: the interruption is caught and logged there, not raised.
_SIGTERM_IN_AN_SVG = """
import os, signal, sys
from weasyprint.svg import SVG
draw = SVG.draw
def draw_once_then_stop(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return draw(self, *args, **kwargs)
SVG.draw = draw_once_then_stop
from fiches.cli import main
sys.argv = ["fiches", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_an_interruption_weasyprint_swallows_still_stops_the_build(sample_settings, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", _SIGTERM_IN_AN_SVG, "build", "12", "46", "--jobs", "1", "--source", "sample",
                           "--out", str(out), "--data-dir", str(sample_settings.data_dir)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "Traceback" not in done.stderr and [line for line in _lines(done.stderr) if "interrompu" in line], done.stderr
    assert not list(out.glob("*/departements/*.pdf")), "a factsheet drawn without its chart was written"


def test_an_image_weasyprint_cannot_draw_fails_the_pdf():
    """WeasyPrint logs a chart it cannot draw and goes on: the PDF would have a hole where the chart was."""
    from fiches.charts.chart import Chart
    from fiches.errors import RenderError
    from fiches.render import pdf

    html = '<html lang="fr"><head><title>t</title></head><body><img src="charts/c.svg" alt="un graphique"></body></html>'
    good = Chart("c", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>', "c")
    assert pdf.pdf_bytes(html, "a", {"c": good}).startswith(b"%PDF")
    with pytest.raises(RenderError, match="PDF incomplet"):
        pdf.pdf_bytes(html, "a", {"c": Chart("c", "<svg><rect", "c")})


def test_an_interruption_recorded_while_a_library_ran_is_raised_again(monkeypatch):
    from fiches import errors
    from fiches.render import pdf

    monkeypatch.setattr(errors, "_received", [signal.SIGTERM])
    html = '<html lang="fr"><head><title>t</title></head><body><p>Une fiche.</p></body></html>'
    with pytest.raises(errors.Interrupted) as raised:
        pdf.pdf_bytes(html, "a", {})
    assert raised.value.signum == signal.SIGTERM


def test_a_lock_held_by_a_thread_of_this_process_is_released_on_error(settings):
    """flock is per open file: a failed fetch must close its handle, or the folder stays locked."""
    with pytest.raises(UsageError):
        ingest.fetch(settings, files=[settings.data_dir / "absent.zip"])
    done = threading.Event()

    def take():
        with lock.fetching(settings.data_dir):
            done.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(5)
    assert done.is_set()


def test_an_interruption_python_can_only_drop_is_not_printed(monkeypatch):
    """A signal that lands in a weakref callback or a finalizer is dropped by Python with a traceback on
    stderr ("Exception ignored in"); it is recorded and raised again later, so it is kept silent."""
    import gc
    import weakref

    from fiches import errors

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", errors.quiet_unraisable(reported.append))

    class Thing:
        pass

    def interrupted(_):
        raise errors.Interrupted(signal.SIGTERM)

    def broken(_):
        raise ValueError("a real bug")

    for callback in (interrupted, broken):
        thing = Thing()
        ref = weakref.ref(thing, callback)  # noqa: F841 - kept alive until the object goes
        del thing
        gc.collect()
    assert [type(u.exc_value) for u in reported] == [ValueError]

"""Downloads and archive checks against a local server on 127.0.0.1; never the internet."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from conftest import customs_zip, make_zip, send, snapshot

from fiches.config import Limits, Network, Settings
from fiches.errors import FetchError
from fiches.sources import ingest
from fiches.sources.archive import SafeArchive
from fiches.sources.store import available_years, load_manifest, sha256_file

FAST = Network(connect_timeout=2.0, read_timeout=2.0, attempts=3, backoff=0.05, deadline=20.0)


def _fetch(settings: Settings, *urls: str, **kwargs):
    return ingest.fetch(settings, urls=list(urls), network=FAST, **kwargs)


def test_good_archive_is_ingested_with_a_manifest(settings, server):
    body = customs_zip()
    server.routes["/e.zip"] = lambda h: send(h, body, headers={"ETag": '"v1"', "Last-Modified": "Mon, 03 Feb 2025 10:00:00 GMT"})
    _fetch(settings, server.url("/e.zip"))
    (sha, entry), = load_manifest(settings.data_dir).archives.items()
    (origin,) = entry["sources"]
    assert entry["size"] == len(body) and origin["etag"] == '"v1"' and len(sha) == 64 and entry["names"] == ["e.zip"]
    assert origin["last_modified"].startswith("Mon") and origin["fetched_at"]
    assert (settings.raw_dir / f"{sha}.zip").read_bytes() == body  # kept by content
    assert available_years(settings.data_dir) == [2024]
    assert "fiches/" in server.requests[0]["User-Agent"]


def test_second_fetch_with_nothing_new_downloads_nothing(settings, server):
    body = customs_zip()

    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            send(handler, body, headers={"ETag": '"v1"'})

    server.routes["/e.zip"] = conditional
    _fetch(settings, server.url("/e.zip"), year=2024)
    before = snapshot(settings.data_dir)
    result = _fetch(settings, server.url("/e.zip"), year=2024)
    assert result.unchanged
    assert snapshot(settings.data_dir) == before


def test_server_error_then_success_is_retried(settings, server):
    body = customs_zip()
    calls = {"n": 0}

    def flaky(handler):
        calls["n"] += 1
        if calls["n"] < 3:
            send(handler, b"oops", status=503, content_type="text/plain")
        else:
            send(handler, body)

    server.routes["/e.zip"] = flaky
    _fetch(settings, server.url("/e.zip"))
    assert calls["n"] == 3 and available_years(settings.data_dir) == [2024]


def _dropped(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/zip")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b"PK\x03\x04" + b"x" * 100)
    handler.wfile.flush()
    handler.connection.shutdown(2)


def _truncated_body(handler):
    body = customs_zip()
    send(handler, body[: len(body) // 2], length=len(body))
    handler.connection.shutdown(2)


def _truncated_zip(handler):
    body = customs_zip()
    send(handler, body[: len(body) // 2])  # honest length, broken archive


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (lambda h: send(h, b"<!DOCTYPE html><html>maintenance</html>", content_type="text/html"), "HTML"),
        (lambda h: send(h, b"<html>maintenance</html>", content_type="application/octet-stream"), "HTML"),
        (_dropped, "coupée|tronqué"),
        (_truncated_body, "coupée|tronqué"),
        (_truncated_zip, "illisible"),
        (lambda h: send(h, make_zip({"readme.txt": b"hello"})), "aucun fichier de données"),
        (lambda h: send(h, make_zip({"../evil/Region_2024_Export.txt": b"x"})), "dangereux"),
        (lambda h: send(h, make_zip({"/abs/Region_2024_Export.txt": b"x"})), "dangereux"),
        (lambda h: send(h, customs_zip(data="not;the;layout\r\n" * 50)), "hors du format"),
        (lambda h: send(h, b"", status=404, content_type="text/plain"), "404"),
        (lambda h: send(h, b"", status=302, headers={"Location": "http://example.invalid/e.zip"}), "redirection refusée"),
    ],
    ids=["html", "html-sniffed", "dropped", "truncated-body", "truncated-zip", "no-members", "zip-slip", "absolute", "layout", "404", "redirect"],
)
def test_refused_downloads_leave_the_data_folder_unchanged(settings, server, route, message):
    good = customs_zip()
    server.routes["/good.zip"] = lambda h: send(h, good)
    _fetch(settings, server.url("/good.zip"))
    before = snapshot(settings.data_dir)
    server.routes["/bad.zip"] = route
    with pytest.raises(FetchError, match=message):
        _fetch(settings, server.url("/bad.zip"))
    assert snapshot(settings.data_dir) == before  # byte for byte, last good data still usable


def test_connection_refused_is_one_clear_error(settings):
    with pytest.raises(FetchError, match="connexion impossible"):
        ingest.fetch(settings, urls=["http://127.0.0.1:9/e.zip"], network=FAST)
    assert not any(settings.data_dir.rglob("*.parquet"))


def test_read_timeout_is_bounded(settings, server):
    import time

    def stall(handler):
        time.sleep(3)
        send(handler, customs_zip())

    server.routes["/slow.zip"] = stall
    quick = Network(connect_timeout=1.0, read_timeout=0.5, attempts=2, backoff=0.05, deadline=5.0)
    started = time.monotonic()
    with pytest.raises(FetchError):
        ingest.fetch(settings, urls=[server.url("/slow.zip")], network=quick)
    assert time.monotonic() - started < 10


def _zip_with_info(info: zipfile.ZipInfo, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, data)
    return buffer.getvalue()


def test_archive_limits_are_checked_before_reading(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Region_2024_Export.txt", b"0" * (8 << 20))  # ~1000:1
    with pytest.raises(FetchError, match="compression"):
        SafeArchive(bomb, Limits())
    with pytest.raises(FetchError, match="déclare"):
        SafeArchive(bomb, Limits(max_member_size=1 << 20))
    many = tmp_path / "many.zip"
    many.write_bytes(make_zip({f"f{i}.txt": b"x" for i in range(30)}))
    with pytest.raises(FetchError, match="membres"):
        SafeArchive(many, Limits(max_members=20))
    link = zipfile.ZipInfo("Region_2024_Export.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    symlink = tmp_path / "link.zip"
    symlink.write_bytes(_zip_with_info(link, b"/etc/passwd"))
    with pytest.raises(FetchError, match="symbolique"):
        SafeArchive(symlink, Limits())
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(customs_zip()[:-30])
    with pytest.raises(FetchError, match="illisible"):
        SafeArchive(corrupt, Limits())


def test_duplicate_member_names_are_refused(tmp_path):
    import warnings

    path = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("Region_2024_Export.txt", b"a")
            archive.writestr("Region_2024_Export.txt", b"b")
    with pytest.raises(FetchError, match="double"):
        SafeArchive(path, Limits())


def test_from_file_ingests_a_hand_downloaded_archive(settings, tmp_path):
    archive = tmp_path / "202502-Regional-2024-export.zip"
    archive.write_bytes(customs_zip())
    result = ingest.fetch(settings, files=[archive], year=2024)
    assert 2024 in result.years and (settings.raw_dir / f"{sha256_file(archive)}.zip").is_file()


def test_year_not_in_files_is_refused(settings, tmp_path):
    archive = tmp_path / "e.zip"
    archive.write_bytes(customs_zip())
    with pytest.raises(FetchError, match="2019"):
        ingest.fetch(settings, files=[archive], year=2019)
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}

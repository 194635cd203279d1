"""Issue 5, the gaps: network faults the fetch tests do not inject, a full disk, hostile archives at
their real limits, bad inputs, Chromium killed mid-run, a batch killed with SIGKILL, and aggregation
invariants for any data. Every server runs on 127.0.0.1; nothing here touches the internet."""

from __future__ import annotations

import builtins
import csv
import errno
import io
import json
import logging
import os
import re
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import TINY_EXPORT, customs_zip, make_zip, send, snapshot
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fiches.config import Limits, Network, Settings
from fiches.errors import DataError, FetchError, FichesError
from fiches.sources import ingest
from fiches.sources.archive import SafeArchive
from fiches.sources.douanes import read_label_file

FAST = Network(connect_timeout=2.0, read_timeout=2.0, attempts=3, backoff=0.05, deadline=20.0)
ENOSPC_TEXT = "disque plein"


def _fetch(settings: Settings, *urls: str, network: Network = FAST, **kwargs):
    return ingest.fetch(settings, urls=list(urls), network=network, **kwargs)


def _parts(folder: Path) -> list[Path]:
    """Temporary files a write left behind (the atomic writers' hidden `.name.XXXX.part`); the
    manifest's hash cache is the one hidden file meant to stay (written atomically itself)."""
    from fiches.build.index import HASH_CACHE

    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and (p.name.endswith(".part") or (p.name.startswith(".") and p.name != HASH_CACHE))
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# -- the command line, in process (so that faults can be patched in) ---------------------------


def _one_error_line(result, code: int, *needles: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr + result.stdout
    lines = _lines(result.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith("erreur : "), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# -- network faults ------------------------------------------------------------------------------


@pytest.fixture
def server(server):
    """The shared local server, minus its thread's tracebacks when a client drops a connection on
    purpose: the in-process CLI runner would capture them as if they were the command's."""
    server.httpd.handle_error = lambda request, address: None
    return server


def _good(settings: Settings, server) -> dict[str, bytes]:
    """A first good fetch, so that "unchanged" means something; returns the data folder's bytes."""
    body = customs_zip()
    server.routes["/good.zip"] = lambda h: send(h, body)
    _fetch(settings, server.url("/good.zip"))
    return snapshot(settings.data_dir)


@pytest.mark.parametrize(
    "location",
    [
        "https://127.0.0.1:{port}/e.zip",  # same host and port, other scheme
        "file:///etc/passwd",
        "ftp://127.0.0.1:{port}/e.zip",
        "http://localhost:{port}/e.zip",  # same machine, other host name
    ],
    ids=["https", "file", "ftp", "other-host-name"],
)
def test_redirect_to_another_scheme_or_host_is_refused(settings, server, location):
    before = _good(settings, server)
    port = server.httpd.server_address[1]
    server.routes["/moved.zip"] = lambda h: send(h, b"", status=301, headers={"Location": location.format(port=port)})
    with pytest.raises(FetchError, match="redirection refusée"):
        _fetch(settings, server.url("/moved.zip"))
    assert server.hits.get("/e.zip", 0) == 0  # the target was never asked for
    assert snapshot(settings.data_dir) == before


def test_redirect_within_the_same_origin_is_followed(settings, server):
    body = customs_zip()
    server.routes["/new/e.zip"] = lambda h: send(h, body)
    server.routes["/old/e.zip"] = lambda h: send(h, b"", status=302, headers={"Location": "/new/e.zip"})
    _fetch(settings, server.url("/old/e.zip"))
    assert server.hits["/new/e.zip"] == 1


def test_redirect_loop_is_bounded(settings, server):
    server.routes["/loop.zip"] = lambda h: send(h, b"", status=302, headers={"Location": "/loop.zip"})
    with pytest.raises(FetchError, match="trop de redirections"):
        _fetch(settings, server.url("/loop.zip"))
    assert server.hits["/loop.zip"] <= 7


def test_persistent_server_errors_give_up_within_the_deadline(settings, server):
    before = _good(settings, server)
    server.routes["/down.zip"] = lambda h: send(h, b"busy", status=503, content_type="text/plain")
    patient = Network(connect_timeout=1.0, read_timeout=1.0, attempts=50, backoff=0.2, deadline=2.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match="503"):
        _fetch(settings, server.url("/down.zip"), network=patient)
    assert time.monotonic() - started < patient.deadline + 1.0
    assert 2 <= server.hits["/down.zip"] < 10  # retried with backoff, not hammered 50 times
    assert snapshot(settings.data_dir) == before


def test_client_errors_are_not_retried(settings, server):
    server.routes["/gone.zip"] = lambda h: send(h, b"", status=410, content_type="text/plain")
    with pytest.raises(FetchError, match="410"):
        _fetch(settings, server.url("/gone.zip"))
    assert server.hits["/gone.zip"] == 1


def _drip_body(handler):
    """A zip that arrives one byte every 0.2 s: no single read ever times out."""
    body = customs_zip()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/zip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for byte in body[:60]:  # 12 s at most, then the connection closes
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def _drip_headers(handler):
    """A status line, then a header that never ends."""
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(60):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass
    handler.close_connection = True


def _short_body_kept_open(handler):
    """Half the announced Content-Length, then silence on an open connection."""
    body = customs_zip()
    send(handler, body[: len(body) // 2], length=len(body))
    time.sleep(6)


@pytest.mark.parametrize("route", [_drip_body, _drip_headers, _short_body_kept_open], ids=["drip-body", "drip-headers", "short-body-open"])
def test_slow_servers_are_cut_at_the_deadline(settings, server, route):
    """Regression: a server dripping bytes kept a fetch running for hours (read timeouts are per read)."""
    before = _good(settings, server)
    server.routes["/slow.zip"] = route
    network = Network(connect_timeout=1.0, read_timeout=1.0, attempts=3, backoff=0.05, deadline=3.0)
    started = time.monotonic()
    with pytest.raises(FetchError):
        _fetch(settings, server.url("/slow.zip"), network=network)
    assert time.monotonic() - started < network.deadline + 2.0
    assert snapshot(settings.data_dir) == before
    assert not _parts(settings.data_dir)


def _refuse(handler):
    send(handler, b"<!DOCTYPE html><title>Maintenance</title>", content_type="text/html")


@pytest.mark.parametrize(
    ("route", "needle"),
    [
        (None, "connexion impossible"),  # nothing listens on the port
        (lambda h: send(h, b"", status=404, content_type="text/plain"), "404"),
        (_refuse, "HTML"),
        (lambda h: send(h, b"x", status=500, content_type="text/plain"), "500"),
        (lambda h: send(h, customs_zip()[:300], length=len(customs_zip())) or h.connection.shutdown(2), "coupée"),
        (lambda h: send(h, b"", status=307, headers={"Location": "https://127.0.0.1:1/e.zip"}), "redirection refusée"),
    ],
    ids=["refused", "404", "html", "500-always", "short-body", "redirect-scheme"],
)
def test_network_faults_end_in_one_line_and_a_non_zero_exit(cli, settings, server, route, needle):
    before = _good(settings, server)
    if route is None:
        url = "http://127.0.0.1:9/e.zip"
    else:
        server.routes["/bad.zip"] = route
        url = server.url("/bad.zip")
    result = cli("fetch", "--url", url, "--data-dir", settings.data_dir, network=FAST)
    _one_error_line(result, 3, needle)
    assert snapshot(settings.data_dir) == before


# -- a full disk -----------------------------------------------------------------------------------


class FullDisk:
    """Files opened for writing under `root` (and matching `match`) get `free` bytes, then ENOSPC.

    Patches `open` (which `Path.open`, `Path.write_text` and `zipfile` use), so that the real
    writers run and fail as they would on a full file system, part of the data written.
    """

    def __init__(self, root: Path, free: int = 0, match: Callable[[Path], bool] = lambda path: True) -> None:
        self.root = root.resolve()
        self.free = free
        self.match = match
        self.refused: list[Path] = []

    def wrap(self, real_open):
        disk = self

        class Metered:
            def __init__(self, handle, path: Path) -> None:
                self._handle, self._path = handle, path

            def write(self, data):
                size = len(data.encode("utf-8") if isinstance(data, str) else data)
                if size > disk.free:
                    if disk.free:
                        self._handle.write(data[: disk.free])  # what fitted is on disk, as on a real one
                    disk.free = 0
                    disk.refused.append(self._path)
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._path))
                disk.free -= size
                return self._handle.write(data)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._handle.close()

            def __iter__(self):
                return iter(self._handle)

            def __getattr__(self, name):
                return getattr(self._handle, name)

        def fake_open(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if isinstance(file, (str, os.PathLike)) and any(flag in mode for flag in "wax+"):
                path = Path(file).resolve()
                if path.is_relative_to(disk.root) and disk.match(path):
                    return Metered(handle, path)
            return handle

        return fake_open


@pytest.fixture
def full_disk(monkeypatch) -> Callable[..., FullDisk]:
    def install(root: Path, free: int = 0, match: Callable[[Path], bool] = lambda path: True) -> FullDisk:
        disk = FullDisk(root, free, match)
        fake = disk.wrap(io.open)
        monkeypatch.setattr(io, "open", fake)  # Path.open and zipfile call io.open
        monkeypatch.setattr(builtins, "open", fake)
        return disk

    return install


@pytest.mark.parametrize("share", [0, 0.5, 1], ids=["at-once", "mid-download", "after-download"])
def test_disk_full_while_downloading(cli, settings, server, full_disk, share):
    before = _good(settings, server)
    body = customs_zip(data=TINY_EXPORT.replace("2024", "2025"), year=2025)
    server.routes["/new.zip"] = lambda h: send(h, body)
    # "after-download": the archive fits, then the cache files (labels, manifest) do not.
    disk = full_disk(settings.data_dir, free=int(len(body) * share) + (100 if share == 1 else 0))
    result = cli("fetch", "--url", server.url("/new.zip"), "--data-dir", settings.data_dir, network=FAST)
    _one_error_line(result, 3, ENOSPC_TEXT)
    assert disk.refused, "the fault was not injected"
    assert snapshot(settings.data_dir) == before  # byte for byte: no temporary, no half file
    assert server.hits["/new.zip"] == 1  # a full disk is not worth retrying


def test_disk_full_while_copying_a_hand_downloaded_archive(cli, settings, tmp_path, full_disk):
    archive = tmp_path / "e.zip"
    archive.write_bytes(customs_zip())
    settings.data_dir.mkdir(parents=True)
    disk = full_disk(settings.data_dir, free=0)
    result = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir)
    _one_error_line(result, 3, ENOSPC_TEXT)
    assert disk.refused
    assert snapshot(settings.data_dir) == {}


def test_disk_full_while_writing_the_parquet_cache(cli, settings, server, monkeypatch):
    """pyarrow writes natively, past `open`: fail it half-way, as the disk would."""
    import pyarrow.parquet as pq

    before = _good(settings, server)
    real = pq.write_table

    def half_then_full(table, where, **kwargs):
        real(table, where, **kwargs)
        path = Path(where)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pq, "write_table", half_then_full)
    body = customs_zip(data=TINY_EXPORT.replace("2024", "2025"), year=2025)
    server.routes["/new.zip"] = lambda h: send(h, body)
    result = cli("fetch", "--url", server.url("/new.zip"), "--data-dir", settings.data_dir, network=FAST)
    _one_error_line(result, 3, ENOSPC_TEXT)
    assert snapshot(settings.data_dir) == before


@pytest.fixture
def tiny_tmpfs(tmp_path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, where the kernel itself says ENOSPC; skipped where mounting is not allowed."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_real_full_file_system_while_downloading(cli, server, tiny_tmpfs):
    from fiches.sources.sample import data_text, generate_rows

    data_dir = tiny_tmpfs / "data"
    big = customs_zip(data=data_text(generate_rows(2024, "E", pairs=30)).decode(), labels=False)
    assert len(big) > 64 * 1024
    server.routes["/big.zip"] = lambda h: send(h, big)
    result = cli("fetch", "--url", server.url("/big.zip"), "--data-dir", data_dir, network=FAST)
    _one_error_line(result, 3, ENOSPC_TEXT)
    assert snapshot(data_dir) == {}
    assert not _parts(tiny_tmpfs)


@pytest.fixture(scope="module")
def builds_on_a_full_disk(sample_settings, tmp_path_factory) -> dict[str, dict]:
    """`fiches build 12` with the disk full as each of its outputs is written (xlsx, pdf, json)."""
    import gc

    from typer.testing import CliRunner

    from fiches import cli as cli_module

    outcomes = {}
    root, ours = logging.getLogger(), logging.getLogger("fiches")
    saved = (root.handlers[:], root.level, ours.level, sys.unraisablehook)
    try:
        for suffix in ("xlsx", "pdf", "json"):
            out = tmp_path_factory.mktemp(f"full-{suffix}")
            unraisable: list[str] = []  # "Exception ignored in …": tracebacks printed at garbage collection
            sys.unraisablehook = lambda hook: unraisable.append(f"{hook.exc_type.__name__}: {hook.exc_value} ({hook.object!r})")
            with pytest.MonkeyPatch.context() as patch:
                disk = FullDisk(out, 0, lambda path, suffix=suffix: "12-aveyron" in path.name and f".{suffix}." in path.name)
                fake = disk.wrap(io.open)
                patch.setattr(io, "open", fake)
                patch.setattr(builtins, "open", fake)
                result = CliRunner().invoke(
                    cli_module.app, ["build", "12", "--source", "sample", "--data-dir", str(sample_settings.data_dir), "--out", str(out)]
                )
                gc.collect()
            sys.unraisablehook = saved[3]
            outcomes[suffix] = {
                "result": result,
                "refused": disk.refused,
                "unraisable": unraisable,
                # The year's index and manifest belong to the batch; the factsheet's files are 12-*.
                "files": sorted(p.name for p in (out / "2024" / "departements").glob("*12-*") if p.is_file()),
            }
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        ours.setLevel(saved[2])
        sys.unraisablehook = saved[3]
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["xlsx", "pdf", "json"])
def test_disk_full_while_writing_a_factsheet_is_one_clear_failure(builds_on_a_full_disk, suffix):
    outcome = builds_on_a_full_disk[suffix]
    result = outcome["result"]
    assert outcome["refused"], "the fault was not injected"
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    failures = [line for line in _lines(result.stderr) if line.startswith(("échec", "erreur"))]
    assert len(failures) == 1, result.stderr
    assert failures[0].startswith("échec 12 : ") and re.search(f"{ENOSPC_TEXT}|No space left on device", failures[0]), failures


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["xlsx", "pdf", "json"])
def test_disk_full_while_writing_a_factsheet_leaves_none_of_its_files(builds_on_a_full_disk, suffix):
    """All three or none: no temporary, no PDF without its JSON, no XLSX left alone."""
    assert builds_on_a_full_disk[suffix]["files"] == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "suffix",
    [
        "xlsx",
        "pdf",
        "json",
    ],
)
def test_disk_full_while_writing_a_factsheet_prints_no_stray_traceback(builds_on_a_full_disk, suffix):
    assert builds_on_a_full_disk[suffix]["unraisable"] == []


@pytest.mark.slow
def test_real_full_file_system_while_building(sample_settings, tiny_tmpfs):
    """64 KiB: the XLSX fits, the PDF does not; the kernel says ENOSPC, in a real process."""
    out = tiny_tmpfs / "out"
    env = {**os.environ, "FICHES_DATA_DIR": str(sample_settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "fiches", "build", "12", "--source", "sample", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    failures = [line for line in _lines(done.stderr) if line.startswith(("échec", "erreur"))]
    assert len(failures) == 1 and re.search(f"{ENOSPC_TEXT}|No space left on device", failures[0]), done.stderr
    assert not list(out.rglob("*12-aveyron*")) and not _parts(tiny_tmpfs)


# -- hostile archives, at the real limits ------------------------------------------------------


def _declare_huge(raw: bytes, name: bytes, size: int) -> bytes:
    """Rewrite a stored member's sizes in the central directory (ZIP64 extra), as a forger would."""
    data = bytearray(raw)
    central = data.find(b"PK\x01\x02")
    assert central > 0 and data[central + 46 : central + 46 + len(name)] == name
    data[central + 20 : central + 28] = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)  # compressed, uncompressed
    extra = struct.pack("<HHQQ", 0x0001, 16, size, 16)
    name_len, extra_len = struct.unpack("<HH", data[central + 28 : central + 32])
    assert extra_len == 0
    data[central + 30 : central + 32] = struct.pack("<H", len(extra))
    insert_at = central + 46 + name_len
    data[insert_at:insert_at] = extra
    end = data.rfind(b"PK\x05\x06")
    cd_size = struct.unpack("<I", data[end + 12 : end + 16])[0]
    data[end + 12 : end + 16] = struct.pack("<I", cd_size + len(extra))
    return bytes(data)


def test_member_declaring_more_than_a_gibibyte_is_refused_unread(tmp_path):
    name = b"Region_2024_Export.txt"
    raw = make_zip({name.decode(): b"E;1;2024;12;12;C29A;2910;DE;1;1\r\n"}, compression=zipfile.ZIP_STORED)
    forged = tmp_path / "huge.zip"
    forged.write_bytes(_declare_huge(raw, name, 5 << 30))
    assert zipfile.ZipFile(forged).getinfo(name.decode()).file_size == 5 << 30  # the forgery reads as intended
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="déclare"):
            SafeArchive(forged, Limits())  # the real limits: 1 GiB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Regional-2024-export/Region_2024_Export.txt", b"\0" * (64 << 20))  # 64 MiB -> ~64 KiB
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="compression"):
            SafeArchive(bomb, Limits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20  # nothing was inflated


def test_thousands_of_members_are_refused_with_the_real_limits(settings, tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("Regional-2024-export/Region_2024_Export.txt", TINY_EXPORT)
        for i in range(3000):
            archive.writestr(f"Regional-2024-export/x/{i}.txt", b"")
    with pytest.raises(FetchError, match="membres"):
        ingest.fetch(settings, files=[many])
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}


def _garbled_central_directory(raw: bytes) -> bytes:
    data = bytearray(raw)
    central = data.find(b"PK\x01\x02")
    data[central : central + 46] = b"\xff" * 46
    return bytes(data)


def _wrong_directory_offset(raw: bytes) -> bytes:
    data = bytearray(raw)
    end = data.rfind(b"PK\x05\x06")
    data[end + 16 : end + 20] = struct.pack("<I", 7)
    return bytes(data)


def _bad_member_checksum(raw: bytes) -> bytes:
    data = bytearray(raw)
    central = data.find(b"PK\x01\x02")
    data[central + 16 : central + 20] = b"\0\0\0\0"  # CRC-32 of the first member
    return bytes(data)


@pytest.mark.parametrize(
    "damage",
    [_garbled_central_directory, _wrong_directory_offset, _bad_member_checksum, lambda raw: raw[:-5]],
    ids=["garbled-directory", "wrong-directory-offset", "bad-checksum", "truncated-end-record"],
)
def test_corrupt_archives_are_refused_and_change_nothing(settings, tmp_path, damage):
    good = tmp_path / "good.zip"
    good.write_bytes(customs_zip())
    ingest.fetch(settings, files=[good])
    before = snapshot(settings.data_dir)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(damage(customs_zip(data=TINY_EXPORT.replace("2024", "2025"), year=2025)))
    with pytest.raises(FetchError):
        ingest.fetch(settings, files=[bad])
    assert snapshot(settings.data_dir) == before


# -- bad rows, encodings, empty files ------------------------------------------------------------


def test_label_file_with_mixed_encodings_decodes_line_by_line():
    raw = (
        b"\xef\xbb\xbf"
        + "C10A;Produits des industries alimentaires;200901;999912\r\n".encode("utf-8")
        + "C26E;\"Appareils de mesure ; horlogerie\";200901;999912\r\n".encode("cp1252")
        + "C29A;Véhicules automobiles;200901;999912\r\n".encode("utf-8")
        + "C20B;Produits chimiques de base, \x9cnologie;200901;999912\r\n".encode("latin-1")
    )
    labels = read_label_file(raw)
    assert labels["C10A"] == "Produits des industries alimentaires"
    assert labels["C26E"] == "Appareils de mesure ; horlogerie"
    assert labels["C29A"] == "Véhicules automobiles"
    assert labels["C20B"].startswith("Produits chimiques de base, ")  # cp1252 0x9C is "œ"
    assert labels["C20B"].endswith("œnologie")


def test_data_file_with_stray_encodings_reports_those_lines(settings, tmp_path):
    text = (
        TINY_EXPORT.encode()
        + "E;1;2024;12;12;C29A;2910;DÉ;100;1\r\n".encode("cp1252")  # line 8: country "D\xc9"
        + "E;1;2024;12;12;C29A;2910;DE;1\u00a000;1\r\n".encode("utf-8")  # line 9: no-break space in a value
    )
    archive = tmp_path / "mixed.zip"
    archive.write_bytes(customs_zip(data=text))
    with pytest.raises(DataError, match="lignes 8, 9"):  # rows of a listed département: refused unless accepted
        ingest.fetch(settings, files=[archive])
    result = ingest.fetch(settings, files=[archive], accept_bad_rows=True)
    assert [(row.line, "pays" in row.reason or "valeur" in row.reason) for row in result.bad_rows] == [(8, True), (9, True)]
    with (settings.cache_dir / "bad-rows.csv").open(encoding="utf-8", newline="") as handle:
        assert [row[1] for row in csv.reader(handle, delimiter=";")][1:] == ["8", "9"]


def test_utf16_data_file_is_refused_whole(settings, tmp_path):
    archive = tmp_path / "utf16.zip"
    archive.write_bytes(customs_zip(data=TINY_EXPORT.encode("utf-16")))
    with pytest.raises(FetchError, match="hors du format"):
        ingest.fetch(settings, files=[archive])
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n  \r\n", b"\xef\xbb\xbf"], ids=["empty", "blank-lines", "bom-only"])
def test_empty_data_file_is_refused(settings, tmp_path, content):
    archive = tmp_path / "empty.zip"
    archive.write_bytes(customs_zip(data=content))
    with pytest.raises(FetchError, match="vide|hors du format"):
        ingest.fetch(settings, files=[archive])
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}


def test_well_formed_garbage_is_refused_not_a_crash(settings, tmp_path):
    """Ten fields on every line, each a different made-up code: not a customs file, refused in one
    clear error (regression guard for parsers that key rows on the distinct codes they see)."""
    import random

    rnd = random.Random(5)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    lines = [";".join("".join(rnd.choice(letters) for _ in range(3)) for _ in range(10)) for _ in range(3000)]
    archive = tmp_path / "garbage.zip"
    archive.write_bytes(customs_zip(data="\r\n".join(lines) + "\r\n"))
    with pytest.raises(FichesError, match="hors du format|trop de codes"):  # a user error, never a crash
        ingest.fetch(settings, files=[archive])
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}


_FIELD = st.one_of(
    st.sampled_from(["E", "I", "1", "2024", "12", "46", "C29A", "2910", "DE", "NA", "9A", "100", "", "-1", "0"]),
    st.binary(max_size=6).filter(lambda b: not set(b) & {59, 10, 13}),
)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_FIELD, min_size=10, max_size=10), min_size=1, max_size=40))
def test_parser_never_crashes_on_ten_field_lines_of_any_bytes(rows):
    """The existing fuzz test rarely builds a line with exactly ten fields: here every line has ten,
    mixing plausible codes with arbitrary bytes (other encodings, control characters...)."""
    from fiches.sources.douanes import parse_data_file

    raw = b"\r\n".join(b";".join(f if isinstance(f, bytes) else f.encode() for f in row) for row in rows) + b"\r\n"
    parsed = parse_data_file(raw, "fuzz", expected_year=2024, expected_flow="E")
    lines = [n for n, line in enumerate(raw.split(b"\r\n"), 1) if line.strip()]
    assert {row.line for row in parsed.bad_rows} <= set(lines)
    assert parsed.rows == len(lines)  # every non-empty line counted, as valid or as bad
    assert parsed.table.num_rows <= len(lines) - len(parsed.bad_rows)


def test_unknown_product_codes_are_reported_with_their_lines():
    from fiches.sources.douanes import Labels, parse_data_file

    text = (
        "E;1;2024;12;12;C29A;2910;DE;100;1\r\n"
        "E;1;2024;12;12;Z99Z;2910;DE;100;1\r\n"  # line 2: A129 not in the labels
        "E;1;2024;12;12;C29A;9999;DE;100;1\r\n"  # line 3: CPF4 not in the labels
        "E;1;2024;12;12;c29a;2910;DE;100;1\r\n"  # line 4: not an A129 code at all
    )
    labels = Labels(a129={"C29A": "x"}, cpf4={"2910": "y"}, countries={"DE": "Allemagne"})
    parsed = parse_data_file(text.encode(), "f", expected_year=2024, expected_flow="E", labels=labels)
    reasons = {row.line: row.reason for row in parsed.bad_rows}
    assert sorted(reasons) == [2, 3, 4]
    assert "A129" in reasons[2] and "CPF4" in reasons[3] and "A129" in reasons[4]


def test_bad_rows_through_the_cli_list_line_numbers_and_strict_fails(cli, settings, tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(customs_zip(data=TINY_EXPORT + "E;1;2024;12;12;C29A;2910;DE;-3;1\r\nE;1;2024;12\r\n"))
    strict = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir, "--strict")
    _one_error_line(strict, 4, "--strict", "lignes 8, 9")
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}
    refused = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir)
    _one_error_line(refused, 4, "2 ligne(s) invalide(s)", "lignes 8, 9", "--accept-bad-rows")
    assert snapshot(settings.data_dir).keys() <= {"manifest.json"}
    lenient = cli("fetch", "--from-file", archive, "--data-dir", settings.data_dir, "--accept-bad-rows")
    assert lenient.exit_code == 0, lenient.stderr
    assert "2 ligne(s) invalide(s)" in lenient.stderr and "ligne 8" in lenient.stderr and "ligne 9" in lenient.stderr
    assert (settings.cache_dir / "douanes-2024.parquet").is_file()


def test_bad_rows_report_cannot_inject_spreadsheet_formulas(settings, tmp_path):
    """Regression: a hostile row landed as-is in bad-rows.csv, where a spreadsheet runs `=…`."""
    hostile = ['=HYPERLINK("http://127.0.0.1:1/x";"clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    archive = tmp_path / "=cmd.zip"
    archive.write_bytes(customs_zip(data=TINY_EXPORT + "".join(f"{h}\r\n" for h in hostile)))
    ingest.fetch(settings, files=[archive], accept_bad_rows=True)
    with (settings.cache_dir / "bad-rows.csv").open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle, delimiter=";") for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any("HYPERLINK" in cell for cell in cells)  # still reported, just inert


# -- aggregation invariants, for any data ----------------------------------------------------------

_DEPS = ["12", "46", "81", "75", "92", "13", "99", "01", "69", "9A", "9D", "20", "59"]
_A129 = ["C29A", "C10A", "B06Z", "C21Z", "C30C"] + [f"C{n}Z" for n in range(11, 24)]
_COUNTRIES = ["DE", "US", "QU", "QS", "NA", "CN", "BE"] + [f"X{c}" for c in "ABCDEFGHIJ"]


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("EI"), st.sampled_from(_DEPS), st.sampled_from(_A129), st.sampled_from(_COUNTRIES),
            st.integers(0, 10**12),
        ),
        min_size=1, max_size=120,
    )
)
def test_aggregation_invariants_at_every_level(rows):
    import pandas as pd

    from fiches.model.indicators import OTHER, TOP_FLOWS, TradeYear
    from fiches.reference.geography import DEPARTEMENTS, FRANCE, REGIONS, Territory, region
    from fiches.sources.douanes import Labels
    from fiches.sources.store import YearData

    frame = pd.DataFrame(rows, columns=["flow", "dep", "a129", "country", "value"])
    frame["region"], frame["cpf4"], frame["mass"] = "00", "0000", 0
    trade = TradeYear(YearData(2024, frame, Labels(), {"archives": []}, False))

    def dep(code: str) -> Territory:  # Monaco too: it has no factsheet, but counts in its région
        name, reg = DEPARTEMENTS[code]
        return Territory("departement", code, name, reg)

    for flow in "EI":
        france = trade.total(FRANCE, flow)
        assert france == sum(r[4] for r in rows if r[0] == flow)
        for reg in REGIONS:
            members = [code for code, (_, r) in DEPARTEMENTS.items() if r == reg]
            assert trade.total(region(reg), flow) == sum(trade.total(dep(code), flow) for code in members)
        assert sum(trade.total(region(reg), flow) for reg in REGIONS) == france

        territories = [dep(code) for code in sorted({r[1] for r in rows})]
        territories += sorted({t.region for t in territories if t.region}, key=lambda t: t.code) + [FRANCE]
        for territory in territories:
            model = trade.sankey(territory, flow)
            total = trade.total(territory, flow)
            assert model.total == total
            assert sum(link.value for link in model.links) == total
            assert sum(n.value for n in model.left) == sum(n.value for n in model.right) == total
            assert len(model.left) <= 11 and len(model.right) <= 11
            assert all(n.value > 0 for n in model.left + model.right)
            top = model.top_links
            assert len(top) == min(TOP_FLOWS, sum(1 for l in model.links if OTHER not in (model.left[l.source].key, model.right[l.target].key)))
            assert all(OTHER not in (model.left[l.source].key, model.right[l.target].key) for l in top)
            others = [l.value for l in model.links if not l.top and OTHER not in (model.left[l.source].key, model.right[l.target].key)]
            assert not top or not others or min(l.value for l in top) >= max(others)

        for territory in territories[: len({r[1] for r in rows})]:
            if territory.code == "99":
                continue
            figures = trade.flow_figures(territory, flow)
            assert 0 <= figures.france_share <= 100
            if figures.region_share is not None:
                assert 0 <= figures.region_share <= 100
                assert figures.region_share >= figures.france_share - 1e-9  # a région is part of France
            assert sum(a.value for a in figures.activities) == figures.total
            assert all(0 <= a.share <= 100 for a in figures.activities)
            if figures.total:
                assert sum(a.share for a in figures.activities) == pytest.approx(100)
            for partner in trade.partners(territory):
                assert 0 <= partner.exports <= trade.total(territory, "E")
                assert 0 <= partner.imports <= trade.total(territory, "I")


# -- processes: Chromium dying mid-run, a batch killed with SIGKILL -----------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text[text.rfind(")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _is_browser(pid: int) -> bool:
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return comm.startswith(("chrom", "headless_shell")) and state != "Z"


def _kill_browsers(pid: int) -> list[int]:
    """SIGKILL every Chromium process under `pid`: a crash, as far as the exporter can tell."""
    browsers = [p for p in _descendants(pid) if _is_browser(p)]
    for browser in browsers:
        try:
            os.kill(browser, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return browsers


def _browsers_left(within: float) -> list[int]:
    """This process's Chromium descendants still running after waiting up to `within` seconds for them to go."""
    deadline = time.monotonic() + within
    while (left := [p for p in _descendants(os.getpid()) if _is_browser(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _builder(sample_settings: Settings, out: Path):
    from fiches.build import batch, worker
    from fiches.render import templating
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    job = batch.Job(str(sample_settings.data_dir), selected.source, selected.current.year, str(out), False, False, templating.build_date())
    return worker.Builder(job, selected)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["between-factsheets", "during-a-chart"])
def test_chromium_killed_mid_run_is_restarted_and_the_run_continues(sample_settings, tmp_path, moment):
    from fiches.reference.geography import departement

    builder = _builder(sample_settings, tmp_path)
    killed: list[int] = []
    try:
        assert builder.build(departement("12")).status == "built"
        assert builder.exporter.starts == 1
        if moment == "between-factsheets":
            killed = _kill_browsers(os.getpid())
        else:  # the browser dies just as the next chart is handed to it
            real_run = builder.exporter._run

            def dying_run(coroutine, *args, **kwargs):
                if not killed:
                    killed.extend(_kill_browsers(os.getpid()))
                    time.sleep(0.5)
                return real_run(coroutine, *args, **kwargs)

            builder.exporter._run = dying_run
        started = time.monotonic()
        outcome = builder.build(departement("81"))
        elapsed = time.monotonic() - started
        assert killed, "no Chromium process was found to kill"
        assert outcome.status == "built", outcome.reason
        assert builder.exporter.starts == 2
        assert elapsed < 45, f"the restart took {elapsed:.0f} s"
        assert builder.build(departement("09")).status == "built"  # and the new browser keeps working
        assert builder.exporter.starts == 2
    finally:
        builder.close()
    pdf = tmp_path / "2024" / "departements" / "81-tarn.pdf"
    assert subprocess.run(["pdfinfo", str(pdf)], capture_output=True).returncode == 0
    assert not _browsers_left(within=10), "a Chromium outlived its exporter"


def _delayed_after(monkeypatch, command: str, seconds: float) -> None:
    """Every DevTools command `command` answers, then its sender dawdles `seconds` before the next
    one: a process too busy to follow its browser (a worker importing WeasyPrint meanwhile)."""
    import asyncio

    from choreographer.protocol import devtools_async

    real = devtools_async.Session.send_command

    async def send_command(self, name, *args, **kwargs):
        answer = await real(self, name, *args, **kwargs)
        if name == command:
            await asyncio.sleep(seconds)
        return answer

    monkeypatch.setattr(devtools_async.Session, "send_command", send_command)


_BAR = {"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}], "layout": {}}


@pytest.mark.slow
def test_a_browser_whose_page_loads_before_its_process_looks_still_starts(monkeypatch):
    """Kaleido turns the page's events on only after loading it: a page loaded by then never
    reported its load, and the start waited forever. fiches turns them on first."""
    from fiches.charts import export

    _delayed_after(monkeypatch, "Page.navigate", 2.0)  # the page (a local file) is loaded well within that
    monkeypatch.setattr(export, "START_TIMEOUT", 20.0)
    with export.PlotlyExporter() as exporter:
        started = time.monotonic()
        assert re.match(r"<(\w+:)?svg\b", exporter.svg(_BAR, 200, 100))
        assert exporter.starts == 1 and time.monotonic() - started < 15


@pytest.mark.slow
def test_a_browser_that_never_opens_is_stopped_started_again_then_reported(monkeypatch, caplog):
    from fiches.charts import export
    from fiches.errors import RenderError

    _delayed_after(monkeypatch, "Page.navigate", 3600)  # the page never reports ready
    monkeypatch.setattr(export, "START_TIMEOUT", 3.0)
    exporter = export.PlotlyExporter()
    with caplog.at_level(logging.WARNING, logger="fiches"), pytest.raises(RenderError, match="impossible de démarrer Chromium"):
        exporter.svg(_BAR, 200, 100)
    exporter.close()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "impossible de démarrer Chromium pour les graphiques : TimeoutError : nouvel essai"]
    assert not _browsers_left(within=10), "an abandoned Chromium kept running"


def _fiches(*args, env_extra: dict | None = None, **kwargs) -> subprocess.Popen:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "fiches", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True, **kwargs,
    )


def _code_key() -> str:
    """The hash of code and templates a fresh process sees (part of every factsheet's build key)."""
    done = subprocess.run([sys.executable, "-c", "from fiches.build import jobs; print(jobs.code_key())"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _complete_sets(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.json")}


def _wait_for_sets(process: subprocess.Popen, folder: Path, count: int) -> None:
    """Until the running build has written `count` complete factsheets (5 minutes at most)."""
    deadline = time.monotonic() + 300
    while len(_complete_sets(folder)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{count} factsheets took more than 5 minutes"
        time.sleep(0.1)


@pytest.mark.slow
def test_kill_9_of_a_batch_leaves_no_partial_file_and_the_rerun_completes(sample_settings, tmp_path):
    out = tmp_path / "out"
    folder = out / "2024" / "departements"
    args = ("build", "--all", "--source", "sample", "--jobs", "2", "--out", out, "--data-dir", sample_settings.data_dir)
    code_before = _code_key()
    batch_process = _fiches(*args)
    group = batch_process.pid  # start_new_session: its process group
    try:
        _wait_for_sets(batch_process, folder, 3)
        tree = _descendants(batch_process.pid)
        os.killpg(group, signal.SIGKILL)
        batch_process.communicate(timeout=30)
    finally:
        if batch_process.poll() is None:
            os.killpg(group, signal.SIGKILL)
            batch_process.wait()
    # Whatever ran outside the group (a browser in its own session?) must go too: wait, then check.
    time.sleep(2)
    survivors = [p for p in tree if Path(f"/proc/{p}").exists() and _is_browser(p)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], "Chromium processes outlived the killed batch"

    # No partial file in place: every visible output is whole; only hidden temporaries may remain.
    done = _complete_sets(folder)
    assert len(done) >= 3
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            assert path.name.endswith(".part"), path
            continue
        if path.suffix == ".pdf":
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
            assert info.returncode == 0 and "Pages:" in info.stdout, (path, info.stderr)
        elif path.suffix == ".xlsx":
            assert zipfile.ZipFile(path).testzip() is None
        elif path.suffix == ".html":  # the interactive companion
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
        elif path.suffix == ".json":  # written last: its presence says the set is complete
            data = json.loads(path.read_text(encoding="utf-8"))
            assert data["build_key"]
            assert all(path.with_suffix(s).is_file() for s in (".pdf", ".xlsx", ".html")), path
        else:
            assert path.stat().st_size > 0, path
    keys_before = {stem: json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))["build_key"] for stem in done}
    rerun = _fiches(*args)
    stdout, stderr = rerun.communicate(timeout=1800)
    assert rerun.returncode == 0, stderr[-2000:]
    summary = [line for line in _lines(stderr) if "construite(s)" in line]
    assert summary, stderr[-2000:]
    counts = re.search(r"(\d+) construite\(s\), (\d+) à jour, (\d+) en échec", summary[-1])
    built, skipped, failed = map(int, counts.groups())
    assert failed == 0 and built + skipped == 100
    keys_after = {stem: json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))["build_key"] for stem in done}
    if _code_key() == code_before:  # else the code or templates were edited meanwhile: rebuilding is right
        assert keys_after == keys_before and skipped >= len(done), "factsheets finished before the kill were rebuilt"
    assert not [line for line in _lines(stderr) if line.startswith("WARNING")], stderr[-2000:]  # nearly all départements, no warning
    for pdf in folder.glob("*.pdf"):
        assert all(pdf.with_suffix(s).is_file() for s in (".json", ".xlsx", ".html")), pdf
    assert len(list(folder.glob("*.json"))) == 100
    assert _parts(out) == []  # whatever the kill cut mid-write was cleaned up (see also the next test)


@pytest.mark.slow
def test_workers_and_browsers_leave_when_the_command_alone_is_killed(sample_settings, tmp_path):
    """SIGKILL (or SIGTERM) of the command alone, not of its process group: its fork server, workers
    and browsers, which could not be told, notice and leave on their own, within seconds."""
    folder = tmp_path / "out" / "2024" / "departements"
    process = _fiches("build", "--all", "--source", "sample", "--jobs", "2", "--out", tmp_path / "out",
                      "--data-dir", sample_settings.data_dir)
    try:
        _wait_for_sets(process, folder, 2)
        tree = _descendants(process.pid)
        assert any(_is_browser(p) for p in tree)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        deadline = time.monotonic() + 30
        while (alive := [p for p in tree if _is_alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == [], "processes of the build outlived its command by 30 s"


def _is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_a_rerun_removes_temporaries_left_by_a_killed_run(sample_settings, tmp_path):
    from fiches.build import batch
    from fiches.reference.geography import departement

    folder = tmp_path / "2024" / "departements"
    folder.mkdir(parents=True)
    stale = [folder / ".12-aveyron.pdf.k9test.part", folder / ".12-aveyron.xlsx.k9test.part"]
    for path in stale:
        path.write_bytes(b"half a file")  # what SIGKILL in the middle of a write leaves
    report = batch.build(sample_settings, [departement("12")], year=None, source="sample", out_dir=tmp_path)
    assert report.count("built") == 1
    assert _parts(tmp_path) == []


def test_browser_is_the_headless_shell_then_chromium_unless_configured(tmp_path, monkeypatch):
    from fiches.charts.export import find_browser
    from fiches.errors import RenderError

    for name in ("chromium", "chromium-headless-shell"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert find_browser() == str(tmp_path / "chromium-headless-shell")
    (tmp_path / "chromium-headless-shell").unlink()
    assert find_browser() == str(tmp_path / "chromium")
    monkeypatch.setenv("BROWSER_PATH", "/opt/chrome/chrome")
    assert find_browser() == "/opt/chrome/chrome"
    monkeypatch.delenv("BROWSER_PATH")
    (tmp_path / "chromium").unlink()
    with pytest.raises(RenderError, match="chromium-headless-shell"):
        find_browser()


def test_a_closing_browsers_goodbye_is_not_reported_as_an_error(caplog):
    """A browser that closes writes `{bye}` on its pipe; read with other messages, choreographer
    logged it as an undecodable message, traceback included, at the end of parallel builds."""
    from choreographer.channels.pipe import Pipe

    from fiches.charts.export import PlotlyExporter

    with PlotlyExporter() as exporter:
        exporter.start()  # installs the filter, on choreographer's own logger (logistro's class)
    assert hasattr(logging.getLogger("choreographer.channels.pipe"), "debug2")
    pipe = Pipe()
    pipe.open()
    caplog.set_level(logging.WARNING)
    os.write(pipe.from_external_to_choreo, b'{"method":"Target.detachedFromTarget","params":{}}\x00{bye}\n\x00')
    assert pipe.read_jsons(blocking=True)[0] == [{"method": "Target.detachedFromTarget", "params": {}}]
    assert caplog.records == []
    os.write(pipe.from_external_to_choreo, b'{"id": 7, "result": \x00')  # anything else undecodable is still reported
    assert pipe.read_jsons(blocking=True)[0] == []
    assert [record.getMessage() for record in caplog.records] == ["JSONError decoding message. Ignoring"]
    pipe.close()


@pytest.mark.slow
@pytest.mark.parametrize("codes", [["12"], ["12", "81", "--jobs", "2"]], ids=["single", "parallel"])
def test_builds_leave_no_browser_folders_behind(sample_settings, tmp_path, codes):
    """Each browser's profile and page folders go with it, workers' browsers included (a pool's
    worker leaves through os._exit, which runs no atexit handler)."""
    temp = tmp_path / "temp"
    temp.mkdir()
    process = _fiches(
        "build", *codes, "--source", "sample", "--out", tmp_path / "out", "--data-dir", sample_settings.data_dir, "--force",
        env_extra={"TMPDIR": str(temp)},
    )
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr
    left = sorted(p.name for p in temp.iterdir() if not p.name.startswith("fiches-fontconfig-"))
    assert left == []

from __future__ import annotations

import http.server
import io
import logging
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fiches.config import Network, Settings
from fiches.sources.sample import label_files

SHARED_DOUANES = Path(__file__).resolve().parents[2] / "shared" / "douanes"

#: A tiny annual export file, small enough to check by hand.
TINY_EXPORT = (
    "E;1;2024;12;12;C29A;2910;DE;1000000;10\r\n"
    "E;2;2024;12;12;C29A;2910;DE;500000;5\r\n"
    "E;1;2024;12;12;C10A;1011;NA;250000;3\r\n"
    "E;3;2024;46;12;C30C;3030;US;2000000;1\r\n"
    "E;4;2024;75;03;C21Z;2120;US;4000000;2\r\n"
    "E;1;2024;9A;24;C10A;1011;BE;300;1\r\n"
    "E;1;2024;01;18;C29A;2910;IT;700000;9\r\n"
)
TINY_IMPORT = (
    "I;1;2024;12;12;C29A;2910;DE;400000;10\r\n"
    "I;2;2024;12;12;B06Z;0610;NO;100000;50\r\n"
    "I;4;2024;46;12;C29A;2910;CN;50000;1\r\n"
    "I;1;2024;75;03;B06Z;0620;CH;9000000;0\r\n"
)


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def customs_zip(year: int = 2024, flow: str = "export", data: str | bytes | None = None, *, labels: bool = True) -> bytes:
    """An archive laid out like the customs' annual regional one."""
    text = data if data is not None else (TINY_EXPORT if flow == "export" else TINY_IMPORT)
    raw = text.encode() if isinstance(text, str) else text
    folder = f"Regional-{year}-{flow}"
    members = {f"{folder}/Region_{year}_{flow.capitalize()}.txt": raw}
    if labels:
        members.update({f"{folder}/{name}": content for name, content in label_files().items()})
    return make_zip(members)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, to prove nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class LocalServer:
    """An HTTP server on 127.0.0.1 whose routes the test writes, misbehaving on purpose if asked."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[dict[str, str]] = []
        server = self

        class RequestHandler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                server.requests.append(dict(self.headers))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler, body: bytes, *, status: int = 200, content_type: str = "application/zip", headers: dict | None = None, length: int | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One generated sample for the whole session."""
    from fiches.sources.sample import ensure_sample

    root = Settings(data_dir=tmp_path_factory.mktemp("sample-data"))
    ensure_sample(root)
    return root


@pytest.fixture
def cli(monkeypatch) -> Iterator[Callable[..., object]]:
    """Run `fiches ...` in this process; `network=` replaces the default (slow) network options."""
    from typer.testing import CliRunner

    from fiches import cli as cli_module

    root, ours = logging.getLogger(), logging.getLogger("fiches")
    saved = (root.handlers[:], root.level, ours.level)
    runner = CliRunner()

    def run(*args: str, network: Network | None = None):
        if network is not None:
            monkeypatch.setattr(cli_module, "_settings", lambda data_dir: Settings(data_dir=data_dir, network=network))
        return runner.invoke(cli_module.app, [str(a) for a in args])

    yield run
    root.handlers[:] = saved[0]  # the CLI installs its own handler on the root logger
    root.setLevel(saved[1])
    ours.setLevel(saved[2])

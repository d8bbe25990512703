"""Shared fixtures: a dcams-sandbox process per session, admin helpers,
test images, and a tiny canned-answer HTTP stub for error statuses the
sandbox never produces.

The suite tests the INSTALLED package (the wheel `make -C bindings/python
test` builds and installs into its venv), never the source tree beside it:
the check below fails the run otherwise. (DCAMS_TEST_SOURCE=1 allows an
editable install, for working on the package.)"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
import struct
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

HERE = Path(__file__).resolve().parent
PY_ROOT = HERE.parent  # bindings/python
REPO = PY_ROOT.parent.parent

# The client falls back to these; a developer's live settings must not leak
# into tests against the sandbox.
for _var in (
    "DCAMS_ENDPOINT",
    "DCAMS_USER",
    "DCAMS_PASS",
    "DCAMS_TEST_KEY",
    "DCAMS_TIMEOUT_MS",
    "DCAMS_CONNECT_TIMEOUT_MS",
    "DCAMS_RETRIES",
    "DCAMS_CA_FILE",
    "DCAMS_CA_BUNDLE",
    "DCAMS_LIB",
):
    os.environ.pop(_var, None)

import dcams  # noqa: E402
from dcams import _origin  # noqa: E402

if os.environ.get("DCAMS_TEST_SOURCE") != "1":
    assert _origin.BUILT and not Path(dcams.__file__).resolve().is_relative_to(REPO / "bindings"), (
        f"the tests must run against the installed dcams wheel, but imported {dcams.__file__} "
        "(run them with `make -C bindings/python test`)"
    )
    assert sys.prefix != sys.base_prefix, "the tests run in a venv, not in the system Python"


def cargo_version() -> str:
    """The workspace version, read from Cargo.toml (the one place it is written)."""
    with open(REPO / "Cargo.toml", "rb") as f:
        return str(tomllib.load(f)["workspace"]["package"]["version"])

USER = "sandbox-user"
PASS = "sandbox-pass"
TEST_KEY = "sandbox-test-key"


DATA = REPO / "tests" / "data"
FRONT = DATA / "passport-td3.jpg"
BACK = DATA / "passport-td2.png"


def tiny_png(width: int = 1, height: int = 1, pad: int = 0) -> bytes:
    """A valid PNG (grey), optionally padded with an ancillary chunk to grow it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    if pad:
        out += chunk(b"tEXt", b"pad\0" + b"x" * pad)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def unique_email(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def sandbox_bin() -> Path:
    env = os.environ.get("DCAMS_SANDBOX_BIN")
    p = Path(env) if env else REPO / "target" / "release" / "dcams-sandbox"
    if not p.is_file():
        raise RuntimeError(f"dcams-sandbox not found at {p}: run `make build` or set DCAMS_SANDBOX_BIN")
    return p


class Sandbox:
    """One running dcams-sandbox process and its admin endpoints."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.url_file = tmp / "url"
        self.log = open(tmp / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            [str(sandbox_bin()), "--port", "0", "--url-file", str(self.url_file), *args],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 15
        while not self.url_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"dcams-sandbox exited with {self.proc.returncode}: {(tmp / 'stderr.log').read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dcams-sandbox did not write its URL file within 15 s")
            time.sleep(0.02)
        self.url = self.url_file.read_text().strip()
        suffix = "/v3/stable/api/storage"
        assert self.url.endswith(suffix), self.url
        self.base = self.url[: -len(suffix)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    # -- admin --
    def _get(self, path: str) -> "tuple[int, bytes]":
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    @staticmethod
    def _q(email: str) -> str:
        return urllib.parse.quote(email, safe="")

    def stats(self) -> Dict[str, int]:
        status, body = self._get("/_sandbox/stats")
        assert status == 200
        return json.loads(body)

    def requests(self) -> int:
        return self.stats()["requests"]

    def customer(self, email: str, test: bool = False) -> Optional[Dict[str, Any]]:
        status, body = self._get(f"/_sandbox/customers/{self._q(email)}" + ("?test=1" if test else ""))
        if status == 404:
            return None
        assert status == 200, (status, body)
        return json.loads(body)

    def document(self, email: str, side: str, test: bool = False) -> Optional[bytes]:
        status, body = self._get(
            f"/_sandbox/customers/{self._q(email)}/documents/{side}" + ("?test=1" if test else "")
        )
        if status == 404:
            return None
        assert status == 200, (status, body)
        return body

    def last_request(self) -> Dict[str, Any]:
        status, body = self._get("/_sandbox/last-request")
        assert status == 200
        return json.loads(body)

    def script(self, answer: Dict[str, Any]) -> None:
        """POST /_sandbox/script: the next storage requests get this answer."""
        req = urllib.request.Request(self.base + "/_sandbox/script", data=json.dumps(answer).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200

    def client(self, **kw: Any) -> dcams.Client:
        """A client of this sandbox that reads no environment variable."""
        kw.setdefault("user", USER)
        kw.setdefault("password", PASS)
        kw.setdefault("timeout_ms", 20000)
        kw.setdefault("environment", False)
        return dcams.Client(kw.pop("endpoint", self.url), **kw)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    sb = Sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    sb.stop()


@pytest.fixture(scope="session")
def platform_sandbox(tmp_path_factory):
    sb = Sandbox(tmp_path_factory.mktemp("sandbox-platform"), "--error-style", "platform")
    yield sb
    sb.stop()


@pytest.fixture(scope="session")
def slow_sandbox(tmp_path_factory):
    sb = Sandbox(tmp_path_factory.mktemp("sandbox-slow"), "--latency-ms", "300")
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox):
    with sandbox.client() as c:
        yield c


# -- canned-answer stub ------------------------------------------------------


class Stub:
    """A loopback HTTP server answering every POST with the queued answer
    (status, headers, body, delay seconds)."""

    def __init__(self) -> None:
        stub = self
        self.answer = (200, {}, b"{}", 0.0)
        self.hits = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                stub.hits += 1
                status, headers, body, delay = stub.answer
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3/stable/api/storage"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None, delay: float = 0.0) -> None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        elif isinstance(body, str):
            body = body.encode()
        self.answer = (status, headers or {}, body, delay)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def stub():
    s = Stub()
    yield s
    s.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""The local servers every peer is measured against: the DCAMS sandbox and an nginx sink."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORAGE_PATH = "/v3/stable/api/storage"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited before listening (status {proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen within 10 s")


class Sandbox:
    """target/release/dcams-sandbox on a free loopback port."""

    name = "sandbox"

    def __init__(self, work: Path, latency_ms=0, extra=()):
        work.mkdir(parents=True, exist_ok=True)
        url_file = work / f"sandbox-{latency_ms}.url"
        url_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [str(ROOT / "target/release/dcams-sandbox"), "--port", "0", "--url-file", str(url_file),
             "--latency-ms", str(latency_ms), *extra], stdout=subprocess.DEVNULL)
        for _ in range(200):
            if url_file.exists() and url_file.read_text().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("the sandbox exited before listening")
            time.sleep(0.05)
        self.endpoint = url_file.read_text().strip()
        self.base = self.endpoint[: -len(STORAGE_PATH)]

    def stats(self):
        with urllib.request.urlopen(self.base + "/_sandbox/stats", timeout=10) as r:
            return json.load(r)

    def cpu_seconds(self):
        """User + system CPU time the sandbox has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class NginxSink:
    """nginx answering the fixed createCustomer JSON after reading the whole body."""

    name = "nginx"

    def __init__(self, work: Path):
        work = self.work = Path(work).resolve()
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        front, back = free_port(), free_port()
        conf = (Path(__file__).with_name("nginx.conf.in").read_text()
                .replace("@WORK@", str(work)).replace("@FRONT@", str(front)).replace("@BACK@", str(back)))
        if os.geteuid() == 0:
            conf = "user root root;\n" + conf  # workers must reach the scratch dir
        (work / "nginx.conf").write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-p", str(work), "-c", str(work / "nginx.conf"),
                                      "-g", "daemon off;"], stderr=open(work / "stderr.log", "wb"))
        _wait_port(front, self.proc, "nginx")
        self.endpoint = f"http://127.0.0.1:{front}{STORAGE_PATH}"

    def access_log(self):
        return (self.work / "access.log").read_text().splitlines()

    def stop(self):
        self.proc.terminate()  # SIGTERM to the master: fast shutdown of its workers
        self.proc.wait(timeout=10)


def answers_after_whole_body(endpoint, body_path):
    """Checks that a server answers a POST only once its whole body arrived:
    sends all but the last byte of ``body_path``, waits 0.5 s for any answer
    (there must be none), then sends the last byte (the answer must come)."""
    import select
    from urllib.parse import urlsplit
    u = urlsplit(endpoint)
    size = os.path.getsize(body_path)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s, open(body_path, "rb") as f:
        s.sendall((f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode())
        left = size - 1
        while left:
            chunk = f.read(min(left, 1 << 20))
            s.sendall(chunk)
            left -= len(chunk)
        early = bool(select.select([s], [], [], 0.5)[0])
        s.sendall(f.read(1))
        select.select([s], [], [], 30)
        reply = s.recv(4096)
    return {"body_bytes": size, "answer_before_last_byte": early,
            "status_line": reply.split(b"\r\n", 1)[0].decode(errors="replace"),
            "ok": not early and reply.startswith(b"HTTP/1.1 200")}

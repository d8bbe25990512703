"""W7 migration: `dcams batch` of the samples' 1,000 customers (tests/data/
customers.csv), 8 at a time, against the sandbox with 20 ms latency, paired
with the hand-written ThreadPoolExecutor(8) + requests.Session peer; and the
peak RSS of `dcams batch` for 1,000 and 100,000 rows (a generated CSV whose
rows all point at one 1 KiB image) against a sandbox keeping only hashes.

Ideal: 8 records in flight, each taking the 20 ms latency plus its upload
time U, so 8 / (0.020 + U) records/s. U is measured here: the same batch
with 1 record in flight against a sandbox without latency, wall time per
record (client encoding, transfer and the sandbox's decoding included).
"""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import median, run, run_json
from servers import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DCAMS = str(ROOT / "target/release/dcams")
CUSTOMERS = ROOT / "tests/data/customers.csv"
PEER = ROOT / "bench/peers/batch_requests_peer.py"
CONCURRENCY = 8


def _env(endpoint):
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DCAMS_")}
    return dict(keep, DCAMS_ENDPOINT=endpoint, DCAMS_USER="sandbox-user", DCAMS_PASS="sandbox-pass")


def _reset(sandbox):
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(sandbox.base + "/_sandbox/reset", method="POST"), timeout=10).read()


def _batch(sandbox, csv_path, concurrency, expect_records):
    _reset(sandbox)
    r = run([DCAMS, "batch", str(csv_path), "--concurrency", str(concurrency), "--progress", "none"],
            _env(sandbox.endpoint))
    created = sandbox.stats()["created"]
    if created != expect_records:
        raise RuntimeError(f"dcams batch created {created} of {expect_records}")
    return r


def _rows(n, work):
    """A CSV of n customers, every row pointing at one 1 KiB PNG-headed image."""
    image = work / "small.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + random.Random(7).randbytes(1024 - 16))
    path = work / f"rows-{n}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["email", "fn", "ln", "dob", "front"])
        for i in range(n):
            w.writerow([f"rss-{i}@example.com", "Ada", "Example", "19800214", image.name])
    return path


def measure(work: Path, reps: int):
    work.mkdir(parents=True, exist_ok=True)
    res = {}
    # U: one record in flight, no latency.
    fast = Sandbox(work / "w7-fast", latency_ms=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sample = Path(tmp) / "sample.csv"
            with open(CUSTOMERS, newline="") as f:
                lines = f.read().splitlines(True)
            sample.write_text("".join(lines[:101]))
            (Path(tmp) / "id").symlink_to(ROOT / "tests/data/id")
            singles = [_batch(fast, sample, 1, 100).wall / 100 for _ in range(reps)]
        res["upload_s"] = median(singles)
    finally:
        fast.stop()
    slow = Sandbox(work / "w7-slow", latency_ms=20)
    try:
        ours, peers, ratios = [], [], []
        for _ in range(reps):  # paired: each rep runs both, back to back
            r = _batch(slow, CUSTOMERS, CONCURRENCY, 1000)
            _reset(slow)
            p = run_json([sys.executable, str(PEER), str(CUSTOMERS), str(CONCURRENCY)], _env(slow.endpoint)).out
            if p["ok"] != 1000:
                raise RuntimeError(f"the requests peer stored {p['ok']} of 1000")
            ours.append(1000 / r.wall)
            peers.append(1000 / p["elapsed"])
            ratios.append(ours[-1] / peers[-1])
            res.setdefault("rss_1000_mib", []).append(r.rss)
        res.update(dcams_rps=median(ours), peer_rps=median(peers), paired_ratio=median(ratios),
                   ideal_rps=CONCURRENCY / (0.020 + res["upload_s"]))
        res["fraction_of_ideal"] = res["dcams_rps"] / res["ideal_rps"]
        res["rss_1000_mib"] = max(res["rss_1000_mib"])
    finally:
        slow.stop()
    hashed = Sandbox(work / "w7-hash", latency_ms=0, extra=["--images", "hash"])
    try:
        big = _rows(100_000, work)
        r = _batch(hashed, big, CONCURRENCY, 100_000)
        res["rss_100000_mib"] = r.rss
        res["rows_100000_rps"] = 100_000 / r.wall
    finally:
        hashed.stop()
    return res

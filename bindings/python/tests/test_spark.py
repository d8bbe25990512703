"""dcams.spark: the mapPartitions helpers (without Spark), and the example
examples/spark_upsert.py run with Spark in local[2] against the sandbox.

The Spark run needs pyspark in the venv and Java 17 (`make -C
bindings/python test-spark` installs both); without pyspark it is skipped,
unless DCAMS_REQUIRE_SPARK=1 (as test-spark sets) makes that a failure."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import dcams
from dcams import spark as dspark

from conftest import DATA, PASS, PY_ROOT, USER, tiny_png


class FakeRow:
    """What pyspark.sql.Row offers the helpers: asDict()."""

    def __init__(self, **kw):
        self._kw = kw

    def asDict(self):
        return dict(self._kw)


def test_a_partition_yields_one_row_per_customer_and_closes_its_client(sandbox, monkeypatch):
    run = uuid.uuid4().hex[:8]
    closed = []
    real_close = dcams.Client.close
    monkeypatch.setattr(dcams.Client, "close", lambda self: (closed.append(1), real_close(self))[1])
    rows = [
        FakeRow(email=f"sp-{run}-1@example.com", front="passport-td3.jpg", back="", dob="19800214", zip=62701),
        {"email": f"sp-{run}-2@example.com", "front": "passport-td3.jpg", "dob": "19900231", "extra": "x"},
    ]
    config = {"environment": False, "endpoint": sandbox.url, "user": USER, "pass": PASS}
    upsert = dspark.partition_upserter(config, total_rate=40, partitions=4, base_dir=str(DATA))
    got = sorted(upsert(iter(rows)))
    assert got == [
        (f"sp-{run}-1@example.com", "DCAMS_OK", "createCustomer", "PENDING", 1),
        (f"sp-{run}-2@example.com", "DCAMS_ERR_VALIDATION", None, None, 0),
    ]
    assert closed == [1]
    assert sandbox.customer(f"sp-{run}-1@example.com")["target"]["zip"] == "62701"
    # Closed in finally, also when the consumer stops early.
    gen = upsert(iter(rows))
    next(gen)
    gen.close()
    assert closed == [1, 1]


def test_the_rate_is_shared_between_partitions(monkeypatch):
    seen = {}

    def fake_partition(rows, *, config, rate, concurrency, base_dir):
        seen.update(rate=rate, concurrency=concurrency)
        return iter(())

    monkeypatch.setattr(dspark, "upsert_partition", fake_partition)
    list(dspark.partition_upserter(total_rate=50, partitions=4, concurrency=3)(iter(())))
    assert seen == {"rate": 12.5, "concurrency": 3}
    with pytest.raises(ValueError):
        dspark.partition_upserter(partitions=0)


def test_the_spark_example_in_local_2(sandbox, tmp_path):
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("DCAMS_REQUIRE_SPARK") == "1":
            raise
        pytest.skip("pyspark is not installed (make -C bindings/python test-spark installs it)")
    run = uuid.uuid4().hex[:8]
    with open(DATA / "customers.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:60]
    for row in rows:
        row["email"] = row["email"].replace("@", f".{run}@")
    rows[7]["dob"] = "19900231"
    rows[21]["email"] = "not-an-address"
    rows[33]["front"] = "id/missing.jpg"
    table = tmp_path / "customers.csv"
    with open(table, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for row in rows:
            w.writerow({k: (str(DATA / v) if k in ("front", "back") and v else v) for k, v in row.items()})
    out = tmp_path / "results"
    env = dict(os.environ, DCAMS_ENDPOINT=sandbox.url, DCAMS_USER=USER, DCAMS_PASS=PASS)
    done = subprocess.run(
        [sys.executable, str(PY_ROOT / "examples" / "spark_upsert.py"), str(table), str(out),
         "--partitions", "2", "--rate", "40", "--master", "local[2]"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 2, done.stdout + done.stderr[-3000:]
    result = {}
    for part in out.glob("part-*.csv"):
        with open(part, newline="") as f:
            for r in csv.DictReader(f):
                assert r["email"] not in result, "one row per customer"
                result[r["email"]] = r
    assert len(result) == 60
    want_bad = {rows[7]["email"]: "DCAMS_ERR_VALIDATION", "not-an-address": "DCAMS_ERR_VALIDATION",
                rows[33]["email"]: "DCAMS_ERR_FILE"}
    for email, r in result.items():
        assert r["code"] == want_bad.get(email, "DCAMS_OK"), r
        if r["code"] == "DCAMS_OK":
            assert r["type"] == "createCustomer" and r["status"] == "PENDING" and r["attempts"] == "1", r
            assert sandbox.customer(email)["upserts"] == 1
    assert "DCAMS_OK 57" in done.stdout

"""Client.upsert_many: the batch engine from Python, against the sandbox."""

from __future__ import annotations

import sys
import threading
import types
import uuid
from typing import Any, Dict, List

import pytest

import dcams

from conftest import FRONT, tiny_png


def _kind(i: int) -> str:
    return {1: "bad_dob", 3: "bad_email", 5: "bad_key", 7: "no_file"}.get(i % 10, "valid")


def _records(run: str, n: int) -> List[Dict[str, Any]]:
    png = tiny_png()
    out: List[Dict[str, Any]] = []
    for i in range(n):
        kind = _kind(i)
        r: Dict[str, Any] = {"email": f"many-{run}-{i}@example.com", "front": FRONT if i % 2 else png, "fn": "Ada"}
        if kind == "bad_dob":
            r["dob"] = "19900231"
        elif kind == "bad_email":
            r["email"] = "not-an-address"
        elif kind == "bad_key":
            r["dateofbirth"] = "19800101"
        elif kind == "no_file":
            r["front"] = "/nonexistent/front.jpg"
        out.append(r)
    return out


def test_200_mixed_records_8_at_a_time(sandbox):
    run = uuid.uuid4().hex[:8]
    records = _records(run, 200)
    seen: List[dcams.BatchProgress] = []
    threads = set()
    with sandbox.client() as client:
        results = []
        for r in client.upsert_many(records, concurrency=8, progress=seen.append, window=64):
            threads.add(threading.get_ident())
            results.append(r)
    assert sorted(r.index for r in results) == list(range(200)), "one result per record"
    assert threads == {threading.get_ident()}, "results are yielded on the caller's thread"
    for r in results:
        kind = _kind(r.index)
        if kind == "valid":
            assert r.ok and r.code == dcams.Code.OK and r.error is None, r
            assert r.type == "createCustomer" and r.status == dcams.Status.PENDING
            assert r.result is not None and r.result.target["email"] == records[r.index]["email"]
            assert r.attempts == 1 and r.meta.request_bytes > 0
        elif kind in ("bad_dob", "bad_email"):
            assert isinstance(r.error, dcams.ValidationError), r
            assert r.error.field == ("dob" if kind == "bad_dob" else "email")
            assert r.code_name == "DCAMS_ERR_VALIDATION" and r.attempts == 0
        elif kind == "bad_key":
            assert isinstance(r.error, dcams.InvalidArgumentError) and r.error.field == "dateofbirth", r
        else:
            assert isinstance(r.error, dcams.FileError), r
    valid = [rec for i, rec in enumerate(records) if _kind(i) == "valid"]
    assert len(valid) == 120
    for rec in valid:
        stored = sandbox.customer(rec["email"])
        assert stored is not None and stored["upserts"] == 1
    assert sandbox.customer(records[1]["email"]) is None  # the bad dob was not sent
    assert [p.done for p in seen] == list(range(1, 201))
    assert seen[-1].succeeded == 120 and seen[-1].failed == 80 and seen[-1].total == 200


def test_a_generator_of_records_and_a_stop(sandbox):
    """Any iterable, read window by window; leaving the loop stops the batch."""
    run = uuid.uuid4().hex[:8]
    taken = []

    def generate():
        for i in range(10_000):
            taken.append(i)
            yield {"email": f"gen-{run}-{i}@example.com", "front": tiny_png()}

    before = sandbox.stats()["created"]
    with sandbox.client() as client:
        got = 0
        for r in client.upsert_many(generate(), concurrency=4, window=20):
            assert r.ok
            got += 1
            if got == 30:
                break
    assert len(taken) <= 40, "only two windows of records were read"
    created = sandbox.stats()["created"] - before
    assert 30 <= created <= 30 + 4 + 20, created


def test_progress_uses_tqdm_when_installed(sandbox, monkeypatch):
    updates: List[int] = []

    class FakeTqdm:
        def __init__(self, total=None, unit=None):
            self.n = 0
            self.total = total
            self.closed = False

        def update(self, k):
            self.n += k
            updates.append(self.n)

        def set_postfix(self, **kw):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    run = uuid.uuid4().hex[:8]
    records = [{"email": f"tq-{run}-{i}@example.com", "front": tiny_png()} for i in range(5)]
    with sandbox.client() as client:
        assert len(list(client.upsert_many(records, progress=True))) == 5
    assert updates[-1] == 5


def test_progress_without_tqdm_prints_a_line(sandbox, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    run = uuid.uuid4().hex[:8]
    records = [{"email": f"ln-{run}-{i}@example.com", "front": tiny_png()} for i in range(3)]
    with sandbox.client() as client:
        assert all(r.ok for r in client.upsert_many(records, progress=True))
    assert "3/3 done (3 ok, 0 failed)" in capsys.readouterr().err


def test_bad_arguments_are_refused_before_anything_is_sent(sandbox):
    with sandbox.client() as client:
        for kw in ({"concurrency": 0}, {"concurrency": 2000}, {"rate": -1}, {"window": 0}):
            with pytest.raises(dcams.InvalidArgumentError):
                list(client.upsert_many([{"email": "x@example.com", "front": tiny_png()}], **kw))


def test_a_401_halts_the_batch_and_raises_after_the_records_in_flight(sandbox):
    run = uuid.uuid4().hex[:8]
    records = [{"email": f"halt-{run}-{i}@example.com", "front": tiny_png()} for i in range(300)]
    before = sandbox.requests()
    results: List[dcams.BatchResult] = []
    with sandbox.client(password="wrong-pass") as client:
        with pytest.raises(dcams.UnauthorizedError) as caught:
            for r in client.upsert_many(records, concurrency=4):
                results.append(r)
    sent = sandbox.requests() - before
    assert 1 <= sent <= 4, f"no record is sent after the first 401: {sent} requests"
    assert len(results) == sent and all(isinstance(r.error, dcams.UnauthorizedError) for r in results)
    assert caught.value.http_status == 401 and "halted" in str(caught.value)

"""Every result and every error of a call carries what the call did
(``meta``, from dcams_call_get_meta): attempts, elapsed time, bytes,
HTTP status, connection reuse."""

from __future__ import annotations

import pytest

import dcams

from conftest import FRONT, tiny_png, unique_email


def test_every_result_carries_meta(sandbox, tmp_path):
    email = unique_email("meta")
    with sandbox.client() as c:  # a new client: its first call opens a connection
        results = [c.upsert(email, FRONT, fn="Meta")]
        sent = [sandbox.last_request()["content_length"]]
        for call in (
            lambda: c.get_status(email),
            lambda: c.update_status(email, dcams.Status.PASS),
            lambda: c.get_document_images(email),
            lambda: c.save_document_images(email, tmp_path / "f.jpg"),
            lambda: c.call_json({"service": "getStatus", "target": {"email": email}}),
        ):
            results.append(call())
            sent.append(sandbox.last_request()["content_length"])
    for r, content_length in zip(results, sent):
        m = r.meta
        assert isinstance(m, dcams.CallMeta), r
        assert (m.code, m.attempts, m.http_status) == (dcams.Code.OK, 1, 200), m
        assert m.request_bytes == content_length
        assert m.response_bytes > 0 and m.elapsed_ms >= 0
    assert results[0].meta.request_bytes > FRONT.stat().st_size  # the image went, base64
    assert results[3].meta.response_bytes > FRONT.stat().st_size  # and came back
    assert isinstance(results[5], dict) and results[5]["status"] == "PASS"


def test_meta_tells_a_new_connection_from_a_pooled_one(sandbox):
    email = unique_email("pool")
    with sandbox.client() as c:  # a new client: its first call opens a connection
        first = c.upsert(email, tiny_png())
        second = c.get_status(email)
    assert first.meta.connection_reused is False
    assert second.meta.connection_reused is True


def test_errors_carry_meta(client, sandbox):
    with pytest.raises(dcams.NotFoundError) as ei:
        client.get_status(unique_email("ghost"))
    m = ei.value.meta
    assert m is not None and (m.code, m.attempts, m.http_status) == (dcams.Code.NOT_FOUND, 1, 404)
    assert m.request_bytes == sandbox.last_request()["content_length"]
    # refused by the library before any traffic
    with pytest.raises(dcams.ValidationError) as ei2:
        client.upsert("a@example.com", tiny_png(), dob="19800231")
    m = ei2.value.meta
    assert m is not None and (m.code, m.attempts, m.http_status, m.connection_reused) == (
        dcams.Code.VALIDATION, 0, None, None)
    # refused by the binding: no library call, no meta
    with pytest.raises(dcams.InvalidArgumentError) as ei3:
        client.get_status("a\0b@example.com")
    assert ei3.value.meta is None


def test_retries_show_in_meta(sandbox):
    """Three scripted 503s, then the real answer: attempts 4 (issue 10)."""
    email = unique_email("retry")
    with sandbox.client(retries=3, retry_backoff_ms=1) as c:
        c.upsert(email, tiny_png())
        sandbox.script({"status": 503, "body": "<html>busy</html>", "content_type": "text/html", "times": 3})
        r = c.get_status(email)
        assert r.status is dcams.Status.PENDING
        assert (r.meta.attempts, r.meta.http_status) == (4, 200)
    with sandbox.client(retries=2, retry_backoff_ms=1) as c:
        sandbox.script({"status": 503, "body": "<html>busy</html>", "content_type": "text/html", "times": 3})
        with pytest.raises(dcams.ServerError) as ei:
            c.get_status(email)
    assert ei.value.attempts == 3
    assert ei.value.meta is not None and (ei.value.meta.attempts, ei.value.meta.http_status) == (3, 503)


def test_elapsed_ms_is_milliseconds(slow_sandbox):
    """The slow sandbox waits 300 ms before each answer."""
    with slow_sandbox.client() as c:
        with pytest.raises(dcams.NotFoundError) as ei:
            c.get_status(unique_email("slow"))
    assert ei.value.meta is not None and ei.value.meta.elapsed_ms >= 300

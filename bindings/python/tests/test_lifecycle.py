"""upsert → status → images → set status → status → upsert, lookups of
unknown customers, and the test namespace."""

from __future__ import annotations

import json

import pytest

import dcams

from conftest import BACK, FRONT, TEST_KEY, tiny_png, unique_email


def test_lifecycle(client, sandbox, tmp_path):
    email = unique_email("life")
    r = client.upsert(email, FRONT, BACK, fn="Life", dob="19800214", reference="R-life")
    assert r.created and r.status is dcams.Status.PENDING

    s = client.get_status(email)
    assert isinstance(s, dcams.StatusResult)
    assert s.status is dcams.Status.PENDING
    assert s.reference == "R-life"
    assert s.target["email"] == email and s.target["fn"] == "Life"

    im = client.get_document_images(email)
    assert isinstance(im, dcams.ImagesResult)
    assert im.front == FRONT.read_bytes()
    assert im.back == BACK.read_bytes()
    assert im.status is dcams.Status.PENDING and im.reference == "R-life"
    assert im.target["email"] == email
    assert "documents" not in im.target
    assert im.raw["target"]["documents"] == {"front_bytes": len(im.front), "back_bytes": len(im.back)}
    text = repr(im)
    assert f"front=<{len(im.front)} bytes>" in text and f"back=<{len(im.back)} bytes>" in text
    assert len(text) < 500

    u = client.update_status(email, dcams.Status.PASS)
    assert u.status is dcams.Status.PASS and u.target["status"] == "PASS"
    assert client.get_status(email).status is dcams.Status.PASS
    assert sandbox.customer(email)["status"] == "PASS"

    r2 = client.upsert(email, FRONT, BACK, fn="Life2")
    assert r2.created is False and r2.type == "updateCustomer"
    assert r2.status is dcams.Status.PASS
    assert r2.target["fn"] == "Life2"

    # status given as the wire string works too
    assert client.update_status(email, "FAIL").status is dcams.Status.FAIL

    f, b = tmp_path / "front.jpg", tmp_path / "back.png"
    f.write_bytes(b"old content that must be truncated" * 100000)
    saved = client.save_document_images(email, f, b)
    assert saved.status is dcams.Status.FAIL and saved.target["email"] == email
    assert f.read_bytes() == FRONT.read_bytes()
    assert b.read_bytes() == BACK.read_bytes()
    f2 = tmp_path / "front-only.jpg"
    client.save_document_images(email, str(f2))
    assert f2.read_bytes() == FRONT.read_bytes()


def test_front_only_customer_images(client):
    email = unique_email("frontonly")
    png = tiny_png()
    client.upsert(email, png)
    im = client.get_document_images(email)
    assert im.front == png and im.back is None
    assert "back=None" in repr(im)
    assert im.raw["target"]["documents"] == {"front_bytes": len(png), "back_bytes": 0}


def test_absent_images_are_none_on_both_sides(stub):
    """A reply without documents: front and back are None (not b"")."""
    stub.set(200, {"result": "Success", "status": "PASS", "target": {"email": "a@example.com"}})
    try:
        with dcams.Client(stub.url, user="u", password="p", environment=False) as c:
            im = c.get_document_images("a@example.com")
    finally:
        stub.set(200, {})
    assert im.front is None and im.back is None
    assert im.status is dcams.Status.PASS and im.target == {"email": "a@example.com"}
    assert "front=None, back=None" in repr(im)


def test_empty_stored_image_is_empty_bytes_not_none(stub):
    stub.set(200, {"result": "Success", "target": {"email": "a@example.com", "documents": {"front": "", "back": "AQID"}}})
    try:
        with dcams.Client(stub.url, user="u", password="p", environment=False) as c:
            im = c.get_document_images("a@example.com")
    finally:
        stub.set(200, {})
    assert im.front == b"" and im.back == b"\x01\x02\x03"


@pytest.mark.parametrize(
    "lookup",
    [
        lambda c, e, tmp: c.get_status(e),
        lambda c, e, tmp: c.get_document_images(e),
        lambda c, e, tmp: c.save_document_images(e, tmp / "f", tmp / "b"),
        lambda c, e, tmp: c.update_status(e, dcams.Status.PASS),
    ],
)
def test_unknown_email_lookups(client, tmp_path, lookup):
    with pytest.raises(dcams.NotFoundError) as ei:
        lookup(client, unique_email("ghost"), tmp_path)
    assert ei.value.http_status == 404
    assert not (tmp_path / "f").exists()


def test_update_status_invalid_is_client_side(client, sandbox):
    before = sandbox.requests()
    for bad in ("DONE", "", None, 1):
        with pytest.raises(dcams.ValidationError) as ei:
            client.update_status("a@example.com", bad)
        assert ei.value.field == "status"
    assert sandbox.requests() == before


def test_test_namespace(sandbox):
    email = unique_email("testns")
    with sandbox.client(test_key=TEST_KEY) as c:
        r = c.upsert(email, tiny_png(), fn="Test")
        assert r.created is True
        assert sandbox.customer(email, test=True)["target"]["fn"] == "Test"
        assert sandbox.customer(email) is None
        # lookups with the same client see it; errors never show the key
        assert c.get_status(email).status is dcams.Status.PENDING
        errors = []
        with pytest.raises(dcams.NotFoundError) as ei:
            c.get_status(unique_email("testns-ghost"))
        errors.append(ei.value)
        with pytest.raises(dcams.ValidationError) as ei:
            c.upsert(email, tiny_png(), dob="19991340")
        errors.append(ei.value)
        for e in errors:
            for text in (str(e), repr(e), json.dumps(e.to_dict()), repr(c)):
                assert TEST_KEY not in text
    # per-call key on a client without one
    with sandbox.client() as c:
        email2 = unique_email("testns-call")
        c.upsert(email2, tiny_png(), test_key=TEST_KEY)
        assert sandbox.customer(email2, test=True) is not None
        assert sandbox.customer(email2) is None
        with pytest.raises(dcams.NotFoundError):
            c.get_status(email2)  # the live namespace does not have it
    # a wrong key is refused like bad credentials, and not echoed
    with sandbox.client(test_key="wrong-test-key-42") as c:
        with pytest.raises(dcams.UnauthorizedError) as ei:
            c.upsert(unique_email(), tiny_png())
        for text in (str(ei.value), repr(ei.value), json.dumps(ei.value.to_dict()), repr(c)):
            assert "wrong-test-key-42" not in text

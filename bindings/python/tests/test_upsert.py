"""createOrUpdateCustomer: paths and in-memory images, byte identity, e-mail
sent unchanged, pointer passing without copies."""

from __future__ import annotations

import ctypes
import gc
import os
import sys

import pytest

import dcams
from dcams.client import _document

from conftest import BACK, FRONT, tiny_png, unique_email


def test_create_then_update_with_paths(client, sandbox):
    email = unique_email("paths")
    r = client.upsert(email, FRONT, BACK, fn="Ada", ln="Example", dob="19800214",
                      zip="62701", state="IL", city="Springfield", addr="1 Test Way",
                      phone="2175550100", reference="R-py-1")
    assert isinstance(r, dcams.UpsertResult)
    assert r.type == "createCustomer" and r.created is True
    assert r.status is dcams.Status.PENDING
    assert r.reference == "R-py-1"
    assert r.customer_link.startswith(sandbox.base + "/customers.php?a=edit&id=")
    assert r.target == {
        "email": email, "fn": "Ada", "ln": "Example", "dob": "19800214", "zip": "62701",
        "state": "IL", "city": "Springfield", "addr": "1 Test Way", "phone": "2175550100",
    }
    assert r.raw["result"] == "Success"
    assert sandbox.document(email, "front") == FRONT.read_bytes()
    assert sandbox.document(email, "back") == BACK.read_bytes()

    r2 = client.upsert(email, str(BACK), None, ln="Updated")
    assert r2.type == "updateCustomer" and r2.created is False
    assert r2.status is dcams.Status.PENDING
    assert r2.target["ln"] == "Updated" and r2.target["fn"] == "Ada"
    assert sandbox.document(email, "front") == BACK.read_bytes()
    rec = sandbox.customer(email)
    assert rec["email"] == email and rec["front_len"] == BACK.stat().st_size


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "readonly-memoryview"])
def test_upsert_in_memory(client, sandbox, kind):
    front, back = FRONT.read_bytes(), BACK.read_bytes()
    conv = {
        "bytes": bytes,
        "bytearray": bytearray,
        "memoryview": lambda b: memoryview(bytearray(b)),
        "readonly-memoryview": memoryview,
    }[kind]
    email = unique_email(kind)
    r = client.upsert(email, conv(front), conv(back), dob="19700101")
    assert r.created is True and r.target["email"] == email
    assert sandbox.document(email, "front") == front
    assert sandbox.document(email, "back") == back
    assert client.upsert(email, conv(back)).created is False
    assert sandbox.document(email, "front") == back


def test_bytes_are_passed_without_copy():
    keep = []
    b = FRONT.read_bytes()
    doc = _document(b, "documents.front", keep)
    assert doc is not None and doc.struct_size == ctypes.sizeof(doc)
    addr = ctypes.cast(doc.data, ctypes.c_void_p).value
    if sys.implementation.name == "cpython":
        assert addr == id(b) + bytes.__basicsize__ - 1  # ob_sval of the bytes object itself
    assert doc.len == len(b) and doc.path is None
    ba = bytearray(b)
    doc = _document(ba, "documents.front", keep)
    assert doc is not None
    probe = (ctypes.c_char * len(ba)).from_buffer(ba)
    assert ctypes.cast(doc.data, ctypes.c_void_p).value == ctypes.addressof(probe)
    del probe
    with pytest.raises(BufferError):
        ba.append(0)  # exported while the call may use it
    del doc, keep
    gc.collect()  # ctypes.cast() above made a cycle in this test only
    ba.append(0)  # released afterwards


def test_bytearray_released_after_failed_call(client):
    ba = bytearray(b"not an image")
    with pytest.raises(dcams.ValidationError) as ei:
        client.upsert("a@example.com", ba)
    ba.append(0)  # the exception (and its traceback) must not keep it exported
    assert ei.value.field == "documents.front"


def test_email_sent_unchanged(client, sandbox):
    email = "Jane.Doe+kyc@Example.COM"
    r = client.upsert(email, tiny_png())
    assert r.target["email"] == email
    last = sandbox.last_request()
    assert last["body"]["target"]["email"] == email
    assert last["body"]["service"] == "createOrUpdateCustomer"
    assert last["content_type"] == "application/json"
    assert sandbox.customer(email)["email"] == email
    assert client.get_status(email).target["email"] == email


def test_file_error(client, sandbox, tmp_path):
    before = sandbox.requests()
    with pytest.raises(dcams.FileError) as ei:
        client.upsert(unique_email(), tmp_path / "missing.jpg")
    assert ei.value.code == dcams.Code.FILE
    assert sandbox.requests() == before


def test_check_image_format_off(sandbox):
    with sandbox.client(check_image_format=False) as c:
        email = unique_email("raw")
        r = c.upsert(email, b"not an image at all")
        assert r.created is True
        assert sandbox.document(email, "front") == b"not an image at all"


def test_argument_types(client):
    with pytest.raises(TypeError):
        client.upsert("a@example.com", 12345)
    with pytest.raises(TypeError):
        client.upsert(b"a@example.com", FRONT)


def test_paths_that_are_not_utf8(client, sandbox, tmp_path):
    """Paths go to the library as the OS spells them (os.fsencode)."""
    name = os.fsdecode(b"front-\xff\xfe.jpg")  # not UTF-8: a surrogate-escaped str
    src = tmp_path / name
    src.write_bytes(FRONT.read_bytes())
    email = unique_email("nonutf8")
    assert client.upsert(email, src).created
    assert sandbox.document(email, "front") == FRONT.read_bytes()
    out = tmp_path / os.fsdecode(b"out-\xe9.jpg")
    client.save_document_images(email, out)
    assert out.read_bytes() == FRONT.read_bytes()
    assert os.fsencode(out.name) == b"out-\xe9.jpg"
    back = os.fsencode(tmp_path) + b"/back-\xff.png"  # a bytes path (for upsert, bytes are image data)
    client.upsert(email, src, BACK)
    client.save_document_images(email, os.fsencode(out), back)
    assert open(back, "rb").read() == BACK.read_bytes()

"""Errors: service answers (sandbox and a canned stub), transport failures,
and input problems caught before any traffic."""

from __future__ import annotations

import json
import time

import pytest

import dcams

from conftest import FRONT, USER, free_port, tiny_png, unique_email


def test_unauthorized_storage_style(sandbox):
    with sandbox.client(password="wrong-password-123") as c:
        with pytest.raises(dcams.UnauthorizedError) as ei:
            c.get_status("a@example.com")
    e = ei.value
    assert e.code == dcams.Code.UNAUTHORIZED == 21
    assert e.name == "DCAMS_ERR_UNAUTHORIZED"
    assert e.http_status == 401
    assert e.service_message == "Either your username or password is incorrect"
    assert e.retryable is False
    assert isinstance(e, dcams.ServiceError)
    for text in (str(e), repr(e), json.dumps(e.to_dict())):
        assert "wrong-password-123" not in text


def test_unauthorized_platform_style(platform_sandbox):
    with platform_sandbox.client(password="nope") as c:
        with pytest.raises(dcams.UnauthorizedError) as ei:
            c.upsert(unique_email(), tiny_png())
    e = ei.value
    assert e.http_status == 401
    assert e.service_code == "AUTH0"
    assert e.service_message == "Bad Login"


def test_not_found(client):
    with pytest.raises(dcams.NotFoundError) as ei:
        client.get_status(unique_email("nobody"))
    e = ei.value
    assert e.code == 23 and e.http_status == 404
    assert e.service_message == "The email address was not found"


def test_invalid_json_to_call_json(client, sandbox):
    before = sandbox.requests()
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        client.call_json("{")
    assert ei.value.code == dcams.Code.INVALID_JSON == 4
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        client.call_json("[1, 2]")
    assert ei.value.code == 4
    assert sandbox.requests() == before


def test_call_json_success_and_defaults(client, sandbox):
    email = unique_email("json")
    reply = client.call_json({"target": {"email": email, "fn": "Js",
                                         "documents": {"front": tiny_png()}}})
    assert reply["result"] == "Success" and reply["type"] == "createCustomer"
    assert reply["target"] == {"email": email, "fn": "Js"}
    body = sandbox.last_request()["body"]
    assert body["service"] == "createOrUpdateCustomer" and body["user"] == USER
    reply = client.call_json(json.dumps({"service": "getStatus", "target": {"email": email}}))
    assert reply["status"] == "PENDING"


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda c: c.upsert("not-an-email", FRONT), "email"),
        (lambda c: c.upsert("a@localhost", FRONT), "email"),
        (lambda c: c.upsert("", FRONT), "email"),
        (lambda c: c.upsert("a@example.com", FRONT, dob="19900231"), "dob"),
        (lambda c: c.upsert("a@example.com", FRONT, dob="1990-01-31"), "dob"),
        (lambda c: c.upsert("a@example.com", FRONT, dob="01/31/1990"), "dob"),
        (lambda c: c.upsert("a@example.com", b""), "documents.front"),
        (lambda c: c.upsert("a@example.com", bytearray()), "documents.front"),
        (lambda c: c.upsert("a@example.com", b"plain text, not an image"), "documents.front"),
        (lambda c: c.upsert("a@example.com", FRONT, b"GIF8 nope"), "documents.back"),
        (lambda c: c.call_json({"target": {"email": "a@example.com"}}), "documents.front"),
        (lambda c: c.call_json({"service": "getStatus", "target": {"email": "bad@"}}), "email"),
        (lambda c: c.get_status("bad"), "email"),
        (lambda c: c.get_document_images("bad"), "email"),
        (lambda c: c.update_status("a@example.com", "DONE"), "status"),
        (lambda c: c.update_status("a@example.com", "pass"), "status"),
        (lambda c: c.call_json({"service": "updateStatus", "target": {"email": "a@example.com", "status": "DONE"}}), "status"),
    ],
)
def test_validation_before_traffic(client, sandbox, call, field):
    before = sandbox.requests()
    with pytest.raises(dcams.ValidationError) as ei:
        call(client)
    assert ei.value.field == field
    assert ei.value.code == dcams.Code.VALIDATION
    assert ei.value.retryable is False
    assert sandbox.requests() == before


def test_bad_strings_before_traffic(client, sandbox):
    before = sandbox.requests()
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        client.upsert("a@example.com\0evil", FRONT)  # would be silently cut at the NUL
    assert ei.value.code == dcams.Code.INVALID_ARGUMENT and ei.value.field == "email"
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        client.get_status("a\udcff@example.com")
    assert ei.value.code == dcams.Code.INVALID_UTF8
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        client.upsert("a@example.com", FRONT, test_key="k\0secret-key-value")
    assert "secret-key-value" not in str(ei.value) + repr(ei.value)
    assert sandbox.requests() == before


# -- answers the sandbox never gives: a canned stub --------------------------


def _stub_client(stub, **kw):
    return dcams.Client(stub.url, user="u", password="p", environment=False, **kw)


@pytest.mark.parametrize(
    "status,body,cls,code,service_message,retryable",
    [
        (400, {"result": "Error", "message": "Missing a required input"}, dcams.BadRequestError, 20, "Missing a required input", False),
        (400, {"meta": {"timestamp": "2019-10-21T13:06:12"}, "error": {"message": "Invalid input", "code": "QRY2", "detail": "dob"}}, dcams.BadRequestError, 20, "Invalid input", False),
        (403, {"meta": {}, "error": {"message": "User not active", "code": "AUTH1"}}, dcams.ForbiddenError, 22, "User not active", False),
        (413, "<html><body>Request Entity Too Large</body></html>", dcams.PayloadTooLargeError, 24, None, False),
        (429, "", dcams.RateLimitedError, 25, None, True),
        (502, "<html>Bad Gateway</html>", dcams.ServerError, 26, None, True),
        (200, {"result": "Error", "message": "Something odd"}, dcams.ServiceError, 27, "Something odd", False),
        (418, "teapot", dcams.ServiceError, 29, None, False),
        (200, "this is not json", dcams.BadResponseError, 43, None, False),
    ],
)
def test_service_answers(stub, status, body, cls, code, service_message, retryable):
    stub.set(status, body)
    with _stub_client(stub) as c:
        with pytest.raises(dcams.DcamsError) as ei:
            c.get_status("a@example.com")
    e = ei.value
    assert type(e) is cls, repr(e)
    assert e.code == code
    if status != 200 or code == 27:
        assert e.http_status == status
    if service_message is not None:
        assert e.service_message == service_message
    assert e.retryable is retryable
    if isinstance(body, dict) and "error" in body:
        assert e.service_code == body["error"]["code"]


def test_redirect_not_followed(stub):
    stub.set(302, "", headers={"Location": "http://127.0.0.1:1/elsewhere"})
    hits = stub.hits
    with _stub_client(stub) as c:
        with pytest.raises(dcams.RedirectError) as ei:
            c.get_status("a@example.com")
    assert ei.value.code == 44
    assert stub.hits == hits + 1


def test_timeout(stub):
    stub.set(200, {"result": "Success"}, delay=1.5)
    with _stub_client(stub, timeout_ms=300) as c:
        t0 = time.monotonic()
        with pytest.raises(dcams.DcamsTimeoutError) as ei:
            c.get_status("a@example.com")
        elapsed = time.monotonic() - t0
    assert ei.value.code == 42 and ei.value.retryable is True
    assert isinstance(ei.value, dcams.TransportError)
    assert elapsed < 1.4
    stub.set(200, {})


def test_connection_refused():
    port = free_port()
    with dcams.Client(f"http://127.0.0.1:{port}/v3/stable/api/storage", user="u", password="p",
                      environment=False) as c:
        with pytest.raises(dcams.TransportError) as ei:
            c.get_status("a@example.com")
    assert ei.value.code == dcams.Code.TRANSPORT and ei.value.retryable is True


def test_retries_are_configurable_and_reported(tmp_path):
    """A dead port: retries=0 makes one attempt, retries=2 makes three; both TransportError."""
    import socket

    import dcams

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    endpoint = f"http://127.0.0.1:{port}/v3/stable/api/storage"
    front = b"\xff\xd8\xff\xe0" + b"\0" * 64
    for retries, attempts in ((0, 1), (2, 3)):
        with dcams.Client(endpoint, user="u", password="p", retries=retries, environment=False,
                          retry_backoff_ms=1, connect_timeout_ms=500) as client:
            with pytest.raises(dcams.TransportError) as info:
                client.upsert("a@example.com", front)
            assert info.value.attempts == attempts
            assert info.value.meta is not None and info.value.meta.attempts == attempts
            assert info.value.meta.http_status is None  # no response ever arrived
            assert info.value.retryable is True


def test_tls_and_proxy_options_reach_the_library(tmp_path):
    import dcams

    missing = tmp_path / "missing-ca.pem"
    with pytest.raises(dcams.ConfigError) as info:
        dcams.Client("https://dcams.app/v3/stable/api/storage", ca_file=missing)
    assert "ca_file" in info.value.message
    with pytest.raises(dcams.ConfigError) as info:
        dcams.Client(proxy="http://user:hunter2@[::1:3128")
    assert "hunter2" not in str(info.value) and "proxy" in info.value.message
    dcams.Client(no_proxy=True, retries=0, send_timeout_ms=1000, response_timeout_ms=1000).close()


# -- each dcams error is caught by the builtin that fits ---------------------


def test_except_value_error_catches_validation(client, sandbox):
    before = sandbox.requests()
    try:
        client.upsert("a@example.com", FRONT, dob="19800231")
    except ValueError as e:
        assert isinstance(e, dcams.ValidationError) and e.field == "dob"
    else:
        raise AssertionError("no ValueError")
    assert sandbox.requests() == before


def test_except_os_error_catches_file_errors(client, tmp_path):
    try:
        client.upsert("a@example.com", tmp_path / "missing.jpg")
    except OSError as e:
        assert isinstance(e, dcams.FileError) and e.code == dcams.Code.FILE
    else:
        raise AssertionError("no OSError")


def test_except_connection_error_catches_transport_errors():
    with dcams.Client(f"http://127.0.0.1:{free_port()}/v3/stable/api/storage", user="u", password="p",
                      retries=0, environment=False) as c:
        try:
            c.get_status("a@example.com")
        except ConnectionError as e:
            assert type(e) is dcams.TransportError and e.code == dcams.Code.TRANSPORT
        else:
            raise AssertionError("no ConnectionError")


def test_except_timeout_error_catches_timeouts(stub):
    stub.set(200, {"result": "Success"}, delay=1.0)
    try:
        with _stub_client(stub, timeout_ms=200, retries=0) as c:
            try:
                c.get_status("a@example.com")
            except TimeoutError as e:
                assert isinstance(e, dcams.DcamsTimeoutError) and isinstance(e, ConnectionError)
            else:
                raise AssertionError("no TimeoutError")
    finally:
        stub.set(200, {})


# -- per-call deadline -------------------------------------------------------


def test_per_call_timeout(stub):
    """timeout_ms given to one call bounds that call, not the client's 20 s."""
    stub.set(200, {"result": "Success", "status": "PENDING"}, delay=1.0)
    try:
        with _stub_client(stub, timeout_ms=20000, retries=0) as c:
            t0 = time.monotonic()
            with pytest.raises(dcams.DcamsTimeoutError) as ei:
                c.get_status("a@example.com", timeout_ms=200)
            assert time.monotonic() - t0 < 0.9
            assert ei.value.meta is not None and ei.value.meta.code == dcams.Code.TIMEOUT
            assert c.get_status("a@example.com").status is dcams.Status.PENDING  # the client's deadline
            with pytest.raises(dcams.InvalidArgumentError):
                c.get_status("a@example.com", timeout_ms=0)  # refused by dcams_call_set_timeout_ms
            with pytest.raises(dcams.InvalidArgumentError):
                c.get_status("a@example.com", timeout_ms=-5)
    finally:
        stub.set(200, {})

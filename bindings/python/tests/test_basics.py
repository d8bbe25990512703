"""Codes and exceptions, configuration through the dcams_config setters,
repr and the lifecycle of Client."""

from __future__ import annotations

import pickle

import pytest

import dcams
from dcams.errors import error_from_json

from conftest import PASS, TEST_KEY, USER, Sandbox, unique_email


@pytest.mark.parametrize(
    "code,cls",
    [
        (1, dcams.InvalidArgumentError), (2, dcams.InvalidArgumentError),
        (3, dcams.InvalidArgumentError), (4, dcams.InvalidArgumentError),
        (5, dcams.ValidationError), (6, dcams.ConfigError), (7, dcams.FileError),
        (8, dcams.InvalidArgumentError), (9, dcams.InvalidArgumentError),
        (20, dcams.BadRequestError), (21, dcams.UnauthorizedError), (22, dcams.ForbiddenError),
        (23, dcams.NotFoundError), (24, dcams.PayloadTooLargeError), (25, dcams.RateLimitedError),
        (26, dcams.ServerError), (27, dcams.ServiceError), (29, dcams.ServiceError),
        (40, dcams.TransportError), (41, dcams.TlsError), (42, dcams.DcamsTimeoutError),
        (43, dcams.BadResponseError), (44, dcams.RedirectError), (99, dcams.InternalError),
        (12, dcams.InvalidArgumentError), (33, dcams.ServiceError), (55, dcams.TransportError),
        (77, dcams.DcamsError),
    ],
)
def test_error_mapping(code, cls):
    text = (
        '{"code":%d,"name":"X","message":"m","field":"dob","http_status":418,'
        '"service_message":"sm","service_code":"SC","detail":"d","retryable":true,"attempts":3}' % code
    )
    meta = dcams.CallMeta(code=code, attempts=3, http_status=418, elapsed_ms=5, request_bytes=7,
                          response_bytes=9, connection_reused=True)
    e = error_from_json(code, text, meta)
    assert type(e) is cls
    assert int(e.code) == code
    assert (e.name, e.message, e.field, e.http_status) == ("X", "m", "dob", 418)
    assert (e.service_message, e.service_code, e.detail, e.retryable, e.attempts) == ("sm", "SC", "d", True, 3)
    assert e.meta is meta
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is cls and e2.to_dict() == e.to_dict() and e2.meta == meta


@pytest.mark.parametrize(
    "cls,builtin",
    [
        (dcams.ValidationError, ValueError),
        (dcams.InvalidArgumentError, ValueError),
        (dcams.FileError, OSError),
        (dcams.TransportError, ConnectionError),
        (dcams.TlsError, ConnectionError),
        (dcams.DcamsTimeoutError, TimeoutError),
        (dcams.LibraryNotFoundError, ImportError),
    ],
)
def test_exceptions_derive_from_the_builtin_that_fits(cls, builtin):
    assert issubclass(cls, dcams.DcamsError) and issubclass(cls, builtin)
    e = cls("boom", code=dcams.Code.INTERNAL)
    assert str(e).endswith("boom") and e.args == ("boom",)
    assert pickle.loads(pickle.dumps(e)).message == "boom"


def test_error_from_garbage():
    e = error_from_json(23, None)
    assert isinstance(e, dcams.NotFoundError) and e.code == dcams.Code.NOT_FOUND and e.meta is None
    e = error_from_json(43, "not json")
    assert isinstance(e, dcams.BadResponseError) and e.message == "not json"


def test_close_idempotent_and_closed_client_raises_value_error(sandbox):
    c = sandbox.client()
    assert not c.closed
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(ValueError) as ei:
        c.get_status("a@example.com")
    assert isinstance(ei.value, dcams.InvalidArgumentError) and "closed" in str(ei.value)
    with sandbox.client() as c2:
        with pytest.raises(dcams.NotFoundError):
            c2.get_status(unique_email("ghost"))  # usable inside
    assert c2.closed
    with pytest.raises(ValueError):
        c2.upsert("a@example.com", b"\xff\xd8\xff")
    c3 = sandbox.client()
    del c3  # __del__ frees; must not crash


def test_parameters_after_endpoint_are_keyword_only(sandbox):
    with pytest.raises(TypeError):
        dcams.Client(sandbox.url, USER)  # type: ignore[misc]
    with pytest.raises(TypeError):
        dcams.Client(sandbox.url, user=USER, password=PASS, bogus=1)  # type: ignore[call-arg]
    dcams.Client(sandbox.url, user=USER, password=PASS, environment=False).close()


def test_repr_shows_endpoint_only(sandbox):
    c = dcams.Client(sandbox.url, user="u", password="hunter2-secret", test_key=TEST_KEY, environment=False)
    r = repr(c)
    assert r == f"Client(endpoint={sandbox.url!r})"
    assert "hunter2" not in r and TEST_KEY not in r and "'u'" not in r
    assert not any("hunter2" in str(v) for v in vars(c).values())
    c.close()
    assert repr(c) == f"Client(endpoint={sandbox.url!r}, closed)"
    # Credentials in the endpoint are refused (issue 9), and never echoed.
    with pytest.raises(dcams.ConfigError) as e:
        dcams.Client("https://user:pw-in-url@example.com/v3/stable/api/storage?k=v", environment=False)
    assert "pw-in-url" not in str(e.value) and "user:pw" not in str(e.value)


def test_config_errors():
    with pytest.raises(dcams.ConfigError) as ei:
        dcams.Client("http://example.com/v3/stable/api/storage", user="u", password=PASS)
    assert ei.value.code == dcams.Code.CONFIG
    assert PASS not in str(ei.value)
    with pytest.raises(dcams.ConfigError):
        dcams.Client("not a url", user="u", password="p")
    with pytest.raises(dcams.ConfigError):
        dcams.Client(timeout_ms=0, user="u", password="p")
    with pytest.raises(TypeError):
        dcams.Client(timeout_ms="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dcams.Client(no_proxy=1)  # type: ignore[arg-type]
    # a value the setter refuses names the setting, never the value
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        dcams.Client(retries=-7)
    assert "retries" in ei.value.message and "-7" not in ei.value.message
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        dcams.Client(retries=2**64)
    assert ei.value.field == "retries"
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        dcams.Client(password="a\0secret-after-nul")
    assert "secret-after-nul" not in str(ei.value) + repr(ei.value)
    # no credentials is fine at construction; the call fails with CONFIG
    with dcams.Client("http://127.0.0.1:9/v3/stable/api/storage", environment=False) as c:
        with pytest.raises(dcams.ConfigError) as ei:
            c.get_status("a@example.com")
    assert ei.value.meta is not None and ei.value.meta.attempts == 0


def test_password_with_quotes_backslashes_and_non_ascii(tmp_path):
    """Set through dcams_config_set_string, as it is: no JSON is composed."""
    password = 'p"a\\ss \u00e9\u4e2d{"pass":"x"}'
    sb = Sandbox(tmp_path, "--pass", password)
    try:
        email = unique_email("pw")
        with sb.client(password=password) as c:
            assert c.upsert(email, b"\x89PNG\r\n\x1a\n" + b"\0" * 32).created
        assert sb.last_request()["body"]["pass"] == password
        with sb.client(password=password[:-1]) as c:
            with pytest.raises(dcams.UnauthorizedError):
                c.get_status(email)
    finally:
        sb.stop()


def test_environment_false_reads_no_variable(sandbox, monkeypatch):
    monkeypatch.setenv("DCAMS_USER", USER)
    monkeypatch.setenv("DCAMS_PASS", PASS)
    with dcams.Client(sandbox.url) as c:  # credentials from the environment
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("env"))
    with dcams.Client(sandbox.url, environment=False) as c:  # none
        with pytest.raises(dcams.ConfigError):
            c.get_status(unique_email("env"))
    monkeypatch.setenv("DCAMS_ENDPOINT", "http://127.0.0.1:9/v3/stable/api/storage")
    with dcams.Client(user=USER, password=PASS, environment=False) as c:
        assert repr(c) == f"Client(endpoint={dcams.DEFAULT_ENDPOINT!r})"


def test_from_json(sandbox):
    config = {"endpoint": sandbox.url, "user": USER, "pass": PASS, "environment": False}
    with dcams.Client.from_json(config) as c:
        assert repr(c) == f"Client(endpoint={sandbox.url!r})"
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("json"))
    import json

    with dcams.Client.from_json(json.dumps(config)) as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("json"))
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        dcams.Client.from_json("{")
    assert ei.value.code == dcams.Code.INVALID_JSON
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        dcams.Client.from_json({"no_such_member": 1})
    assert ei.value.code == dcams.Code.INVALID_JSON

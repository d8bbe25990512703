"""``dcams.Client``: the DCAMS storage client over libdcams."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import threading
from ctypes import POINTER, byref, c_char_p, c_size_t, c_uint8, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

from . import _cancel, _lib, _log
from ._cancel import CancelToken
from ._check import CheckReport
from ._lib import (
    call_p,
    check,
    client_p,
    config_p,
    dcams_call_meta,
    dcams_customer,
    dcams_document,
    images_p,
    new_struct,
    take_string,
)
from .errors import (
    BadResponseError,
    Code,
    InternalError,
    InvalidArgumentError,
    ValidationError,
    error_from_json,
)
from .results import CallMeta, ImagesResult, JsonReply, Status, StatusResult, UpsertResult

if TYPE_CHECKING:
    from .batch import BatchProgress, BatchResult

#: The library's documented default endpoint (used for ``repr`` only).
DEFAULT_ENDPOINT = "https://dcams.app/v3/stable/api/storage"

#: A file path: ``str``, ``bytes`` or ``os.PathLike`` (passed as ``os.fsencode`` spells it).
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: An image: a file path (``str`` or ``os.PathLike``) or the image itself
#: (``bytes``, ``bytearray``, ``memoryview``).
ImageArg = Union[str, "os.PathLike[str]", "os.PathLike[bytes]", bytes, bytearray, memoryview]

# Non-NULL pointer for an empty in-memory image (len 0): the library then
# reports "documents.front is empty" instead of "documents.front is required".
_EMPTY = (c_uint8 * 1)()

_c = _lib.lib

#: Every ``Client(...)`` keyword that configures the library: (keyword,
#: configuration member as ``dcams_config_set_*`` names it, kind).
_SETTINGS: Tuple[Tuple[str, str, str], ...] = (
    ("endpoint", "endpoint", "string"),
    ("user", "user", "string"),
    ("password", "pass", "string"),
    ("test_key", "test_key", "string"),
    ("ca_file", "ca_file", "path"),
    ("ca_bundle", "ca_bundle", "path"),
    ("proxy", "proxy", "string"),
    ("no_proxy", "no_proxy", "bool"),
    ("connect_timeout_ms", "connect_timeout_ms", "int"),
    ("send_timeout_ms", "send_timeout_ms", "int"),
    ("response_timeout_ms", "response_timeout_ms", "int"),
    ("timeout_ms", "timeout_ms", "int"),
    ("retries", "retries", "int"),
    ("retry_backoff_ms", "retry_backoff_ms", "int"),
    ("max_response_bytes", "max_response_bytes", "int"),
    ("max_idle_connections", "max_idle_connections", "int"),
    ("check_image_format", "check_image_format", "bool"),
    ("danger_allow_plain_http", "danger_allow_plain_http", "bool"),
    ("environment", "environment", "bool"),
    ("app_name", "app_name", "string"),
    ("app_version", "app_version", "string"),
)
#: Keywords whose values never appear in a message.
_SECRETS = frozenset({"password", "test_key", "proxy", "request"})

_INT64_MAX = 2**63 - 1


def _text(value: object, what: str) -> Optional[bytes]:
    """An optional string argument as NUL-terminated UTF-8 (``None`` stays NULL).

    C strings end at the first NUL, so a NUL inside would silently cut the
    value short: that is refused here. Messages never quote the value of a
    secret argument.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            f"{what} is not valid Unicode text (it contains a lone surrogate)",
            code=Code.INVALID_UTF8,
            field=what,
        ) from None
    if b"\0" in raw:
        shown = "" if what in _SECRETS else f" ({value!r})"
        raise InvalidArgumentError(
            f"{what} contains a NUL character{shown}, which a C string cannot carry",
            code=Code.INVALID_ARGUMENT,
            field=what,
        )
    return raw


def _required_text(value: object, what: str) -> bytes:
    raw = _text(value, what)
    if raw is None:
        raise TypeError(f"{what} must be str, not None")
    return raw


def _path(value: object, what: str) -> bytes:
    """A path argument (str, bytes or os.PathLike) as the OS spells it
    (``os.fsencode``: a file name that is not UTF-8 survives)."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a path (str, bytes or os.PathLike), not {type(value).__name__}")
    raw = os.fsencode(value)
    if not raw:
        raise InvalidArgumentError(f"{what} is an empty path", code=Code.INVALID_ARGUMENT, field=what)
    if b"\0" in raw:
        raise InvalidArgumentError(
            f"{what} contains a NUL character, which a C path cannot carry",
            code=Code.INVALID_ARGUMENT,
            field=what,
        )
    return raw


def _int(value: object, what: str, low: int = -(2**63)) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be int, not {type(value).__name__}")
    if not low <= value <= _INT64_MAX:
        raise InvalidArgumentError(
            f"{what} is out of range ({low}..{_INT64_MAX})", code=Code.INVALID_ARGUMENT, field=what
        )
    return value


def _document(value: object, what: str, keep: List[object]) -> Optional[dcams_document]:
    """A ``dcams_document`` for an image given as bytes-like data or a path
    (``None``: no image, a NULL pointer).

    ``bytes`` are passed by pointer to their own buffer (no copy); writable
    contiguous buffers (``bytearray``, writable ``memoryview``) likewise via
    ``from_buffer``; read-only or non-contiguous memoryviews are copied once.
    Everything the pointers refer to is appended to ``keep``, which the
    caller holds until the C call returns.
    """
    if value is None:
        return None
    doc = new_struct(dcams_document)
    if isinstance(value, bytes):
        if not value:
            doc.data = _EMPTY
            return doc
        # c_char_p over bytes points into the bytes object itself (no copy).
        # ctypes.cast() on a ctypes object would create a reference cycle, so
        # the address is read out and cast as a plain integer instead.
        address = c_void_p.from_buffer(c_char_p(value)).value
        assert address is not None  # a non-empty bytes object has a buffer
        keep.append(value)
        doc.data = ctypes.cast(address, POINTER(c_uint8))
        doc.len = len(value)
        return doc
    if isinstance(value, (bytearray, memoryview)):
        view = memoryview(value)
        keep.append(view)
        if view.nbytes == 0:
            doc.data = _EMPTY
            return doc
        if view.readonly or not view.c_contiguous:
            return _document(view.tobytes(), what, keep)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
            keep.append(view)
        arr = (c_uint8 * view.nbytes).from_buffer(view)
        keep.append(arr)
        doc.data = arr  # an array decays to a pointer; no cast, no cycle
        doc.len = view.nbytes
        return doc
    if isinstance(value, (str, os.PathLike)):
        raw = _path(value, what)
        keep.append(raw)
        doc.path = raw
        return doc
    raise TypeError(
        f"{what} must be a path (str or os.PathLike) or image bytes (bytes, bytearray, "
        f"memoryview), not {type(value).__name__}"
    )


#: The attribute names of a customer, as the service names them.
CUSTOMER_FIELDS = ("fn", "ln", "addr", "city", "state", "zip", "dob", "phone")


def customer_struct(
    email: object,
    front: object,
    back: object,
    fields: Mapping[str, object],
    reference: object,
    test_key: object,
    keep: List[object],
) -> dcams_customer:
    """A ``dcams_customer`` (and its documents, appended to ``keep`` with
    every buffer it points to; hold ``keep`` until the C call returns).
    ``fields``: the attributes of :data:`CUSTOMER_FIELDS`, ``None`` for absent."""
    c = new_struct(dcams_customer)
    c.email = _required_text(email, "email")
    for name in CUSTOMER_FIELDS:
        setattr(c, name, _text(fields.get(name), name))
    c.reference = _text(reference, "reference")
    c.test_key = _text(test_key, "test_key")
    for side, value in (("front", front), ("back", back)):
        doc = _document(value, f"documents.{side}", keep)
        if doc is not None:
            keep.append(doc)
            setattr(c, side, ctypes.pointer(doc))
    return c


def _json_default(value: object) -> object:
    """``json.dumps`` hook for :meth:`Client.call_json`: bytes become base64."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Status):
        return value.value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _parse_reply(text: str) -> Dict[str, Any]:
    try:
        reply = json.loads(text)
    except ValueError as e:
        raise BadResponseError(f"libdcams returned a reply that is not JSON: {e}", code=Code.BAD_RESPONSE) from None
    if not isinstance(reply, dict):
        raise BadResponseError("libdcams returned a reply that is not a JSON object", code=Code.BAD_RESPONSE)
    return reply


def _display_endpoint(endpoint: Optional[str], environment: bool) -> str:
    """The endpoint for repr: without user info, query or fragment."""
    url = endpoint or (os.environ.get("DCAMS_ENDPOINT") if environment else None) or DEFAULT_ENDPOINT
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<unparsable endpoint>"


def _read_meta(call: Any) -> Optional[CallMeta]:
    """``dcams_call_get_meta`` as a :class:`CallMeta` (``None`` if the
    handle has no call recorded, which a service call always leaves)."""
    m = new_struct(dcams_call_meta)
    error = c_void_p()
    code = int(_c.dcams_call_get_meta(call, byref(m), byref(error)))
    take_string(error.value)
    return meta_from_struct(m) if code == Code.OK else None


def meta_from_struct(m: Any) -> CallMeta:
    """A filled ``struct dcams_call_meta`` (from ``dcams_call_get_meta`` or
    a batch callback) as a :class:`CallMeta`."""
    try:
        result: int = Code(m.code)
    except ValueError:
        result = int(m.code)
    return CallMeta(
        code=result,
        attempts=int(m.attempts),
        http_status=int(m.http_status) or None,
        elapsed_ms=int(m.elapsed_ms),
        request_bytes=int(m.request_bytes),
        response_bytes=int(m.response_bytes),
        connection_reused=None if m.connection_reused < 0 else bool(m.connection_reused),
    )


def _image_side(fn: Any, images: Any) -> Optional[bytes]:
    """One side of ``dcams_images``: its bytes, or ``None`` when not stored."""
    data = POINTER(c_uint8)()
    length = c_size_t()
    error = c_void_p()
    code = int(fn(images, byref(data), byref(length), byref(error)))
    text = take_string(error.value)
    if code == Code.NOT_PRESENT:
        return None
    if code != Code.OK:
        raise error_from_json(code, text)
    return ctypes.string_at(data, length.value) if length.value else b""


class Client:
    """A DCAMS storage client (one libdcams ``dcams_client``).

    Only ``endpoint`` may be given by position; every other setting is a
    keyword. Settings left as ``None`` come from the environment, then the
    defaults:

    ============================  =============================  =========================================
    keyword                       environment                    default
    ============================  =============================  =========================================
    ``endpoint``                  ``DCAMS_ENDPOINT``             ``https://dcams.app/v3/stable/api/storage``
    ``user``, ``password``        ``DCAMS_USER``, ``DCAMS_PASS`` none (required before the first call)
    ``test_key``                  ``DCAMS_TEST_KEY``             none (sent as ``target.test_key``)
    ``ca_file``                   ``DCAMS_CA_FILE``              none: PEM CAs added to the platform's
    ``ca_bundle``                 ``DCAMS_CA_BUNDLE``            none: PEM CAs used instead of them
    ``proxy``                     ``HTTPS_PROXY``, ``ALL_PROXY`` ``http://[user:pass@]host:port``
    ``no_proxy``                  ``NO_PROXY`` (per host)        ``False``; ``True``: never a proxy
    ``connect_timeout_ms``        ``DCAMS_CONNECT_TIMEOUT_MS``   10000 (TCP + TLS, per attempt)
    ``send_timeout_ms``                                          120000 (the body, per attempt)
    ``response_timeout_ms``                                      60000 (headers, then body, per attempt)
    ``timeout_ms``                ``DCAMS_TIMEOUT_MS``           120000 (the whole call, retries included)
    ``retries``                   ``DCAMS_RETRIES``              2 (0 disables)
    ``retry_backoff_ms``                                         250 (first pause, doubled each time)
    ``max_response_bytes``                                       268435456
    ``max_idle_connections``                                     16 (connections kept for reuse)
    ``check_image_format``                                       ``True`` (refuse non-image documents)
    ``danger_allow_plain_http``                                  ``False`` (``http://`` beyond loopback)
    ``environment``                                              ``True``; ``False``: read no variable
    ``app_name``, ``app_version``                                none: HTTP tokens added to the User-Agent
    ``log_level``                                                as ``logging.getLogger("dcams")`` is set
    ============================  =============================  =========================================

    ``log_level``: libdcams's log events go to the ``logging`` loggers
    ``dcams.*`` (see ``dcams._log``: levels mapped, records on the thread that
    made the call, nothing secret or personal in them). ``None`` installs
    the callback at the level ``logging.getLogger("dcams")`` has when the
    client is made (WARNING by default: retries and failures); a name
    (``"error"``, ``"warn"``, ``"info"``, ``"debug"``, ``"trace"``) or a
    ``logging`` level picks it; ``"off"`` installs none. :meth:`check`
    proves configuration, network, TLS and credentials without storing
    anything.

    Certificate verification is always on. ``proxy`` beats
    ``no_proxy=True``, which beats the environment; a loopback endpoint
    never uses a proxy from the environment. Retries follow a connection
    failure or HTTP 429/502/503/504, with exponential backoff (a
    ``Retry-After`` answer wins); repeating is safe because every service is
    idempotent (the upsert is keyed by e-mail). ``environment=False`` makes
    the client immune to the process environment (no ``DCAMS_*``, no proxy
    variables), e.g. for tests.

    The settings go to the library one by one (no JSON is composed), so a
    password may hold any character. A setting the library refuses raises
    :class:`InvalidArgumentError` or :class:`ConfigError` naming it, never
    its value. :meth:`from_json` takes the library's JSON configuration
    instead.

    One client may be shared by any number of threads: every call releases
    the GIL while libdcams works. :meth:`close` waits for calls in flight
    and is idempotent; calls on a closed client raise ``ValueError``
    (:class:`InvalidArgumentError`). The client is also a context manager.
    The password and test key are never kept on the Python object, logged,
    or shown in ``repr``.

    Every result, and every error raised by a call, carries ``meta``
    (:class:`CallMeta`): attempts, elapsed time, bytes sent, HTTP status,
    connection reuse. Every call takes a keyword ``timeout_ms``: a deadline
    for that call alone, instead of the client's ``timeout_ms``; and
    ``cancel``: a :class:`dcams.CancelToken` whose ``cancel()``, from any
    thread, ends the call with :class:`dcams.CancelledError` within 100 ms.
    A Ctrl-C during a call made on the main thread cancels it and raises
    ``KeyboardInterrupt`` at once (the C part runs on a helper thread while
    the main thread waits, interruptibly).
    """

    _handle: Optional[Any]
    _forwarder: Optional[_log.Forwarder]

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        user: Optional[str] = None,
        password: Optional[str] = None,
        test_key: Optional[str] = None,
        ca_file: Optional[PathArg] = None,
        ca_bundle: Optional[PathArg] = None,
        proxy: Optional[str] = None,
        no_proxy: Optional[bool] = None,
        connect_timeout_ms: Optional[int] = None,
        send_timeout_ms: Optional[int] = None,
        response_timeout_ms: Optional[int] = None,
        timeout_ms: Optional[int] = None,
        retries: Optional[int] = None,
        retry_backoff_ms: Optional[int] = None,
        max_response_bytes: Optional[int] = None,
        max_idle_connections: Optional[int] = None,
        check_image_format: Optional[bool] = None,
        danger_allow_plain_http: Optional[bool] = None,
        environment: Optional[bool] = None,
        app_name: Optional[str] = None,
        app_version: Optional[str] = None,
        log_level: Union[str, int, bool, None] = None,
    ) -> None:
        values: Dict[str, object] = {
            "endpoint": endpoint,
            "user": user,
            "password": password,
            "test_key": test_key,
            "ca_file": ca_file,
            "ca_bundle": ca_bundle,
            "proxy": proxy,
            "no_proxy": no_proxy,
            "connect_timeout_ms": connect_timeout_ms,
            "send_timeout_ms": send_timeout_ms,
            "response_timeout_ms": response_timeout_ms,
            "timeout_ms": timeout_ms,
            "retries": retries,
            "retry_backoff_ms": retry_backoff_ms,
            "max_response_bytes": max_response_bytes,
            "max_idle_connections": max_idle_connections,
            "check_image_format": check_image_format,
            "danger_allow_plain_http": danger_allow_plain_http,
            "environment": environment,
            "app_name": app_name,
            "app_version": app_version,
        }
        self._init_state(endpoint, environment is not False)
        level = _log.c_level(log_level)
        config = config_p()
        check(_c.dcams_config_new, byref(config))
        try:
            for keyword, member, kind in _SETTINGS:
                value = values[keyword]
                if value is None:
                    continue
                name = member.encode("ascii")
                if kind == "string":
                    check(_c.dcams_config_set_string, config, name, _text(value, keyword))
                elif kind == "path":
                    check(_c.dcams_config_set_string, config, name, _path(value, keyword))
                elif kind == "int":
                    check(_c.dcams_config_set_int, config, name, _int(value, keyword))
                else:
                    if not isinstance(value, bool):
                        raise TypeError(f"{keyword} must be bool, not {type(value).__name__}")
                    check(_c.dcams_config_set_bool, config, name, 1 if value else 0)
            if level is not None:
                # Kept on the client for its whole life: C calls it through this pointer.
                self._forwarder = _log.Forwarder()
                check(_c.dcams_config_set_log_callback, config, self._forwarder.callback, None, level)
            handle = client_p()
            check(_c.dcams_client_new_from_config, config, byref(handle))
        finally:
            _c.dcams_config_free(config)
            del values
        self._handle = handle

    @classmethod
    def from_json(cls, config: Union[str, bytes, Mapping[str, Any]]) -> "Client":
        """A client from the library's JSON configuration
        (``dcams_client_new``): an object with the members of the table in
        the class documentation, named as the library names them (``"pass"``
        for the password). ``config`` is JSON text or a mapping. JSON cannot
        carry a log callback: such a client does not log (use ``Client(...)``)."""
        if isinstance(config, Mapping):
            data: object = dict(config)
            text = json.dumps(config)
        elif isinstance(config, (str, bytes)):
            text = config if isinstance(config, str) else config.decode("utf-8", "surrogateescape")
            try:
                data = json.loads(text)
            except ValueError:
                data = None  # the library reports it
        else:
            raise TypeError(f"config must be JSON text or a mapping, not {type(config).__name__}")
        members = data if isinstance(data, dict) else {}
        endpoint = members.get("endpoint")
        self = cls.__new__(cls)
        self._init_state(endpoint if isinstance(endpoint, str) else None, members.get("environment") is not False)
        handle = client_p()
        check(_c.dcams_client_new, _required_text(text, "config"), byref(handle))
        self._handle = handle
        return self

    def _init_state(self, endpoint: Optional[str], environment: bool) -> None:
        self._handle = None
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closing = False
        self._endpoint = endpoint
        self._environment = environment
        self._forwarder = None

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Frees the client after any calls in flight finish. Idempotent."""
        with self._cond:
            if self._handle is None:
                return
            self._closing = True
            while self._active:
                self._cond.wait()
            handle, self._handle = self._handle, None
        _c.dcams_client_free(handle)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self, _free: Any = _c.dcams_client_free) -> None:
        # No call can be in flight here (each holds a reference to self).
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            try:
                _free(handle)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    def __repr__(self) -> str:
        state = ", closed" if self.closed else ""
        return f"Client(endpoint={_display_endpoint(self._endpoint, self._environment)!r}{state})"

    @contextlib.contextmanager
    def _use(self) -> Iterator[Any]:
        with self._cond:
            if self._handle is None or self._closing:
                raise InvalidArgumentError("the client is closed", code=Code.NULL_ARGUMENT)
            self._active += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    def _run(
        self,
        fn: Any,
        args: Sequence[object],
        timeout_ms: Optional[int],
        outputs: Sequence[Any] = (),
        *,
        cancel: Optional[CancelToken] = None,
    ) -> Tuple[str, CallMeta]:
        """One service call, always with a ``dcams_call``: runs
        ``fn(client, *args, call, *outputs, &result, &error)`` and returns
        the reply text and what the call did, or raises the error (with
        ``meta``). ``outputs`` are extra value outputs (ctypes objects).
        ``cancel`` can cancel it from another thread; on the main thread a
        Ctrl-C cancels it and raises ``KeyboardInterrupt`` (see ``_cancel``)."""
        if cancel is not None and not isinstance(cancel, CancelToken):
            raise TypeError(f"cancel must be a dcams.CancelToken, not {type(cancel).__name__}")
        if timeout_ms is not None:
            timeout_ms = _int(timeout_ms, "timeout_ms", low=0)
        call = call_p()
        check(_c.dcams_call_new, byref(call))
        result, error = c_void_p(), c_void_p()
        code: int = Code.INTERNAL
        meta: Optional[CallMeta] = None
        try:
            if timeout_ms is not None:
                check(_c.dcams_call_set_timeout_ms, call, timeout_ms)
            if cancel is not None:
                cancel._attach(call)
            with self._use() as handle:
                c_args = (handle, *args, call, *(byref(o) for o in outputs), byref(result), byref(error))
                code = _cancel.run(lambda: int(fn(*c_args)), call)
                del c_args
            meta = _read_meta(call)
        finally:
            del args  # no traceback may keep the caller's buffers alive
            if cancel is not None:
                cancel._detach(call)
            _c.dcams_call_free(call)
            text = take_string(result.value)
            error_text = take_string(error.value)
        if code != Code.OK:
            raise error_from_json(code, error_text, meta)
        if text is None or meta is None:
            raise InternalError("libdcams returned DCAMS_OK without a result or metadata", code=Code.INTERNAL)
        return text, meta

    # -- services ----------------------------------------------------------

    def check(self, *, timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None) -> CheckReport:
        """Checks, without storing anything, that calls can work:
        configuration, name resolution, TCP, the proxy's tunnel (when one
        applies), TLS and the credentials, each step timed
        (``dcams_client_check``: one getStatus for an address in the
        reserved ``.invalid`` domain; HTTP 404 = credentials accepted, 401
        = rejected). Returns the report whatever it found; its ``ok``,
        ``hint`` and :meth:`CheckReport.raise_for_failure` say how it went."""
        text, meta = self._run(_c.dcams_client_check, (), timeout_ms, cancel=cancel)
        return CheckReport.from_json(text, meta)

    def upsert(
        self,
        email: str,
        front: ImageArg,
        back: Optional[ImageArg] = None,
        *,
        fn: Optional[str] = None,
        ln: Optional[str] = None,
        addr: Optional[str] = None,
        city: Optional[str] = None,
        state: Optional[str] = None,
        zip: Optional[str] = None,
        dob: Optional[str] = None,
        phone: Optional[str] = None,
        reference: Optional[str] = None,
        test_key: Optional[str] = None,
        timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None,
    ) -> UpsertResult:
        """createOrUpdateCustomer: creates or updates the customer ``email``.

        ``front`` (required) and ``back`` are each a file path (``str`` or
        ``os.PathLike``; read while sending) or the image itself (``bytes``,
        ``bytearray``, ``memoryview``; passed by pointer, not copied). ``dob`` is ``YYYYMMDD``. ``test_key`` overrides the
        client's for this call. Raises :class:`ValidationError` (with
        ``.field``) before any traffic for a bad e-mail, dob or image.
        """
        keep: List[object] = []
        fields = dict(fn=fn, ln=ln, addr=addr, city=city, state=state, zip=zip, dob=dob, phone=phone)
        c = customer_struct(email, front, back, fields, reference, test_key, keep)
        try:
            text, meta = self._run(_c.dcams_client_upsert, (byref(c),), timeout_ms, cancel=cancel)
        finally:
            # Only now may the buffers go; drop them before raising, so a
            # traceback holding this frame does not keep a bytearray exported.
            del c, keep
        return UpsertResult.from_reply(_parse_reply(text), meta)

    def upsert_many(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 4,
        rate: Optional[float] = None,
        burst: int = 1,
        progress: Union[None, bool, Callable[[BatchProgress], None]] = None,
        window: int = 1024,
    ) -> Iterator[BatchResult]:
        """createOrUpdateCustomer for every record, ``concurrency`` at a
        time on libdcams's threads, yielding a :class:`BatchResult` (with
        the record's input ``index``) as each finishes; see
        :func:`dcams.batch.upsert_many` for the records, the pacing,
        ``progress`` and ``window``."""
        from .batch import upsert_many

        return upsert_many(
            self, records, concurrency=concurrency, rate=rate, burst=burst, progress=progress, window=window
        )

    def call_json(
        self, request: Union[Mapping[str, Any], str, bytes], *, timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None
    ) -> JsonReply:
        """Sends a request given as the documented JSON body and returns the
        service's reply (a ``dict`` with ``.meta``). ``request`` is a
        mapping (``bytes`` values, e.g. images in ``target.documents``,
        become base64) or JSON text. ``user``, ``pass``, ``service``
        (default ``createOrUpdateCustomer``) and ``target.test_key`` default
        to the client's.
        """
        if isinstance(request, Mapping):
            text = json.dumps(request, default=_json_default)
        elif isinstance(request, (bytes, bytearray)):
            try:
                text = bytes(request).decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidArgumentError("request is not valid UTF-8", code=Code.INVALID_UTF8) from None
        elif isinstance(request, str):
            text = request
        else:
            raise TypeError(f"request must be a dict or JSON text, not {type(request).__name__}")
        reply, meta = self._run(
            _c.dcams_client_call_json, (_required_text(text, "request"),), timeout_ms, cancel=cancel
        )
        return JsonReply(_parse_reply(reply), meta)

    def get_status(self, email: str, *, timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None) -> StatusResult:
        """getStatus: the review status and stored attributes of ``email``."""
        text, meta = self._run(
            _c.dcams_client_get_status, (_required_text(email, "email"),), timeout_ms, cancel=cancel
        )
        return StatusResult.from_reply(_parse_reply(text), meta)

    def update_status(
        self, email: str, status: Union[Status, str], *, timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None
    ) -> StatusResult:
        """updateStatus: sets the review status (``Status`` or ``"PASS"``,
        ``"PENDING"``, ``"FAIL"``). Anything else raises
        :class:`ValidationError` (field ``status``) without sending."""
        parsed = Status.parse(status)
        if parsed is None:
            shown = repr(status) if isinstance(status, (str, int)) else type(status).__name__
            raise ValidationError(
                f"status must be PASS, PENDING or FAIL, not {shown[:40]}",
                code=Code.VALIDATION,
                field="status",
            )
        text, meta = self._run(
            _c.dcams_client_update_status, (_required_text(email, "email"), parsed.code), timeout_ms, cancel=cancel
        )
        return StatusResult.from_reply(_parse_reply(text), meta, status_in_target=True)

    def get_document_images(self, email: str, *, timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None) -> ImagesResult:
        """getDocumentImages: the stored images, decoded (``None`` for a side
        that is not stored), with status and attributes."""
        raw_email = _required_text(email, "email")
        images = images_p()
        try:
            text, meta = self._run(
                _c.dcams_client_get_document_images, (raw_email,), timeout_ms, (images,), cancel=cancel
            )
            front = _image_side(_c.dcams_images_front, images)
            back = _image_side(_c.dcams_images_back, images)
        finally:
            _c.dcams_images_free(images)  # NULL-safe
        return ImagesResult.from_reply(_parse_reply(text), meta, front, back)

    def save_document_images(
        self,
        email: str,
        front_path: PathArg,
        back_path: Optional[PathArg] = None,
        *,
        timeout_ms: Optional[int] = None, cancel: Optional[CancelToken] = None,
    ) -> StatusResult:
        """getDocumentImages, writing the front image to ``front_path`` and
        the back image to ``back_path``. Files are created or truncated; if
        ``back_path`` is given but no back image is stored, an existing file
        there is removed. Paths may be ``str``, ``bytes`` or
        ``os.PathLike`` (any name the OS accepts)."""
        args = (
            _required_text(email, "email"),
            _path(front_path, "front_path"),
            None if back_path is None else _path(back_path, "back_path"),
        )
        text, meta = self._run(_c.dcams_client_save_document_images, args, timeout_ms, cancel=cancel)
        return StatusResult.from_reply(_parse_reply(text), meta)


__all__ = ["Client", "DEFAULT_ENDPOINT"]

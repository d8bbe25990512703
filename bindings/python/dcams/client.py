"""``dcams.Client``: the DCAMS storage client over libdcams."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import threading
from ctypes import POINTER, byref, c_char_p, c_uint8, c_void_p
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

from . import _lib
from ._lib import dcams_customer, dcams_document, dcams_images, take_string
from .errors import (
    BadResponseError,
    Code,
    InvalidArgumentError,
    ValidationError,
    error_from_json,
)
from .results import ImagesResult, Status, StatusResult, UpsertResult

#: The library's documented default endpoint (used for ``repr`` only).
DEFAULT_ENDPOINT = "https://dcams.app/v3/stable/api/storage"

PathArg = Union[str, "os.PathLike[str]", "os.PathLike[bytes]"]
ImageArg = Union[PathArg, bytes, bytearray, memoryview]

# Non-NULL pointer for an empty in-memory image (len 0): the library then
# reports "documents.front is empty" instead of "documents.front is required".
_EMPTY = (c_uint8 * 1)()

_lib_fns = _lib.lib


def _text(value: Any, what: str, *, secret: bool = False) -> Optional[bytes]:
    """A string argument as NUL-terminated UTF-8 (``None`` stays NULL).

    C strings end at the first NUL, so a NUL inside would silently cut the
    value short: that is refused here. Messages never quote the value of a
    ``secret`` argument.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"{what} is not valid Unicode text (it contains a lone surrogate)",
                code=Code.INVALID_UTF8,
                field=what,
            ) from None
    else:
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if b"\0" in raw:
        shown = "" if secret else f" ({value!r})"
        raise InvalidArgumentError(
            f"{what} contains a NUL character{shown}, which a C string cannot carry",
            code=Code.INVALID_ARGUMENT,
            field=what,
        )
    return raw


def _path(value: Any, what: str) -> bytes:
    """A path argument (str, bytes or os.PathLike) in the OS encoding."""
    try:
        raw = os.fsencode(value)
    except TypeError:
        raise TypeError(f"{what} must be a path (str or os.PathLike), not {type(value).__name__}") from None
    if not raw:
        raise InvalidArgumentError(f"{what} is an empty path", code=Code.INVALID_ARGUMENT, field=what)
    if b"\0" in raw:
        raise InvalidArgumentError(
            f"{what} contains a NUL character, which a C path cannot carry",
            code=Code.INVALID_ARGUMENT,
            field=what,
        )
    return raw


def _document(value: Any, what: str, keep: List[Any]) -> dcams_document:
    """A ``dcams_document`` for an image given as bytes-like data or a path.

    ``bytes`` are passed by pointer to their own buffer (no copy); writable
    contiguous buffers (``bytearray``, writable ``memoryview``) likewise via
    ``from_buffer``; read-only or non-contiguous memoryviews are copied once.
    Everything the pointers refer to is appended to ``keep``, which the
    caller holds until the C call returns.
    """
    doc = dcams_document()
    if value is None:
        return doc
    if isinstance(value, bytes):
        if not value:
            doc.data = _EMPTY
            return doc
        # c_char_p over bytes points into the bytes object itself (no copy).
        # ctypes.cast() on a ctypes object would create a reference cycle, so
        # the address is read out and cast as a plain integer instead.
        address = c_void_p.from_buffer(c_char_p(value)).value
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


def _json_default(value: Any) -> Any:
    """``json.dumps`` hook for :meth:`Client.call_json`: bytes become base64."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Status):
        return value.value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _parse_reply(text: Optional[str]) -> Dict[str, Any]:
    try:
        reply = json.loads(text) if text is not None else None
    except ValueError as e:
        raise BadResponseError(f"libdcams returned a reply that is not JSON: {e}", code=Code.BAD_RESPONSE) from None
    if not isinstance(reply, dict):
        raise BadResponseError("libdcams returned a reply that is not a JSON object", code=Code.BAD_RESPONSE)
    return reply


def _display_endpoint(endpoint: Optional[str]) -> str:
    """The endpoint for repr: without user info, query or fragment."""
    url = endpoint or os.environ.get("DCAMS_ENDPOINT") or DEFAULT_ENDPOINT
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<unparsable endpoint>"


class Client:
    """A DCAMS storage client (one libdcams ``dcams_client``).

    Arguments left as ``None`` fall back to the environment (``DCAMS_ENDPOINT``,
    ``DCAMS_USER``, ``DCAMS_PASS``, ``DCAMS_TEST_KEY``, ``DCAMS_TIMEOUT_MS``,
    ``DCAMS_CONNECT_TIMEOUT_MS``, ``DCAMS_RETRIES``, ``DCAMS_CA_FILE``,
    ``DCAMS_CA_BUNDLE``, the usual ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``)
    and then to the library's defaults (see ``dcams_client_new`` in
    ``include/dcams.h`` for every default).

    TLS: ``ca_file`` adds PEM CAs to the platform's roots, ``ca_bundle``
    replaces them; verification is always on. ``proxy`` (``http://host:port``)
    beats ``no_proxy=True``, which beats the environment. Timeouts are in ms:
    ``connect_timeout_ms`` (TCP + TLS), ``send_timeout_ms`` (the body),
    ``response_timeout_ms`` (until the headers), each per attempt, and
    ``timeout_ms`` for the whole call. ``retries`` (default 2, 0 disables)
    repeats a call after a connection failure or HTTP 429/502/503/504, with
    exponential backoff from ``retry_backoff_ms``; repeating is safe because
    every service is idempotent (the upsert is keyed by e-mail).
    ``danger_allow_plain_http`` allows ``http://`` to non-loopback hosts
    (never needed for a loopback test server).

    One client may be shared by any number of threads: every call releases
    the GIL while libdcams works. :meth:`close` waits for calls in flight
    and is idempotent; the client is also a context manager.
    The password and test key are never kept on the Python object, logged,
    or shown in ``repr``.
    """

    def __init__(
        self,
        endpoint: Optional[str] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        test_key: Optional[str] = None,
        timeout_ms: Optional[int] = None,
        connect_timeout_ms: Optional[int] = None,
        check_image_format: Optional[bool] = None,
        *,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        ca_bundle: Optional[Union[str, "os.PathLike[str]"]] = None,
        proxy: Optional[str] = None,
        no_proxy: Optional[bool] = None,
        send_timeout_ms: Optional[int] = None,
        response_timeout_ms: Optional[int] = None,
        retries: Optional[int] = None,
        retry_backoff_ms: Optional[int] = None,
        max_response_bytes: Optional[int] = None,
        max_idle_connections: Optional[int] = None,
        danger_allow_plain_http: Optional[bool] = None,
    ) -> None:
        self._handle: Optional[int] = None
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closing = False
        self._endpoint = endpoint

        config: Dict[str, Any] = {}
        for key, value in (("ca_file", ca_file), ("ca_bundle", ca_bundle)):
            if value is not None:
                config[key] = os.fspath(value)
        for key, value in (
            ("endpoint", endpoint),
            ("user", user),
            ("pass", password),
            ("test_key", test_key),
            ("proxy", proxy),
        ):
            if value is not None:
                if not isinstance(value, str):
                    name = "password" if key == "pass" else key
                    raise TypeError(f"{name} must be str, not {type(value).__name__}")
                config[key] = value
        for key, value in (
            ("timeout_ms", timeout_ms),
            ("connect_timeout_ms", connect_timeout_ms),
            ("send_timeout_ms", send_timeout_ms),
            ("response_timeout_ms", response_timeout_ms),
            ("retries", retries),
            ("retry_backoff_ms", retry_backoff_ms),
            ("max_response_bytes", max_response_bytes),
            ("max_idle_connections", max_idle_connections),
        ):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{key} must be int, not {type(value).__name__}")
                config[key] = value
        for key, value in (
            ("check_image_format", check_image_format),
            ("no_proxy", no_proxy),
            ("danger_allow_plain_http", danger_allow_plain_http),
        ):
            if value is not None:
                config[key] = bool(value)

        raw = _text(json.dumps(config), "config", secret=True) if config else None
        handle = c_void_p()
        err = c_void_p()
        try:
            code = _lib_fns.dcams_client_new(raw, byref(handle), byref(err))
        finally:
            text = take_string(err.value)
            del raw, config
        if code != Code.OK:
            if handle.value:  # contract says NULL on failure; never leak anyway
                _lib_fns.dcams_client_free(handle)
            raise error_from_json(code, text)
        if not handle.value:
            raise error_from_json(Code.INTERNAL, None)
        self._handle = handle.value

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
        _lib_fns.dcams_client_free(handle)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self, _free=_lib_fns.dcams_client_free) -> None:
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
        return f"Client(endpoint={_display_endpoint(self._endpoint)!r}{state})"

    @contextlib.contextmanager
    def _use(self) -> Iterator[int]:
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

    def _invoke(self, fn: Any, *args: Any) -> "tuple[int, Optional[str]]":
        """Runs ``fn(handle, *args, &out)``; returns the code and the owned
        result string (read and freed)."""
        out = c_void_p()
        code = Code.INTERNAL
        try:
            with self._use() as handle:
                code = fn(handle, *args, byref(out))
        finally:
            del args  # no traceback may keep the caller's buffers alive
            text = take_string(out.value)
        return code, text

    @staticmethod
    def _check(code: int, text: Optional[str]) -> Dict[str, Any]:
        if code != Code.OK:
            raise error_from_json(code, text)
        return _parse_reply(text)

    def _call(self, fn: Any, *args: Any) -> Dict[str, Any]:
        """Runs ``fn(handle, *args, &out)`` and returns the parsed reply."""
        return self._check(*self._invoke(fn, *args))

    # -- services ----------------------------------------------------------

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
    ) -> UpsertResult:
        """createOrUpdateCustomer: creates or updates the customer ``email``.

        ``front`` (required) and ``back`` are each a file path (``str`` or
        ``os.PathLike``) or the image bytes (``bytes``, ``bytearray``,
        ``memoryview``). ``dob`` is ``YYYYMMDD``. ``test_key`` overrides the
        client's for this call. Raises :class:`ValidationError` (with
        ``.field``) before any traffic for a bad e-mail, dob or image.
        """
        keep: List[Any] = []
        c = dcams_customer()
        c.email = _text(email, "email")
        c.fn = _text(fn, "fn")
        c.ln = _text(ln, "ln")
        c.addr = _text(addr, "addr")
        c.city = _text(city, "city")
        c.state = _text(state, "state")
        c.zip = _text(zip, "zip")
        c.dob = _text(dob, "dob")
        c.phone = _text(phone, "phone")
        c.reference = _text(reference, "reference")
        c.test_key = _text(test_key, "test_key", secret=True)
        c.front = _document(front, "documents.front", keep)
        c.back = _document(back, "documents.back", keep)
        try:
            code, text = self._invoke(_lib_fns.dcams_client_upsert, byref(c))
        finally:
            # Only now may the buffers go; drop them before raising, so a
            # traceback holding this frame does not keep a bytearray exported.
            del c, keep
        return UpsertResult.from_reply(self._check(code, text))

    def call_json(self, request: Union[Mapping[str, Any], str, bytes]) -> Dict[str, Any]:
        """Sends a request given as the documented JSON body and returns the
        service's reply. ``request`` is a dict (bytes values, e.g. images in
        ``target.documents``, are base64-encoded) or JSON text. ``user``,
        ``pass``, ``service`` and ``target.test_key`` default to the client's.
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
        return self._call(_lib_fns.dcams_client_call_json, _text(text, "request", secret=True))

    def get_status(self, email: str) -> StatusResult:
        """getStatus: the review status and stored attributes of ``email``."""
        reply = self._call(_lib_fns.dcams_client_get_status, _text(email, "email"))
        return StatusResult.from_reply(reply)

    def update_status(self, email: str, status: Union[Status, str]) -> StatusResult:
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
        reply = self._call(_lib_fns.dcams_client_update_status, _text(email, "email"), parsed.code)
        return StatusResult.from_reply(reply, status_in_target=True)

    def get_document_images(self, email: str) -> ImagesResult:
        """getDocumentImages: the stored images, decoded, with status and attributes."""
        raw_email = _text(email, "email")
        images = POINTER(dcams_images)()
        out = c_void_p()
        code = None
        try:
            try:
                with self._use() as handle:
                    code = _lib_fns.dcams_client_get_document_images(
                        handle, raw_email, byref(images), byref(out)
                    )
            finally:
                text = take_string(out.value)
            if code != Code.OK:
                raise error_from_json(code, text)
            reply = _parse_reply(text)
            front = back = None
            if images:
                im = images.contents
                if im.front and im.front_len:
                    front = ctypes.string_at(im.front, im.front_len)
                if im.back and im.back_len:
                    back = ctypes.string_at(im.back, im.back_len)
        finally:
            if images:
                _lib_fns.dcams_images_free(images)
        return ImagesResult(
            front=front if front is not None else b"",
            back=back,
            status=Status.parse(reply.get("status")),
            reference=reply.get("reference") if isinstance(reply.get("reference"), str) else None,
            target=reply.get("target") if isinstance(reply.get("target"), dict) else {},
            raw=reply,
        )

    def save_document_images(
        self, email: str, front_path: PathArg, back_path: Optional[PathArg] = None
    ) -> StatusResult:
        """getDocumentImages, writing the front image to ``front_path`` and
        the back image (if one is stored) to ``back_path``. Files are created
        or truncated."""
        return StatusResult.from_reply(
            self._call(
                _lib_fns.dcams_client_save_document_images,
                _text(email, "email"),
                _path(front_path, "front_path"),
                None if back_path is None else _path(back_path, "back_path"),
            )
        )


__all__ = ["Client", "DEFAULT_ENDPOINT"]

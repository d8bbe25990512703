"""Result codes and the exception hierarchy of the dcams binding.

Every failure of a libdcams call becomes one exception whose class follows
the code's range, carrying the library's error JSON as attributes and what
the call did as ``meta`` (:class:`dcams.CallMeta`). Each class also derives
from the builtin exception that fits, so ``except ValueError`` (or
``OSError``, ``ConnectionError``, ``TimeoutError``) catches it too::

    DcamsError
    ├── LibraryNotFoundError (ImportError)   library missing / wrong version
    ├── InvalidArgumentError (ValueError)    1 NULL_ARGUMENT (also: the client is closed), 2 INVALID_ARGUMENT,
    │                                        3 INVALID_UTF8, 4 INVALID_JSON, 8 NOT_PRESENT, 9 WRONG_TYPE
    ├── ValidationError (ValueError)         5  (.field names the field: email, dob, documents.front, status, ...)
    ├── ConfigError                          6
    ├── FileError (OSError)                  7
    ├── ServiceError                         20-39 (27 SERVICE_ERROR and 29 HTTP are raised as ServiceError itself)
    │   ├── BadRequestError                  20 (HTTP 400)
    │   ├── UnauthorizedError                21 (401)
    │   ├── ForbiddenError                   22 (403)
    │   ├── NotFoundError                    23 (404)
    │   ├── PayloadTooLargeError             24 (413)
    │   ├── RateLimitedError                 25 (429)
    │   └── ServerError                      26 (5xx)
    ├── TransportError (ConnectionError)     40-59 (40 TRANSPORT is raised as TransportError itself)
    │   ├── TlsError                         41
    │   ├── DcamsTimeoutError (TimeoutError) 42
    │   ├── BadResponseError                 43
    │   └── RedirectError                    44
    ├── CancelledError                       45 (a CancelToken cancelled the call)
    └── InternalError                        99
"""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, Optional, Tuple, Type, Union

from .results import CallMeta


class Code(enum.IntEnum):
    """Mirror of the C ``enum dcams_code`` (stable numbers, never reused)."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_ARGUMENT = 2
    INVALID_UTF8 = 3
    INVALID_JSON = 4
    VALIDATION = 5
    CONFIG = 6
    FILE = 7
    NOT_PRESENT = 8
    WRONG_TYPE = 9
    BAD_REQUEST = 20
    UNAUTHORIZED = 21
    FORBIDDEN = 22
    NOT_FOUND = 23
    PAYLOAD_TOO_LARGE = 24
    RATE_LIMITED = 25
    SERVER_ERROR = 26
    SERVICE_ERROR = 27
    HTTP = 29
    TRANSPORT = 40
    TLS = 41
    TIMEOUT = 42
    BAD_RESPONSE = 43
    REDIRECT = 44
    #: The call was cancelled (client/src/cancel.rs); raised as TransportError by its range for now.
    CANCELLED = 45
    INTERNAL = 99

    @property
    def c_name(self) -> str:
        """The C name, e.g. ``DCAMS_ERR_NOT_FOUND`` (``DCAMS_OK`` for 0)."""
        return "DCAMS_OK" if self is Code.OK else "DCAMS_ERR_" + self.name


def _code(value: int) -> Union[Code, int]:
    try:
        return Code(value)
    except ValueError:
        return value


class DcamsError(Exception):
    """Base of every error raised by this package.

    Attributes (``None`` when not applicable), as in the library's error JSON:
    ``code`` (:class:`Code`, or a plain int for a code this binding does not
    know), ``name`` (``DCAMS_ERR_...``), ``message``, ``field`` (validation),
    ``http_status``, ``service_message`` and ``service_code`` (the service's
    own words, e.g. ``"AUTH0"``), ``detail``, ``retryable`` (bool: whether
    a later repeat can help), ``attempts`` (HTTP attempts made; 0 when the
    call failed before any traffic); and ``meta``: what the call did
    (:class:`CallMeta`: attempts, elapsed time, bytes, HTTP status,
    connection reuse), ``None`` when no library call was made (e.g. an
    argument this binding refused before calling).
    """

    code: Union[Code, int]
    meta: Optional[CallMeta]

    def __init__(
        self,
        message: str,
        *,
        code: int = Code.INTERNAL,
        name: Optional[str] = None,
        field: Optional[str] = None,
        http_status: Optional[int] = None,
        service_message: Optional[str] = None,
        service_code: Optional[str] = None,
        detail: Optional[str] = None,
        retryable: bool = False,
        attempts: int = 0,
        meta: Optional[CallMeta] = None,
    ) -> None:
        super().__init__(message)
        self.code = _code(int(code))
        self.name = name or (self.code.c_name if isinstance(self.code, Code) else "DCAMS_ERR_UNKNOWN")
        self.message = message
        self.field = field
        self.http_status = http_status
        self.service_message = service_message
        self.service_code = service_code
        self.detail = detail
        self.retryable = bool(retryable)
        self.attempts = int(attempts)
        self.meta = meta

    def to_dict(self) -> Dict[str, Any]:
        """The error in the library's JSON shape."""
        return {
            "code": int(self.code),
            "name": self.name,
            "message": self.message,
            "field": self.field,
            "http_status": self.http_status,
            "service_message": self.service_message,
            "service_code": self.service_code,
            "detail": self.detail,
            "retryable": self.retryable,
            "attempts": self.attempts,
        }

    def __str__(self) -> str:
        text = f"{self.name}: {self.message}"
        extra = []
        if self.http_status is not None and f"HTTP {self.http_status}" not in self.message:
            extra.append(f"HTTP {self.http_status}")
        if self.service_message and self.service_message not in self.message:
            extra.append(f"service: {self.service_message}")
        if self.service_code and self.service_code not in self.message:
            extra.append(f"service code {self.service_code}")
        return text + (f" ({'; '.join(extra)})" if extra else "")

    def __repr__(self) -> str:
        parts = [f"code={int(self.code)}", f"message={self.message!r}"]
        for attr in ("field", "http_status", "service_message", "service_code"):
            v = getattr(self, attr)
            if v is not None:
                parts.append(f"{attr}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable despite keyword-only arguments
        d = self.to_dict()
        msg = d.pop("message")
        d["meta"] = self.meta
        return (_rebuild, (type(self), msg, d))


def _rebuild(cls: Type[DcamsError], message: str, kwargs: Dict[str, Any]) -> DcamsError:
    return cls(message, **kwargs)


# ImportError's own ``name`` (a module name) is Optional[str]; here ``name`` is
# the DcamsError one, always a str, which mypy cannot tell apart.
class LibraryNotFoundError(DcamsError, ImportError):  # type: ignore[misc]
    """libdcams could not be found or loaded, or is an incompatible version."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", Code.CONFIG)
        kwargs.setdefault("name", "DCAMS_LIBRARY_NOT_FOUND")
        DcamsError.__init__(self, message, **kwargs)


class InvalidArgumentError(DcamsError, ValueError):
    """Codes 1-4, 8, 9: a NULL or unusable argument, bad UTF-8 or bad JSON;
    also a call on a closed client (as closed files raise ``ValueError``)."""


class ValidationError(DcamsError, ValueError):
    """Code 5: the input failed validation before sending; ``field`` names it."""


class ConfigError(DcamsError):
    """Code 6: unusable configuration (endpoint, plain HTTP, credentials)."""


class FileError(DcamsError, OSError):
    """Code 7: an image file could not be read or written."""


class ServiceError(DcamsError):
    """Codes 20-39: the service answered with an error."""


class BadRequestError(ServiceError):
    """Code 20: HTTP 400."""


class UnauthorizedError(ServiceError):
    """Code 21: HTTP 401 (bad credentials or test key)."""


class ForbiddenError(ServiceError):
    """Code 22: HTTP 403."""


class NotFoundError(ServiceError):
    """Code 23: HTTP 404 (no customer with that e-mail)."""


class PayloadTooLargeError(ServiceError):
    """Code 24: HTTP 413."""


class RateLimitedError(ServiceError):
    """Code 25: HTTP 429 (retryable)."""


class ServerError(ServiceError):
    """Code 26: HTTP 5xx (retryable)."""


class TransportError(DcamsError, ConnectionError):
    """Codes 40-59: the connection failed or the response was unusable."""


class TlsError(TransportError):
    """Code 41: TLS handshake or certificate verification failed."""


class DcamsTimeoutError(TransportError, TimeoutError):
    """Code 42: a timeout expired (retryable)."""


class BadResponseError(TransportError):
    """Code 43: the response could not be understood."""


class RedirectError(TransportError):
    """Code 44: the service answered with a redirect (never followed)."""


class CancelledError(DcamsError):
    """Code 45: the call was cancelled (:class:`dcams.CancelToken`) before it
    finished; it was not retried and the client stays usable. (A Ctrl-C
    during a call raises ``KeyboardInterrupt`` instead, after cancelling it.)"""


class InternalError(DcamsError):
    """Code 99: a bug in libdcams."""


_BY_CODE: Dict[int, Type[DcamsError]] = {
    Code.NULL_ARGUMENT: InvalidArgumentError,
    Code.INVALID_ARGUMENT: InvalidArgumentError,
    Code.INVALID_UTF8: InvalidArgumentError,
    Code.INVALID_JSON: InvalidArgumentError,
    Code.VALIDATION: ValidationError,
    Code.CONFIG: ConfigError,
    Code.FILE: FileError,
    Code.NOT_PRESENT: InvalidArgumentError,
    Code.WRONG_TYPE: InvalidArgumentError,
    Code.BAD_REQUEST: BadRequestError,
    Code.UNAUTHORIZED: UnauthorizedError,
    Code.FORBIDDEN: ForbiddenError,
    Code.NOT_FOUND: NotFoundError,
    Code.PAYLOAD_TOO_LARGE: PayloadTooLargeError,
    Code.RATE_LIMITED: RateLimitedError,
    Code.SERVER_ERROR: ServerError,
    Code.SERVICE_ERROR: ServiceError,
    Code.HTTP: ServiceError,
    Code.TRANSPORT: TransportError,
    Code.TLS: TlsError,
    Code.TIMEOUT: DcamsTimeoutError,
    Code.BAD_RESPONSE: BadResponseError,
    Code.REDIRECT: RedirectError,
    Code.CANCELLED: CancelledError,
    Code.INTERNAL: InternalError,
}


def exception_class(code: int) -> Type[DcamsError]:
    """The exception class for a result code (by range for unknown codes)."""
    cls = _BY_CODE.get(int(code))
    if cls is not None:
        return cls
    if 1 <= code <= 19:
        return InvalidArgumentError
    if 20 <= code <= 39:
        return ServiceError
    if 40 <= code <= 59:
        return TransportError
    return DcamsError


def _opt_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def error_from_json(code: int, text: Optional[str], meta: Optional[CallMeta] = None) -> DcamsError:
    """Builds the exception for a non-zero ``code``, the library's error
    JSON ``text`` (``None`` or unparsable text still gives an exception)
    and what the call did (``meta``)."""
    data: Dict[str, Any] = {}
    if text:
        try:
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                data = parsed
        except ValueError:
            data = {"message": text}
    # The return value is authoritative; the JSON's code should agree.
    message = data.get("message") or f"libdcams call failed with code {code}"
    http_status = data.get("http_status")
    attempts = data.get("attempts")
    return exception_class(code)(
        str(message),
        code=code,
        name=_opt_str(data.get("name")),
        field=_opt_str(data.get("field")),
        http_status=http_status if isinstance(http_status, int) else None,
        service_message=_opt_str(data.get("service_message")),
        service_code=_opt_str(data.get("service_code")),
        detail=_opt_str(data.get("detail")),
        retryable=data.get("retryable") is True,
        attempts=attempts if isinstance(attempts, int) else 0,
        meta=meta,
    )


__all__ = [
    "Code",
    "DcamsError",
    "LibraryNotFoundError",
    "InvalidArgumentError",
    "ValidationError",
    "ConfigError",
    "FileError",
    "ServiceError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "TlsError",
    "DcamsTimeoutError",
    "BadResponseError",
    "RedirectError",
    "CancelledError",
    "InternalError",
    "exception_class",
    "error_from_json",
]

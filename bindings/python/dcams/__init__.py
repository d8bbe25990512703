"""Python binding (ctypes) of libdcams, a client for Veratad's DCAMS storage API.

    import dcams
    with dcams.Client() as client:          # endpoint/credentials from DCAMS_* env
        r = client.upsert("ada@example.com", "front.jpg", "back.png", dob="19800214")
        print(r.type, r.status)

The shared library is found via ``DCAMS_LIB``, a copy inside this package,
a Cargo build tree above it, or the system (see ``dcams._lib``).
"""

from ._lib import lib_path as library_path, lib_version as _lib_version
from .client import DEFAULT_ENDPOINT, Client
from .errors import (
    BadRequestError,
    BadResponseError,
    Code,
    ConfigError,
    DcamsError,
    DcamsTimeoutError,
    FileError,
    ForbiddenError,
    InternalError,
    InvalidArgumentError,
    LibraryNotFoundError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    RedirectError,
    ServerError,
    ServiceError,
    TlsError,
    TransportError,
    UnauthorizedError,
    ValidationError,
)
from .results import ImagesResult, Status, StatusResult, UpsertResult

#: The version of the loaded libdcams (``dcams_version()``).
__version__ = _lib_version

__all__ = [
    "__version__",
    "library_path",
    "DEFAULT_ENDPOINT",
    "Client",
    "Status",
    "Code",
    "UpsertResult",
    "StatusResult",
    "ImagesResult",
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
    "InternalError",
]

"""Python binding (ctypes) of libdcams, a client for Veratad's DCAMS storage API.

    import dcams
    with dcams.Client() as client:          # endpoint/credentials from DCAMS_* env
        r = client.upsert("ada@example.com", "front.jpg", "back.png", dob="19800214")
        print(r.type, r.status)

The wheel carries the shared library inside the package; ``DCAMS_LIB``
overrides it (see ``dcams._lib`` for the whole lookup order).
"""

from ._cancel import CancelToken
from ._check import CheckReport, CheckStep
from ._lib import lib_path as library_path, lib_version as library_version
from ._log import TRACE
from ._origin import VERSION as _VERSION
from .batch import BatchProgress, BatchResult
from .client import DEFAULT_ENDPOINT, Client
from .errors import (
    BadRequestError,
    BadResponseError,
    CancelledError,
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
from .results import CallMeta, ImagesResult, JsonReply, Status, StatusResult, UpsertResult

#: The package version: the workspace version of the dcams repository
#: (Cargo.toml), which is also the version of the library built with it.
#: (Importing the package has checked that the loaded library has this ABI.)
__version__: str = _VERSION or library_version

__all__ = [
    "__version__",
    "library_path",
    "library_version",
    "DEFAULT_ENDPOINT",
    "Client",
    "BatchResult",
    "BatchProgress",
    "Status",
    "Code",
    "CallMeta",
    "CancelToken",
    "CheckReport",
    "CheckStep",
    "TRACE",
    "JsonReply",
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
    "CancelledError",
    "InternalError",
]

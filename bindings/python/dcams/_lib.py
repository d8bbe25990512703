"""Finding, loading and declaring libdcams (the C ABI) with ctypes.

Lookup order (first hit wins; see :func:`load`):

1. ``DCAMS_LIB``: the full path of the shared library (no fallback if it
   cannot be loaded: an explicit override that fails is an error);
2. the copy inside this package (``dcams/libdcams.so``; ``.dylib`` on macOS,
   ``dcams.dll`` on Windows), which every wheel carries;
3. only when the package runs from the repository's source tree (an
   editable install, or ``bindings/python`` on ``sys.path``): that
   repository's Cargo build tree, ``$CARGO_TARGET_DIR`` or ``target/``,
   ``release/`` then ``debug/``. No other directory is searched;
4. the system: ``ctypes.util.find_library("dcams")`` (an installed
   ``libdcams.so.0``, e.g. after ``make install`` and ``ldconfig``, or on
   ``LD_LIBRARY_PATH``).

The declarations mirror the C header function by function and struct by
struct (a test parses the header and compares):

* ``argtypes`` and ``restype`` are set on every function; the opaque
  handles get their own pointer types, so passing the wrong handle is a
  ``ctypes.ArgumentError``, not a crash;
* result codes are ``int32_t``;
* owned strings come back through ``char **`` declared as
  ``POINTER(c_void_p)`` (never ``c_char_p``, which would lose the pointer
  to free); they are read and freed by :func:`take_string`;
* the versioned structs get ``struct_size = ctypes.sizeof(...)`` from
  :func:`new_struct`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    CFUNCTYPE,
    Structure,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, List, Optional, Tuple, Type, TypeVar

from ._origin import PACKAGE_DIR, VERSION, lib_names, source_root
from .errors import Code, DcamsError, LibraryNotFoundError, error_from_json

# -- types -------------------------------------------------------------------

#: ``dcams_code`` and ``dcams_status``: int32_t.
dcams_code_t = c_int32


class dcams_client(Structure):
    """Opaque ``dcams_client`` (used only through pointers)."""


class dcams_config(Structure):
    """Opaque ``dcams_config``."""


class dcams_call(Structure):
    """Opaque ``dcams_call``."""


class dcams_images(Structure):
    """Opaque ``dcams_images``: read with ``dcams_images_front`` / ``_back``."""


class dcams_document(Structure):
    """``struct dcams_document`` (versioned): ``data``/``len`` or ``path``."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("data", POINTER(c_uint8)),
        ("len", c_size_t),
        ("path", c_char_p),
    ]


class dcams_customer(Structure):
    """``struct dcams_customer`` (versioned; every string NULL = not sent)."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("email", c_char_p),
        ("fn", c_char_p),
        ("ln", c_char_p),
        ("addr", c_char_p),
        ("city", c_char_p),
        ("state", c_char_p),
        ("zip", c_char_p),
        ("dob", c_char_p),
        ("phone", c_char_p),
        ("front", POINTER(dcams_document)),
        ("back", POINTER(dcams_document)),
        ("reference", c_char_p),
        ("test_key", c_char_p),
    ]


class dcams_call_meta(Structure):
    """``struct dcams_call_meta`` (versioned), written by ``dcams_call_get_meta``."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("code", dcams_code_t),
        ("attempts", c_uint32),
        ("http_status", c_int32),
        ("elapsed_ms", c_uint64),
        ("request_bytes", c_uint64),
        ("response_bytes", c_uint64),
        ("connection_reused", c_int32),
    ]


class dcams_batch_options(Structure):
    """``struct dcams_batch_options`` (versioned; zero members are defaults)."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("concurrency", c_uint32),
        ("rate", c_double),
        ("burst", c_uint32),
    ]


class dcams_batch_summary(Structure):
    """``struct dcams_batch_summary`` (versioned), written by ``dcams_client_upsert_batch``."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("stopped", c_int32),
        ("records", c_uint64),
        ("succeeded", c_uint64),
        ("created", c_uint64),
        ("updated", c_uint64),
        ("failed", c_uint64),
        ("attempts", c_uint64),
        ("rate_limited", c_uint64),
        ("bytes_sent", c_uint64),
        ("elapsed_ms", c_uint64),
        ("learned_rate", c_double),
        ("halted_code", dcams_code_t),
    ]


#: ``dcams_batch_callback``: ``(userdata, index, code, json, meta) -> int32_t``
#: (non-zero stops the batch). Called on libdcams's threads; ctypes takes the
#: GIL for it.
dcams_batch_callback = CFUNCTYPE(c_int32, c_void_p, c_size_t, c_int32, c_char_p, POINTER(dcams_call_meta))

S = TypeVar("S", bound=Structure)


def new_struct(cls: Type[S]) -> S:
    """A zeroed versioned struct with ``struct_size`` set to its size."""
    value = cls()
    value.struct_size = ctypes.sizeof(cls)
    return value


#: ``dcams_log_callback``: (userdata, level, target, message, message_len).
#: ``message`` is taken as a pointer, read with its length (see ``_log``).
dcams_log_callback = CFUNCTYPE(None, c_void_p, c_int32, c_char_p, c_void_p, c_size_t)

client_p = POINTER(dcams_client)
config_p = POINTER(dcams_config)
call_p = POINTER(dcams_call)
images_p = POINTER(dcams_images)
#: ``char **`` for an owned string (result, error JSON, value).
out_string = POINTER(c_void_p)

#: (name, restype, argtypes) of every function in the header, in its order.
SIGNATURES: List[Tuple[str, Any, List[Any]]] = [
    ("dcams_call_new", dcams_code_t, [POINTER(call_p), out_string]),
    ("dcams_call_free", None, [call_p]),
    ("dcams_call_set_timeout_ms", dcams_code_t, [call_p, c_uint64, out_string]),
    ("dcams_call_get_meta", dcams_code_t, [call_p, POINTER(dcams_call_meta), out_string]),
    ("dcams_call_cancel", dcams_code_t, [call_p, out_string]),
    ("dcams_client_new", dcams_code_t, [c_char_p, POINTER(client_p), out_string]),
    ("dcams_client_new_from_config", dcams_code_t, [config_p, POINTER(client_p), out_string]),
    ("dcams_client_free", None, [client_p]),
    ("dcams_client_call_json", dcams_code_t, [client_p, c_char_p, call_p, out_string, out_string]),
    (
        "dcams_client_upsert",
        dcams_code_t,
        [client_p, POINTER(dcams_customer), call_p, out_string, out_string],
    ),
    (
        "dcams_client_upsert_batch",
        dcams_code_t,
        [
            client_p,
            POINTER(POINTER(dcams_customer)),
            c_size_t,
            POINTER(dcams_batch_options),
            dcams_batch_callback,
            c_void_p,
            POINTER(dcams_batch_summary),
            out_string,
        ],
    ),
    ("dcams_client_get_status", dcams_code_t, [client_p, c_char_p, call_p, out_string, out_string]),
    ("dcams_client_check", dcams_code_t, [client_p, call_p, out_string, out_string]),
    (
        "dcams_client_update_status",
        dcams_code_t,
        [client_p, c_char_p, c_int32, call_p, out_string, out_string],
    ),
    (
        "dcams_client_get_document_images",
        dcams_code_t,
        [client_p, c_char_p, call_p, POINTER(images_p), out_string, out_string],
    ),
    (
        "dcams_client_save_document_images",
        dcams_code_t,
        [client_p, c_char_p, c_char_p, c_char_p, call_p, out_string, out_string],
    ),
    # Static strings (never freed): c_char_p is right for these two only.
    ("dcams_code_name", c_char_p, [c_int32]),
    ("dcams_config_new", dcams_code_t, [POINTER(config_p), out_string]),
    ("dcams_config_free", None, [config_p]),
    ("dcams_config_set_string", dcams_code_t, [config_p, c_char_p, c_char_p, out_string]),
    ("dcams_config_set_int", dcams_code_t, [config_p, c_char_p, c_int64, out_string]),
    ("dcams_config_set_bool", dcams_code_t, [config_p, c_char_p, c_int32, out_string]),
    (
        "dcams_config_set_log_callback",
        dcams_code_t,
        [config_p, dcams_log_callback, c_void_p, c_int32, out_string],
    ),
    (
        "dcams_images_front",
        dcams_code_t,
        [images_p, POINTER(POINTER(c_uint8)), POINTER(c_size_t), out_string],
    ),
    (
        "dcams_images_back",
        dcams_code_t,
        [images_p, POINTER(POINTER(c_uint8)), POINTER(c_size_t), out_string],
    ),
    ("dcams_images_free", None, [images_p]),
    ("dcams_json_get_string", dcams_code_t, [c_char_p, c_char_p, out_string, out_string]),
    ("dcams_json_get_int64", dcams_code_t, [c_char_p, c_char_p, POINTER(c_int64), out_string]),
    ("dcams_json_get_bool", dcams_code_t, [c_char_p, c_char_p, POINTER(c_int32), out_string]),
    ("dcams_string_free", None, [c_void_p]),
    ("dcams_version", c_char_p, []),
]

# -- finding and loading ------------------------------------------------------


def _build_tree_dirs(root: Path) -> List[Path]:
    target = os.environ.get("CARGO_TARGET_DIR")
    target_dir = (root / target) if target else (root / "target")  # an absolute target wins
    return [target_dir / "release", target_dir / "debug"]


def candidates() -> List[Tuple[str, str]]:
    """Every ``(where, path)`` to try after ``DCAMS_LIB``, in order: files
    that exist in the package or the source tree's build tree, then the
    system's library name (if ``find_library`` knows one)."""
    found: List[Tuple[str, str]] = []
    for name in lib_names():
        if (PACKAGE_DIR / name).is_file():
            found.append(("package", str(PACKAGE_DIR / name)))
    root = source_root()
    if root is not None:
        for d in _build_tree_dirs(root):
            for name in lib_names():
                if (d / name).is_file():
                    found.append(("build tree", str(d / name)))
    system = ctypes.util.find_library("dcams")
    if system:
        found.append(("system", system))
    return found


def _where_looked() -> str:
    names = ",".join(lib_names())
    places = ["DCAMS_LIB (unset)", f"{PACKAGE_DIR}/{{{names}}}"]
    root = source_root()
    if root is not None:
        places += [f"{d}/{{{names}}}" for d in _build_tree_dirs(root)]
    places.append("ctypes.util.find_library('dcams') (nothing found)")
    return ", ".join(places)


def _declare(lib: ctypes.CDLL) -> None:
    for name, restype, argtypes in SIGNATURES:
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def abi_compatible(library: str, package: str) -> bool:
    """Whether a library of version ``library`` serves this package of
    version ``package``: the same major, and for 0.x also the same minor
    (a 0.x minor release may change the ABI)."""
    try:
        lib_major, lib_minor = (int(x) for x in library.split(".")[:2])
        pkg_major, pkg_minor = (int(x) for x in package.split(".")[:2])
    except ValueError:
        return False
    return lib_major == pkg_major and (pkg_major >= 1 or lib_minor == pkg_minor)


def _check_version(lib: ctypes.CDLL, path: str) -> str:
    raw = lib.dcams_version()
    version = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    if VERSION is None:
        raise LibraryNotFoundError(
            f"this copy of the dcams package ({PACKAGE_DIR}) is neither an installed build nor "
            "inside the dcams repository, so its version is unknown: install it with pip"
        )
    if not abi_compatible(version, VERSION):
        raise LibraryNotFoundError(
            f"{path} is libdcams {version!r}, but this dcams package {VERSION} needs a library "
            f"of the same ABI ({'.'.join(VERSION.split('.')[:2])}.x); reinstall the package or "
            "point DCAMS_LIB to a matching library"
        )
    return version


def _open(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    try:
        _declare(lib)
    except AttributeError as e:
        raise LibraryNotFoundError(f"{path} is not libdcams (missing symbol: {e})") from None
    return lib


def load() -> Tuple[ctypes.CDLL, str, str]:
    """Loads libdcams; returns ``(lib, path, version)`` or raises
    :class:`LibraryNotFoundError` naming every place looked at."""
    override = os.environ.get("DCAMS_LIB")
    if override:
        try:
            lib = _open(override)
        except OSError as e:
            raise LibraryNotFoundError(f"cannot load DCAMS_LIB={override}: {e}") from None
        return lib, override, _check_version(lib, override)

    errors: List[str] = []
    for _where, path in candidates():
        try:
            lib = _open(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        return lib, path, _check_version(lib, path)
    detail = ("; could not load: " + "; ".join(errors)) if errors else ""
    raise LibraryNotFoundError(
        "libdcams not found. Looked at: " + _where_looked() + detail + ". Install the package with "
        "`pip install ./bindings/python` from the dcams repository (it builds the library and puts "
        "it inside the package), or set DCAMS_LIB to the library's full path."
    )


lib, lib_path, lib_version = load()

# -- helpers -------------------------------------------------------------------


def take_string(ptr: Optional[int]) -> Optional[str]:
    """Reads an owned ``char *`` returned by libdcams and frees it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.dcams_string_free(ptr)


def check(fn: Any, *args: Any) -> None:
    """Calls a fallible function that returns nothing but its code, with
    ``out_error`` appended; raises the matching :class:`DcamsError`."""
    error = c_void_p()
    try:
        code = int(fn(*args, ctypes.byref(error)))
    finally:
        text = take_string(error.value)
    if code != Code.OK:
        raise error_from_json(code, text)


def code_name(code: int) -> str:
    """``dcams_code_name``: e.g. ``"DCAMS_ERR_NOT_FOUND"``."""
    raw = lib.dcams_code_name(int(code))
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else "DCAMS_ERR_UNKNOWN"


__all__ = [
    "DcamsError",
    "SIGNATURES",
    "abi_compatible",
    "candidates",
    "check",
    "code_name",
    "dcams_call",
    "dcams_batch_callback",
    "dcams_batch_options",
    "dcams_batch_summary",
    "dcams_call_meta",
    "dcams_client",
    "dcams_config",
    "dcams_customer",
    "dcams_document",
    "dcams_images",
    "dcams_log_callback",
    "lib",
    "lib_names",
    "lib_path",
    "lib_version",
    "new_struct",
    "take_string",
]

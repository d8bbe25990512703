"""Finding, loading and declaring libdcams (the C ABI) with ctypes.

Lookup order (first hit wins):

1. ``DCAMS_LIB``: the full path of the shared library (no fallback if it
   cannot be loaded: an explicit override that fails is an error);
2. a copy inside this package (``dcams/libdcams.so`` / ``.dylib`` /
   ``dcams.dll``);
3. a Cargo build tree above this package (``$CARGO_TARGET_DIR`` first, then
   every ancestor directory's ``target/release`` then ``target/debug``);
4. the system (``ctypes.util.find_library("dcams")``).

Rules kept here (see the project's c-api-style notes):

* ``argtypes`` and ``restype`` are set on every function;
* owned strings come back as ``c_void_p`` (never ``c_char_p``), are read
  with ``ctypes.string_at`` and freed with ``dcams_string_free`` in a
  ``finally`` (:func:`take_string`);
* the structures mirror ``dcams_document``, ``dcams_customer`` and
  ``dcams_images`` field by field.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_void_p,
)
from pathlib import Path
from typing import List, Optional

from .errors import DcamsError, LibraryNotFoundError

#: The C ABI this binding was written against: the header's
#: DCAMS_VERSION_MAJOR / DCAMS_VERSION_MINOR. For 0.x releases a minor bump
#: may change the ABI, so both must match; from 1.0 on only the major.
ABI_VERSION = (0, 1)


class dcams_document(Structure):
    """``struct dcams_document { const uint8_t *data; size_t len; const char *path; }``"""

    _fields_ = [
        ("data", POINTER(c_uint8)),
        ("len", c_size_t),
        ("path", c_char_p),
    ]


class dcams_customer(Structure):
    """``struct dcams_customer`` (every string NULL = absent)."""

    _fields_ = [
        ("email", c_char_p),
        ("fn", c_char_p),
        ("ln", c_char_p),
        ("addr", c_char_p),
        ("city", c_char_p),
        ("state", c_char_p),
        ("zip", c_char_p),
        ("dob", c_char_p),
        ("phone", c_char_p),
        ("reference", c_char_p),
        ("test_key", c_char_p),
        ("front", dcams_document),
        ("back", dcams_document),
    ]


class dcams_images(Structure):
    """``struct dcams_images { uint8_t *front; size_t front_len; uint8_t *back; size_t back_len; }``"""

    _fields_ = [
        ("front", POINTER(c_uint8)),
        ("front_len", c_size_t),
        ("back", POINTER(c_uint8)),
        ("back_len", c_size_t),
    ]


# enum dcams_code is a C enum: int-sized on every supported ABI.
dcams_code_t = c_int

# (name, restype, argtypes) of every exported function.
_SIGNATURES = [
    ("dcams_client_new", dcams_code_t, [c_char_p, POINTER(c_void_p), POINTER(c_void_p)]),
    ("dcams_client_free", None, [c_void_p]),
    ("dcams_client_call_json", dcams_code_t, [c_void_p, c_char_p, POINTER(c_void_p)]),
    ("dcams_client_upsert", dcams_code_t, [c_void_p, POINTER(dcams_customer), POINTER(c_void_p)]),
    ("dcams_client_get_status", dcams_code_t, [c_void_p, c_char_p, POINTER(c_void_p)]),
    ("dcams_client_update_status", dcams_code_t, [c_void_p, c_char_p, c_int32, POINTER(c_void_p)]),
    (
        "dcams_client_get_document_images",
        dcams_code_t,
        [c_void_p, c_char_p, POINTER(POINTER(dcams_images)), POINTER(c_void_p)],
    ),
    (
        "dcams_client_save_document_images",
        dcams_code_t,
        [c_void_p, c_char_p, c_char_p, c_char_p, POINTER(c_void_p)],
    ),
    # Static strings (never freed): c_char_p is right for these two only.
    ("dcams_code_name", c_char_p, [c_int32]),
    ("dcams_version", c_char_p, []),
    ("dcams_images_free", None, [POINTER(dcams_images)]),
    ("dcams_string_free", None, [c_void_p]),
]


def _lib_names() -> List[str]:
    if sys.platform == "darwin":
        return ["libdcams.dylib"]
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        # Cargo names a Windows cdylib without the "lib" prefix.
        return ["dcams.dll", "libdcams.dll"]
    return ["libdcams.so"]


def _candidates() -> List[str]:
    """Every path to try after DCAMS_LIB, in order (existing files only)."""
    names = _lib_names()
    here = Path(__file__).resolve().parent
    found: List[str] = []

    def add(p: Path) -> None:
        if p.is_file() and str(p) not in found:
            found.append(str(p))

    for n in names:
        add(here / n)
    target_dirs: List[Path] = []
    if os.environ.get("CARGO_TARGET_DIR"):
        target_dirs.append(Path(os.environ["CARGO_TARGET_DIR"]))
    for parent in [here, *here.parents]:
        target_dirs.append(parent / "target")
    for t in target_dirs:
        for profile in ("release", "debug"):
            for n in names:
                add(t / profile / n)
    return found


def _declare(lib: ctypes.CDLL) -> None:
    for name, restype, argtypes in _SIGNATURES:
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _check_version(lib: ctypes.CDLL, path: str) -> str:
    raw = lib.dcams_version()
    version = raw.decode("utf-8", "replace") if raw else ""
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        raise LibraryNotFoundError(
            f"{path}: dcams_version() returned {version!r}, which is not a version number"
        ) from None
    want_major, want_minor = ABI_VERSION
    compatible = major == want_major and (major >= 1 or minor == want_minor)
    if not compatible:
        raise LibraryNotFoundError(
            f"{path} is libdcams {version}, but this Python binding needs "
            f"{want_major}.{want_minor}.x (set DCAMS_LIB to a matching library)"
        )
    return version


def _try_load(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    try:
        _declare(lib)
    except AttributeError as e:
        raise LibraryNotFoundError(f"{path} is not libdcams (missing symbol: {e})") from None
    return lib


def load() -> "tuple[ctypes.CDLL, str, str]":
    """Loads libdcams; returns ``(lib, path, version)`` or raises
    :class:`LibraryNotFoundError` naming every path tried."""
    override = os.environ.get("DCAMS_LIB")
    if override:
        try:
            lib = _try_load(override)
        except OSError as e:
            raise LibraryNotFoundError(f"cannot load DCAMS_LIB={override}: {e}") from None
        return lib, override, _check_version(lib, override)

    tried: List[str] = []
    errors: List[str] = []
    paths = _candidates()
    system = ctypes.util.find_library("dcams")
    if system:
        paths.append(system)
    for path in paths:
        tried.append(path)
        try:
            lib = _try_load(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        return lib, path, _check_version(lib, path)
    here = Path(__file__).resolve().parent
    looked = (
        f"DCAMS_LIB (unset), {here}/{{{','.join(_lib_names())}}}, "
        "target/{release,debug}/ in every directory above the package, "
        "ctypes.util.find_library('dcams')"
    )
    detail = ("; load errors: " + "; ".join(errors)) if errors else ""
    raise LibraryNotFoundError(
        "libdcams not found. Looked in: " + looked
        + (f"; tried: {', '.join(tried)}" if tried else "; no candidate file exists")
        + detail
        + ". Build it with `cargo build --release` or set DCAMS_LIB to its full path."
    )


lib, lib_path, lib_version = load()


def take_string(ptr: Optional[int]) -> Optional[str]:
    """Reads an owned ``char *`` returned by libdcams and frees it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.dcams_string_free(ptr)


def code_name(code: int) -> str:
    """``dcams_code_name``: e.g. ``"DCAMS_ERR_NOT_FOUND"``."""
    raw = lib.dcams_code_name(int(code))
    return raw.decode("ascii", "replace") if raw else "DCAMS_ERR_UNKNOWN"


__all__ = [
    "ABI_VERSION",
    "DcamsError",
    "dcams_customer",
    "dcams_document",
    "dcams_images",
    "lib",
    "lib_path",
    "lib_version",
    "take_string",
    "code_name",
]

"""Loading, declarations, structures, codes, repr and lifecycle of Client."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import dcams
from dcams import _lib
from dcams.errors import error_from_json

from conftest import PY_ROOT, PASS, TEST_KEY


def test_version_and_library():
    assert dcams.__version__ == "0.1.0"
    assert _lib.lib.dcams_version() == b"0.1.0"
    assert os.path.basename(dcams.library_path).startswith(("libdcams", "dcams"))


def test_every_function_declared():
    for name, restype, argtypes in _lib._SIGNATURES:
        fn = getattr(_lib.lib, name)
        assert fn.restype is restype, name
        assert fn.argtypes == argtypes, name
    # owned strings are never c_char_p: only the two static-string getters are
    owned_free = [n for n, r, _ in _lib._SIGNATURES if r is ctypes.c_char_p]
    assert sorted(owned_free) == ["dcams_code_name", "dcams_version"]
    # exported symbols: nothing in the header is left undeclared
    header = PY_ROOT.parent.parent / "include" / "dcams.h"
    if header.exists():
        import re

        declared = set(re.findall(r"\b(dcams_[a-z_]+)\(", header.read_text()))
        assert declared == {n for n, _, _ in _lib._SIGNATURES}


def test_structure_layout():
    p = ctypes.sizeof(ctypes.c_void_p)
    assert ctypes.sizeof(_lib.dcams_document) == 3 * p
    assert ctypes.sizeof(_lib.dcams_customer) == 11 * p + 2 * 3 * p
    assert ctypes.sizeof(_lib.dcams_images) == 4 * p
    assert _lib.dcams_customer.front.offset == 11 * p
    assert _lib.dcams_customer.back.offset == 14 * p
    assert [f for f, _ in _lib.dcams_customer._fields_] == [
        "email", "fn", "ln", "addr", "city", "state", "zip", "dob", "phone",
        "reference", "test_key", "front", "back",
    ]


def test_codes_mirror_library_names():
    for code in dcams.Code:
        assert _lib.code_name(code) == code.c_name
    assert _lib.code_name(12345) == "DCAMS_ERR_UNKNOWN"
    assert dcams.Status.PASS.code == 1 and dcams.Status.PENDING.code == 2 and dcams.Status.FAIL.code == 3
    assert dcams.Status("PASS") is dcams.Status.PASS


@pytest.mark.parametrize(
    "code,cls",
    [
        (1, dcams.InvalidArgumentError), (2, dcams.InvalidArgumentError),
        (3, dcams.InvalidArgumentError), (4, dcams.InvalidArgumentError),
        (5, dcams.ValidationError), (6, dcams.ConfigError), (7, dcams.FileError),
        (20, dcams.BadRequestError), (21, dcams.UnauthorizedError), (22, dcams.ForbiddenError),
        (23, dcams.NotFoundError), (24, dcams.PayloadTooLargeError), (25, dcams.RateLimitedError),
        (26, dcams.ServerError), (27, dcams.ServiceError), (29, dcams.ServiceError),
        (40, dcams.TransportError), (41, dcams.TlsError), (42, dcams.DcamsTimeoutError),
        (43, dcams.BadResponseError), (44, dcams.RedirectError), (99, dcams.InternalError),
        (33, dcams.ServiceError), (55, dcams.TransportError), (77, dcams.DcamsError),
    ],
)
def test_error_mapping(code, cls):
    text = (
        '{"code":%d,"name":"X","message":"m","field":"dob","http_status":418,'
        '"service_message":"sm","service_code":"SC","detail":"d","retryable":true}' % code
    )
    e = error_from_json(code, text)
    assert type(e) is cls
    assert int(e.code) == code
    assert (e.name, e.message, e.field, e.http_status) == ("X", "m", "dob", 418)
    assert (e.service_message, e.service_code, e.detail, e.retryable) == ("sm", "SC", "d", True)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is cls and e2.to_dict() == e.to_dict()


def test_error_from_garbage():
    e = error_from_json(23, None)
    assert isinstance(e, dcams.NotFoundError) and e.code == dcams.Code.NOT_FOUND
    e = error_from_json(43, "not json")
    assert isinstance(e, dcams.BadResponseError) and e.message == "not json"


def test_close_idempotent_and_context_manager(sandbox):
    c = sandbox.client()
    assert not c.closed
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(dcams.InvalidArgumentError) as ei:
        c.get_status("a@example.com")
    assert ei.value.code == dcams.Code.NULL_ARGUMENT
    with sandbox.client() as c2:
        assert c2.get_status  # usable inside
    assert c2.closed
    c3 = sandbox.client()
    del c3  # __del__ frees; must not crash


def test_repr_shows_endpoint_only(sandbox):
    c = dcams.Client(endpoint=sandbox.url, user="u", password="hunter2-secret", test_key=TEST_KEY)
    r = repr(c)
    assert r == f"Client(endpoint={sandbox.url!r})"
    assert "hunter2" not in r and TEST_KEY not in r and "'u'" not in r
    assert not any("hunter2" in str(v) for v in vars(c).values())
    c.close()
    c = dcams.Client(endpoint="https://user:pw@example.com/v3/stable/api/storage?k=v")
    assert repr(c) == "Client(endpoint='https://example.com/v3/stable/api/storage')"
    c.close()


def test_config_errors():
    with pytest.raises(dcams.ConfigError) as ei:
        dcams.Client(endpoint="http://example.com/v3/stable/api/storage", user="u", password=PASS)
    assert ei.value.code == dcams.Code.CONFIG
    assert PASS not in str(ei.value)
    with pytest.raises(dcams.ConfigError):
        dcams.Client(endpoint="not a url", user="u", password="p")
    with pytest.raises(dcams.ConfigError):
        dcams.Client(timeout_ms=0, user="u", password="p")
    with pytest.raises(TypeError):
        dcams.Client(timeout_ms="10")
    # no credentials is fine at construction; the call fails with CONFIG
    with dcams.Client(endpoint="http://127.0.0.1:9/v3/stable/api/storage") as c:
        with pytest.raises(dcams.ConfigError):
            c.get_status("a@example.com")


def _run_import(env_extra):
    env = {k: v for k, v in os.environ.items() if k != "DCAMS_LIB"}
    env.update(env_extra)
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, %r)
        try:
            import dcams
        except ImportError as e:
            errors = sys.modules["dcams.errors"]
            print("ERR", type(e).__name__, isinstance(e, errors.DcamsError), e)
        else:
            print("OK", dcams.library_path, dcams.__version__)
        """
        % str(PY_ROOT)
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30).stdout


def test_dcams_lib_override(tmp_path):
    out = _run_import({"DCAMS_LIB": str(tmp_path / "nope.so")})
    assert out.startswith("ERR LibraryNotFoundError True"), out
    assert str(tmp_path / "nope.so") in out
    out = _run_import({"DCAMS_LIB": dcams.library_path})
    assert out.split() == ["OK", dcams.library_path, "0.1.0"]
    # a library that is not libdcams
    libc = ctypes.util.find_library("c")
    if libc:
        out = _run_import({"DCAMS_LIB": libc})
        assert out.startswith("ERR LibraryNotFoundError True") and "missing symbol" in out, out


def _import_from(root, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DCAMS_LIB", "CARGO_TARGET_DIR")}
    env.update(env_extra or {})
    code = "import sys; sys.path.insert(0, %r); import dcams; print(dcams.library_path)" % str(root)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    return p.stdout.strip() or p.stderr.strip().splitlines()[-1]


def test_lookup_order(tmp_path):
    import shutil

    name = os.path.basename(dcams.library_path)
    # a build tree above the package: target/release beats target/debug
    tree = tmp_path / "repo"
    pkg_root = tree / "bindings" / "python"
    shutil.copytree(PY_ROOT / "dcams", pkg_root / "dcams",
                    ignore=shutil.ignore_patterns("__pycache__", "libdcams.*", "dcams.dll"))
    (tree / "target" / "debug").mkdir(parents=True)
    shutil.copy(dcams.library_path, tree / "target" / "debug" / name)
    assert _import_from(pkg_root) == str(tree / "target" / "debug" / name)
    (tree / "target" / "release").mkdir(parents=True)
    shutil.copy(dcams.library_path, tree / "target" / "release" / name)
    assert _import_from(pkg_root) == str(tree / "target" / "release" / name)
    # a copy inside the package beats the build tree
    shutil.copy(dcams.library_path, pkg_root / "dcams" / name)
    assert _import_from(pkg_root) == str(pkg_root / "dcams" / name)
    # DCAMS_LIB beats everything
    assert _import_from(pkg_root, {"DCAMS_LIB": dcams.library_path}) == dcams.library_path
    # nothing found: the message names where it looked
    if ctypes.util.find_library("dcams"):
        return  # installed system-wide; the fallback would find it
    bare = tmp_path / "bare"
    shutil.copytree(PY_ROOT / "dcams", bare / "dcams",
                    ignore=shutil.ignore_patterns("__pycache__", "libdcams.*", "dcams.dll"))
    msg = _import_from(bare)
    assert "LibraryNotFoundError" in msg and "libdcams not found" in msg and str(bare / "dcams") in msg

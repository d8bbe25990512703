"""The ctypes declarations mirror include/dcams.h, the C ABI's contract.

Everything here is read from the header (and, for struct layouts, from the C
compiler), never from the binding's own tables: every function's result and
argument types, every struct's members, their types, offsets and sizes,
every result code and status number, and the version.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import dcams
from dcams import _lib

from conftest import REPO, cargo_version

HEADER = REPO / "include" / "dcams.h"
_SCALARS = {
    "int32_t": c_int32,
    "uint32_t": c_uint32,
    "int64_t": c_int64,
    "uint64_t": c_uint64,
    "size_t": c_size_t,
    "uint8_t": c_uint8,
    "double": c_double,
    # fixed-width result types (the header's typedefs to int32_t)
    "dcams_code": c_int32,
    "dcams_status": c_int32,
}


def _code_only() -> str:
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _split(decl: str) -> Tuple[str, str]:
    """``'const struct dcams_client *client'`` -> (``'const struct dcams_client *'``, ``'client'``)."""
    m = re.fullmatch(r"(.*?)(\w+)", decl.strip())
    assert m, decl
    return re.sub(r"\s+", " ", m.group(1)).replace(" *", "*").strip(), m.group(2)


def ctypes_of(c_type: str) -> Any:
    """The ctypes type the binding must use for a C type of the header.

    Strings: ``const char *`` in is ``c_char_p``; a ``char *`` the library
    owns (only ever handed back to ``dcams_string_free``) is ``c_void_p``,
    and ``char **`` (an owned string out) is ``POINTER(c_void_p)``, so the
    pointer is kept for the free. ``void *`` is ``c_void_p``; a function
    pointer typedef is the binding's ``CFUNCTYPE`` of that name. Structs and opaque handles: the binding's
    class of the header's name, behind as many ``POINTER`` as stars.
    """
    const = c_type.startswith("const ")
    # `const` anywhere (`const struct dcams_customer *const *` is an array of pointers).
    base = re.sub(r"\bconst\b|\bstruct\b", "", c_type).replace(" ", "")
    stars = base.count("*")
    base = base.replace("*", "").strip()
    if base == "void":
        assert stars <= 1, c_type
        return c_void_p if stars else None  # void * (userdata): an address
    if base == "char":
        assert stars in (1, 2), c_type
        if stars == 2:
            return POINTER(c_void_p)
        return c_char_p if const else c_void_p
    t: Any = _SCALARS.get(base) or getattr(_lib, base)
    for _ in range(stars):
        t = POINTER(t)
    return t


def header_functions() -> Dict[str, Tuple[str, List[str]]]:
    """name -> (result C type, [argument C types]) of every prototype."""
    found = {}
    pattern = re.compile(r"^(?P<ret>[A-Za-z_][\w ]*?[\s*]+)(?P<name>dcams_\w+)\((?P<args>[^)]*)\);", re.M)
    for m in pattern.finditer(_code_only()):
        ret = re.sub(r"\s+", " ", m["ret"]).replace(" *", "*").strip()
        args = [a for a in re.sub(r"\s+", " ", m["args"]).split(",") if a.strip() and a.strip() != "void"]
        found[m["name"]] = (ret, [_split(a)[0] for a in args])
    return found


def header_structs() -> Dict[str, List[Tuple[str, str]]]:
    """struct name -> [(member, C type)] of every struct with members."""
    found = {}
    for m in re.finditer(r"typedef struct (dcams_\w+) \{(.*?)\} \1;", _code_only(), re.S):
        found[m[1]] = [_split(d)[::-1] for d in m[2].split(";") if d.strip()]
    return found


def header_opaque_types() -> List[str]:
    return re.findall(r"typedef struct (dcams_\w+) \1;", _code_only())


def header_enum(name: str) -> Dict[str, int]:
    m = re.search(r"enum %s\b[^{]*\{(.*?)\};" % name, _code_only(), re.S)
    assert m, name
    return {k: int(v) for k, v in re.findall(r"(\w+) = (-?\d+)", m[1])}


def test_the_header_parses():
    """The parsers above see the whole header (a parser that found nothing
    would make every comparison below vacuous)."""
    functions = header_functions()
    assert len(functions) == len(re.findall(r"\bdcams_\w+\(", _code_only()))
    assert {"dcams_client_upsert", "dcams_call_get_meta", "dcams_images_front", "dcams_version"} <= set(functions)
    assert set(header_structs()) == {
        "dcams_call_meta",
        "dcams_document",
        "dcams_customer",
        "dcams_batch_options",
        "dcams_batch_summary",
    }
    assert {"dcams_client", "dcams_config", "dcams_call", "dcams_images"} <= set(header_opaque_types())


def test_every_function_is_declared_as_the_header_says():
    functions = header_functions()
    assert sorted(functions) == sorted(name for name, _, _ in _lib.SIGNATURES)
    for name, (ret, args) in functions.items():
        fn = getattr(_lib.lib, name)
        assert fn.restype is ctypes_of(ret), f"{name}: restype {fn.restype} for {ret}"
        assert fn.argtypes == [ctypes_of(a) for a in args], f"{name}: argtypes {fn.argtypes} for {args}"


def test_the_one_rule_as_the_binding_sees_it():
    """Every fallible function returns int32_t and takes ``char **out_error``
    last; only the frees, dcams_version and dcams_code_name are exempt."""
    exempt = {"dcams_version", "dcams_code_name"} | {n for n in header_functions() if n.endswith("_free")}
    for name, (ret, args) in header_functions().items():
        fn = getattr(_lib.lib, name)
        if name in exempt:
            continue
        assert ret == "dcams_code" and fn.restype is c_int32, name
        assert args[-1] == "char**" and fn.argtypes[-1] is POINTER(c_void_p), name


def test_opaque_handles_are_distinct_types():
    for name in header_opaque_types():
        cls = getattr(_lib, name)
        assert issubclass(cls, ctypes.Structure) and not getattr(cls, "_fields_", None), name
    # a wrong handle is refused by ctypes, not passed on to C
    with pytest.raises(ctypes.ArgumentError):
        _lib.lib.dcams_client_free(_lib.config_p())


def test_struct_members_as_the_header_says():
    for name, members in header_structs().items():
        cls = getattr(_lib, name)
        assert [f for f, _ in cls._fields_] == [m for m, _ in members], name
        for (field, field_type), (member, c_type) in zip(cls._fields_, members):
            assert field_type is ctypes_of(c_type), f"{name}.{member}: {field_type} for {c_type}"


def test_struct_layout_matches_the_c_compiler(tmp_path):
    """sizeof and every offsetof, from a C program compiled against the header."""
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed (make build needs one too)"
    structs = header_structs()
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "dcams.h"', "int main(void) {"]
    for name, members in structs.items():
        lines.append(f'    printf("{name} %zu\\n", sizeof({name}));')
        for member, _ in members:
            lines.append(f'    printf("{name}.{member} %zu\\n", offsetof({name}, {member}));')
    lines += ["    return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", str(REPO / "include"), str(src), "-o", str(exe)], check=True)
    c_says = dict(line.split() for line in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines())
    for name, members in structs.items():
        cls = getattr(_lib, name)
        assert ctypes.sizeof(cls) == int(c_says[name]), name
        for member, _ in members:
            assert getattr(cls, member).offset == int(c_says[f"{name}.{member}"]), f"{name}.{member}"


def test_versioned_structs_carry_their_size():
    for name in header_structs():
        cls = getattr(_lib, name)
        assert _lib.new_struct(cls).struct_size == ctypes.sizeof(cls), name


def test_codes_and_statuses_mirror_the_header():
    assert header_enum("dcams_code") == {code.c_name: int(code) for code in dcams.Code}
    assert header_enum("dcams_status") == {f"DCAMS_STATUS_{s.name}": s.code for s in dcams.Status}
    for code in dcams.Code:  # and the library agrees on every name
        assert _lib.code_name(code) == code.c_name
    assert _lib.code_name(12345) == "DCAMS_ERR_UNKNOWN"


def test_versions_agree():
    """Cargo.toml (the one place the version is written), the header, the
    library and the package all say the same version."""
    m = re.search(r'#define DCAMS_VERSION "([^"]+)"', HEADER.read_text())
    assert m
    version = cargo_version()
    assert m[1] == version
    assert dcams.library_version == version
    assert dcams.__version__ == version
    assert _lib.lib.dcams_version() == version.encode()


def test_abi_compatibility_rule():
    major, minor, patch = (int(x) for x in cargo_version().split("."))
    same = f"{major}.{minor}.{patch + 1}"
    other_minor = f"{major}.{minor + 1}.0"
    other_major = f"{major + 1}.{minor}.{patch}"
    assert _lib.abi_compatible(same, cargo_version())
    assert _lib.abi_compatible(other_minor, cargo_version()) is (major >= 1)
    assert not _lib.abi_compatible(other_major, cargo_version())
    assert not _lib.abi_compatible("garbage", cargo_version())
    assert not _lib.abi_compatible("0.1.9", "0.2.0") and _lib.abi_compatible("1.7.0", "1.2.3")

"""The package as pip installs it: the wheel (platform tag, library inside),
the version (from Cargo.toml), imports from anywhere, the library lookup
order, and a fresh venv in which `pip install ./bindings/python` (and an
editable install that type checkers see) work."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

import dcams

from conftest import PY_ROOT, REPO, cargo_version
from test_abi import header_functions

INSTALLED = Path(dcams.__file__).resolve().parent
LIB_NAME = "libdcams.so"
if not sys.platform.startswith("linux"):  # pragma: no cover - the suite runs on Linux
    pytest.skip("the lookup tests use Linux library names", allow_module_level=True)

PROBE = """
import json, sys
try:
    import dcams
except ImportError as e:
    errors = sys.modules.get("dcams.errors")
    print(json.dumps({"error": type(e).__name__, "message": str(e),
                      "dcams_error": errors is not None and isinstance(e, errors.DcamsError)}))
else:
    from dcams import _origin
    print(json.dumps({"path": dcams.library_path, "version": dcams.__version__, "built": _origin.BUILT,
                      "library_version": dcams.library_version, "file": dcams.__file__}))
"""


def clean_env(**extra: str) -> Dict[str, str]:
    """The environment without anything that steers the lookup."""
    drop = ("DCAMS_LIB", "PYTHONPATH", "CARGO_TARGET_DIR", "LD_LIBRARY_PATH", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def probe(cwd: Path, python: str = sys.executable, pythonpath: Optional[Path] = None, **env: str) -> Dict[str, Any]:
    """Imports dcams in a new interpreter; what it loaded, or the error."""
    extra = dict(env)
    if pythonpath is not None:
        extra["PYTHONPATH"] = str(pythonpath)
    p = subprocess.run([python, "-c", PROBE], cwd=cwd, env=clean_env(**extra), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and p.stdout, p.stderr
    result: Dict[str, Any] = json.loads(p.stdout)
    return result


def installed_copy(dest: Path) -> Path:
    """A copy of the installed package (a built one: ``_build_info.py``) without its library."""
    shutil.copytree(INSTALLED, dest / "dcams", ignore=shutil.ignore_patterns("__pycache__", LIB_NAME))
    return dest


def source_copy(dest: Path) -> Path:
    """A copy of the package's source files (no ``_build_info.py``, no library)."""
    shutil.copytree(PY_ROOT / "dcams", dest / "dcams",
                    ignore=shutil.ignore_patterns("__pycache__", LIB_NAME, "_build_info.py"))
    return dest


def fake_repository(root: Path, version: Optional[str] = None) -> Path:
    """The files that make a directory a dcams checkout, and the package's
    source inside it (``bindings/python``, returned)."""
    (root / "include").mkdir(parents=True)
    shutil.copy(REPO / "include" / "dcams.h", root / "include")
    cargo = (REPO / "Cargo.toml").read_text()
    if version is not None:
        cargo = cargo.replace(f'version = "{cargo_version()}"', f'version = "{version}"')
    (root / "Cargo.toml").write_text(cargo)
    py = root / "bindings" / "python"
    py.mkdir(parents=True)
    shutil.copy(PY_ROOT / "pyproject.toml", py)
    return source_copy(py)


def put_library(directory: Path, name: str = LIB_NAME) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(dcams.library_path, directory / name)
    return directory / name


# -- the installed wheel -------------------------------------------------------


def test_pip_show_lists_the_library_inside_the_package():
    p = subprocess.run([sys.executable, "-m", "pip", "show", "-f", "dcams"], capture_output=True, text=True,
                       check=True)
    files = [line.strip() for line in p.stdout.split("Files:", 1)[1].splitlines()]
    assert f"dcams/{LIB_NAME}" in files, p.stdout
    location = next(line.split(":", 1)[1].strip() for line in p.stdout.splitlines() if line.startswith("Location:"))
    assert Path(location).resolve() == INSTALLED.parent
    assert Path(location).resolve().is_relative_to(Path(sys.prefix).resolve())  # the venv's site-packages
    assert Path(dcams.library_path) == INSTALLED / LIB_NAME


def test_the_wheel_has_a_platform_tag():
    wheel = importlib.metadata.distribution("dcams").read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert tags == [f"py3-none-{platform}"], wheel
    assert not tags[0].endswith("-any")
    assert "Root-Is-Purelib: false" in wheel


def test_version_comes_from_cargo_toml():
    assert importlib.metadata.version("dcams") == cargo_version()
    assert dcams.__version__ == cargo_version()


@pytest.mark.parametrize("where", ["/tmp", "tmp_path"])
def test_import_from_any_directory_without_dcams_lib(where, tmp_path):
    out = probe(Path("/tmp") if where == "/tmp" else tmp_path)
    assert out.get("version") == cargo_version(), out
    assert out["path"] == str(INSTALLED / LIB_NAME) and out["built"] is True


# -- the lookup order ------------------------------------------------------------


def test_dcams_lib_overrides_and_fails_loudly(tmp_path):
    out = probe(tmp_path, DCAMS_LIB=str(tmp_path / "nope.so"))
    assert out["error"] == "LibraryNotFoundError" and out["dcams_error"], out
    assert str(tmp_path / "nope.so") in out["message"]
    other = put_library(tmp_path / "elsewhere")
    assert probe(tmp_path, DCAMS_LIB=str(other))["path"] == str(other)
    libc = subprocess.run(["sh", "-c", "ldd /bin/sh | sed -n 's/.*libc.so.6 => \\([^ ]*\\).*/\\1/p'"],
                          capture_output=True, text=True).stdout.strip()
    assert libc, "libc not found by ldd"
    out = probe(tmp_path, DCAMS_LIB=libc)
    assert out["error"] == "LibraryNotFoundError" and "missing symbol" in out["message"], out


def test_a_library_of_another_abi_is_refused(tmp_path):
    """A library with every symbol but another major version (built here
    from the header's function names) is refused, naming both versions."""
    major = int(cargo_version().split(".")[0])
    other = f"{major + 1}.0.0"
    lines = [f"void {name}(void) {{}}" for name in header_functions() if name != "dcams_version"]
    lines.append(f'const char *dcams_version(void) {{ return "{other}"; }}')
    (tmp_path / "fake.c").write_text("\n".join(lines) + "\n")
    fake = tmp_path / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(fake), str(tmp_path / "fake.c")], check=True)
    out = probe(tmp_path, DCAMS_LIB=str(fake))
    assert out["error"] == "LibraryNotFoundError", out
    assert other in out["message"] and cargo_version() in out["message"]


def test_no_ancestor_directory_is_searched(tmp_path):
    """An unrelated target/release/libdcams.so above the package is never
    picked up (the old lookup walked every parent directory)."""
    pkg = installed_copy(tmp_path / "project" / "bindings" / "python")
    planted = [put_library(tmp_path / "project" / "target" / "release"),
               put_library(tmp_path / "target" / "release"),
               put_library(tmp_path / "project" / "bindings" / "target" / "debug")]
    out = probe(tmp_path, pythonpath=pkg)
    assert out.get("path") not in [str(p) for p in planted], out
    if "error" in out:  # no libdcams installed on this system
        assert out["error"] == "LibraryNotFoundError" and "libdcams not found" in out["message"], out
        assert str(pkg / "dcams") in out["message"]


def test_source_tree_finds_its_build_tree(tmp_path):
    """Running from a checkout (an editable install, or bindings/python on
    sys.path): the checkout's own build tree, release before debug, or
    $CARGO_TARGET_DIR; the version is the checkout's Cargo.toml."""
    repo = tmp_path / "repo"
    py = fake_repository(repo)
    debug = put_library(repo / "target" / "debug")
    out = probe(tmp_path, pythonpath=py)
    assert (out.get("path"), out.get("built"), out.get("version")) == (str(debug), False, cargo_version()), out
    release = put_library(repo / "target" / "release")
    assert probe(tmp_path, pythonpath=py)["path"] == str(release)
    elsewhere = put_library(tmp_path / "cargo-target" / "release")
    assert probe(tmp_path, pythonpath=py, CARGO_TARGET_DIR=str(tmp_path / "cargo-target"))["path"] == str(elsewhere)
    # a copy inside the package beats the build tree; DCAMS_LIB beats both
    inside = put_library(py / "dcams")
    assert probe(tmp_path, pythonpath=py)["path"] == str(inside)
    assert probe(tmp_path, pythonpath=py, DCAMS_LIB=str(release))["path"] == str(release)


def test_source_tree_version_is_read_from_its_cargo_toml(tmp_path):
    """A checkout whose Cargo.toml says another major version refuses this
    library: the version is read there, not written in the package."""
    major = int(cargo_version().split(".")[0])
    repo = tmp_path / "repo"
    py = fake_repository(repo, version=f"{major + 1}.0.0")
    put_library(repo / "target" / "release")
    out = probe(tmp_path, pythonpath=py)
    assert out["error"] == "LibraryNotFoundError" and f"{major + 1}.0.0" in out["message"], out


def test_the_system_library_comes_last(tmp_path):
    """Without a copy inside the package, an installed libdcams.so.0 (here
    on LD_LIBRARY_PATH) is found by find_library through its SONAME."""
    pkg = installed_copy(tmp_path / "pkg")
    lib = tmp_path / "prefix" / "lib"
    put_library(lib, "libdcams.so.0")
    (lib / "libdcams.so").symlink_to("libdcams.so.0")
    out = probe(tmp_path, pythonpath=pkg, LD_LIBRARY_PATH=str(lib))
    assert out.get("path") == "libdcams.so.0" and out.get("version") == cargo_version(), out
    # the package's own copy wins over the system's
    inside = put_library(pkg / "dcams")
    assert probe(tmp_path, pythonpath=pkg, LD_LIBRARY_PATH=str(lib))["path"] == str(inside)


# -- a fresh venv, as a new user would -------------------------------------------


def test_pip_install_in_a_fresh_venv_then_editable(tmp_path):
    """`pip install ./bindings/python` in a new venv (build isolation: pip
    fetches setuptools and runs the build as a user's pip would), then an
    editable install (editable_mode=strict, as the README says) that mypy
    sees."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    done = subprocess.run([*pip, "install", str(PY_ROOT)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run([*pip, "show", "-f", "dcams"], capture_output=True, text=True, check=True).stdout
    assert f"  dcams/{LIB_NAME}" in shown.splitlines(), shown
    wheel = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.distribution('dcams').read_text('WHEEL'))"],
                           capture_output=True, text=True, check=True).stdout
    assert "Tag: py3-none-" in wheel and "-any" not in wheel, wheel
    out = probe(Path("/tmp"), python=python)
    assert out.get("version") == cargo_version() and out["built"] is True, out
    assert out["path"].startswith(str(venv)), out

    done = subprocess.run([*pip, "install", "-e", str(PY_ROOT), "--config-settings", "editable_mode=strict"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = probe(tmp_path, python=python)
    assert out["built"] is False and Path(out["file"]).resolve() == PY_ROOT / "dcams" / "__init__.py", out
    assert out["path"] == str(REPO / "target" / "release" / LIB_NAME), out
    # mypy (this venv's) type-checks a program against the editable install
    good = tmp_path / "good.py"
    good.write_text("import dcams\nfrom typing import Optional\n\n"
                    "def f(c: dcams.Client) -> Optional[dcams.Status]:\n    return c.get_status('a@example.com').status\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import dcams\n\nversion: int = dcams.__version__\n")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", python]
    p = subprocess.run([*mypy, str(good)], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    p = subprocess.run([*mypy, str(bad)], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 1 and 'expression has type "str", variable has type "int"' in p.stdout, p.stdout

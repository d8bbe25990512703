"""Build steps that pyproject.toml cannot declare: libdcams inside the wheel.

setuptools (the PEP 517 backend, ``setuptools.build_meta``) runs this file.
It adds two things to a plain setuptools build:

* ``build_py`` also runs ``cargo build --release`` for the library in the
  repository's Rust workspace (two directories up) and copies the cdylib
  into the package (``dcams/libdcams.so``), with ``dcams/_build_info.py``
  recording the version. An editable install builds the library too but
  copies nothing: the package then runs from the source tree and finds the
  library in the build tree (``target/release``);
* ``bdist_wheel`` tags the wheel ``py3-none-<platform>`` (e.g.
  ``py3-none-linux_x86_64``): the package holds native code, so it is not
  ``any``, but no CPython extension, so any Python 3 on that platform can
  use it.

Environment: ``CARGO`` (the cargo to run, default ``cargo``), and
``DCAMS_CARGO_ARGS`` (what to build, default ``-p dcams``). In the
repository's own test run it is ``--workspace``, the selection of
``make build``: the library is then already built and cargo does nothing
(``-p dcams`` resolves dependency features differently from the whole
workspace, so it would link the library again).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import types
from pathlib import Path
from typing import List

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _origin() -> types.ModuleType:
    """dcams/_origin.py, loaded by path (importing the package would load the library)."""
    spec = importlib.util.spec_from_file_location("_dcams_origin", HERE / "dcams" / "_origin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ORIGIN = _origin()
if not ORIGIN.is_repository(ROOT):
    raise SystemExit(
        f"dcams: {ROOT} is not the dcams repository. The Python package is built from a "
        "checkout of the repository (it builds libdcams from the Rust sources there): run "
        "`pip install ./bindings/python` or `python -m build --wheel bindings/python` in it "
        "(an sdist cannot be built)."
    )
VERSION = ORIGIN.cargo_version(ROOT / "Cargo.toml")


def cargo_build() -> Path:
    """Builds the release library with cargo; returns the cdylib's path."""
    cargo = os.environ.get("CARGO") or shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    selection = shlex.split(os.environ.get("DCAMS_CARGO_ARGS") or "-p dcams")
    command: List[str] = [
        cargo,
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
        "--manifest-path",
        str(ROOT / "Cargo.toml"),
        *selection,
    ]
    print("dcams: " + " ".join(shlex.quote(a) for a in command), flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemExit(
            f"dcams: cargo not found ({cargo}): building the package builds libdcams, which needs "
            "the Rust toolchain (https://rustup.rs); or set CARGO to cargo's path"
        ) from None
    if done.returncode != 0:
        raise SystemExit(f"dcams: cargo build failed (exit {done.returncode}); its messages are above")
    found: List[Path] = []
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        target = message.get("target") or {}
        if (
            message.get("reason") == "compiler-artifact"
            and target.get("name") == "dcams"
            and "cdylib" in target.get("crate_types", [])
        ):
            found += [Path(f) for f in message.get("filenames", []) if Path(f).name in ORIGIN.lib_names()]
    if len(found) != 1:
        raise SystemExit(f"dcams: expected one libdcams from cargo, found {found or 'none'}")
    return found[0]


class BuildPy(build_py):
    """build_py that also builds libdcams and puts it in the package."""

    def run(self) -> None:
        library = cargo_build()
        if self.editable_mode:
            return super().run()
        package = Path(self.build_lib) / "dcams"
        shutil.rmtree(package, ignore_errors=True)  # no stale file from an earlier build
        super().run()
        self.copy_file(str(library), str(package / library.name))
        (package / "_build_info.py").write_text(
            '"""Written by the build (setup.py): this is a built package."""\n\n'
            f"#: The workspace version (Cargo.toml) the package and its library were built from.\n"
            f"VERSION = {VERSION!r}\n"
        )


class NativeDistribution(Distribution):
    """A distribution with native code: its wheel is platform-specific and
    installs into platlib (no setuptools extension module builds it)."""

    def has_ext_modules(self) -> bool:
        return True


class BdistWheel(bdist_wheel):
    """A platform wheel for any Python 3: ``py3-none-<platform>``."""

    def get_tag(self) -> "tuple[str, str, str]":
        _python, _abi, platform = super().get_tag()
        return "py3", "none", platform


setup(version=VERSION, distclass=NativeDistribution, cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel})

"""Where this copy of the package comes from, and so its version.

There are two kinds of copies:

* a **built package** (installed from a wheel): the build wrote
  ``dcams/_build_info.py`` with the version it read from the repository's
  ``Cargo.toml``; the library is a file inside the package;
* the repository's **source tree** (an editable install, or
  ``bindings/python`` on ``sys.path``): no ``_build_info.py``; the
  repository is at a fixed place relative to this file
  (``<root>/bindings/python/dcams/``) and the version is read from
  ``<root>/Cargo.toml``, ``[workspace.package] version``, so it is never
  written twice.

Only those fixed places are looked at: no parent directory is searched.
This module imports nothing from the rest of the package (``setup.py``
loads it by path to read the same version).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import List, Optional

#: The directory of the package (``dcams/``), symlinks resolved.
PACKAGE_DIR = Path(__file__).resolve().parent


def lib_names() -> List[str]:
    """The shared library's file names on this platform, as Cargo names them
    (the build copies it into the package under that name)."""
    if sys.platform == "darwin":
        return ["libdcams.dylib"]
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        # Cargo names a Windows cdylib without the "lib" prefix.
        return ["dcams.dll", "libdcams.dll"]
    return ["libdcams.so"]


def cargo_version(cargo_toml: Path) -> str:
    """``[workspace.package] version`` of a workspace ``Cargo.toml``."""
    with open(cargo_toml, "rb") as f:
        data = tomllib.load(f)
    try:
        version = data["workspace"]["package"]["version"]
    except (KeyError, TypeError):
        raise ValueError(f"{cargo_toml} has no [workspace.package] version") from None
    if not isinstance(version, str):
        raise ValueError(f"{cargo_toml}: [workspace.package] version is not a string")
    return version


def is_repository(root: Path) -> bool:
    """Whether ``root`` is a checkout of the dcams repository: its workspace
    ``Cargo.toml``, the C header and this binding's project file."""
    return (
        (root / "Cargo.toml").is_file()
        and (root / "include" / "dcams.h").is_file()
        and (root / "bindings" / "python" / "pyproject.toml").is_file()
    )


def _built_version() -> Optional[str]:
    try:
        from ._build_info import VERSION  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return str(VERSION)


_BUILT_VERSION = _built_version()
_ROOT = PACKAGE_DIR.parent.parent.parent

#: Whether this is a built package (``_build_info.py`` present).
BUILT = _BUILT_VERSION is not None


def source_root() -> Optional[Path]:
    """The repository this package runs from (its source tree), or ``None``
    for a built package, or for a copy that is neither."""
    if BUILT or not is_repository(_ROOT):
        return None
    return _ROOT


def _version() -> Optional[str]:
    if _BUILT_VERSION is not None:
        return _BUILT_VERSION
    root = source_root()
    return None if root is None else cargo_version(root / "Cargo.toml")


#: The package version (``None`` for a copy that is neither built nor in
#: the repository: the loader then refuses to guess).
VERSION: Optional[str] = _version()

"""Compiled (Cython) builds of the event coder's modules, used only while they match the source.

The coder is plain Python. ``infra/build_compiled.py`` (run by ``infra/install.sh``) compiles
its modules, unchanged, with Cython into ``build/compiled/`` (mirroring the package layout) and
writes a manifest with each source file's SHA-256. ``processors/coder/__init__.py`` calls
``use_compiled``: when every listed module has a built extension whose manifest hash is the
hash of the source as it is now, that directory goes first on the package's ``__path__``, so
``import processors.coder.events`` loads the extension. Otherwise (no compiler, a source edited
since the build, another Python) the package stays pure Python: a stale build is never used.
Same output either way (the test suite and ``marsad eval`` run on both); about a quarter more
articles per second compiled (BENCHMARKS.md). ``MARSAD_COMPILED=off`` forces pure Python
(profiling, debugging).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Sequence
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_ROOT = PROJECT_ROOT / "build" / "compiled"
MANIFEST = "compiled.json"
MODES = ("auto", "off")

# Package -> modules compiled, in dependency order. Entry points (evaluate, gsr_eval,
# build_gazetteer) stay interpreted: they run once, not per article.
PACKAGES: dict[str, tuple[str, ...]] = {
    "processors.coder": (
        "model", "text", "numbers", "lexicon", "gazetteer", "dates", "casualties", "events",
    ),
}

# Package -> why it runs as pure Python (absent when compiled); for logs and the benchmarks.
STATUS: dict[str, str] = {}


def source_dir(package: str) -> Path:
    return PROJECT_ROOT.joinpath(*package.split("."))


def build_dir(package: str) -> Path:
    return BUILD_ROOT.joinpath(*package.split("."))


def digest(path: Path) -> str:
    """SHA-256 of a source file: what a compiled module must have been built from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extension_name(module: str) -> str:
    """File name of a compiled module for this interpreter (its ABI tag is in the suffix)."""
    return f"{module}{EXTENSION_SUFFIXES[0]}"


def why_not_current(source: Path, built: Path, modules: Sequence[str]) -> str | None:
    """None when ``built`` holds a build of the current ``source`` of every module, else why."""
    manifest_file = built / MANIFEST
    if not manifest_file.exists():
        return "not built (infra/install.sh builds it when a C compiler is present)"
    try:
        hashes = json.loads(manifest_file.read_text(encoding="utf-8"))["modules"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"unreadable {manifest_file} ({error!r}; run infra/install.sh)"
    for module in modules:
        if not (built / extension_name(module)).exists():
            return f"no build of {module} for this Python"
        if hashes.get(module) != digest(source / f"{module}.py"):
            return f"{module}.py changed since the build (run infra/install.sh)"
    return None


def use_compiled(package: str, path: list[str]) -> bool:
    """Put the compiled modules of ``package`` first on its ``__path__`` when current.

    Records why not in ``STATUS`` otherwise; the pure-Python modules then load as usual.
    """
    mode = os.environ.get("MARSAD_COMPILED", "auto")
    if mode not in MODES:  # load_settings() reports the bad value at start
        reason: str | None = f"MARSAD_COMPILED={mode!r} is not one of {', '.join(MODES)}"
    elif mode == "off":
        reason = "MARSAD_COMPILED=off"
    else:
        reason = why_not_current(source_dir(package), build_dir(package), PACKAGES[package])
    if reason is not None:
        STATUS[package] = reason
        return False
    path.insert(0, str(build_dir(package)))
    STATUS.pop(package, None)
    return True


def describe(package: str = "processors.coder") -> str:
    """One line for logs and benchmark reports: compiled, or pure Python and why."""
    importlib.import_module(package)  # its __init__ decides
    if package in STATUS:
        return f"pure Python ({STATUS[package]})"
    return "compiled (Cython)"

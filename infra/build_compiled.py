"""Compile the event coder's modules with Cython into build/compiled/ (see marsad.compiled).

    python -m infra.build_compiled [--strict] [--force]

Rebuilds only modules whose source changed since their build (SHA-256 in the manifest), so a
second run takes a fraction of a second. Without a C compiler or Python headers the build
fails: this prints why and exits 0 (the coder then runs as pure Python, with the same output),
or 1 with ``--strict``. The compiler's output goes to build/compiled/build.log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from marsad.compiled import (
    BUILD_ROOT,
    MANIFEST,
    PACKAGES,
    PROJECT_ROOT,
    build_dir,
    digest,
    extension_name,
    source_dir,
)

# No debug information (nobody steps through the generated C) and -O2 instead of Python's own
# -g -O3: 75-90 s for the eight modules on two cores here instead of about 100 s. The warnings
# silenced are gcc 12's about Python's headers, not about the generated code.
COMPILE_ARGS = ["-g0", "-O2", "-Wno-array-bounds", "-Wno-unused-function"]
LOG = BUILD_ROOT / "build.log"


def _say(message: str) -> None:
    print(f"[compile] {message}", file=sys.stderr, flush=True)


def read_manifest(package: str) -> dict[str, str]:
    path = build_dir(package) / MANIFEST
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["modules"])
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or damaged: build anew
        return {}


def write_manifest(package: str, modules: dict[str, str]) -> None:
    import Cython

    path = build_dir(package) / MANIFEST
    path.write_text(json.dumps({"cython": Cython.__version__, "modules": modules}, indent=1,
                               sort_keys=True) + "\n", encoding="utf-8")


def stale_modules(package: str, force: bool = False) -> dict[str, str]:
    """Module -> digest of its current source, for each module needing a build."""
    built = read_manifest(package)
    stale = {}
    for module in PACKAGES[package]:
        current = digest(source_dir(package) / f"{module}.py")
        extension = build_dir(package) / extension_name(module)
        if force or built.get(module) != current or not extension.exists():
            stale[module] = current
    return stale


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (the compiler's too) to ``log`` meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def build(package: str, stale: dict[str, str]) -> None:
    """Cythonize and compile the ``stale`` modules of ``package``; raises on failure."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    jobs = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    os.chdir(PROJECT_ROOT)  # relative sources: generated C goes under build/compiled/c/
    relative = source_dir(package).relative_to(PROJECT_ROOT)
    extensions = [
        Extension(f"{package}.{module}", [str(relative / f"{module}.py")],
                  extra_compile_args=COMPILE_ARGS)
        for module in stale
    ]
    for module in stale:  # a failed build must not leave an older extension in place
        (build_dir(package) / extension_name(module)).unlink(missing_ok=True)
    modules = cythonize(
        extensions,
        build_dir=str(BUILD_ROOT / "c"),
        nthreads=jobs,
        quiet=True,
        force=True,
        compiler_directives={"language_level": 3, "annotation_typing": False},
    )
    distribution = Distribution({"name": "marsad-compiled", "ext_modules": modules})
    command = distribution.get_command_obj("build_ext")
    command.build_lib = str(BUILD_ROOT)
    command.build_temp = str(BUILD_ROOT / "tmp")
    command.parallel = jobs
    command.ensure_finalized()
    command.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when the build fails")
    parser.add_argument("--force", action="store_true", help="rebuild every module")
    args = parser.parse_args(argv)
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    failed = False
    for package in PACKAGES:
        stale = stale_modules(package, args.force)
        if not stale:
            _say(f"{package}: compiled modules are current")
            continue
        _say(f"{package}: compiling {', '.join(stale)} with Cython "
             f"(a minute or two; compiler output in {LOG.relative_to(PROJECT_ROOT)})")
        started = time.monotonic()
        LOG.write_text("", encoding="utf-8")
        try:
            with output_to(LOG):
                build(package, stale)
        except (Exception, SystemExit) as error:  # setuptools exits on compiler errors
            failed = True
            tail = LOG.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            _say(f"{package}: build failed ({type(error).__name__}: {error}); the coder runs "
                 "as pure Python, with the same output, slower. Last lines of the log:")
            for line in tail:
                _say(f"    {line}")
            continue
        built = read_manifest(package)
        built.update(stale)
        write_manifest(package, built)
        _say(f"{package}: compiled {len(stale)} module(s) in {time.monotonic() - started:.0f} s")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

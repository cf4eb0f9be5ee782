"""The coder's compiled build: used only while current, and coding exactly as the source does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marsad import compiled
from marsad.config import ConfigError, load_settings
from tests.conftest import ROOT, shared_path

MODULES = ("alpha", "beta")


def _fake_build(tmp_path: Path) -> tuple[Path, Path]:
    """A source folder of two modules and a 'build' of both (empty extension files)."""
    source, built = tmp_path / "src", tmp_path / "build"
    source.mkdir()
    built.mkdir()
    hashes = {}
    for module in MODULES:
        (source / f"{module}.py").write_text(f"X = {module!r}\n", encoding="utf-8")
        (built / compiled.extension_name(module)).write_bytes(b"")
        hashes[module] = compiled.digest(source / f"{module}.py")
    (built / compiled.MANIFEST).write_text(json.dumps({"modules": hashes}), encoding="utf-8")
    return source, built


def test_a_build_of_the_current_sources_is_used(tmp_path: Path) -> None:
    source, built = _fake_build(tmp_path)
    assert compiled.why_not_current(source, built, MODULES) is None


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    source, built = _fake_build(tmp_path)
    (source / "beta.py").write_text("X = 'edited'\n", encoding="utf-8")
    assert "beta.py changed" in (compiled.why_not_current(source, built, MODULES) or "")


def test_a_missing_extension_or_manifest_means_pure_python(tmp_path: Path) -> None:
    source, built = _fake_build(tmp_path)
    (built / compiled.extension_name("alpha")).unlink()
    assert "no build of alpha" in (compiled.why_not_current(source, built, MODULES) or "")
    (built / compiled.MANIFEST).unlink()
    assert "not built" in (compiled.why_not_current(source, built, MODULES) or "")


def test_a_damaged_manifest_means_pure_python(tmp_path: Path) -> None:
    source, built = _fake_build(tmp_path)
    (built / compiled.MANIFEST).write_text("{not json", encoding="utf-8")
    assert "unreadable" in (compiled.why_not_current(source, built, MODULES) or "")


def test_off_leaves_the_package_path_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARSAD_COMPILED", "off")
    monkeypatch.setattr(compiled, "STATUS", {})
    path = ["/somewhere"]
    assert compiled.use_compiled("processors.coder", path) is False
    assert path == ["/somewhere"]
    assert compiled.STATUS["processors.coder"] == "MARSAD_COMPILED=off"


def test_a_bad_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="MARSAD_COMPILED"):
        load_settings({"MARSAD_COMPILED": "yes"})


# Codes the seeds and the shared sample of 167 articles, prints one line per event.
_CODE_ALL = """
from marsad.compiled import describe
from bench.coder_speed import load_corpus
from processors.coder.events import code_article
print(describe())
for corpus in ("seeds", "shared"):
    for i, (text, anchor) in enumerate(load_corpus(corpus)):
        for event in code_article(text, anchor, f"{corpus}-{i}"):
            print(repr(event))
"""


def _code_all(mode: str) -> list[str]:
    env = {**os.environ, "MARSAD_COMPILED": mode}
    done = subprocess.run([sys.executable, "-c", _CODE_ALL], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=300)
    return done.stdout.splitlines()


def _why_not_compiled(package: str = "processors.coder") -> str | None:
    return compiled.why_not_current(
        compiled.source_dir(package), compiled.build_dir(package), compiled.PACKAGES[package]
    )


def test_the_coder_is_compiled_where_a_c_compiler_exists() -> None:
    """infra/install.sh (which make test runs first) builds it: a Cython or compiler error
    must not pass unseen as a slower pure-Python coder."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler here: the coder runs as pure Python")
    assert _why_not_compiled() is None, f"see build/compiled/build.log: {_why_not_compiled()}"


def test_the_compiled_coder_codes_exactly_as_the_source() -> None:
    shared_path("data", "articles")
    why_not = _why_not_compiled()
    if why_not is not None:
        pytest.skip(f"no compiled coder ({why_not}): nothing to compare")
    built, source = _code_all("auto"), _code_all("off")
    assert built[0] == "compiled (Cython)"
    assert source[0].startswith("pure Python")
    assert len(built) > 400  # the 501 events of the sample, and the seeds'
    assert built[1:] == source[1:]

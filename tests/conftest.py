"""Shared test helpers: where the repository and the shared data are."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The seed articles by file stem."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when the shared data is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (internal test data; see ../shared/data/README.md)")
    return path

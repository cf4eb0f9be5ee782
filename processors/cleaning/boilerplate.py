"""Line-level boilerplate rules, loaded from ``data/boilerplate_patterns.tsv``."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("data") / "boilerplate_patterns.tsv"
KINDS = frozenset({"drop", "dateline", "related", "end", "source"})


@dataclass(frozen=True)
class LineRule:
    kind: str
    pattern: re.Pattern[str]
    seen_in: str


@lru_cache(maxsize=1)
def rules() -> tuple[LineRule, ...]:
    """The boilerplate rules, in file order."""
    with open(PATTERNS_FILE, encoding="utf-8") as handle:
        rows = csv.DictReader((ln for ln in handle if not ln.startswith("#")), delimiter="\t")
        loaded = []
        for row in rows:
            if row["kind"] not in KINDS:
                raise ValueError(f"{PATTERNS_FILE}: unknown kind {row['kind']!r}")
            loaded.append(LineRule(row["kind"], re.compile(row["pattern"], re.IGNORECASE),
                                   row["seen_in"]))
    return tuple(loaded)


def classify(line: str) -> str | None:
    """The kind of boilerplate ``line`` is (drop/dateline/related/end/source), or None."""
    for rule in rules():
        if rule.pattern.match(line):
            return rule.kind
    return None

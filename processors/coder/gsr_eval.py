"""Sentence-level event detection scored on the Arabic PLOVER gold-standard records (dev half).

``python -m processors.coder.gsr_eval [--gsr-dir DIR] [--errors N]``

Each GSR row is one Arabic news sentence judged by several annotators for one PLOVER event
type (ASSAULT or PROTEST). A sentence is positive when labelled ``yes`` and negative when
labelled ``easy no`` or ``difficult no``; ``ambiguous`` rows are left out. The prediction is
``event_type in detect_sentence(text)`` - the same trigger lexicon, modality/negation filters
and FIGHT-vs-ASSAULT rules that ``code_article`` uses.

The rows are split once and for all by a hash of their id: 70% "tune" (used while writing the
lexicons; ``--errors`` lists its mistakes) and 30% "held-out" (only ever scored). Both figures
are printed. The data lives outside the repository (``../shared/data``); nothing is copied.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from processors.coder.events import detect_sentence

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GSR_DIR = REPO_ROOT.parent / "shared" / "data" / "arabic_event_gsr_dev"
EVENT_TYPES = ("ASSAULT", "PROTEST")
TUNE_PERCENT = 70
POSITIVE = frozenset({"yes"})
NEGATIVE = frozenset({"easy no", "difficult no"})


@dataclass(frozen=True, slots=True)
class GsrRow:
    """One judged sentence."""

    id: str
    event_type: str
    label: str
    text: str

    @property
    def positive(self) -> bool:
        """True for ``yes``."""
        return self.label in POSITIVE

    @property
    def split(self) -> str:
        """``tune`` or ``heldout`` (fixed by a hash of the id)."""
        return split_of(self.id)


@dataclass(frozen=True, slots=True)
class Scores:
    """Confusion counts and the derived precision, recall and F1."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp), 0 when nothing is predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn), 0 when there are no positives."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def split_of(row_id: str) -> str:
    """The fixed split of a GSR id: ``tune`` for 70% of ids, ``heldout`` for the rest."""
    bucket = int(hashlib.sha1(row_id.encode("utf-8"), usedforsecurity=False).hexdigest(), 16) % 100
    return "tune" if bucket < TUNE_PERCENT else "heldout"


def load_gsr(event_type: str, gsr_dir: Path = DEFAULT_GSR_DIR) -> list[GsrRow]:
    """Scored rows (``ambiguous`` dropped) of ``{event_type}_dev.csv``."""
    path = gsr_dir / f"{event_type.lower()}_dev.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            GsrRow(r["id"], r["event_type"], r["label"], r["text"]) for r in csv.DictReader(handle)
        ]
    return [r for r in rows if r.label in POSITIVE | NEGATIVE]


def score(
    rows: Iterable[GsrRow],
    event_type: str,
    detector: Callable[[str], set[str]] = detect_sentence,
) -> tuple[Scores, list[tuple[GsrRow, bool]]]:
    """Scores of ``detector`` on ``rows`` and the list of (row, predicted) mistakes."""
    tp = fp = fn = tn = 0
    errors: list[tuple[GsrRow, bool]] = []
    for row in rows:
        predicted = event_type in detector(row.text)
        if predicted and row.positive:
            tp += 1
        elif predicted:
            fp += 1
            errors.append((row, True))
        elif row.positive:
            fn += 1
            errors.append((row, False))
        else:
            tn += 1
    return Scores(tp, fp, fn, tn), errors


def main(argv: list[str] | None = None) -> int:
    """Print precision/recall/F1 per event type on the tune and held-out splits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsr-dir", type=Path, default=DEFAULT_GSR_DIR)
    parser.add_argument(
        "--errors",
        type=int,
        default=0,
        help="list up to N mistakes of the TUNE split (never the held-out)",
    )
    parser.add_argument("--type", choices=EVENT_TYPES, action="append")
    args = parser.parse_args(argv)
    if not args.gsr_dir.is_dir():
        print(f"GSR directory not found: {args.gsr_dir}", file=sys.stderr)
        return 2
    print(
        f"{'type':8} {'split':8} {'n':>5} {'pos':>4} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'P':>6} {'R':>6} {'F1':>6}"
    )
    for event_type in args.type or EVENT_TYPES:
        rows = load_gsr(event_type, args.gsr_dir)
        for split in ("tune", "heldout"):
            part = [r for r in rows if r.split == split]
            s, errors = score(part, event_type)
            pos = sum(r.positive for r in part)
            print(
                f"{event_type:8} {split:8} {len(part):5d} {pos:4d} {s.tp:4d} {s.fp:4d} "
                f"{s.fn:4d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
            )
            if split == "tune" and args.errors:
                for row, predicted in errors[: args.errors]:
                    tag = "FP" if predicted else "FN"
                    print(f"  {tag} [{row.label}] {row.id} {row.text[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Opposite facts in near-identical texts: compact polarity markers and their comparison.

Two texts can share nearly every shingle and still say opposite things ("استمرار الاحتجاجات"
vs "توقف الاحتجاجات", "قتل" vs "نجا", a negation added, a casualty figure changed). The
streaming stage only carries compact data, so each article gets a short sorted list of
markers and two lists are compared later, without the texts.

Markers:
- ``p:<group><+|->=<count>``: occurrences of the polarity lexicon (``data/polarity.tsv``),
  e.g. ``p:kill+=3``. A negation particle (لا لم لن ليس ليست عدم) right before a term flips
  its polarity (``لم يقتل`` counts as ``kill-``).
- ``n:<context>=<value>``: a number with its context, the folded word before and after it,
  hashed to 8 hex digits (``n:1a2b3c4d=12``). At most ``MAX_NUMBERS`` are kept: those with the
  smallest context hash, a consistent sample, so a trimmed copy keeps the same ones.

Decision (documented in tests/dedup/README.md):
- A **polarity flip** contradicts: for some group, one text has more ``+`` and fewer ``-``
  occurrences than the other (an occurrence moved from one side to the other). Trimming or
  adding a paragraph only adds or removes occurrences on one text, so it is never a flip.
- A **changed number** contradicts: the same context (words before and after) carries
  disjoint sets of values in the two texts ("قتل 5 اشخاص" vs "قتل 7 اشخاص"). A revised
  figure is a new fact: the copy must not skip extraction, and event-level reconciliation
  decides which figure wins. A number present in only one text (trimmed sentence, "ثلاثين"
  spelled out vs "30") is not a contradiction.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from processors.coder.text import PROCLITICS
from processors.dedup.minhash import words

DATA = Path(__file__).with_name("data") / "polarity.tsv"
NEGATIONS = frozenset({"لا", "لم", "لن", "ليس", "ليست", "عدم", "ولم", "ولا", "ولن", "وليس",
                       "فلم", "فلا", "بعدم", "وعدم", "لعدم"})
MAX_NUMBERS = 40
_NUMBER = re.compile(r"^\D{0,3}?(\d+)\D{0,2}$")  # 5, ال5, و30


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, str]]:
    """Folded form -> (group, polarity) from ``data/polarity.tsv``."""
    out: dict[str, tuple[str, str]] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group, polarity, forms = line.split("\t")
        if polarity not in "+-" or len(polarity) != 1:
            raise ValueError(f"bad polarity in {DATA}: {line!r}")
        for form in forms.split():
            out[form] = (group, polarity)
    return out


@lru_cache(maxsize=131_072)
def _lookup(word: str) -> tuple[str, str] | None:
    """Lexicon entry of ``word`` itself or of ``word`` without one proclitic."""
    lex = lexicon()
    hit = lex.get(word)
    if hit is not None:
        return hit
    for clitic in PROCLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            hit = lex.get(word[len(clitic):])
            if hit is not None:
                return hit
    return None


def _context_hash(before: str, after: str) -> str:
    return hashlib.blake2b(f"{before}|{after}".encode(), digest_size=4).hexdigest()


def polarity_markers(text: str) -> list[str]:
    """Sorted compact markers of the polarity terms and numbers of ``text`` (see module)."""
    ws = words(text)
    polar: Counter[str] = Counter()
    numbers: set[tuple[str, str]] = set()
    for i, w in enumerate(ws):
        num = _NUMBER.match(w) if w[-1].isdigit() or w[0].isdigit() else None
        if num is not None:
            before = ws[i - 1] if i else ""
            after = ws[i + 1] if i + 1 < len(ws) else ""
            numbers.add((_context_hash(before, after), str(int(num.group(1)))))
            continue
        hit = _lookup(w)
        if hit is None:
            continue
        group, polarity = hit
        if i and ws[i - 1] in NEGATIONS:
            polarity = "-" if polarity == "+" else "+"
        polar[f"p:{group}{polarity}"] += 1
    contexts = sorted({c for c, _ in numbers})[:MAX_NUMBERS]
    kept = set(contexts)
    out = [f"{k}={n}" for k, n in polar.items()]
    out += [f"n:{c}={v}" for c, v in numbers if c in kept]
    return sorted(out)


def _parse(markers: list[str]) -> tuple[dict[str, int], dict[str, set[str]]]:
    polar: dict[str, int] = {}
    numbers: dict[str, set[str]] = {}
    for m in markers:
        key, _, value = m.partition("=")
        if key.startswith("p:"):
            polar[key[2:]] = polar.get(key[2:], 0) + int(value)
        elif key.startswith("n:"):
            numbers.setdefault(key[2:], set()).add(value)
    return polar, numbers


def contradicts(markers_a: list[str], markers_b: list[str]) -> bool:
    """True if the two texts state opposite facts: a polarity flip or a changed number."""
    pa, na = _parse(markers_a)
    pb, nb = _parse(markers_b)
    groups = {k[:-1] for k in pa} | {k[:-1] for k in pb}
    for g in groups:
        dpos = pa.get(g + "+", 0) - pb.get(g + "+", 0)
        dneg = pa.get(g + "-", 0) - pb.get(g + "-", 0)
        if (dpos > 0 > dneg) or (dpos < 0 < dneg):
            return True
    return any(values.isdisjoint(nb[c]) for c, values in na.items() if c in nb)

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
  A numeric date (three numbers in a row: day, month, year or year, month, day, as
  "18 / 10 / 1436هـ" or "2015/8/3" fold) is one number marker instead: its value is the day
  and its context the year and month (``n:<hash of "date|1436-10">=18``), so a copy giving
  another day of the same month states another date.

Decision (documented in tests/dedup/README.md):
- A **polarity flip** contradicts: for some group, one text has more ``+`` and fewer ``-``
  occurrences than the other (an occurrence moved from one side to the other). Trimming or
  adding a paragraph only adds or removes occurrences on one text, so it is never a flip.
- A **changed number** contradicts: the same context (words before and after) carries
  disjoint sets of values in the two texts ("قتل 5 اشخاص" vs "قتل 7 اشخاص"). A revised
  figure is a new fact: the copy must not skip extraction, and event-level reconciliation
  decides which figure wins. A number present in only one text (trimmed sentence, "ثلاثين"
  spelled out vs "30") is not a contradiction.
- A **changed date** contradicts by the same rule: templated statements (a ministry's
  execution notices, casualty bulletins) share most of their text, and the date is often
  the one number whose words around it vary ("الاثنين الموافق 18" vs "الاثنين 25"). A date
  in another calendar (Hijri vs Gregorian) has another context, so it is not compared.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from processors.coder.text import PROCLITICS
from processors.dedup.minhash import folded

DATA = Path(__file__).with_name("data") / "polarity.tsv"
NEGATIONS = frozenset({"لا", "لم", "لن", "ليس", "ليست", "عدم", "ولم", "ولا", "ولن", "وليس",
                       "فلم", "فلا", "بعدم", "وعدم", "لعدم"})
MAX_NUMBERS = 40
_NUMBER = re.compile(r"^\D{0,3}?(\d+)\D{0,2}$")  # 5, ال5, و30
_DATE_PART = re.compile(r"^\d{1,4}$")
_YEAR = re.compile(r"^(\d{4})[هم]?$")  # 1436, 1436ه (هـ folded), 2015م
_LAST_DAY = re.compile(r"^(\d{1,2})[هم]?$")  # day ending a year/month/day date: 3, 3م


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


def _date(ws: list[str], i: int) -> tuple[str, str] | None:
    """(context hash, day) of a numeric date starting at word ``i``, else None."""
    if i + 2 >= len(ws) or not _DATE_PART.match(ws[i]) or not _DATE_PART.match(ws[i + 1]):
        return None
    year = _YEAR.match(ws[i + 2])
    last_day = _LAST_DAY.match(ws[i + 2])
    if year is not None and len(ws[i]) <= 2:  # day month year
        day, month, y = int(ws[i]), int(ws[i + 1]), year.group(1)
    elif last_day is not None and len(ws[i]) == 4:  # year month day
        day, month, y = int(last_day.group(1)), int(ws[i + 1]), ws[i]
    else:
        return None
    if not (1 <= day <= 31 and 1 <= month <= 12 and (1300 <= int(y) <= 1500
                                                    or 1900 <= int(y) <= 2100)):
        return None
    return _context_hash("date", f"{y}-{month}"), str(day)


_NUM = "#"  # group of a number in ``_Kinds``


class _Kinds(dict):
    """Word -> what it is for the markers: ``(group, polarity)`` of a lexicon term,
    ``("#", value)`` of a number, or None. Filled on first sight (a plain dict lookup
    afterwards, the hot path); cleared when it grows past ``MAX_WORDS``."""

    MAX_WORDS = 262_144

    def __missing__(self, word: str) -> tuple[str, str] | None:
        kind: tuple[str, str] | None
        num = _NUMBER.match(word) if word[-1].isdigit() or word[0].isdigit() else None
        kind = (_NUM, str(int(num.group(1)))) if num is not None else _lookup(word)
        self[word] = kind
        return kind


_KINDS = _Kinds()


def polarity_markers(text: str) -> list[str]:
    """Sorted compact markers of the polarity terms and numbers of ``text`` (see module)."""
    ws = folded(text)[0]
    if len(_KINDS) > _Kinds.MAX_WORDS:
        _KINDS.clear()
    kinds = list(map(_KINDS.__getitem__, ws))
    polar: Counter[str] = Counter()
    numbers: set[tuple[str, str]] = set()
    skip = -1  # last word of a date already taken
    for i in [i for i, k in enumerate(kinds) if k is not None]:
        if i <= skip:
            continue
        group, value = kinds[i]  # type: ignore[misc]
        if group == _NUM:
            date = _date(ws, i) if ws[i][0].isdigit() else None
            if date is not None:
                numbers.add(date)
                skip = i + 2
                continue
            before = ws[i - 1] if i else ""
            after = ws[i + 1] if i + 1 < len(ws) else ""
            numbers.add((_context_hash(before, after), value))
            continue
        if i and ws[i - 1] in NEGATIONS:
            value = "-" if value == "+" else "+"
        polar[f"p:{group}{value}"] += 1
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

"""Quantities in Arabic news text: digits, number words, scales, fractions and vague amounts.

``find_numbers`` reads a token list (from :func:`processors.coder.text.tokenize`) and returns
every quantity with its hedge flags ("نحو 43" is approximate, "أكثر من 28 ألف" a lower bound).
Vague amounts ("عشرات", "عدد من") get the figure an ACLED coder records for them; the word
lists, with their sources, are the CSV files under ``data/`` (``number_*.csv``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import pairwise

from processors.coder import DATA_DIR
from processors.coder.text import PROCLITICS, Memo, Token, normalize, phrase_key, tokenize


def read_data_table(name: str) -> list[dict[str, str]]:
    """Rows of a CSV file in ``data/`` (lines starting with ``#`` are provenance notes)."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


def with_proclitics(words: Iterable[str]) -> frozenset[str]:
    """Normalised ``words`` with every proclitic combination prefixed (و, بال, لل ...), so a
    token can be screened with one set lookup on its normal form."""
    out: set[str] = set()
    for word in words:
        out.add(word)
        for clitic in PROCLITICS:
            out.add(clitic + word)
            if word.startswith("ال") and clitic.endswith("ل"):
                out.add(clitic + word[1:])  # ل + الخميس = للخميس
    return frozenset(out)


class PhraseTable:
    """Multi-word phrases keyed by normalised words, matched longest-first at a token index.

    The first word of a phrase may carry a proclitic (وأكثر من); later words must match exactly.
    """

    def __init__(self, items: Iterable[tuple[str, object]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        for phrase, payload in items:
            key = phrase_key(phrase)
            if key:
                self._by_first.setdefault(key[0], []).append((key, payload))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        self.first_words = frozenset(self._by_first)
        self.screen = with_proclitics(self.first_words)

    def match(
        self, tokens: Sequence[Token], i: int, stems: bool = True
    ) -> tuple[int, object] | None:
        """``(end_index, payload)`` of the longest phrase starting at token ``i``, or None."""
        if i >= len(tokens):
            return None
        tok = tokens[i]
        candidates = (tok.norm, *tok.stems) if stems else (tok.norm,)
        n = len(tokens)
        for first in candidates:
            for key, payload in self._by_first.get(first, ()):
                end = i + len(key)
                if end <= n and all(tokens[i + k].norm == key[k] for k in range(1, len(key))):
                    return end, payload
        return None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number found in text. ``start``/``end`` are character offsets, ``tok_start``/``tok_end``
    token indices (end exclusive). ``vague`` quantities carry ACLED's figure for the expression;
    ``fraction`` quantities (ثلث) are a share of a group the caller must resolve."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    value: float
    approx: bool
    lower_bound: bool
    vague: bool
    surface: str
    upper_bound: bool = False
    fraction: bool = False
    percent: bool = False
    category: str | None = None  # vague category: several|many|dozens|hundreds|thousands


@dataclass(frozen=True, slots=True)
class _Word:
    value: float
    kind: str


@dataclass(frozen=True, slots=True)
class _Vague:
    value: float
    multiplier: float
    category: str


# Proclitics a number word may carry, and those allowed on short (<= 3 letter) words such as
# ست/سبع/عشر, where ب/ل/ك would more likely be part of another word (لست = "I am not").
_NUM_CLITICS = frozenset({"و", "ف", "ال", "وال", "فال", "ب", "ل", "بال", "لل", "وب", "ول", "ولل"})
_SHORT_CLITICS = frozenset({"و", "ف", "ال", "وال"})
_DIGITS = re.compile(r"^(?:و|ف)?(?:ب|ل|ك)?(?:ال)?(\d+(?:[.,]\d+)?)$")
_HAS_DIGIT = re.compile(r"\d")
_JOINED_DIGITS = frozenset("/:-")  # 15/6/2016, 02:53, 2016-06-15 are dates and times
_PLACE = {"unit": 1, "unit_construct": 1, "ten": 10, "tens": 10, "hundred": 100, "hundreds": 100}
_DUAL_SUFFIXES = (("تين", "ه"), ("تان", "ه"), ("ين", ""), ("ان", ""))
_PERCENT_WORDS = frozenset(normalize(w) for w in ("المئة", "المائة"))
_PERCENT_SINGLE = frozenset(normalize(w) for w in ("بالمئة", "بالمائة"))


@cache
def _screen() -> frozenset[str]:
    """Normal forms a quantity can start with (besides digits)."""
    words, vague, before, _ = _tables()
    return with_proclitics(words) | vague.screen | before.screen


@cache
def _tables() -> tuple[dict[str, _Word], PhraseTable, PhraseTable, PhraseTable]:
    words = {
        normalize(r["word"]): _Word(float(r["value"]), r["kind"])
        for r in read_data_table("number_words.csv")
    }
    vague = PhraseTable(
        (
            r["phrase"],
            _Vague(float(r["value"]), float(r["multiplier"] or r["value"]), r["category"]),
        )
        for r in read_data_table("number_vague.csv")
    )
    hedges = read_data_table("number_hedges.csv")
    before = PhraseTable((r["phrase"], r["flag"]) for r in hedges if r["position"] == "before")
    after = PhraseTable((r["phrase"], r["flag"]) for r in hedges if r["position"] == "after")
    return words, vague, before, after


def number_word(tok: Token) -> tuple[_Word, bool] | None:
    """The number-word entry of a token and whether it carries the conjunction و."""
    words = _tables()[0]
    entry = words.get(tok.norm)
    if entry is not None:
        return entry, False
    for stem in tok.stems:
        entry = words.get(stem)
        if entry is None or not tok.norm.endswith(stem):
            continue
        clitic = tok.norm[: len(tok.norm) - len(stem)]
        if clitic in _NUM_CLITICS and (len(stem) > 3 or clitic in _SHORT_CLITICS):
            return entry, clitic.startswith("و")
    return None


def digit_value(tok: Token) -> float | None:
    """Value of a digit token (1,000 / 1.5 / و20 / الـ400), or None."""
    m = _DIGITS.match(tok.norm)
    if m is None:
        return None
    return _parse_digits(m.group(1))


def _parse_digits(s: str) -> float:
    for sep in ",.":
        if sep in s:
            head, tail = s.split(sep, 1)
            if len(tail) == 3 and sep == ",":
                return float(head + tail)  # 1,000
            return float(f"{head}.{tail}")
    return float(s)


def dual_candidates(norm: str) -> tuple[str, ...]:
    """Singular forms a normalised word would have if it were a dual (قتيلين -> قتيل).

    Only a lexicon can tell a dual from a sound plural (مدنيين is "civilians"), so the caller
    checks these candidates against its own list of nouns whose plural is broken.
    """
    out: list[str] = []
    for suffix, repl in _DUAL_SUFFIXES:
        if norm.endswith(suffix) and len(norm) - len(suffix) >= 2:
            out.append(norm[: -len(suffix)] + repl)
    if len(norm) >= 4 and norm[-1] in "يا":  # construct dual: رجلي أمن, جنديا الجيش
        out.append(norm[:-1])
    return tuple(out)


def text_base(tokens: Sequence[Token], text: str | None) -> int | None:
    """Offset of ``text`` in the article, recovered from its first token (None if unknown)."""
    if text is None or not tokens:
        return None
    first = tokens[0]
    local = text.find(first.surface)
    return None if local < 0 else first.start - local


def token_gaps(tokens: Sequence[Token], text: str | None) -> list[str] | None:
    """The characters before each token (``gaps[i]`` precedes ``tokens[i]``), or None.

    One more entry than tokens: the last is the text after the last token. ``text`` is the
    string the tokens were made from; token offsets may be shifted by the sentence start,
    which is recovered from the first token.
    """
    base = text_base(tokens, text)
    if base is None or text is None:
        return None
    gaps = [text[: tokens[0].start - base]]
    for prev, tok in pairwise(tokens):
        gaps.append(text[prev.end - base : tok.start - base])
    gaps.append(text[tokens[-1].end - base :])
    return gaps


def hedge_after(tokens: Sequence[Token], i: int) -> tuple[int, str] | None:
    """``(end, flag)`` of a hedge that follows a number phrase at token ``i`` (على الأقل)."""
    found = _tables()[3].match(tokens, i, stems=False)
    return None if found is None else (found[0], str(found[1]))


def _starts_quantity(norm: str) -> bool:
    """Whether a quantity can start with the word form ``norm`` (a number word or a digit)."""
    return norm in _screen() or _HAS_DIGIT.search(norm) is not None


_MAY_START: Memo[str, bool] = Memo(_starts_quantity)


def find_numbers(tokens: Sequence[Token], text: str | None = None) -> list[Quantity]:
    """All quantities in ``tokens`` (left to right, non-overlapping).

    ``text`` (optional) is the text the tokens come from: with it, digits joined by ``/ : -``
    (dates, clock times) are skipped and a ``%`` sign marks a percentage.
    """
    gaps = token_gaps(tokens, text)
    base = text_base(tokens, text) if gaps is not None else None
    out: list[Quantity] = []
    may_start = _MAY_START.__getitem__  # see Memo
    i, n = 0, len(tokens)
    while i < n:
        if not may_start(tokens[i].norm):
            i += 1
            continue
        q = quantity_at(tokens, i, gaps)
        if q is not None and base is not None and text is not None:
            q = replace(q, surface=text[q.start - base : q.end - base])
        if q is None:
            i += 1
            continue
        out.append(q)
        i = q.tok_end
    return out


def quantity_at(
    tokens: Sequence[Token], i: int, gaps: Sequence[str] | None = None
) -> Quantity | None:
    """The quantity starting at token ``i`` (a hedge may open it), or None."""
    _, _, before, after = _tables()
    flags: set[str] = set()
    j = i
    hedge = before.match(tokens, i)
    if hedge is not None:
        j, flag = hedge
        flags.add(str(flag))
        if j >= len(tokens):
            return None
    core = _core_at(tokens, j, gaps)
    if core is None:
        return None
    value, end, vague, fraction, category = core
    percent = False
    if end < len(tokens):
        post = after.match(tokens, end)
        if post is not None:
            end, flag = post
            flags.add(str(flag))
    if end < len(tokens):
        nxt = tokens[end]
        if nxt.norm in _PERCENT_SINGLE:
            percent, end = True, end + 1
        elif nxt.norm == "في" and end + 1 < len(tokens) and tokens[end + 1].norm in _PERCENT_WORDS:
            percent, end = True, end + 2
    if gaps is not None and ("%" in gaps[end][:2] or "٪" in gaps[end][:2]):
        percent = True
    first, last = tokens[i], tokens[end - 1]
    return Quantity(
        start=first.start,
        end=last.end,
        tok_start=i,
        tok_end=end,
        value=value,
        approx="approx" in flags,
        lower_bound="lower_bound" in flags,
        vague=vague,
        surface=" ".join([t.surface for t in tokens[i:end]]),
        upper_bound="upper_bound" in flags,
        fraction=fraction,
        percent=percent,
        category=category,
    )


_Core = tuple[float, int, bool, bool, "str | None"]


def _core_at(tokens: Sequence[Token], i: int, gaps: Sequence[str] | None) -> _Core | None:
    """(value, end, vague, fraction, category) of the bare number at ``i``."""
    digits = digit_value(tokens[i])
    if digits is not None:
        return _digits_at(tokens, i, digits, gaps)
    vague = _tables()[1].match(tokens, i)
    if vague is not None:
        end, payload = vague
        assert isinstance(payload, _Vague)
        if end < len(tokens):
            scale = number_word(tokens[end])
            if scale is not None and scale[0].kind in ("scale", "scale_plural") and not scale[1]:
                return payload.multiplier * scale[0].value, end + 1, True, False, payload.category
        return payload.value, end, True, False, payload.category
    return _words_at(tokens, i)


def _digits_at(
    tokens: Sequence[Token], i: int, value: float, gaps: Sequence[str] | None
) -> _Core | None:
    tok = tokens[i]
    raw = _DIGITS.match(tok.norm)
    assert raw is not None
    body = raw.group(1)
    if len(body) > 1 and body[0] == "0":
        return None  # clock hours (02), phone numbers (0012022773659), codes
    if body.isdigit() and len(body) >= 8:
        return None  # identifiers and phone numbers, not counts
    if gaps is not None and _joined_to_digits(tokens, i, gaps):
        return None
    end = i + 1
    arabic_decimal = False
    # Arabic separators split tokens: ١٫٥ (decimal) and ١٬٠٠٠ (thousands).
    if gaps is not None and end < len(tokens) and gaps[end] in ("٫", "٬"):
        tail = tokens[end].norm
        if tail.isdigit() and body.isdigit():
            arabic_decimal = gaps[end] == "٫"
            body = f"{body}.{tail}" if arabic_decimal else body + tail
            value, end = float(body), end + 1
    # 1,000,000 is tokenised as "1,000" + "000": glue the trailing groups back on.
    while (
        gaps is not None
        and end < len(tokens)
        and gaps[end] in (",", ".")
        and re.fullmatch(r"\d{3}", tokens[end].norm)
    ):
        body = body.replace(",", "").replace(".", "") + tokens[end].norm
        value = float(body)
        end += 1
    if end < len(tokens):
        scale = number_word(tokens[end])
        if scale is not None and not scale[1] and scale[0].kind.startswith("scale"):
            return value * scale[0].value, end + 1, False, False, None
    if not arabic_decimal and "." in body and len(body.split(".")[1]) == 3:
        value = float(body.replace(".", ""))  # 2.500 = 2500 when no scale word follows
    return value, end, False, False, None


def _joined_to_digits(tokens: Sequence[Token], i: int, gaps: Sequence[str]) -> bool:
    """True if token ``i`` is glued by / : - to a neighbouring digit token (date or time)."""
    if i > 0 and gaps[i] in _JOINED_DIGITS and digit_value(tokens[i - 1]) is not None:
        return True
    nxt = i + 1
    if nxt >= len(tokens) or gaps[nxt] not in _JOINED_DIGITS:
        return False
    return digit_value(tokens[nxt]) is not None


def _words_at(tokens: Sequence[Token], i: int) -> _Core | None:
    """Parse a run of number words (ثلاثة وأربعون, مئتي ألف, ثلث) starting at ``i``."""
    n = len(tokens)
    first = number_word(tokens[i])
    if first is None:
        return None
    entry, _ = first
    if entry.kind == "fraction":
        return entry.value, i + 1, False, True, None
    if entry.kind in ("scale_plural", "fraction_plural"):
        return None  # آلاف alone is a vague amount (number_vague.csv)
    if entry.kind == "unit_construct" and not _construct_ok(tokens, i):
        return None
    total = 0.0
    group = 0.0
    prev_kind = ""
    prev_place = 10**12
    j = i
    while j < n:
        found = number_word(tokens[j])
        if found is None:
            break
        word, conj = found
        kind = word.kind
        if j > i and not _continues(prev_kind, prev_place, kind, conj):
            break
        if kind == "two_compound":
            if not (j + 1 < n and _is_ten(tokens[j + 1])):
                break
            group += word.value
        elif kind in ("unit", "unit_construct"):
            group += word.value
        elif kind == "ten":
            group += 10
        elif kind == "tens" or kind == "hundreds":
            group += word.value
        elif kind == "hundred":
            group = group * 100 if prev_kind == "unit" and not conj else group + 100
        elif kind in ("scale", "scale_dual", "scale_plural"):
            if group == 0:
                group = 2 if kind == "scale_dual" else 1
            total += group * word.value
            group = 0
        elif kind == "fraction_plural":
            return group * word.value, j + 1, False, True, None
        else:
            break
        prev_kind, prev_place = kind, _place(kind, word.value)
        j += 1
    if j == i or prev_kind == "two_compound":
        return None
    return total + group, j, False, False, None


def _place(kind: str, value: float) -> float:
    return value if kind.startswith("scale") else _PLACE.get(kind, 1)


def _continues(prev_kind: str, prev_place: float, kind: str, conj: bool) -> bool:
    """Whether a number word may extend the number parsed so far."""
    if conj:  # و-joined parts: ثلاثة وأربعون, مئة وخمسون, ألف وخمسمئة
        if kind == "tens" and prev_kind in ("unit", "unit_construct"):
            return True
        return kind in _PLACE and _place(kind, 0) < prev_place and prev_place >= 100
    if kind == "ten":  # teens: ثلاثة عشر, أحد عشر, اثنا عشر
        return prev_kind in ("unit", "unit_construct", "two_compound")
    if kind == "hundred":  # ثلاث مئة
        return prev_kind == "unit"
    if kind.startswith("scale"):  # ثلاثة آلاف, مئتي ألف, عشرين ألفا
        return prev_kind not in ("", "two_compound") and prev_place < 1000
    return kind == "fraction_plural" and prev_kind == "unit"


def _is_ten(tok: Token) -> bool:
    found = number_word(tok)
    return found is not None and found[0].kind == "ten" and not found[1]


def _construct_ok(tokens: Sequence[Token], i: int) -> bool:
    """أحد/إحدى is a number in teens (أحد عشر) or as "one of" before a noun (أحد الحجاج)."""
    if i + 1 >= len(tokens):
        return False
    if i > 0 and tokens[i - 1].norm in ("لا", "ولا", "اي", "لاي"):
        return False  # لا أحد = nobody
    nxt = tokens[i + 1]
    return _is_ten(nxt) or (digit_value(nxt) is None and number_word(nxt) is None)


def parse_number_phrase(words: str | Sequence[str]) -> float | None:
    """Value of a phrase that is exactly one number ("ثلاثة وأربعون" -> 43.0), else None."""
    text = words if isinstance(words, str) else " ".join(words)
    tokens = tokenize(text)
    if not tokens:
        return None
    q = quantity_at(tokens, 0, token_gaps(tokens, text))
    if q is None or q.tok_end != len(tokens):
        return None
    return q.value

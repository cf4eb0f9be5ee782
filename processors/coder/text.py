"""Arabic text primitives for the event coder: normalisation, sentences, tokens.

Everything here is pure and offset-preserving: every token and sentence keeps the
character offsets of the *original* text, so evidence spans can be shown to analysts.
Normalisation follows camel-tools' conventions (dediacritisation, alef/yeh/teh-marbuta
folding); camel-tools' character sets are used so the two never drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, TypeVar

from camel_tools.utils.charsets import AR_DIAC_CHARSET

TATWEEL = "\u0640"
_DIACRITICS = frozenset(AR_DIAC_CHARSET) | {TATWEEL, "\u0670"}
_FOLD = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ئ": "ي",
    "ؤ": "و",
    "ة": "ه",
    # Arabic-Indic and Persian digits fold to ASCII digits.
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "„": '"',
}

# Proclitics, longest first: conjunction + preposition + article combinations.
PROCLITICS = (
    "وبال",
    "فبال",
    "وكال",
    "فكال",
    "وللـ",
    "ولل",
    "فلل",
    "وال",
    "فال",
    "بال",
    "كال",
    "لل",
    "ال",
    "وب",
    "ول",
    "وك",
    "فب",
    "فل",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
)
_MIN_STEM = 2


def fold_char(ch: str) -> str:
    """Normalise one character: '' for diacritics/tatweel, folded letter otherwise."""
    if ch in _DIACRITICS:
        return ""
    folded = _FOLD.get(ch)
    if folded is not None:
        return folded
    if "\ufb50" <= ch <= "\ufeff":  # presentation forms
        return unicodedata.normalize("NFKC", ch)
    return ch


def _normalize_table() -> dict[int, str]:
    """``fold_char`` as a ``str.translate`` table: every character it changes."""
    changed = set(_DIACRITICS) | set(_FOLD)  # _DIACRITICS holds camel-tools' AR_DIAC_CHARSET
    changed |= {chr(c) for c in range(0xFB50, 0xFF00)}  # presentation forms
    return {ord(ch): fold_char(ch) for ch in changed if fold_char(ch) != ch}


_NORMALIZE = _normalize_table()


def normalize(text: str) -> str:
    """Normalise Arabic text for matching (no offset bookkeeping): ``fold_char`` of every
    character (camel-tools' diacritics, which ``dediac_ar`` removes, among them), in one
    ``str.translate``."""
    return text.translate(_NORMALIZE)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise and return, for every output character, its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        piece = fold_char(ch)
        for p in piece:
            out.append(p)
            index.append(i)
    return "".join(out), index


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with its offsets in the original text."""

    text: str
    start: int
    end: int


# Sentence ends: . ! ? ؟ and line breaks; a full stop between digits (3.5) is not an end.
# The same ends as ``\.(?<!\d\.)(?!\d)|[!?؟]+|\n+`` (``\d``: ``str.isdecimal``), found with
# ``str.find`` for each end character: the regex engine tested every character of the
# article against the set (a tenth of the cost of tokenising it), ``find`` skips in C.
_END_MARKS = ".!?؟\n"
_REPEATED_MARKS = "!?؟"


def split_sentences(text: str) -> list[Sentence]:
    """Split Arabic news text into sentences (never on the Arabic comma ،)."""
    sentences: list[Sentence] = []
    find, n = text.find, len(text)
    upcoming = [p if p >= 0 else n for p in map(find, _END_MARKS)]  # next of each (n: none)
    pos = 0  # start of the current sentence
    while True:
        i = min(upcoming)
        if i >= n:
            break
        mark = text[i]
        end = i + 1
        if mark == ".":
            if (i > 0 and text[i - 1].isdecimal()) or (end < n and text[end].isdecimal()):
                end = -1  # a decimal point: no end here
        else:
            repeated = "\n" if mark == "\n" else _REPEATED_MARKS
            while end < n and text[end] in repeated:
                end += 1
        if end > 0:
            _append_sentence(text, pos, end, sentences)
            pos = end
        resume = i + 1 if end < 0 else end
        for k in range(len(upcoming)):
            if upcoming[k] < resume:
                p = find(_END_MARKS[k], resume)
                upcoming[k] = p if p >= 0 else n
    _append_sentence(text, pos, n, sentences)
    return sentences


def _append_sentence(text: str, start: int, end: int, out: list[Sentence]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip(" \t\r\n")
    if len(stripped) < 2:
        return
    lead = len(chunk) - len(chunk.lstrip(" \t\r\n"))
    s = start + lead
    out.append(Sentence(stripped, s, s + len(stripped)))


class Token(NamedTuple):
    """A word: its surface form, offsets, normal form and clitic-stripped stems.

    A named tuple rather than a dataclass: articles have thousands of tokens and tuple
    construction is several times cheaper.
    """

    surface: str
    start: int
    end: int
    norm: str
    stems: tuple[str, ...]

    def matches(self, word: str) -> bool:
        """True if the normalised ``word`` equals this token or one of its stems."""
        return word == self.norm or word in self.stems


# Runs of word characters or diacritics. One character class: the Arabic punctuation
# (، ؛ ؟ ٪ ٫ ٬ ٭ ۔) is not ``\w`` anyway, and a single class is ~3x faster than the
# equivalent alternation of runs ``(?:[^\W...]+|[diacritics]+)+``. The class is exactly
# ``[\w\u064B-\u0652\u0670\u0640]``: the Arabic letters, tatweel and harakat U+0620-U+0652
# are written as one range, which the regex engine tests before the ``\w`` category.
_WORD = re.compile(r"[\u0620-\u0652\u0670\w]+(?:[.,]\d+)?")
# Punctuation around words, none of it in ``_WORD``'s class. A '.' or ',' at an edge never
# starts or ends a decimal (``[.,]\d+`` needs digits after it, inside the piece).
_EDGE_PUNCTUATION = "،.»«\"():؟!؛”“*-/,'…[]"

@lru_cache(maxsize=200_000)
def stems_of(norm: str) -> tuple[str, ...]:
    """Candidate stems of a normalised word with proclitics stripped, longest first.

    Several candidates are kept because stripping is ambiguous (وزارة is not و+زارة):
    the lexicon decides which one is a known word.
    """
    stems: list[str] = []
    for clitic in PROCLITICS:
        if norm.startswith(clitic) and len(norm) - len(clitic) >= _MIN_STEM:
            stem = norm[len(clitic) :]
            if stem not in stems:
                stems.append(stem)
            if clitic.endswith("لل"):  # لل = ل + ال: also offer the definite form
                definite = "ال" + stem
                if definite not in stems:
                    stems.append(definite)
    return tuple(stems)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V]):
    """Memo of a pure function of one key (a word form): ``memo[key]`` is ``func(key)``.

    A dict lookup on a hit, several times cheaper than calling an ``lru_cache`` wrapper,
    which matters in per-token loops. Hot loops bind ``memo.__getitem__`` once and call it:
    subscripting a dict *subclass* goes through a Python-level slot (``dict.__getitem__``
    is a method, not a slot wrapper), about four times the cost of the bound method, which
    still calls ``__missing__``. Bounded: cleared when it holds ``limit``
    entries (news vocabulary repeats, so it refills with the common words at once).
    """

    __slots__ = ("func", "limit")

    def __init__(self, func: Callable[[K], V], limit: int = 200_000) -> None:
        super().__init__()
        self.func = func
        self.limit = limit

    def __missing__(self, key: K) -> V:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.func(key)
        return value


def _forms_of(surface: str) -> tuple[str, tuple[str, ...]]:
    norm = normalize(surface)
    return norm, stems_of(norm)


_PieceToken = tuple[int, int, str, str, tuple[str, ...]]


def _tokens_of_piece(piece: str) -> tuple[_PieceToken, ...]:
    """(start, end, surface, norm, stems) of the tokens in one piece of text without
    whitespace, offsets within the piece: the matches of ``_WORD`` with a normal form.

    A piece of letters and digits only (``isalnum``: nine in ten) is one token as it is, or
    once stripped of punctuation at its edges (الأربعاء، / «الجيش»); the regex runs only over
    the other pieces (diacritics, inner punctuation, decimals)."""
    word = piece if piece.isalnum() else piece.strip(_EDGE_PUNCTUATION)
    if word and word.isalnum():
        norm, stems = _forms_of(word)
        first = piece.find(word)
        return ((first, first + len(word), word, norm, stems),) if norm else ()
    found = []
    for match in _WORD.finditer(piece):
        norm, stems = _forms_of(match.group())
        if norm:
            found.append((match.start(), match.end(), match.group(), norm, stems))
    return tuple(found)


# The tokens of each piece, cached: news vocabulary (punctuation included) repeats.
_PIECE_TOKENS: Memo[str, tuple[_PieceToken, ...]] = Memo(_tokens_of_piece, 500_000)


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Tokenise ``text``; offsets are shifted by ``offset`` (the sentence start).

    The tokens are the matches of ``_WORD``. No match spans whitespace, so the text is cut at
    whitespace first (``str.split``, many times faster than the regex engine over Arabic
    text) and the tokens of each piece come from a cache (``_tokens_of_piece``).
    """
    tokens: list[Token] = []
    append, new, find = tokens.append, tuple.__new__, text.find
    pieces = _PIECE_TOKENS.__getitem__  # see Memo
    end = 0
    for piece in text.split():
        start = find(piece, end)
        end = start + len(piece)
        base = start + offset
        for first, last, surface, norm, stems in pieces(piece):
            # tuple.__new__: a named tuple's own constructor is several times slower
            append(new(Token, (surface, base + first, base + last, norm, stems)))
    return tokens


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The normalised word sequence of a lexicon phrase (what tokens are matched against)."""
    return tuple(normalize(w) for w in _WORD.findall(phrase))

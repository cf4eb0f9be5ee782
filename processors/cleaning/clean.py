"""Turn a raw article into clean stories: boilerplate out, captions de-repeated,
glued stories split, Unicode normalised (camel-tools), a content hash computed.

Pure functions over strings; the Faust clean agent is a thin shell around ``clean_text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from processors.cleaning.boilerplate import classify
from processors.cleaning.fold import fold
from processors.cleaning.html_text import html_to_text

SHORT_LINE_WORDS = 18  # a line this short without a sentence end is a caption/headline
MIN_STORY_WORDS = 25  # what remains after a source line must be this long to be a story
_SENTENCE_END = re.compile(r"[.!؟?…\"»”)]\s*$")
_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"[ \t\u00a0\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True)
class Story:
    """One clean story: its text, headline (if any) and how many lines were removed."""

    text: str
    title: str | None
    removed_lines: int
    header: str  # removed lines before the body and datelines, for publication dates


def _words(line: str) -> int:
    return len(line.split())


def _is_short(line: str) -> bool:
    return _words(line) <= SHORT_LINE_WORDS and not _SENTENCE_END.search(line)


def _line_key(line: str) -> str:
    return fold(line)


def _near_repeat(a: str, b: str) -> bool:
    """Two short lines that repeat one another (a caption shown twice, maybe edited)."""
    if a == b:
        return True
    wa, wb = a.split(), b.split()
    shorter = min(len(wa), len(wb))
    if shorter < 4:
        return False
    common = sum(1 for x, y in zip(wa, wb, strict=False) if x == y)
    return common / shorter >= 0.7


def _repeated_short_lines(lines: list[str]) -> set[int]:
    """Indexes of short lines that occur more than once (captions, title fragments)."""
    keys = [_line_key(line) for line in lines]
    counts = Counter(k for k, line in zip(keys, lines, strict=True) if k and _is_short(line))
    repeated = {i for i, k in enumerate(keys) if counts.get(k, 0) > 1}
    for i in range(len(lines) - 1):
        for j in range(i + 1, min(i + 3, len(lines))):
            if _is_short(lines[i]) and _is_short(lines[j]) and _near_repeat(keys[i], keys[j]):
                repeated.update((i, j))
    return repeated


# camel-tools' normalize_unicode replaces these two ligatures, then applies NFKC; its
# CharMapper walks the text one character at a time in Python, str.translate does not.
_LIGATURES = {0xFDFC: "ريال", 0xFDFD: "بسم الله الرحمن الرحيم"}


def normalize_unicode(text: str) -> str:
    """Equal to ``camel_tools.utils.normalize.normalize_unicode`` (compatibility form)."""
    return unicodedata.normalize("NFKC", text.translate(_LIGATURES))


def prepare_lines(text: str, content_type: str = "text") -> list[str]:
    """Decode HTML, normalise Unicode (camel-tools NFKC) and spacing; non-empty lines."""
    if content_type == "html":
        text = html_to_text(text)
    text = normalize_unicode(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def clean_text(text: str, content_type: str = "text", title: str | None = None) -> list[Story]:
    """Split ``text`` into clean stories. Returns [] when nothing but boilerplate remains."""
    lines = prepare_lines(text, content_type)
    repeated = _repeated_short_lines(lines)
    stories: list[Story] = []
    body: list[str] = []
    header: list[str] = []
    removed = 0
    in_related = False
    for i, line in enumerate(lines):
        kind = classify(line)
        if kind == "end":
            removed += len(lines) - i
            break
        if kind == "related":
            in_related = True
            removed += 1
            continue
        if in_related:  # headlines of a related list, whatever their punctuation
            if _words(line) <= SHORT_LINE_WORDS:
                removed += 1
                continue
            in_related = False
        if kind == "source":
            removed += 1
            rest = sum(_words(x) for x in lines[i + 1:] if classify(x) is None)
            if body and rest >= MIN_STORY_WORDS:
                stories.append(_story(body, header, removed, title if not stories else None))
                body, header, removed = [], [], 0
            continue
        if kind in ("drop", "dateline") or i in repeated:
            removed += 1
            if kind == "dateline" or not body:
                header.append(line)
            continue
        body.append(line)
    if body:
        stories.append(_story(body, header, removed, title if not stories else None))
    return [s for s in stories if _words(s.text) >= 8]


def _story(body: list[str], header: list[str], removed: int, title: str | None) -> Story:
    if title is None and body and _is_short(body[0]) and len(body) > 1:
        title = body[0]
    return Story(text="\n".join(body), title=title, removed_lines=removed,
                 header="\n".join(header))

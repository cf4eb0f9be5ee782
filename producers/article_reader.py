"""Read articles from a folder of .txt/.html/.jsonl files or from JSONL on standard input.

Pure reading and validation: yields ``ReadResult`` items, each either an article dict
ready for ``RawArticle`` or the reason it was rejected, so the producer can report every
bad input and keep going.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from processors.coder.text import normalize

METADATA_FILE = "metadata.json"
SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|igshid|amp|output)$",
                       re.IGNORECASE)
_REDIRECT_PARAMS = ("url", "u", "q", "target", "dest")
_JSON_TEXT_FIELDS = ("text", "content", "body")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ReadResult:
    """One input item: ``article`` when valid, else ``error``; ``origin`` says where."""

    origin: str
    article: dict[str, Any] | None = None
    error: str | None = None


def canonical_url(url: str) -> str:
    """Canonical form of a news URL: redirect wrappers resolved, tracking and AMP removed."""
    parts = urlsplit(url.strip())
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in _REDIRECT_PARAMS:  # e.g. https://l.facebook.com/l.php?u=<real url>
        target = query.get(name, "")
        if target.startswith(("http://", "https://")) and parts.path.rstrip("/") in {
                "/l.php", "/url", "/redirect", "/r", "/link", "/out"}:
            return canonical_url(target)
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        host = host.removeprefix(prefix)
    path = re.sub(r"/(amp|amp\.html)/?$", "", parts.path) or "/"
    path = path.removesuffix(".amp")
    if len(path) > 1:
        path = path.rstrip("/")
    kept = sorted((k, v) for k, v in query.items() if not _TRACKING.match(k))
    return urlunsplit(("https", host, path, urlencode(kept), ""))


def article_id(url: str | None, text: str) -> str:
    """Stable id: hash of the canonical URL, else of the normalised text (16 hex)."""
    basis = canonical_url(url) if url else " ".join(normalize(text).split())
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _article(text: str, origin: str, meta: dict[str, Any], content_type: str) -> ReadResult:
    if not text.strip():
        return ReadResult(origin, error="empty text")
    url = meta.get("url") or None
    article = {
        "article_id": meta.get("article_id") or article_id(url, text),
        "text": text,
        "url": url,
        "outlet": meta.get("outlet") or None,
        "title": meta.get("title") or None,
        "published_at": meta.get("published_at") or None,
        "fetched_at": meta.get("fetched_at") or meta.get("date_extracted") or None,
        "source_name": meta.get("source_name") or origin,
        "content_type": content_type,
    }
    return ReadResult(origin, article=article)


def _load_metadata(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: {k: v for k, v in meta.items() if not k.startswith("_")}
            for name, meta in data.get("articles", {}).items()}


def read_text_file(path: Path, meta: dict[str, Any]) -> ReadResult:
    """A .txt or .html file as one article."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return ReadResult(path.name, error=f"not UTF-8 (byte {exc.start})")
    except OSError as exc:
        return ReadResult(path.name, error=f"unreadable: {exc.strerror}")
    content_type = SUFFIXES[path.suffix.lower()]
    if content_type == "html" and "title" not in meta:
        found = _TITLE.search(text)
        if found:
            meta = {**meta, "title": " ".join(found.group(1).split())}
    return _article(text, path.name, meta, content_type)


def read_jsonl(lines: Iterable[str], origin: str) -> Iterator[ReadResult]:
    """Articles from JSON Lines: one object per line with text/content and metadata."""
    for number, line in enumerate(lines, 1):
        where = f"{origin}:{number}"
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ReadResult(where, error=f"invalid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield ReadResult(where, error="not a JSON object")
            continue
        text = next((obj[f] for f in _JSON_TEXT_FIELDS if isinstance(obj.get(f), str)), None)
        if text is None:
            yield ReadResult(where, error="no text/content field")
            continue
        if obj.get("title") and obj["title"] not in text[:500]:
            text = f"{obj['title']}\n{text}"
        yield _article(text, where, {**obj, "source_name": where},
                       "html" if obj.get("content_type") == "html" else "text")


def read_folder(folder: Path) -> Iterator[ReadResult]:
    """Every supported file of ``folder`` (sorted), with the folder's metadata sidecar."""
    metadata = _load_metadata(folder)
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.name == METADATA_FILE or path.name.startswith("."):
            continue
        if suffix in SUFFIXES:
            yield read_text_file(path, dict(metadata.get(path.name, {})))
        elif suffix == ".jsonl":
            with open(path, encoding="utf-8", errors="replace") as handle:
                yield from read_jsonl(handle, path.name)
        elif path.is_file():
            yield ReadResult(path.name, error=f"unsupported file type {suffix or '(none)'}")


def read_source(source: str, stdin: IO[str] | None = None) -> Iterator[ReadResult]:
    """Articles from a folder, a single file, or ``-`` (JSONL on standard input)."""
    if source == "-":
        if stdin is None:
            raise ValueError("standard input is not available")
        yield from read_jsonl(stdin, "stdin")
        return
    path = Path(source)
    if path.is_dir():
        yield from read_folder(path)
    elif path.suffix.lower() == ".jsonl":
        with open(path, encoding="utf-8", errors="replace") as handle:
            yield from read_jsonl(handle, path.name)
    elif path.suffix.lower() in SUFFIXES:
        yield read_text_file(path, {})
    else:
        raise FileNotFoundError(f"{source}: not a folder, .txt, .html or .jsonl file")

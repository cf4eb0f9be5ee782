"""The load corpus: real Arabic articles, multiplied into realistic variants, deterministic.

Base texts are the five files of ``seeds/`` and the 167 SaudiNewsNet articles of
``../shared/data/articles/`` (read in place, never copied into the repository). From them
``build`` draws ``n`` articles in these shares (``SHARES``):

==================  =====  =================================================================
variant             share  what it is
==================  =====  =================================================================
``original``        --     every base article once, first (counts towards ``unique``)
``unique``          45 %   a new story: paragraph runs from 3 different base articles, each
                           at most half of its article (no base dominates), with a headline
                           from its first words (unique text, real prose)
``reprint``         20 %   an earlier article's body reprinted under a new headline by
                           another outlet (the headline is the first line of ``text``, as
                           ``marsad produce`` does for JSONL with a title; when the headline
                           comes out unchanged, the reprint is an exact copy)
``copy``            10 %   a verbatim syndicated copy (same headline and body, new URL):
                           the exact-hash dedup catches these
``edited_trim``     12.5 % an earlier article with one paragraph (or sentence) removed
``edited_lead``     12.5 % an earlier article whose lead sentence was rewritten (shortened and
                           attributed: "أفادت مصادر ..."), the rest unchanged
==================  =====  =================================================================

Copies, reprints and edits point at an article already in the corpus (``of``), so a stream
meets the original first, as in real news flow. Everything depends only on ``seed``: the same
``(n, seed)`` gives the same bytes. The corpus is written as JSONL into the cache folder
(``.cache/bench/corpus-v<version>-<n>-<seed>.jsonl``): one ``{"variant", "of", "article"}``
per line, where ``article`` is exactly what ``marsad produce`` would publish
(``producers.kafka_producer.encode``).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from marsad.config import PROJECT_ROOT

SEEDS_DIR = PROJECT_ROOT / "seeds"
SHARED_ARTICLES = PROJECT_ROOT.parent / "shared" / "data" / "articles"
SHARES: dict[str, float] = {
    "unique": 0.45,
    "reprint": 0.20,
    "copy": 0.10,
    "edited_trim": 0.125,
    "edited_lead": 0.125,
}
CORPUS_VERSION = 2  # bump when the generation changes, so cached corpora are rebuilt
_SENTENCE_SPLIT = re.compile(r"(?<=[.!؟?])\s+")
_HEADLINE_PREFIXES = ("", "", "عاجل: ", "بالفيديو: ", "شاهد: ", "تقرير: ")
_LEAD_PREFIXES = ("أفادت مصادر أن ", "ذكرت وكالات الأنباء أن ", "قالت مصادر محلية إن ",
                  "أعلن مسؤولون أن ")
_OUTLETS = ("wire-a", "wire-b", "daily-c", "portal-d", "tv-e", "site-f", "agency-g")


@dataclass(frozen=True)
class Base:
    """One real article the corpus is drawn from."""

    key: str
    title: str | None
    body: str
    outlet: str | None
    published_at: str | None
    fetched_at: str | None


@dataclass(frozen=True)
class Item:
    """One corpus article: its variant, the corpus index it derives from, the message."""

    variant: str
    of: int | None
    article: dict

    def payload(self) -> bytes:
        from producers.kafka_producer import encode

        return encode(self.article)


def load_bases() -> list[Base]:
    """The real articles: seeds/ (with their metadata sidecar) and the shared sample."""
    bases: list[Base] = []
    meta = {}
    meta_file = SEEDS_DIR / "metadata.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8")).get("articles", {})
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        m = meta.get(path.name, {})
        bases.append(Base(f"seeds/{path.name}", None, path.read_text(encoding="utf-8"),
                          m.get("outlet"), m.get("published_at"), None))
    for path in sorted(SHARED_ARTICLES.glob("*.jsonl")) if SHARED_ARTICLES.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            when = (row.get("date_extracted") or "").replace(" ", "T") or None
            bases.append(Base(f"shared/{row.get('id')}", row.get("title") or None,
                              row.get("content") or "", row.get("outlet"), None, when))
    if not bases:
        raise SystemExit("no base articles: seeds/ is empty and ../shared/data/articles/ absent")
    return bases


def units(body: str) -> tuple[list[str], str]:
    """Paragraphs (lines) of ``body``, or its sentences when it has fewer than 3 lines."""
    lines = [ln for ln in body.split("\n") if ln.strip()]
    if len(lines) >= 3:
        return lines, "\n"
    sentences = [s for s in _SENTENCE_SPLIT.split(body.strip()) if s]
    return sentences, " "


def _headline_from(text: str, rng: random.Random) -> str:
    words = text.split()[: rng.randint(6, 11)]
    return " ".join(words).rstrip(".،,:؛")


def _new_headline(title: str | None, body: str, rng: random.Random) -> str:
    base = title or _headline_from(body, rng)
    words = base.split()
    if len(words) > 5 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    return rng.choice(_HEADLINE_PREFIXES) + " ".join(words)


def _text(title: str | None, body: str) -> str:
    """The message text as ``marsad produce`` builds it from JSONL: headline line + body."""
    return f"{title}\n{body}" if title and title not in body[:500] else body


def _trim(body: str, rng: random.Random) -> str:
    parts, sep = units(body)
    if len(parts) < 3:
        return body
    del parts[rng.randrange(1, len(parts))]  # keep the lead, drop a later paragraph
    return sep.join(parts)


def _change_lead(body: str, rng: random.Random) -> str:
    parts, sep = units(body)
    first = _SENTENCE_SPLIT.split(parts[0].strip(), maxsplit=1)
    words = first[0].split()
    keep = max(6, int(len(words) * rng.uniform(0.6, 0.85)))
    lead = rng.choice(_LEAD_PREFIXES) + " ".join(words[:keep]).rstrip(".،") + "."
    parts[0] = " ".join([lead, *first[1:]])
    return sep.join(parts)


def _mosaic(bases: list[Base], rng: random.Random) -> tuple[str, str]:
    """A new story from paragraph runs of 3 different base articles.

    Each run is at most half of its article (and of at most 3 paragraphs), so no base
    dominates: the mosaic's MinHash similarity to any one base stays well below the
    near-duplicate threshold, as for a genuinely different story on the same topic."""
    chosen = rng.sample(range(len(bases)), k=3)
    pieces: list[str] = []
    for index in chosen:
        parts, _ = units(bases[index].body)
        run = rng.randint(1, max(1, min(3, len(parts) // 2)))
        start = rng.randrange(0, len(parts) - run + 1)
        pieces.append(" ".join(parts[start:start + run]))
    body = "\n".join(pieces)
    return _headline_from(body, rng), body


def _article(index: int, seed: int, title: str | None, body: str, base: Base,
             outlet: str | None) -> dict:
    digest = hashlib.sha256(f"bench:{seed}:{index}".encode()).hexdigest()[:16]
    return {
        "article_id": f"b{digest}",
        "text": _text(title, body),
        "url": f"https://{outlet or 'outlet'}.example/news/{digest}",
        "outlet": outlet,
        "title": title,
        "published_at": base.published_at,
        "fetched_at": base.fetched_at,
        "source_name": f"bench:{base.key}",
        "content_type": "text",
    }


def build(n: int, seed: int = 7) -> list[Item]:
    """``n`` corpus items in the documented shares, deterministic in ``seed``."""
    rng = random.Random(seed)
    bases = load_bases()
    items: list[Item] = []
    sources: list[tuple[Base, str | None, str]] = []  # (base, title, body) per item
    order = list(range(len(bases)))
    rng.shuffle(order)
    for b in order[:n]:  # every real article once, first
        base = bases[b]
        items.append(Item("original", None, _article(len(items), seed, base.title, base.body,
                                                     base, base.outlet)))
        sources.append((base, base.title, base.body))
    names = list(SHARES)
    weights = [SHARES[k] for k in names]
    while len(items) < n:
        variant = rng.choices(names, weights)[0]
        outlet = rng.choice(_OUTLETS)
        if variant == "unique":
            title, body = _mosaic(bases, rng)
            base = bases[rng.randrange(len(bases))]
            of = None
        else:
            of = rng.randrange(len(items))
            base, old_title, old_body = sources[of]
            title, body = old_title, old_body
            if variant == "reprint":
                title = _new_headline(old_title, old_body, rng)
            elif variant == "copy":
                outlet = items[of].article["outlet"]
            elif variant == "edited_trim":
                body = _trim(old_body, rng)
            else:
                body = _change_lead(old_body, rng)
        items.append(Item(variant, of, _article(len(items), seed, title, body, base, outlet)))
        sources.append((base, title, body))
    return items


def cache_path(cache_dir: Path, n: int, seed: int) -> Path:
    return cache_dir / f"corpus-v{CORPUS_VERSION}-{n}-{seed}.jsonl"


def load_or_build(cache_dir: Path, n: int, seed: int,
                  log: Callable[[str], None] = print) -> tuple[list[Item], Path]:
    """The corpus from the cache folder, generated first if absent."""
    path = cache_path(cache_dir, n, seed)
    if path.exists():
        items = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                items.append(Item(row["variant"], row["of"], row["article"]))
        log(f"corpus: {len(items)} articles from cache {path}")
        return items, path
    items = build(n, seed)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps({"variant": item.variant, "of": item.of,
                                     "article": item.article}, ensure_ascii=False) + "\n")
    tmp.replace(path)
    log(f"corpus: {len(items)} articles generated into {path}")
    return items, path


def describe(items: list[Item]) -> dict:
    """Counts per variant and payload sizes."""
    sizes = sorted(len(item.payload()) for item in items)
    counts = Counter(item.variant for item in items)
    return {
        "articles": len(items),
        "variants": dict(sorted(counts.items())),
        "shares_configured": SHARES,
        "bases": len({item.article["source_name"] for item in items}),
        "payload_bytes_mean": round(sum(sizes) / len(sizes)),
        "payload_bytes_p50": sizes[len(sizes) // 2],
        "payload_bytes_max": sizes[-1],
        "payload_bytes_total": sum(sizes),
    }

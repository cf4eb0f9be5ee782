"""The pure work of each stage, from one message to the next: no Kafka, no database.

Agents in ``processors.agents`` call these and only move messages around.
"""

from __future__ import annotations

import gc
import hashlib
import re
from datetime import date, datetime

from marsad.schemas import (
    CleanArticle,
    DedupedArticle,
    EventBatch,
    EventRecord,
    InvalidMessage,
    RawArticle,
)
from processors.cleaning.clean import Story, clean_text
from processors.cleaning.fold import text_hash
from processors.coder import dates
from processors.coder.events import CODER_VERSION, code_article
from processors.coder.model import CodedEvent

MIN_ARABIC_SHARE = 0.5


_NOT_LETTER = re.compile(r"[\W\d_]+")
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff\u0750-\u077f]+")


def arabic_share(text: str) -> float:
    """Share of Arabic letters among all letters of ``text``."""
    letters = _NOT_LETTER.sub("", text)
    if not letters:
        return 0.0
    return 1 - len(_ARABIC_LETTERS.sub("", letters)) / len(letters)


def _dateline(story: Story) -> str | None:
    found = dates.publication_date(story.header) if story.header else None
    return found.isoformat() if found else None


def clean_stage(raw: RawArticle) -> list[CleanArticle]:
    """Clean a raw article into one or more stories; ``InvalidMessage`` if none is usable."""
    stories = clean_text(raw.text, raw.content_type, raw.title)
    if not stories:
        raise InvalidMessage("no_text", "nothing but boilerplate or markup remained")
    share = arabic_share(" ".join(s.text for s in stories))
    if share < MIN_ARABIC_SHARE:
        raise InvalidMessage("not_arabic", f"only {share:.0%} of the letters are Arabic")
    published = raw.published_at or next(filter(None, map(_dateline, stories)), None)
    out = []
    for part, story in enumerate(stories, 1):
        story_id = raw.article_id if part == 1 else f"{raw.article_id}-{part}"
        out.append(CleanArticle(
            article_id=story_id, parent_id=raw.article_id, part=part, parts=len(stories),
            text=story.text, text_hash=text_hash(story.text), title=story.title, url=raw.url,
            outlet=raw.outlet, published_at=published, fetched_at=raw.fetched_at,
            source_name=raw.source_name, removed_lines=story.removed_lines,
        ))
    return out


def dedup_exact(story: CleanArticle, first_seen: str | None) -> DedupedArticle:
    """Decide on a story given the first article seen with the same text hash (or None)."""
    if first_seen is None or first_seen == story.article_id:
        return DedupedArticle(article=story)
    return DedupedArticle(article=story, duplicate_of=first_seen, similarity=1.0,
                          method="exact")


def anchor_date(story: CleanArticle) -> date | None:
    """The date relative expressions are resolved against: publication, else fetch time,
    else a date the text itself pins (a weekday with its day and month, see
    ``dates.infer_anchor``)."""
    for value in (story.published_at, story.fetched_at):
        if value:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return dates.infer_anchor(story.text)


def event_id(article_id: str, event: CodedEvent) -> str:
    """Deterministic event id from the article id and the event's content."""
    parts = [article_id, event.event_type, event.sub_event_type,
             event.actor1.name if event.actor1 else "", event.actor2.name if event.actor2 else "",
             event.place.name if event.place else "",
             event.event_date.isoformat() if event.event_date else "", str(event.evidence_start)]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:24]


def event_record(article_id: str, event: CodedEvent) -> EventRecord:
    """The message form of a coded event."""
    a1, a2, place = event.actor1, event.actor2, event.place
    return EventRecord(
        event_id=event_id(article_id, event), article_id=article_id,
        event_type=event.event_type, sub_event_type=event.sub_event_type,
        cameo_code=event.cameo_code, plover_type=event.plover_type, evidence=event.evidence,
        evidence_start=event.evidence_start, evidence_end=event.evidence_end,
        confidence=round(event.confidence, 3), coder_version=event.coder_version,
        actor1=a1.name if a1 else None, actor1_inter=a1.inter_code if a1 else None,
        actor1_wikidata=a1.wikidata if a1 else None,
        actor2=a2.name if a2 else None, actor2_inter=a2.inter_code if a2 else None,
        actor2_wikidata=a2.wikidata if a2 else None,
        place_name=place.name if place else None,
        latitude=place.latitude if place else None, longitude=place.longitude if place else None,
        admin1=place.admin1 if place else None, country=place.country if place else None,
        geo_precision=place.geo_precision if place else None,
        event_date=event.event_date.isoformat() if event.event_date else None,
        time_precision=event.time_precision, fatalities=event.fatalities,
        injuries=event.injuries, notes=event.notes,
    )


def extract_stage(item: DedupedArticle) -> EventBatch:
    """Code the events of one story."""
    story = item.article
    coded = code_article(story.text, anchor_date(story), story.article_id)
    return EventBatch(article_id=story.article_id, coder_version=CODER_VERSION,
                      events=[event_record(story.article_id, e) for e in coded])


# One sentence touching every lexicon the coder loads lazily: a trigger, an actor, a place, a
# number in words, a relative date.
_WARM_UP_TEXT = "قتل ثلاثة مدنيين أمس في غارة جوية شنتها قوات حفتر على مدينة سرت الليبية."


YOUNG_GC_THRESHOLD = 10_000


def warm_up() -> None:
    """Load the cleaner's and the coder's tables now, then take every object loaded so far
    out of the cyclic garbage collector's walks (``gc.freeze``).

    camel-tools' character sets and the lexicons hold a few hundred thousand long-lived
    objects; a full collection walks them all (36 ms on an idle core, up to 170 ms under
    load), about once per 360 articles. Workers and the benchmarks call this at start.

    The youngest generation is then collected every ``YOUNG_GC_THRESHOLD`` allocations
    instead of 700: an article's few thousand live tokens and matches were walked again at
    every collection (2% of the coder's instructions, valgrind); its cycles are broken by
    hand, so little waits for the collector."""
    clean_text(_WARM_UP_TEXT)
    text_hash(_WARM_UP_TEXT)
    code_article(_WARM_UP_TEXT, date(2016, 1, 2), "warm-up")
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, older, oldest)

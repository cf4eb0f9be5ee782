"""The message contract between stages: Faust records, one place, versioned.

Each record carries ``schema_version``; its Faust namespace names the version too, so a
breaking change is a new class (``RawArticleV2``) living beside the old one until every
topic has drained. Producers outside Faust (kafka-python) send the JSON of
``RawArticle.to_representation()``; ``parse_raw_article`` validates what arrives.

Every record is JSON in UTF-8 (``ensure_ascii=False``), as the producers already send
``articles.raw``: faust's own ``json`` codec escapes each Arabic character as ``\\uXXXX``,
which makes every intermediate message and changelog record about 2.5 times larger (more
bytes to send, store, fetch and parse). Both forms are the same JSON to any reader.
faust uses orjson (a pinned dependency) for the encoding and decoding when it is installed.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import faust
from faust.serializers import codecs
from faust.utils import json as faust_json


class Utf8Json(codecs.Codec):
    """faust's ``json`` codec, writing UTF-8 instead of ``\\u`` escapes."""

    def _loads(self, s: bytes) -> object:
        return faust_json.loads(s)  # orjson and json.loads both take UTF-8 bytes

    def _dumps(self, s: object) -> bytes:
        out = faust_json.dumps(s, ensure_ascii=False)  # bytes already when orjson is there
        return out if isinstance(out, bytes) else out.encode("utf-8")


codecs.register("json", Utf8Json())  # the codec of every record below and of the tables

SCHEMA_VERSION = 1
MIN_TEXT_CHARS = 40


class InvalidMessage(ValueError):
    """A message that cannot be processed; ``code`` is a short machine-readable reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class RawArticle(faust.Record, namespace="marsad.RawArticle.v1", serializer="json"):
    """An article as a scraper delivers it (topic ``articles.raw``, key = article_id)."""

    article_id: str
    text: str
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    published_at: str | None = None  # ISO date or datetime, as known by the scraper
    fetched_at: str | None = None
    source_name: str | None = None  # file name or feed name
    content_type: str = "text"  # "text" or "html"
    schema_version: int = SCHEMA_VERSION


class CleanArticle(faust.Record, namespace="marsad.CleanArticle.v1", serializer="json"):
    """One boilerplate-free story (topic ``articles.clean``, key = text_hash)."""

    article_id: str  # story id: the raw id, or "<raw id>-<part>" for part 2+ of a glued file
    parent_id: str  # the raw article id
    part: int
    parts: int
    text: str
    text_hash: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published_at: str | None = None
    fetched_at: str | None = None
    source_name: str | None = None
    removed_lines: int = 0
    schema_version: int = SCHEMA_VERSION


class DedupedArticle(faust.Record, namespace="marsad.DedupedArticle.v1", serializer="json"):
    """A story with its dedup decision (topics ``articles.deduped``/``articles.unique``)."""

    article: CleanArticle
    duplicate_of: str | None = None
    similarity: float | None = None
    method: str | None = None  # "exact" (text hash) or "near" (MinHash)
    schema_version: int = SCHEMA_VERSION


class NearProbe(faust.Record, namespace="marsad.NearProbe.v1", serializer="json"):
    """A story's MinHash bands that live in one partition of ``articles.bands``.

    Sent with an explicit partition (``processors.dedup.routing.band_partition``) so that
    every story sharing a band meets in the same partition, whichever worker cleaned it.
    """

    article_id: str
    order: str  # first-seen order: "<clean timestamp ms, zero-padded>:<article id>" (also
    # gives the arrival day the retention window counts from)
    signature: str  # base64 MinHash signature (processors.dedup.minhash.encode)
    markers: list[str]  # polarity markers (processors.dedup.contradiction)
    bands: list[str]  # band keys routed to this partition
    schema_version: int = SCHEMA_VERSION


class NearVerdict(faust.Record, namespace="marsad.NearVerdict.v1", serializer="json"):
    """What one band partition found for a story (topic ``articles.near``, key = article_id).

    ``matches`` holds [earlier article id, order, similarity] triples. ``late`` verdicts
    come from a story that arrived later at the band partition but was seen first.
    """

    article_id: str
    matches: list[list]
    partition: int | None = None  # the band partition answering (None for late verdicts)
    late: bool = False
    schema_version: int = SCHEMA_VERSION


class NearPending(faust.Record, namespace="marsad.NearPending.v1", serializer="json"):
    """A story waiting for its band verdicts (topic ``articles.near``, key = article_id)."""

    article: CleanArticle
    order: str
    expected: list[int]  # band partitions probed, i.e. the verdicts to wait for
    schema_version: int = SCHEMA_VERSION


class DuplicateLink(faust.Record, namespace="marsad.DuplicateLink.v1", serializer="json"):
    """A late finding that an already stored story copies an earlier one (``articles.deduped``)."""

    article_id: str
    duplicate_of: str
    similarity: float
    method: str = "near"
    schema_version: int = SCHEMA_VERSION


class EventRecord(faust.Record, namespace="marsad.EventRecord.v1", serializer="json"):
    """One coded event (ACLED/CAMEO/PLOVER), as stored in the ``events`` table."""

    event_id: str
    article_id: str
    event_type: str
    sub_event_type: str
    cameo_code: str
    plover_type: str
    evidence: str
    evidence_start: int
    evidence_end: int
    confidence: float
    coder_version: str
    actor1: str | None = None
    actor1_inter: int | None = None
    actor1_wikidata: str | None = None
    actor2: str | None = None
    actor2_inter: int | None = None
    actor2_wikidata: str | None = None
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    admin1: str | None = None
    country: str | None = None
    geo_precision: int | None = None
    event_date: str | None = None  # ISO date
    time_precision: int | None = None
    fatalities: int | None = None
    injuries: int | None = None
    notes: str = ""
    schema_version: int = SCHEMA_VERSION


class EventBatch(faust.Record, namespace="marsad.EventBatch.v1", serializer="json"):
    """All events coded from one story (topic ``events``, key = article_id).

    Sent even when empty, so the sink can replace a story's events atomically.
    """

    article_id: str
    coder_version: str
    events: list[EventRecord]
    schema_version: int = SCHEMA_VERSION


class DeadLetter(faust.Record, namespace="marsad.DeadLetter.v1", serializer="json"):
    """A message that failed (topic ``deadletter``), with everything needed to replay it."""

    stage: str
    error_code: str
    error: str
    source_topic: str
    source_partition: int | None
    source_offset: int | None
    key_b64: str | None
    payload_b64: str
    failed_at: str
    worker: str | None = None
    article_id: str | None = None
    schema_version: int = SCHEMA_VERSION

    def payload(self) -> bytes:
        """The original message bytes."""
        return base64.b64decode(self.payload_b64)


def utcnow_iso() -> str:
    """The current UTC time as ISO-8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _optional_str(data: dict, name: str, limit: int = 2048) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidMessage("wrong_type", f"field {name!r} must be a string, not "
                             f"{type(value).__name__}")
    if len(value) > limit:
        raise InvalidMessage("too_long", f"field {name!r} is longer than {limit} characters")
    return value or None


def _iso_or_none(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidMessage("bad_date", f"field {name!r} is not ISO-8601: {value!r}") from exc
    return value


def parse_raw_article(payload: bytes, max_bytes: int) -> RawArticle:
    """Validate the bytes of an ``articles.raw`` message; raise ``InvalidMessage``."""
    if len(payload) > max_bytes:
        raise InvalidMessage("too_large", f"{len(payload)} bytes > limit {max_bytes}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidMessage("not_utf8", f"undecodable bytes at offset {exc.start}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidMessage("bad_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}")\
            from exc
    if not isinstance(data, dict):
        raise InvalidMessage("bad_json", "the message is not a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InvalidMessage("bad_version", f"schema_version {version!r} is not supported")
    article_id = _optional_str(data, "article_id", 128)
    if not article_id:
        raise InvalidMessage("missing_field", "field 'article_id' is missing or empty")
    body = data.get("text")
    if not isinstance(body, str):
        raise InvalidMessage("missing_field" if body is None else "wrong_type",
                             "field 'text' must be a string")
    if len(body.strip()) < MIN_TEXT_CHARS:
        raise InvalidMessage("empty_body", f"text has fewer than {MIN_TEXT_CHARS} characters")
    content_type = data.get("content_type", "text")
    if content_type not in {"text", "html"}:
        raise InvalidMessage("wrong_type", f"content_type {content_type!r} is not text or html")
    return RawArticle(
        article_id=article_id,
        text=body,
        url=_optional_str(data, "url"),
        outlet=_optional_str(data, "outlet", 256),
        title=_optional_str(data, "title"),
        published_at=_iso_or_none(_optional_str(data, "published_at", 64), "published_at"),
        fetched_at=_iso_or_none(_optional_str(data, "fetched_at", 64), "fetched_at"),
        source_name=_optional_str(data, "source_name", 512),
        content_type=content_type,
    )

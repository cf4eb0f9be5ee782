"""The PostgreSQL tables downstream users read, as SQLAlchemy Core, every column documented.

Migrations live in ``sinks/migrations`` (Alembic); ``docs/SCHEMA.md`` is generated from the
comments here (``marsad schema --markdown``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
)

metadata = MetaData()


def _created() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False,
                  server_default=func.now(), comment="When the row was first written.")


def _updated() -> Column:
    return Column("updated_at", DateTime(timezone=True), nullable=False,
                  server_default=func.now(), comment="When the row last changed.")


articles = Table(
    "articles", metadata,
    Column("id", Text, primary_key=True,
           comment="Story id: hash of the canonical URL, else of the normalised text; a glued "
                   "file's second story is '<id>-2'."),
    Column("parent_id", Text, nullable=False,
           comment="Id of the raw article (file or feed item) this story came from."),
    Column("part", SmallInteger, nullable=False, comment="Story number inside the raw article."),
    Column("url", Text, comment="URL as delivered by the scraper."),
    Column("outlet", Text, comment="News outlet."),
    Column("title", Text, comment="Headline."),
    Column("published_at", DateTime(timezone=True),
           comment="Publication time (from the feed, else the article's dateline)."),
    Column("fetched_at", DateTime(timezone=True), comment="When the scraper fetched it."),
    Column("source_name", Text, comment="File or feed name it was read from."),
    Column("text", Text, nullable=False, comment="Clean text (boilerplate removed)."),
    Column("text_hash", Text, nullable=False,
           comment="SHA-256 (first 32 hex) of the normalised clean text."),
    Column("duplicate_of", Text,
           comment="Id of the first-seen article this one copies; NULL if original. Not a "
                   "foreign key: in a stream the original may be stored after the copy."),
    Column("similarity", Float, comment="Similarity to duplicate_of (1.0 for exact copies)."),
    Column("dedup_method", Text, comment="'exact' (text hash) or 'near' (MinHash)."),
    _created(), _updated(),
    comment="Every article story once; copies point at the original.",
)
Index("articles_text_hash_idx", articles.c.text_hash)
Index("articles_duplicate_of_idx", articles.c.duplicate_of)

events = Table(
    "events", metadata,
    Column("id", Text, primary_key=True,
           comment="Deterministic id: hash of the source article id and the event's content."),
    Column("article_id", Text, nullable=False,
           comment="The article the event was first coded from (see event_sources for all)."),
    Column("event_type", Text, nullable=False, comment="ACLED event type."),
    Column("sub_event_type", Text, nullable=False, comment="ACLED sub-event type."),
    Column("cameo_code", Text, nullable=False, comment="CAMEO event code."),
    Column("plover_type", Text, nullable=False, comment="PLOVER event category."),
    Column("actor1", Text, comment="Actor 1 (who acted), ACLED-style name."),
    Column("actor1_inter", SmallInteger,
           comment="ACLED interaction code of actor 1 (1 state, 2 rebel, 3 political militia, "
                   "4 identity militia, 5 rioters, 6 protesters, 7 civilians, 8 external)."),
    Column("actor1_wikidata", Text, comment="Wikidata id of actor 1, where known."),
    Column("actor2", Text, comment="Actor 2 (acted upon)."),
    Column("actor2_inter", SmallInteger, comment="ACLED interaction code of actor 2."),
    Column("actor2_wikidata", Text, comment="Wikidata id of actor 2, where known."),
    Column("place_name", Text, comment="Most specific place named for the event."),
    Column("latitude", Float, comment="WGS84 latitude of the place."),
    Column("longitude", Float, comment="WGS84 longitude of the place."),
    Column("admin1", Text, comment="First-level administrative area."),
    Column("country", Text, comment="Country (English name)."),
    Column("geo_precision", SmallInteger,
           comment="ACLED geo precision: 1 the town itself, 2 near/part of a region, "
                   "3 a province or country."),
    Column("event_date", Date, comment="Event date resolved against the publication date."),
    Column("time_precision", SmallInteger,
           comment="ACLED time precision: 1 the day, 2 the week, 3 the month."),
    Column("fatalities", Integer,
           comment="Fatalities by ACLED's conservative rules; NULL when the text gives none."),
    Column("injuries", Integer, comment="Injured, when reported."),
    Column("evidence", Text, nullable=False, comment="The Arabic sentence reporting the event."),
    Column("evidence_start", Integer, nullable=False,
           comment="Character offset of the evidence in articles.text."),
    Column("evidence_end", Integer, nullable=False, comment="End offset of the evidence."),
    Column("confidence", Float, nullable=False, comment="Coder confidence in [0, 1]."),
    Column("extractor_version", Text, nullable=False, comment="Version of the event coder."),
    Column("notes", Text, nullable=False, server_default="",
           comment="Coder notes (claims, resolved references)."),
    Column("merged_into", Text, ForeignKey("events.id", ondelete="SET NULL"),
           comment="Set when another article's event describes the same incident: the id "
                   "of that first-stored event (see the incidents view). NULL for the "
                   "incident's own row."),
    _created(), _updated(),
    comment="Coded events, one row per event per coding article; rows with merged_into set "
            "are further reports of an incident (the incidents view reconciles them).",
)
Index("events_article_id_idx", events.c.article_id)
Index("events_merged_into_idx", events.c.merged_into)
Index("events_event_date_idx", events.c.event_date)

event_sources = Table(
    "event_sources", metadata,
    Column("event_id", Text, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True,
           comment="The event."),
    Column("article_id", Text, primary_key=True, comment="An article that reports it."),
    Column("relation", Text, nullable=False,
           comment="'coded' (the event was coded from it) or 'duplicate' (a copy of a "
                   "coding article: a further mention)."),
    _created(),
    comment="Which articles report which event.",
)
Index("event_sources_article_id_idx", event_sources.c.article_id)

rejected_messages = Table(
    "rejected_messages", metadata,
    Column("id", Text, primary_key=True, comment="'<topic>:<partition>:<offset>'."),
    Column("stage", Text, nullable=False, comment="Stage that rejected it (clean, extract...)."),
    Column("error_code", Text, nullable=False, comment="Short reason (bad_json, empty_body...)."),
    Column("error", Text, nullable=False, comment="Human-readable reason."),
    Column("source_topic", Text, nullable=False, comment="Topic the message came from."),
    Column("source_partition", Integer, comment="Its partition."),
    Column("source_offset", BigInteger, comment="Its offset (Kafka offsets are 64-bit)."),
    Column("article_id", Text, comment="Article id, when it could be read."),
    Column("payload", LargeBinary, nullable=False, comment="The original bytes."),
    Column("failed_at", DateTime(timezone=True), nullable=False, comment="When it failed."),
    _created(),
    comment="Messages sent to the dead-letter topic, for inspection and replay.",
)

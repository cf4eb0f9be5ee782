"""initial schema: articles, events, event_sources, rejected_messages

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 08:19:42.584969
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column(
            "id",
            sa.Text(),
            nullable=False,
            comment="Story id: hash of the canonical URL, else of the normalised text; a glued file's second story is '<id>-2'.",
        ),
        sa.Column(
            "parent_id",
            sa.Text(),
            nullable=False,
            comment="Id of the raw article (file or feed item) this story came from.",
        ),
        sa.Column(
            "part",
            sa.SmallInteger(),
            nullable=False,
            comment="Story number inside the raw article.",
        ),
        sa.Column("url", sa.Text(), nullable=True, comment="URL as delivered by the scraper."),
        sa.Column("outlet", sa.Text(), nullable=True, comment="News outlet."),
        sa.Column("title", sa.Text(), nullable=True, comment="Headline."),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Publication time (from the feed, else the article's dateline).",
        ),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the scraper fetched it.",
        ),
        sa.Column(
            "source_name", sa.Text(), nullable=True, comment="File or feed name it was read from."
        ),
        sa.Column("text", sa.Text(), nullable=False, comment="Clean text (boilerplate removed)."),
        sa.Column(
            "text_hash",
            sa.Text(),
            nullable=False,
            comment="SHA-256 (first 32 hex) of the normalised clean text.",
        ),
        sa.Column(
            "duplicate_of",
            sa.Text(),
            nullable=True,
            comment="Id of the first-seen article this one copies; NULL if original. Not a foreign key: in a stream the original may be stored after the copy.",
        ),
        sa.Column(
            "similarity",
            sa.Float(),
            nullable=True,
            comment="Similarity to duplicate_of (1.0 for exact copies).",
        ),
        sa.Column(
            "dedup_method",
            sa.Text(),
            nullable=True,
            comment="'exact' (text hash) or 'near' (MinHash).",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row was first written.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Every article story once; copies point at the original.",
    )
    op.create_index("articles_duplicate_of_idx", "articles", ["duplicate_of"], unique=False)
    op.create_index("articles_text_hash_idx", "articles", ["text_hash"], unique=False)
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.Text(),
            nullable=False,
            comment="Deterministic id: hash of the source article id and the event's content.",
        ),
        sa.Column(
            "article_id",
            sa.Text(),
            nullable=False,
            comment="The article the event was first coded from (see event_sources for all).",
        ),
        sa.Column("event_type", sa.Text(), nullable=False, comment="ACLED event type."),
        sa.Column("sub_event_type", sa.Text(), nullable=False, comment="ACLED sub-event type."),
        sa.Column("cameo_code", sa.Text(), nullable=False, comment="CAMEO event code."),
        sa.Column("plover_type", sa.Text(), nullable=False, comment="PLOVER event category."),
        sa.Column(
            "actor1", sa.Text(), nullable=True, comment="Actor 1 (who acted), ACLED-style name."
        ),
        sa.Column(
            "actor1_inter",
            sa.SmallInteger(),
            nullable=True,
            comment="ACLED interaction code of actor 1 (1 state, 2 rebel, 3 political militia, 4 identity militia, 5 rioters, 6 protesters, 7 civilians, 8 external).",
        ),
        sa.Column(
            "actor1_wikidata",
            sa.Text(),
            nullable=True,
            comment="Wikidata id of actor 1, where known.",
        ),
        sa.Column("actor2", sa.Text(), nullable=True, comment="Actor 2 (acted upon)."),
        sa.Column(
            "actor2_inter",
            sa.SmallInteger(),
            nullable=True,
            comment="ACLED interaction code of actor 2.",
        ),
        sa.Column(
            "actor2_wikidata",
            sa.Text(),
            nullable=True,
            comment="Wikidata id of actor 2, where known.",
        ),
        sa.Column(
            "place_name",
            sa.Text(),
            nullable=True,
            comment="Most specific place named for the event.",
        ),
        sa.Column("latitude", sa.Float(), nullable=True, comment="WGS84 latitude of the place."),
        sa.Column("longitude", sa.Float(), nullable=True, comment="WGS84 longitude of the place."),
        sa.Column("admin1", sa.Text(), nullable=True, comment="First-level administrative area."),
        sa.Column("country", sa.Text(), nullable=True, comment="Country (English name)."),
        sa.Column(
            "geo_precision",
            sa.SmallInteger(),
            nullable=True,
            comment="ACLED geo precision: 1 the town itself, 2 near/part of a region, 3 a province or country.",
        ),
        sa.Column(
            "event_date",
            sa.Date(),
            nullable=True,
            comment="Event date resolved against the publication date.",
        ),
        sa.Column(
            "time_precision",
            sa.SmallInteger(),
            nullable=True,
            comment="ACLED time precision: 1 the day, 2 the week, 3 the month.",
        ),
        sa.Column(
            "fatalities",
            sa.Integer(),
            nullable=True,
            comment="Fatalities by ACLED's conservative rules; NULL when the text gives none.",
        ),
        sa.Column("injuries", sa.Integer(), nullable=True, comment="Injured, when reported."),
        sa.Column(
            "evidence",
            sa.Text(),
            nullable=False,
            comment="The Arabic sentence reporting the event.",
        ),
        sa.Column(
            "evidence_start",
            sa.Integer(),
            nullable=False,
            comment="Character offset of the evidence in articles.text.",
        ),
        sa.Column(
            "evidence_end", sa.Integer(), nullable=False, comment="End offset of the evidence."
        ),
        sa.Column("confidence", sa.Float(), nullable=False, comment="Coder confidence in [0, 1]."),
        sa.Column(
            "extractor_version", sa.Text(), nullable=False, comment="Version of the event coder."
        ),
        sa.Column(
            "notes",
            sa.Text(),
            server_default="",
            nullable=False,
            comment="Coder notes (claims, resolved references).",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row was first written.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row last changed.",
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Coded events, one row per real-world event.",
    )
    op.create_index("events_article_id_idx", "events", ["article_id"], unique=False)
    op.create_index("events_event_date_idx", "events", ["event_date"], unique=False)
    op.create_table(
        "rejected_messages",
        sa.Column("id", sa.Text(), nullable=False, comment="'<topic>:<partition>:<offset>'."),
        sa.Column(
            "stage",
            sa.Text(),
            nullable=False,
            comment="Stage that rejected it (clean, extract...).",
        ),
        sa.Column(
            "error_code",
            sa.Text(),
            nullable=False,
            comment="Short reason (bad_json, empty_body...).",
        ),
        sa.Column("error", sa.Text(), nullable=False, comment="Human-readable reason."),
        sa.Column(
            "source_topic", sa.Text(), nullable=False, comment="Topic the message came from."
        ),
        sa.Column("source_partition", sa.Integer(), nullable=True, comment="Its partition."),
        sa.Column("source_offset", sa.Integer(), nullable=True, comment="Its offset."),
        sa.Column(
            "article_id", sa.Text(), nullable=True, comment="Article id, when it could be read."
        ),
        sa.Column("payload", sa.LargeBinary(), nullable=False, comment="The original bytes."),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), nullable=False, comment="When it failed."
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row was first written.",
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Messages sent to the dead-letter topic, for inspection and replay.",
    )
    op.create_table(
        "event_sources",
        sa.Column("event_id", sa.Text(), nullable=False, comment="The event."),
        sa.Column("article_id", sa.Text(), nullable=False, comment="An article that reports it."),
        sa.Column(
            "relation",
            sa.Text(),
            nullable=False,
            comment="'coded' (the event was coded from it) or 'duplicate' (a copy of a coding article: a further mention).",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the row was first written.",
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "article_id"),
        comment="Which articles report which event.",
    )
    op.create_index("event_sources_article_id_idx", "event_sources", ["article_id"], unique=False)


def downgrade() -> None:
    op.drop_index("event_sources_article_id_idx", table_name="event_sources")
    op.drop_table("event_sources")
    op.drop_table("rejected_messages")
    op.drop_index("events_event_date_idx", table_name="events")
    op.drop_index("events_article_id_idx", table_name="events")
    op.drop_table("events")
    op.drop_index("articles_text_hash_idx", table_name="articles")
    op.drop_index("articles_duplicate_of_idx", table_name="articles")
    op.drop_table("articles")

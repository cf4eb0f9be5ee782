"""incidents: events.merged_into and the incidents view reconciling several reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# One row per real-world event: an event not merged into another, reconciled over every
# report of it (itself and the events merged into it), by the rule documented in
# processors/dedup/event_merge.py.
INCIDENTS_VIEW = """
CREATE VIEW incidents AS
WITH member AS (
    SELECT coalesce(e.merged_into, e.id) AS incident_id, e.*,
           coalesce(a.published_at, e.created_at) AS reported_at
    FROM events e LEFT JOIN articles a ON a.id = e.article_id
)
SELECT c.id AS incident_id,
       c.event_type, c.sub_event_type, c.cameo_code, c.plover_type,
       c.actor1, c.actor1_inter, c.actor1_wikidata, c.actor2, c.actor2_inter, c.actor2_wikidata,
       place.place_name, place.latitude, place.longitude, place.admin1, place.country,
       place.geo_precision,
       dated.event_date, dated.time_precision,
       toll.fatalities,
       c.evidence, c.article_id AS first_article_id,
       reports.reports, srcs.sources, srcs.source_count,
       c.created_at, greatest(c.updated_at, reports.last_update) AS updated_at
FROM events c
CROSS JOIN LATERAL (
    SELECT m.place_name, m.latitude, m.longitude, m.admin1, m.country, m.geo_precision
    FROM member m WHERE m.incident_id = c.id
    ORDER BY m.geo_precision NULLS LAST, m.id <> c.id, m.created_at, m.id LIMIT 1) place
CROSS JOIN LATERAL (
    SELECT m.event_date, m.time_precision
    FROM member m WHERE m.incident_id = c.id
    ORDER BY m.time_precision NULLS LAST, m.event_date NULLS LAST, m.id LIMIT 1) dated
CROSS JOIN LATERAL (
    SELECT min(m.fatalities) AS fatalities FROM member m
    WHERE m.incident_id = c.id AND m.fatalities IS NOT NULL
      AND m.reported_at::date = (
          SELECT max(m2.reported_at::date) FROM member m2
          WHERE m2.incident_id = c.id AND m2.fatalities IS NOT NULL)) toll
CROSS JOIN LATERAL (
    SELECT count(*) AS reports, max(m.updated_at) AS last_update
    FROM member m WHERE m.incident_id = c.id) reports
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT s.article_id ORDER BY s.article_id) AS sources,
           count(DISTINCT s.article_id) AS source_count
    FROM event_sources s JOIN events e ON e.id = s.event_id
    WHERE e.id = c.id OR e.merged_into = c.id) srcs
WHERE c.merged_into IS NULL
"""


def upgrade() -> None:
    op.add_column("events", sa.Column(
        "merged_into", sa.Text(), nullable=True,
        comment="Set when another article's event describes the same incident: the id of "
                "that first-stored event (see the incidents view). NULL for the incident's "
                "own row."))
    op.create_foreign_key("events_merged_into_fkey", "events", "events", ["merged_into"],
                          ["id"], ondelete="SET NULL")
    op.create_index("events_merged_into_idx", "events", ["merged_into"], unique=False)
    op.create_table_comment(
        "events", "Coded events, one row per event per coding article; rows with merged_into "
                  "set are further reports of an incident (the incidents view reconciles them).")
    op.execute(INCIDENTS_VIEW)
    op.execute("COMMENT ON VIEW incidents IS 'One row per real-world event, reconciled over "
               "its reports: most specific place, most precise date, most conservative "
               "fatalities among the latest reports, every source article.'")


def downgrade() -> None:
    op.execute("DROP VIEW incidents")
    op.drop_index("events_merged_into_idx", table_name="events")
    op.drop_constraint("events_merged_into_fkey", "events", type_="foreignkey")
    op.drop_column("events", "merged_into")

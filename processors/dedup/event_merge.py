"""Same incident, different articles: when two coded events are one real-world event.

Plain functions over event rows (mappings with the ``events`` table's column names), so the
rule is testable without a database. The events sink applies it to each new event against
the incidents already stored (``sinks.postgres_writer``); the reconciled view of an
incident (``incidents`` in PostgreSQL) then takes:

- the place: the most specific one among its reports (lowest ACLED geo-precision);
- the date: the most precise one (lowest time-precision), the earliest among equals;
- fatalities: the most conservative (lowest) figure among the latest-published reports
  that give one, so a later report revising the toll supersedes earlier ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

EARTH_RADIUS_KM = 6371.0088
COUNTRY_PRECISION = 3  # ACLED geo-precision of an event placed only in its country


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _actors(row: Mapping[str, Any]) -> set[str]:
    return {a for a in (row.get("actor1"), row.get("actor2")) if a}


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def same_incident(a: Mapping[str, Any], b: Mapping[str, Any], max_km: float = 25.0,
                  max_days: int = 1) -> bool:
    """Whether two events (from different articles) describe one incident.

    Same ACLED event type; both dated, at most ``max_days`` apart; actors compatible (one
    side's named actors include the other's); places within ``max_km`` — or, when either
    has no coordinates or only its country's (geo-precision 3), the same country and the
    very same named actors.
    """
    if a.get("article_id") == b.get("article_id") or a.get("event_type") != b.get("event_type"):
        return False
    day_a, day_b = _day(a.get("event_date")), _day(b.get("event_date"))
    if day_a is None or day_b is None or abs((day_a - day_b).days) > max_days:
        return False
    actors_a, actors_b = _actors(a), _actors(b)
    if not (actors_a <= actors_b or actors_b <= actors_a):
        return False
    coords = (a.get("latitude"), a.get("longitude"), b.get("latitude"), b.get("longitude"))
    if None in coords or COUNTRY_PRECISION in (a.get("geo_precision"), b.get("geo_precision")):
        # no place, or only a country's centroid: distance says nothing
        return bool(actors_a) and actors_a == actors_b and a.get("country") is not None \
            and a.get("country") == b.get("country")
    return distance_km(*coords) <= max_km


def best_incident(event: Mapping[str, Any], incidents: list[Mapping[str, Any]],
                  max_km: float = 25.0, max_days: int = 1) -> Mapping[str, Any] | None:
    """The stored incident an event belongs to: among matches, the nearest in time, then
    in space, then the earliest stored (its ``id`` breaks remaining ties)."""
    matches = [i for i in incidents if same_incident(event, i, max_km, max_days)]
    if not matches:
        return None
    day = _day(event.get("event_date"))

    def rank(inc: Mapping[str, Any]) -> tuple:
        days = abs((_day(inc.get("event_date")) - day).days) if day else 0  # type: ignore[operator]
        coords = (event.get("latitude"), event.get("longitude"), inc.get("latitude"),
                  inc.get("longitude"))
        km = distance_km(*coords) if None not in coords else max_km
        return days, km, str(inc.get("id"))

    return min(matches, key=rank)

"""Same incident, different articles: the merge rule."""

from __future__ import annotations

from datetime import date

import pytest

from processors.dedup.event_merge import best_incident, distance_km, same_incident

SIRTE = (31.2089, 16.5887)
HARAWA = (30.9500, 17.1000)  # about 57 km east of Sirte


def event(**fields: object) -> dict:
    base: dict = {"id": "e1", "article_id": "a1", "event_type": "Battles",
                  "actor1": "Military Forces of Libya (2014-) GNA", "actor2": "Islamic State",
                  "latitude": SIRTE[0], "longitude": SIRTE[1], "country": "Libya",
                  "event_date": date(2016, 6, 15)}
    base.update(fields)
    return base


def test_distance_sirte_to_tripoli_is_about_370_km() -> None:
    assert distance_km(*SIRTE, 32.8872, 13.1913) == pytest.approx(370, abs=15)
    assert distance_km(*SIRTE, *SIRTE) == 0


def test_two_reports_of_one_battle_merge() -> None:
    other = event(id="e2", article_id="a2", event_date=date(2016, 6, 16),
                  latitude=31.19, longitude=16.60)
    assert same_incident(event(), other)
    # one report names only one side: still compatible
    assert same_incident(event(), event(id="e3", article_id="a3", actor2=None))


@pytest.mark.parametrize("change", [
    {"article_id": "a1"},  # the same article: the coder already merged its sentences
    {"event_type": "Explosions/Remote violence"},  # another event family
    {"event_date": date(2016, 6, 17)},  # two days later: another incident, same town
    {"event_date": None},  # undated: never merged
    {"latitude": HARAWA[0], "longitude": HARAWA[1]},  # too far
    {"actor1": "Military Forces of Libya (2014-) Haftar", "actor2": "Islamic State"},
])
def test_different_incidents_stay_apart(change: dict) -> None:
    other = event(id="e2", article_id="a2")
    other.update(change)
    assert not same_incident(event(), other)


def test_without_coordinates_only_identical_actors_in_one_country_merge() -> None:
    placeless = event(id="e2", article_id="a2", latitude=None, longitude=None)
    assert same_incident(event(), placeless)
    assert not same_incident(event(actor2=None), placeless)
    assert not same_incident(event(), {**placeless, "country": "Tunisia"})


def test_country_level_places_need_the_same_actors() -> None:
    syria = {"latitude": 34.8, "longitude": 38.99, "country": "Syria", "geo_precision": 3}
    a = event(**syria)
    assert same_incident(a, event(id="e2", article_id="a2", **syria))
    assert not same_incident(a, event(id="e2", article_id="a2", actor2=None, **syria))


def test_distance_and_days_are_configurable() -> None:
    far = event(id="e2", article_id="a2", latitude=HARAWA[0], longitude=HARAWA[1],
                event_date=date(2016, 6, 17))
    assert same_incident(event(), far, max_km=80, max_days=2)
    assert not same_incident(event(), far, max_km=80, max_days=1)


def test_best_incident_prefers_the_closest_in_time_then_space() -> None:
    near_day = event(id="i1", article_id="x1", event_date=date(2016, 6, 15),
                     latitude=31.25, longitude=16.55)
    next_day = event(id="i2", article_id="x2", event_date=date(2016, 6, 16))
    same_day_exact = event(id="i3", article_id="x3")
    new = event(id="n", article_id="new")
    assert best_incident(new, [next_day, near_day, same_day_exact])["id"] == "i3"
    assert best_incident(new, [next_day, near_day])["id"] == "i1"
    assert best_incident(new, [event(id="z", article_id="z", event_type="Riots")]) is None

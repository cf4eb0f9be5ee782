"""Tests of the coder evaluation: matching, scoring and the integrity of the gold file."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from processors.coder.evaluate import (
    DEFAULT_GOLD,
    DEFAULT_SEED_DIRS,
    GoldEvent,
    _hungarian,
    actor_agrees,
    eligible,
    evaluate,
    field_agreement,
    find_seed_file,
    gold_from_record,
    haversine_km,
    load_gold,
    main,
    match_events,
    score,
    seed_published,
)
from processors.coder.model import Actor, CodedEvent, Place

GNA = Actor("Military Forces of Libya (2016-2021) Government of National Accord", 1)
LNA = Actor("Military Forces of Libya (2014-) Libyan National Army", 1)
IS = Actor("Islamic State (Libya)", 2)

SIRTE = Place("Sirte", 31.20892, 16.58866, "Surt", "Libya", 1)
TRIPOLI = Place("Tripoli", 32.87519, 13.18746, "Tripoli", "Libya", 1)
DERNA = Place("Darnah", 32.76704, 22.63669, "Darnah", "Libya", 1)


def ev(
    event_type: str = "Battles",
    sub: str = "Armed clash",
    a1: Actor | None = GNA,
    a2: Actor | None = IS,
    place: Place | None = SIRTE,
    day: date | None = date(2016, 6, 15),
    fatalities: int | None = None,
    time_precision: int | None = 1,
) -> CodedEvent:
    """A hand-made event with sensible defaults."""
    return CodedEvent(
        event_type=event_type,
        sub_event_type=sub,
        cameo_code="190",
        plover_type="FIGHT",
        actor1=a1,
        actor2=a2,
        place=place,
        event_date=day,
        time_precision=time_precision,
        fatalities=fatalities,
        evidence="x",
        evidence_start=0,
        evidence_end=1,
        confidence=0.9,
        coder_version="test",
    )


def gold(
    event: CodedEvent, optional: bool = False, aliases: tuple[str, ...] = (), gid: str = "g"
) -> GoldEvent:
    return GoldEvent(
        gold_id=gid,
        seed="s",
        story=1,
        published=date(2016, 6, 16),
        event=event,
        optional=optional,
        place_aliases=aliases,
    )


def moved(place: Place, km_north: float, name: str = "Elsewhere") -> Place:
    """``place`` shifted north by about ``km_north`` kilometres, under another name."""
    return Place(
        name,
        place.latitude + km_north / 111.195,
        place.longitude,
        place.admin1,
        place.country,
        place.geo_precision,
    )


# --------------------------------------------------------------------------- geometry


def test_haversine_known_distances() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.195, abs=0.01)
    # Tripoli - Benghazi is about 645 km as the crow flies.
    assert haversine_km(32.87519, 13.18746, 32.11667, 20.06667) == pytest.approx(650, abs=15)
    assert haversine_km(10.0, 10.0, 10.0, 10.0) == 0.0


# --------------------------------------------------------------------------- eligibility


def test_event_type_must_agree() -> None:
    g = gold(ev())
    assert eligible(ev(), g)
    assert not eligible(ev(event_type="Explosions/Remote violence", sub="Air/drone strike"), g)
    assert eligible(ev(event_type="battles"), g)  # case-insensitive label


def test_place_within_radius_or_same_name() -> None:
    g = gold(ev(place=SIRTE))
    assert eligible(ev(place=moved(SIRTE, 40)), g)
    assert not eligible(ev(place=moved(SIRTE, 60)), g)
    far_same_name = Place("Sirte", 10.0, 10.0, None, "Libya", 1)
    assert eligible(ev(place=far_same_name), g)
    assert not eligible(ev(place=None), g)


def test_place_alias_and_arabic_surface() -> None:
    g = gold(ev(place=DERNA), aliases=("Derna", "درنة"))
    elsewhere = Place("Derna", 0.0, 0.0, None, "Libya", 1)
    assert eligible(ev(place=elsewhere), g)
    by_surface = Place("Unknown", 0.0, 0.0, None, "Libya", 1, surface="درنه")
    assert eligible(ev(place=by_surface), g)  # teh marbuta folded


def test_null_gold_place_accepts_any_place() -> None:
    g = gold(ev(place=None))
    assert eligible(ev(place=DERNA), g)
    assert eligible(ev(place=None), g)


def test_region_level_gold_accepts_same_country() -> None:
    region = Place("Southern Libya (Fezzan)", 27.03766, 14.42832, None, "Libya", 3)
    g = gold(ev(place=region))
    assert eligible(ev(place=Place("Murzuq", 25.9155, 13.9184, "Murzuq", "Libya", 1)), g)
    assert eligible(ev(place=Place("Libya", 27.0, 17.0, None, "LY", 3)), g)
    assert not eligible(ev(place=Place("Agadez", 16.97, 7.99, None, "Niger", 1)), g)
    # ...but a precise gold place keeps the 50 km rule.
    assert not eligible(
        ev(place=Place("Murzuq", 25.9155, 13.9184, "Murzuq", "Libya", 1)),
        gold(ev(place=Place("Sabha", 27.03766, 14.42832, "Sabha", "Libya", 1))),
    )


def test_date_tolerance_one_day() -> None:
    g = gold(ev(day=date(2016, 6, 15)))
    assert eligible(ev(day=date(2016, 6, 16)), g)
    assert eligible(ev(day=date(2016, 6, 14)), g)
    assert not eligible(ev(day=date(2016, 6, 17)), g)
    assert not eligible(ev(day=None), g)
    undated = gold(ev(day=None))
    assert eligible(ev(day=date(2001, 1, 1)), undated)
    assert eligible(ev(day=None), undated)


# --------------------------------------------------------------------------- actors


def test_actor_aliases_and_surface() -> None:
    assert actor_agrees(Actor("Libyan National Army", 1), LNA)
    assert actor_agrees(Actor("Military Forces of Libya (2014-2020) Libyan National Army", 1), LNA)
    assert actor_agrees(Actor("Something else", 1, surface="قوات حفتر"), LNA)
    assert actor_agrees(Actor("ISIS", 2), IS)
    assert not actor_agrees(Actor("ISIS", 2), LNA)
    assert not actor_agrees(None, LNA)
    assert actor_agrees(None, None)


# --------------------------------------------------------------------------- matching


def test_matching_is_optimal_not_greedy() -> None:
    # pred0 fits gold0 best but also fits gold1; pred1 fits only gold0. A greedy matcher
    # takes (pred0, gold0) and leaves pred1 unmatched; the optimal one makes two pairs.
    g0 = ev(place=SIRTE, day=date(2016, 6, 15), fatalities=3)
    g1 = ev(place=moved(SIRTE, -45, "South of Sirte"), day=None, a1=GNA, a2=LNA)
    p0 = ev(place=SIRTE, day=date(2016, 6, 15), fatalities=3)
    p1 = ev(place=moved(SIRTE, 30), day=date(2016, 6, 14), a1=None, a2=None)
    assert eligible(p0, gold(g0)) and eligible(p0, gold(g1)) and eligible(p1, gold(g0))
    assert not eligible(p1, gold(g1))
    m = match_events([p0, p1], [g0, g1])
    assert sorted(m.pairs) == [(0, 1), (1, 0)]
    assert m.unmatched_pred == () and m.unmatched_gold == ()


def test_matching_prefers_the_closer_gold_when_cardinality_ties() -> None:
    retake = ev(
        sub="Government regains territory", a1=LNA, a2=GNA, place=TRIPOLI, day=date(2020, 6, 1)
    )
    earlier = ev(sub="Government regains territory", a1=GNA, a2=LNA, place=TRIPOLI, day=None)
    pred = ev(
        sub="Government regains territory", a1=LNA, a2=GNA, place=TRIPOLI, day=date(2020, 6, 1)
    )
    m = match_events([pred], [earlier, retake])
    assert m.pairs == ((0, 1),)
    assert m.unmatched_gold == (0,)


def test_matching_prefers_required_over_optional() -> None:
    optional = gold(ev(fatalities=3), optional=True, gid="opt")
    required = gold(ev(a1=LNA, a2=None), gid="req")
    m = match_events([ev(fatalities=3)], [optional, required])
    assert m.pairs == ((0, 1),)


def test_matching_is_one_to_one() -> None:
    m = match_events([ev(), ev(), ev()], [ev()])
    assert len(m.pairs) == 1
    assert len(m.unmatched_pred) == 2
    assert match_events([], []).pairs == ()
    assert match_events([], [ev()]).unmatched_gold == (0,)


def test_hungarian_against_brute_force() -> None:
    rng = random.Random(20240611)
    for size in range(1, 7):
        for _ in range(25):
            cost = [
                [rng.choice([0.0, -1000.0 - rng.random() * 10]) for _ in range(size)]
                for _ in range(size)
            ]
            result = _hungarian(cost)
            assert sorted(result) == list(range(size))
            best = min(
                sum(cost[i][perm[i]] for i in range(size))
                for perm in itertools.permutations(range(size))
            )
            assert sum(cost[i][result[i]] for i in range(size)) == pytest.approx(best)


# --------------------------------------------------------------------------- scoring


def test_score_counts_and_f1() -> None:
    g_sirte = ev(place=SIRTE)
    g_derna = ev(place=DERNA, day=None, a1=Actor("Mujahideen Shura Council of Derna", 3))
    spurious = ev(event_type="Strategic developments", sub="Other", place=TRIPOLI)
    m1 = match_events([ev(place=SIRTE), spurious], [g_sirte, g_derna])
    m2 = match_events(
        [ev(place=TRIPOLI, day=date(2020, 6, 2))], [ev(place=TRIPOLI, day=date(2020, 6, 2))]
    )
    s = score([m1, m2])
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)


def test_score_empty_is_zero_not_an_error() -> None:
    s = score([match_events([], [])])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    s = score([match_events([ev()], [])])
    assert (s.tp, s.fp, s.fn, s.f1) == (0, 1, 0, 0.0)


def test_optional_gold_neither_rewarded_nor_penalised() -> None:
    meeting = ev(event_type="Strategic developments", sub="Other", place=None, day=None)
    found = score([match_events([meeting], [gold(meeting, optional=True)])])
    assert (found.tp, found.fp, found.fn) == (0, 0, 0)
    assert (found.optional_found, found.optional_total) == (1, 1)
    missed = score([match_events([], [gold(meeting, optional=True)])])
    assert (missed.tp, missed.fp, missed.fn) == (0, 0, 0)
    assert (missed.optional_found, missed.optional_total) == (0, 1)


def test_field_accuracy() -> None:
    g = gold(ev(a1=GNA, a2=LNA, fatalities=None, day=date(2020, 6, 2)))
    right = ev(a1=Actor("GNA", 1), a2=Actor("Haftar forces", 1), fatalities=0, day=date(2020, 6, 2))
    fields = field_agreement(right, g)
    assert fields["actor1"] and fields["actor2"] and fields["actors_any_order"]
    assert fields["fatalities"]  # None and 0 both mean "no death reported"
    assert fields["event_date"] and fields["place"] and fields["geo_precision"]

    wrong = ev(
        a1=Actor("Haftar forces", 1),
        a2=Actor("GNA", 8),
        fatalities=10,
        day=date(2020, 6, 1),
        place=moved(SIRTE, 20),
        time_precision=2,
    )
    fields = field_agreement(wrong, g)
    assert not fields["actor1"] and not fields["actor2"]
    assert fields["actors_any_order"]  # same two actors, swapped
    assert fields["actor1_inter"] and not fields["actor2_inter"]
    assert not fields["fatalities"]
    assert not fields["event_date"]  # matched (within a day) but not the exact day
    assert not fields["place"] and not fields["time_precision"]


def test_field_accuracy_skips_fields_the_gold_leaves_open() -> None:
    g = gold(ev(place=None, day=None))
    fields = field_agreement(ev(place=SIRTE, day=date(2016, 6, 1)), g)
    assert "event_date" not in fields and "place" not in fields and "geo_precision" not in fields


def test_score_tallies_fields_over_required_pairs_only() -> None:
    req = gold(ev(fatalities=3), gid="r")
    opt = gold(ev(place=DERNA, fatalities=7), optional=True, gid="o")
    s = score([match_events([ev(fatalities=3), ev(place=DERNA, fatalities=1)], [req, opt])])
    assert s.fields["fatalities"].correct == 1 and s.fields["fatalities"].total == 1
    assert s.fields["event_date"].accuracy == 1.0


# --------------------------------------------------------------------------- gold file

ACLED_TYPES = {
    "Battles": {
        "Armed clash",
        "Government regains territory",
        "Non-state actor overtakes territory",
    },
    "Explosions/Remote violence": {
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    },
    "Violence against civilians": {"Sexual violence", "Attack", "Abduction/forced disappearance"},
    "Protests": {
        "Peaceful protest",
        "Protest with intervention",
        "Excessive force against protesters",
    },
    "Riots": {"Violent demonstration", "Mob violence"},
    "Strategic developments": {
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    },
}
PLOVER = {
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
    "FIGHT",
}


def _gold_records() -> list[dict]:
    with open(DEFAULT_GOLD, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_gold_records_follow_the_acled_codebook() -> None:
    records = _gold_records()
    assert len(records) >= 20
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["sub_event_type"] in ACLED_TYPES[r["event_type"]], r["id"]
        assert r["plover_type"] in PLOVER, r["id"]
        assert r["cameo_code"].isdigit() and len(r["cameo_code"]) in (3, 4), r["id"]
        assert r["time_precision"] in (1, 2, 3), r["id"]
        assert r["story"] in (1, 2), r["id"]
        for n in (1, 2):
            if r[f"actor{n}"] is None:
                assert r[f"actor{n}_inter"] is None, r["id"]
            else:
                assert r[f"actor{n}_inter"] in range(1, 9), r["id"]
        if r["place"] is None:
            assert r["latitude"] is None and r["geo_precision"] is None, r["id"]
        else:
            assert r["geo_precision"] in (1, 2, 3), r["id"]
            if r["country"] == "Libya":  # inside Libya's bounding box
                assert 19.5 <= r["latitude"] <= 33.2 and 9.3 <= r["longitude"] <= 25.2, r["id"]
        assert r["published"] is not None, r["id"]
        if r["event_date"] is not None:
            delta = date.fromisoformat(r["published"]) - date.fromisoformat(r["event_date"])
            assert timedelta(0) <= delta <= timedelta(days=60), r["id"]
        if r["fatalities"] is not None:
            assert r["fatalities"] >= 0 and r["event_type"] != "Strategic developments"
        assert r["notes"].strip(), r["id"]


def test_gold_evidence_is_copied_verbatim_from_the_seed() -> None:
    records = _gold_records()
    for r in records:
        path = find_seed_file(r["seed"], DEFAULT_SEED_DIRS)
        if path is None:
            pytest.skip(f"seed file {r['seed']}.txt not available")
        assert r["evidence"] in path.read_text(encoding="utf-8"), r["id"]


def test_gold_is_consistent_under_its_own_matcher() -> None:
    # Coding every seed exactly as the gold does must score perfectly: no two gold events of
    # a seed may be confusable in a way that makes the matcher swap them.
    golds = load_gold(DEFAULT_GOLD)
    by_seed: dict[str, list[GoldEvent]] = {}
    for g in golds:
        by_seed.setdefault(g.seed, []).append(g)
    matchings = [match_events([g.event for g in gs], gs) for gs in by_seed.values()]
    for m in matchings:
        assert all(i == j for i, j in m.pairs)
    s = score(matchings)
    assert s.fn == 0 and s.fp == 0 and s.f1 == 1.0
    assert s.optional_found == s.optional_total > 0
    assert all(t.accuracy == 1.0 for t in s.fields.values() if t.total)


def test_seed_published_is_the_latest_story_date() -> None:
    golds = load_gold(DEFAULT_GOLD)
    glued = [g for g in golds if g.seed.startswith("000_")]
    assert {g.story for g in glued} == {1, 2}
    assert seed_published(glued) == date(2020, 6, 2)
    assert seed_published([]) is None


def test_gold_record_validation() -> None:
    base = _gold_records()[0]
    with pytest.raises(ValueError):
        gold_from_record({**base, "actor1": "Somebody", "actor1_inter": 9})
    g = gold_from_record({**base, "place": None})
    assert g.event.place is None


# --------------------------------------------------------------------------- the run


def test_evaluate_passes_gold_publication_dates_and_scores(tmp_path: Path) -> None:
    golds = load_gold(DEFAULT_GOLD)
    if any(find_seed_file(g.seed, DEFAULT_SEED_DIRS) is None for g in golds):
        pytest.skip("seed files not available")
    by_seed: dict[str, list[GoldEvent]] = {}
    for g in golds:
        by_seed.setdefault(g.seed, []).append(g)
    calls: list[tuple[str | None, date | None, int]] = []

    def replay_gold(
        text: str,
        published: date | None,
        article_id: str | None = None,
    ) -> list[CodedEvent]:
        # Replays the annotation of the seed it is given: checks the plumbing, not a coder.
        calls.append((article_id, published, len(text)))
        return [g.event for g in by_seed[article_id or ""] if not g.optional]

    results = evaluate(golds, DEFAULT_SEED_DIRS, replay_gold)
    assert [r.seed for r in results] == sorted(by_seed)
    for seed, published, length in calls:
        assert published == seed_published(by_seed[seed or ""])
        assert length > 200
    s = score(r.matching for r in results)
    assert s.f1 == 1.0 and s.optional_found == 0

    missing = evaluate(golds[:1], [tmp_path], replay_gold)
    assert missing[0].error is not None and "not found" in missing[0].error


def test_evaluate_reports_a_crashing_coder(tmp_path: Path) -> None:
    (tmp_path / "s1.txt").write_text("نص قصير عن اشتباكات في سرت.", encoding="utf-8")
    g = GoldEvent("g1", "s1", 1, date(2016, 6, 16), ev())

    def broken(
        text: str,
        published: date | None,
        article_id: str | None = None,
    ) -> list[CodedEvent]:
        raise RuntimeError("boom")

    (result,) = evaluate([g], [tmp_path], broken)
    assert result.error == "RuntimeError: boom"
    assert score([result.matching]).fn == 1


def test_main_rejects_a_missing_gold_file(tmp_path: Path) -> None:
    assert main(["--gold", str(tmp_path / "nope.jsonl")]) == 2

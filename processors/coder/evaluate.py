"""Evaluate the event coder against the hand-annotated gold events of the seed articles.

``python -m processors.coder.evaluate [--gold PATH] [--seeds-dir DIR] [--verbose] [--min-f1 X]``

For every seed file named in the gold, the raw text is cleaned with the pipeline's clean
stage (glued stories are joined back with a blank line: the evaluation codes the whole
cleaned file) and passed to ``code_article`` with the seed's publication date from the
gold. Predictions are matched one-to-one to that seed's gold events, then scored.

Matching. A prediction may match a gold event when (a) the ACLED event types agree,
(b) the places agree -- same normalised name or alias, or within ``MATCH_RADIUS_KM`` by
haversine, or, for a region-level gold place (geo precision 3), a prediction in the same
country and admin1; a null gold place accepts any place -- and (c) when the gold has an
``event_date``, the predicted date is within ``DATE_TOLERANCE_DAYS``. Among eligible pairs
the assignment is optimal (Hungarian algorithm): first the largest number of pairs, then
required gold before optional gold, then the highest similarity (sub-event type, actors,
exact date, place name, fatalities, distance).

Scoring. Gold events marked ``optional`` (acceptable but not required, see
tests/gold/README.md) are neither rewarded nor penalised: a prediction matched to one is
not a false positive, an optional gold left unmatched is not a false negative. Field
accuracies are computed over the matched pairs with a required gold event.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from processors.coder.gazetteer import haversine_km
from processors.coder.model import Actor, CodedEvent, Place
from processors.coder.text import normalize

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = REPO_ROOT / "tests" / "gold" / "seeds_gold.jsonl"
DEFAULT_SEED_DIRS = (REPO_ROOT / "seeds", REPO_ROOT.parent / "shared" / "seeds")

MATCH_RADIUS_KM = 50.0  # places closer than this agree for event matching
SAME_PLACE_KM = 5.0  # for the place-name field: a different spelling of the same settlement
DATE_TOLERANCE_DAYS = 1

_MAX_SIMILARITY = 6.0  # upper bound of ``similarity``

Coder = Callable[[str, date | None, str | None], list[CodedEvent]]

# Canonical actor names used in the gold, with the spellings a coder may legitimately use
# (ACLED-style names, common English short forms, and the Arabic surface forms).
ACTOR_ALIASES: dict[str, tuple[str, ...]] = {
    "Military Forces of Libya (2016-2021) Government of National Accord": (
        "Government of National Accord",
        "GNA",
        "GNA forces",
        "Military Forces of Libya GNA",
        "Forces of the Government of National Accord",
        "Al Bunyan al Marsous",
        "قوات حكومة الوفاق",
        "قوات الوفاق",
        "حكومة الوفاق الوطني",
        "حكومة الوفاق",
        "قوات حكومة الوفاق الوطني",
        "البنيان المرصوص",
    ),
    "Military Forces of Libya (2014-) Libyan National Army": (
        "Libyan National Army",
        "LNA",
        "Libyan Arab Armed Forces",
        "LAAF",
        "Haftar forces",
        "Military Forces of Libya (2014-) House of Representatives",
        "Military Forces of Libya LNA",
        "قوات حفتر",
        "الجيش الوطني الليبي",
        "قوات خليفة حفتر",
        "قوات المشير خليفة حفتر",
    ),
    "Islamic State (Libya)": (
        "Islamic State",
        "IS",
        "ISIS",
        "ISIL",
        "Daesh",
        "Islamic State in Libya",
        "ISIS-Libya",
        "IS-Libya",
        "داعش",
        "تنظيم داعش",
        "الدولة الإسلامية",
        "تنظيم الدولة الإسلامية",
        "تنظيم الدولة",
    ),
    "Mujahideen Shura Council of Derna": (
        "Derna Mujahideen Shura Council",
        "DMSC",
        "Shura Council of Mujahideen in Derna",
        "Mujahideen Shura Council",
        "مجلس شورى المجاهدين",
        "مجلس شورى مجاهدي درنة",
        "مجلس شورى درنة",
    ),
    "Petroleum Facilities Guard": (
        "PFG",
        "Military Forces of Libya Petroleum Facilities Guard",
        "حرس المنشآت النفطية",
    ),
    "Military Forces of the United States": (
        "US military",
        "US forces",
        "United States military",
        "AFRICOM",
        "US Africa Command",
        "United States Africa Command",
        "القوات الأمريكية",
        "القوات الأميركية",
    ),
    "Government of the United States": (
        "United States",
        "US government",
        "USA",
        "US Treasury",
        "Department of the Treasury",
        "الولايات المتحدة",
        "وزارة الخزانة الأمريكية",
        "وزارة الخزانة الأميركية",
    ),
    "Government of the United Kingdom": ("United Kingdom", "UK government", "بريطانيا"),
    "United Nations Security Council": (
        "UNSC",
        "UN Security Council",
        "مجلس الأمن",
        "مجلس الأمن الدولي",
    ),
    "Counter-ISIL Finance Group": (
        "CIFG",
        "Global Coalition Against Daesh",
        "Global Coalition",
        "مجموعة مكافحة مصادر تمويل داعش",
    ),
}

_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "Libya": ("LY", "LBY", "ليبيا"),
    "Italy": ("IT", "ITA", "إيطاليا"),
    "Luxembourg": ("LU", "LUX", "لوكسمبورغ"),
    "United Kingdom": ("UK", "GB", "GBR", "بريطانيا"),
    "United States": ("US", "USA", "الولايات المتحدة"),
}

_PARENS = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^\w]+")
_ARTICLES = frozenset({"al", "el", "the"})


# --------------------------------------------------------------------------- names and places


def norm_name(name: str | None) -> str:
    """Fold a name for comparison: Arabic normalisation, case, parentheses, punctuation,
    Latin articles ('al-', 'el', 'the')."""
    if not name:
        return ""
    text = _PARENS.sub(" ", normalize(name).casefold())
    words = [w for w in _NON_WORD.sub(" ", text).replace("_", " ").split() if w not in _ARTICLES]
    return " ".join(words)


def _alias_index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in (canonical, *aliases):
            index.setdefault(norm_name(alias), norm_name(canonical))
    return index


_ACTOR_INDEX = _alias_index(ACTOR_ALIASES)
_COUNTRY_INDEX = _alias_index(_COUNTRY_ALIASES)


def canonical_actor(name: str | None) -> str:
    """The canonical (normalised) identity of an actor name; unknown names map to themselves."""
    key = norm_name(name)
    return _ACTOR_INDEX.get(key, key)


def actor_agrees(pred: Actor | None, gold: Actor | None) -> bool:
    """Same actor: both absent, or equal canonical names (the prediction's name or surface)."""
    if pred is None or gold is None:
        return pred is None and gold is None
    target = canonical_actor(gold.name)
    return canonical_actor(pred.name) == target or (
        pred.surface is not None and canonical_actor(pred.surface) == target
    )


def _actor_pair_fraction(pred: CodedEvent, gold: CodedEvent) -> float:
    """Share (0-1) of the gold actors found among the predicted actors, order ignored."""
    gold_actors = [a for a in (gold.actor1, gold.actor2) if a is not None]
    pred_actors = [a for a in (pred.actor1, pred.actor2) if a is not None]
    if not gold_actors:
        return 1.0 if not pred_actors else 0.0
    found = 0
    remaining = list(pred_actors)
    for g in gold_actors:
        for p in remaining:
            if actor_agrees(p, g):
                remaining.remove(p)
                found += 1
                break
    return found / max(len(gold_actors), len(pred_actors))


def _distance(pred: Place, gold: Place) -> float:
    return haversine_km(pred.latitude, pred.longitude, gold.latitude, gold.longitude)


def _same_country(a: str | None, b: str | None) -> bool:
    ka, kb = norm_name(a), norm_name(b)
    return bool(ka) and _COUNTRY_INDEX.get(ka, ka) == _COUNTRY_INDEX.get(kb, kb)


# --------------------------------------------------------------------------- gold events


@dataclass(frozen=True)
class GoldEvent:
    """A gold annotation: the event as a ``CodedEvent`` plus annotation metadata."""

    gold_id: str
    seed: str
    story: int
    published: date | None
    event: CodedEvent
    optional: bool = False
    place_aliases: tuple[str, ...] = ()


def _as_gold(item: CodedEvent | GoldEvent, index: int) -> GoldEvent:
    if isinstance(item, GoldEvent):
        return item
    return GoldEvent(gold_id=f"g{index}", seed="", story=1, published=None, event=item)


def _opt_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _actor(name: str | None, inter: int | None) -> Actor | None:
    if not name:
        return None
    if inter is None or not 1 <= int(inter) <= 8:
        raise ValueError(f"actor {name!r} needs an inter code 1-8, got {inter!r}")
    return Actor(name=name, inter_code=int(inter))


def gold_from_record(rec: dict[str, Any]) -> GoldEvent:
    """Build a ``GoldEvent`` from one line of the gold JSONL file."""
    place = None
    if rec.get("place"):
        place = Place(
            name=rec["place"],
            latitude=float(rec["latitude"]),
            longitude=float(rec["longitude"]),
            admin1=rec.get("admin1"),
            country=rec["country"],
            geo_precision=int(rec["geo_precision"]),
        )
    evidence = rec.get("evidence") or ""
    event = CodedEvent(
        event_type=rec["event_type"],
        sub_event_type=rec["sub_event_type"],
        cameo_code=rec.get("cameo_code") or "",
        plover_type=rec.get("plover_type") or "",
        actor1=_actor(rec.get("actor1"), rec.get("actor1_inter")),
        actor2=_actor(rec.get("actor2"), rec.get("actor2_inter")),
        place=place,
        event_date=_opt_date(rec.get("event_date")),
        time_precision=rec.get("time_precision"),
        fatalities=rec.get("fatalities"),
        evidence=evidence,
        evidence_start=0,
        evidence_end=len(evidence),
        confidence=1.0,
        coder_version="gold",
        notes=rec.get("notes") or "",
    )
    return GoldEvent(
        gold_id=rec.get("id") or "",
        seed=rec["seed"],
        story=int(rec.get("story", 1)),
        published=_opt_date(rec.get("published")),
        event=event,
        optional=bool(rec.get("optional", False)),
        place_aliases=tuple(rec.get("place_aliases") or ()),
    )


def load_gold(path: Path) -> list[GoldEvent]:
    """Read the gold JSONL file (blank lines and lines starting with '#' are skipped)."""
    golds: list[GoldEvent] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                golds.append(gold_from_record(json.loads(line)))
            except (KeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: bad gold record: {exc}") from exc
    return golds


def seed_published(golds: Iterable[GoldEvent]) -> date | None:
    """The publication date to code a seed with: the latest of its stories' dates (a page
    that carries several glued stories cannot predate the newest of them)."""
    dates = [g.published for g in golds if g.published is not None]
    return max(dates) if dates else None


# --------------------------------------------------------------------------- matching


def _label(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


def place_name_agrees(pred: Place | None, gold: GoldEvent) -> bool:
    """Predicted place name (or its surface) equals the gold name or one of its aliases."""
    gp = gold.event.place
    if gp is None or pred is None:
        return gp is None and pred is None
    gold_names = {norm_name(gp.name), *(norm_name(a) for a in gold.place_aliases)} - {""}
    pred_names = {norm_name(pred.name), norm_name(pred.surface)} - {""}
    return bool(gold_names & pred_names)


def place_matches(pred: Place | None, gold: GoldEvent, radius_km: float = MATCH_RADIUS_KM) -> bool:
    """Matching criterion (b): the places agree (see the module docstring)."""
    gp = gold.event.place
    if gp is None:
        return True
    if pred is None:
        return False
    if place_name_agrees(pred, gold) or _distance(pred, gp) <= radius_km:
        return True
    if gp.geo_precision == 3 and _same_country(pred.country, gp.country):
        return gp.admin1 is None or norm_name(pred.admin1) == norm_name(gp.admin1)
    return False


def date_matches(
    pred: date | None, gold: date | None, tolerance_days: int = DATE_TOLERANCE_DAYS
) -> bool:
    """Matching criterion (c): no gold date, or a predicted date within the tolerance."""
    if gold is None:
        return True
    return pred is not None and abs((pred - gold).days) <= tolerance_days


def eligible(
    pred: CodedEvent,
    gold: GoldEvent,
    radius_km: float = MATCH_RADIUS_KM,
    tolerance_days: int = DATE_TOLERANCE_DAYS,
) -> bool:
    """True when ``pred`` may be matched to ``gold`` (criteria a, b and c)."""
    return (
        _label(pred.event_type) == _label(gold.event.event_type)
        and place_matches(pred.place, gold, radius_km)
        and date_matches(pred.event_date, gold.event.event_date, tolerance_days)
    )


def similarity(pred: CodedEvent, gold: GoldEvent, radius_km: float = MATCH_RADIUS_KM) -> float:
    """Tie-breaking similarity between an eligible pair, 0-6 (higher is closer)."""
    g = gold.event
    sim = float(_label(pred.sub_event_type) == _label(g.sub_event_type))
    sim += _actor_pair_fraction(pred, g)
    sim += float(g.event_date is not None and pred.event_date == g.event_date)
    sim += float(place_name_agrees(pred.place, gold))
    sim += float((pred.fatalities or 0) == (g.fatalities or 0))
    if pred.place is not None and g.place is not None:
        sim += max(0.0, 1.0 - _distance(pred.place, g.place) / radius_km)
    return sim


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Minimum-cost assignment for a square matrix: ``result[row] = column``."""
    n = len(cost)
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    p = [0] * (n + 1)  # p[column] = row assigned to it (1-based, 0 = none)
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [math.inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], math.inf, 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    result = [0] * n
    for j in range(1, n + 1):
        if p[j]:
            result[p[j] - 1] = j - 1
    return result


@dataclass(frozen=True)
class Matching:
    """One-to-one alignment of one article's predictions with its gold events."""

    pred: tuple[CodedEvent, ...]
    gold: tuple[GoldEvent, ...]
    pairs: tuple[tuple[int, int], ...]  # (prediction index, gold index)

    @property
    def unmatched_pred(self) -> tuple[int, ...]:
        """Indexes of predictions matched to no gold event."""
        used = {p for p, _ in self.pairs}
        return tuple(i for i in range(len(self.pred)) if i not in used)

    @property
    def unmatched_gold(self) -> tuple[int, ...]:
        """Indexes of gold events matched by no prediction."""
        used = {g for _, g in self.pairs}
        return tuple(i for i in range(len(self.gold)) if i not in used)


def match_events(
    pred: Sequence[CodedEvent],
    gold: Sequence[CodedEvent | GoldEvent],
    radius_km: float = MATCH_RADIUS_KM,
    tolerance_days: int = DATE_TOLERANCE_DAYS,
) -> Matching:
    """Match predictions to gold events one-to-one (optimal assignment over eligible pairs).

    ``gold`` may hold plain ``CodedEvent`` objects (required, no place aliases).
    """
    golds = tuple(_as_gold(g, i) for i, g in enumerate(gold))
    preds = tuple(pred)
    size = max(len(preds), len(golds))
    # Lexicographic weights: one more pair beats any bonuses, one more required gold beats
    # any similarity (a matching has at most ``size`` pairs).
    required_bonus = (_MAX_SIMILARITY + 1) * (size + 1)
    base = (required_bonus + _MAX_SIMILARITY + 1) * (size + 1)
    weight = [[0.0] * size for _ in range(size)]
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            if eligible(p, g, radius_km, tolerance_days):
                bonus = 0.0 if g.optional else required_bonus
                weight[i][j] = base + bonus + similarity(p, g, radius_km)
    if size == 0:
        return Matching(preds, golds, ())
    assignment = _hungarian([[-w for w in row] for row in weight])
    pairs = tuple(
        (i, j)
        for i, j in enumerate(assignment)
        if i < len(preds) and j < len(golds) and weight[i][j] > 0
    )
    return Matching(preds, golds, pairs)


# --------------------------------------------------------------------------- scoring


def _fatalities(pred: CodedEvent, gold: GoldEvent) -> bool | None:
    # ACLED records 0 when no death is reported; the coder may say None for the same thing.
    return (pred.fatalities or 0) == (gold.event.fatalities or 0)


def _event_date(pred: CodedEvent, gold: GoldEvent) -> bool | None:
    return None if gold.event.event_date is None else pred.event_date == gold.event.event_date


def _place_name(pred: CodedEvent, gold: GoldEvent) -> bool | None:
    gp = gold.event.place
    if gp is None:
        return None
    if pred.place is None:
        return False
    return place_name_agrees(pred.place, gold) or _distance(pred.place, gp) <= SAME_PLACE_KM


def _geo_precision(pred: CodedEvent, gold: GoldEvent) -> bool | None:
    gp = gold.event.place
    if gp is None:
        return None
    return pred.place is not None and pred.place.geo_precision == gp.geo_precision


def _inter(actor: Actor | None) -> int | None:
    return None if actor is None else actor.inter_code


FIELD_CHECKS: dict[str, Callable[[CodedEvent, GoldEvent], bool | None]] = {
    "sub_event_type": lambda p, g: _label(p.sub_event_type) == _label(g.event.sub_event_type),
    "actor1": lambda p, g: actor_agrees(p.actor1, g.event.actor1),
    "actor2": lambda p, g: actor_agrees(p.actor2, g.event.actor2),
    "actor1_inter": lambda p, g: _inter(p.actor1) == _inter(g.event.actor1),
    "actor2_inter": lambda p, g: _inter(p.actor2) == _inter(g.event.actor2),
    "actors_any_order": lambda p, g: _actor_pair_fraction(p, g.event) == 1.0,
    "fatalities": _fatalities,
    "event_date": _event_date,
    "time_precision": lambda p, g: p.time_precision == g.event.time_precision,
    "place": _place_name,
    "geo_precision": _geo_precision,
    "plover_type": lambda p, g: _label(p.plover_type) == _label(g.event.plover_type),
}


def field_agreement(pred: CodedEvent, gold: GoldEvent) -> dict[str, bool]:
    """Per-field agreement of a matched pair (fields not applicable to the gold are left out)."""
    out: dict[str, bool] = {}
    for name, check in FIELD_CHECKS.items():
        verdict = check(pred, gold)
        if verdict is not None:
            out[name] = verdict
    return out


@dataclass
class FieldTally:
    """How many matched pairs got a field right, out of those where it applies."""

    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float | None:
        """correct / total, None when the field never applied."""
        return self.correct / self.total if self.total else None


@dataclass
class Scores:
    """Event-detection and per-field figures over one or more matched articles."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    optional_found: int = 0
    optional_total: int = 0
    fields: dict[str, FieldTally] = field(
        default_factory=lambda: {name: FieldTally() for name in FIELD_CHECKS}
    )

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(matchings: Iterable[Matching]) -> Scores:
    """Aggregate detection counts and field accuracies over matched articles."""
    scores = Scores()
    for m in matchings:
        matched_gold = {g for _, g in m.pairs}
        scores.fp += len(m.unmatched_pred)
        for j, g in enumerate(m.gold):
            if g.optional:
                scores.optional_total += 1
                scores.optional_found += int(j in matched_gold)
            elif j not in matched_gold:
                scores.fn += 1
        for i, j in m.pairs:
            gold = m.gold[j]
            if gold.optional:
                continue
            scores.tp += 1
            for name, ok in field_agreement(m.pred[i], gold).items():
                tally = scores.fields[name]
                tally.total += 1
                tally.correct += int(ok)
    return scores


# --------------------------------------------------------------------------- running the coder


@dataclass(frozen=True)
class SeedResult:
    """The outcome of coding one seed file."""

    seed: str
    published: date | None
    matching: Matching
    error: str | None = None


def find_seed_file(seed: str, seed_dirs: Sequence[Path]) -> Path | None:
    """The first ``<dir>/<seed>.txt`` that exists."""
    for directory in seed_dirs:
        path = directory / f"{seed}.txt"
        if path.is_file():
            return path
    return None


def cleaned_text(raw: str) -> str:
    """The whole file as the clean stage sees it: its stories joined by a blank line."""
    from processors.cleaning.clean import clean_text

    stories = clean_text(raw)
    return "\n\n".join(s.text for s in stories) if stories else raw


def _load_coder() -> Coder:
    from processors.coder.events import code_article

    return code_article


def evaluate(
    golds: Sequence[GoldEvent], seed_dirs: Sequence[Path], coder: Coder | None = None
) -> list[SeedResult]:
    """Code every seed named in ``golds`` and match its predictions to its gold events."""
    coder = coder or _load_coder()
    by_seed: dict[str, list[GoldEvent]] = {}
    for g in golds:
        by_seed.setdefault(g.seed, []).append(g)
    results: list[SeedResult] = []
    for seed in sorted(by_seed):
        seed_golds = by_seed[seed]
        published = seed_published(seed_golds)
        path = find_seed_file(seed, seed_dirs)
        if path is None:
            dirs = ", ".join(str(d) for d in seed_dirs)
            results.append(
                SeedResult(
                    seed,
                    published,
                    match_events([], seed_golds),
                    f"seed file {seed}.txt not found in {dirs}",
                )
            )
            continue
        error = None
        try:
            preds = list(coder(cleaned_text(path.read_text(encoding="utf-8")), published, seed))
        except Exception as exc:  # one failing seed must not hide the others
            preds, error = [], f"{type(exc).__name__}: {exc}"
        results.append(SeedResult(seed, published, match_events(preds, seed_golds), error))
    return results


# --------------------------------------------------------------------------- report


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def _actor_str(actor: Actor | None) -> str:
    return "-" if actor is None else f"{actor.name} [{actor.inter_code}]"


def _place_str(place: Place | None) -> str:
    if place is None:
        return "-"
    return f"{place.name} ({place.latitude:.3f},{place.longitude:.3f}) gp{place.geo_precision}"


def describe(event: CodedEvent) -> str:
    """One line summarising an event for the report."""
    day = event.event_date.isoformat() if event.event_date else "????-??-??"
    return (
        f"{event.event_type} / {event.sub_event_type} | {_actor_str(event.actor1)} vs "
        f"{_actor_str(event.actor2)} | {_place_str(event.place)} | {day} "
        f"tp{event.time_precision} | fat={event.fatalities}"
    )


def _snippet(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _why_unmatched(gold: GoldEvent, preds: Sequence[CodedEvent]) -> str:
    """Which matching criterion the closest same-type prediction failed, if any."""
    same_type = [p for p in preds if _label(p.event_type) == _label(gold.event.event_type)]
    if not same_type:
        return "no prediction of this event type"
    place_ok = [p for p in same_type if place_matches(p.place, gold)]
    if not place_ok:
        return f"{len(same_type)} same-type prediction(s), none at an agreeing place"
    if not any(date_matches(p.event_date, gold.event.event_date) for p in place_ok):
        return "same type and place, but no date within tolerance"
    return "eligible predictions were assigned to other gold events"


def format_report(results: Sequence[SeedResult], scores: Scores, verbose: bool) -> str:
    """The text report printed by the command."""
    lines: list[str] = []
    n_req = scores.tp + scores.fn
    lines.append(
        f"Gold: {n_req} required + {scores.optional_total} optional events, "
        f"{len(results)} seed files"
    )
    lines.append(
        f"Event detection: TP {scores.tp}  FP {scores.fp}  FN {scores.fn}   "
        f"precision {scores.precision:.3f}  recall {scores.recall:.3f}  "
        f"F1 {scores.f1:.3f}"
    )
    lines.append(
        f"Optional gold events matched: {scores.optional_found}/{scores.optional_total}"
        " (neither rewarded nor penalised)"
    )
    lines.append("Field accuracy over matched required pairs:")
    for name, tally in scores.fields.items():
        lines.append(f"  {name:<17} {tally.correct:>3}/{tally.total:<3} {_fmt(tally.accuracy)}")
    lines.append("Per seed:")
    lines.append(f"  {'seed':<22} {'published':<10}  pred  gold(req+opt)  TP  FP  FN")
    for r in results:
        m = r.matching
        req = sum(not g.optional for g in m.gold)
        s = score([m])
        pub = r.published.isoformat() if r.published else "-"
        lines.append(
            f"  {r.seed:<22} {pub:<10}  {len(m.pred):>4}  {req:>3}+{len(m.gold) - req:<9}"
            f" {s.tp:>3} {s.fp:>3} {s.fn:>3}" + (f"  ERROR {r.error}" if r.error else "")
        )
    if verbose:
        lines.extend(_verbose_lines(results))
    return "\n".join(lines)


def _verbose_lines(results: Sequence[SeedResult]) -> list[str]:
    lines: list[str] = []
    for r in results:
        m = r.matching
        lines.append("")
        lines.append(f"=== {r.seed} (published {r.published or '-'})")
        if r.error:
            lines.append(f"  ERROR: {r.error}")
        for i, j in sorted(m.pairs, key=lambda pair: pair[1]):
            g = m.gold[j]
            tag = "OPTIONAL-MATCH" if g.optional else "MATCH"
            wrong = [k for k, ok in field_agreement(m.pred[i], g).items() if not ok]
            lines.append(f"  {tag} {g.gold_id}: wrong fields: {', '.join(wrong) or 'none'}")
            lines.append(f"      gold: {describe(g.event)}")
            lines.append(f"      pred: {describe(m.pred[i])}")
            lines.append(f"      pred evidence: {_snippet(m.pred[i].evidence)}")
        for j in m.unmatched_gold:
            g = m.gold[j]
            tag = "missed-optional" if g.optional else "MISSED (FN)"
            lines.append(f"  {tag} {g.gold_id}: {describe(g.event)}")
            why = "the coder raised for this seed" if r.error else _why_unmatched(g, m.pred)
            lines.append(f"      why: {why}")
            lines.append(f"      evidence: {_snippet(g.event.evidence)}")
        for i in m.unmatched_pred:
            p = m.pred[i]
            lines.append(f"  SPURIOUS (FP): {describe(p)}")
            lines.append(f"      evidence: {_snippet(p.evidence)}")
    return lines


# --------------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m processors.coder.evaluate",
        description="Score the event coder against the gold annotation of the seed articles.",
    )
    parser.add_argument(
        "--gold", type=Path, default=DEFAULT_GOLD, help=f"gold JSONL file (default: {DEFAULT_GOLD})"
    )
    parser.add_argument(
        "--seeds-dir",
        type=Path,
        action="append",
        default=None,
        help="directory of <seed>.txt files (repeatable; default: the repo's "
        "seeds/, then ../shared/seeds)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="per-seed detail: matches, missed gold events, spurious predictions",
    )
    parser.add_argument(
        "--min-f1",
        type=float,
        default=None,
        help="exit with status 1 when the event-detection F1 is below this",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; 0 on success, 1 below --min-f1 or when a seed could not be coded,
    2 when the gold or the coder cannot be loaded."""
    args = _parser().parse_args(argv)
    try:
        golds = load_gold(args.gold)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read gold: {exc}", file=sys.stderr)
        return 2
    try:
        coder = _load_coder()
    except ImportError as exc:
        print(f"error: the event coder is not importable: {exc}", file=sys.stderr)
        return 2
    seed_dirs = args.seeds_dir or list(DEFAULT_SEED_DIRS)
    results = evaluate(golds, seed_dirs, coder)
    scores = score(r.matching for r in results)
    print(format_report(results, scores, args.verbose))
    status = 0
    for r in results:
        if r.error:
            print(f"error: {r.seed}: {r.error}", file=sys.stderr)
            status = 1
    if args.min_f1 is not None and scores.f1 < args.min_f1:
        print(f"F1 {scores.f1:.3f} is below --min-f1 {args.min_f1:.3f}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())

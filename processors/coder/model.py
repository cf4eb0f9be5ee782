"""Plain data the event coder returns: one ``CodedEvent`` per real-world event reported.

These are the coder's own types (pure Python, no Faust): the extract agent converts
them into the versioned ``EventRecord`` message of ``marsad.schemas``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor as coded by ACLED: a name and its interaction ("inter") code 1-8.

    inter codes: 1 state forces, 2 rebel groups, 3 political militias, 4 identity
    militias, 5 rioters, 6 protesters, 7 civilians, 8 external/other forces.
    """

    name: str
    inter_code: int
    country: str | None = None
    wikidata: str | None = None
    surface: str | None = None  # the Arabic words that named it in the text


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved location. ``geo_precision`` follows ACLED: 1 exact town, 2 near/part
    of a region, 3 only a province/region/country."""

    name: str
    latitude: float
    longitude: float
    admin1: str | None
    country: str
    geo_precision: int
    surface: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class CodedEvent:
    """One event, as an ACLED/GDELT analyst would record it."""

    event_type: str  # ACLED event type, e.g. "Battles"
    sub_event_type: str  # ACLED sub-event type, e.g. "Armed clash"
    cameo_code: str  # CAMEO event code, e.g. "190"
    plover_type: str  # PLOVER event category, e.g. "FIGHT"
    actor1: Actor | None
    actor2: Actor | None
    place: Place | None
    event_date: date | None
    time_precision: int | None  # ACLED: 1 day, 2 week, 3 month
    fatalities: int | None  # ACLED conservative count; None when the text gives none
    evidence: str  # the Arabic sentence that reports the event
    evidence_start: int  # character offsets of ``evidence`` in the cleaned article text
    evidence_end: int
    confidence: float
    coder_version: str
    notes: str = ""
    injuries: int | None = None
    arrests: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

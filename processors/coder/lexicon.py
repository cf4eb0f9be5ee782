"""Trigger, actor and cue lexicons of the event coder, and their token matchers.

The lexicons are data files under ``data/`` (one row per entry, each with a ``source``):

* ``triggers.csv`` - event words. Verbs are given as ``past|present`` stems and expanded here
  into their conjugations (perfect with subject and object suffixes, imperfect with the four
  person prefixes, and the ``سـ`` future), nouns into their accusative, dual and possessive
  forms. A verb row with an ``object`` list matches only when one of those words follows the
  verb within ``max_gap`` tokens (``صدت القوات الليبية هجوما``).
* ``event_codes.csv`` - every event code: ACLED event/sub-event type, CAMEO code, PLOVER type.
* ``actors.csv`` - named actors with their aliases, ACLED inter code, country and Wikidata id,
  country rows with their gentilic adjective, and anaphors (``التنظيم``).
* ``cues.csv`` - negation, modality, background, role-marker and actor-head words.

Everything is loaded once (module-level cache) into dictionaries keyed on normalised words, so
matching is a handful of dict lookups per token: no regular expression runs per entry.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from processors.coder import DATA_DIR
from processors.coder.text import Memo, Token, normalize, phrase_key, stems_of

STRENGTHS = {"strong": 1.0, "medium": 0.6, "weak": 0.3}

# Proclitics a verb may carry (conjunctions); articles and prepositions never attach to verbs.
_VERB_PREFIXES = frozenset({"", "و", "ف"})
_OBJECT_SUFFIXES = ("", "ه", "ها", "هم", "هما", "هن", "كم")
_PRESENT_PREFIXES = ("ي", "ت", "ن", "ا")
_PRESENT_SUFFIXES = ("", "ون", "ان", "ين", "ن", "وا", "ا")


# ---------------------------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventCode:
    """One row of ``event_codes.csv``."""

    code: str
    acled_event_type: str
    acled_sub_event_type: str
    cameo_code: str
    cameo_label: str
    plover_type: str
    plover_mode: str
    in_acled: bool
    source: str


@dataclass(frozen=True, slots=True)
class TriggerEntry:
    """One row of ``triggers.csv`` (``code`` is empty for evidence-only families)."""

    row: int
    family: str
    pos: str
    lemma: str
    code: str
    strength: str
    objects: frozenset[str]
    max_gap: int
    not_before: frozenset[str]
    source: str

    @property
    def weight(self) -> float:
        """Numeric strength in (0, 1]."""
        return STRENGTHS[self.strength]


class TriggerMatch(NamedTuple):
    """A trigger found in a token list (token indexes are inclusive).

    Match types (``TriggerMatch``, ``ActorMention``, ``CueMatch``) are immutable named
    tuples rather than frozen dataclasses: a sentence makes hundreds of them and a frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) costs several times more.
    """

    entry: TriggerEntry
    first: int
    last: int
    head: int
    object_index: int | None
    aspect: str  # perfect | imperfect | future | noun
    start: int
    end: int
    surface: str

    @property
    def family(self) -> str:
        """The trigger family, e.g. ``ATTACK``."""
        return self.entry.family


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """One row of ``actors.csv``."""

    actor_id: str
    name: str
    inter_code: int
    country: str | None
    wikidata: str | None
    actor_type: str
    forces_id: str | None
    anaphor_of: str | None
    state_from: str | None
    state_to: str | None
    source: str


class ActorMention(NamedTuple):
    """An actor named in a token list.

    ``actor`` is the lexicon entry; for generic forces (``القوات الأمريكية``, ``الشرطة``)
    ``actor`` is None, ``generic`` says which (military, military_air, police, government)
    and ``country`` is the gentilic's country or None when the context must supply it.
    ``prefix`` is the proclitic on the first token (``ل`` of ``لمسلحي``) and ``prev`` the
    normalised token before the mention, both used to decide who did what to whom.
    """

    actor: ActorEntry | None
    generic: str | None
    country: str | None
    first: int
    last: int
    start: int
    end: int
    surface: str
    prefix: str
    prev: str
    prev2: str = ""

    @property
    def actor_type(self) -> str:
        """``org``, ``state_forces``, ``gov``, ..., or ``generic`` for head-noun forces."""
        return self.actor.actor_type if self.actor else "generic"


class CueMatch(NamedTuple):
    """A cue word or phrase (negation, modality, role marker...)."""

    kind: str
    value: str
    first: int
    last: int
    norm: str


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _split(cell: str | None, sep: str = ";") -> list[str]:
    return [part.strip() for part in (cell or "").split(sep) if part.strip()]


@lru_cache(maxsize=1)
def event_codes() -> dict[str, EventCode]:
    """All event codes keyed by code."""
    out: dict[str, EventCode] = {}
    for row in _read_csv("event_codes.csv"):
        out[row["code"]] = EventCode(
            code=row["code"],
            acled_event_type=row["acled_event_type"],
            acled_sub_event_type=row["acled_sub_event_type"],
            cameo_code=row["cameo_code"],
            cameo_label=row["cameo_label"],
            plover_type=row["plover_type"],
            plover_mode=row["plover_mode"],
            in_acled=row["acled_scope"] == "yes",
            source=row["source"],
        )
    return out


def noun_variants(word: str) -> set[str]:
    """Normalised inflected forms of a noun: accusative, dual and possessive suffixes."""
    forms = {word}
    if word.endswith("ه"):  # teh marbuta (folded): غاره -> غارتين, غارته
        construct = word[:-1] + "ت"
        forms.update(construct + suffix for suffix in ("ين", "ان", "ه", "ها", "هم", "هما"))
    elif word.endswith("ات"):
        forms.update(word + suffix for suffix in ("ه", "ها", "هم"))
    elif word.endswith("ا"):
        forms.update(word[:-1] + suffix for suffix in ("ه", "ها", "هم"))
    else:
        forms.update(word + suffix for suffix in ("ا", "ه", "ها", "هم", "هما", "ين", "ان"))
    return forms


def verb_forms(
    past: list[str], present: list[str], transitive: bool = True
) -> dict[str, str]:
    """Normalised conjugated forms of a verb mapped to their aspect.

    ``past`` and ``present`` are 3rd person masculine singular stems (``هاجم``, ``يهاجم``).
    Intransitive verbs get no object suffixes (تظاهر + ه would read as the noun تظاهرة).
    """
    objects = _OBJECT_SUFFIXES if transitive else ("",)
    forms: dict[str, str] = {}
    for stem in past:
        bases = [stem + s for s in ("", "ت", "ا", "تا", "نا", "تم", "ن")]
        plural = [stem]
        if stem.endswith("ي") and len(stem) > 2:  # defective: ألقى -> ألقت، ألقوا
            bases += [stem[:-1] + s for s in ("ت", "تا")]
            plural.append(stem[:-1])
        for base in bases:
            for obj in objects:
                forms.setdefault(base + obj, "perfect")
        for base in plural:
            forms.setdefault(base + "وا", "perfect")
            for obj in objects[1:]:
                forms.setdefault(base + "و" + obj, "perfect")
    for stem in present:
        core = stem[1:] if stem.startswith("ي") else stem
        cores = [(core, _PRESENT_SUFFIXES)]
        if core.endswith(("ي", "ا")) and len(core) > 2:  # defective: يلقي/يلقى -> يلقون
            cores.append((core[:-1], ("ون", "وا", "ين")))
        for base, suffixes in cores:
            for prefix in _PRESENT_PREFIXES:
                for suffix in suffixes:
                    for obj in objects:
                        form = prefix + base + suffix + obj
                        forms.setdefault(form, "imperfect")
                        forms.setdefault("س" + form, "future")
    return forms


@dataclass(frozen=True, slots=True)
class _TriggerIndex:
    verbs: dict[str, tuple[tuple[TriggerEntry, str], ...]]
    phrases: dict[str, tuple[tuple[tuple[str, ...], TriggerEntry], ...]]


@lru_cache(maxsize=1)
def trigger_entries() -> tuple[TriggerEntry, ...]:
    """All rows of ``triggers.csv``."""
    entries = []
    codes = event_codes()
    for i, row in enumerate(_read_csv("triggers.csv"), start=2):
        code = row["code"].strip()
        if code and code not in codes:
            raise ValueError(f"triggers.csv line {i}: unknown event code {code!r}")
        if row["strength"] not in STRENGTHS:
            raise ValueError(f"triggers.csv line {i}: bad strength {row['strength']!r}")
        forms = row["forms"]
        lemma = forms.split("|")[0].split(";")[0]
        entries.append(
            TriggerEntry(
                row=i,
                family=row["family"],
                pos=row["pos"],
                lemma=lemma,
                code=code,
                strength=row["strength"],
                objects=frozenset(normalize(w) for w in _split(row["object"])),
                max_gap=int(row["max_gap"] or 0),
                not_before=frozenset(normalize(w) for w in _split(row["not_before"])),
                source=row["source"],
            )
        )
    return tuple(entries)


@lru_cache(maxsize=1)
def _trigger_index() -> _TriggerIndex:
    verbs: dict[str, list[tuple[TriggerEntry, str]]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], TriggerEntry]]] = {}
    rows = _read_csv("triggers.csv")
    for entry, row in zip(trigger_entries(), rows, strict=True):
        if entry.pos == "V":
            past, _, present = row["forms"].partition("|")
            conj = verb_forms(
                [normalize(w) for w in _split(past)],
                [normalize(w) for w in _split(present)],
                transitive=row.get("intransitive", "") != "yes",
            )
            for form, aspect in conj.items():
                verbs.setdefault(form, []).append((entry, aspect))
            continue
        for phrase in _split(row["forms"]):
            key = phrase_key(phrase)
            if not key:
                continue
            variants = noun_variants(key[0]) if len(key) == 1 and entry.pos == "N" else {key[0]}
            for first in variants:
                phrases.setdefault(first, []).append(((first, *key[1:]), entry))
    return _TriggerIndex(
        verbs={k: tuple(v) for k, v in verbs.items()},
        phrases={k: tuple(v) for k, v in phrases.items()},
    )


# ---------------------------------------------------------------------------------------------
# Token helpers
# ---------------------------------------------------------------------------------------------


def token_keys(token: Token) -> tuple[tuple[str, str], ...]:
    """(candidate word, stripped proclitic) pairs of a token: its form and its stems."""
    return _keys_of_norm(token.norm)


def _keys_of(norm: str) -> tuple[tuple[str, str], ...]:
    keys = [(norm, "")]
    for stem in stems_of(norm):
        if norm.endswith(stem):
            keys.append((stem, norm[: len(norm) - len(stem)]))
        else:  # لل + stem offered as ال + stem
            keys.append((stem, norm[: len(norm) - len(stem) + 2]))
    return tuple(keys)


# Per word form (norm): its (candidate word, proclitic) pairs and the set of those words.
_NORM_KEYS: Memo[str, tuple[tuple[str, str], ...]] = Memo(_keys_of)
_NORM_KEYSET: Memo[str, frozenset[str]] = Memo(
    lambda norm: frozenset(k for k, _ in _keys_of_norm(norm))
)
# Their lookups, bound once (see Memo: several times cheaper than subscripting them).
_keys_of_norm = _NORM_KEYS.__getitem__
_keyset_of_norm = _NORM_KEYSET.__getitem__


def token_keyset(token: Token) -> frozenset[str]:
    """The candidate words of a token (its form and its stems) as a set."""
    return _keyset_of_norm(token.norm)


def _match_rest(tokens: list[Token], i: int, words: tuple[str, ...]) -> bool:
    if not words:
        return True
    if i + len(words) > len(tokens):
        return False
    for w in words:  # a plain loop: no generator frame per call
        if w not in _keyset_of_norm(tokens[i].norm):
            return False
        i += 1
    return True


# ---------------------------------------------------------------------------------------------
# Triggers
# ---------------------------------------------------------------------------------------------


def _verb_candidates(
    tokens: list[Token], i: int, key: str, seen: set[tuple[int, int, int | None]],
    out: list[tuple[int, TriggerMatch, tuple[int, ...]]],
) -> None:
    n = len(tokens)
    for entry, aspect in _trigger_index().verbs.get(key, ()):
        obj = None
        if entry.objects:
            for j in range(i + 1, min(n, i + entry.max_gap + 2)):
                if entry.objects & _keyset_of_norm(tokens[j].norm):
                    obj = j
                    break
            if obj is None:
                continue
        sig = (entry.row, i, obj)
        if sig in seen:
            continue
        seen.add(sig)
        last = obj if obj is not None else i
        # The object token stays free: it may be a trigger of its own (فجر انتحاري سيارة
        # مفخخة); the verb+object reading still outranks a bare verb.
        size = 1 if obj is None else 2
        out.append((size, _make(tokens, entry, i, i, i, obj, aspect, last), (i,)))


def _make(
    tokens: list[Token],
    entry: TriggerEntry,
    first: int,
    last: int,
    head: int,
    obj: int | None,
    aspect: str,
    span_last: int,
) -> TriggerMatch:
    start, end = tokens[first].start, tokens[span_last].end
    surface = " ".join([t.surface for t in tokens[first : span_last + 1]])
    return tuple.__new__(
        TriggerMatch, (entry, first, last, head, obj, aspect, start, end, surface)
    )


def find_triggers(
    tokens: list[Token], cues: list[CueMatch] | None = None, sc: Scan | None = None
) -> list[TriggerMatch]:
    """Event triggers in ``tokens``: longest, non-overlapping, in text order.

    Longer matches (more tokens, counting a verb's object) win; among equals the stronger
    entry wins. A match followed by one of its ``not_before`` words is dropped (``فجر أمس``
    is "dawn yesterday", not "blew up"); so is a one-word match on a ``NOT_TRIGGER`` homograph
    (``وزارة`` is not و + زار + ه). ``cues`` may pass precomputed ``find_cues(tokens)``.
    """
    if sc is None:
        sc = scan(tokens)
    if cues is None:
        cues = sc.cues
    blocked = {i for c in cues if c.kind == "NOT_TRIGGER" for i in range(c.first, c.last + 1)}
    candidates = []
    for size, match, used in sc.triggers:
        if size == 1 and match.head in blocked:
            continue
        nxt = match.last + 1 if match.object_index is None else match.head + 1
        if (
            match.entry.not_before
            and nxt < len(tokens)
            and any(k in match.entry.not_before for k, _ in token_keys(tokens[nxt]))
        ):
            continue
        gap = 0 if match.object_index is None else match.object_index - match.head
        candidates.append((size, gap, match, used))
    candidates.sort(key=lambda c: (-c[0], -c[2].entry.weight, c[1], c[2].first))
    taken: set[int] = set()
    chosen: list[TriggerMatch] = []
    for _size, _gap, match, used in candidates:
        if taken.intersection(used):
            continue
        taken.update(used)
        chosen.append(match)
    chosen.sort(key=lambda m: m.first)
    return chosen


# ---------------------------------------------------------------------------------------------
# Cues
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CueIndex:
    phrases: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]
    words: dict[str, frozenset[str]]  # kind -> normalised single words


@lru_cache(maxsize=1)
def _cue_index() -> _CueIndex:
    phrases: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    words: dict[str, set[str]] = {}
    for row in _read_csv("cues.csv"):
        for phrase in _split(row["phrases"]):
            key = phrase_key(phrase)
            if not key:
                continue
            phrases.setdefault(key[0], []).append((key, row["kind"], row["value"]))
            if len(key) == 1:
                words.setdefault(row["kind"], set()).add(key[0])
    return _CueIndex(
        phrases={k: tuple(v) for k, v in phrases.items()},
        words={k: frozenset(v) for k, v in words.items()},
    )


@lru_cache(maxsize=64)
def cue_words(kind: str) -> frozenset[str]:
    """The single-word cues of one kind (normalised)."""
    return _cue_index().words.get(kind, frozenset())


@lru_cache(maxsize=1)
def _head_sets() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(member heads + affiliations, member + force heads, affiliations)."""
    affil = cue_words("AFFILIATION")
    return (
        cue_words("MEMBER_HEAD") | affil,
        cue_words("MEMBER_HEAD") | cue_words("FORCE_HEAD"),
        affil,
    )


def find_cues(tokens: list[Token], sc: Scan | None = None) -> list[CueMatch]:
    """All cue matches (a token can carry several kinds, e.g. ``الطيران``: air and head)."""
    return (sc or scan(tokens)).cues


# ---------------------------------------------------------------------------------------------
# Actors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ActorIndex:
    entries: dict[str, ActorEntry]
    aliases: dict[str, tuple[tuple[tuple[str, ...], ActorEntry, bool], ...]]
    gentilics: dict[str, str]  # normalised adjective -> country actor id


def gentilic_forms(adjective: str) -> set[str]:
    """Definite and indefinite, masculine/feminine/plural forms of a nisba adjective."""
    base = normalize(adjective)
    if base.startswith("ال"):
        base = base[2:]
    forms = {base}
    if base.endswith("ي"):
        forms.update(base + s for s in ("ه", "ين", "ون", "ان", "تين", "تان"))
    return forms | {"ال" + f for f in forms}


@lru_cache(maxsize=1)
def _actor_index() -> _ActorIndex:
    entries: dict[str, ActorEntry] = {}
    aliases: dict[str, list[tuple[tuple[str, ...], ActorEntry, bool]]] = {}
    gentilics: dict[str, str] = {}
    for row in _read_csv("actors.csv"):
        entry = ActorEntry(
            actor_id=row["actor_id"],
            name=row["name"],
            inter_code=int(row["inter_code"]),
            country=row["country"] or None,
            wikidata=row["wikidata"] or None,
            actor_type=row["actor_type"],
            forces_id=row["forces_id"] or None,
            anaphor_of=row["anaphor_of"] or None,
            state_from=row["state_from"] or None,
            state_to=row["state_to"] or None,
            source=row["source"],
        )
        if entry.actor_id in entries:
            raise ValueError(f"actors.csv: duplicate actor_id {entry.actor_id}")
        entries[entry.actor_id] = entry
        for alias in _split(row["aliases"]):
            weak = alias.startswith("?")
            key = phrase_key(alias.lstrip("?"))
            if key:
                aliases.setdefault(key[0], []).append((key, entry, weak))
        for adjective in _split(row["gentilics"]):
            for form in gentilic_forms(adjective):
                gentilics[form] = entry.actor_id
    for ent in entries.values():
        if ent.forces_id and ent.forces_id not in entries:
            raise ValueError(f"actors.csv: {ent.actor_id} forces_id {ent.forces_id} unknown")
    return _ActorIndex(
        entries=entries,
        aliases={k: tuple(v) for k, v in aliases.items()},
        gentilics=gentilics,
    )


def actor_entries() -> tuple[ActorEntry, ...]:
    """All rows of ``actors.csv``."""
    return tuple(_actor_index().entries.values())


def actor_entry(actor_id: str) -> ActorEntry:
    """The ``actors.csv`` row of ``actor_id``."""
    return _actor_index().entries[actor_id]


def country_of_gentilic(token: Token) -> str | None:
    """ISO3 code if the token is a nationality adjective (``الأمريكية``), else None."""
    gent = _actor_index().gentilics
    for key, _prefix in token_keys(token):
        if key in gent:
            return gent[key]
    return None


_QUOTES = frozenset("\"'«»“”")


def _quoted(text: str | None, tok: Token) -> bool:
    if text is None:
        return False
    before = text[max(0, tok.start - 1) : tok.start]
    after = text[tok.end : tok.end + 1]
    return bool(_QUOTES.intersection(before) and _QUOTES.intersection(after))


def _alias_candidates(
    tokens: list[Token], text: str | None, sc: Scan
) -> list[tuple[int, int, ActorEntry, str]]:
    heads = _head_sets()[0]
    out: list[tuple[int, int, ActorEntry, str]] = []
    for first, last, entry, prefix, weak in sc.aliases:
        if weak:
            prev_ok = first > 0 and bool(heads & _keyset_of_norm(tokens[first - 1].norm))
            if not (prev_ok or _quoted(text, tokens[first])):
                continue
        out.append((first, last, entry, prefix))
    return out


def _select(spans: list[tuple[int, int, object, str]]) -> list[tuple[int, int, object, str]]:
    spans = sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0]))
    taken: set[int] = set()
    out = []
    for span in spans:
        idx = set(range(span[0], span[1] + 1))
        if taken & idx:
            continue
        taken |= idx
        out.append(span)
    return sorted(out, key=lambda s: s[0])


def _is_locative(tokens: list[Token], first: int, prefix: str, loc_words: frozenset[str]) -> bool:
    if "ب" in prefix or "ك" in prefix:
        return True
    return first > 0 and tokens[first - 1].norm in loc_words


def find_actors(
    tokens: list[Token], text: str | None = None, sc: Scan | None = None
) -> list[ActorMention]:
    """Actors named in ``tokens`` (longest match), in text order.

    Besides lexicon aliases this recognises generic forces (a force head such as ``القوات``,
    ``الشرطة``, ``الطيران`` optionally followed within three tokens by a nationality adjective),
    member heads (``عناصر``/``مسلحو``/``مقاتلو`` + organisation) and affiliations
    (``قوات تابعة للمشير خليفة حفتر`` -> the LNA). Country names preceded by a locative
    preposition (``في ليبيا``) are places, not actors. ``text`` (the string the tokens were cut
    from) lets quoted weak aliases (``«القاعدة»``) count.
    """
    index = _actor_index()
    if sc is None:
        sc = scan(tokens)
    loc_words = cue_words("LOC_PREP")
    spans: list[tuple[int, int, object, str]] = []
    for first, last, entry, prefix in _alias_candidates(tokens, text, sc):
        if entry.actor_type == "country" and _is_locative(tokens, first, prefix, loc_words):
            continue
        spans.append((first, last, entry, prefix))
    spans.extend(_generic_force_spans(tokens, sc))
    chosen = _select(spans)
    chosen = _attach_heads(tokens, chosen, index)
    mentions = []
    new = tuple.__new__  # a named tuple's own constructor is several times slower
    for first, last, what, prefix in chosen:
        if isinstance(what, ActorEntry):
            actor, generic, country = what, None, what.country
        else:
            generic, country = what  # type: ignore[misc]
            actor = None
        prev = tokens[first - 1].norm if first > 0 else ""
        prev2 = tokens[first - 2].norm if first > 1 else ""
        surface = " ".join([t.surface for t in tokens[first : last + 1]])
        mentions.append(new(ActorMention, (  # ActorMention(actor, generic, ..., prev2)
            actor, generic, country, first, last, tokens[first].start, tokens[last].end,
            surface, prefix, prev, prev2,
        )))
    return mentions


@lru_cache(maxsize=1)
def _force_heads() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for row in _read_csv("cues.csv"):
        if row["kind"] not in ("FORCE_HEAD", "STATE_GENERIC"):
            continue
        for phrase in _split(row["phrases"]):
            key = phrase_key(phrase)
            value = row["value"] + ("!" if row["kind"] == "STATE_GENERIC" else "")
            out.setdefault(key[0], []).append((key, value))
    return {k: tuple(v) for k, v in out.items()}


# Heads that name a state force on their own (without a nationality adjective).
_STANDALONE = frozenset(
    normalize(w)
    for w in (
        "الجيش",
        "القوات المسلحة",
        "الشرطة",
        "قوات الأمن",
        "الأجهزة الأمنية",
        "رجال الأمن",
        "رجال الشرطة",
        "سلاح الجو",
        "القوات الجوية",
        "الطيران الحربي",
        "قوات الجيش",
        "الجنود",
        "قوات الدرك",
        "الدرك",
        "قوات مكافحة الشغب",
        "شرطة مكافحة الشغب",
        "قوات مكافحة الإرهاب",
        "الحكومة",
        "السلطات",
        "قوى الأمن",
    )
)


def _generic_force_spans(tokens: list[Token], sc: Scan) -> list[tuple[int, int, object, str]]:
    out: list[tuple[int, int, object, str]] = []
    n = len(tokens)
    for first, last, value, prefix, phrase in sc.heads:
        generic = value.rstrip("!")
        country = None
        for j in range(last + 1, min(n, last + 4)):
            country = sc.gentilic.get(j)
            if country:
                last = j
                break
        if country or value.endswith("!") or phrase in _STANDALONE:
            out.append((first, last, (generic, country), prefix))
    return out


_LINKERS = frozenset(normalize(w) for w in ("في", "من"))


def _attach_heads(
    tokens: list[Token], chosen: list[tuple[int, int, object, str]], index: _ActorIndex
) -> list[tuple[int, int, object, str]]:
    """Extend named actors leftwards over member heads (``عناصر``) and affiliations.

    ``قوات تابعة للمشير خليفة حفتر`` becomes one LNA mention; a government named after a
    military head or an affiliation (``طائرات موالية لبرلمان طبرق``) becomes its forces.
    """
    flags_of = _HEAD_FLAGS.__getitem__  # see Memo
    occupied = {i for s in chosen for i in range(s[0], s[1] + 1)}
    result: list[tuple[int, int, object, str]] = []
    linkers = _LINKERS
    for first, last, what, prefix in chosen:
        named = isinstance(what, ActorEntry) and what.actor_type != "country"
        if not named:
            result.append((first, last, what, prefix))
            continue
        new_first, new_prefix, linked, armed, heads_seen = first, prefix, False, False, 0
        i = first - 1
        while i >= 0 and first - i <= 4:
            if i in occupied:
                prev = result[-1] if result else None
                if linked and prev and prev[1] == i and not isinstance(prev[2], ActorEntry):
                    result.pop()
                    new_first, new_prefix, armed = prev[0], prev[3], True
                elif linked and heads_seen == 0 and prev and prev[1] == i:
                    new_first = -1  # "X التابع لتنظيم القاعدة": an attribute of X, not an actor
                break
            is_affil, is_head, is_military, head_prefix = flags_of(tokens[i].norm)
            if (
                not (is_affil or is_head)
                and tokens[i].norm in linkers
                and i > 0
                and i - 1 not in occupied
                and flags_of(tokens[i - 1].norm)[1]
            ):
                is_head = True  # مقاتلين في مجلس شورى درنة، عنصرا من القاعدة
            if not (is_affil or is_head):
                break
            linked = linked or is_affil
            heads_seen += is_head
            armed = armed or is_military
            new_first = i
            new_prefix = head_prefix
            i -= 1
        if new_first < 0:
            continue
        target = what
        assert isinstance(target, ActorEntry)
        if (linked or armed) and target.actor_type == "gov" and target.forces_id:
            target = index.entries[target.forces_id]
        result.append((new_first, last, target, new_prefix))
    return result


@lru_cache(maxsize=1)
def _military_heads() -> frozenset[str]:
    out: set[str] = set()
    for row in _read_csv("cues.csv"):
        if row["kind"] == "FORCE_HEAD" and row["value"].startswith("military"):
            out.update(phrase_key(p)[0] for p in _split(row["phrases"]))
    return frozenset(out)


def _head_flags(norm: str) -> tuple[bool, bool, bool, str]:
    """(affiliation, member or force head, military head, the proclitic of the first key
    that is a head or affiliation, else "") of a word form, for ``_attach_heads``."""
    _, heads, affil = _head_sets()
    keys = _keys_of_norm(norm)
    return (
        any(k in affil for k, _ in keys),
        any(k in heads for k, _ in keys),
        any(k in _military_heads() for k, _ in keys),
        next((p for k, p in keys if k in affil or k in heads), keys[0][1]),
    )


_HEAD_FLAGS: Memo[str, tuple[bool, bool, bool, str]] = Memo(_head_flags)


def state_actor_for(country: str, generic: str) -> str:
    """ACLED-style name of a country's generic force (``Military Forces of Libya``)."""
    name = actor_entry(country).name if country in _actor_index().entries else country
    if name.startswith("United "):
        name = "the " + name
    if generic == "police":
        return f"Police Forces of {name}"
    if generic == "government":
        return f"Government of {name}"
    return f"Military Forces of {name}"


# ---------------------------------------------------------------------------------------------
# One pass over the tokens for all lexicons
# ---------------------------------------------------------------------------------------------

_CUE, _TRIGGER, _ALIAS, _HEAD = range(4)


@dataclass(slots=True)
class Scan:
    """Raw lexicon matches of one token list, computed in a single pass and shared by
    ``find_cues``, ``find_triggers`` and ``find_actors``."""

    cues: list[CueMatch]
    triggers: list[tuple[int, TriggerMatch, tuple[int, ...]]]
    aliases: list[tuple[int, int, ActorEntry, str, bool]]
    heads: list[tuple[int, int, str, str, str]]
    gentilic: dict[int, str]


_Row = tuple[int, tuple[str, ...], tuple[str, ...], object]


@lru_cache(maxsize=1)
def _unified() -> tuple[dict[str, tuple[_Row, ...]], dict[tuple[str, str], tuple[_Row, ...]]]:
    """Every phrase lexicon in two dicts: one-word phrases by their word, longer phrases by
    their first two words (rows carry the words still to check)."""
    rows: list[tuple[str, _Row]] = []
    for first, crows in _cue_index().phrases.items():
        for words, kind, value in crows:
            rows.append((first, (_CUE, words[1:], words, (kind, value))))
    for first, trows in _trigger_index().phrases.items():
        for words, entry in trows:
            rows.append((first, (_TRIGGER, words[1:], words, entry)))
    for first, arows in _actor_index().aliases.items():
        for words, actor, weak in arows:
            rows.append((first, (_ALIAS, words[1:], words, (actor, weak))))
    for first, hrows in _force_heads().items():
        for words, value in hrows:
            rows.append((first, (_HEAD, words[1:], words, value)))
    single: dict[str, list[_Row]] = {}
    multi: dict[tuple[str, str], list[_Row]] = {}
    for first, row in rows:
        rest = row[1]
        if rest:
            multi.setdefault((first, rest[0]), []).append(
                (row[0], rest[1:], " ".join(row[2]), row[3])
            )
        else:
            single.setdefault(first, []).append(row)
    return (
        {k: tuple(v) for k, v in single.items()},
        {k: tuple(v) for k, v in multi.items()},
    )


@lru_cache(maxsize=1)
def _multi_firsts() -> dict[str, frozenset[str]]:
    """First word of a multi-word phrase -> the second words that can follow it."""
    out: dict[str, set[str]] = {}
    for first, second in _unified()[1]:
        out.setdefault(first, set()).add(second)
    return {k: frozenset(v) for k, v in out.items()}


class _Hit(NamedTuple):
    """The lexicon entries one (key, proclitic) reading of a word form starts."""

    key: str
    prefix: str
    cues: tuple[tuple[str, str, str], ...]  # one-word cues: (kind, value, text)
    aliases: tuple[tuple[ActorEntry, bool], ...]  # one-word aliases: (actor, weak)
    heads: tuple[tuple[str, str], ...]  # one-word force heads: (value, text)
    triggers: tuple[tuple[TriggerEntry, str], ...]  # one-word nominal triggers: (entry, text)
    seconds: frozenset[str]  # second words of the longer phrases it starts
    is_verb: bool  # a verb form starts here
    country: str | None  # its gentilic country


def _hits_of(norm: str) -> tuple[_Hit, ...]:
    """The lexicon entries a word form can start, per (key, proclitic) reading: its one-word
    rows by lexicon, the second words of longer phrases it starts, whether a verb starts with
    it, and its gentilic country (memoised per form in ``_NORM_HITS``: most words of a text
    hit nothing)."""
    single, _multi = _unified()
    firsts = _multi_firsts()
    verbs = _trigger_index().verbs
    gentilics = _actor_index().gentilics
    hits = []
    for key, prefix in _keys_of_norm(norm):
        rows = single.get(key, ())
        seconds = firsts.get(key, frozenset())
        is_verb = prefix in _VERB_PREFIXES and key in verbs
        country = gentilics.get(key)
        if rows or seconds or is_verb or country:
            by_tag: dict[int, list[tuple[object, ...]]] = {_CUE: [], _ALIAS: [], _HEAD: [],
                                                           _TRIGGER: []}
            for tag, _rest, words, payload in rows:
                text = " ".join(words)
                if tag == _CUE:
                    kind, value = payload  # type: ignore[misc]
                    by_tag[tag].append((kind, value, text))
                elif tag == _ALIAS:
                    by_tag[tag].append(payload)  # type: ignore[arg-type]
                elif tag == _HEAD:
                    by_tag[tag].append((str(payload), text))
                else:
                    by_tag[tag].append((payload, text))
            hits.append(_Hit(
                key, prefix, tuple(by_tag[_CUE]), tuple(by_tag[_ALIAS]),  # type: ignore[arg-type]
                tuple(by_tag[_HEAD]), tuple(by_tag[_TRIGGER]),  # type: ignore[arg-type]
                seconds, is_verb, country,
            ))
    return tuple(hits)


def _starts_trigger(norm: str) -> bool:
    verbs = _trigger_index().verbs
    phrases = _trigger_index().phrases
    return any(
        key in phrases or (prefix in _VERB_PREFIXES and key in verbs)
        for key, prefix in _keys_of_norm(norm)
    )


_NORM_HITS: Memo[str, tuple[_Hit, ...]] = Memo(_hits_of)
_MAY_TRIGGER: Memo[str, bool] = Memo(_starts_trigger)


def may_trigger(tokens: list[Token]) -> bool:
    """Cheap screen: could any token start an event trigger?"""
    return any(map(_MAY_TRIGGER.__getitem__, [t.norm for t in tokens]))


def scan(tokens: list[Token]) -> Scan:
    """All raw lexicon matches of ``tokens`` (one memoised lookup per word form).

    A cue kind is kept once per (start, end) token pair and a trigger entry once per
    (start, end or object) pair: the first reading found wins."""
    multi = _unified()[1]
    result = Scan([], [], [], [], {})
    cues_append = result.cues.append
    new = tuple.__new__  # a named tuple's own constructor is several times slower
    gentilic = result.gentilic
    aliases_append, heads_append = result.aliases.append, result.heads.append
    all_hits, keyset = _NORM_HITS.__getitem__, _keyset_of_norm  # see Memo
    seen_cues: set[tuple[str, int, int]] = set()
    seen_triggers: set[tuple[int, int, int | None]] = set()
    n = len(tokens)
    for i, tok in enumerate(tokens):
        hits = all_hits(tok.norm)
        if not hits:
            continue
        for key, prefix, cues, aliases, heads, triggers, seconds, is_verb, country in hits:
            if country and i not in gentilic:
                gentilic[i] = country
            if is_verb:
                _verb_candidates(tokens, i, key, seen_triggers, result.triggers)
            for kind, value, text in cues:  # _add, inlined but for triggers
                if (kind, i, i) not in seen_cues:
                    seen_cues.add((kind, i, i))
                    cues_append(new(CueMatch, (kind, value, i, i, text)))
            for actor, weak in aliases:
                aliases_append((i, i, actor, prefix, weak))
            for value, text in heads:
                heads_append((i, i, value, prefix, text))
            for entry, text in triggers:
                _add(result, tokens, _TRIGGER, entry, text, i, i, prefix, seen_cues,
                     seen_triggers)
            if seconds and i + 1 < n:
                for second in seconds & keyset(tokens[i + 1].norm):
                    for tag, rest, text, payload in multi[(key, second)]:
                        if rest and not _match_rest(tokens, i + 2, rest):
                            continue
                        last = i + 1 + len(rest)
                        _add(result, tokens, tag, payload, text, i, last, prefix,
                             seen_cues, seen_triggers)
    return result


def _add(
    result: Scan,
    tokens: list[Token],
    tag: int,
    payload: object,
    text: str,
    i: int,
    last: int,
    prefix: str,
    seen_cues: set[tuple[str, int, int]],
    seen_triggers: set[tuple[int, int, int | None]],
) -> None:
    if tag == _CUE:
        kind, value = payload  # type: ignore[misc]
        if (kind, i, last) not in seen_cues:
            seen_cues.add((kind, i, last))
            result.cues.append(CueMatch(kind, value, i, last, text))
    elif tag == _TRIGGER:
        assert isinstance(payload, TriggerEntry)
        sig = (payload.row, i, last)
        if sig not in seen_triggers:
            seen_triggers.add(sig)
            match = _make(tokens, payload, i, last, i, None, "noun", last)
            result.triggers.append((last - i + 1, match, tuple(range(i, last + 1))))
    elif tag == _ALIAS:
        actor, weak = payload  # type: ignore[misc]
        result.aliases.append((i, last, actor, prefix, weak))
    else:
        result.heads.append((i, last, str(payload), prefix, text))

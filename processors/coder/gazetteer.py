"""Place names: the gazetteer loader, the token matcher and context disambiguation.

``load_gazetteer()`` reads ``data/gazetteer.tsv`` (built by ``build_gazetteer``) and
``data/gazetteer_stoplist.txt`` once. ``Gazetteer.find(tokens)`` finds single and multi-word
place names in a token list (longest match wins; the first word may carry proclitics:
بسرت، لسرت، وطرابلس، بـطرابلس) through one dict lookup per token candidate, then resolves
homonyms (طرابلس Libya/Lebanon, same-named villages) by the countries the article mentions,
nearness to the unambiguous places it mentions, kind and population.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from processors.coder import DATA_DIR
from processors.coder.model import Place
from processors.coder.text import Memo, Token, normalize, phrase_key, stems_of

GAZETTEER_PATH = DATA_DIR / "gazetteer.tsv"
STOPLIST_PATH = DATA_DIR / "gazetteer_stoplist.txt"
COUNTRIES_PATH = DATA_DIR / "countries.csv"
TSV_COLUMNS = (
    "id",
    "name",
    "name_ar",
    "variants",
    "latitude",
    "longitude",
    "admin1",
    "country",
    "country_code",
    "kind",
    "population",
    "geo_precision",
    "source",
    "cue_only",
    "not_after_clitic",
)
KINDS = (
    "country",
    "capital",
    "city",
    "town",
    "village",
    "hamlet",
    "district",
    "base",
    "airport",
    "port",
    "wadi",
    "region",
    "heights",
)
# ACLED geo_precision: 1 the town itself, 2 near it / part of a region, 3 region or country.
_PRECISION = {"wadi": 2, "region": 3, "country": 3}
# Homonym ranking: well-known kinds first (country > capital > city > region), then local ones.
_MAJOR = frozenset({"country", "capital", "city", "region"})
_KIND_RANK = {
    "country": 0,
    "capital": 1,
    "city": 2,
    "region": 3,
    "town": 4,
    "district": 5,
    "base": 6,
    "airport": 6,
    "port": 6,
    "heights": 7,
    "wadi": 8,
    "village": 9,
    "hamlet": 10,
}
_CITY_CUES = frozenset({"العاصمه", "مدينه"})  # "العاصمة تونس" is the city, not the country
_MAX_GAP = 3  # characters allowed between the words of a multi-word name ( "قاعدة "الوطية )
_NEAR_BUCKET_KM = 100.0
_EARTH_KM = 6371.0088


def precision_for_kind(kind: str) -> int:
    """ACLED geo_precision for a gazetteer kind (1 town-level, 2 part of region, 3 region)."""
    return _PRECISION.get(kind, 1)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One place of the gazetteer."""

    id: str
    name: str
    name_ar: str
    variants: tuple[str, ...]
    latitude: float
    longitude: float
    admin1: str | None
    country: str
    country_code: str
    kind: str
    population: int | None
    geo_precision: int
    source: str
    cue_only: tuple[str, ...] = ()  # names that denote this place only after a locative cue
    not_after_clitic: tuple[str, ...] = ()  # token forms never read as clitic + a name

    def to_place(self, surface: str | None = None) -> Place:
        """This entry as the coder's ``model.Place``."""
        return Place(
            name=self.name,
            latitude=self.latitude,
            longitude=self.longitude,
            admin1=self.admin1,
            country=self.country,
            geo_precision=self.geo_precision,
            surface=surface,
            kind=self.kind,
        )


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A place name found in a token list.

    ``entry`` is the chosen gazetteer entry, ``candidates`` every entry bearing that name
    (``entry`` included); ``tokens[token_start:token_end]`` is the name, ``start``/``end``
    its character offsets; ``cue`` the locative word or proclitic just before it, if any.
    """

    entry: GazetteerEntry
    candidates: tuple[GazetteerEntry, ...]
    token_start: int
    token_end: int
    start: int
    end: int
    surface: str
    key: str
    cue: str | None = None

    @property
    def ambiguous(self) -> bool:
        """True when several gazetteer entries share the matched name."""
        return len(self.candidates) > 1

    @property
    def name(self) -> str:
        """English/Latin name of the chosen entry."""
        return self.entry.name

    @property
    def name_ar(self) -> str:
        """Arabic name of the chosen entry."""
        return self.entry.name_ar

    @property
    def country_code(self) -> str:
        """ISO2 code of the chosen entry's country."""
        return self.entry.country_code

    @property
    def kind(self) -> str:
        """Kind of the chosen entry (city, village, region...)."""
        return self.entry.kind

    def to_place(self) -> Place:
        """The chosen entry as ``model.Place`` with the matched text as ``surface``."""
        return self.entry.to_place(self.surface)


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    key: str
    entries: tuple[GazetteerEntry, ...]  # every entry with this name
    free: tuple[GazetteerEntry, ...]  # those that need no locative cue for it


# A name lookup at one token: (the longest phrase found, its locative cue), or None.
_Found = tuple[_Phrase, str | None] | None


def load_stoplist(path: Path = STOPLIST_PATH) -> tuple[set[str], set[str], set[str]]:
    """(never-place names, cue-only names, locative cue words), all normalised."""
    stop: set[str] = set()
    cue_only: set[str] = set()
    cue_words: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target = stop
        if line[0] == "~":
            target, line = cue_only, line[1:]
        elif line[0] == "@":
            target, line = cue_words, line[1:]
        key = " ".join(phrase_key(line))
        if key:
            target.add(key)
    return stop, cue_only, cue_words


def _read_demonyms(path: Path) -> dict[str, str]:
    """Normalised demonym forms (ليبي، ليبية، ليبيون، ليبيين) -> ISO2 code."""
    forms: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            for base in rec["demonyms_ar"].split("|"):
                base = normalize(base.strip())
                if base:
                    for suffix in ("", "ه", "ون", "ين"):
                        forms.setdefault(base + suffix, rec["iso2"])
    return forms


def _read_entries(path: Path) -> list[GazetteerEntry]:
    entries = []
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        for rec in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"):
            entries.append(
                GazetteerEntry(
                    id=rec["id"],
                    name=rec["name"],
                    name_ar=rec["name_ar"],
                    variants=tuple(v for v in rec["variants"].split("|") if v),
                    latitude=float(rec["latitude"]),
                    longitude=float(rec["longitude"]),
                    admin1=rec["admin1"] or None,
                    country=rec["country"],
                    country_code=rec["country_code"],
                    kind=rec["kind"],
                    population=int(rec["population"]) if rec["population"] else None,
                    geo_precision=int(rec["geo_precision"]),
                    source=rec["source"],
                    cue_only=tuple(v for v in rec["cue_only"].split("|") if v),
                    not_after_clitic=tuple(v for v in rec["not_after_clitic"].split("|") if v),
                )
            )
    return entries


class CountryContext(Counter[str]):
    """An article's country mentions (ISO2 -> count), as ``Gazetteer.context_countries``
    returns them, with the article's name lookups for ``Gazetteer.find`` to reuse."""

    def __init__(self) -> None:
        super().__init__()
        self.match_memo: dict[int, tuple[Token, _Found]] = {}


class Gazetteer:
    """Gazetteer entries indexed by the first normalised word of each of their names."""

    def __init__(
        self,
        entries: Iterable[GazetteerEntry],
        stop: set[str] | None = None,
        cue_only: set[str] | None = None,
        cue_words: set[str] | None = None,
        demonyms: Mapping[str, str] | None = None,
    ) -> None:
        self.entries: tuple[GazetteerEntry, ...] = tuple(entries)
        self.stop = frozenset(stop or ())
        self.cue_only = frozenset(cue_only or ())
        self.cue_words = frozenset(cue_words or ())
        self.demonyms = dict(demonyms or {})
        by_key: dict[str, list[GazetteerEntry]] = {}
        free_by_key: dict[str, list[GazetteerEntry]] = {}
        words_of: dict[str, tuple[str, ...]] = {}
        blocked: set[str] = set()
        for entry in self.entries:
            blocked.update(entry.not_after_clitic)
            needs_cue = {" ".join(phrase_key(n)) for n in entry.cue_only} | self.cue_only
            for name in (entry.name_ar, *entry.variants):
                words = phrase_key(name)
                key = " ".join(words)
                if not words or key in self.stop:
                    continue
                bucket = by_key.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
                    if key not in needs_cue:
                        free_by_key.setdefault(key, []).append(entry)
                words_of[key] = words
        self._blocked = frozenset(blocked)
        self._by_key = {k: tuple(v) for k, v in by_key.items()}
        # first word -> second word ("" for one-word names) -> phrases, longest first
        index: dict[str, dict[str, list[_Phrase]]] = {}
        for key, found in self._by_key.items():
            words = words_of[key]
            second = words[1] if len(words) > 1 else ""
            index.setdefault(words[0], {}).setdefault(second, []).append(
                _Phrase(words, key, found, tuple(free_by_key.get(key, ())))
            )
        self._index = {
            first: {
                second: tuple(sorted(phrases, key=lambda p: -len(p.words)))
                for second, phrases in by_second.items()
            }
            for first, by_second in index.items()
        }
        self._max_words = max(
            (len(p.words) for by in self._index.values() for ps in by.values() for p in ps),
            default=1,
        )
        # Per word form (norm): can a name start here, and its demonym country ("" for none).
        # Stems are a function of the norm, so both are memoised by norm alone.
        self._may_start: Memo[str, bool] = Memo(self._starts_name)
        self._first_words: Memo[str, tuple[tuple[str, str], ...]] = Memo(self._first_word_keys)
        self._demonym_of: Memo[str, str] = Memo(self._demonym)
        self._country_codes = {e.country.lower(): e.country_code for e in self.entries}
        for entry in self.entries:
            if entry.kind == "country":
                for name in (entry.name_ar, *entry.variants):
                    self._country_codes[" ".join(phrase_key(name))] = entry.country_code

    def __len__(self) -> int:
        return len(self.entries)

    # -- matching --------------------------------------------------------------------------

    def find(
        self,
        tokens: Sequence[Token],
        context_countries: Iterable[str] | Mapping[str, int] | None = None,
    ) -> list[PlaceMatch]:
        """Place names in ``tokens``, longest match first, homonyms resolved.

        ``context_countries`` (ISO2 codes or country names, optionally with mention counts)
        is the article's country context; when None it is derived from ``tokens`` itself.
        """
        matches = self.match(tokens, getattr(context_countries, "match_memo", None))
        if context_countries is None:
            context_countries = self.context_countries(tokens, matches)
        return self.resolve(matches, context_countries)

    def match(
        self,
        tokens: Sequence[Token],
        memo: dict[int, tuple[Token, _Found]] | None = None,
        record: dict[int, tuple[Token, _Found]] | None = None,
    ) -> list[PlaceMatch]:
        """Unresolved matches (``entry`` is the context-free default choice).

        ``record`` collects the name lookups of this token list and ``memo`` reuses those of
        an enclosing list (the article around a sentence: the same token objects). A lookup
        at ``i`` reads tokens ``i - 1 .. i + max_words - 1`` only (``max_words``: the longest
        name), so it is recorded and reused only where all of them lie inside both lists:
        the result is the same.
        """
        out: list[PlaceMatch] = []
        for i, end, phrase, cue in self._spans(tokens, memo, record):
            first, last = tokens[i], tokens[end - 1]
            candidates = phrase.entries if cue is not None else phrase.free
            out.append(
                PlaceMatch(
                    entry=candidates[0]
                    if len(candidates) == 1
                    else _rank(candidates, {}, [], cue)[0],
                    candidates=candidates,
                    token_start=i,
                    token_end=end,
                    start=first.start,
                    end=last.end,
                    surface=" ".join([t.surface for t in tokens[i:end]]),
                    key=phrase.key,
                    cue=cue,
                )
            )
        return out

    def _spans(
        self,
        tokens: Sequence[Token],
        memo: dict[int, tuple[Token, _Found]] | None,
        record: dict[int, tuple[Token, _Found]] | None,
    ) -> list[tuple[int, int, _Phrase, str | None]]:
        """(start, end, phrase, cue) of the names in ``tokens``, left to right, longest
        first, not overlapping (see ``match``)."""
        out: list[tuple[int, int, _Phrase, str | None]] = []
        inner_end = len(tokens) - self._max_words
        known = self._may_start.__getitem__  # see Memo
        # fast path: only the tokens some name can start with are tried
        starts = [i for i, tok in enumerate(tokens) if known(tok.norm)]
        free = 0  # tokens before this index are inside an earlier match
        for i in starts:
            if i < free:
                continue
            if 0 < i <= inner_end and (memo is not None or record is not None):
                tok = tokens[i]
                hit = memo.get(id(tok)) if memo is not None else None
                if hit is not None and hit[0] is tok:
                    found = hit[1]
                else:
                    found = self._match_at(tokens, i)
                    if record is not None:
                        record[id(tok)] = (tok, found)  # keeps ``tok`` (and its id) alive
            else:
                found = self._match_at(tokens, i)
            if found is None:
                continue
            phrase, cue = found
            end = i + len(phrase.words)
            out.append((i, end, phrase, cue))
            free = end
        return out

    def _starts_name(self, norm: str) -> bool:
        """Whether a name can start with the word form ``norm`` (or one of its stems)."""
        index = self._index
        return norm in index or any(s in index for s in stems_of(norm))

    def _match_at(self, tokens: Sequence[Token], i: int) -> _Found:
        tok = tokens[i]
        prev_cue = self._previous_cue(tokens, i)
        nxt = tokens[i + 1].norm if i + 1 < len(tokens) else ""
        best: tuple[_Phrase, str | None] | None = None
        for first, prefix in self._first_words[tok.norm]:
            by_second = self._index.get(first)
            if by_second is None:
                continue
            phrases = (
                by_second.get(nxt, ()) + by_second.get("", ()) if nxt else by_second.get("", ())
            )
            for phrase in phrases:
                if ("ف" in prefix or "ك" in prefix) and not _well_known(phrase.entries):
                    continue  # فخمين، كلالي: ف/ك + an obscure place is nearly always a word
                if best is not None and len(phrase.words) <= len(best[0].words):
                    break
                if not self._rest_matches(tokens, i, phrase.words):
                    continue
                cue = prefix if "ب" in prefix else prev_cue
                if cue is None and not phrase.free:
                    continue
                best = (phrase, cue)
                break
        return best

    def _first_word_keys(self, norm: str) -> tuple[tuple[str, str], ...]:
        """(candidate word, stripped proclitic) pairs of the word form ``norm`` as the first
        word of a name (memoised per form in ``_first_words``)."""
        out = [(norm, "")]
        if norm in self._blocked:  # لجنة is a word, not ل + جنة
            return tuple(out)
        for stem in stems_of(norm):
            # لل + stem is also offered in its definite form ال + stem (then not a suffix)
            prefix = norm[: len(norm) - len(stem)] if norm.endswith(stem) else "ل"
            if not stem.startswith("ال") and prefix.endswith(("ال", "لل")):
                continue  # "البدر" must not match a place called "بدر"
            out.append((stem, prefix))
        return tuple(out)

    @staticmethod
    def _rest_matches(tokens: Sequence[Token], i: int, words: tuple[str, ...]) -> bool:
        if i + len(words) > len(tokens):
            return False
        for k in range(1, len(words)):
            cur, prev = tokens[i + k], tokens[i + k - 1]
            if cur.norm != words[k] or cur.start - prev.end > _MAX_GAP:
                return False
        return True

    def _previous_cue(self, tokens: Sequence[Token], i: int) -> str | None:
        if i == 0:
            return None
        prev = tokens[i - 1]
        if tokens[i].start - prev.end > _MAX_GAP:
            return None
        if prev.norm in self.cue_words:
            return prev.norm
        for stem in prev.stems:
            if stem in self.cue_words:
                return stem
        return None

    # -- disambiguation --------------------------------------------------------------------

    def context_countries(
        self, tokens: Sequence[Token], matches: Sequence[PlaceMatch] | None = None
    ) -> Counter[str]:
        """ISO2 codes the text mentions, with counts: country names, unambiguous places and
        demonyms (ليبي، الليبية، الأمريكيون ...).

        The result also carries the name lookups made here (``match_memo``): ``find`` on a
        slice of ``tokens`` (a sentence of the article) reuses them."""
        counts = CountryContext()
        if matches is None:  # the names alone: no ``PlaceMatch`` needed
            spans = [
                (phrase.entries if cue is not None else phrase.free, i, end)
                for i, end, phrase, cue in self._spans(tokens, None, counts.match_memo)
            ]
        else:
            spans = [(m.candidates, m.token_start, m.token_end) for m in matches]
        for candidates, _start, _end in spans:
            codes = {c.country_code for c in candidates}
            if len(codes) == 1:
                counts[next(iter(codes))] += 1
            else:
                for c in candidates:
                    if c.kind == "country":
                        counts[c.country_code] += 1
        inside = {k for _c, start, end in spans for k in range(start, end)}
        known = self._demonym_of.__getitem__
        for k, code in enumerate([known(tok.norm) for tok in tokens]):
            if code and k not in inside:
                counts[code] += 1
        return counts

    def _demonym(self, norm: str) -> str:
        """The country (ISO2) of the demonym ``norm`` or one of its stems, "" for none."""
        demonyms = self.demonyms
        code = demonyms.get(norm)
        if code is None:
            for stem in stems_of(norm):
                code = demonyms.get(stem)
                if code is not None:
                    break
        return code or ""

    def resolve(
        self,
        matches: Sequence[PlaceMatch],
        context_countries: Iterable[str] | Mapping[str, int] | None = None,
    ) -> list[PlaceMatch]:
        """Choose an entry for every ambiguous match.

        Order: well-known kinds before local ones (a Libyan hamlet never beats a capital),
        countries in ``context_countries`` (more mentions first), nearness to the article's
        unambiguous places, kind rank (capital/city > village/hamlet), population.
        """
        if not any(m.ambiguous for m in matches):
            return list(matches)
        weights = self._weights(context_countries)
        anchors = [
            (m.entry.latitude, m.entry.longitude)
            for m in matches
            if not m.ambiguous and m.entry.kind not in ("country", "region")
        ]
        out = []
        for m in matches:
            if not m.ambiguous:
                out.append(m)
                continue
            best = _rank(m.candidates, weights, anchors, m.cue)[0]
            out.append(m if best is m.entry else replace(m, entry=best))
        return out

    def _weights(self, context: Iterable[str] | Mapping[str, int] | None) -> dict[str, int]:
        if not context:
            return {}
        items = context.items() if isinstance(context, Mapping) else ((c, 1) for c in context)
        weights: dict[str, int] = {}
        for country, count in items:
            code = self._country_code(country)
            if code:
                weights[code] = weights.get(code, 0) + int(count)
        return weights

    def _country_code(self, country: str) -> str | None:
        if len(country) == 2 and country.isascii() and country.isupper():
            return country
        return self._country_codes.get(country.lower()) or self._country_codes.get(
            " ".join(phrase_key(country))
        )

    # -- lookups ---------------------------------------------------------------------------

    def lookup(self, name: str) -> list[GazetteerEntry]:
        """Entries having exactly this (Arabic) name or variant, best-known first."""
        found = self._by_key.get(" ".join(phrase_key(name)), ())
        return _rank(found, {}, [], None) if found else []

    def nearest(
        self,
        latitude: float,
        longitude: float,
        *,
        kinds: Iterable[str] | None = None,
        country_code: str | None = None,
        limit: int = 1,
    ) -> list[tuple[float, GazetteerEntry]]:
        """The ``limit`` entries nearest a point as (km, entry), optionally filtered."""
        wanted = frozenset(kinds) if kinds is not None else None
        scored = [
            (haversine_km(latitude, longitude, e.latitude, e.longitude), e)
            for e in self.entries
            if (wanted is None or e.kind in wanted)
            and (country_code is None or e.country_code == country_code)
        ]
        scored.sort(key=lambda pair: (pair[0], pair[1].id))
        return scored[:limit]


def _well_known(entries: Sequence[GazetteerEntry]) -> bool:
    """Any entry of a major kind or from the curated files."""
    return any(e.kind in _MAJOR or e.source.startswith("curated") for e in entries)


def _rank(
    candidates: Sequence[GazetteerEntry],
    weights: Mapping[str, int],
    anchors: Sequence[tuple[float, float]],
    cue: str | None,
) -> list[GazetteerEntry]:
    """Candidates best first (see ``Gazetteer.resolve``)."""
    city_cue = cue in _CITY_CUES

    def score(e: GazetteerEntry) -> tuple[int, int, int, int, int, str]:
        rank = _KIND_RANK.get(e.kind, 11)
        if city_cue and e.kind in ("country", "region"):
            rank += 20
        near = 0
        if anchors and e.kind not in ("country", "region"):
            km = min(haversine_km(e.latitude, e.longitude, a, b) for a, b in anchors)
            near = int(km // _NEAR_BUCKET_KM)
        tier = 0 if e.kind in _MAJOR and not (city_cue and e.kind == "country") else 1
        return (tier, -weights.get(e.country_code, 0), near, rank, -(e.population or 0), e.id)

    return sorted(candidates, key=score)


def resolve(
    matches: Sequence[PlaceMatch],
    context_countries: Iterable[str] | Mapping[str, int] | None = None,
) -> list[PlaceMatch]:
    """Module-level shortcut for ``load_gazetteer().resolve``."""
    return load_gazetteer().resolve(matches, context_countries)


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The repository gazetteer with its stoplist and demonyms (loaded once)."""
    stop, cue_only, cue_words = load_stoplist()
    return Gazetteer(
        _read_entries(GAZETTEER_PATH),
        stop,
        cue_only,
        cue_words,
        _read_demonyms(COUNTRIES_PATH),
    )

"""Build ``data/gazetteer.tsv`` from the shared gazetteer sources plus the curated data files.

Run ``python -m processors.coder.build_gazetteer [--sources DIR] [--out FILE]``.

Inputs (see ``data/GAZETTEER_PROVENANCE.md``):
- ``libya_osm_places_all.json`` + ``libya_osm_missing_locations.json`` (OpenStreetMap, ODbL):
  every place with an Arabic name;
- ``geonames_cities15000_mena_2013snapshot.tsv`` (GeoNames, CC BY): every city with a usable
  Arabic alternate name;
- ``data/countries.csv`` (curated): countries and capitals;
- ``data/gazetteer_overlay.csv`` (curated): places the sources lack or get wrong;
- ``data/gazetteer_stoplist.txt``: names that are ordinary words and are dropped.

Same-named settlements of one country closer than ``MERGE_KM`` are merged into one row
(overlay > countries.csv > OSM > GeoNames decides coordinates and kind); Libyan rows without a
curated admin1 get the admin1 of the nearest district seat flagged in the overlay.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from processors.coder.gazetteer import (
    DATA_DIR,
    GAZETTEER_PATH,
    TSV_COLUMNS,
    haversine_km,
    load_stoplist,
    precision_for_kind,
)
from processors.coder.text import PROCLITICS, normalize

DEFAULT_SOURCES = Path(__file__).resolve().parents[2].parent / "shared/data/gazetteer_sources"
MERGE_KM = 25.0
SETTLEMENTS = {"capital": 5, "city": 4, "town": 3, "village": 2, "hamlet": 1}
PRIORITY = {"overlay": 0, "countries": 1, "osm": 2, "geonames": 3}
MIN_NAME_LEN = 3  # normalised letters; shorter GeoNames/OSM names are mostly noise
CUE_ZIPF = 3.5  # source names at least this frequent as words need a locative cue...
DROP_ZIPF = 4.2  # ...and at least this frequent are dropped (see apply_frequency_rules)
BLOCK_MIN_ZIPF = 2.0  # a clitic form must be at least this frequent to be blocked
NOTABLE_POP = 200_000
FOREIGN_DROP_ZIPF = 3.0  # outside the Arab world even rarer word-homographs are dropped...
FOREIGN_NOTABLE_POP = 300_000  # ...unless the city is this large
ARAB_WORLD = frozenset(
    {
        "AE",
        "BH",
        "DZ",
        "EG",
        "IQ",
        "JO",
        "KW",
        "LB",
        "LY",
        "MA",
        "MR",
        "OM",
        "PS",
        "QA",
        "SA",
        "SD",
        "SY",
        "TN",
        "YE",
    }
)

# Generic words that precede a proper name: "قرية X" also yields "X".
_PREFIXES = (
    "قريه",
    "مدينه",
    "بلده",
    "منطقه",
    "شعبيه",
    "واحه",
    "محافظه",
    "ولايه",
    "قضاء",
    "ناحيه",
    "استان",
    "شهرستان",
    "بلديه",
)
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF`'’ʻ]+")
_SPLIT = re.compile(r"\s+-\s*|\s*-\s+|[/()\[\].،,;؛]|(?<=\S)-(?=\S)")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_NON_ARABIC = re.compile(r"[^\u0621-\u064A\u064B-\u0652\u0670\u0640\s0-9]")
_PERSIAN_FOLD = str.maketrans({"ی": "ي", "ک": "ك", "\u200c": " ", "\u200e": "", "\u200f": ""})

_TRANSLIT = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "و": "w",
    "ي": "y",
    "ى": "a",
    "ئ": "'",
    "ؤ": "'",
    "ء": "'",
}


@dataclass
class Row:
    """One gazetteer row while it is being built."""

    id: str
    name: str
    name_ar: str
    variants: list[str]
    lat: float | None
    lon: float | None
    admin1: str
    country_code: str
    kind: str
    population: int | None
    geo_precision: int | None
    sources: list[str]
    origin: str  # overlay | countries | osm | geonames
    seat: bool = False
    replaces: list[str] = field(default_factory=list)
    cue_only: list[str] = field(default_factory=list)  # names matched only after a cue
    blocked: list[str] = field(default_factory=list)  # token forms not read as clitic+name

    def names(self) -> list[str]:
        """Arabic name first, then the variants."""
        return [self.name_ar, *self.variants]


def name_key(name: str) -> str:
    """Normalised, space-collapsed form used to compare names."""
    return " ".join(normalize(name).split())


def transliterate(name_ar: str) -> str:
    """A rough Latin rendering for places whose sources give no Latin name."""
    words = []
    for word in name_ar.split():
        if word.startswith("ال"):
            latin = "Al " + "".join(_TRANSLIT.get(c, "") for c in word[2:])
        else:
            latin = "".join(_TRANSLIT.get(c, "") for c in word)
        words.append(latin.strip().title())
    return " ".join(w for w in words if w) or name_ar


def split_arabic_names(raw: str, qualifiers: set[str]) -> list[str]:
    """Clean one raw Arabic name field into a primary name plus variants.

    Latin text is dropped, alternatives separated by / - ( ) . become variants, a generic
    prefix (قرية، مدينة، منطقة ...) gives an extra variant without it, and a trailing
    qualifier naming a known city ("الفتائح درنة") gives a variant without the qualifier.
    """
    text = _LATIN.sub(" ", raw.translate(_PERSIAN_FOLD))
    pieces = [" ".join(p.split()) for p in _SPLIT.split(text)]
    pieces = [p for p in pieces if _ARABIC_LETTER.search(p) and not _NON_ARABIC.search(p)]
    if len(pieces) > 1:  # "الخضراء-ترهونة": a bare city name after a separator is a qualifier
        pieces = [pieces[0]] + [p for p in pieces[1:] if name_key(p) not in qualifiers]
    out: list[str] = []
    for piece in pieces:
        words = piece.split()
        forms = [piece]
        if len(words) > 1 and normalize(words[0]) in _PREFIXES:
            forms.insert(0, " ".join(words[1:]))
        rest = words[:-1]
        if (
            rest
            and name_key(words[-1]) in qualifiers
            and (len(rest) > 1 or normalize(rest[0]).startswith("ال"))
        ):  # "الفتائح درنة" -> "الفتائح", but "باب العزيزية" stays whole
            forms.append(" ".join(rest))
        for form in forms:
            if form and name_key(form) not in {name_key(o) for o in out}:
                out.append(form)
    return out


def _latin_name(names: dict[str, str], fallback_ar: str, raw_ar: str) -> str:
    for lang in ("en", "fr", "de", "it", "es", "pt", "nl"):
        if names.get(lang) and not _ARABIC_LETTER.search(names[lang]):
            return names[lang].strip()
    latin = " ".join(_LATIN.findall(raw_ar)).strip()
    return latin.title() if latin else transliterate(fallback_ar)


def load_osm(sources: Path) -> list[Row]:
    """Every OSM place (ids: osm:<type>/<record id>); those without Arabic name or
    coordinates are dropped after the overlay had the chance to replace them."""
    data = json.loads((sources / "libya_osm_places_all.json").read_text(encoding="utf-8"))
    places = [(p, p.get("type", "village")) for p in data["data"]]
    missing = json.loads((sources / "libya_osm_missing_locations.json").read_text("utf-8"))
    places += [(p, "missing") for p in missing]
    qualifiers = {name_key(p["name"][0].get("ar", "")) for p, kind in places if kind == "city"} - {
        ""
    }
    rows = []
    for place, kind in places:
        names = place["name"][0]
        raw = names.get("ar") or ""
        arabic = split_arabic_names(raw, qualifiers) or [""]  # nameless rows: see below
        rows.append(
            Row(
                id=f"osm:{kind}/{place['id']}",
                name=_latin_name(names, arabic[0], raw),
                name_ar=arabic[0],
                variants=arabic[1:],
                lat=place.get("latitude"),
                lon=place.get("longitude"),
                admin1="",
                country_code="LY",
                kind="town" if kind == "missing" else kind,
                population=None,
                geo_precision=None,
                sources=[f"osm:{kind}/{place['id']}"],
                origin="osm",
            )
        )
    return rows


def _geonames_kind(code: str, population: int) -> str | None:
    if code == "PPLC":
        return "capital"
    if code in ("PPLW", "PPLH", "PPLQ"):
        return None  # destroyed, historical or abandoned
    if code == "PPLX":
        return "district"
    if code in ("PPLA", "PPLA2"):
        return "city" if population >= 50_000 else "town"
    return "city" if population >= 100_000 else "town"


def load_geonames(sources: Path) -> list[Row]:
    """GeoNames MENA cities; those without a clean Arabic alternate name are dropped after
    the overlay had the chance to replace them."""
    rows = []
    path = sources / "geonames_cities15000_mena_2013snapshot.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            population = int(rec["population"] or 0)
            kind = _geonames_kind(rec["feature_code"], population)
            if kind is None:
                continue
            arabic: list[str] = []
            for alt in rec["alternatenames"].split(","):
                if not _ARABIC_LETTER.search(alt) or _LATIN.search(alt):
                    continue
                for form in split_arabic_names(alt, set()):
                    if name_key(form) not in {name_key(a) for a in arabic}:
                        arabic.append(form)
            arabic = [a for a in arabic if len(name_key(a).replace(" ", "")) >= MIN_NAME_LEN]
            arabic = arabic or [""]  # kept until an overlay row can replace it, then dropped
            gid = f"geonames:{rec['geonameid']}"
            rows.append(
                Row(
                    id=gid,
                    name=rec["asciiname"] or rec["name"],
                    name_ar=arabic[0],
                    variants=arabic[1:],
                    lat=float(rec["latitude"]),
                    lon=float(rec["longitude"]),
                    admin1="",
                    country_code=rec["country_code"],
                    kind=kind,
                    population=population or None,
                    geo_precision=None,
                    sources=[gid],
                    origin="geonames",
                )
            )
    return rows


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def load_countries(path: Path = DATA_DIR / "countries.csv") -> tuple[list[Row], dict[str, str]]:
    """Country rows and capital rows from the curated countries file, plus code -> name."""
    rows, names = [], {}
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            code = rec["iso2"]
            names[code] = rec["name"]
            rows.append(
                Row(
                    id=f"country:{code}",
                    name=rec["name"],
                    name_ar=rec["name_ar"],
                    variants=_split(rec["variants"]),
                    lat=float(rec["latitude"]),
                    lon=float(rec["longitude"]),
                    admin1="",
                    country_code=code,
                    kind="country",
                    population=None,
                    geo_precision=3,
                    sources=[rec["source"]],
                    origin="countries",
                )
            )
            if rec["capital_ar"]:
                rows.append(
                    Row(
                        id=f"capital:{code}",
                        name=rec["capital"],
                        name_ar=rec["capital_ar"],
                        variants=_split(rec["capital_variants"]),
                        lat=float(rec["capital_lat"]),
                        lon=float(rec["capital_lon"]),
                        admin1=rec["capital_admin1"],
                        country_code=code,
                        kind="capital",
                        population=None,
                        geo_precision=None,
                        sources=[rec["source"]],
                        origin="countries",
                    )
                )
    return rows, names


def load_overlay(path: Path = DATA_DIR / "gazetteer_overlay.csv") -> list[Row]:
    """Curated rows; blank coordinates are taken from the first row they replace."""
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            rows.append(
                Row(
                    id=f"curated:{rec['key']}",
                    name=rec["name"],
                    name_ar=rec["name_ar"],
                    variants=_split(rec["variants"]),
                    lat=float(rec["latitude"]) if rec["latitude"] else None,
                    lon=float(rec["longitude"]) if rec["longitude"] else None,
                    admin1=rec["admin1"],
                    country_code=rec["country_code"],
                    kind=rec["kind"],
                    population=int(rec["population"]) if rec["population"] else None,
                    geo_precision=int(rec["geo_precision"]) if rec["geo_precision"] else None,
                    sources=["curated"],
                    origin="overlay",
                    seat=rec["admin1_seat"] == "1",
                    replaces=_split(rec["replaces"]),
                )
            )
    return rows


def apply_replacements(rows: list[Row]) -> list[Row]:
    """Drop source rows an overlay row replaces, inheriting their coordinates/population."""
    by_id = {r.id: r for r in rows}
    dropped: set[str] = set()
    for row in rows:
        for rid in row.replaces:
            old = by_id.get(rid)
            if old is None:
                raise ValueError(f"{row.id} replaces unknown row {rid}")
            dropped.add(rid)
            if row.lat is None and old.lat is not None:
                row.lat, row.lon = old.lat, old.lon
            if row.population is None:
                row.population = old.population
            row.sources.extend(s for s in old.sources if s not in row.sources)
            for name in old.names():
                if name_key(name) not in {name_key(n) for n in row.names()}:
                    row.variants.append(name)
    # Source rows without an Arabic name only serve as replacement targets.
    kept = [r for r in rows if r.id not in dropped and r.name_ar]
    for row in kept:
        if (row.lat is None or row.lon is None) and row.origin == "overlay":
            raise ValueError(f"{row.id} has no coordinates")
    return [r for r in kept if r.lat is not None and r.lon is not None]


def merge_duplicates(rows: list[Row]) -> list[Row]:
    """Merge same-named settlements of one country closer than ``MERGE_KM``."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_name: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        if row.kind not in SETTLEMENTS:
            continue
        for name in {name_key(n) for n in row.names()}:
            by_name.setdefault((row.country_code, name), []).append(i)
    for members in by_name.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                ra, rb = rows[a], rows[b]
                if haversine_km(ra.lat, ra.lon, rb.lat, rb.lon) <= MERGE_KM:  # type: ignore[arg-type]
                    parent[find(a)] = find(b)
    groups: dict[int, list[Row]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(find(i), []).append(row)
    return [_merge_group(g) for g in groups.values()]


def _merge_group(group: list[Row]) -> Row:
    group.sort(key=lambda r: (PRIORITY[r.origin], r.id))
    base = group[0]
    if len(group) == 1:
        return base
    if base.origin in ("osm", "geonames"):  # sources disagree on size: keep the larger kind
        base.kind = max((r.kind for r in group), key=lambda k: SETTLEMENTS.get(k, 0))
    for other in group[1:]:
        for name in other.names():
            if name_key(name) not in {name_key(n) for n in base.names()}:
                base.variants.append(name)
        base.sources.extend(s for s in other.sources if s not in base.sources)
        if base.population is None and other.population:
            base.population = other.population
        if not base.admin1 and other.admin1:
            base.admin1 = other.admin1
        if other.seat:
            base.seat = True
    return base


def apply_stoplist(rows: list[Row], stop: set[str]) -> tuple[list[Row], int]:
    """Remove names that are ordinary words; rows left with no name are dropped."""
    kept, dropped = [], 0
    for row in rows:
        names = [n for n in row.names() if name_key(n) not in stop]
        short = [n for n in names if len(name_key(n).replace(" ", "")) < MIN_NAME_LEN]
        if row.origin in ("osm", "geonames"):
            names = [n for n in names if n not in short]
        if not names:
            dropped += 1
            continue
        row.name_ar, row.variants = names[0], names[1:]
        kept.append(row)
    return kept, dropped


def load_word_zipf() -> dict[str, float]:
    """Zipf frequency (log10 per billion words) of every normalised Arabic word form, from
    the ``wordfreq`` package (build-time dependency only); spellings that normalise alike
    are summed, so المائة and الماية count as one form."""
    from wordfreq import get_frequency_dict  # build-time only; not needed to load the TSV

    summed: dict[str, float] = {}
    for word, freq in get_frequency_dict("ar").items():
        key = normalize(word)
        summed[key] = summed.get(key, 0.0) + freq
    return {k: math.log10(f * 1e9) for k, f in summed.items() if f > 0}


def apply_frequency_rules(
    rows: list[Row], zipf: dict[str, float], curated: set[str], manual_cue: set[str]
) -> dict[str, int]:
    """Demote source names that are frequent ordinary words; block clitic misreadings.

    A one-word name from OSM/GeoNames (not spelled so in countries.csv or the overlay) with
    Zipf frequency >= ``DROP_ZIPF`` is dropped, and one >= ``CUE_ZIPF`` needs a locative cue,
    unless the place is an Arab-world city of >= ``NOTABLE_POP`` people (then the frequency
    is mostly the city's own). Outside the Arab world such names (usually Persian/Hebrew
    spellings that collide with Arabic words) are dropped from ``CUE_ZIPF`` on, and from
    ``FOREIGN_DROP_ZIPF`` on for towns under ``FOREIGN_NOTABLE_POP``. Names on the
    stoplist's ``~`` list are kept as cue-only whatever their frequency. For every one-word
    name, a token "proclitic + name" that is itself more frequent than the name (لجنة vs
    جنة, لغات vs غات) is recorded so the matcher never reads it as clitic + place.
    """
    stats = {
        "names_dropped_as_frequent_words": 0,
        "names_made_cue_only": 0,
        "rows_dropped_as_frequent_words": 0,
    }
    kept = []
    for row in rows:
        names, cue = [], []
        for name in row.names():
            key = name_key(name)
            z = zipf.get(key, 0.0)
            verdict = _frequency_verdict(row, key, z, curated, manual_cue)
            if verdict == "drop":
                stats["names_dropped_as_frequent_words"] += 1
                continue
            if verdict == "cue":
                cue.append(name)
                stats["names_made_cue_only"] += key not in manual_cue
            names.append(name)
            if " " not in key:
                row.blocked.extend(_blocked_forms(key, z, zipf))
        if not names:
            stats["rows_dropped_as_frequent_words"] += 1
            continue
        row.name_ar, row.variants = names[0], names[1:]
        row.cue_only = cue
        row.blocked = sorted(set(row.blocked))
        kept.append(row)
    rows[:] = kept
    return stats


def _frequency_verdict(
    row: Row, key: str, z: float, curated: set[str], manual_cue: set[str]
) -> str:
    """ "keep", "cue" or "drop" for one name of one row (see ``apply_frequency_rules``)."""
    if key in manual_cue:
        return "cue"
    if " " in key or key in curated:
        return "keep"
    if row.country_code not in ARAB_WORLD:
        big = (row.population or 0) >= FOREIGN_NOTABLE_POP
        return "drop" if z >= (CUE_ZIPF if big else FOREIGN_DROP_ZIPF) else "keep"
    if (row.population or 0) >= NOTABLE_POP or z < CUE_ZIPF:
        return "keep"
    return "drop" if z >= DROP_ZIPF else "cue"


def _blocked_forms(key: str, z: float, zipf: dict[str, float]) -> list[str]:
    forms = []
    for clitic in PROCLITICS:
        if clitic.endswith(("ال", "لل")) and not key.startswith("ال"):
            continue  # the matcher never reads these as clitic + article-less name
        form = normalize(clitic) + key
        if zipf.get(form, 0.0) > max(z, BLOCK_MIN_ZIPF):
            forms.append(form)
    return forms


def assign_libya_admin1(rows: list[Row]) -> int:
    """Give Libyan rows without admin1 the admin1 of the nearest district seat."""
    seats = [r for r in rows if r.seat and r.country_code == "LY" and r.admin1]
    count = 0
    for row in rows:
        if row.country_code != "LY" or row.admin1 or row.kind in ("country", "region"):
            continue
        nearest = min(seats, key=lambda s: haversine_km(row.lat, row.lon, s.lat, s.lon))  # type: ignore[arg-type]
        row.admin1 = nearest.admin1
        count += 1
    return count


def build(
    sources: Path, zipf: dict[str, float] | None = None
) -> tuple[list[Row], dict[str, str], dict[str, int]]:
    """Assemble every row; returns rows, country names and build statistics."""
    stop, manual_cue, _cue_words = load_stoplist()
    osm, geonames = load_osm(sources), load_geonames(sources)
    countries, country_names = load_countries()
    overlay = load_overlay()
    curated = {name_key(n) for r in overlay + countries for n in r.names()}
    stats = {
        "osm": len(osm),
        "geonames": len(geonames),
        "countries_and_capitals": len(countries),
        "overlay": len(overlay),
    }
    rows = apply_replacements(overlay + countries + osm + geonames)
    stats["after_replacements"] = len(rows)
    rows = merge_duplicates(rows)
    stats["after_merge"] = len(rows)
    rows, stats["dropped_by_stoplist"] = apply_stoplist(rows, stop)
    stats.update(
        apply_frequency_rules(
            rows, zipf if zipf is not None else load_word_zipf(), curated, manual_cue
        )
    )
    stats["libya_admin1_by_nearest_seat"] = assign_libya_admin1(rows)
    unknown = {r.country_code for r in rows} - set(country_names)
    if unknown:
        raise ValueError(f"country codes missing from countries.csv: {sorted(unknown)}")
    rows.sort(key=lambda r: (r.country_code, r.kind, name_key(r.name_ar), r.id))
    stats["rows"] = len(rows)
    return rows, country_names, stats


def write_tsv(rows: list[Row], country_names: dict[str, str], out: Path) -> None:
    """Write the gazetteer TSV (one provenance comment line, then header and rows)."""
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# Marsad gazetteer. Built by processors/coder/build_gazetteer.py; "
            "see GAZETTEER_PROVENANCE.md. Rows with osm: sources: (c) OpenStreetMap "
            "contributors, ODbL 1.0. Rows with geonames: sources: GeoNames, CC BY 4.0.\n"
        )
        writer = csv.writer(
            fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\"
        )
        writer.writerow(TSV_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    r.name,
                    r.name_ar,
                    "|".join(r.variants),
                    f"{r.lat:.5f}",
                    f"{r.lon:.5f}",
                    r.admin1,
                    country_names[r.country_code],
                    r.country_code,
                    r.kind,
                    r.population or "",
                    r.geo_precision or precision_for_kind(r.kind),
                    ";".join(r.sources),
                    "|".join(r.cue_only),
                    "|".join(r.blocked),
                ]
            )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    parser.add_argument("--out", type=Path, default=GAZETTEER_PATH)
    args = parser.parse_args(argv)
    if not args.sources.is_dir():
        print(f"sources folder not found: {args.sources}", file=sys.stderr)
        return 1
    rows, country_names, stats = build(args.sources)
    write_tsv(rows, country_names, args.out)
    for key, value in stats.items():
        print(f"{key}: {value}")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tests for the gazetteer data, the place matcher and homonym resolution."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest

from processors.coder.build_gazetteer import split_arabic_names
from processors.coder.gazetteer import (
    COUNTRIES_PATH,
    GAZETTEER_PATH,
    KINDS,
    STOPLIST_PATH,
    TSV_COLUMNS,
    Gazetteer,
    GazetteerEntry,
    haversine_km,
    load_gazetteer,
    load_stoplist,
    precision_for_kind,
    resolve,
)
from processors.coder.text import phrase_key, split_sentences, tokenize

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"
SNN = SHARED / "data" / "articles" / "saudinewsnet_2015_conflict_sample.jsonl"
needs_shared = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared test data not present")


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def places(gaz: Gazetteer, text: str, context: set[str] | None = None) -> list[tuple[str, str]]:
    """(entry name, country code) for every place found in ``text``."""
    return [(m.entry.name, m.entry.country_code) for m in gaz.find(tokenize(text), context)]


def _entry(
    eid: str,
    name_ar: str,
    cc: str,
    kind: str,
    lat: float,
    lon: float,
    population: int | None = None,
    variants: tuple[str, ...] = (),
) -> GazetteerEntry:
    return GazetteerEntry(
        id=eid,
        name=eid,
        name_ar=name_ar,
        variants=variants,
        latitude=lat,
        longitude=lon,
        admin1=None,
        country=cc,
        country_code=cc,
        kind=kind,
        population=population,
        geo_precision=precision_for_kind(kind),
        source="curated",
    )


# --- the data files ----------------------------------------------------------------------


def _rows() -> list[dict[str, str]]:
    with GAZETTEER_PATH.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))


def test_tsv_rows_are_complete_and_valid() -> None:
    rows = _rows()
    assert len(rows) > 1500
    assert GAZETTEER_PATH.stat().st_size < 5_000_000
    with COUNTRIES_PATH.open(encoding="utf-8") as fh:
        codes = {r["iso2"]: r["name"] for r in csv.DictReader(fh)}
    one = r"(osm:\w+/\d+|geonames:\d+|curated)"
    source = re.compile(rf"^{one}(;{one})*$")
    ids = set()
    for r in rows:
        assert tuple(r) == TSV_COLUMNS
        assert r["id"] not in ids
        ids.add(r["id"])
        assert r["name"] and r["name_ar"], r
        assert -90 <= float(r["latitude"]) <= 90 and -180 <= float(r["longitude"]) <= 180
        assert r["kind"] in KINDS, r
        assert codes[r["country_code"]] == r["country"]
        assert source.match(r["source"]), r["source"]
        assert int(r["geo_precision"]) in (1, 2, 3)
        assert not r["population"] or int(r["population"]) > 0
        if r["country_code"] == "LY" and r["kind"] not in ("country", "region"):
            assert r["admin1"], r  # every Libyan place has a district


def test_provenance_credits_sources() -> None:
    text = (GAZETTEER_PATH.parent / "GAZETTEER_PROVENANCE.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in text and "ODbL 1.0" in text
    assert "GeoNames" in text and "CC BY" in text
    assert "OpenStreetMap contributors" in GAZETTEER_PATH.read_text(encoding="utf-8")[:400]


def test_no_stoplist_word_is_a_name() -> None:
    stop, _cue, _cue_words = load_stoplist()
    assert {"ان", "كان", "دوله", "وقف", "الحرب", "المنطقه", "مدينه", "الجبل"} <= stop
    for r in _rows():
        for name in [r["name_ar"], *r["variants"].split("|")]:
            assert " ".join(phrase_key(name)) not in stop, (name, r["id"])


@pytest.mark.parametrize(
    ("arabic", "english", "cc", "kind"),
    [
        ("قاعدة الوطية", "Al Watiya Air Base", "LY", "base"),
        ("الأصابعة", "Al Asabaa", "LY", "town"),
        ("مرتفعات الفتائح", "Al Fatayih", "LY", "heights"),
        ("وادي علي", "Wadi Ali", "LY", "wadi"),
        ("حي الـ400", "Hay al-400 (Derna)", "LY", "district"),
        ("حي السيدة خديجة", "Hay al-Sayyida Khadija (Derna)", "LY", "district"),
        ("ميناء سرت", "Sirte Port", "LY", "port"),
        ("مطار سرت", "Sirte Airport (Ghardabiya)", "LY", "airport"),
        ("طرابلس الليبية", "Tripoli", "LY", "capital"),
        ("طرابلس اللبنانية", "Tripoli (Lebanon)", "LB", "city"),
        ("درنة", "Derna", "LY", "city"),
        ("بنغازي", "Benghazi", "LY", "city"),
        ("سرت", "Sirte", "LY", "city"),
        ("إجدابيا", "Ajdabiya", "LY", "city"),
        ("طبرق", "Tobruk", "LY", "city"),
        ("مصراتة", "Misrata", "LY", "city"),
        ("الهلال النفطي", "Oil Crescent", "LY", "region"),
        ("الجفرة", "Al Jufrah", "LY", "region"),
        ("سبها", "Sabha", "LY", "city"),
        ("الكفرة", "Al Kufrah", "LY", "city"),
        ("أوباري", "Ubari", "LY", "city"),
        ("الجنوب الليبي", "Southern Libya", "LY", "region"),
        ("شرق ليبيا", "Eastern Libya", "LY", "region"),
        ("فزان", "Fezzan", "LY", "region"),
        ("برقة", "Cyrenaica", "LY", "region"),
        ("إقليم طرابلس", "Tripolitania", "LY", "region"),
        ("بروكسل", "Brussels", "BE", "capital"),
        ("روما", "Rome", "IT", "capital"),
        ("لندن", "London", "GB", "capital"),
        ("الرياض", "Riyadh", "SA", "capital"),
        ("واشنطن", "Washington", "US", "capital"),
        ("بغداد", "Baghdad", "IQ", "capital"),
        ("الموصل", "Mosul", "IQ", "city"),
        ("الرمادي", "Ramadi", "IQ", "city"),
        ("الفلوجة", "Fallujah", "IQ", "city"),
        ("دمشق", "Damascus", "SY", "capital"),
        ("حلب", "Aleppo", "SY", "city"),
        ("الرقة", "Raqqa", "SY", "city"),
        ("لبيبا", "Libya", "LY", "country"),
    ],
)
def test_curated_places(gaz: Gazetteer, arabic: str, english: str, cc: str, kind: str) -> None:
    found = [(e.name, e.country_code, e.kind) for e in gaz.lookup(arabic)]
    assert (english, cc, kind) in found


def test_luxembourg_spellings_and_admin1(gaz: Gazetteer) -> None:
    for spelling in ("لوكسمبورج", "لوكسمبورغ", "لكسمبورغ"):
        assert {e.country_code for e in gaz.lookup(spelling)} == {"LU"}
    assert gaz.lookup("الأصابعة")[0].admin1 == "Al Jabal al Gharbi"
    assert gaz.lookup("العجيلات")[0].admin1 == "Az Zawiyah"  # nearest district seat


# --- matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["هجوم بسرت", "الطريق لسرت", "في بنغازي وسرت", "بـسرت", "بـ سرت", "في مدينة سرت"],
)
def test_clitics_and_tatweel(gaz: Gazetteer, text: str) -> None:
    assert ("Sirte", "LY") in places(gaz, text)


def test_capital_with_article_and_proclitics(gaz: Gazetteer) -> None:
    assert places(gaz, "اشتباكات بالعاصمة طرابلس ووطرابلس")[0] == ("Tripoli", "LY")
    assert places(gaz, "درنة وطرابلس") == [("Derna", "LY"), ("Tripoli", "LY")]
    assert places(gaz, "الحكومة في لليبيا") == [("Libya", "LY")]


def test_longest_match_wins_and_offsets(gaz: Gazetteer) -> None:
    text = 'السيطرة على قاعدة "الوطية" الجوية وميناء سرت'
    matches = gaz.find(tokenize(text))
    assert [m.entry.kind for m in matches] == ["base", "port"]
    base = matches[0]
    assert (base.token_start, base.token_end) == (2, 5)
    assert text[base.start : base.end] == 'قاعدة "الوطية" الجوية'
    assert text[matches[1].start : matches[1].end] == "وميناء سرت"


def test_article_does_not_strip_onto_bare_names() -> None:
    g = Gazetteer([_entry("badr", "بدر", "LY", "town", 32.0, 11.5)])
    assert g.find(tokenize("البدر")) == []
    assert [m.entry.id for m in g.find(tokenize("وبدر"))] == ["badr"]


def test_stoplist_words_never_match(gaz: Gazetteer) -> None:
    for line in STOPLIST_PATH.read_text(encoding="utf-8").splitlines():
        if line and line[0] not in "#~@":
            assert gaz.find(tokenize(line)) == [], line
    text = (
        "أن كان دولة وقف الحرب المنطقة مدينة الجبل وقال إن ستة ملايين نسمة في المائة "
        "لصالح اللجنة في بيان صدر عن التركي والأسلحة البيضاء بطريقة سلمية دوماً"
    )
    assert gaz.find(tokenize(text)) == []


def test_cue_only_names(gaz: Gazetteer) -> None:
    assert places(gaz, "انتشار الأسلحة البيضاء") == []
    assert places(gaz, "اشتباكات في البيضاء") == [("Al Bayda", "LY")]
    assert places(gaz, "معارك بالبيضاء") == [("Al Bayda", "LY")]
    assert places(gaz, "السنوات الخمس") == []
    assert places(gaz, "وصلوا إلى الخمس") == [("Al Khums", "LY")]


# --- disambiguation ----------------------------------------------------------------------


def test_tripoli_by_article_context(gaz: Gazetteer) -> None:
    toks = tokenize("انفجار في طرابلس")
    assert resolve(gaz.match(toks), {"LB"})[0].entry.country_code == "LB"
    assert gaz.find(toks, {"LY"})[0].entry.country_code == "LY"
    assert gaz.find(toks, {"Lebanon"})[0].entry.country_code == "LB"
    assert gaz.find(toks)[0].entry.country_code == "LY"  # capital outranks a city
    assert places(gaz, "مسلحون في لبنان. انفجار في طرابلس")[-1] == ("Tripoli (Lebanon)", "LB")
    assert places(gaz, "الجيش اللبناني ينتشر في طرابلس")[-1] == ("Tripoli (Lebanon)", "LB")
    assert places(gaz, "القوات الليبية في طرابلس")[-1] == ("Tripoli", "LY")


def test_homonymous_villages_by_nearness(gaz: Gazetteer) -> None:
    # a town and a village share the name: the one near the other places mentioned wins
    east = places(gaz, "اشتباكات في العرقوب غربي مدينة إجدابيا")
    west = places(gaz, "اشتباكات في العرقوب قرب الزنتان")
    assert east[0] == ("Al Arqub", "LY") and west[0] == ("Al Urqub", "LY")
    near = _entry("near", "عين-س", "LY", "village", 32.7, 22.6)
    far = _entry("far", "عين-س", "LY", "village", 25.0, 10.0, population=9000)
    anchor = _entry("anchor", "مدينة-ص", "LY", "city", 32.76, 22.64)
    g = Gazetteer([near, far, anchor])
    assert g.find(tokenize("عين-س"))[0].entry.id == "far"
    assert g.find(tokenize("عين-س قرب مدينة-ص"))[0].entry.id == "near"


def test_kind_rank_country_capital_and_hamlets() -> None:
    cap = _entry("cap", "المدينة-س", "LY", "capital", 32.9, 13.2, 1_000_000)
    hamlet = _entry("ham", "المدينة-س", "LB", "hamlet", 34.4, 35.8)
    g = Gazetteer([cap, hamlet])
    assert g.find(tokenize("في المدينة-س"), {"LB"})[0].entry.id == "cap"  # hamlet never wins
    v1 = _entry("v1", "قريتنا", "LY", "village", 30.0, 20.0, 500)
    v2 = _entry("v2", "قريتنا", "LY", "village", 30.1, 20.1, 5000)
    assert Gazetteer([v1, v2]).find(tokenize("قريتنا"))[0].entry.id == "v2"  # population


def test_country_versus_own_capital(gaz: Gazetteer) -> None:
    assert places(gaz, "قتلى في تونس")[0] == ("Tunisia", "TN")
    assert places(gaz, "هجوم في العاصمة تونس")[0] == ("Tunis", "TN")


def test_context_countries_counts_demonyms(gaz: Gazetteer) -> None:
    toks = tokenize("قال المسؤول الأمريكي إن القوات الليبية دخلت سرت")
    ctx = gaz.context_countries(toks)
    assert ctx["US"] == 1 and ctx["LY"] == 2


# --- conversion and geometry -------------------------------------------------------------


def test_to_place_precision(gaz: Gazetteer) -> None:
    got = {
        m.entry.name: m.to_place()
        for m in gaz.find(tokenize("من سرت إلى وادي علي في شرق ليبيا ثم ليبيا"))
    }
    assert got["Sirte"].geo_precision == 1 and got["Sirte"].admin1 == "Surt"
    assert got["Sirte"].surface == "سرت" and got["Sirte"].kind == "city"
    assert got["Wadi Ali"].geo_precision == 2
    assert got["Eastern Libya"].geo_precision == 3
    assert got["Libya"].geo_precision == 3 and got["Libya"].admin1 is None
    assert [precision_for_kind(k) for k in ("village", "heights", "wadi", "region", "country")] == [
        1,
        1,
        2,
        3,
        3,
    ]


def test_haversine_and_nearest(gaz: Gazetteer) -> None:
    assert haversine_km(32.8967, 13.1778, 32.12, 20.0812) == pytest.approx(650, abs=10)
    assert haversine_km(10, 10, 10, 10) == 0
    km, entry = gaz.nearest(32.76, 22.64, kinds={"city"}, country_code="LY")[0]
    assert entry.name == "Derna" and km < 2


# --- real text (skipped without ../shared) ------------------------------------------------


def _seed(prefix: str) -> str:
    return next(SEEDS.glob(prefix + "_*.txt")).read_text(encoding="utf-8")


@needs_shared
@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        (
            "003",
            {
                ("Sirte", "LY"),
                ("Sirte Port", "LY"),
                ("Libya", "LY"),
                ("Fallujah", "IQ"),
                ("Nineveh Plains", "IQ"),
            },
        ),
        (
            "000",
            {
                ("Tripoli", "LY"),
                ("Al Asabaa", "LY"),
                ("Al Watiya Air Base", "LY"),
                ("Rome", "IT"),
                ("Brussels", "BE"),
                ("Riyadh", "SA"),
            },
        ),
        (
            "002",
            {
                ("Derna", "LY"),
                ("Benghazi", "LY"),
                ("Ajdabiya", "LY"),
                ("Wadi Ali", "LY"),
                ("Al Arqub", "LY"),
                ("Al Fatayih", "LY"),
                ("Sirte", "LY"),
                ("London", "GB"),
                ("Tobruk", "LY"),
                ("Hay al-400 (Derna)", "LY"),
                ("Tripoli", "LY"),
                ("Hay al-Sayyida Khadija (Derna)", "LY"),
                ("Eastern Libya", "LY"),
            },
        ),
        (
            "004",
            {
                ("Libya", "LY"),
                ("Southern Libya", "LY"),
                ("Washington", "US"),
                ("Sirte", "LY"),
                ("Tripoli", "LY"),
            },
        ),
        ("001", {("Luxembourg", "LU"), ("Iraq", "IQ"), ("Syria", "SY")}),
    ],
)
def test_seed_places(gaz: Gazetteer, seed: str, expected: set[tuple[str, str]]) -> None:
    found = set(places(gaz, _seed(seed)))
    assert expected <= found, expected - found
    assert ("Tripoli (Lebanon)", "LB") not in found


@needs_shared
def test_seed_002_arqub_is_the_one_near_ajdabiya(gaz: Gazetteer) -> None:
    arqub = [m for m in gaz.find(tokenize(_seed("002"))) if m.key.endswith("العرقوب")]
    assert arqub and all(m.entry.admin1 == "Al Wahat" for m in arqub)
    assert haversine_km(arqub[0].entry.latitude, arqub[0].entry.longitude, 30.755, 20.223) < 100


@needs_shared
def test_real_text_has_no_known_false_positives(gaz: Gazetteer) -> None:
    """Words that once matched as places in the seeds / SaudiNewsNet sample (hamlets named
    like ordinary words, Persian spellings, clitic misreadings) must stay unmatched."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    if SNN.is_file():
        with SNN.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["content"] for line in fh]
    stop, _cue, _cue_words = load_stoplist()
    banned = {
        "التركي",
        "صالح",
        "بيان",
        "امل",
        "سنه",
        "بانه",
        "المايه",
        "جنه",
        "بشار",
        "دورا",
        "حمد",
        "عيسي",
        "اراك",
        "اشرف",
        "ماليه",
        "نسمه",
        "قيره",
        "اباده",
        "غات",
        "تربو",
        "نقده",
        "خمين",
        "تفت",
        "لالي",
        "القواسم",
        "السفيره",
        "الوسيطه",
        "الزرق",
        "باب",
    }
    keys = {m.key for text in texts for m in gaz.find(tokenize(text))}
    assert not keys & banned, keys & banned
    assert not keys & stop
    assert len(keys) > 150  # the matcher still finds the real places


@needs_shared
def test_speed_on_seed(gaz: Gazetteer) -> None:
    toks = [t for s in split_sentences(_seed("002")) for t in tokenize(s.text, s.start)]
    assert len(toks) > 800
    best = min(_timed(gaz, toks) for _ in range(5))
    assert best * 1000 / (len(toks) / 100) < 1.0  # ms per 100 tokens


def _timed(gaz: Gazetteer, toks: list) -> float:
    start = time.perf_counter()
    for _ in range(20):
        gaz.find(toks)
    return (time.perf_counter() - start) / 20


# --- build helpers -----------------------------------------------------------------------


def test_split_arabic_names() -> None:
    cities = {"طبرق", "ترهونه", "العزيزيه", "درنه"}
    assert split_arabic_names("Qaryat Marqrun المقرون طبرق", cities) == ["المقرون طبرق", "المقرون"]
    assert split_arabic_names("قرية البيضاء", cities) == ["البيضاء", "قرية البيضاء"]
    assert split_arabic_names("الخضراء-ترهونة", cities) == ["الخضراء"]
    assert split_arabic_names("باب العزيزية", cities) == ["باب العزيزية"]
    assert split_arabic_names("الدرسية (طلميثة)", cities) == ["الدرسية", "طلميثة"]
    assert split_arabic_names("الفتائح درنة", cities) == ["الفتائح درنة", "الفتائح"]

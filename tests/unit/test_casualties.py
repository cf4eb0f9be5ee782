"""Unit tests for processors.coder.casualties (casualty counts and ACLED fatalities)."""

from __future__ import annotations

import pytest

from processors.coder.casualties import Casualty, conservative_fatalities, find_casualties
from processors.coder.numbers import DATA_DIR, read_data_table
from processors.coder.text import tokenize


def cas(text: str, offset: int = 0) -> list[Casualty]:
    return find_casualties(tokenize(text, offset), text)


def brief(text: str) -> list[tuple[str, int | None]]:
    return [(c.kind, c.count) for c in cas(text)]


def only(text: str) -> Casualty:
    found = cas(text)
    assert len(found) == 1, found
    return found[0]


# ---- the seed sentences ----------------------------------------------------------------------


def test_seed_004_air_strikes() -> None:
    text = (
        'ونقلت صحيفة "Armytimes" العسكرية الأمريكية، وهي تصدر 26 مرة في السنة، عن المسؤول '
        'العسكري قوله إن "الغارات تسببت في مقتل نحو 43 إرهابيا من داعش، ويتبقى نحو 100 إرهابي '
        'آخرين".'
    )
    c = only(text)
    assert (c.kind, c.count, c.approx, c.lower_bound, c.vague) == ("killed", 43, True, False, False)
    assert (c.victim_words, c.victim_group, c.claimant) == ("إرهابيا", "داعش", "المسؤول العسكري")
    assert c.surface == "مقتل نحو 43 إرهابيا من داعش"


def test_seed_004_fraction_without_base() -> None:
    c = only(
        "قال مسؤول عسكري أمريكي إن القوات الأمريكية شنت 4 غارات جوية خلال الأسابيع الأخيرة "
        "ضد تنظيم داعش في ليبيا، ما أسفر عن مقتل ما يقرب من ثلث عناصر التنظيم الإرهابي."
    )
    assert (c.kind, c.count, c.approx) == ("killed", None, True)
    assert c.fraction == pytest.approx(1 / 3)
    assert (c.victim_words, c.claimant) == ("عناصر", "مسؤول عسكري أمريكي")


def test_seed_003_claim_by_the_enemy() -> None:
    c = only(
        'بينما أعلن تنظيم داعش على موقع تويتر أن عناصره تصدوا في المنطقة نفسها "لمحاولة تقدم" '
        "القوات الحكومية جنوب مدينة سرت، وتمكنوا من قتل ما يزيد عن سبعة عناصر من القوات "
        "الحكومية."
    )
    assert (c.kind, c.count, c.lower_bound, c.approx) == ("killed", 7, True, False)
    assert (c.victim_words, c.victim_group, c.claimant) == (
        "عناصر",
        "القوات الحكومية",
        "تنظيم داعش",
    )


def test_seed_003_vague_losses() -> None:
    found = cas(
        'وأعلنت القوات الحكومية أنّها اشتبكت "مع عناصر داعش" وكبدتهم "خسائر فادحة في الأرواح '
        'والعتاد"، بينما "فرّ من تبقى منهم تاركين جثث الدواعش خلفهم"، حسب وكالة الصحافة الفرنسية.'
    )
    assert [(c.kind, c.count, c.vague) for c in found] == [
        ("killed", None, True),
        ("killed", None, True),
    ]
    assert all(c.claimant == "القوات الحكومية" for c in found)


def test_seed_000() -> None:
    c = only(
        "وأسفر النزاع عن مئات القتلى بينهم عدد كبير من المدنيين، "
        "ودفع حوالى مئتي ألف شخص إلى الفرار."
    )
    assert (c.kind, c.count, c.vague) == ("killed", 100, True)  # hundreds, not 200,000
    c = only("كمينا نصبته قوات حكومة الوفاق قرب العاصمة طرابلس أدى إلى مقتل عدد من أفراد الأخيرة.")
    assert (c.kind, c.count, c.vague, c.victim_words) == ("killed", 3, True, "أفراد")


def test_seed_002() -> None:
    c = only('فقد ارتفعت خسائر تنظيم "داعش" منذ بداية العام 2016، إلى أكثر من 28 ألف قتيل له.')
    assert (c.kind, c.count, c.lower_bound) == ("killed", 28_000, True)
    c = only("وفي هذه اللحظة استشهد البطل محمد رزق، آمر سرايا الجبل الأخضر")
    assert (c.kind, c.count, c.named, c.victim_words) == ("killed", 1, True, "البطل")


def test_not_casualties() -> None:
    assert cas("ودفع حوالى مئتي ألف شخص إلى الفرار") == []
    assert cas('إن الأسلحة "تمكن الإرهابيين من القتل والإصابة والتسبب في مزيد من الفوضى"') == []
    assert cas("إن 67 في المائة من النازحين يعيشون لدى الأسر المضيفة") == []
    assert cas("ونجح سلاح الجو في تدمير 15 آلية منها") == []
    assert cas("وأضاف أن عنصرا في التنظيم قتل أيضا فيما تضررت ثلاثة من آلياته") == []
    assert cas("في محيط كتيبة شهداء أبو سليم") == []  # a unit's name
    assert cas("حوادث القتل والاختطاف") == []  # the generic acts


# ---- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سقوط 5 قتلى و10 جرحى", [("killed", 5), ("injured", 10)]),
        ("سقوط قتيلين", [("killed", 2)]),
        ("سقط ثلاثة قتلى", [("killed", 3)]),
        ("أوقع 20 قتيلا", [("killed", 20)]),
        ("إصابة 12", [("injured", 12)]),
        ("اعتقال 4", [("arrested", 4)]),
        ("اعتقال 590 من عناصر الطرفين", [("arrested", 590)]),
        ("وقالت الشرطة إن مسلحين خطفوا 3 عمال", [("abducted", 3)]),
        ("احتجاز 10 من موظفيها الدبلوماسيين", [("arrested", 10)]),
        ("اختطاف نحو 200 عامل", [("abducted", 200)]),
        ("قتل سبعة عناصر", [("killed", 7)]),
        ("حيث قتل 19 شخصا وأصيب 43، بحسب مصدر", [("killed", 19), ("injured", 43)]),
        ("أن شخصا قتل، وأصيب خمسة آخرون", [("killed", 1), ("injured", 5)]),
        ("إن جنديين ليبيين قتلا وأصيب عشرة بجروح", [("killed", 2), ("injured", 10)]),
        ("إن خمسة جنود قُتلوا وإن ستة آخرين اصيبوا", [("killed", 5), ("injured", 6)]),
        ("مقتل ضابط صف واصابة عسكريين اثنين بجروح", [("killed", 1), ("injured", 2)]),
        ("أسفر عن مقتل شرطيين اثنين", [("killed", 2)]),
        ("مقتل امرأة وثلاثة اطفال", [("killed", 4)]),
        ("تسببت بمقتل 25 جهاديًا من تنظيم النصرة وسبعة من المقاتلين", [("killed", 32)]),
        ("مقتل (26) شخصا وأكثر من (160) جريحا", [("killed", 26), ("injured", 160)]),
        ("لقي 22 من رجال الأمن، و6 مواطنين مصرعهم", [("killed", 28)]),
        ("ولقي ثمانية مدنيين، بينهم ستة من عائلة واحدة، مصرعهم", [("killed", 8)]),
        ("ولقي شخصان حتفهما", [("killed", 2)]),
        ("إن 297 شخصًا بينهم 37 أجنبيًا اعتقلوا", [("arrested", 297)]),
        ("العشرات من عناصر التنظيم الإرهابي قتلوا في عمليات", [("killed", 12)]),
        ("قال مسؤولون إن العشرات سقطوا قتلى في اشتباكات", [("killed", 12)]),
        ("وجرح 9 آلاف آخرين", [("injured", 9000)]),
        ("العثور على جثة", [("killed", 1)]),
        ("استشهاد رجلي أمن", [("killed", 2)]),
        ("قتل جندي تركي وآخر من تنظيم داعش", [("killed", 2)]),
    ],
)
def test_counts(text: str, expected: list[tuple[str, int | None]]) -> None:
    assert brief(text) == expected


def test_toll_figure_after_ila() -> None:
    c = only(
        "ارتفعت حصيلة قتلى المعارك المسلحة، التي تدور في مدينة درنة شرقي ليبيا بين مجلس "
        "مقاتلي درنة وتنظيم داعش إلى 11 شخصاً."
    )
    assert (c.kind, c.count, c.victim_words) == ("killed", 11, "شخصاً")


def test_post_hedges() -> None:
    c = only("وقتل 30 شخصا على الأقل في سلسلة تفجيرات")
    assert (c.count, c.lower_bound) == (30, True)
    c = only("سقط 40 قتيلا على الاقل غالبيتهم من المسلحين")
    assert (c.count, c.lower_bound) == (40, True)


def test_killed_and_wounded_totals_are_mixed() -> None:
    c = cas("خلّفت عشرات القتلى والجرحى")[0]
    assert (c.kind, c.count, c.mixed, c.vague) == ("killed", None, True, True)
    c = cas("سقوط العشرات من الحوثيين مابين قتيل وجريح")[0]
    assert (c.kind, c.count, c.mixed) == ("killed", None, True)
    found = cas("قتل وأصيب عدد من عناصر تنظيم داعش في غارات")
    assert [(c.kind, c.count, c.mixed) for c in found] == [("killed", None, True)]


def test_bare_plurals_are_vague() -> None:
    c = only("مما أدى إلى سقوط قتلى من المدنيين")
    assert (c.count, c.vague) == (None, True)
    c = only("وأعلنت خلية الإعلام الحربي مقتل إرهابيين بعمليات عسكرية")
    assert (c.count, c.vague, c.victim_words) == (None, True, "إرهابيين")
    c = only("وإصابة آخرين")
    assert (c.kind, c.count, c.vague) == ("injured", None, True)


def test_negated_casualties_count_zero() -> None:
    c = only("انفجرت سيارتان ملغومتان لكن دون سقوط ضحايا")
    assert (c.count, c.negated, c.vague) == (0, True, False)
    c = only("ولم يسفر الهجوم عن سقوط قتلى")
    assert (c.count, c.negated) == (0, True)
    # "كلم" contains the letters of لم but is no negator
    c = only('وقال المسؤول في مدينة سبها على بعد 750 كلم "سقط 40 قتيلا"')
    assert (c.count, c.negated) == (40, False)


def test_claimants() -> None:
    (c,) = cas("وقتل 19 شخصا في بغداد، بحسب مصدر في وزارة الداخلية.")
    assert c.claimant == "مصدر"
    (c,) = cas("قالت مصادر أمنية إن خمسة أفراد من قوات الأمن المصرية قُتلوا في هجوم")
    assert c.claimant == "مصادر أمنية"
    (c,) = cas("وأعلنت وزارة الخارجية الجمعة أن الهجمات أسفرت عن مقتل عشرات المدنيين")
    assert c.claimant == "وزارة الخارجية"
    (c,) = cas("مقتل 12 مسلحا وفقًا لأفريكوم.")
    assert c.claimant == "أفريكوم"
    (c,) = cas("مقتل 12 مسلحا في غارة جوية")
    assert c.claimant is None


def test_offsets_are_article_offsets() -> None:
    text = "الغارات تسببت في مقتل نحو 43 إرهابيا"
    (c,) = cas(text, offset=250)
    assert text[c.start - 250 : c.end - 250] == c.surface == "مقتل نحو 43 إرهابيا"


# ---- ACLED conservative fatalities -----------------------------------------------------------


def test_conservative_fatalities_lowest_specific_figure_wins() -> None:
    reports = cas(
        "قال مسؤول إن الغارات أسفرت عن مقتل ما يقرب من ثلث عناصر التنظيم. "
        "وتسببت الغارات في مقتل نحو 43 إرهابيا."
    )
    assert conservative_fatalities(reports) == 43  # the fraction has no figure
    both = cas("وأكد الجيش مقتل 50 مسلحا.") + cas("وقال المسلحون إن 20 منهم قتلوا")
    assert conservative_fatalities(both) == 20
    assert conservative_fatalities(cas("مقتل ما لا يقل عن 39 شخصا")) == 39  # more than N -> N


def test_conservative_fatalities_vague_and_unknown() -> None:
    assert conservative_fatalities(cas("مقتل العشرات")) == 12
    assert conservative_fatalities(cas("مئات القتلى") + cas("مقتل العشرات")) == 12
    assert conservative_fatalities(cas("مقتل العشرات") + cas("مقتل 5 أشخاص")) == 5
    # reported deaths without any figure fall back on the "several" default
    assert conservative_fatalities(cas('وكبدتهم "خسائر فادحة في الأرواح"')) == 3
    assert conservative_fatalities(cas("خلّفت عشرات القتلى والجرحى")) == 3


def test_conservative_fatalities_without_deaths() -> None:
    assert conservative_fatalities([]) is None
    assert conservative_fatalities(cas("إصابة 12 واعتقال 4")) is None
    assert conservative_fatalities(cas("ولم يسفر الهجوم عن سقوط قتلى")) == 0


@pytest.mark.parametrize(
    "name",
    [
        "casualty_words.csv",
        "casualty_victims.csv",
        "casualty_context.csv",
        "casualty_rules.csv",
    ],
)
def test_casualty_data_files_have_provenance(name: str) -> None:
    head = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[:10]
    assert any(line.startswith("#") and "Source" in line for line in head)
    assert read_data_table(name)

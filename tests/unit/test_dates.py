"""Unit tests for processors.coder.dates (date mentions resolved against publication)."""

from __future__ import annotations

import calendar
from datetime import date

import pytest

from processors.coder.dates import (
    DateMention,
    find_dates,
    hijri_to_gregorian,
    interval_before,
    publication_date,
)
from processors.coder.numbers import DATA_DIR, read_data_table
from processors.coder.text import tokenize

PUB = date(2016, 4, 24)  # a Sunday: seed 002's dateline


def one(text: str, published: date | None = PUB) -> DateMention:
    found = find_dates(text, published)
    assert len(found) == 1, found
    return found[0]


def dated(text: str, published: date | None = PUB) -> list[tuple[date | None, int | None, str]]:
    return [(m.date, m.precision, m.kind) for m in find_dates(text, published)]


# ---- absolute dates --------------------------------------------------------------------------


def test_seed_absolute_dates() -> None:
    m = one("صدّت القوات الليبية هجوماً لمسلحي داعش في سرت الأربعاء، 15 حزيران/يونيو، وذلك")
    # no year: the weekday picks it (15 June 2016 was a Wednesday)
    assert (m.date, m.precision, m.kind) == (date(2016, 6, 15), 1, "absolute")
    assert m.surface == "الأربعاء، 15 حزيران/يونيو"
    m = one("خلال محادثات اللجنة العسكرية المشتركة (5+5) في 23 فبراير 2020.")
    assert (m.date, m.precision) == (date(2020, 2, 23), 1)
    m = one("مدد ولاية البعثة ستة أشهر إضافية إلى 15 كانون الأول/ديسمبر 2016، بقيادة")
    assert m.date == date(2016, 12, 15)
    m = one("بعد مقتل الزرقاوي في 7 حزيران (يونيو) لعام 2006 على أثر هجوم")
    assert m.date == date(2006, 6, 7)


@pytest.mark.parametrize(
    ("name", "month"),
    [
        # Egypt / Gulf
        ("يناير", 1),
        ("فبراير", 2),
        ("مارس", 3),
        ("أبريل", 4),
        ("ابريل", 4),
        ("مايو", 5),
        ("يونيو", 6),
        ("يونية", 6),
        ("يوليو", 7),
        ("يولية", 7),
        ("أغسطس", 8),
        ("اغسطس", 8),
        ("سبتمبر", 9),
        ("أكتوبر", 10),
        ("نوفمبر", 11),
        ("ديسمبر", 12),
        # Levant / Iraq
        ("كانون الثاني", 1),
        ("شباط", 2),
        ("آذار", 3),
        ("نيسان", 4),
        ("أيار", 5),
        ("حزيران", 6),
        ("تموز", 7),
        ("آب", 8),
        ("أيلول", 9),
        ("تشرين الأول", 10),
        ("تشرين الثاني", 11),
        ("كانون الأول", 12),
        # Algeria / Tunisia
        ("جانفي", 1),
        ("فيفري", 2),
        ("أفريل", 4),
        ("ماي", 5),
        ("جوان", 6),
        ("جويلية", 7),
        ("أوت", 8),
        # Morocco
        ("يوليوز", 7),
        ("غشت", 8),
        ("شتنبر", 9),
        ("نونبر", 11),
        ("دجنبر", 12),
    ],
)
def test_month_families(name: str, month: int) -> None:
    m = one(f"في 3 {name} 2015 وقع الهجوم")
    assert (m.date, m.precision, m.kind) == (date(2015, month, 3), 1, "absolute")
    m = one(f"خلال شهر {name} 2014")
    last = date(2014, month, calendar.monthrange(2014, month)[1])
    assert (m.date, m.end_date, m.precision, m.kind) == (date(2014, month, 15), last, 3, "month")


def test_paired_month_forms() -> None:
    assert one("في أيار/ماي 2015.").date == date(2015, 5, 15)
    assert one("في أكتوبر/تشرين الأول 2015، حول").date == date(2015, 10, 15)
    assert one("في 20 يوليو تموز في بلدة سروج").date == date(2015, 7, 20)
    m = one("وقع في يوليو (تموز) 2015 وحده")
    assert (m.date, m.surface) == (date(2015, 7, 15), "يوليو (تموز) 2015")
    assert one("في أيار/مايو2011، وقع").date == date(2011, 5, 15)  # year glued to the name


def test_year_inference_from_publication() -> None:
    assert one("في 15 مارس").date == date(2016, 3, 15)  # same year: before publication
    assert one("في 5 مايو").date == date(2015, 5, 5)  # would be in the future: previous year
    assert one("في 18 مارس الماضي").date == date(2016, 3, 18)
    assert one("في 10 حزيران/يونيو من العام الماضي").date == date(2015, 6, 10)
    m = one("في 15 مارس", published=None)
    assert (m.date, m.kind) == (None, "absolute")  # mentioned, but unresolvable


def test_month_only_mentions() -> None:
    m = one("نهاية مارس الماضي")
    assert (m.date, m.end_date, m.precision) == (date(2016, 3, 31), date(2016, 3, 31), 3)
    assert one("عقوبات في شهر أبريل/نيسان الماضي").date == date(2015, 4, 15)
    assert one("في يناير 2015 كواحدة").date == date(2015, 1, 15)
    m = one("منذ أوائل نيسان/أبريل 2015")
    assert (m.date, m.end_date) == (date(2015, 4, 1), date(2015, 4, 10))
    assert one("في منتصف يوليو/تموز").date == date(2015, 7, 15)
    assert one("في سبتمبر (أيلول) المقبل").date == date(2016, 9, 15)


def test_ambiguous_month_words_need_date_context() -> None:
    assert find_dates("مارس الرجل الرياضة", PUB) == []  # the verb "practised"
    assert find_dates("أب الأسرة", PUB) == []  # "father", not August
    assert one("في شهر مارس").date == date(2016, 3, 15)
    assert one("في آب الماضي").date == date(2015, 8, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/6/2016", date(2016, 6, 15)),
        ("2016-06-15", date(2016, 6, 15)),
        ("15.6.2016", date(2016, 6, 15)),
        ("11/22/2019", date(2019, 11, 22)),  # month/day: 22 cannot be a month
        ("1/2/2016", date(2016, 2, 1)),  # ambiguous: day/month (Arab convention)
        ("١١/٣/٢٠١٦", date(2016, 3, 11)),
    ],
)
def test_numeric_dates(text: str, expected: date) -> None:
    m = one(f"في {text} وقع")
    assert (m.date, m.precision, m.kind, m.surface) == (expected, 1, "absolute", text)


def test_hijri_dates() -> None:
    assert hijri_to_gregorian(1436, 9, 1) == date(2015, 6, 18)  # 1 Ramadan 1436
    m = one("صباح يوم الجمعة 4 / 8 / 1436هـ إلى القطيف")
    # the tabular calendar says Saturday 23 May; the weekday pins Friday 22 May
    assert (m.date, m.precision, m.calendar) == (date(2015, 5, 22), 1, "hijri")
    m = one("بتاريخ 10 / 1 / 1436هـ.")
    assert (m.date, m.precision, m.calendar) == (date(2014, 11, 3), 2, "hijri")
    m = one("وفي فجر يوم الأربعاء 28 رمضان 1436 ه ، تم", published=date(2015, 7, 25))
    assert (m.date, m.precision) == (date(2015, 7, 15), 1)
    m = one("25 شوال 1436هـ الموافق 10 أغسطس 2015 م")
    assert (m.date, m.calendar) == (date(2015, 8, 10), "gregorian")
    assert find_dates("وبايع رمضان زعيم الجماعة", PUB) == []  # a name, not the month


# ---- ranges ----------------------------------------------------------------------------------


def test_ranges() -> None:
    m = one("الاجتماع الثاني عشر الذي عُقد يومي 19 و20 نوفمبر برئاسة", date(2019, 11, 22))
    assert (m.date, m.end_date, m.precision, m.kind) == (
        date(2019, 11, 19),
        date(2019, 11, 20),
        2,
        "range",
    )
    m = one("بين 3 و5 مارس")
    assert (m.date, m.end_date, m.precision) == (date(2016, 3, 3), date(2016, 3, 5), 2)
    m = one("من 3 مارس إلى 5 أبريل")
    assert (m.date, m.end_date, m.precision, m.kind) == (
        date(2016, 3, 3),
        date(2016, 4, 5),
        3,
        "range",
    )
    # two dates joined by a bare و are two dates, not a range
    assert [d for d, _, _ in dated("في 2016-06-15 و11/22/2019")] == [
        date(2016, 6, 15),
        date(2019, 11, 22),
    ]


# ---- weekdays and relative expressions -------------------------------------------------------


def test_weekdays() -> None:
    assert dated("واستعادت قوات حفتر الخميس بلدة") == [(date(2016, 4, 21), 1, "weekday")]
    assert one("الأحد").date == PUB  # a bare weekday may be the publication day itself
    assert one("الأحد الماضي").date == date(2016, 4, 17)
    assert one("وكان التنظيم قد انسحب، الأربعاء الماضي، من").date == date(2016, 4, 20)
    assert one("الخميس المقبل").date == date(2016, 4, 28)
    assert one("مساء السبت").surface == "مساء السبت"
    assert find_dates("في أسواق سوق الجمعة بطرابلس", PUB) == []  # a district
    assert find_dates("وقت صلاة الجمعة", PUB) == []
    assert find_dates("في الجمعة الثانية من شهر رمضان", PUB) == []


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("في تصريحات تلفزيونية أمس السبت", date(2016, 4, 23), 1),
        ("أمس", date(2016, 4, 23), 1),
        ("أول أمس", date(2016, 4, 22), 1),
        ("أول من أمس", date(2016, 4, 22), 1),
        ("اليوم", PUB, 1),
        ("فجر اليوم", PUB, 1),
        ("مساء أمس", date(2016, 4, 23), 1),
        ("الليلة الماضية", date(2016, 4, 23), 1),
        ("الليلة قبل الماضية", date(2016, 4, 22), 1),
        ("منذ يومين", date(2016, 4, 22), 1),
        ("قبل يومين", date(2016, 4, 22), 1),
        ("منذ ثلاثة أيام", date(2016, 4, 21), 1),
        ("قبل أسبوع", date(2016, 4, 17), 2),
        ("منذ شهرين", date(2016, 2, 24), 3),
    ],
)
def test_relative_days(text: str, expected: date, precision: int) -> None:
    m = one(text)
    assert (m.date, m.precision, m.kind) == (expected, precision, "relative")


def test_relative_weeks_and_months() -> None:
    m = one("أعلن الأسبوع الماضي وجود")  # the previous Monday-Sunday week, coded on its Wednesday
    assert (m.date, m.end_date, m.precision) == (date(2016, 4, 13), date(2016, 4, 17), 2)
    m = one("الشهر الماضي")
    assert (m.date, m.end_date, m.precision) == (date(2016, 3, 15), date(2016, 3, 31), 3)
    m = one("مطلع الشهر الجاري")
    assert (m.date, m.end_date, m.precision) == (date(2016, 4, 1), date(2016, 4, 10), 3)
    m = one("أواخر الشهر الماضي")
    assert (m.date, m.precision) == (date(2016, 3, 31), 3)
    m = one("منذ أيام")
    assert (m.date, m.end_date, m.precision) == (date(2016, 4, 21), date(2016, 4, 23), 2)
    m = one("حتى الخامس من الشهر الجاري")
    assert (m.date, m.precision, m.kind) == (date(2016, 4, 5), 1, "absolute")


def test_relative_dates_need_publication() -> None:
    m = one("أمس", published=None)
    assert (m.date, m.kind) == (None, "relative")


def test_today_only_when_it_means_today() -> None:
    assert find_dates("تبادلوا المعلومات في اليوم الأول من الاجتماع", PUB) == []
    assert find_dates("خمس مرات في اليوم", PUB) == []
    assert find_dates("مستمر حتى اليوم", PUB) == []
    assert find_dates("قامت السبت لليوم الثاني على التوالي", PUB)[0].kind == "weekday"
    assert find_dates("هذا التحول ليس وليد منذ أكثر من أسبوع", PUB) == []  # a duration


# ---- never dates -----------------------------------------------------------------------------


def test_never_dates() -> None:
    assert find_dates("على الرقم 0012022773659", PUB) == []
    assert find_dates("الساعة 02:53 م", PUB) == []
    assert find_dates("اللجنة العسكرية المشتركة (5+5)", PUB) == []
    assert find_dates("قتل 5 أشخاص في 12 هجوما", PUB) == []
    assert find_dates("تدمير 15 آلية منها", PUB) == []
    assert find_dates("في 32/1/2016", PUB) == []


def test_a_year_alone_is_never_an_event_date() -> None:
    m = one("ومنذ سقوط نظام معمر القذافي عام 2011، غرقت ليبيا")
    assert (m.kind, m.precision) == ("year", None)
    assert (m.date, m.end_date) == (date(2011, 1, 1), date(2011, 12, 31))
    assert find_dates("منذ 2011", PUB)[0].kind == "year"
    assert find_dates("في 2016 وحده", PUB) == []


def test_offsets_and_reused_tokens() -> None:
    text = "وكان عناصر داعش قد شنوا الأربعاء هجوماً"
    tokens = tokenize(text, 500)
    (m,) = find_dates(text, PUB, 500, tokens)
    assert text[m.start - 500 : m.end - 500] == m.surface == "الأربعاء"
    assert find_dates(text, PUB, 500) == [m]


# ---- publication date ------------------------------------------------------------------------


def test_publication_date_from_header_lines() -> None:
    article = (
        'بعد انسحابه من عدة مدن.. "داعش" يلفظ أنفاسه الأخيرة في ليبيا\n\n'
        "الأحد 24/أبريل/2016 - 02:53 م\n"
        "طباعة بعد انسحابه من عدة\n"
        "يبدو أن تنظيم داعش الإرهابي بدأ يلفظ أنفاسه الأخيرة في ليبيا.\n"
    )
    assert publication_date(article) == date(2016, 4, 24)
    bullets = "التحالف الدولي يجدد التزامه\n\n  • 11/22/2019\n  • 00:00\n  • 4\nأعلنت قادة"
    assert publication_date(bullets) == date(2019, 11, 22)


def test_publication_date_from_today_phrase() -> None:
    body = "عنوان\n\nنص أول.\nونقله التليفزيون الألماني، اليوم الأحد 24 أبريل 2016، إلى أن"
    assert publication_date(body) == date(2016, 4, 24)


def test_publication_date_ignores_dates_inside_sentences() -> None:
    assert publication_date("وقع تفجير السفارة في 18 أبريل 1983، مما أسفر عن مقتل 58") is None
    assert publication_date("صدّت القوات هجوماً الأربعاء، 15 حزيران/يونيو، وذلك") is None
    assert publication_date("") is None


@pytest.mark.parametrize(
    "name",
    [
        "months.csv",
        "weekdays.csv",
        "date_relative.csv",
        "date_units.csv",
        "date_context_words.csv",
        "date_hijri_months.csv",
    ],
)
def test_date_data_files_have_provenance(name: str) -> None:
    head = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[:8]
    assert any(line.startswith("#") and "Source" in line for line in head)
    assert read_data_table(name)


def test_infer_anchor_uses_weekday_to_pick_the_year():
    from processors.coder.dates import infer_anchor

    text = ("صدت القوات الليبية هجوما لمسلحي داعش في سرت الأربعاء، 15 حزيران/يونيو.\n"
            "ومدد مجلس الأمن ولاية البعثة إلى 15 كانون الأول/ديسمبر 2016.")
    assert infer_anchor(text) == date(2016, 6, 15)  # 15 June was a Wednesday in 2016
    assert infer_anchor(text.replace("الأربعاء", "الخميس")) == date(2017, 6, 15)
    assert infer_anchor("هاجم مسلحون بلدة في 15 حزيران الماضي.") is None  # no year, no guess


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("بعد أسبوعين من سيطرة القوات عليها", (-14, 2)),
        ("وذلك بعد يوم من إقرار المجلس", (-1, 1)),
        ("عقب ثلاثة أيام من اختطافه", (-3, 1)),
        ("قبل يومين من الهجوم", (2, 1)),
        ("بعد أشهر من سيطرة التنظيم", (-60, 3)),
    ],
)
def test_interval_before_an_event(sentence: str, expected: tuple[int, int]) -> None:
    """"بعد N units من + event": the event is N units before the clause's date."""
    tokens = tokenize(sentence)
    trigger = next(i for i, t in enumerate(tokens) if i > 0 and tokens[i - 1].norm == "من")
    assert interval_before(tokens, trigger) == expected


def test_interval_needs_its_pattern() -> None:
    tokens = tokenize("قتل ثلاثة من الجنود")
    assert interval_before(tokens, 3) is None

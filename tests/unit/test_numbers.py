"""Unit tests for processors.coder.numbers (quantities in Arabic text)."""

from __future__ import annotations

import pytest

from processors.coder.numbers import (
    DATA_DIR,
    dual_candidates,
    find_numbers,
    parse_number_phrase,
    read_data_table,
)
from processors.coder.text import tokenize


def quantities(text: str, offset: int = 0):
    return find_numbers(tokenize(text, offset), text)


def values(text: str) -> list[float]:
    return [q.value for q in quantities(text)]


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("واحد", 1),
        ("واحدة", 1),
        ("اثنان", 2),
        ("اثنين", 2),
        ("اثنتين", 2),
        ("ثلاث", 3),
        ("ثلاثة", 3),
        ("سبعة", 7),
        ("ثماني", 8),
        ("عشر", 10),
        ("عشرة", 10),
        ("أحد عشر", 11),
        ("إحدى عشرة", 11),
        ("اثنا عشر", 12),
        ("اثنتي عشرة", 12),
        ("ثلاثة عشر", 13),
        ("عشرون", 20),
        ("عشرين", 20),
        ("ثلاثة وأربعون", 43),
        ("خمسة وعشرين", 25),
        ("مئة", 100),
        ("مائة", 100),
        ("مئتين", 200),
        ("مئتي", 200),
        ("مائتين", 200),
        ("ثلاثمئة", 300),
        ("ثلاثمائة", 300),
        ("ثلاث مئة", 300),
        ("مئة وثلاثة وعشرون", 123),
        ("ألف", 1000),
        ("ألفين", 2000),
        ("ثلاثة آلاف", 3000),
        ("ثلاثة آلاف وخمسمائة", 3500),
        ("سبعة عشر ألفا", 17000),
        ("مئتي ألف", 200_000),
        ("مليون", 1_000_000),
        ("ستة ملايين", 6_000_000),
        ("مليونين", 2_000_000),
        ("٣٥", 35),
        ("1,000", 1000),
        ("1,000,000", 1_000_000),
        ("1.5", 1.5),
        ("28 ألف", 28_000),
        ("20 مليون", 20_000_000),
        ("1.5 مليون", 1_500_000),
        ("9 آلاف", 9000),
        ("2.500", 2500),
        ("١٫٥ مليون", 1_500_000),
        ("١٫٥٠٠", 1.5),
        ("١٬٠٠٠", 1000),
    ],
)
def test_number_phrases(phrase: str, value: float) -> None:
    assert parse_number_phrase(phrase) == pytest.approx(value)


def test_parse_number_phrase_takes_word_lists_and_rejects_non_numbers() -> None:
    assert parse_number_phrase(["مئتي", "ألف"]) == 200_000
    assert parse_number_phrase("ثلاثة رجال") is None  # a number and a noun, not a number
    assert parse_number_phrase("رجال") is None
    assert parse_number_phrase("") is None


def test_seed_numbers() -> None:
    assert values("ودفع حوالى مئتي ألف شخص إلى الفرار") == [200_000]
    assert values("وجود 20 مليون قطعة سلاح في هذا البلد الذي يسكنه ستة ملايين نسمة") == [
        20_000_000,
        6_000_000,
    ]
    (q,) = quantities("إلى أكثر من 28 ألف قتيل له")
    assert (q.value, q.lower_bound, q.approx) == (28_000, True, False)


def test_hedges_set_flags_and_spans() -> None:
    text = "الغارات تسببت في مقتل نحو 43 إرهابيا"
    (q,) = quantities(text, offset=100)
    assert (q.value, q.approx, q.lower_bound, q.vague) == (43, True, False, False)
    assert q.surface == "نحو 43"
    assert text[q.start - 100 : q.end - 100] == "نحو 43"
    assert [t.surface for t in tokenize(text)[q.tok_start : q.tok_end]] == ["نحو", "43"]
    (q,) = quantities("تمكنوا من قتل ما يزيد عن سبعة عناصر")
    assert (q.value, q.lower_bound) == (7, True)
    (q,) = quantities("مقتل 2927 على الأقل من التنظيم")
    assert (q.value, q.lower_bound, q.surface) == (2927, True, "2927 على الأقل")
    (q,) = quantities("ما لا يقل عن 39 شخصا")
    assert q.lower_bound
    (q,) = quantities("قرابة 36 جريحا")
    assert q.approx
    (q,) = quantities("أقل من 10 أشخاص")
    assert (q.value, q.upper_bound, q.lower_bound) == (10, True, False)
    (q,) = quantities("وأكثر من 160 جريحا")  # the hedge may carry the conjunction و
    assert (q.value, q.lower_bound) == (160, True)


@pytest.mark.parametrize(
    ("phrase", "value", "category"),
    [
        ("عشرات القتلى", 12, "dozens"),
        ("العشرات من عناصر التنظيم", 12, "dozens"),
        ("مئات القتلى", 100, "hundreds"),
        ("آلاف النازحين", 1000, "thousands"),
        ("عشرات الآلاف", 10_000, "dozens"),
        ("مئات الآلاف من الحجاج", 100_000, "hundreds"),
        ("عدد من أفراد الأخيرة", 3, "several"),
        ("عددا من الضربات", 3, "several"),
        ("عدة مدن", 3, "several"),
        ("بضعة آلاف", 3000, "several"),
        ("عدد كبير من المدنيين", 10, "many"),
    ],
)
def test_vague_quantities_get_acled_figures(phrase: str, value: float, category: str) -> None:
    q = quantities(phrase)[0]
    assert (q.value, q.vague, q.category) == (value, True, category)


def test_fractions_are_a_share_of_a_group() -> None:
    (q,) = quantities("أسفر عن مقتل ما يقرب من ثلث عناصر التنظيم")
    assert q.fraction and q.approx
    assert q.value == pytest.approx(1 / 3)
    assert quantities("نصف السكان")[0].value == 0.5
    q = quantities("ثلاثة أرباع المقاتلين")[0]
    assert (q.value, q.fraction) == (0.75, True)


def test_percentages_are_marked() -> None:
    (q,) = quantities("إن 67 في المائة من النازحين")
    assert (q.value, q.percent) == (67, True)
    (q,) = quantities("نحو 40% من السكان")
    assert q.percent
    (q,) = quantities("تمثل 4٪ من عناصره")
    assert q.percent


def test_dates_clock_times_and_phone_numbers_are_not_quantities() -> None:
    assert values("الأحد 24/4/2016 - 02:53 م") == []
    assert values("يوم 2016-06-15") == []
    assert values("على الرقم 0012022773659") == []
    assert values("اللجنة العسكرية المشتركة (5+5)") == [5, 5]


def test_one_of_and_nobody() -> None:
    assert values("وفاة أحد الحجاج") == [1]
    assert values("لا أحد يعرف") == []
    assert values("يوم الأحد") == []  # Sunday is not "one"


def test_separate_numbers_stay_separate() -> None:
    assert values("سقوط 5 قتلى و10 جرحى") == [5, 10]
    assert values("مقتل امرأة وثلاثة أطفال") == [3]
    assert values("ثلاثة وثلاثة") == [3, 3]  # units do not add up without a place order


def test_dual_candidates() -> None:
    assert "قتيل" in dual_candidates("قتيلين")
    assert "جثه" in dual_candidates("جثتين")
    assert "رجل" in dual_candidates("رجلي")  # construct dual: رجلي أمن
    assert dual_candidates("قتل") == ()


@pytest.mark.parametrize(
    "name", ["number_words.csv", "number_vague.csv", "number_hedges.csv", "number_ordinals.csv"]
)
def test_number_data_files_have_provenance(name: str) -> None:
    head = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("#") and "Source" in line for line in head)
    assert read_data_table(name)  # parses, and is not empty

"""Polarity markers and contradictions (processors.dedup.contradiction)."""

from __future__ import annotations

from processors.dedup.contradiction import contradicts, lexicon, polarity_markers

BODY = ("في العاصمة بغداد لليوم الثالث على التوالي وسط انتشار أمني كثيف في الشوارع "
        "الرئيسية وقال شهود إن المحتجين طالبوا بتحسين الخدمات ومحاسبة المسؤولين.")


def _c(a: str, b: str) -> bool:
    return contradicts(polarity_markers(a), polarity_markers(b))


def test_lexicon_loads_both_polarities() -> None:
    lex = lexicon()
    assert lex["استمرار"] == ("continue", "+") and lex["توقف"] == ("continue", "-")
    assert lex["نجا"] == ("kill", "-") and lex["قتل"] == ("kill", "+")


def test_markers_are_sorted_and_compact() -> None:
    m = polarity_markers("قتل 5 أشخاص وأصيب 12 آخرون، واستمرت الاشتباكات. " + BODY)
    assert m == sorted(m)
    assert "p:kill+=1" in m and "p:continue+=1" in m
    assert sum(x.startswith("n:") for x in m) == 2


def test_opposite_verbs_contradict() -> None:
    assert _c("استمرار الاحتجاجات " + BODY, "توقف الاحتجاجات " + BODY)
    assert _c("قتل الصحفي في الهجوم " + BODY, "نجا الصحفي في الهجوم " + BODY)


def test_added_negation_contradicts() -> None:
    assert _c("وأكد المتحدث أن الجيش يسيطر على المدينة " + BODY,
              "وأكد المتحدث أن الجيش لا يسيطر على المدينة " + BODY)


def test_changed_number_contradicts_but_missing_number_does_not() -> None:
    assert _c("قتل 5 أشخاص في انفجار. " + BODY, "قتل 7 أشخاص في انفجار. " + BODY)
    assert _c("منذ ما يقارب الـ5 سنوات " + BODY, "منذ ما يقارب الـ10 سنوات " + BODY)
    assert not _c("قتل 5 أشخاص في انفجار. " + BODY, "قتل خمسة أشخاص في انفجار. " + BODY)


def test_trimmed_or_retitled_copy_does_not_contradict() -> None:
    full = "قتل 5 أشخاص في انفجار. واستمرت الاحتجاجات. ونجا المحافظ من محاولة اغتيال. " + BODY
    trimmed = "قتل 5 أشخاص في انفجار. " + BODY
    assert not _c(full, trimmed) and not _c(trimmed, full)
    assert not _c("عاجل: انفجار في بغداد\n" + full, full)
    assert not _c(full, full)


def test_text_without_markers_never_contradicts() -> None:
    assert polarity_markers(BODY) == []
    assert not contradicts([], [])


STATEMENT = ("أصدرت وزارة الداخلية بيانا بشأن تنفيذ حكم القصاص في أحد الجناة وقد تم تنفيذ الحكم "
             "اليوم الاثنين {date} بمحافظة الأحساء في المنطقة الشرقية. " + BODY)


def test_changed_date_contradicts() -> None:
    """A templated statement of another day is another event, even when the words around
    the date differ too ("الموافق 18" vs "الاثنين 25")."""
    assert _c(STATEMENT.format(date="الموافق 18 / 10 / 1436هـ"),
              STATEMENT.format(date="25 / 10 / 1436 هـ"))
    assert _c(STATEMENT.format(date="2015/8/3م"), STATEMENT.format(date="2015/8/10م"))


def test_same_date_or_missing_or_other_calendar_does_not_contradict() -> None:
    hijri = STATEMENT.format(date="الموافق 18 / 10 / 1436هـ")
    assert not _c(hijri, STATEMENT.format(date="18/10/1436 هـ"))  # same date, other spelling
    assert not _c(hijri, STATEMENT.format(date=""))  # date trimmed
    assert not _c(hijri, STATEMENT.format(date="3 / 8 / 2015م"))  # Gregorian: not compared


def test_date_is_one_marker() -> None:
    m = polarity_markers("في يوم 18 / 10 / 1436هـ وفي 2015/8/3م")
    assert len([x for x in m if x.startswith("n:")]) == 2
    assert {x.split("=")[1] for x in m} == {"18", "3"}

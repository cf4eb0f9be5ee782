"""Rules added to the event coder from GSR ASSAULT tune-split errors (2026-11).

Every sentence here is written for the test (none is copied from the GSR data): each rule is
checked on a positive case and, where a nearby construction must keep working, on that too.
"""

from __future__ import annotations

from processors.coder import lexicon as lx
from processors.coder.events import (
    EVIDENCE_WEIGHTS,
    REPORT_THRESHOLD,
    analyse_sentence,
    detect_sentence,
)


def _violent(sentence: str):
    return [c for c in analyse_sentence(sentence).candidates if c.group == "VIOLENCE"]


def _modalities(sentence: str) -> set[str]:
    return {c.modality for c in analyse_sentence(sentence).candidates}


# -- raids are arrests (ACLED: Strategic developments/Arrests), not attacks ------------------


def test_raid_is_an_arrest_not_an_assault() -> None:
    entries = [e for e in lx.trigger_entries() if e.lemma in ("مداهمة", "داهم")]
    assert entries and {e.family for e in entries} == {"ARREST"}
    sentence = "داهمت قوات الأمن منزلا في حي الزهراء فجر أمس واعتقلت ثلاثة مطلوبين."
    found = detect_sentence(sentence)
    assert "ASSAULT" not in found
    groups = {c.group for c in analyse_sentence(sentence).candidates}
    assert groups == {"ARREST"}
    # a killing told with a raid is no longer an attack on civilians by default
    assert "ASSAULT" not in detect_sentence("قتل مسلح خلال عملية دهم في البلدة أمس.")
    # ... but a real attack in the same sentence still is
    assert "ASSAULT" in detect_sentence(
        "اقتحم مسلحون مجهولون منزلا في البلدة أمس وقتلوا خمسة مدنيين رميا بالرصاص."
    )


# -- a trigger very late in a long sentence --------------------------------------------------


def test_very_late_trigger_outweighs_one_strong_cue() -> None:
    assert EVIDENCE_WEIGHTS["very_late"] == -1.0
    sentence = (
        "وقال رئيس اللجنة في مؤتمر صحافي عقده في مقر الوزارة بحضور عدد من المسؤولين "
        "والخبراء وممثلي المنظمات الدولية والمحلية إن اللجنة ستواصل عملها وإن الملف "
        "يتضمن وثائق عن مقتل ثلاثة صحافيين في انفجار عبوة ناسفة في بغداد أمس."
    )
    [cand] = _violent(sentence)
    assert "very_late" in cand.evidence
    assert cand.score < REPORT_THRESHOLD
    # the same report as its own sentence is an event
    assert "ASSAULT" in detect_sentence(
        "قتل ثلاثة صحافيين في انفجار عبوة ناسفة في بغداد أمس."
    )


# -- statistics, scenarios, descriptions, conjectures ----------------------------------------


def test_number_reached_is_statistics() -> None:
    sentence = "وبلغ عدد الصواريخ التي أطلقها المسلحون على البلدة 300 صاروخ قتلت 15 مدنيا."
    [cand] = _violent(sentence)
    assert "generic" in cand.evidence
    assert "ASSAULT" not in detect_sentence(sentence)
    assert "ASSAULT" in detect_sentence("أطلق المسلحون على البلدة 300 صاروخ قتلت 15 مدنيا.")


def test_consists_in_is_a_description() -> None:
    sentence = "وتتمثل أخطر الجرائم في اغتيال رئيس البلدية بعبوة ناسفة في وسط المدينة."
    assert all("generic" in c.evidence for c in _violent(sentence))
    assert "ASSAULT" not in detect_sentence(sentence)


def test_scenario_is_hypothetical() -> None:
    assert _modalities("وحذر الخبير من تكرار سيناريو خطف الرهائن في المنطقة.") <= {
        "hypothetical", "threat",
    }
    assert "ASSAULT" not in detect_sentence(
        "وقال الضابط إن سيناريو اختطاف الطائرة تم التدرب عليه أمس في المطار."
    )


def test_deemed_likely_is_a_conjecture() -> None:
    sentence = "ورجح مسؤولون أن يكون التفجير انتقاما لمقتل قائد المجموعة في بغداد أمس."
    assert "hypothetical" in _modalities(sentence)
    assert "ASSAULT" not in detect_sentence(sentence)


def test_weapons_supplied_are_not_used() -> None:
    sentence = "وأكد الضابط أن المهربين يسلمون عبوات ناسفة وقنابل يدوية للمسلحين في المدينة."
    assert _modalities(sentence) == {"hypothetical"}
    assert "ASSAULT" not in detect_sentence(sentence)
    # equipment used in an attack is still an attack
    assert "ASSAULT" in detect_sentence(
        "فجر مسلحون عبوة ناسفة في سوق المدينة أمس ما أسفر عن مقتل سبعة مدنيين."
    )


# -- references to earlier events ------------------------------------------------------------


def test_earlier_crimes_are_background() -> None:
    sentence = "وربطت الشرطة الحادث بالجرائم السابقة التي أودت بحياة ثلاثة قضاة في المدينة."
    assert "background" in _modalities(sentence)
    assert "ASSAULT" not in detect_sentence(sentence)


def test_not_the_first_time_is_background() -> None:
    sentence = "وهذه ليست المرة الأولى التي يستهدف فيها المسلحون المصلين في المدينة."
    assert "background" in _modalities(sentence)
    assert "ASSAULT" not in detect_sentence(sentence)


# -- a court can be the place of an attack ---------------------------------------------------


def test_court_as_a_place_does_not_make_a_legal_frame() -> None:
    sentence = "وقع هجوم انتحاري في قاعة محكمة أدى إلى مقتل 12 شخصا في المدينة أمس."
    [cand] = _violent(sentence)
    assert cand.modality == "asserted"
    assert {m.family for m in cand.members} >= {"SUICIDE", "KILL"}
    assert "ASSAULT" in detect_sentence(sentence)
    # the legal-process reading right before a trigger is kept (ملف الاغتيال)
    assert _modalities("وتسلمت المحكمة ملف اغتيال رئيس الوزراء أمس.") == {"legal"}

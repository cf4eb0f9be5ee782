"""Tests of the trigger, actor and cue lexicons and their matchers (processors.coder.lexicon)."""

from __future__ import annotations

import csv
import re

import pytest

from processors.coder import lexicon as lx
from processors.coder.text import normalize, tokenize

ACLED_TYPES = {
    "Battles": {
        "Armed clash", "Government regains territory", "Non-state actor overtakes territory",
    },
    "Explosions/Remote violence": {
        "Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED", "Grenade",
    },
    "Violence against civilians": {"Sexual violence", "Attack", "Abduction/forced disappearance"},
    "Protests": {
        "Peaceful protest", "Protest with intervention", "Excessive force against protesters",
    },
    "Riots": {"Violent demonstration", "Mob violence"},
    "Strategic developments": {
        "Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
        "Headquarters or base established", "Looting/property destruction",
        "Non-violent transfer of territory", "Other",
    },
}
PLOVER = {
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "INVESTIGATE",
    "DEMAND", "DISAPPROVE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE",
    "ASSAULT", "FIGHT", "CRIME",
}


def _rows(name: str) -> list[dict[str, str]]:
    with (lx.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def families(sentence: str) -> list[str]:
    return [t.family for t in lx.find_triggers(tokenize(sentence))]


def actor_ids(sentence: str) -> list[str]:
    out = []
    for m in lx.find_actors(tokenize(sentence), sentence):
        out.append(m.actor.actor_id if m.actor else f"{m.generic}:{m.country}")
    return out


# --------------------------------------------------------------------------- data files


def test_event_codes_are_valid_acled_cameo_plover() -> None:
    codes = lx.event_codes()
    assert len(codes) >= 40
    for code in codes.values():
        assert code.acled_sub_event_type in ACLED_TYPES[code.acled_event_type], code.code
        assert code.plover_type in PLOVER, code.code
        assert re.fullmatch(r"\d{3,4}", code.cameo_code), code.code
        assert code.source.strip(), code.code


@pytest.mark.parametrize(
    ("code", "acled", "sub", "plover", "cameo"),
    [
        ("REMOTE_AIR", "Explosions/Remote violence", "Air/drone strike", "FIGHT", "195"),
        ("BATTLE_REPEL", "Battles", "Armed clash", "FIGHT", "190"),
        ("BATTLE_AMBUSH", "Battles", "Armed clash", "FIGHT", "193"),
        ("SD_SANCTIONS", "Strategic developments", "Other", "SANCTION", "163"),
        ("SD_WITHDRAWAL", "Strategic developments", "Non-violent transfer of territory",
         "RETREAT", "0874"),
        ("SD_ARRESTS", "Strategic developments", "Arrests", "COERCE", "173"),
        ("CONSULT_MEET", "Strategic developments", "Other", "CONSULT", "040"),
        ("REMOTE_SUICIDE", "Explosions/Remote violence", "Suicide bomb", "ASSAULT", "1831"),
        ("PROTEST_PEACEFUL", "Protests", "Peaceful protest", "PROTEST", "141"),
    ],
)
def test_key_event_codes(code: str, acled: str, sub: str, plover: str, cameo: str) -> None:
    info = lx.event_codes()[code]
    assert (info.acled_event_type, info.acled_sub_event_type) == (acled, sub)
    assert (info.plover_type, info.cameo_code) == (plover, cameo)


def test_every_trigger_row_has_provenance_and_a_known_code() -> None:
    entries = lx.trigger_entries()
    assert len(entries) > 100
    codes = lx.event_codes()
    for entry in entries:
        assert entry.source.strip(), entry.row
        assert not entry.code or entry.code in codes
        assert entry.strength in lx.STRENGTHS


def test_every_acled_code_has_at_least_one_trigger_or_is_derived() -> None:
    used = {e.code for e in lx.trigger_entries()}
    derived = {  # chosen by the assembler from context, never by a single word
        "BATTLE_CLASH", "BATTLE_NSA_OVERTAKES", "REMOTE_DRONE", "REMOTE_CHEMICAL",
        "VAC_SHOOTING", "PROTEST_INTERVENTION", "PROTEST_EXCESSIVE_FORCE", "RIOT_MOB",
        "SD_TAKEOVER", "SD_BASE", "BATTLE_GOV_REGAINS",
    }
    for code in lx.event_codes():
        assert code in used or code in derived, code


def test_actor_rows() -> None:
    rows = _rows("actors.csv")
    ids = [r["actor_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert row["source"].strip(), row["actor_id"]
        inter = int(row["inter_code"])
        assert (inter == 0) == (row["actor_type"] == "anaphor"), row["actor_id"]
        assert 0 <= inter <= 8
        if row["wikidata"]:
            assert re.fullmatch(r"Q\d+", row["wikidata"]), row["actor_id"]
    entries = {e.actor_id: e for e in lx.actor_entries()}
    assert entries["ISIS"].wikidata == "Q2429253"
    assert entries["GNA_FORCES"].state_from == "2016-03-30"


def test_cue_rows_have_sources() -> None:
    for row in _rows("cues.csv"):
        assert row["source"].strip(), row["kind"]
        assert row["phrases"].strip(), row["kind"]


# --------------------------------------------------------------------------- morphology


def test_verb_forms_cover_conjugations_and_future() -> None:
    forms = lx.verb_forms(["هاجم"], ["يهاجم"])
    for word in ("هاجم", "هاجمت", "هاجموا", "هاجمه", "هاجموهم", "يهاجم", "تهاجم", "يهاجمون",
                 "نهاجم", "يهاجمونه"):
        assert forms.get(normalize(word)) in ("perfect", "imperfect"), word
    assert forms[normalize("سيهاجمون")] == "future"
    assert forms[normalize("هاجمت")] == "perfect"


def test_intransitive_verbs_get_no_object_suffix() -> None:
    forms = lx.verb_forms(["تظاهر"], ["يتظاهر"], transitive=False)
    assert normalize("تظاهروا") in forms
    assert normalize("تظاهرة") not in forms  # the noun, not تظاهر + ه


def test_defective_verb_forms() -> None:
    forms = lx.verb_forms([normalize("ألقى")], [normalize("يلقي")])
    for word in ("ألقت", "ألقوا", "يلقون"):
        assert normalize(word) in forms, word


def test_noun_variants() -> None:
    assert {"هجوما", "هجومه", "هجومين"} <= lx.noun_variants("هجوم")
    assert {"غارتين", "غارته"} <= lx.noun_variants(normalize("غارة"))


# --------------------------------------------------------------------------- triggers


@pytest.mark.parametrize(
    ("sentence", "family"),
    [
        ("هاجم المسلحون القرية", "ATTACK"),
        ("يهاجم التنظيم المدينة", "ATTACK"),
        ("هاجمت القوات المعسكر", "ATTACK"),
        ("هاجموا الحاجز", "ATTACK"),
        ("وقع هجوم على الحاجز", "ATTACK"),
        ("شنوا هجوما على الحاجز", "ATTACK"),
        ("بعد الهجمات الأخيرة", "ATTACK"),
        ("قصفت المدفعية الحي", "SHELL"),
        ("واستمر القصف طوال الليل", "SHELL"),
        ("شن الطيران غارة على المعسكر", "AIRSTRIKE"),
        ("شنت الطائرات غارات جوية", "AIRSTRIKE"),
        ("نفذت المقاتلات ضربات جوية", "AIRSTRIKE"),
        ("نصب المسلحون كمينا للدورية", "AMBUSH"),
        ("وقعت الدورية في الكمين", "AMBUSH"),
        ("صد الجيش هجوما للمسلحين", "REPEL"),
        ("صدت القوات الحكومية هجوما عنيفا", "REPEL"),
        ("استعادت القوات السيطرة على البلدة", "RETAKE"),
        ("استعاد الجيش السيطرة على المطار", "RETAKE"),
        ("انسحب المسلحون من البلدة", "WITHDRAW"),
        ("أعلن انسحاب قواته من المدينة", "WITHDRAW"),
        ("نجا من عملية اغتيال", "ASSASSINATE"),
        ("خطف مسلحون صحفيا", "ABDUCT"),
        ("تزايدت عمليات اختطاف الأجانب", "ABDUCT"),
        ("فرضت الوزارة عقوبات على شركتين", "SANCTION"),
        ("قتل عشرة في تفجير انتحاري", "SUICIDE"),
        ("انفجرت عبوة ناسفة بدورية", "BOMB"),
        ("اندلعت اشتباكات بين الطرفين", "CLASH"),
        ("وقعت مواجهات مسلحة في الحي", "CLASH"),
        ("تظاهر الطلاب أمام الجامعة", "PROTEST"),
        ("خرجت مظاهرة في وسط المدينة", "PROTEST"),
        ("تواصلت الاحتجاجات في العاصمة", "PROTEST"),
        ("بدأ العمال اعتصاما مفتوحا", "SITIN"),
        ("أعلن المعلمون إضرابا عاما", "STRIKE_LABOR"),
        ("اعتقلت الشرطة ثلاثة أشخاص", "ARREST"),
    ],
)
def test_trigger_forms(sentence: str, family: str) -> None:
    assert family in families(sentence)


def test_longest_match_and_blocked_homographs() -> None:
    assert families("وقف إطلاق النار صامد") == ["CEASEFIRE"]  # not a shooting
    assert "VISIT" not in families("أعلنت وزارة الخزانة الأمريكية")  # وزارة is not و + زار + ه
    assert "BOMB" not in families("اقتحمت القوات البلدة فجر أمس")  # dawn, not "blew up"
    assert "SUICIDE" in families("فجر انتحاري نفسه قرب الحاجز")


def test_verb_with_object_spans_the_subject() -> None:
    [repel] = [t for t in lx.find_triggers(tokenize("صدت القوات الليبية هجوما لمسلحي داعش"))
               if t.family == "REPEL"]
    assert repel.object_index == 3
    assert repel.aspect == "perfect"


def test_future_aspect_from_prefix() -> None:
    [t] = lx.find_triggers(tokenize("سيهاجم المسلحون البلدة"))
    assert t.aspect == "future"


# --------------------------------------------------------------------------- actors


@pytest.mark.parametrize(
    ("sentence", "actor"),
    [
        ("هاجم داعش البلدة", "ISIS"),
        ("قال تنظيم الدولة الإسلامية", "ISIS"),
        ("أعلنت الدولة الإسلامية في العراق والشام", "ISIS"),
        ("فر الدواعش من المدينة", "ISIS"),
        ("قتل عناصر داعش", "ISIS"),
        ("هاجم مسلحو داعش القرية", "ISIS"),
        ("تقدم مقاتلو داعش", "ISIS"),
        ("قاتل مجلس شورى مجاهدي درنة", "MSCD"),
        ("تبنى أنصار الشريعة الهجوم", "ANSAR_SHARIA_LBY"),
        ("تقدمت قوات حكومة الوفاق الوطني", "GNA_FORCES"),
        ("انسحبت قوات الوفاق", "GNA_FORCES"),
        ("أعلن الجيش الوطني الليبي", "LNA"),
        ("تقدمت قوات حفتر", "LNA"),
        ("قصفت قوات المشير خليفة حفتر", "LNA"),
        ("وقع كمين لقوات تابعة للمشير خليفة حفتر", "LNA"),
        ("اشتبك حرس المنشآت النفطية مع مسلحين", "PFG"),
        ("رحبت بعثة الأمم المتحدة للدعم في ليبيا", "UNSMIL"),
        ("قرر مجلس الأمن الدولي", "UNSC"),
        ("أعلنت أفريكوم", "AFRICOM"),
        ("فرضت وزارة الخزانة الأمريكية عقوبات", "US_TREASURY"),
        ("قصف طيران التحالف الدولي", "COALITION_ISIS"),
        ("هاجم الحوثيون", "HOUTHI"),
        ("قتل مدنيين", "CIVILIANS"),
        ("فرقت الشرطة المتظاهرين", "PROTESTERS"),
        ("قال مسلحون مجهولون", "UNKNOWN_ARMED"),
        ("قال التنظيم الإرهابي", "ANAPHOR_ORG"),
    ],
)
def test_actor_aliases(sentence: str, actor: str) -> None:
    assert actor in actor_ids(sentence)


def test_generic_forces_take_the_gentilic_country() -> None:
    assert "military:USA" in actor_ids("شنت القوات الأمريكية غارات")
    assert "military_air:USA" in actor_ids("قصف الطيران الأميركي مواقع")
    assert "military_air:TUR" in actor_ids("مدعومة بطائرات تركية بدون طيار")
    assert "police:IRQ" in actor_ids("قالت الشرطة العراقية")
    assert "military:None" in actor_ids("صدت القوات الحكومية الهجوم")


def test_country_of_gentilic() -> None:
    [tok] = tokenize("الليبيين")
    assert lx.country_of_gentilic(tok) == "LBY"
    [tok] = tokenize("الطائرة")
    assert lx.country_of_gentilic(tok) is None


def test_country_after_a_locative_is_a_place_not_an_actor() -> None:
    assert "LBY" not in actor_ids("وقعت اشتباكات في ليبيا")
    assert "USA" in actor_ids("اتهمت الولايات المتحدة إيران")


def test_weak_alias_needs_a_head_or_quotes() -> None:
    assert "AQ" not in actor_ids("استعادت القوات قاعدة الوطية")
    assert "AQ" not in actor_ids("وصلت التعزيزات إلى القاعدة الجوية")
    assert "AQ" in actor_ids("قتل عناصر القاعدة")
    assert "AQ" in actor_ids("تبنت «القاعدة» الهجوم")


def test_member_head_extension_and_attributes() -> None:
    tokens = tokenize("قال إن مجلس شورى المجاهدين التابع لتنظيم القاعدة يقاتل")
    mentions = lx.find_actors(tokens)
    # "التابع لتنظيم القاعدة" is an attribute of the council, not a second actor
    assert [m.actor.actor_id for m in mentions if m.actor] == ["MSCD"]
    [m] = lx.find_actors(tokenize("استهدف القصف مقاتلين في مجلس شورى درنة"))
    assert m.actor is not None and m.actor.actor_id == "MSCD"
    assert m.surface.startswith("مقاتلين")


def test_government_named_with_a_military_head_becomes_its_forces() -> None:
    [m] = lx.find_actors(tokenize("طائرات موالية لبرلمان طبرق"))
    assert m.actor is not None and m.actor.actor_id == "LNA"


def test_state_actor_names() -> None:
    assert lx.state_actor_for("USA", "military") == "Military Forces of the United States"
    assert lx.state_actor_for("IRQ", "police") == "Police Forces of Iraq"
    assert lx.state_actor_for("ITA", "government") == "Government of Italy"


# --------------------------------------------------------------------------- cues and scan


def test_cues() -> None:
    kinds = {c.kind for c in lx.find_cues(tokenize("لم تقع أي اشتباكات أمس"))}
    assert {"NEG", "TIME"} <= kinds
    kinds = {c.kind for c in lx.find_cues(tokenize("يعتزم التنظيم تنفيذ هجمات"))}
    assert "FUTURE" in kinds


def test_scan_is_shared_and_consistent() -> None:
    tokens = tokenize("صدت القوات الليبية هجوما لمسلحي داعش في سرت الأربعاء")
    sc = lx.scan(tokens)
    assert lx.find_cues(tokens, sc) == lx.find_cues(tokens)
    assert lx.find_triggers(tokens, None, sc) == lx.find_triggers(tokens)
    assert lx.find_actors(tokens, None, sc) == lx.find_actors(tokens)
    assert lx.may_trigger(tokens)
    assert not lx.may_trigger(tokenize("قال المتحدث باسم الوزارة"))

"""The event coder's fast paths give the same results as the plain ones."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import date

import pytest

from processors.coder.events import code_article
from processors.coder.gazetteer import CountryContext, load_gazetteer
from processors.coder.lexicon import ActorMention, CueMatch, TriggerMatch, scan
from processors.coder.text import split_sentences, tokenize

ARTICLE = """اشتباكات في سرت وطرابلس

صدت القوات الحكومية الليبية هجوما لمسلحي داعش في سرت الخميس، وقتل خمسة من عناصر التنظيم.

وشنت الطائرات الأمريكية غارة جوية على مواقع داعش جنوب سرت أمس، ما أسفر عن مقتل 12 إرهابيا.

وفي طرابلس، تظاهر مئات المواطنين أمام مقر الحكومة في ميدان الشهداء احتجاجا على انقطاع الكهرباء.

وقالت مصادر في بنغازي إن انفجار سيارة مفخخة قرب قاعدة بنينا أدى إلى مقتل 3.5 بالمئة من الحراس.
"""


def test_tokens_keep_diacritics_and_split_on_arabic_punctuation() -> None:
    text = "قُتِلَ ٣ أشخاص، وأُصيب 2.5؛ «داعش» ٪ في ـالمدينة۔ نعم؟"
    surfaces = [t.surface for t in tokenize(text)]
    assert surfaces == ["قُتِلَ", "٣", "أشخاص", "وأُصيب", "2.5", "داعش", "في", "ـالمدينة", "نعم"]
    for t in tokenize(text, 7):
        assert text[t.start - 7 : t.end - 7] == t.surface


def test_sentences_do_not_end_inside_numbers() -> None:
    text = ".أول جملة فيها 3.5 مليون. ثانية! ثالثة؟\nرابعة"
    assert [s.text for s in split_sentences(text)] == [
        "أول جملة فيها 3.5 مليون.", "ثانية!", "ثالثة؟", "رابعة",
    ]


def test_place_lookups_reused_from_the_article_are_the_same() -> None:
    gaz = load_gazetteer()
    tokens = tokenize(ARTICLE)
    context = gaz.context_countries(tokens)
    assert isinstance(context, CountryContext) and isinstance(context, Counter)
    assert context.match_memo  # the article's lookups were kept
    plain = Counter(context)  # the same counts without the lookups
    starts = [t.start for t in tokens]
    for sentence in split_sentences(ARTICLE):
        lo = next(i for i, s in enumerate(starts) if s >= sentence.start)
        hi = next((i for i, s in enumerate(starts) if s >= sentence.end), len(tokens))
        part = tokens[lo:hi]
        assert gaz.find(part, context) == gaz.find(part, plain)
    # other token objects with the same text never hit the memo by accident
    again = tokenize(ARTICLE)
    assert gaz.find(again, context) == gaz.find(again, plain)


def test_match_types_are_immutable() -> None:
    sc = scan(tokenize("اغتال مسلحون القاضي في بنغازي أمس"))
    assert sc.cues and sc.triggers
    cue = sc.cues[0]
    trigger = sc.triggers[0][1]
    assert isinstance(cue, CueMatch) and isinstance(trigger, TriggerMatch)
    with pytest.raises(AttributeError):
        cue.first = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        trigger.first = 3  # type: ignore[misc]
    assert trigger.family == trigger.entry.family
    assert ActorMention._fields[-1] == "prev2"


def test_code_article_leaves_no_reference_cycles() -> None:
    code_article(ARTICLE, date(2016, 6, 16))  # warm the lexicon caches
    gc.collect()
    gc.disable()
    try:
        events = code_article(ARTICLE, date(2016, 6, 16))
        del events
        assert gc.collect() == 0  # reference counting freed everything
    finally:
        gc.enable()

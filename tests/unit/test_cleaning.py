"""The clean stage: boilerplate, captions, related lists, glued stories, hashes."""

from __future__ import annotations

from processors.cleaning.boilerplate import classify
from processors.cleaning.clean import clean_text
from processors.cleaning.fold import text_hash
from processors.cleaning.html_text import html_to_text


def test_glued_seed_splits_into_two_stories(seed_texts):
    stories = clean_text(seed_texts["000_70db0e24f020f7b9"])
    assert len(stories) == 2
    assert stories[0].text.startswith("أعلنت وزارة الخزانة الأميركية")
    assert "المصدر" not in stories[0].text
    assert stories[1].text.startswith("أظهر مقطع فيديو متداول")
    assert "وأسفر النزاع عن مئات القتلى" in stories[1].text


def test_repeated_captions_are_removed(seed_texts):
    story = clean_text(seed_texts["000_70db0e24f020f7b9"])[1]
    assert "يظهر الفيديو وقوع ثلاث عربات" not in story.text.split("\n")[0]
    assert story.text.count("يظهر الفيديو وقوع ثلاث عربات") == 0


def test_every_other_seed_is_one_story(seed_texts):
    for name, text in seed_texts.items():
        if not name.startswith("000"):
            assert len(clean_text(text)) == 1, name


def test_counters_share_buttons_and_datelines_go_to_header(seed_texts):
    story = clean_text(seed_texts["001_74d6563dd296ce5d"])[0]
    lines = story.text.split("\n")
    assert "• 11/22/2019" not in lines and "news-picture" not in lines
    assert not any(line.strip() in {"• 4", "• 0", "• 00:00", "مشاركة :"} for line in lines)
    assert "11/22/2019" in story.header
    assert story.title == "التحالف الدولي يجدد التزامه بتكثيف الجهود لاستنزاف موارد «داعش» المالية"


def test_print_button_and_title_fragments_removed(seed_texts):
    story = clean_text(seed_texts["002_211c947fa9c0ab59"])[0]
    assert "بعد انسحابه من عدة\n" not in story.text + "\n"
    assert not story.text.rstrip().endswith("شارك")
    assert "طباعة" not in story.text
    assert "24/أبريل/2016" in story.header


def test_related_list_caption_promo_and_byline_removed(seed_texts):
    story = clean_text(seed_texts["003_7406feebf9d13ce2"])[0]
    for junk in ("أقليات سهل نينوى", "تباطؤ عمليات خروج المدنيين", "واتساب", "*الصورة",
                 "متابعة إلسي", "موضوعات متعلقة", "مواضيع ذات صلة"):
        assert junk not in story.text, junk
    assert story.text.startswith("صدّت القوات الليبية هجوماً لمسلحي داعش في سرت")
    assert "سيطرت على المطار والميناء الأسبوع الماضي" in story.text


def test_text_hash_ignores_diacritics_spacing_and_punctuation():
    a = "صدّت القوات الليبية هجوماً، في سرت."
    b = "صدت  القوات الليبيه هجوما في سرت"
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash("صدت القوات الليبية هجوما في درنة")


def test_boilerplate_classes():
    assert classify("شارك") == "drop"
    assert classify("مواضيع ذات صلة:") == "related"
    assert classify("المصدر: الحرة ووزارة الخزينة الأميركية") == "source"
    assert classify("الأحد 24/أبريل/2016 - 02:53 م") == "dateline"
    assert classify("قتل 5 أشخاص في هجوم على سرت.") is None


def test_html_to_text_drops_scripts_and_navigation():
    html = ("<html><head><title>t</title><script>var x='قصف';</script></head><body>"
            "<nav>الرئيسية</nav><p>قصفت الطائرات مواقع في سرت</p><footer>حقوق</footer>"
            "</body></html>")
    text = html_to_text(html)
    assert "قصفت الطائرات مواقع في سرت" in text
    assert "var x" not in text and "الرئيسية" not in text and "حقوق" not in text


def test_only_boilerplate_gives_no_story():
    assert clean_text("شارك\nطباعة\n• 4\nمواضيع ذات صلة:\nعنوان قصير") == []


def test_normalize_unicode_equals_camel_tools() -> None:
    from camel_tools.utils.normalize import normalize_unicode as camel_normalize

    from processors.cleaning.clean import normalize_unicode

    samples = ["\ufdfd في \ufdfc", "ﻻ ﺍﻟﻠﻪ ﻣﺮﺣﺒﺎ", "٣ آلاف، café ½ ﬁ", "إِنَّ الْقُوَّاتِ"]
    for text in samples:
        assert normalize_unicode(text) == camel_normalize(text)

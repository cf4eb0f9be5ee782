"""near_match and the reference LSH index (processors.dedup.near)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from processors.cleaning.fold import text_hash
from processors.coder.text import normalize
from processors.dedup.contradiction import polarity_markers
from processors.dedup.minhash import DEFAULT, signature
from processors.dedup.near import NearDuplicateIndex, near_match

PARAS = [
    "أعلنت وزارة الدفاع العراقية أن القوات الأمنية استعادت السيطرة على ثلاث قرى شمال الرمادي.",
    "وقال المتحدث باسم الوزارة إن الطيران الحربي شن غارات على مواقع التنظيم في محيط المدينة.",
    "وأضاف أن عمليات التطهير متواصلة في المناطق المحررة وأن الأهالي بدأوا بالعودة إلى منازلهم.",
    "وأوضح أن 12 عنصرا من التنظيم قتلوا في المعارك التي استمرت يومين قرب جسر البوفراج.",
    "ويسيطر التنظيم على مدينة الرمادي منذ شهر مايو الماضي بعد انسحاب القوات الحكومية منها.",
    "وتحاول القوات العراقية بدعم من طيران التحالف الدولي استعادة المدينة منذ أسابيع عدة.",
]
ORIG = "\n".join(PARAS)
OTHER = ("قالت مصادر ليبية إن اشتباكات اندلعت في مدينة درنة بين مجلس شورى المجاهدين ومسلحين "
         "موالين لتنظيم الدولة وأغلقت المحال التجارية أبوابها وسط المدينة وعلقت الدراسة.")


def _add(index: NearDuplicateIndex, aid: str, text: str):
    return index.add(aid, signature(text), polarity_markers(text))


def test_exact_hash_equals_text_hash() -> None:
    for text in (ORIG, OTHER, "إلى   الأمام، يا «شباب»!"):
        reference = " ".join(re.sub(r"[^\w]+", " ", normalize(text)).split())
        assert text_hash(text) == hashlib.sha256(reference.encode()).hexdigest()[:32]


def test_near_match_similarity_or_none() -> None:
    trimmed = "\n".join(PARAS[:-1])
    sim = near_match(signature(ORIG), polarity_markers(ORIG), signature(trimmed),
                     polarity_markers(trimmed), DEFAULT)
    assert sim is not None and DEFAULT.threshold <= sim <= 1.0
    assert near_match(signature(ORIG), [], signature(OTHER), [], DEFAULT) is None
    changed = ORIG.replace("12 عنصرا", "19 عنصرا")
    assert near_match(signature(ORIG), polarity_markers(ORIG), signature(changed),
                      polarity_markers(changed), DEFAULT) is None


def test_index_returns_first_seen_canonical() -> None:
    index = NearDuplicateIndex()
    assert _add(index, "a", ORIG) is None
    assert _add(index, "x", OTHER) is None
    hit = _add(index, "b", "\n".join(PARAS[:-1]))  # trimmed paragraph
    assert hit is not None and hit[0] == "a" and hit[1] >= DEFAULT.threshold
    hit = _add(index, "c", "عاجل: معارك الرمادي\n" + "\n".join(PARAS[:-1]))  # new headline
    assert hit is not None and hit[0] == "a"  # canonical, even if closest to "b"
    assert len(index) == 4


def test_index_keeps_contradicting_copies_apart() -> None:
    index = NearDuplicateIndex()
    _add(index, "a", ORIG)
    assert _add(index, "neg", ORIG.replace("استعادت السيطرة", "لم تستعد السيطرة")
                .replace("قتلوا", "لم يقتلوا")) is None
    assert _add(index, "num", ORIG.replace("12 عنصرا", "21 عنصرا")) is None
    assert _add(index, "stop", ORIG.replace("متواصلة", "توقفت")) is None


def test_index_grows_past_initial_capacity() -> None:
    index = NearDuplicateIndex()
    rng = np.random.default_rng(0)
    for i in range(1100):
        sig = rng.integers(0, 2**32, DEFAULT.num_perm, dtype=np.uint64).astype(np.uint32)
        assert index.add(str(i), sig, []) is None
    assert len(index) == 1100
    assert index.add("again", index._sigs[1099].copy(), [])[0] == "1099"

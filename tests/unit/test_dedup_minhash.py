"""MinHash signatures, band keys and their encoding (processors.dedup.minhash)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from processors.cleaning.fold import text_hash
from processors.coder.text import normalize
from processors.dedup.minhash import (
    DEFAULT,
    MinHashParams,
    band_keys,
    decode,
    encode,
    estimate,
    fold,
    shingle_hashes,
    signature,
    words,
)

TEXT = (
    "أعلنت وزارة الدفاع العراقية اليوم الاثنين أن القوات الأمنية استعادت السيطرة على "
    "ثلاث قرى شمال مدينة الرمادي بعد معارك عنيفة مع مسلحي تنظيم داعش استمرت يومين. "
    "وقال المتحدث باسم الوزارة إن الطيران الحربي شن غارات على مواقع التنظيم في محيط "
    "المدينة ودمر عددا من العربات المفخخة قبل وصولها إلى خطوط الجيش. "
    "وأضاف أن عمليات التطهير متواصلة في المناطق المحررة وأن الأهالي بدأوا بالعودة."
)
OTHER = (
    "قالت مصادر ليبية إن اشتباكات اندلعت في مدينة درنة بين مجلس شورى المجاهدين ومسلحين "
    "موالين لتنظيم الدولة، وأسفرت عن سقوط قتلى من الطرفين، فيما أغلقت المحال التجارية "
    "أبوابها وسط المدينة وعلقت الدراسة في المدارس القريبة من مواقع القتال."
)
_NW = re.compile(r"[^\w]+")


def test_params_defaults_and_rows() -> None:
    p = MinHashParams()
    assert p.rows * p.bands == p.num_perm
    assert MinHashParams(num_perm=64, bands=16).rows == 4
    with pytest.raises(ValueError):
        MinHashParams(num_perm=100, bands=32)
    with pytest.raises(ValueError):
        MinHashParams(threshold=0)


def test_fold_matches_text_hash_normalisation() -> None:
    text = "قَالَ الْمُتَحَدِّثُ: «إنّ ٣ أشخاص قُتِلوا» في آمرلي—الأربعاء، ومستشفى ـــ الرمادي؟"
    assert fold(text) == " ".join(_NW.sub(" ", normalize(text)).split())
    assert words("إلى أين؟") == ["الي", "اين"]


def test_signature_shape_dtype_and_determinism() -> None:
    sig = signature(TEXT)
    assert sig.dtype == np.uint32 and sig.shape == (DEFAULT.num_perm,)
    assert np.array_equal(sig, signature(TEXT))
    other_seed = signature(TEXT, MinHashParams(seed=2))
    assert not np.array_equal(sig, other_seed)


def test_signature_stable_across_processes() -> None:
    """No salted hash(): a fresh interpreter (other PYTHONHASHSEED) gives the same keys."""
    code = ("from processors.dedup.minhash import signature, band_keys, encode;"
            f"s = signature({TEXT!r}); print(encode(s)); print(band_keys(s)[0])")
    env = {"PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env,
                         cwd=Path(__file__).resolve().parents[2]).stdout.split()
    sig = signature(TEXT)
    assert out == [encode(sig), band_keys(sig)[0]]


def test_diacritics_and_alef_variants_do_not_change_signature() -> None:
    variant = TEXT.replace("إلى", "الى").replace("أن", "ان").replace("قال", "قَالَ")
    variant = variant.replace("،", " ، ").replace(".", " .")
    assert np.array_equal(signature(variant), signature(TEXT))
    assert text_hash(variant) == text_hash(TEXT)  # same folding as the exact hash


def test_estimate_tracks_jaccard() -> None:
    a, b = signature(TEXT), signature(OTHER)
    assert estimate(a, a) == 1.0
    assert estimate(a, b) < 0.1
    trimmed = TEXT.rsplit(".", 2)[0] + "."  # last sentence dropped
    ha, hb = set(shingle_hashes(TEXT)), set(shingle_hashes(trimmed))
    jaccard = len(ha & hb) / len(ha | hb)
    big = MinHashParams(num_perm=512, bands=128)
    assert abs(estimate(signature(TEXT, big), signature(trimmed, big)) - jaccard) < 0.1
    with pytest.raises(ValueError):
        estimate(a, a[:10])


def test_band_keys_format_and_sharing() -> None:
    sig = signature(TEXT)
    keys = band_keys(sig)
    assert len(keys) == DEFAULT.bands
    assert all(re.fullmatch(r"\d{2}:[0-9a-f]{16}", k) for k in keys)
    assert [k[:2] for k in keys] == [f"{i:02d}" for i in range(DEFAULT.bands)]
    changed = sig.copy()
    changed[0] ^= 1  # only band 0 differs
    other = band_keys(changed)
    assert other[0] != keys[0] and other[1:] == keys[1:]
    assert not set(band_keys(signature(OTHER))) & set(keys)
    with pytest.raises(ValueError):
        band_keys(sig[:64])


def test_empty_text_has_no_band_keys() -> None:
    sig = signature("  ،،  ")
    assert (sig == 0xFFFFFFFF).all()
    assert band_keys(sig) == []
    assert shingle_hashes("").size == 0


def test_short_text_is_one_shingle() -> None:
    assert shingle_hashes("هجوم", 5).size == 1
    assert band_keys(signature("هجوم")) != band_keys(signature("انفجار"))


def test_encode_decode_round_trip() -> None:
    sig = signature(TEXT)
    s = encode(sig)
    assert isinstance(s, str) and len(s) == 4 * ((DEFAULT.num_perm * 4 + 2) // 3)
    back = decode(s)
    assert back.dtype == np.uint32 and np.array_equal(back, sig)
    assert encode(np.array([1], dtype=np.uint32)) == "AQAAAA=="  # little-endian
    with pytest.raises(ValueError):
        decode("AQAA")


def test_signature_is_fast() -> None:
    text = (TEXT + " ") * 6  # about 3 KB
    words(text)
    signature(text)
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        band_keys(signature(text))
    per = (time.perf_counter() - start) / runs
    assert per < 0.005  # generous bound for a shared CI machine; measured ~0.5 ms


def test_folded_words_and_text_hash_agree_with_fold() -> None:
    """The per-token passes (MinHash words, exact hash) equal folding the whole text."""
    import hashlib

    from processors.dedup.minhash import folded

    odd = "قَالَ: «إنّ ٣ أشخاص»—الأربعاء\u200c،ومستشفى ـــ\u00a0الرمادي؟ 18/10/1436هـ"
    for text in (TEXT, OTHER, odd, "", "  ،،  "):
        assert list(folded(text)[0]) == words(text)
        assert folded(text)[1].size == len(words(text))
        assert text_hash(text) == hashlib.sha256(fold(text).encode()).hexdigest()[:32]


def test_cardinality_and_containment_estimates() -> None:
    from processors.dedup.minhash import cardinality, containment

    long_text = " ".join(f"كلمة{i} نص{i * 7}" for i in range(600))  # 1199 distinct 2-shingles
    sig = signature(long_text)
    n = shingle_hashes(long_text).size
    assert abs(cardinality(sig) - n) / n < 0.25
    assert cardinality(signature("")) == 0.0
    assert containment(sig, sig) == 1.0
    half = " ".join(long_text.split()[:600])  # the first half, contained in the long text
    # Jaccard ~0.5, but only half of the longer text is in the shorter one
    assert abs(containment(sig, signature(half)) - 0.5) < 0.12
    assert containment(signature(TEXT), signature(OTHER)) < 0.1
    trimmed = TEXT.rsplit(".", 2)[0] + "."
    assert containment(signature(TEXT), signature(trimmed)) >= estimate(signature(TEXT),
                                                                         signature(trimmed))


def test_decoded_signature_gives_same_bands_partitions_and_match() -> None:
    """What travels (encode) and what is stored (decode) agree with the partitioned index."""
    from processors.dedup import partitioned_index
    from processors.dedup.near import near_match

    sig = signature(TEXT)
    back = decode(encode(sig))
    assert band_keys(back) == band_keys(sig)
    assert partitioned_index.group_by_partition(band_keys(back), 4) == \
        partitioned_index.group_by_partition(band_keys(sig), 4)
    trimmed = signature(TEXT.rsplit(".", 2)[0] + ".")
    assert near_match(back, [], decode(encode(trimmed)), []) == near_match(sig, [], trimmed, [])
    # a signature stored under other parameters is never compared
    assert near_match(sig, [], signature(TEXT, MinHashParams(num_perm=128, bands=64)), []) \
        is None


def test_banding_s_curve_sits_below_threshold() -> None:
    """Pairs at the decision threshold almost always share a band: at containment =
    threshold the Jaccard is at least t / (2 - t) (equal sizes)."""
    p = DEFAULT
    j = p.threshold / (2 - p.threshold)
    assert 1 - (1 - j ** p.rows) ** p.bands > 0.98
    assert (1 / p.bands) ** (1 / p.rows) < j  # 50%-collision point below it

"""The eval-dedup command's logic (marsad.dedup_eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marsad import dedup_eval

LABELS = Path(__file__).resolve().parents[1] / "dedup" / "saudinewsnet_pairs.jsonl"


def test_labels_reference_articles_not_texts() -> None:
    rows = [json.loads(line) for line in LABELS.open(encoding="utf-8")]
    assert len(rows) >= 150
    assert {r["label"] for r in rows} == {"duplicate", "distinct"}
    for r in rows:
        assert set(r) >= {"a_id", "a_line", "a_url", "b_id", "b_line", "b_url", "basis"}
        assert "content" not in r and len(json.dumps(r, ensure_ascii=False)) < 1000


def test_score_counts() -> None:
    s = dedup_eval.Score()
    s.add("a", "b", True, True)
    s.add("a", "c", False, True)
    s.add("b", "c", True, False)
    s.add("c", "d", False, False)
    assert (s.tp, s.fp, s.fn, s.tn) == (1, 1, 1, 1)
    assert s.precision == 0.5 and s.recall == 0.5 and s.f1 == 0.5


def test_edited_corpus_is_deterministic_and_scored() -> None:
    a1, fam, contra = dedup_eval.edited_corpus()
    a2, _, _ = dedup_eval.edited_corpus()
    assert a1 == a2 and contra
    kinds = {aid.rsplit("/", 1)[1] for aid, _ in a1}
    assert {"orig", "headline", "trim", "lead", "number", "flip", "negation"} <= kinds
    result = dedup_eval.replay(a1)
    for aid in contra:  # contradicting copies stay apart from their originals
        assert result.canonical[aid] == aid
    dup_ids = [a for a, _ in a1 if a not in contra]
    score = dedup_eval.score_pairs(dup_ids, result, lambda a, b: fam[a] == fam[b])
    assert score.precision >= 0.97 and score.recall >= 0.95


@pytest.mark.skipif(not dedup_eval.CORPUS.exists(), reason="../shared/data not present")
def test_main_runs_on_reprints(capsys: pytest.CaptureFixture[str]) -> None:
    code = dedup_eval.main(["--threshold", "0.45"])
    out = capsys.readouterr().out
    assert "reprints" in out and "edited copies" in out and "ms per article" in out
    assert code in (0, 1)
    assert "false merges 0" in out

"""Reading articles from folders and JSONL, ids and canonical URLs."""

from __future__ import annotations

import io
import json

from producers.article_reader import article_id, canonical_url, read_folder, read_source


def test_canonical_url_strips_tracking_amp_and_mobile():
    base = canonical_url("https://www.example.com/news/123")
    assert canonical_url("http://m.example.com/news/123/?utm_source=x&fbclid=y") == base
    assert canonical_url("https://example.com/news/123/amp") == base
    assert canonical_url("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fnews%2F123"
                         ) == base
    assert canonical_url("https://example.com/news/124") != base
    assert canonical_url("https://example.com/a?id=5&utm_medium=z") == "https://example.com/a?id=5"


def test_article_id_prefers_url_then_normalised_text():
    assert article_id("https://example.com/a", "x") == article_id("https://www.example.com/a/", "y")
    assert article_id(None, "هجوماً على سرت") == article_id(None, "هجوما  على سرت")
    assert len(article_id(None, "نص")) == 16


def test_seed_folder_reads_five_articles_with_metadata(tmp_path):
    from tests.conftest import SEEDS

    results = list(read_folder(SEEDS))
    assert len(results) == 5 and all(r.article for r in results)
    by_name = {r.origin: r.article for r in results}
    assert by_name["002_211c947fa9c0ab59.txt"]["published_at"].startswith("2016-04-24")
    assert by_name["001_74d6563dd296ce5d.txt"]["published_at"] == "2019-11-22"
    assert len({a["article_id"] for a in by_name.values()}) == 5


def test_bad_inputs_are_reported_not_dropped(tmp_path):
    (tmp_path / "a.txt").write_text("قصفت الطائرات مواقع داعش في سرت", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "c.txt").write_text("   ", encoding="utf-8")
    (tmp_path / "d.pdf").write_bytes(b"%PDF")
    (tmp_path / "e.jsonl").write_text(
        json.dumps({"content": "نص المقال", "url": "https://x.com/1"}) + "\n{oops\n"
        + json.dumps({"title": "no text"}) + "\n", encoding="utf-8")
    results = {r.origin: r for r in read_folder(tmp_path)}
    assert results["a.txt"].article is not None
    assert "UTF-8" in results["b.txt"].error
    assert results["c.txt"].error == "empty text"
    assert "unsupported" in results["d.pdf"].error
    assert results["e.jsonl:1"].article["url"] == "https://x.com/1"
    assert "invalid JSON" in results["e.jsonl:2"].error
    assert "no text" in results["e.jsonl:3"].error


def test_stdin_jsonl():
    stdin = io.StringIO(json.dumps({"text": "خبر", "outlet": "وكالة"}) + "\n")
    (result,) = list(read_source("-", stdin))
    assert result.article["outlet"] == "وكالة" and result.origin == "stdin:1"

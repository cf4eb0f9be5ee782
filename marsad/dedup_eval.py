"""``marsad eval-dedup``: replay labelled corpora through exact + near-duplicate dedup and
print pairwise precision / recall / F1, false merges on contradicting pairs and throughput.

Corpora:
- **reprints**: ``../shared/data/articles/saudinewsnet_2015_conflict_sample.jsonl`` with the
  labels of ``tests/dedup/saudinewsnet_pairs.jsonl`` (every pair not listed there is distinct:
  see tests/dedup/README.md). Skipped with a message when ../shared is absent.
- **edited copies**: built here, deterministically, from the clean stories of ``seeds/``
  (trimmed paragraph, new headline, different lead paragraph, diacritics/alef variants:
  duplicates; changed number, polarity flip, added negation: contradicting, must stay apart).

Pairwise scoring: two articles are predicted duplicates when replay puts them under the same
canonical (first-seen) article.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from processors.cleaning.clean import clean_text
from processors.cleaning.fold import text_hash
from processors.dedup.contradiction import lexicon, polarity_markers
from processors.dedup.minhash import DEFAULT, MinHashParams, signature
from processors.dedup.near import NearDuplicateIndex

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared/data/articles/saudinewsnet_2015_conflict_sample.jsonl"
LABELS = ROOT / "tests/dedup/saudinewsnet_pairs.jsonl"
SEEDS = ROOT / "seeds"


@dataclass
class Replay:
    """Result of replaying articles in order: canonical id of each and timings."""

    canonical: dict[str, str] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # CPU time of this process (wall time is noisy on a shared machine)
    candidates: int = 0


def replay(articles: Iterable[tuple[str, str]], params: MinHashParams = DEFAULT) -> Replay:
    """Exact hash first, then MinHash-LSH with polarity markers; first seen is canonical."""
    index = NearDuplicateIndex(params)
    exact: dict[str, str] = {}
    out = Replay()
    for article_id, text in articles:
        start = time.process_time()
        h = text_hash(text)
        first = exact.get(h)
        if first is not None:
            out.canonical[article_id] = out.canonical[first]
            out.method[article_id] = "exact"
            out.seconds += time.process_time() - start
            continue
        exact[h] = article_id
        hit = index.add(article_id, signature(text, params), polarity_markers(text))
        out.seconds += time.process_time() - start
        out.canonical[article_id] = article_id if hit is None else hit[0]
        out.method[article_id] = "new" if hit is None else "near"
    out.candidates = index.candidates_checked
    return out


@dataclass
class Score:
    """Pairwise confusion counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_merges: list[tuple[str, str]] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)

    def add(self, a: str, b: str, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif truth:
            self.fn += 1
            self.missed.append((a, b))
        elif predicted:
            self.fp += 1
            self.false_merges.append((a, b))
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_pairs(ids: list[str], result: Replay, truth: Callable[[str, str], bool]) -> Score:
    """Score every unordered pair of ``ids``."""
    score = Score()
    for a, b in itertools.combinations(ids, 2):
        score.add(a, b, truth(a, b), result.canonical[a] == result.canonical[b])
    return score


# ---------------------------------------------------------------- reprints (SaudiNewsNet)

def load_reprints(corpus: Path = CORPUS, labels: Path = LABELS
                  ) -> tuple[list[tuple[str, str]], dict[frozenset[str], bool]]:
    """Articles (id, title + body, file order) and the labelled pairs."""
    articles = []
    for line in corpus.open(encoding="utf-8"):
        row = json.loads(line)
        articles.append((row["id"], row["content"]))
    pairs = {}
    for line in labels.open(encoding="utf-8"):
        lab = json.loads(line)
        pairs[frozenset((lab["a_id"], lab["b_id"]))] = lab["label"] == "duplicate"
    return articles, pairs


# ---------------------------------------------------------------- edited copies (seeds)

_DIGITS = re.compile(r"\d+")


def seed_stories(seeds: Path = SEEDS) -> list[tuple[str, list[str]]]:
    """(seed name, paragraphs) of each clean story of the seed articles."""
    out = []
    for path in sorted(seeds.glob("*.txt")):
        for n, story in enumerate(clean_text(path.read_text(encoding="utf-8")), 1):
            paras = [p for p in story.text.split("\n") if p.strip()]
            if len(paras) >= 4:
                out.append((f"{path.stem}#{n}", paras))
    return out


def _vary_spelling(text: str) -> str:
    return text.replace("أ", "ا").replace("إ", "ا").replace("ى", "ي").replace("ة", "ه")


def _change_number(paras: list[str], rng: random.Random) -> list[str] | None:
    """Change one number in one sentence (a revised figure)."""
    spots = [(i, m) for i, p in enumerate(paras) for m in _DIGITS.finditer(p)
             if not 1900 <= int(m.group()) <= 2100]
    if not spots:
        return None
    i, m = rng.choice(spots)
    new = str(int(m.group()) + rng.randint(2, 9))
    out = list(paras)
    out[i] = paras[i][:m.start()] + new + paras[i][m.end():]
    return out


def _opposites() -> dict[str, str]:
    """Each lexicon form -> the first form of the opposite polarity of its group."""
    first: dict[tuple[str, str], str] = {}
    for form, key in lexicon().items():
        first.setdefault(key, form)
    return {form: first[(g, "-" if p == "+" else "+")] for form, (g, p) in lexicon().items()
            if (g, "-" if p == "+" else "+") in first}


_flipped: list[str] = []  # group flipped by the last _flip call(s)


def _flip(paras: list[str], rng: random.Random, negate: bool,
          avoid: str | None = None) -> list[str] | None:
    """Replace one lexicon term by its opposite, or put لم/لا before it (a term of another
    group than ``avoid``, so the two contradicting copies state different facts)."""
    opposite = _opposites()
    spots = []
    for i, p in enumerate(paras):
        for m in re.finditer(r"\S+", p):
            word = m.group().strip("،,.:؛\"«»()")
            if word in opposite and lexicon()[word][0] != avoid:
                spots.append((i, m.start(), word))
    if not spots:
        return None
    i, pos, word = rng.choice(spots)
    _flipped.append(lexicon()[word][0])
    out = list(paras)
    p = paras[i]
    if negate:
        out[i] = p[:pos] + ("لا " if word.startswith(("ي", "ت")) else "لم ") + p[pos:]
    else:
        out[i] = p[:pos] + opposite[word] + p[pos + len(word):]
    return out


def edited_corpus(seed: int = 7) -> tuple[list[tuple[str, str]], dict[str, str], set[str]]:
    """Articles (id, text), the duplicate family of each id, and the contradicting ids.

    Family = seed story for the original and its duplicate edits; a contradicting copy is its
    own family (it must stay apart from everything)."""
    rng = random.Random(seed)
    articles: list[tuple[str, str]] = []
    family: dict[str, str] = {}
    contradicting: set[str] = set()
    headlines = ["عاجل: تطورات جديدة في الأحداث", "تقرير: ما الذي حدث؟",
                 "مصادر: تفاصيل ما جرى اليوم", "متابعة خاصة"]
    for name, paras in seed_stories():
        lead_words = paras[0].split()
        dups = {
            "orig": paras,
            "headline": [rng.choice(headlines), *paras[1:]] if len(paras[0]) < 120
            else [rng.choice(headlines), *paras],
            "trim": paras[:-1],
            "trim_mid": paras[:len(paras) // 2] + paras[len(paras) // 2 + 1:],
            "lead": ["أفادت مصادر متطابقة اليوم بأن " + " ".join(lead_words[len(lead_words) // 2:]),
                     *paras[1:]],
            "spelling": [_vary_spelling(p) for p in paras],
        }
        _flipped.clear()
        contra = {
            "number": _change_number(paras, rng),
            "flip": _flip(paras, rng, negate=False),
        }
        contra["negation"] = _flip(paras, rng, negate=True,
                                   avoid=_flipped[0] if _flipped else None)
        for kind, ps in dups.items():
            aid = f"{name}/{kind}"
            articles.append((aid, "\n".join(ps)))
            family[aid] = name
        for kind, ps in contra.items():
            if ps is None:
                continue
            aid = f"{name}/{kind}"
            articles.append((aid, "\n".join(ps)))
            family[aid] = aid
            contradicting.add(aid)
    return articles, family, contradicting


# ---------------------------------------------------------------- command

def _line(label: str, s: Score) -> str:
    return (f"{label:<16} pairs {s.tp + s.fp + s.fn + s.tn:>6}  dup {s.tp + s.fn:>4}  "
            f"precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}  "
            f"(tp {s.tp}, fp {s.fp}, fn {s.fn})")


def run(params: MinHashParams = DEFAULT, corpus: Path = CORPUS, labels: Path = LABELS,
        verbose: bool = False, repeat: int = 3) -> dict[str, float]:
    """Run the evaluation, print the report, return the figures."""
    figures: dict[str, float] = {}
    print(f"params: num_perm={params.num_perm} bands={params.bands} rows={params.rows} "
          f"shingle_size={params.shingle_size} (words) threshold={params.threshold} "
          f"seed={params.seed}")
    timed: list[tuple[str, str]] = []
    if corpus.exists() and labels.exists():
        articles, pairs = load_reprints(corpus, labels)
        result = replay(articles, params)
        ids = [a for a, _ in articles]
        s = score_pairs(ids, result, lambda a, b: pairs.get(frozenset((a, b)), False))
        print(_line("reprints", s))
        figures.update(reprint_precision=s.precision, reprint_recall=s.recall,
                       reprint_f1=s.f1)
        if verbose:
            for a, b in s.false_merges:
                print(f"  false merge: {a} {b}")
            for a, b in s.missed:
                print(f"  missed:      {a} {b}")
        timed += articles
    else:
        print(f"reprints: skipped, {corpus} or {labels} not found")
    articles, family, contradicting = edited_corpus()
    result = replay(articles, params)
    ids = [a for a, _ in articles]
    dup_ids = [a for a in ids if a not in contradicting]
    s = score_pairs(dup_ids, result, lambda a, b: family[a] == family[b])
    print(_line("edited copies", s))
    merged = [a for a in sorted(contradicting)
              if result.canonical[a] != a]
    kinds = sorted({a.rsplit("/", 1)[1] for a in contradicting})
    print(f"{'contradicting':<16} copies {len(contradicting):>5}  ({', '.join(kinds)})  "
          f"false merges {len(merged)}")
    for a in merged:
        print(f"  false merge: {a} -> {result.canonical[a]}")
    if verbose:
        for a, b in s.false_merges:
            print(f"  false merge: {a} {b}")
        for a, b in s.missed:
            print(f"  missed:      {a} {b}")
    figures.update(edited_precision=s.precision, edited_recall=s.recall, edited_f1=s.f1,
                   contradicting_false_merges=float(len(merged)))
    timed += articles
    best = min(replay(timed, params).seconds for _ in range(repeat))
    per = best / len(timed) * 1000
    kb = sum(len(t.encode()) for _, t in timed) / len(timed) / 1024
    print(f"throughput       {per:.3f} ms per article (CPU time; exact hash + signature + markers "
          f"+ index; {len(timed)} articles, mean {kb:.1f} KB, best of {repeat})")
    figures["ms_per_article"] = per
    return figures


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``marsad eval-dedup``; returns 0 if every target is met, else 1."""
    parser = argparse.ArgumentParser(prog="marsad eval-dedup", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--num-perm", type=int, default=DEFAULT.num_perm)
    parser.add_argument("--bands", type=int, default=DEFAULT.bands)
    parser.add_argument("--shingle-size", type=int, default=DEFAULT.shingle_size)
    parser.add_argument("--threshold", type=float, default=DEFAULT.threshold)
    parser.add_argument("--seed", type=int, default=DEFAULT.seed)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every error")
    args = parser.parse_args(argv)
    params = MinHashParams(num_perm=args.num_perm, bands=args.bands,
                           shingle_size=args.shingle_size, seed=args.seed,
                           threshold=args.threshold)
    f = run(params, args.corpus, args.labels, args.verbose)
    ok = (f.get("reprint_precision", 1.0) >= 0.97 and f.get("reprint_recall", 1.0) >= 0.95
          and f["edited_precision"] >= 0.97 and f["edited_recall"] >= 0.95
          and f["contradicting_false_merges"] == 0 and f["ms_per_article"] <= 2.0)
    print("targets (P>=0.97, R>=0.95, no false merge, <=2 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

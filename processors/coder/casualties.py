"""Casualty counts in one Arabic news sentence: killed, injured, arrested, abducted.

``find_casualties`` links casualty words (مقتل, قتلوا, قتلى, لقي ... مصرعهم, خسائر فادحة في
الأرواح) to the quantities of :mod:`processors.coder.numbers`, keeps the hedges (نحو 43 is
approximate, ما يزيد عن سبعة a lower bound), the victims (إرهابيا, عناصر من القوات
الحكومية) and who makes the claim (أعلن تنظيم داعش ..., حسب وكالة رويترز).
``conservative_fatalities`` applies ACLED's rule: the lowest credible figure wins.
The word lists and their sources are ``data/casualty_*.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from processors.coder.numbers import (
    PhraseTable,
    Quantity,
    dual_candidates,
    find_numbers,
    hedge_after,
    read_data_table,
    text_base,
    token_gaps,
)
from processors.coder.text import Token, normalize

KINDS = ("killed", "injured", "arrested", "abducted")
_CLAUSE_BREAK = frozenset("،,.;؛:!?؟\n")
_DEFINITE = ("ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل")
_QUOTES = "\"'«»“”„ "
_NO_QUOTES = str.maketrans("", "", '"«»“”„')
_NOUN_WINDOW = 1  # a verbal noun takes its count right after it: مقتل 43
_VERB_WINDOW = 5  # a verb may have its subject first: خطفت جبهة النصرة من جديد خمسة مقاتلين
_BACK_WINDOW = 6  # a plural verb after its subject: العشرات من عناصر التنظيم الإرهابي قتلوا
_NEG_WINDOW = 5
_CLAIMANT_WORDS = 8
_FATE_WINDOW = 12
_TOLL_WINDOW = 25
_PREP_REACH = 30  # حسب/بحسب must be this close (tokens) to the figure it sources


@dataclass(frozen=True, slots=True)
class Casualty:
    """One reported casualty figure.

    ``count`` is None when the text reports casualties without a usable number (خسائر فادحة
    في الأرواح, a share of an unknown group, a killed-and-wounded total); vague amounts
    (عشرات, عدد من) carry ACLED's figure with ``vague`` set. ``start``/``end`` are character
    offsets in the article. ``claimant`` is the source the sentence attributes the figure to.
    """

    kind: str  # killed | injured | arrested | abducted
    count: int | None
    approx: bool
    lower_bound: bool
    vague: bool
    victim_words: str | None
    start: int
    end: int
    claimant: str | None
    upper_bound: bool = False
    fraction: float | None = None  # ثلث عناصر التنظيم -> 1/3 of a group of unknown size
    mixed: bool = False  # a killed-and-wounded total (ما بين قتيل وجريح): no split known
    named: bool = False  # one person named in the text (استشهد البطل محمد رزق)
    negated: bool = False  # denied: لم يسفر عن سقوط قتلى (count 0)
    victim_group: str | None = None  # the group after من: مقتل 43 إرهابيا من داعش -> داعش
    surface: str = ""


@dataclass(frozen=True, slots=True)
class _Trigger:
    kind: str
    role: str
    number: str


@dataclass(frozen=True, slots=True)
class _Person:
    number: str
    cls: str
    dual_ok: bool


@dataclass(frozen=True, slots=True)
class _Lex:
    triggers: PhraseTable
    persons: dict[str, _Person]
    roles: dict[str, frozenset[str]]
    unknown_fatalities: int


@cache
def _lex() -> _Lex:
    triggers = PhraseTable(
        (r["phrase"], _Trigger(r["kind"], r["role"], r["number"]))
        for r in read_data_table("casualty_words.csv")
    )
    persons = {
        normalize(r["word"]): _Person(r["number"], r["class"], r["dual_ok"] == "1")
        for r in read_data_table("casualty_victims.csv")
    }
    roles: dict[str, set[str]] = {}
    for r in read_data_table("casualty_context.csv"):
        roles.setdefault(r["role"], set()).add(normalize(r["word"]))
    # a weekday ends a claimant: أعلنت الوزارة الجمعة أن ...
    roles["claimant_stop"].update(normalize(r["name"]) for r in read_data_table("weekdays.csv"))
    rules = {r["rule"]: r["value"] for r in read_data_table("casualty_rules.csv")}
    return _Lex(
        triggers,
        persons,
        {k: frozenset(v) for k, v in roles.items()},
        int(rules["unknown_fatalities"]),
    )


@dataclass(slots=True)
class _Found:
    """A casualty being assembled (token indices, end exclusive)."""

    kind: str
    tok_start: int
    tok_end: int
    count: float | None = None
    approx: bool = False
    lower_bound: bool = False
    upper_bound: bool = False
    vague: bool = False
    fraction: float | None = None
    mixed: bool = False
    named: bool = False
    victim: int | None = None  # token index of the victim noun
    group: tuple[int, int] | None = None
    extra: list[int] = field(default_factory=list)


class _Finder:
    """Casualty extraction over one sentence (a class only to share the sentence state)."""

    def __init__(self, tokens: Sequence[Token], text: str) -> None:
        self.toks = tokens
        self.n = len(tokens)
        self.text = text
        self.lex = _lex()
        gaps = token_gaps(tokens, text)
        base = text_base(tokens, text)
        self.gaps = gaps if gaps is not None else [" "] * (self.n + 1)
        self.base = base if base is not None else tokens[0].start
        self.quantities = [q for q in find_numbers(tokens, text) if not q.percent]
        self.q_start = {q.tok_start: q for q in self.quantities}
        self.q_end = {q.tok_end: q for q in self.quantities}
        self.consumed: set[int] = set()
        self.trig: dict[int, tuple[int, _Trigger]] = {}
        screen = self.lex.triggers.screen
        k = 0
        while k < self.n:
            if tokens[k].norm not in screen:
                k += 1
                continue
            found = self.lex.triggers.match(tokens, k)
            if found is None:
                k += 1
                continue
            end, payload = found
            assert isinstance(payload, _Trigger)
            self.trig[k] = (end, payload)
            k = end

    # ---- lookups -------------------------------------------------------------------------
    def has(self, k: int, role: str) -> bool:
        if k < 0 or k >= self.n:
            return False
        tok = self.toks[k]
        words = self.lex.roles[role]
        return tok.norm in words or any(s in words for s in tok.stems)

    def person(self, k: int) -> _Person | None:
        """The person noun at ``k`` (with its number: sg, du or pl), or None."""
        if k < 0 or k >= self.n:
            return None
        persons = self.lex.persons
        tok = self.toks[k]
        forms = (tok.norm, *tok.stems)
        for form in forms:
            p = persons.get(form)
            if p is None and form.endswith("ا"):
                p = persons.get(form[:-1])  # accusative: إرهابيا, شخصا
            if p is not None:
                return p
        for form in forms:
            for cand in dual_candidates(form):
                p = persons.get(cand)
                if p is not None and p.number == "sg" and p.dual_ok:
                    return _Person("du", p.cls, True)
        return None

    def breaks(self, k: int) -> bool:
        """True if punctuation separates token ``k`` from the token before it."""
        return any(ch in _CLAUSE_BREAK for ch in self.gaps[k])

    def definite(self, k: int) -> bool:
        return self.toks[k].norm.startswith(_DEFINITE)

    def surface(self, a: int, b: int) -> str:
        """Original text of tokens ``a``..``b`` (end exclusive)."""
        s, e = self.toks[a].start - self.base, self.toks[b - 1].end - self.base
        return self.text[s:e]

    def is_victim_noun(self, k: int) -> bool:
        hit = self.trig.get(k)
        return hit is not None and hit[1].role == "victim"

    # ---- patterns ------------------------------------------------------------------------
    def run(self) -> list[Casualty]:
        out: list[Casualty] = []
        consumed = self.consumed
        for k in sorted(self.trig):
            if k in consumed:
                continue
            end, trig = self.trig[k]
            found: _Found | None = None
            if trig.role == "noun":
                found = self.after(k, end, trig)
            elif trig.role in ("verb", "both"):
                # A singular verb right after its subject takes the count before it
                # (شخصا قتل); otherwise the count follows (قتل 19 شخصا, خطفوا 3 عمال), and
                # a dual/plural verb with none after looks back (25 جنديا قتلوا).
                back_first = trig.number == "sg" and self.subject_before(k)
                first, second = (
                    (self.before, self.after) if back_first else (self.after, self.before)
                )
                found = first(k, end, trig) or second(k, end, trig)
            elif trig.role == "victim":
                found = self.victim(k, end, trig)
            elif trig.role == "fate_noun":
                found = self.fate(k, end, trig)
            elif trig.role == "vague":
                found = _Found(trig.kind, k, end, vague=True)
            if found is None:
                continue
            consumed.update(range(found.tok_start, found.tok_end))
            consumed.update(found.extra)
            out.append(self.finish(found))
        return out

    def subject_before(self, k: int) -> bool:
        """True if a count or person noun ends right before token ``k`` (شخصا قتل) and
        ``k`` does not open a new clause with و/ف (قتل 19 شخصا وأصيب 43)."""
        if k == 0 or self.breaks(k) or self.toks[k].norm.startswith(("و", "ف")):
            return False
        return k in self.q_end or self.person(k - 1) is not None

    def after(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """Trigger then count: مقتل نحو 43 إرهابيا, قتل سبعة عناصر, اعتقال 4."""
        j = end
        mixed = False
        second = self.trig.get(j)
        if (
            second is not None
            and second[1].kind != trig.kind
            and second[1].role in ("noun", "verb", "both")
            and self.toks[j].norm.startswith("و")
            and not self.breaks(j)
            and (trig.role == "noun" or trig.number == "sg")
        ):  # قتل وجرح المئات: one total for both
            mixed, j = True, second[0]
        # A verbal noun, and a dual/plural verb (which follows its subject), take the count
        # right after them; a singular verb may have its subject in between.
        window = _VERB_WINDOW if trig.role != "noun" and trig.number == "sg" else _NOUN_WINDOW
        for m in range(j, min(self.n, j + window)):
            if m in self.trig or (m > j and (self.breaks(m) or self.has(m, "clause"))):
                break
            q = self.q_start.get(m)
            if q is None:
                p = self.person(m)
                if p is not None and p.number != "pl":
                    break  # قتل شخص / جرح آخر: the victim is this noun
                continue
            nxt = q.tok_end
            if self.not_victim(nxt) or (self.has_from(nxt) and self.not_victim(nxt + 1)):
                return None  # قتل خلال 3 أيام, ثلاثة من آلياته
            if m != j and self.person(nxt) is None and not self.has_from(nxt):
                continue
            if self.is_victim_noun(nxt):
                return None  # مقتل 5 قتلى: the victim noun carries it
            found = self.from_quantity(k, q, trig.kind)
            found.mixed = mixed
            return found
        if j >= self.n or (trig.role != "verb" and self.definite(k) and not mixed):
            return None  # القتل, الاختطاف: the generic act, not a report
        p = self.person(j)
        if p is None:
            return None
        found = _Found(trig.kind, k, j + 1, victim=j, mixed=mixed)
        self.count_person(found, p, j)
        self.extend(found, found.tok_end)
        return found

    def not_victim(self, k: int) -> bool:
        """A measure noun (أيام, آلية, آلياته), not people."""
        if k >= self.n:
            return False
        if self.has(k, "not_victim"):
            return True
        norm = self.toks[k].norm
        for suffix in ("هما", "هم", "ها", "ه"):
            if norm.endswith(suffix) and len(norm) - len(suffix) >= 3:
                return norm[: -len(suffix)] in self.lex.roles["not_victim"]
        return False

    def has_from(self, k: int) -> bool:
        return k < self.n and self.toks[k].norm == "من"

    def count_person(self, found: _Found, p: _Person, j: int) -> None:
        """Count a bare person noun: 1 (sg), 2 (dual) or a vague plural (None)."""
        after = self.q_start.get(j + 1)
        if after is None and self.person(j + 1) is not None:
            after = self.q_start.get(j + 2)  # عسكريين آخرين اثنين
        if after is not None and after.value <= 2 and not after.vague:
            found.count, found.tok_end = after.value, after.tok_end  # شرطيين اثنين
        elif p.number == "sg":
            found.count, found.named = 1, p.cls == "title"
        elif p.number == "du":
            found.count = 2
        else:
            found.vague = True  # مقتل مدنيين: an unknown number

    def from_quantity(self, k: int, q: Quantity, kind: str) -> _Found:
        found = _Found(kind, min(k, q.tok_start), max(k + 1, q.tok_end))
        self.take_quantity(found, q)
        v = q.tok_end
        if self.has_from(v) and v + 1 < self.n:
            if self.person(v + 1) is not None:
                found.victim = v + 1  # سبعة من عناصر ...
                if self.has_from(v + 2):
                    found.group = self.group(v + 3)
                elif not self.definite(v + 1) and v + 2 < self.n and not self.breaks(v + 2):
                    found.group = self.group(v + 2)  # عناصر القوات الحكومية (construct)
            else:
                found.group = self.group(v + 1)  # 2927 من تنظيم داعش
        elif v < self.n and not self.breaks(v) and v not in self.trig and self.word(v):
            found.victim = v
            if self.has_from(v + 1):
                found.group = self.group(v + 2)
        ends = [found.tok_end]
        if found.victim is not None:
            ends.append(found.victim + 1)
        if found.group is not None:
            ends.append(found.group[1])
        found.tok_end = max(ends)
        self.post_hedge(found)
        self.extend(found, found.tok_end)
        return found

    def post_hedge(self, found: _Found) -> None:
        """A hedge after the victims: 37 شخصا على الأقل, 28 من مسلحي التنظيم على الأقل."""
        if found.tok_end >= self.n or self.breaks(found.tok_end):
            return
        post = hedge_after(self.toks, found.tok_end)
        if post is not None:
            found.tok_end = post[0]
            found.approx |= post[1] == "approx"
            found.lower_bound |= post[1] == "lower_bound"

    def word(self, k: int) -> bool:
        """A plain word (not a number, preposition or casualty word) that can name victims."""
        tok = self.toks[k]
        prep = tok.norm.startswith(("بال", "لل", "كال", "وبال", "ولل"))  # بالإضافة
        return (
            k not in self.q_start
            and not prep
            and not tok.norm[0].isdigit()
            and not self.has(k, "claimant_stop")
            and not self.has(k, "not_victim")
        )

    def group(self, k: int) -> tuple[int, int] | None:
        """Token span of the group after من (up to 4 words, to the next break)."""
        if k >= self.n:
            return None
        end = k
        while (
            end < self.n
            and end - k < 4
            and (end == k or not self.breaks(end))
            and end not in self.trig
            and end not in self.q_start
            and not self.has(end, "claimant_stop")
            and not (end > k and self.toks[end].norm.startswith(("و", "ب", "ل", "ك")))
        ):
            end += 1
        return (k, end) if end > k else None

    @staticmethod
    def take_quantity(found: _Found, q: Quantity) -> None:
        if q.fraction:
            found.fraction = q.value
        else:
            found.count = q.value
        found.approx, found.lower_bound, found.upper_bound = q.approx, q.lower_bound, q.upper_bound
        found.vague = q.vague

    def extend(self, found: _Found, m: int) -> None:
        """Add conjoined counts: مقتل امرأة وثلاثة أطفال, مقتل 25 جهاديا ... وسبعة من المقاتلين."""
        steps = 0
        while m < self.n and steps < 5 and not self.breaks(m) and m not in self.trig:
            tok = self.toks[m]
            if not tok.norm.startswith("و"):
                m, steps = m + 1, steps + 1
                continue
            q = self.q_start.get(m)
            if q is not None:
                nxt = q.tok_end
                if self.is_victim_noun(nxt) or q.fraction:
                    return  # و10 جرحى: another kind, handled on its own
                if self.person(nxt) is None and not self.has_from(nxt):
                    return
                self.add(found, q.value if not q.vague else None, q)
                m = nxt + 2 if self.has_from(nxt) else nxt + 1
                found.tok_end = max(found.tok_end, min(m, self.n))
                steps = 0
                continue
            p = self.person(m)
            if p is None or p.number == "pl":
                return
            self.add(found, 1 if p.number == "sg" else 2, None)
            m += 1
            found.tok_end = max(found.tok_end, m)

    @staticmethod
    def add(found: _Found, value: float | None, q: Quantity | None) -> None:
        if value is None or found.count is None:
            found.vague = True
            if found.count is not None and q is not None:
                found.count += q.value
            return
        found.count += value
        if q is not None:
            found.approx |= q.approx
            found.lower_bound |= q.lower_bound

    def before(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """Count, then a verb agreeing with it: 25 جنديا قتلوا, جنديين ليبيين قتلا, شخصا قتل."""
        if self.toks[k].norm.startswith(("و", "ف")):
            return None  # وأصيب ...: a new clause, its subject cannot come before it
        limit = _BACK_WINDOW if trig.number in ("pl", "du") else 1
        seen: tuple[int, _Person] | None = None
        for dist in range(1, limit + 1):
            j = k - dist
            if (
                j < 0
                or j in self.consumed
                or self.breaks(j + 1)
                or (j in self.trig and self.trig[j][1].role != "victim")
            ):
                break
            q = self.q_end.get(j + 1)
            if q is not None and self.has(q.tok_start - 1, "subset"):
                continue  # 297 شخصا بينهم 37 أجنبيا اعتقلوا: 37 is part of the 297
            if q is not None:
                if self.not_victim(q.tok_end):
                    return None
                found = _Found(trig.kind, q.tok_start, end)
                self.take_quantity(found, q)
                if q.tok_end < k:
                    found.victim = q.tok_end if not self.has_from(q.tok_end) else q.tok_end + 1
                return found
            p = self.person(j)
            if p is not None and seen is None:
                seen = (j, p)
        if seen is None:
            return None
        j, p = seen
        if p.number == "sg" and (trig.number != "sg" or j != k - 1):
            return None
        found = _Found(trig.kind, j, end, victim=j)
        if p.number == "sg":
            found.count, found.named = 1, p.cls == "title"
        elif p.number == "du":
            found.count = 2
        else:
            found.vague = True
        return found

    def victim(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """A casualty noun: 5 قتلى, مئات القتلى, قتيلين, سقوط قتلى, ما بين قتيل وجريح."""
        if self.has(k - 1, "mixed"):
            return self.mixed_total(k, end, trig)
        q = self.q_end.get(k)
        if q is not None and not self.breaks(k):
            found = _Found(trig.kind, q.tok_start, end)
            self.take_quantity(found, q)
            self.post_hedge(found)
            self.absorb_pair(found, found.tok_end)
            if self.has_from(found.tok_end):
                found.group = self.group(found.tok_end + 1)
                if found.group is not None:
                    found.tok_end = found.group[1]
            return found
        if trig.number == "du":
            return _Found(trig.kind, k, end, count=2)
        if trig.number == "sg":
            return None if self.definite(k) else _Found(trig.kind, k, end, count=1)
        toll = self.toll(k, end, trig)
        if toll is not None:
            return toll
        if self.definite(k):
            return None  # القتلى: refers back to a figure given elsewhere
        for dist in (2, 3):  # العشرات سقطوا قتلى
            q = self.q_end.get(k - dist + 1)
            if q is not None and not any(self.breaks(m) for m in range(q.tok_end, k + 1)):
                found = _Found(trig.kind, q.tok_start, end)
                self.take_quantity(found, q)
                return found
        if not any(self.has(j, "occurrence") for j in range(max(0, k - 3), k)):
            return None  # كتيبة شهداء أبو سليم, أغلب ضحايا الهجمات: no report of deaths
        found = _Found(trig.kind, k, end, vague=True)
        self.absorb_pair(found, end)
        return found

    def absorb_pair(self, found: _Found, end: int) -> None:
        """عشرات القتلى والجرحى: one figure for two kinds, so the split is unknown."""
        other = self.trig.get(end)
        if (
            other is not None
            and other[1].role == "victim"
            and other[1].kind != found.kind
            and self.toks[end].norm.startswith("و")
        ):
            found.mixed = True
            found.tok_end = other[0]

    def mixed_total(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """سقوط العشرات من الحوثيين ما بين قتيل وجريح."""
        start = k - 1 if self.toks[k - 1].norm != "بين" or self.toks[k - 2].norm != "ما" else k - 2
        found = _Found(trig.kind, start, end, mixed=True, vague=True)
        for j in range(start, max(-1, start - 8), -1):
            if self.breaks(j + 1) and j + 1 != start:
                break
            q = self.q_end.get(j)
            if q is not None:
                found.tok_start = q.tok_start
                found.approx, found.lower_bound = q.approx, q.lower_bound
                break
        other = self.trig.get(end)
        if other is not None and other[1].role == "victim":
            found.tok_end = other[0]
        return found

    def toll(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """ارتفعت حصيلة قتلى المعارك ... إلى 11 شخصا."""
        if not (self.has(k - 1, "toll") or self.has(k - 2, "toll")):
            return None
        for m in range(end, min(self.n, end + _TOLL_WINDOW)):
            if self.toks[m].norm == "الي" and m + 1 in self.q_start:
                q = self.q_start[m + 1]
                if self.is_victim_noun(q.tok_end):
                    return None  # ... إلى 26 قتيلا: the victim noun carries the figure
                found = _Found(trig.kind, k, q.tok_end)
                self.take_quantity(found, q)
                if q.tok_end < self.n and self.person(q.tok_end) is not None:
                    found.victim, found.tok_end = q.tok_end, q.tok_end + 1
                return found
            if m > end and any(ch in ".;؛:\n" for ch in self.gaps[m]):
                break
        return None

    def fate(self, k: int, end: int, trig: _Trigger) -> _Found | None:
        """لقي 22 من رجال الأمن، و6 مواطنين مصرعهم; لقي شخص مصرعه."""
        verb = None
        for j in range(k - 1, max(-1, k - _FATE_WINDOW), -1):
            hit = self.trig.get(j)
            if hit is not None and hit[1].role == "fate_verb":
                verb = j
                break
        if verb is None:
            return None
        found = _Found(trig.kind, verb, end)
        total = None
        for q in self.quantities:
            if self.has(q.tok_start - 1, "subset"):
                continue  # لقي ثمانية مدنيين، بينهم ستة من عائلة واحدة: six of the eight
            if verb < q.tok_start and q.tok_end <= k:
                adjacent = q.tok_start == verb + 1
                if adjacent or self.person(q.tok_end) is not None or self.has_from(q.tok_end):
                    if total is None:
                        self.take_quantity(found, q)
                        total = found.count
                        victim = q.tok_end + 1 if self.has_from(q.tok_end) else q.tok_end
                        found.victim = victim if victim < k else None
                    else:
                        self.add(found, q.value if not q.vague else None, q)
        if total is not None or found.fraction is not None:
            return found
        for j in range(verb + 1, k):
            p = self.person(j)
            if p is not None:
                found.victim = j
                self.count_person(found, p, j)
                return found
        pronoun = self.toks[k].norm
        if pronoun.endswith("هما"):
            found.count = 2
        elif pronoun.endswith(("هم", "هن")):
            found.vague = True
        else:
            found.count, found.named = 1, k > verb + 1  # لقي الزرقاوي مصرعه
        return found

    # ---- output --------------------------------------------------------------------------
    def finish(self, found: _Found) -> Casualty:
        count = None if found.count is None else round(found.count)
        negated = self.negated(found.tok_start)
        if found.mixed:
            count = None
        if negated:
            count = 0
        start = self.toks[found.tok_start].start
        end = self.toks[found.tok_end - 1].end
        victim = None
        if found.victim is not None and found.victim < self.n:
            victim = self.surface(found.victim, found.victim + 1).strip(_QUOTES)
        group = None
        if found.group is not None:
            group = self.surface(*found.group).strip(_QUOTES)
        return Casualty(
            kind=found.kind,
            count=count,
            approx=found.approx and not negated,
            lower_bound=found.lower_bound and not negated,
            vague=(found.vague or found.mixed or (found.count is None and found.fraction is None))
            and not negated,
            victim_words=victim,
            start=start,
            end=end,
            claimant=self.claimant(found.tok_start, found.tok_end),
            upper_bound=found.upper_bound and not negated,
            fraction=found.fraction,
            mixed=found.mixed,
            named=found.named,
            negated=negated,
            victim_group=group,
            surface=self.text[start - self.base : end - self.base],
        )

    def negated(self, start: int) -> bool:
        """لم يسفر عن سقوط قتلى, دون وقوع إصابات."""
        for j in range(start - 1, max(-1, start - 1 - _NEG_WINDOW), -1):
            if self.breaks(j + 1) or j in self.trig:
                return False
            norm = self.toks[j].norm
            negators = self.lex.roles["negator"]
            if norm in negators or (norm[:1] in ("و", "ف") and norm[1:] in negators):
                return True
        return False

    def claimant(self, start: int, end: int) -> str | None:
        """Who the sentence attributes the figure to: the subject of the nearest attribution
        verb before it (أعلن تنظيم داعش ...), else the source after حسب/بحسب/وفقا ل."""
        for j in range(start - 1, -1, -1):
            if not self.has(j, "attribution_verb"):
                continue
            k = j + 1
            if self.toks[j].norm.endswith(("نقل", "نقلت")):
                for m in range(j + 1, start):
                    if self.toks[m].norm == "عن":
                        k = m + 1
                        break
            name = self.phrase(k, start)
            if name:
                return name
            break
        for j in range(max(0, start - _PREP_REACH), min(self.n, end + _PREP_REACH)):
            if start <= j < end or not self.has(j, "attribution_prep"):
                continue
            k = j + 1
            while k < self.n and self.toks[k].norm in ("عن", "الي", "ما"):
                k += 2 if self.toks[k].norm == "ما" else 1
            name = self.phrase(k, self.n, strip_clitic=True)
            if name:
                return name
        return None

    def phrase(self, k: int, limit: int, strip_clitic: bool = False) -> str | None:
        """The claimant words from ``k``: up to a few words, to a stop word or break."""
        end = k
        while (
            end < min(limit, self.n)
            and end - k < _CLAIMANT_WORDS
            and (end == k or not self.breaks(end))
            and end not in self.trig
            and end not in self.q_start
            and not self.has(end, "claimant_stop")
            and not self.has(end, "attribution_verb")
            and not (end > k and any(ch in "»”" for ch in self.gaps[end]))
        ):
            end += 1
        if end == k:
            return None
        name = self.surface(k, end).translate(_NO_QUOTES).strip()
        if strip_clitic and self.toks[k].norm.startswith("ل") and len(self.toks[k].norm) > 3:
            name = name[1:].lstrip("\u0640")  # وفقا لأفريكوم -> أفريكوم
        return name or None


def find_casualties(tokens: Sequence[Token], sentence_text: str) -> list[Casualty]:
    """Casualty figures in one sentence; ``tokens`` are ``tokenize(sentence_text, offset)``."""
    if not tokens:
        return []
    screen = _lex().triggers.screen
    if screen.isdisjoint([t.norm for t in tokens]):
        return []
    return _Finder(tokens, sentence_text).run()


def attribution_words() -> frozenset[str]:
    """Normalised words that introduce a report or statement (قال، أعلن، كشف، تصريحات، بيان):
    a date next to them is the date of the statement (``casualty_context.csv``)."""
    roles = _lex().roles
    return roles.get("attribution_verb", frozenset()) | roles.get("statement_noun", frozenset())


def conservative_fatalities(casualties: Iterable[Casualty]) -> int | None:
    """ACLED's fatality figure for one event from all its reported ``casualties``.

    The reports are alternatives, so the lowest credible figure wins (ACLED codes the most
    conservative estimate): "more than N" and "nearly N" count as N; vague amounts (عشرات =
    12) count only when no report gives a number; deaths reported without any figure (a
    share of a group, a killed-and-wounded total, خسائر فادحة في الأرواح) fall back on the
    "several" default of ``casualty_rules.csv``. None when no death is reported at all.
    """
    killed = [c for c in casualties if c.kind == "killed"]
    if not killed:
        return None
    default = _lex().unknown_fatalities
    exact = [c.count for c in killed if c.count is not None and not c.vague and not c.upper_bound]
    if exact:
        return min(exact)
    vague = [c.count for c in killed if c.count is not None and c.vague]
    if vague:
        return min(vague)
    capped = [max(c.count - 1, 0) for c in killed if c.count is not None and c.upper_bound]
    capped.append(default)
    return min(capped)

"""Date expressions in Arabic news, resolved against the publication date (ACLED conventions).

``find_dates`` reads one sentence and returns every date mention: absolute dates in all
regional month-name families ("15 حزيران/يونيو", "24/أبريل/2016", "11/22/2019"), ranges
("يومي 19 و20 نوفمبر"), months ("نهاية مارس الماضي"), weekdays ("الأربعاء الماضي") and
relative expressions ("أمس", "الأسبوع الماضي", "منذ يومين"). ``precision`` is ACLED's
time_precision: 1 the day is known, 2 only the week or a span of days, 3 only the month.
``date`` is the date an ACLED coder would enter (the first day of a range, the 15th of a
month, the first/last day for the beginning/end of a month, the Wednesday of a week) and
``end_date`` the last day of the span, None for a single day. A year alone ("عام 2011") is
returned with ``kind="year"`` and ``precision=None``: it must never be used as an event date.
``publication_date`` finds an article's own dateline in its header lines.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from processors.coder.numbers import (
    PhraseTable,
    digit_value,
    quantity_at,
    read_data_table,
    with_proclitics,
)
from processors.coder.text import Token, normalize, split_sentences, tokenize

# Numeric dates: 15/6/2016, 15-06-2016, 15.6.2016, 2016-06-15, 11/22/2019 (\d covers
# Arabic-Indic digits, which int() reads). A trailing هـ marks a Hijri date (not handled).
# Each starts with its first digit and looks behind it (``\d(?<![...]\d)``: that digit not
# preceded by one of those characters), not with the lookbehind: a pattern that opens on a
# digit lets the regex engine skip to the digits of a sentence instead of trying every place.
_NUMERIC = re.compile(
    r"(\d(?<![\d/.:\-]\d)\d{0,3})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})"
    r"(?![\d/:\-]|\.\d|\s?ه)"
)
_YEAR = re.compile(r"^(?:ال|ل|و|ب)?(\d{4})م?$")
_HIJRI_YEAR = re.compile(r"^(1[34]\d\d)ه?$")
_GLUED = re.compile(r"^(\D{3,}?)(\d{4})$")
_HIJRI = re.compile(r"(\d(?<![\d/.:\-]\d)\d?)\s?/\s?(\d{1,2})\s?/\s?(1[34]\d\d)\s?ه")
_HIJRI_EPOCH = 1948439  # Julian day number of the day before 1 Muharram 1 AH (civil epoch)
_ORDINAL_JDN = 1721425  # date.toordinal() + this = Julian day number
_HAS_DIGIT = re.compile(r"\d")
_SOFT = frozenset(" \t\u00a0")
_DAY_SEP = _SOFT | frozenset("/-.")
_YEAR_SEP = _SOFT | frozenset("/-.،,()")
_PAIR_SEP = _SOFT | frozenset("/()-")
_LIST_SEP = _SOFT | frozenset("،,-–")
_KINDS_WITH_DAY = ("absolute", "range")


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression: character offsets in the article, the ACLED-coded date, the last
    day of the span (None for a single day), ACLED time precision (None for a bare year) and
    kind: absolute | range | month | weekday | relative | year. Numeric Hijri dates are
    converted with the tabular Islamic calendar, which can be a day or two off the official
    Umm al-Qura date: precision 2, or 1 when a weekday pins the day."""

    start: int
    end: int
    surface: str
    date: date | None
    end_date: date | None
    precision: int | None
    kind: str
    calendar: str = "gregorian"  # "hijri" for a converted Hijri date (18/10/1436هـ)


@dataclass(frozen=True, slots=True)
class _Rel:
    unit: str
    offset: int
    precision: int


@dataclass(frozen=True, slots=True)
class _Lex:
    months: PhraseTable
    weekdays: dict[str, int]
    relative: PhraseTable
    ordinals: PhraseTable
    units: dict[str, tuple[str, int | None]]
    roles: dict[str, frozenset[str]]
    clitic_roles: dict[str, frozenset[str]]  # the same words with any proclitic
    parts: dict[str, str]  # part-of-month word (with any proclitic) -> start|mid|end
    triggers: frozenset[str]
    single_months: dict[str, int]
    hijri_months: PhraseTable


@cache
def _lex() -> _Lex:
    months = PhraseTable(
        (r["name"], (int(r["month"]), r["ambiguous"] == "1")) for r in read_data_table("months.csv")
    )
    weekdays = {normalize(r["name"]): int(r["weekday"]) for r in read_data_table("weekdays.csv")}
    relative = PhraseTable(
        (r["phrase"], _Rel(r["unit"], int(r["offset"]), int(r["precision"])))
        for r in read_data_table("date_relative.csv")
    )
    ordinals = PhraseTable(
        (r["word"], int(r["value"])) for r in read_data_table("number_ordinals.csv")
    )
    units = {
        normalize(r["word"]): (r["unit"], int(r["count"]) if r["count"] else None)
        for r in read_data_table("date_units.csv")
    }
    roles: dict[str, set[str]] = {}
    for r in read_data_table("date_context_words.csv"):
        roles.setdefault(r["role"], set()).add(normalize(r["word"]))
    frozen = {k: frozenset(v) for k, v in roles.items()}
    triggers = with_proclitics(
        months.first_words
        | frozenset(weekdays)
        | relative.first_words
        | ordinals.first_words
        | frozen["ago"]
        | frozen["year_cue"]
        | frozen["part_start"]
        | frozen["part_mid"]
        | frozen["part_end"]
        | frozen["day_word"]
        | frozen["month_word"]
        | frozen["time_of_day"]
    )
    single = {
        normalize(r["name"]): int(r["month"])
        for r in read_data_table("months.csv")
        if " " not in r["name"] and r["ambiguous"] != "1"
    }
    hijri = PhraseTable(
        (r["name"], int(r["month"])) for r in read_data_table("date_hijri_months.csv")
    )
    clitic_roles = {k: with_proclitics(v) for k, v in frozen.items()}
    parts = {
        word: role[5:]
        for role in ("part_start", "part_mid", "part_end")
        for word in clitic_roles[role]
    }
    return _Lex(
        months,
        weekdays,
        relative,
        ordinals,
        units,
        frozen,
        clitic_roles,
        parts,
        triggers,
        single,
        hijri,
    )


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Scanner:
    """One pass over a sentence's tokens (kept in a class to share the sentence state)."""

    def __init__(self, text: str, tokens: Sequence[Token], offset: int, published: date | None):
        self.text = text
        self.toks = tokens
        self.n = len(tokens)
        self.offset = offset
        self.pub = published
        self.lex = _lex()

    # ---- small helpers -------------------------------------------------------------------
    def gap(self, k: int) -> str:
        """The text between token ``k - 1`` and token ``k`` (before the first / after the last)."""
        start = self.toks[k - 1].end - self.offset if k > 0 else 0
        end = self.toks[k].start - self.offset if k < self.n else len(self.text)
        return self.text[start:end]

    def role(self, k: int, role: str, stems: bool = False) -> bool:
        if k >= self.n:
            return False
        norm = self.toks[k].norm
        return norm in (self.lex.clitic_roles if stems else self.lex.roles)[role]

    def gap_in(self, k: int, allowed: frozenset[str]) -> bool:
        gap = self.gap(k)
        return len(gap) <= 4 and all(ch in allowed for ch in gap)

    def weekday(self, k: int) -> int | None:
        if k >= self.n:
            return None
        tok = self.toks[k]
        wd = self.lex.weekdays.get(tok.norm)
        if wd is None:
            for stem in tok.stems:
                wd = self.lex.weekdays.get(stem)
                if wd is not None:
                    break
        if wd is None:
            return None
        if wd == 0 and k > 0 and self.toks[k - 1].norm in ("كلا", "بين"):
            return None  # كلا الاثنين = both
        if self.role(k - 1, "weekday_block_before", stems=True) if k > 0 else False:
            return None  # صلاة الجمعة = the Friday prayer
        if self.role(k + 1, "today_block_after") or self.ordinal_at(k + 1):
            return None  # الجمعة الثانية من شهر رمضان
        return wd

    def ordinal_at(self, k: int) -> bool:
        return self.lex.ordinals.match(self.toks, k, stems=False) is not None

    def before_weekday(self, k: int, today: bool) -> bool:
        """True if token ``k`` (اليوم, يوم, فجر, ليل ...) introduces the weekday after it."""
        if self.weekday(k + 1) is None:
            return False
        return (
            (today and self.toks[k].norm == "اليوم")
            or self.role(k, "day_word")
            or self.role(k, "time_of_day")
        )

    def day(self, k: int) -> tuple[int, int] | None:
        """(day, end index) of a day number at ``k`` (digits or an ordinal followed by من)."""
        if k >= self.n:
            return None
        value = digit_value(self.toks[k])
        if value is not None:
            if value.is_integer() and 1 <= value <= 31 and not self.gap(k).endswith(":"):
                if k + 1 < self.n and self.gap(k + 1).startswith(":"):
                    return None  # clock time
                return int(value), k + 1
            return None
        found = self.lex.ordinals.match(self.toks, k, stems=False)
        if found is not None and found[0] < self.n and self.toks[found[0]].norm == "من":
            return int(found[1]), found[0]  # type: ignore[call-overload]
        return None

    def month(self, k: int) -> tuple[int, int, bool, bool, int | None] | None:
        """(month, end, ambiguous, paired, glued year) of a month name at ``k``, with a paired
        second name (حزيران/يونيو, أكتوبر/تشرين الأول, يوليو (تموز)) absorbed. A year written
        against the name (أيار/مايو2011) is returned as the glued year."""
        if k >= self.n:
            return None
        found = self.lex.months.match(self.toks, k)
        glued = None
        if found is None:
            glued_month = self.glued(self.toks[k])
            if glued_month is None:
                return None
            return glued_month[0], k + 1, False, False, glued_month[1]
        end, payload = found
        month, ambiguous = payload  # type: ignore[misc]
        paired = False
        if end < self.n and self.gap_in(end, _PAIR_SEP):
            second = self.lex.months.match(self.toks, end, stems=False)
            if second is not None and second[1][0] == month:  # type: ignore[index]
                end, paired = second[0], True
            else:
                glued_month = self.glued(self.toks[end])
                if glued_month is not None and glued_month[0] == month:
                    end, paired, glued = end + 1, True, glued_month[1]
        return month, end, ambiguous, paired, glued

    def glued(self, tok: Token) -> tuple[int, int] | None:
        """(month, year) of a month name with the year glued on (مايو2011)."""
        m = _GLUED.match(tok.norm)
        if m is None:
            return None
        name, year = m.group(1), int(m.group(2))
        month = self.lex.single_months.get(name)
        if month is None and name.startswith("و"):
            month = self.lex.single_months.get(name[1:])
        if month is None or not 1900 <= year <= 2100:
            return None
        return month, year

    def year(self, k: int) -> tuple[int, int] | None:
        """(year, end) of an explicit year at ``k`` (optionally after عام/لعام), or of a
        relative one (من العام الماضي) resolved against publication."""
        j = k
        if j < self.n and self.toks[j].norm == "من" and self.role(j + 1, "year_word"):
            j += 1
        if self.role(j, "year_word") and self.pub is not None:
            shift = {"past": -1, "current": 0, "future": 1}.get(self.marker(j + 1) or "")
            if shift is not None and self.toks[j].norm in ("العام", "السنه"):
                return self.pub.year + shift, j + 2
        if j < self.n and self.role(j, "year_word") and j + 1 < self.n:
            j += 1
        if j >= self.n or not self.gap_in(j, _YEAR_SEP):
            return None
        m = _YEAR.match(self.toks[j].norm)
        if m is None:
            return None
        value = int(m.group(1))
        if not 1900 <= value <= 2100:
            return None
        end = j + 1
        if end < self.n and self.toks[end].norm == "م" and self.gap_in(end, _SOFT):
            end += 1
        return value, end

    def mention(
        self,
        i: int,
        end: int,
        when: date | None,
        until: date | None,
        precision: int | None,
        kind: str,
    ) -> DateMention:
        start_tok, end_tok = self.toks[i], self.toks[end - 1]
        s, e = start_tok.start, end_tok.end
        return DateMention(
            s, e, self.text[s - self.offset : e - self.offset], when, until, precision, kind
        )

    # ---- patterns ------------------------------------------------------------------------
    def absolute(self, i: int) -> tuple[int, DateMention] | None:
        """[اليوم] [يوم] [weekday [الموافق]] day [و day2] [من] [شهر] month [year]."""
        k = i
        if self.before_weekday(k, today=True):
            k += 1
        wd = self.weekday(k)
        if wd is not None:
            k += 1
            if self.role(k, "linker"):
                k += 1
            if k < self.n and not self.gap_in(k, _LIST_SEP):
                return None
        if k < self.n and self.toks[k].norm in ("بين", "من") and self.day(k + 1) is not None:
            k += 1
        if self.role(k, "day_word") and self.day(k + 1) is not None:
            k += 1
        first = self.day(k)
        if first is None:
            return None
        d1, k = first
        d2 = None
        if k < self.n:
            tok = self.toks[k]
            if tok.norm.startswith("و") and digit_value(tok) is not None:
                second = self.day(k)
            elif self.role(k, "range") and k + 1 < self.n:
                second = self.day(k + 1)
            elif self.gap(k).strip() == "-":
                second = self.day(k)
            else:
                second = None
            if second is not None and second[0] > d1:
                d2, k = second
        if k < self.n and self.toks[k].norm == "من":
            k += 1
        if self.role(k, "month_word", stems=True) and self.month(k + 1) is not None:
            k += 1
        if k >= self.n or not self.gap_in(k, _DAY_SEP):
            return None
        named = self.month(k)
        rel_month: tuple[int, int] | None = None
        if named is None and d2 is None:
            hijri = self.hijri(i, k, d1, wd)
            if hijri is not None:
                return hijri
        if named is not None:
            month, k = named[0], named[1]
            year_found = (named[4], k) if named[4] else self.year(k)
        else:
            rel = self.lex.relative.match(self.toks, k, stems=False)
            if rel is None or rel[1].unit != "month" or self.pub is None:  # type: ignore[union-attr]
                return None
            rel_month = _shift_month(self.pub, rel[1].offset)  # type: ignore[union-attr]
            month, k = rel_month[1], rel[0]
            year_found = None
        marker = None
        if year_found is not None:
            year, k = year_found
        elif rel_month is not None:
            year = rel_month[0]
        else:
            year, marker = 0, self.marker(k)
            if marker is not None:
                k += 1
        when = self.resolve_day(year, month, d1, wd, marker)
        if when is None and (year or self.pub is not None):
            return None  # impossible date (31 February)
        if d2 is None:
            return k, self.mention(i, k, when, None, 1, "absolute")
        until = None if when is None else _safe_date(when.year, when.month, d2)
        if when is not None and until is None:
            return None
        span = (until - when).days if when and until else 0
        return k, self.mention(i, k, when, until, 2 if span <= 6 else 3, "range")

    def hijri(self, i: int, k: int, day: int, wd: int | None) -> tuple[int, DateMention] | None:
        """day + Hijri month name + Hijri year (28 رمضان 1436هـ), converted to Gregorian."""
        found = self.lex.hijri_months.match(self.toks, k, stems=False)
        if found is None or found[0] >= self.n:
            return None
        end = found[0]
        m = _HIJRI_YEAR.match(self.toks[end].norm)
        if m is None:
            return None
        end += 1
        if end < self.n and self.toks[end].norm == "ه" and self.gap_in(end, _SOFT):
            end += 1
        when = hijri_to_gregorian(int(m.group(1)), int(found[1]), day)  # type: ignore[call-overload]
        if when is None:
            return None
        precision = 2
        if wd is not None:
            when, precision = _snap(when, wd), 1
        return end, replace(
            self.mention(i, end, when, None, precision, "absolute"), calendar="hijri"
        )

    def marker(self, k: int) -> str | None:
        for role in ("past", "current", "future"):
            if self.role(k, role):
                return role
        return None

    def resolve_day(
        self, year: int, month: int, day: int, wd: int | None, marker: str | None
    ) -> date | None:
        """Date of day/month, taking the year from publication when the text omits it."""
        if year:
            return _safe_date(year, month, day)
        if self.pub is None:
            return None
        pub = self.pub
        if wd is not None:  # the weekday picks the year: الأربعاء، 15 حزيران
            for y in (pub.year, pub.year - 1, pub.year + 1):
                d = _safe_date(y, month, day)
                if d is not None and d.weekday() == wd:
                    return d
        d = _safe_date(pub.year, month, day)
        if d is None:
            return _safe_date(pub.year - 1, month, day)
        if marker == "future":
            return d if d >= pub else _safe_date(pub.year + 1, month, day)
        return d if d <= pub else _safe_date(pub.year - 1, month, day)

    def month_only(self, i: int) -> tuple[int, DateMention] | None:
        """[part] [شهر] month [year | الماضي/الجاري/المقبل]: precision 3."""
        k = i
        part = self.part(k)
        if part is not None:
            k += 1
        has_word = self.role(k, "month_word", stems=True)
        if has_word:
            k += 1
        named = self.month(k)
        if named is None:
            return None
        month, k, ambiguous, paired, glued = named
        year_found = (glued, k) if glued else self.year(k)
        marker = None
        if year_found is not None:
            year, k = year_found
        else:
            year = 0
            marker = self.marker(k)
            if marker is not None:
                k += 1
        if ambiguous and not (has_word or part or paired or year or marker):
            return None
        if not year:
            if self.pub is None:
                return k, self.mention(i, k, None, None, 3, "month")
            year = self.month_year(month, marker)
        when, until = _month_window(year, month, part)
        return k, self.mention(i, k, when, until, 3, "month")

    def month_year(self, month: int, marker: str | None) -> int:
        pub = self.pub
        assert pub is not None
        if marker == "past":
            return pub.year if month < pub.month else pub.year - 1
        if marker == "current":
            return pub.year
        if marker == "future":
            return pub.year if month > pub.month else pub.year + 1
        return pub.year if month <= pub.month else pub.year - 1

    def part(self, k: int) -> str | None:
        return self.lex.parts.get(self.toks[k].norm) if k < self.n else None

    def relative(self, i: int) -> tuple[int, DateMention] | None:
        """أمس, اليوم, الليلة الماضية, الأسبوع الماضي, [نهاية] الشهر الماضي ..."""
        k = i
        part = self.part(k)
        if part is not None:
            k += 1
        found = self.lex.relative.match(self.toks, k)
        if found is None:
            return None
        end, payload = found
        rel: _Rel = payload  # type: ignore[assignment]
        if part is not None and rel.unit == "day":
            return None
        if end - k == 1 and "اليوم" in (self.toks[k].norm, *self.toks[k].stems):
            if self.role(end, "today_block_after") or self.ordinal_at(end):
                return None  # اليوم الأول من الاجتماع = the first day
            if k > 0 and self.role(k - 1, "today_block_before"):
                return None  # حتى اليوم = until today
        if rel.unit == "day" and self.weekday(end) is not None:
            end += 1  # أمس السبت, اليوم الأحد
        if self.pub is None:
            return end, self.mention(i, end, None, None, rel.precision, "relative")
        pub = self.pub
        if rel.unit == "day":
            when = pub + timedelta(days=rel.offset)
            return end, self.mention(i, end, when, None, rel.precision, "relative")
        if rel.unit == "week":
            monday = pub - timedelta(days=pub.weekday()) + timedelta(weeks=rel.offset)
            first, last = {None: (2, 6), "start": (0, 2), "mid": (1, 3), "end": (4, 6)}[part]
            return end, self.mention(
                i, end, monday + timedelta(days=first), monday + timedelta(days=last), 2, "relative"
            )
        year, month = _shift_month(pub, rel.offset)
        when, until = _month_window(year, month, part)
        return end, self.mention(i, end, when, until, 3, "relative")

    def weekday_mention(self, i: int) -> tuple[int, DateMention] | None:
        """[يوم|فجر|ليل] weekday [الماضي|المقبل]: the most recent such day (precision 1)."""
        k = i
        if self.before_weekday(k, today=False):
            k += 1
        wd = self.weekday(k)
        if wd is None:
            return None
        k += 1
        marker = self.marker(k)
        if marker in ("past", "future"):
            k += 1
        if self.pub is None:
            return k, self.mention(i, k, None, None, 1, "weekday")
        pub = self.pub
        if marker == "past":
            delta = (pub.weekday() - wd) % 7 or 7
        elif marker == "future":
            delta = -((wd - pub.weekday()) % 7 or 7)
        else:
            delta = (pub.weekday() - wd) % 7
        return k, self.mention(i, k, pub - timedelta(days=delta), None, 1, "weekday")

    def ago(self, i: int) -> tuple[int, DateMention] | None:
        """منذ/قبل + N + days/weeks/months (منذ يومين, قبل ثلاثة أيام, منذ أيام)."""
        if not self.role(i, "ago", stems=True) or i + 1 >= self.n:
            return None
        k = i + 1
        unit = self.lex.units.get(self.toks[k].norm)
        count: float | None
        if unit is not None:
            count, k = unit[1], k + 1
            unit_name = unit[0]
        else:
            q = quantity_at(self.toks, k)
            if q is None or q.vague or q.lower_bound or q.upper_bound or q.fraction:
                return None
            if q.tok_end >= self.n:
                return None
            unit = self.lex.units.get(self.toks[q.tok_end].norm)
            if unit is None or not q.value.is_integer():
                return None
            unit_name, count, k = unit[0], q.value, q.tok_end + 1
        if k < self.n and (
            self.toks[k].norm == "من" or self.weekday(k) is not None or self.day(k) is not None
        ):
            return None  # قبل أسبوع من الانتخابات; منذ يوم السبت: not "N units ago"
        if self.pub is None:
            return k, self.mention(i, k, None, None, None, "relative")
        pub = self.pub
        if count is None:  # منذ أيام: a few days ago
            if unit_name != "day":
                return None
            return k, self.mention(
                i, k, pub - timedelta(days=3), pub - timedelta(days=1), 2, "relative"
            )
        n = int(count)
        if unit_name == "day":
            return k, self.mention(i, k, pub - timedelta(days=n), None, 1, "relative")
        if unit_name == "week":
            return k, self.mention(i, k, pub - timedelta(weeks=n), None, 2, "relative")
        year, month = _shift_month(pub, -n)
        day = min(pub.day, calendar.monthrange(year, month)[1])
        return k, self.mention(i, k, date(year, month, day), None, 3, "relative")

    def bare_year(self, i: int) -> tuple[int, DateMention] | None:
        """عام 2011, منذ 2011, خريف 2011: a year only (never an event date)."""
        if not self.role(i, "year_cue", stems=True) or i + 1 >= self.n:
            return None
        if not self.gap_in(i + 1, _SOFT):
            return None
        m = _YEAR.match(self.toks[i + 1].norm)
        if m is None or not 1900 <= int(m.group(1)) <= 2100:
            return None
        y = int(m.group(1))
        return i + 2, self.mention(i, i + 2, date(y, 1, 1), date(y, 12, 31), None, "year")

    def scan(self, numeric_tokens: set[int]) -> list[DateMention]:
        """Mentions starting at the tokens that can open a date expression."""
        out: list[DateMention] = []
        triggers = self.lex.triggers
        starts = [
            i
            for i, t in enumerate(self.toks)
            if (t.norm in triggers or t.norm[-1].isdigit()) and i not in numeric_tokens
        ]
        done = 0  # tokens before this index are already part of a mention
        for i in starts:
            if i < done:
                continue
            found = (
                self.absolute(i)
                or self.relative(i)
                or self.month_only(i)
                or self.weekday_mention(i)
                or self.ago(i)
                or self.bare_year(i)
            )
            if found is None:
                continue
            end, m = found
            if any(j in numeric_tokens for j in range(i, end)):
                continue
            out.append(m)
            done = end
        return out


def _month_window(year: int, month: int, part: str | None) -> tuple[date, date]:
    """(ACLED-coded date, last day) of a month or of its beginning/middle/end."""
    last = _month_end(year, month)
    if part == "start":
        return date(year, month, 1), date(year, month, 10)
    if part == "mid":
        return date(year, month, 15), date(year, month, 20)
    if part == "end":
        return last, last
    return date(year, month, 15), last


def _numeric_dates(text: str, offset: int, published: date | None) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _NUMERIC.finditer(text):
        a, sep, b, c = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        if len(m.group(1)) == 4:  # 2016-06-15
            if len(c) == 4:
                continue
            year, month, day = a, b, int(c)
        else:
            if len(m.group(1)) == 3:
                continue
            if len(c) == 2:
                if sep != "/":
                    continue
                yy = int(c)
                limit = (published.year if published else 2100) % 100
                year = 2000 + yy if yy <= limit else 1900 + yy
            else:
                year = int(c)
            if a > 12 >= b:
                day, month = a, b
            elif b > 12 >= a:
                month, day = a, b  # 11/22/2019: month/day
            else:
                day, month = a, b  # Arab convention: day/month
        if not 1900 <= year <= 2100:
            continue  # Hijri years (18/10/1436هـ) and other numbers
        when = _safe_date(year, month, day)
        if when is None:
            continue
        s, e = m.start(), m.end()
        out.append(DateMention(offset + s, offset + e, text[s:e], when, None, 1, "absolute"))
    return out


def hijri_to_gregorian(year: int, month: int, day: int) -> date | None:
    """Gregorian date of a Hijri date by the tabular (arithmetic) Islamic calendar."""
    if not (1 <= month <= 12 and 1 <= day <= 30):
        return None
    jdn = (
        day
        + -(-59 * (month - 1) // 2)  # ceil(29.5 * (month - 1))
        + (year - 1) * 354
        + (3 + 11 * year) // 30
        + _HIJRI_EPOCH
    )
    return date.fromordinal(jdn - _ORDINAL_JDN)


def _hijri_dates(text: str, offset: int) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _HIJRI.finditer(text):
        when = hijri_to_gregorian(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if when is None:
            continue
        s, e = m.start(), m.end()
        if e < len(text) and text[e] == "\u0640":  # the tatweel of هـ
            e += 1
        out.append(
            DateMention(offset + s, offset + e, text[s:e], when, None, 2, "absolute", "hijri")
        )
    return out


def _snap(when: date, weekday: int) -> date:
    """The day nearest ``when`` (within 3 days) that falls on ``weekday``: pins a tabular
    Hijri conversion to the weekday the text gives."""
    return when + timedelta(days=(weekday - when.weekday() + 3) % 7 - 3)


def _weekday_in(surface: str) -> int | None:
    weekdays = _lex().weekdays
    for tok in tokenize(surface):
        for form in (tok.norm, *tok.stems):
            if form in weekdays:
                return weekdays[form]
    return None


def _merge(mentions: list[DateMention], text: str, offset: int) -> list[DateMention]:
    """Join a weekday to the numeric date that follows it, and two dates joined by a range
    word ("من 3 مارس إلى 5 أبريل") into one range."""
    mentions.sort(key=lambda m: m.start)
    out: list[DateMention] = []
    for m in mentions:
        if out:
            prev = out[-1]
            gap = normalize(text[prev.end - offset : m.start - offset]).strip(" ،,-")
            if (
                prev.kind in ("weekday", "relative")
                and prev.precision == 1
                and m.kind == "absolute"
                and gap in ("", "الموافق")
            ):
                when, precision = m.date, m.precision
                wd = _weekday_in(prev.surface) if m.calendar == "hijri" else None
                if wd is not None and when is not None:
                    when, precision = _snap(when, wd), 1
                out[-1] = _span(prev, m, text, offset, when, m.end_date, precision, m.kind)
                out[-1] = replace(out[-1], calendar=m.calendar)
                continue
            if (
                prev.calendar == "hijri"
                and m.kind == "absolute"
                and m.calendar == "gregorian"
                and gap == "الموافق"
            ):  # 25 شوال 1436هـ الموافق 10 أغسطس 2015: keep the Gregorian date
                out[-1] = _span(prev, m, text, offset, m.date, m.end_date, m.precision, m.kind)
                continue
            if (
                prev.kind == "absolute"
                and m.kind == "absolute"
                and prev.date is not None
                and m.date is not None
                and prev.date < m.date
                and _is_range_gap(
                    gap or ("و" if m.surface.startswith("و") else ""),
                    text[: prev.start - offset],
                )
            ):
                span = (m.date - prev.date).days
                out[-1] = _span(
                    prev, m, text, offset, prev.date, m.date, 2 if span <= 6 else 3, "range"
                )
                continue
        out.append(m)
    return out


def _is_range_gap(gap: str, before: str) -> bool:
    """Whether two dates separated by ``gap`` form a range: "من 3 مارس إلى 5 أبريل", or
    "بين 3 مارس و5 أبريل" (a bare و only after بين)."""
    if gap in ("الي", "حتي", "لغايه", "والي", "وحتي"):
        return True
    words = normalize(before).split()
    return gap == "و" and bool(words) and words[-1] in ("بين", "مابين")


def _span(
    a: DateMention,
    b: DateMention,
    text: str,
    offset: int,
    when: date | None,
    until: date | None,
    precision: int | None,
    kind: str,
) -> DateMention:
    return DateMention(
        a.start, b.end, text[a.start - offset : b.end - offset], when, until, precision, kind
    )


def find_dates(
    text: str,
    published: date | None,
    offset: int = 0,
    tokens: Sequence[Token] | None = None,
) -> list[DateMention]:
    """Date mentions in one sentence ``text`` that starts at ``offset`` in the article.

    ``tokens`` may pass the sentence's tokens (``tokenize(text, offset)``) to avoid
    re-tokenising. Without ``published`` only fully explicit dates get a ``date``.
    """
    toks = list(tokens) if tokens is not None else tokenize(text, offset)
    numeric: list[DateMention] = []
    if _HAS_DIGIT.search(text):
        numeric = _numeric_dates(text, offset, published)
        numeric += _hijri_dates(text, offset)
    if not toks:
        return numeric
    triggers = _lex().triggers
    if (
        not numeric
        and triggers.isdisjoint([t.norm for t in toks])
        and not _HAS_DIGIT.search(text)
    ):
        return []
    covered: set[int] = set()
    for m in numeric:
        covered.update(k for k, t in enumerate(toks) if t.start >= m.start and t.end <= m.end)
    found = _Scanner(text, toks, offset, published).scan(covered)
    return _merge(numeric + found, text, offset)


_HEADER_LINES = 12
_HEADER_CHARS = 2000
_MAX_LINE = 120
_MAX_OTHER_WORDS = 4


def publication_date(text: str) -> date | None:
    """The article's own dateline: a fully explicit date that makes up a short header line
    ("الأحد 24/أبريل/2016 - 02:53 م", "• 11/22/2019"), else a "today is" phrase anywhere
    ("اليوم الأحد 24 أبريل 2016"). None when the text has neither."""
    pos = 0
    seen = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        stripped = line.strip()
        if not stripped:
            continue
        seen += 1
        if seen > _HEADER_LINES or start > _HEADER_CHARS:
            break
        if len(stripped) > _MAX_LINE:
            continue
        for m in find_dates(line, None):
            if m.kind != "absolute" or m.date is None:
                continue
            rest = line[: m.start] + " " + line[m.end :]
            words = [t for t in tokenize(rest) if not t.norm.isdigit() and t.norm not in ("م", "ص")]
            if len(words) <= _MAX_OTHER_WORDS:
                return m.date
    if "اليوم" not in text:
        return None
    for sentence in split_sentences(text):
        if "اليوم" not in sentence.text:
            continue
        for m in find_dates(sentence.text, None, sentence.start):
            if m.kind == "absolute" and m.date is not None and m.surface.startswith("اليوم"):
                return m.date
    return None


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def infer_anchor(text: str) -> date | None:
    """A stand-in publication date for an undated article, or None.

    Only a weekday written with a day and month ("الأربعاء، 15 حزيران") pins a year: among
    the years the article mentions (and one either side), the one on which that day falls
    on that weekday, nearest the latest year mentioned. The article is then taken as
    written on that day, so "last week" or "Monday" resolve around it. Without such a
    mention nothing is guessed.
    """
    years = {int(y) for y in _YEAR_IN_TEXT.findall(text)}
    if not years:
        return None
    candidates = sorted({y + d for y in years for d in (-1, 0, 1)},
                        key=lambda y: (abs(y - max(years)), -y))
    found: list[date] = []
    for sentence in split_sentences(text):
        for mention in find_dates(sentence.text, None, sentence.start):
            if mention.date is not None or mention.kind != "absolute":
                continue
            weekday = _weekday_in(mention.surface)
            if weekday is None:
                continue
            for year in candidates:
                (resolved,) = find_dates(mention.surface, date(year, 12, 31))[:1] or (None,)
                if resolved and resolved.date and resolved.date.year == year \
                        and resolved.date.weekday() == weekday:
                    found.append(resolved.date)
                    break
    return max(found) if found else None


def interval_before(tokens: Sequence[Token], index: int) -> tuple[int, int] | None:
    """The offset of an event told as "بعد/قبل + N units + من + event" (بعد أسبوعين من سيطرة
    القوات عليها): the event at token ``index`` is N units before (بعد) or after (قبل) the date
    of the clause it depends on. Returns (signed days to add to that date, ACLED precision: an
    exact number of days 1, weeks or a vague number of days 2, months 3), or None."""
    lex = _lex()
    k = index - 1
    if k < 2 or tokens[k].norm != "من":
        return None
    k -= 1
    unit = lex.units.get(tokens[k].norm)
    if unit is None:
        return None
    unit_name, count = unit
    start = k
    if count is None:  # أيام / أسابيع / أشهر: a number may precede, else a few
        q = None
        for j in range(max(0, k - 3), k):
            found = quantity_at(tokens, j)
            if found is not None and found.tok_end == k:
                q = found
                break
        if q is not None and not q.vague and q.value.is_integer():
            count, start = int(q.value), q.tok_start
    if start == 0:
        return None
    word = tokens[start - 1].norm
    if word in lex.clitic_roles.get("interval_after", ()):
        sign = -1
    elif word in lex.clitic_roles.get("interval_before", ()):
        sign = 1
    else:
        return None
    days_per = {"day": 1, "week": 7, "month": 30}[unit_name]
    exact = count is not None
    n = count if count is not None else (3 if unit_name == "day" else 2)
    precision = {"day": 1 if exact else 2, "week": 2}.get(unit_name, 3)
    return sign * n * days_per, precision

"""Dates on Arabic news pages: find every absolute date, tell the publication date from a site's banner.

Pages mix several calendars and spellings of the same month: Egyptian/Gulf transliterations (يناير …
ديسمبر), Levantine/Syriac names (كانون الثاني … كانون الأول), both together ("مارس/آذار"), Maghrebi
forms (جانفي، يوليوز، غشت …), Hijri months ("15 رمضان 1442 هـ"), numeric dates and Arabic-Indic digits.
All matching runs on the *matching form* (see ``raqib.text.normalize``) so hamza/taa-marbuta/yaa spelling
variants and diacritics do not matter; offsets are mapped back to the raw page. The month names, weekdays
and the words around a date are data (``data/date_vocabulary.yaml``, ``raqib.stages.vocab.date_vocabulary``);
the shape of a date expression is here.

Choosing the publication date is a judgement from layout cues: a "today" banner sits at the top edge
next to weather/logo lines and is usually later than the other dates; a date inside a sentence is part
of the story ('body'); a date on its own line near the headline or after a 'Time'/'نشر في' label is the
publication date.

Hijri dates are converted with Umm al-Qura, the calendar Saudi and most Gulf sites print, via ``hijridate``
(exact for 1343–1500 AH: 1 Shawwal 1444 → 2023-04-21, the observed Eid); outside that range with the
*tabular* (arithmetic, civil-epoch) Islamic calendar, within 1–2 days of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from raqib.contracts.articles import DateCandidate
from raqib.stages.vocab import date_vocabulary
from raqib.text.normalize import matching_form, matching_form_with_map, strip_diacritics

Precision = Literal["day", "week", "month", "year", "none"]
DateSource = Literal["producer", "page", "none"]
Calendar = Literal["gregorian", "hijri"]

# --- vocabulary (data/date_vocabulary.yaml, folded on load) ---------------------------------------------

_D = date_vocabulary()

#: Egyptian/Gulf transliterated Gregorian months (with common spelling variants) and Maghrebi forms, by their
#: matching form.
GREGORIAN_MONTHS: dict[str, int] = _D.v("gregorian_months")
#: Levantine/Iraqi (Syriac) month names, as used in Syria, Lebanon, Iraq, Jordan, Palestine ('كانون الثاني').
LEVANTINE_MONTHS: dict[str, int] = _D.v("levantine_months")
#: Hijri (Islamic lunar) months.
HIJRI_MONTHS: dict[str, int] = _D.v("hijri_months")
#: Weekday names → Python weekday number (Monday 0).
WEEKDAYS: dict[str, int] = _D.v("weekdays")

_GREG_FOLDED: dict[str, int] = GREGORIAN_MONTHS | LEVANTINE_MONTHS
_HIJRI_FOLDED: dict[str, int] = HIJRI_MONTHS


def month_number(name: str) -> tuple[int, Calendar] | None:
    """Month number and calendar of a month name in any spelling ("آذار", "اذار", "مارس", "رمضان")."""
    return _resolve_month(" ".join(matching_form(name).split()))


def alternation(names: Iterable[str], sep: str = r"\s+") -> str:
    """Regex alternation of folded names (vocabulary entries), longest first so the longest one wins at a
    position; ``sep`` stands between the words of a name (any whitespace by default)."""
    parts = sorted(set(names), key=lambda n: (-len(n), n))
    return "|".join(sep.join(re.escape(w) for w in name.split()) for name in parts)


_MONTH = alternation(list(_GREG_FOLDED) + list(_HIJRI_FOLDED))
_B = r"(?<![\w])"  # word start (Arabic letters are \w)
_E = r"(?![\w])"
_WEEKDAY = r"(?:(?:يوم\s+)?(?:" + alternation(WEEKDAYS) + r")\s*[،,]?\s+)?"
_FILLER = r"(?:\s+(?:" + alternation(_D.w("past_words") | _D.w("current_words") | _D.w("future_words")) + r"))?"
_YEAR_WORDS = alternation(_D.w("year_words"))
_YEAR_WORD = r"(?:(?:من\s+)?(?:" + _YEAR_WORDS + r")\s+)?"
_HIJRI_ERA: frozenset[str] = _D.w("hijri_era_words")


def _era(name: str) -> str:
    """Optional era suffix after a year: هـ / هجري (Hijri) or م / ميلادي (Gregorian)."""
    eras = alternation(_HIJRI_ERA | _D.w("gregorian_era_words"))
    return r"(?:\s*(?P<" + name + r">" + eras + r")" + _E + r")?"


_SECOND_MONTH = r"(?:\s*[/\\\-]\s*(?P<m2>" + _MONTH + r")|\s*\(\s*(?P<m3>" + _MONTH + r")\s*\))?"

_DATE_RE = re.compile(
    # 1) [weekday] day month[/month] [filler] [من عام] year [era]
    _B
    + _WEEKDAY
    + r"(?P<d1>\d{1,2})(?!\d)\s*(?:من\s+)?(?:شهر\s+)?(?P<m1>"
    + _MONTH
    + r")"
    + _E
    + _SECOND_MONTH
    + _FILLER
    + r"\s*[،,]?\s*"
    + _YEAR_WORD
    + r"(?P<y1>\d{4})(?!\d)"
    + _era("era1")
    # 2) month day, year  ("نوفمبر 28, 2020")
    + r"|"
    + _B
    + _WEEKDAY
    + r"(?P<m4>"
    + _MONTH
    + r")"
    + r"\s+(?P<d2>\d{1,2})(?!\d)\s*[،,]?\s*(?P<y2>\d{4})(?!\d)"
    # 3) numeric year-month-day
    + r"|(?<![\d/.\-])(?P<y3>\d{4})(?P<s1>[/.\-])(?P<mo3>\d{1,2})(?P=s1)(?P<d3>\d{1,2})(?![\d/])"
    # 4) numeric day-month-year
    + r"|(?<![\d/.\-])(?P<d4>\d{1,2})(?P<s2>[/.\-])(?P<mo4>\d{1,2})(?P=s2)(?P<y4>\d{4})(?![\d/.\-]\d)"
    # 5) month[/month] year  ("حزيران 2021", "رمضان 1442 هـ")
    + r"|"
    + _B
    + r"(?:شهر\s+)?(?P<m5>"
    + _MONTH
    + r")"
    + _E
    + r"(?:\s*[/\\\-]\s*(?P<m6>"
    + _MONTH
    + r"))?"
    + _FILLER
    + r"\s*[،,]?\s*"
    + _YEAR_WORD
    + r"(?P<y5>\d{4})(?!\d)"
    + _era("era5")
)

_YEAR_ONLY_RE = re.compile(_B + r"(?:" + _YEAR_WORDS + r")\s+(?P<y>\d{4})(?!\d)")

# --- calendar arithmetic ------------------------------------------------------------------------------

#: 1 Muharram 1 AH in the civil (Friday) epoch: 16 July 622 Julian = 19 July 622 proleptic Gregorian.
_HIJRI_EPOCH = date(622, 7, 19)


def hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """Hijri → Gregorian: Umm al-Qura (``hijridate``) for 1343–1500 AH, the tabular calendar otherwise."""
    if not (1 <= month <= 12 and 1 <= day <= 30 and year >= 1):
        raise ValueError(f"invalid Hijri date {year}-{month}-{day}")
    if 1343 <= year <= 1500:
        from hijridate import Hijri

        try:
            return Hijri(year, month, day).to_gregorian()
        except ValueError as exc:  # day 30 of a 29-day Umm al-Qura month
            raise ValueError(f"invalid Hijri date {year}-{month}-{day}: {exc}") from exc
    return tabular_hijri_to_gregorian(year, month, day)


def tabular_hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """Tabular Islamic calendar → Gregorian (30-year cycle, leap years 2,5,7,10,13,16,18,21,24,26,29).

    Month lengths alternate 30/29 days (Dhu al-Hijja has 30 in leap years); within 1–2 days of Umm al-Qura.
    """
    days_before_month = (59 * (month - 1) + 1) // 2  # ceil(29.5 * (month - 1))
    days = day + days_before_month + (year - 1) * 354 + (3 + 11 * year) // 30
    return _HIJRI_EPOCH + timedelta(days=days - 1)


_GREGORIAN_YEARS = range(1900, 2101)
_HIJRI_YEARS = range(1300, 1601)


@dataclass(frozen=True)
class ParsedDate:
    """One absolute date expression found in a text (offsets into the text that was searched)."""

    value: date
    precision: Precision
    calendar: Calendar
    start: int
    end: int


def _resolve_month(name: str | None) -> tuple[int, Calendar] | None:
    if not name:
        return None
    key = " ".join(name.split())
    if key in _GREG_FOLDED:
        return _GREG_FOLDED[key], "gregorian"
    if key in _HIJRI_FOLDED:
        return _HIJRI_FOLDED[key], "hijri"
    return None


def _build(year: int, month: int, day: int | None, calendar: Calendar) -> tuple[date, Precision] | None:
    """Validated date (first of month for month precision), or None when impossible."""
    years = _GREGORIAN_YEARS if calendar == "gregorian" else _HIJRI_YEARS
    if year not in years or not 1 <= month <= 12:
        return None
    try:
        if calendar == "hijri":
            return hijri_to_gregorian(year, month, day or 1), "day" if day else "month"
        return date(year, month, day or 1), "day" if day else "month"
    except ValueError:
        return None


def _from_match(m: re.Match[str]) -> tuple[date, Precision, Calendar] | None:
    g = m.groupdict()
    if g["y1"] or g["y2"] or g["y5"]:
        month_name = g["m1"] or g["m4"] or g["m5"]
        resolved = _resolve_month(month_name)
        if resolved is None:
            return None
        month, calendar = resolved
        second = _resolve_month(g["m2"] or g["m3"] or g["m6"])
        if second is not None and (second[1] != calendar or second[0] != month):
            return None  # "مارس/آذار" must name the same month twice
        era = g["era1"] or g["era5"] or ""
        if era in _HIJRI_ERA and calendar != "hijri":
            return None
        year = int(g["y1"] or g["y2"] or g["y5"])
        day = g["d1"] or g["d2"]
        built = _build(year, month, int(day) if day else None, calendar)
        return (built[0], built[1], calendar) if built else None
    if g["y3"]:
        built = _build(int(g["y3"]), int(g["mo3"]), int(g["d3"]), "gregorian")
        return (built[0], built[1], "gregorian") if built else None
    if g["y4"]:
        first, second, year = int(g["d4"]), int(g["mo4"]), int(g["y4"])
        # Arabic pages write day/month; only a "month" above 12 reveals a US-style month/day.
        day, month = (second, first) if second > 12 >= first else (first, second)
        calendar: Calendar = "hijri" if year in _HIJRI_YEARS else "gregorian"
        built = _build(year, month, day, calendar)
        return (built[0], built[1], calendar) if built else None
    return None


def _extend_over_marks(text: str, end: int) -> int:
    """Include marks the matching form dropped right after a match (the tatweel of "هـ")."""
    while end < len(text) and strip_diacritics(text[end]) == "":
        end += 1
    return end


def find_date_expressions(text: str, *, allow_year: bool = False) -> list[ParsedDate]:
    """Every absolute date expression in ``text`` with offsets into ``text`` (not the matching form).

    With ``allow_year`` a bare "عام 2019" also counts (precision 'year'); page dating does not use it.
    """
    folded, index_map = matching_form_with_map(text)
    found: list[ParsedDate] = []
    taken: list[tuple[int, int]] = []
    for m in _DATE_RE.finditer(folded):
        parsed = _from_match(m)
        if parsed is None:
            continue
        start, end = index_map[m.start()], _extend_over_marks(text, index_map[m.end() - 1] + 1)
        found.append(ParsedDate(parsed[0], parsed[1], parsed[2], start, end))
        taken.append((m.start(), m.end()))
    if allow_year:
        for m in _YEAR_ONLY_RE.finditer(folded):
            if any(s <= m.start() < e for s, e in taken):
                continue
            year = int(m.group("y"))
            if year in _GREGORIAN_YEARS:
                start, end = index_map[m.start()], index_map[m.end() - 1] + 1
                found.append(ParsedDate(date(year, 1, 1), "year", "gregorian", start, end))
        found.sort(key=lambda p: p.start)
    return found


def parse_date_expression(text: str) -> tuple[date, Precision] | None:
    """The first absolute date in ``text`` ("29 يونيو 2021", "حزيران 2021", "عام 2019") with its precision.

    Relative expressions ("أمس", "الثلاثاء الماضي") are not absolute and give None.
    """
    found = find_date_expressions(text, allow_year=True)
    if not found:
        return None
    return found[0].value, found[0].precision


def find_date_candidates(raw_text: str) -> list[DateCandidate]:
    """All day- or month-precision dates on the page, in page order, with raw offsets (role 'unknown')."""
    return [
        DateCandidate(value=p.value, text=raw_text[p.start : p.end], raw_start=p.start, calendar=p.calendar)
        for p in find_date_expressions(raw_text)
    ]


# --- role assignment ----------------------------------------------------------------------------------

_LINE_RE = re.compile(r"[^\n]+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
#: Words that label a date rather than make a sentence ("Time", "نشر في", "آخر تحديث", "Published").
_LABEL_WORDS: frozenset[str] = _D.w("date_label_words")
#: A weather box beside a date makes it the "today" banner (symbols here, words in the data).
_WEATHER_RE = re.compile(
    r"°|℃|℉|\bicon\b|" + "|".join(re.escape(" ".join(p)) for p in sorted(_D.p("weather_cues"))), re.IGNORECASE
)
_LABEL_LINE_RE = re.compile(
    r"^\W*(?:" + "|".join(re.escape(" ".join(p)) for p in sorted(_D.p("date_label_lines"))) + r")\W*$",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"[.!?؟]\s*$")
_WEEKDAYS_FOLDED: frozenset[str] = frozenset(WEEKDAYS)


@dataclass
class _Line:
    start: int
    end: int
    text: str  # matching form
    index: int  # among non-empty lines


def _lines(raw_text: str) -> list[_Line]:
    out: list[_Line] = []
    for m in _LINE_RE.finditer(raw_text):
        if m.group().strip():
            out.append(_Line(m.start(), m.end(), matching_form(m.group()).strip(), len(out)))
    return out


def _line_of(lines: list[_Line], offset: int) -> _Line | None:
    for line in lines:
        if line.start <= offset < line.end:
            return line
    return None


def _residue_words(line: _Line, cand: DateCandidate, raw_text: str) -> list[str]:
    """Words on the candidate's line other than the date itself, weekday names and date labels."""
    rel = cand.raw_start - line.start
    raw_line = raw_text[line.start : line.end]
    rest = matching_form(raw_line[:rel] + " " + raw_line[rel + len(cand.text) :])
    return [w for w in _WORD_RE.findall(rest) if w.lower() not in _LABEL_WORDS and w not in _WEEKDAYS_FOLDED]


def _is_heading_like(line: _Line) -> bool:
    words = _WORD_RE.findall(line.text)
    return 3 <= len(words) <= 30 and not _SENTENCE_END_RE.search(line.text)


def assign_roles(
    candidates: list[DateCandidate], raw_text: str, *, reference: datetime | None = None
) -> DateCandidate | None:
    """Set each candidate's ``role`` in place and return the publication candidate (or None).

    body: the date sits inside a sentence. banner: a standalone date at the top edge beside weather/logo
    lines, or later than the page's other standalone dates. publication: the best remaining standalone
    date, preferring one after a 'Time'/'نشر في' label or next to the headline.
    """
    if not candidates:
        return None
    lines = _lines(raw_text)
    n_lines = len(lines)
    standalone: list[tuple[DateCandidate, _Line]] = []
    for cand in candidates:
        line = _line_of(lines, cand.raw_start)
        if line is None:
            cand.role = "unknown"
            continue
        if len(_residue_words(line, cand, raw_text)) >= 4 or len(_WORD_RE.findall(line.text)) > 12:
            cand.role = "body"
        else:
            standalone.append((cand, line))
    if not standalone:
        return None

    ref_day = reference.date() if reference else None
    best: tuple[float, DateCandidate] | None = None
    for cand, line in standalone:
        others = [c.value for c, _ in standalone if c is not cand]
        neighbours = [ln for ln in lines if 0 < abs(ln.index - line.index) <= 2]
        banner = 0.0
        if line.index <= 2 or line.index >= n_lines - 2:
            banner += 1
        if any(_WEATHER_RE.search(ln.text) for ln in neighbours):
            banner += 2
        if others and all(cand.value > o for o in others):
            banner += 1
        if ref_day and cand.value > ref_day + timedelta(days=1):
            cand.role = "unknown"  # in the future: neither published nor 'today'
            continue
        if banner >= 3 or (banner >= 2 and others):
            cand.role = "banner"
            continue
        score = 0.0
        prev = [ln for ln in lines if ln.index == line.index - 1]
        if prev and _LABEL_LINE_RE.match(prev[0].text):
            score += 2
        if any(_is_heading_like(ln) for ln in lines if 0 < abs(ln.index - line.index) <= 3):
            score += 1
        score -= banner * 0.5
        score -= line.index / max(1, n_lines) * 0.5  # earlier on the page is more likely the dateline
        cand.role = "unknown"
        if best is None or score > best[0]:
            best = (score, cand)
    if best is None:
        return None
    best[1].role = "publication"
    return best[1]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def choose_publication_date(
    candidates: list[DateCandidate],
    raw_text: str,
    producer_date: datetime | None,
    *,
    reference: datetime | None = None,
) -> tuple[datetime | None, Precision, DateSource]:
    """Publication date, its precision and where it came from; sets the candidates' roles in place.

    A producer-given date wins. Otherwise the publication candidate chosen by ``assign_roles`` (UTC
    midnight), else nothing. ``reference`` (usually the ingest time) rules out future dates.
    """
    chosen = assign_roles(candidates, raw_text, reference=reference)
    if producer_date is not None:
        return _aware(producer_date), "day", "producer"
    if chosen is None:
        return None, "none", "none"
    parsed = parse_date_expression(chosen.text)
    precision: Precision = parsed[1] if parsed else "day"
    value = chosen.value
    return datetime(value.year, value.month, value.day, tzinfo=UTC), precision, "page"


__all__ = [
    "GREGORIAN_MONTHS",
    "HIJRI_MONTHS",
    "LEVANTINE_MONTHS",
    "WEEKDAYS",
    "ParsedDate",
    "alternation",
    "assign_roles",
    "choose_publication_date",
    "find_date_candidates",
    "find_date_expressions",
    "hijri_to_gregorian",
    "month_number",
    "parse_date_expression",
]

"""Date finding, Hijri conversion and publication-date choice (raqib.stages.dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from raqib.stages.dates import (
    GREGORIAN_MONTHS,
    HIJRI_MONTHS,
    LEVANTINE_MONTHS,
    choose_publication_date,
    find_date_candidates,
    hijri_to_gregorian,
    month_number,
    parse_date_expression,
    tabular_hijri_to_gregorian,
)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("نوفمبر 28, 2020", date(2020, 11, 28), "day"),
        ("الثلاثاء 29 يونيو 2021", date(2021, 6, 29), "day"),
        ("29/06/2021", date(2021, 6, 29), "day"),
        ("29-06-2021", date(2021, 6, 29), "day"),
        ("2021-06-29", date(2021, 6, 29), "day"),
        ("2021/06/29", date(2021, 6, 29), "day"),
        ("12/31/2020", date(2020, 12, 31), "day"),  # US order only when the day cannot be a month
        ("٢٩ حزيران ٢٠٢١", date(2021, 6, 29), "day"),
        ("۲۹/۰۶/۲۰۲۱", date(2021, 6, 29), "day"),
        ("5 كانون الثاني 2020", date(2020, 1, 5), "day"),
        ("5 كانون الأول 2020", date(2020, 12, 5), "day"),
        ("3 تشرين الأول 2019", date(2019, 10, 3), "day"),
        ("3 تشرين الثاني 2019", date(2019, 11, 3), "day"),
        ("14 شباط 2018", date(2018, 2, 14), "day"),
        ("1 آب 2017", date(2017, 8, 1), "day"),
        ("1 اب 2017", date(2017, 8, 1), "day"),
        ("9 أيلول 2016", date(2016, 9, 9), "day"),
        ("20 أيار 2015", date(2015, 5, 20), "day"),
        ("20 ايار 2015", date(2015, 5, 20), "day"),
        ("7 تموز 2014", date(2014, 7, 7), "day"),
        ("8 نيسان 2013", date(2013, 4, 8), "day"),
        ("من 24 مارس/آذار الفائت من عام 2019", date(2019, 3, 24), "day"),
        ("في 7 شباط/فبراير 2018", date(2018, 2, 7), "day"),
        ("يوم الإثنين، 3 أيار 2021م", date(2021, 5, 3), "day"),
        ("2 إبريل 2022", date(2022, 4, 2), "day"),
        ("2 أبريل 2022", date(2022, 4, 2), "day"),
        ("15 أغسطس 2021", date(2021, 8, 15), "day"),
        ("حزيران/يونيو 2021", date(2021, 6, 1), "month"),
        ("في كانون الثاني 2020", date(2020, 1, 1), "month"),
        ("خلال شهر ديسمبر 2019", date(2019, 12, 1), "month"),
        ("منذ عام 2011", date(2011, 1, 1), "year"),
        ("15 رمضان 1442 هـ", date(2021, 4, 27), "day"),
        ("1 رمضان 1442", date(2021, 4, 13), "day"),
        ("١٠ ذو الحجة ١٤٤١ هـ", date(2020, 7, 31), "day"),
        ("رمضان 1442 هـ", date(2021, 4, 13), "month"),
    ],
)
def test_parse_date_expression(text: str, expected: date, precision: str) -> None:
    assert parse_date_expression(text) == (expected, precision)


@pytest.mark.parametrize(
    "text",
    [
        "أمس الثلاثاء",
        "الثامن من فبراير / شباط الجاري",  # no year: not absolute
        "قتل 28 شخصاً في 2020 حادثة",  # numbers that are not a date
        "31 فبراير 2021",  # impossible day
        "15 رمضان 2021",  # Hijri month with a Gregorian year
        "5 مارس/نيسان 2020",  # two different months
        "",
    ],
)
def test_parse_date_expression_rejects_non_dates(text: str) -> None:
    assert parse_date_expression(text) is None


def test_month_tables_cover_all_months() -> None:
    assert set(GREGORIAN_MONTHS.values()) == set(range(1, 13))
    assert set(LEVANTINE_MONTHS.values()) == set(range(1, 13))
    assert set(HIJRI_MONTHS.values()) == set(range(1, 13))
    assert month_number("آذار") == (3, "gregorian")
    assert month_number("اذار") == (3, "gregorian")
    assert month_number("تشرين الأول") == (10, "gregorian")
    assert month_number("جمادى الآخرة") == (6, "hijri")
    assert month_number("كلمة") is None


@pytest.mark.parametrize(
    ("hijri", "gregorian"),
    [
        ((1, 1, 1), date(622, 7, 19)),  # civil epoch (16 July 622 Julian)
        ((1442, 9, 1), date(2021, 4, 13)),  # Ramadan 1442 began 13 April 2021
        ((1445, 1, 1), date(2023, 7, 19)),  # Islamic new year 1445
        ((1441, 12, 10), date(2020, 7, 31)),  # Eid al-Adha 2020
        ((1400, 1, 1), date(1979, 11, 20)),  # Umm al-Qura (tabular: 21 November)
        ((1444, 10, 1), date(2023, 4, 21)),  # Eid al-Fitr 1444 as observed (tabular: 22 April)
        ((1300, 1, 1), date(1882, 11, 12)),  # before 1343 AH: the tabular calendar
    ],
)
def test_hijri_to_gregorian_anchor_dates(hijri: tuple[int, int, int], gregorian: date) -> None:
    assert hijri_to_gregorian(*hijri) == gregorian


def test_hijri_calendar_has_tabular_month_and_year_lengths() -> None:
    """Tabular fallback: odd months 30 days, even 29, Dhu al-Hijja 29/30; 11 leap years in a 30-year cycle."""
    leap_years = 0
    for year in range(1421, 1451):
        for month in range(1, 12):
            length = tabular_hijri_to_gregorian(year, month + 1, 1) - tabular_hijri_to_gregorian(year, month, 1)
            assert length == timedelta(30 if month % 2 == 1 else 29)
        days = (tabular_hijri_to_gregorian(year + 1, 1, 1) - tabular_hijri_to_gregorian(year, 1, 1)).days
        assert days in (354, 355)
        leap_years += days == 355
    assert leap_years == 11


def test_hijri_rejects_impossible_dates() -> None:
    with pytest.raises(ValueError):
        hijri_to_gregorian(1442, 13, 1)
    with pytest.raises(ValueError):
        hijri_to_gregorian(1442, 1, 31)


def test_candidates_carry_raw_offsets_and_calendar() -> None:
    raw = "عنوان الخبر\nنُشر في ١٥ رمضان ١٤٤٢ هـ الموافق 27/04/2021\nنص الخبر الطويل هنا."
    cands = find_date_candidates(raw)
    assert [c.value for c in cands] == [date(2021, 4, 27), date(2021, 4, 27)]
    assert [c.calendar for c in cands] == ["hijri", "gregorian"]
    for c in cands:
        assert raw[c.raw_start : c.raw_start + len(c.text)] == c.text
    assert cands[0].text == "١٥ رمضان ١٤٤٢ هـ"


def _page(*lines: str) -> str:
    return "\n".join(lines)


BODY = (
    "قالت مصادر محلية إن اشتباكات عنيفة اندلعت بين الفصائل وقوات النظام في ريف إدلب الجنوبي، "
    "وأسفرت عن مقتل خمسة عناصر وإصابة آخرين بجروح متفاوتة."
)


def test_banner_date_is_not_the_publication_date() -> None:
    raw = _page(
        "السبت 10 فبراير 2024",
        "22°C طقس دمشق",
        "الرئيسية",
        "اشتباكات عنيفة في ريف إدلب الجنوبي",
        "تاريخ النشر",
        "الخميس 3 مارس 2022",
        BODY,
    )
    cands = find_date_candidates(raw)
    published, precision, source = choose_publication_date(cands, raw, None)
    assert published == datetime(2022, 3, 3, tzinfo=UTC)
    assert (precision, source) == ("day", "page")
    assert [c.role for c in cands] == ["banner", "publication"]


def test_date_inside_a_sentence_is_body_not_publication() -> None:
    raw = _page(
        "اشتباكات عنيفة في ريف إدلب الجنوبي",
        "وقالت المصادر إن الهدنة الموقعة في 5 آذار 2020 انهارت بعد أسابيع من توقيعها في موسكو.",
        BODY,
    )
    cands = find_date_candidates(raw)
    assert choose_publication_date(cands, raw, None) == (None, "none", "none")
    assert [c.role for c in cands] == ["body"]


def test_single_standalone_date_under_headline_is_publication() -> None:
    raw = _page("اشتباكات عنيفة في ريف إدلب الجنوبي", "أيار 2021", BODY)
    published, precision, source = choose_publication_date(find_date_candidates(raw), raw, None)
    assert (published, precision, source) == (datetime(2021, 5, 1, tzinfo=UTC), "month", "page")


def test_producer_date_wins() -> None:
    raw = _page("اشتباكات عنيفة في ريف إدلب الجنوبي", "الخميس 3 مارس 2022", BODY)
    producer = datetime(2022, 3, 4, 8, 30)
    published, precision, source = choose_publication_date(find_date_candidates(raw), raw, producer)
    assert published == producer.replace(tzinfo=UTC)
    assert (precision, source) == ("day", "producer")


def test_future_date_is_not_publication() -> None:
    raw = _page("اشتباكات عنيفة في ريف إدلب الجنوبي", "الخميس 3 مارس 2022", BODY)
    cands = find_date_candidates(raw)
    result = choose_publication_date(cands, raw, None, reference=datetime(2021, 1, 1, tzinfo=UTC))
    assert result == (None, "none", "none")


def test_seed_publication_dates(seeds_dir: Path) -> None:
    expected = {
        "000": None,
        "001": date(2020, 11, 28),
        "002": None,
        "003": date(2021, 6, 29),
        "004": None,
    }
    for path in sorted(seeds_dir.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        cands = find_date_candidates(raw)
        published, precision, source = choose_publication_date(cands, raw, None)
        print(path.name, published, precision, source, [(c.text, c.value.isoformat(), c.role) for c in cands])
        want = expected[path.name[:3]]
        assert (published.date() if published else None) == want
        assert source == ("page" if want else "none")
    raw003 = next(seeds_dir.glob("003_*.txt")).read_text(encoding="utf-8")
    cands003 = find_date_candidates(raw003)
    choose_publication_date(cands003, raw003, None)
    assert {c.value: c.role for c in cands003} == {
        date(2025, 12, 23): "banner",
        date(2021, 6, 29): "publication",
    }
    raw001 = next(seeds_dir.glob("001_*.txt")).read_text(encoding="utf-8")
    cands001 = find_date_candidates(raw001)
    choose_publication_date(cands001, raw001, None)
    assert {c.value: c.role for c in cands001} == {
        date(2020, 11, 28): "publication",
        date(2019, 3, 24): "body",
    }

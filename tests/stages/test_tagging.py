"""EventTagger on Arabic sentences written for these tests, linked with the real catalogue (no Stanza)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from raqib.contracts.articles import Entity, EntityTaggedArticle, LanguageInfo, RawArticle
from raqib.contracts.events import ACLED_SUBTYPES, Event
from raqib.settings import Settings
from raqib.stages.clean import clean_article
from raqib.stages.linking import Catalogue
from raqib.stages.tagging import EventTagger, classify_sentence
from raqib.text.tokenize import sentence_spans

PUB = datetime(2021, 6, 29, 9, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(Settings().resolved_gazetteer_path)


@pytest.fixture(scope="module")
def tagger(catalogue: Catalogue) -> EventTagger:
    return EventTagger(catalogue, model=None)  # the rules alone; the mention model is tested apart


def _tag(
    tagger: EventTagger, catalogue: Catalogue, text: str, published: datetime | None = PUB,
    ner_places: tuple[str, ...] = (),
) -> list[Event]:
    """The tagger on ``text`` with the catalogue's mentions; ``ner_places`` are names Stanza would tag LOC
    that the catalogue does not know (villages the gazetteer lacks)."""
    clean = clean_article(RawArticle(id="t-" + str(abs(hash(text))), text=text, published_at=published))
    found = [Entity(text=name, label="LOC", start=(at := clean.text.index(name)), end=at + len(name), source="ner")
             for name in ner_places]  # fmt: skip
    article = EntityTaggedArticle(
        article=clean,
        language=LanguageInfo(lang="ar", script="Arab", confidence=1.0, method="test"),
        sentences=sentence_spans(clean.text),
        entities=sorted(catalogue.find_mentions(clean.text) + found, key=lambda e: e.start),
        ner_model="none",
    )
    return tagger.tag(catalogue.link(article))


def _one(events: list[Event]) -> Event:
    assert len(events) == 1, [(e.event_type, e.sub_event_type, e.evidence.sentence) for e in events]
    return events[0]


@pytest.mark.parametrize(
    ("text", "etype", "sub"),
    [
        (
            "شنت طائرات التحالف الدولي غارات جوية على مواقع تنظيم داعش في ريف الرقة أمس.",
            "Explosions/Remote violence",
            "Air/drone strike",
        ),
        (
            "قصفت قوات النظام بالمدفعية الثقيلة بلدة خان شيخون أمس.",
            "Explosions/Remote violence",
            "Shelling/artillery/missile attack",
        ),
        (
            "انفجرت عبوة ناسفة بدورية لقوات النظام قرب مدينة درعا أمس.",
            "Explosions/Remote violence",
            "Remote explosive/landmine/IED",
        ),
        (
            "فجر انتحاري نفسه بحزام ناسف عند حاجز للفصائل في مدينة الباب أمس.",
            "Explosions/Remote violence",
            "Suicide bomb",
        ),
        ("ألقى مجهولون قنبلة يدوية على منزل في مدينة القامشلي أمس.", "Explosions/Remote violence", "Grenade"),
        (
            "قصفت قوات النظام بلدة اللطامنة بغاز الكلور أمس ما أدى إلى حالات اختناق.",
            "Explosions/Remote violence",
            "Chemical weapon",
        ),
        (
            "اندلعت اشتباكات عنيفة بين قوات سوريا الديمقراطية وقوات النظام في ريف دير الزور أمس.",
            "Battles",
            "Armed clash",
        ),
        (
            "سيطرت هيئة تحرير الشام على بلدة كفرنبل أمس بعد معارك.",
            "Battles",
            "Non-state actor overtakes territory",
        ),
        (
            "اختطف مسلحون مجهولون ثلاثة مدنيين من منازلهم في مدينة درعا أمس.",
            "Violence against civilians",
            "Abduction/forced disappearance",
        ),
        ("اغتال مسلحون مجهولون مختار قرية في ريف درعا الغربي أمس.", "Violence against civilians", "Attack"),
        (
            "تظاهر المئات في مدينة إدلب أمس ورددوا هتافات تطالب بالإفراج عن المعتقلين.",
            "Protests",
            "Peaceful protest",
        ),
        (
            "فرقت قوات الأمن مظاهرة في مدينة السويداء أمس بالغاز المسيل للدموع.",
            "Protests",
            "Protest with intervention",
        ),
        (
            "أطلقت قوات الأمن الرصاص الحي على المتظاهرين في مدينة درعا أمس فقتلت ثلاثة منهم.",
            "Protests",
            "Excessive force against protesters",
        ),
        (
            "رشق متظاهرون غاضبون قوات الأمن بالحجارة وأحرقوا الإطارات في مدينة السويداء أمس.",
            "Riots",
            "Violent demonstration",
        ),
        (
            "توصلت الفصائل وقوات النظام إلى اتفاق لوقف إطلاق النار في مدينة درعا أمس.",
            "Strategic developments",
            "Agreement",
        ),
        ("اعتقلت قوات النظام عشرين شاباً في حملة دهم بمدينة التل أمس.", "Strategic developments", "Arrests"),
        (
            "أحبطت قوات سوريا الديمقراطية هجوماً بسيارة مفخخة وفككت عبوة ناسفة قرب مدينة الحسكة أمس.",
            "Strategic developments",
            "Disrupted weapons use",
        ),
    ],
)
def test_sub_event_types(tagger: EventTagger, catalogue: Catalogue, text: str, etype: str, sub: str) -> None:
    events = _tag(tagger, catalogue, text)
    assert events, text
    ev = events[0]
    assert (ev.event_type, ev.sub_event_type) == (etype, sub)
    assert ev.sub_event_type in ACLED_SUBTYPES[ev.event_type]
    assert ev.event_date == date(2021, 6, 28) and ev.date_basis == "text" and ev.time_precision == "day"


def test_direction_active_voice(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(_tag(tagger, catalogue, "قصف التحالف الدولي مواقع النظام في قرية حطلة شرق دير الزور أمس."))
    assert ev.actor1 is not None and ev.actor1.actor_id == "us-led-coalition" and ev.actor1.role == "attacker"
    assert (
        ev.actor2 is not None
        and ev.actor2.actor_id in ("sy-gov", "sy-gov-forces")
        and ev.actor2.role == "target"
    )
    assert ev.plover_type == "ASSAULT"
    assert (
        ev.location is not None and ev.location.place_id == "sy-site-hatla" and ev.location.geo_precision == 1
    )


def test_direction_by_the_hand_of(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(
        _tag(
            tagger,
            catalogue,
            "تلقت ميليشيات إيران ضربات موجعة بغارات جوية على يد قوات التحالف الدولي في البوكمال أمس.",
        )
    )
    assert ev.sub_event_type == "Air/drone strike"
    assert ev.actor1 is not None and ev.actor1.actor_id == "us-led-coalition" and ev.actor1.role == "attacker"
    assert ev.actor2 is not None and ev.actor2.actor_id == "ir-backed-militias"


def test_counts_per_side_and_total(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = (
        "تواصلت الاشتباكات في ريف دير الزور الغربي أمس، حيث قتل 14 عنصراً من قوات النظام "
        "بالإضافة لمقتل 5 عناصر من تنظيم داعش."
    )
    ev = _one(_tag(tagger, catalogue, text))
    assert ev.fatalities is not None and ev.fatalities.exact == 19
    sides = {s.actor_id: s.count.exact for s in ev.fatalities_by_side}
    assert sides == {"sy-gov-forces": 14, "isis": 5}


def test_killed_and_wounded_counts(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(
        _tag(tagger, catalogue, "قتل ثمانية مدنيين وأصيب أكثر من عشرين آخرين بقصف مدفعي على مدينة أريحا أمس.")
    )
    assert ev.fatalities is not None and ev.fatalities.exact == 8
    assert ev.injured is not None and ev.injured.min == 20 and ev.injured.exact is None  # 'more than 20' is 20


def test_approximate_and_more_than(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(
        _tag(tagger, catalogue, "أسفرت غارة جوية على مدينة الميادين أمس عن مقتل نحو 30 عنصراً من الميليشيات.")
    )
    assert ev.fatalities is not None and ev.fatalities.exact == 30 and ev.fatalities.approximate


@pytest.mark.parametrize(
    "text",
    [
        "نفت وزارة الدفاع الروسية أن تكون طائراتها قد قصفت مستشفى في إدلب.",
        "تعتزم قوات النظام السيطرة على الطريق الدولي خلال الأسابيع المقبلة.",
        "لم تشن الطائرات أي غارة على المدينة منذ أسبوع.",
        "ستشهد المنطقة معارك عنيفة إذا فشلت المفاوضات.",
        "قاد المهاجم هجوم فريقه في الشوط الثاني وسجل هدفين في المباراة.",
        "اشتعلت حرب الأسعار بين شركات الاتصالات هذا الشهر.",
        "حذر الخبراء من انفجار سكاني في المدن الكبرى.",
        "وبذلك بلغت حصيلة القتلى منذ 24 مارس 2019 وحتى يومنا هذا 689 قتيلاً من قوات النظام.",
        "وأسفرت الاشتباكات حتى الآن عن مقتل 60 مقاتلاً من الطرفين في ريف حلب.",  # a running total
    ],
)
def test_suppressed(tagger: EventTagger, catalogue: Catalogue, text: str) -> None:
    assert _tag(tagger, catalogue, text) == []


@pytest.mark.parametrize(
    "text",
    [
        # 'so far' about the claim of responsibility, or about casualties not yet known, is a current incident
        "قتل عنصران من الشرطة بانفجار عبوة ناسفة في مدينة الرقة أمس، ولم تتبن أي جهة التفجير حتى الآن.",
        "تعرضت مدينة دوما لقصف مدفعي من قوات النظام أمس دون أنباء عن إصابات حتى اللحظة.",
    ],
)
def test_so_far_is_not_always_a_tally(tagger: EventTagger, catalogue: Catalogue, text: str) -> None:
    events = _tag(tagger, catalogue, text)
    assert [e.event_type for e in events] == ["Explosions/Remote violence"]


def test_several_events_in_one_article(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = (
        "قصفت ميليشيات موالية لإيران القاعدة الأميركية في حقل العمر النفطي أمس، في حين ردت قوات التحالف بعدد من القذائف.\n\n"
        "من جهة أخرى، أفادت مصادر بانسحاب عضوين من الهيئة العليا للمفاوضات.\n\n"
        "في غضون ذلك، علقت وزارة الدفاع الروسية التعاون مع أمريكا في سورية."
    )
    events = _tag(tagger, catalogue, text)
    kinds = [(e.event_type, e.plover_type) for e in events]
    assert ("Explosions/Remote violence", "ASSAULT") in kinds
    assert ("Strategic developments", "RETREAT") in kinds
    assert ("Strategic developments", "SANCTION") in kinds
    assert len({e.event_id for e in events}) == len(events)
    first = events[0]
    assert first.actor1 is not None and first.actor1.actor_id == "ir-backed-militias"
    assert first.location is not None and first.location.place_id == "sy-site-omar-oil-field"


def test_evidence_ids_and_replay(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = "قصفت قوات النظام بالمدفعية الثقيلة بلدة كفرنبل أمس."
    a, b = _tag(tagger, catalogue, text), _tag(tagger, catalogue, text)
    assert [e.event_id for e in a] == [e.event_id for e in b]
    ev = a[0]
    assert ev.evidence.trigger and ev.evidence.trigger in ev.evidence.sentence
    assert ev.evidence.raw_start is not None and ev.evidence.raw_end is not None
    assert 0.5 <= ev.confidence <= 1.0
    assert ev.story_status == "new" and ev.story_id.startswith("story-")


def test_repeated_paragraph_gives_one_event(tagger: EventTagger, catalogue: Catalogue) -> None:
    para = "اندلعت اشتباكات عنيفة بين قوات سوريا الديمقراطية وقوات النظام في ريف دير الزور أمس."
    assert len(_tag(tagger, catalogue, para + "\n\nتعليق\n\n" + para)) == 1


def test_no_dates_fall_back(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(
        _tag(
            tagger,
            catalogue,
            "اندلعت اشتباكات عنيفة بين قوات سوريا الديمقراطية وقوات النظام في ريف دير الزور.",
        )
    )
    assert (ev.event_date, ev.date_basis, ev.time_precision) == (date(2021, 6, 29), "publication", "week")
    ev = _one(
        _tag(
            tagger,
            catalogue,
            "اندلعت اشتباكات عنيفة بين قوات سوريا الديمقراطية وقوات النظام في ريف دير الزور.",
            None,
        )
    )
    assert ev.date_basis == "ingest"


def test_sentence_classifier() -> None:
    assert "violent" in classify_sentence("قتل 12 شخصا واصيب 28 بجروح في هجوم انتحاري بسيارة مفخخة أمس")
    assert "protest" in classify_sentence("تجمع مئات المتظاهرين امام مبنى المحافظة أمس مطالبين برحيل المحافظ")
    assert classify_sentence("وتحدث الكاتب عن تاريخ الاغتيالات السياسية في القرن الماضي") == set()


def _mention(**changes: object) -> Event:
    """The committed Event example with some fields changed (a mention as the tagger would emit it)."""
    from pathlib import Path

    from raqib.contracts import decode

    example = decode(Event, (Path(__file__).parents[1] / "contracts" / "examples" / "Event.json").read_bytes())
    return example.model_copy(update=changes, deep=True)


def test_a_state_acts_through_its_forces_in_violence(tagger: EventTagger, catalogue: Catalogue) -> None:
    ev = _one(_tag(tagger, catalogue, "قصف التحالف الدولي مواقع النظام في قرية حطلة شرق دير الزور أمس."))
    assert ev.actor2 is not None and ev.actor2.actor_id == "sy-gov-forces" and ev.actor2.surface == "النظام"
    assert ev.actor2.inter_code == "state_forces"


def test_a_backer_or_leader_is_not_a_party(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = (
        "سيطرت فصائل الجيش الحر المدعومة من الولايات المتحدة على مواقع لتنظيم داعش في ريف حمص الشرقي أمس."
    )
    ev = _one(_tag(tagger, catalogue, text))
    ids = {ev.actor1.actor_id if ev.actor1 else None, ev.actor2.actor_id if ev.actor2 else None}
    assert "us" not in ids and "us-forces" not in ids
    assert "isis" in ids


def test_one_side_named_twice_is_not_both_sides(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = "قُتل 14 عنصراً من قوات النظام وميليشيا الدفاع الوطني في قصف على ريف دير الزور الغربي أمس."
    ev = _one(_tag(tagger, catalogue, text))
    # the counted dead and the militia listed with them are the losing side, and one side only
    assert ev.actor2 is not None and ev.actor2.actor_id == "sy-gov-forces" and ev.actor2.role == "target"
    assert ev.actor1 is None or catalogue.root_actor(ev.actor1.actor_id or "") != "sy-gov"
    assert ev.fatalities is not None and ev.fatalities.exact == 14


def test_shelling_within_clashes_is_a_battle(tagger: EventTagger, catalogue: Catalogue) -> None:
    text = "قُتل 14 عنصراً من قوات النظام جراء القصف والاشتباكات مع تنظيم داعش في ريف دير الزور الغربي أمس."
    ev = _one(_tag(tagger, catalogue, text))
    assert (ev.event_type, ev.sub_event_type) == ("Battles", "Armed clash")
    lone = _one(_tag(tagger, catalogue, "قصفت قوات النظام بلدة الأتارب في ريف حلب الغربي أمس."))
    assert lone.event_type == "Explosions/Remote violence"

"""Entity linking against the gazetteer, sites.yaml and actors.yaml, with and without Stanza entities."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from raqib.contracts.articles import (
    CleanArticle,
    CleaningStats,
    Entity,
    EntityTaggedArticle,
    LanguageInfo,
    LanguageTaggedArticle,
    OffsetSegment,
)
from raqib.stages.linking import Catalogue
from raqib.stages.ner import NerTagger

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GAZETTEER = SHARED / "data" / "gazetteer" / "syria_admin_gazetteer.jsonl"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.load(GAZETTEER)


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> NerTagger:
    return NerTagger(SHARED / "models" / "stanza-ar-ner-news", resources_dir=tmp_path_factory.mktemp("res"))


def _lang() -> LanguageInfo:
    return LanguageInfo(lang="ar", script="Arab", confidence=0.99, method="test")


def _clean(text: str) -> CleanArticle:
    return CleanArticle(
        article_id="t",
        text=text,
        offset_map=[OffsetSegment(clean_start=0, raw_start=0, length=len(text))] if text else [],
        stats=CleaningStats(raw_chars=len(text), clean_chars=len(text)),
        ingested_at=datetime.now(UTC),
    )


def _tagged(text: str, ner: list[tuple[str, str]]) -> EntityTaggedArticle:
    """An article with hand-made Stanza entities (surface, label) located at their first occurrence."""
    ents = []
    for surface, label in ner:
        start = text.index(surface)
        ents.append(Entity(text=surface, label=label, start=start, end=start + len(surface), source="ner"))  # type: ignore[arg-type]
    return EntityTaggedArticle(article=_clean(text), language=_lang(), entities=ents, ner_model="test")


def _links(entities: list[Entity]) -> dict[str, str | None]:
    return {e.text: e.link_id for e in entities}


def test_clitic_tolerant_mentions(cat: Catalogue) -> None:
    text = "قصفت الطائرات مواقع بدير الزور، وقدمت واشنطن الدعم لقسد في قتالها وداعش، وقال المتحدث باسم للتحالف الدولي."
    links = _links(cat.find_mentions(text))
    assert links["بدير الزور"] == "sy-deir-ez-zor"
    assert links["لقسد"] == "sdf"
    assert links["وداعش"] == "isis"
    assert links["للتحالف الدولي"] == "us-led-coalition"


def test_spelling_variants_and_longest_match(cat: Catalogue) -> None:
    text = "اشتبكت قوات سورية الديمقراطية مع القوات الأميركية قرب إدلب وادلب وحلب."
    ents = cat.find_mentions(text)
    links = _links(ents)
    assert links["قوات سورية الديمقراطية"] == "sdf"  # not the country inside it
    assert links["القوات الأميركية"] == "us-forces"
    assert links["إدلب"] == links["وادلب"] == "sy-idlib"
    sdf = next(e for e in ents if e.link_id == "sdf")
    assert sdf.label == "ORG" and sdf.source == "catalogue" and sdf.link_kind == "actor"
    assert text[sdf.start : sdf.end] == sdf.text


def test_place_prefixes_and_town_preference(cat: Catalogue) -> None:
    links = _links(cat.find_mentions("وصلت التعزيزات إلى مدينة دير الزور ثم إلى محافظة حمص."))
    assert links["دير الزور"] == "sy-deir-ez-zor-deir-ez-zor-deir-ez-zor"  # the town (subdistrict seat)
    assert links["حمص"] == "sy-homs"


def test_common_words_need_support(cat: Catalogue) -> None:
    assert not [e for e in cat.find_mentions("قرر المجلس فتح الباب أمام الحوار.") if e.link_kind == "place"]
    assert (
        _links(cat.find_mentions("سيطرت القوات على مدينة الباب شرق حلب."))["الباب"]
        == "sy-aleppo-al-bab-al-bab"
    )


def test_context_aliases(cat: Catalogue) -> None:
    assert not cat.find_mentions("أعلن التنظيم الطلابي عن حفل في الجامعة.")
    links = _links(cat.find_mentions("تبنى تنظيم داعش الهجوم، وقال التنظيم إن عناصره انسحبوا."))
    assert links["التنظيم"] == "isis"
    assert not cat.find_mentions("طالب النظام التعليمي بإصلاحات.")
    assert _links(cat.find_mentions("قصف النظام بلدات في ريف إدلب."))["النظام"] == "sy-gov"


def test_ambiguous_site_needs_same_governorate(cat: Catalogue) -> None:
    assert not [
        e for e in cat.find_mentions("افتتح متجر في حي الصالحية.") if e.link_id and "salhiyah" in e.link_id
    ]
    links = _links(cat.find_mentions("قصفت المدفعية حطلة والصالحية شرق دير الزور."))
    assert links["والصالحية"] == "sy-site-salhiyah-deir-ez-zor"


def test_link_ner_entities(cat: Catalogue) -> None:
    text = (
        "دارت اشتباكات بين قوّات سوريا الديمقراطية وقوات النظام في ريف دير الزور الغربي قرب كونيكو، "
        "وقال واين ماروتو إن لقسد مواقع هناك."
    )
    art = _tagged(
        text, [("سوريا", "LOC"), ("ريف دير الزور الغربي", "LOC"), ("واين ماروتو", "PER"), ("لقسد", "PER")]
    )
    out = cat.link(art)
    by_text = {e.text: e for e in out.entities}
    # widened to the catalogue's longer name, with the catalogue's label
    sdf = by_text["قوّات سوريا الديمقراطية"]
    assert (sdf.source, sdf.label, sdf.link_id) == ("ner+catalogue", "ORG", "sdf")
    assert "سوريا" not in by_text
    # place prefix and direction suffix tolerated
    rif = by_text["ريف دير الزور الغربي"]
    assert (rif.source, rif.link_id, rif.link_kind) == ("ner+catalogue", "sy-deir-ez-zor", "place")
    # clitic-tolerant link corrects Stanza's label
    assert (by_text["لقسد"].link_id, by_text["لقسد"].label) == ("sdf", "ORG")
    # the catalogue adds what Stanza missed
    assert by_text["وقوات النظام"].source == "catalogue"
    assert by_text["وقوات النظام"].link_id == "sy-gov-forces"
    # an unlinked Stanza entity stays as it was
    assert by_text["واين ماروتو"].source == "ner" and by_text["واين ماروتو"].link_id is None
    for e in out.entities:
        assert text[e.start : e.end] == e.text
    assert [e.start for e in out.entities] == sorted(e.start for e in out.entities)


def test_ner_span_wins_over_partial_catalogue_name(cat: Catalogue) -> None:
    text = "تخرج من جامعة دمشق عام 2010."
    out = cat.link(_tagged(text, [("جامعة دمشق", "ORG")]))
    assert [(e.text, e.source, e.link_id) for e in out.entities] == [("جامعة دمشق", "ner", None)]


def test_without_gazetteer(tmp_path: Path) -> None:
    cat = Catalogue.load(tmp_path / "missing.jsonl")
    assert cat.place("sy-deir-ez-zor") is None
    site = cat.place("sy-site-omar-oil-field")
    assert site is not None and site.admin1_en == "Deir ez-Zor" and site.kind == "site"
    links = _links(cat.find_mentions("قصفت الميليشيات حقل العمر النفطي وقاعدة حميميم."))
    assert links["حقل العمر النفطي"] == "sy-site-omar-oil-field"
    assert links["وقاعدة حميميم"] == "sy-site-hmeimim"


def test_records(cat: Catalogue) -> None:
    place = cat.place("sy-deir-ez-zor-deir-ez-zor-khasham")
    assert place is not None
    assert (place.kind, place.admin1_en, place.admin2_en, place.pcode) == (
        "subdistrict",
        "Deir ez-Zor",
        "Deir ez-Zor",
        "SY090105",
    )
    hmeimim = cat.place("sy-site-hmeimim")
    assert hmeimim is not None and hmeimim.operator == "ru-forces" and hmeimim.geo_precision == 1
    actor = cat.actor("sy-ndf")
    assert actor is not None and actor.inter_code == "political_militia" and actor.parent == "sy-gov"
    assert cat.root_actor("sy-republican-guard") == "sy-gov"
    assert cat.actor("no-such") is None and cat.place("no-such") is None
    assert Catalogue.load(GAZETTEER) is cat  # cached


EXPECTED: dict[str, set[str]] = {
    "000": {"sy-daraa", "sy-site-syrian-badia", "jaysh-usud-al-sharqiya", "ir-backed-militias", "un-envoy-de-mistura",
            "ru-forces", "us-led-coalition", "us-forces", "sy-rif-dimashq"},
    "001": {"sy-gov-forces", "isis", "sohr", "sy-deir-ez-zor", "sy-ndf", "sy-idlib", "us-forces", "sy-al-hasakah"},
    "002": {"sy-site-conoco-gas-field", "sy-site-hmeimim", "sdf", "us-led-coalition", "sy-deir-ez-zor",
            "lb-hezbollah", "iq-nujaba", "af-fatemiyoun", "sy-deir-ez-zor-deir-ez-zor-khasham", "sy-site-hatla"},
    "003": {"sy-site-omar-oil-field", "sdf", "us-led-coalition", "us-forces", "ir-backed-militias",
            "sy-deir-ez-zor-mayadin-al-mayadin", "sohr", "sy-deir-ez-zor"},
    "004": {"sy-site-hmeimim", "sy-site-qamishli-airport", "sy-site-al-tanf", "sy-republican-guard", "isis",
            "sy-gov-forces", "ru-forces", "fsa", "sy-deir-ez-zor-deir-ez-zor-deir-ez-zor"},
}  # fmt: skip


def test_seed_pages(cat: Catalogue, tagger: NerTagger) -> None:
    paths = sorted(SEEDS.glob("*.txt"))
    arts = [
        LanguageTaggedArticle(
            article=_clean(p.read_text(encoding="utf-8")), language=_lang(), routed_to="arabic"
        )
        for p in paths
    ]
    for path, tagged in zip(paths, tagger.tag_batch(arts), strict=True):
        linked = cat.link(tagged)
        places = sorted({e.link_id for e in linked.entities if e.link_kind == "place" and e.link_id})
        actors = sorted({e.link_id for e in linked.entities if e.link_kind == "actor" and e.link_id})
        print(f"\n{path.name}\n  places: {places}\n  actors: {actors}")
        found = set(places) | set(actors)
        missing = EXPECTED[path.name[:3]] - found
        assert not missing, f"{path.name}: not linked {missing}"
        for e in linked.entities:
            assert linked.article.text[e.start : e.end] == e.text
        assert any(e.source == "catalogue" for e in linked.entities)
        assert any(e.source == "ner+catalogue" for e in linked.entities)

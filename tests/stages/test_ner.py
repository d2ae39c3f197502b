"""Real Stanza NER (../shared/models/stanza-ar-ner-news): batching, offsets, load errors, model lookup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from raqib.contracts.articles import (
    CleanArticle,
    CleaningStats,
    LanguageInfo,
    LanguageTaggedArticle,
    OffsetSegment,
)
from raqib.stages.ner import (
    EntityDictionary,
    ModelLoadError,
    NerTagger,
    decode_tags,
    locate_stanza_ner,
    propagate_document,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
NEWS = SHARED / "models" / "stanza-ar-ner-news"
SMALL = SHARED / "models" / "stanza-ar-ner-small"
DEMO = (
    "وأفاد ناشطون بأنّ اشتباكاتٍ عنيفة دارت مساء أمس بين قوّات سوريا الديمقراطية وقوّات النظام شرق دير الزور، "
    "وقال المتحدث باسم التحالف الدولي واين ماروتو إن القصف لم يسبب إصابات."
)


@pytest.fixture(scope="module")
def resources_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stanza_resources")


@pytest.fixture(scope="module")
def tagger(resources_dir: Path) -> NerTagger:
    return NerTagger(NEWS, resources_dir=resources_dir)


def _article(raw: str, clean_start_in_raw: int, clean: str, article_id: str) -> LanguageTaggedArticle:
    """A clean article whose text sits at ``clean_start_in_raw`` of the raw page (boilerplate before it)."""
    assert raw[clean_start_in_raw : clean_start_in_raw + len(clean)] == clean
    art = CleanArticle(
        article_id=article_id,
        text=clean,
        offset_map=[OffsetSegment(clean_start=0, raw_start=clean_start_in_raw, length=len(clean))],
        stats=CleaningStats(raw_chars=len(raw), clean_chars=len(clean)),
        ingested_at=datetime.now(UTC),
    )
    lang = LanguageInfo(lang="ar", script="Arab", confidence=0.99, method="test")
    return LanguageTaggedArticle(article=art, language=lang, routed_to="arabic")


class _CountingPipeline:
    """Delegates to the real Stanza pipeline and counts how often it is called."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def __call__(self, doc: Any) -> Any:
        self.calls += 1
        return self.inner(doc)


def test_load_records_name_and_time(tagger: NerTagger, resources_dir: Path) -> None:
    assert tagger.name == "ar_anercorp_news_nertagger"
    assert 0 < tagger.load_seconds < 120
    assert json.loads((resources_dir / "resources.json").read_text())["ar"]["lang_name"] == "Arabic"
    print(f"news model load {tagger.load_seconds:.2f}s")


def test_tag_tokens_demo_sentence(tagger: NerTagger) -> None:
    sent = ["وقال", "المتحدث", "باسم", "التحالف", "الدولي", "واين", "ماروتو", "في", "دير", "الزور", "."]
    tags = tagger.tag_tokens([sent, [], ["قال", "بشار", "الأسد", "في", "دمشق", "."]])
    assert [len(t) for t in tags] == [len(sent), 0, 6]
    ents = {(" ".join(sent[a : b + 1]), t) for a, b, t in decode_tags(tags[0])}
    assert ("واين ماروتو", "PER") in ents
    assert ("دير الزور", "LOC") in ents


def test_tag_batch_is_one_call_and_maps_offsets(tagger: NerTagger) -> None:
    seed = (SHARED / "seeds" / "002_d397eb37636b08a1.txt").read_text(encoding="utf-8")
    boiler = "القائمة الرئيسية | اتصل بنا\n\n"
    a1 = _article(boiler + DEMO + "\n\nحقوق النشر", len(boiler), DEMO, "a1")
    a2 = _article(seed, 0, seed, "a2")
    counting = _CountingPipeline(tagger._nlp)
    tagger._nlp = counting
    try:
        out = tagger.tag_batch([a1, a2])
    finally:
        tagger._nlp = counting.inner
    assert counting.calls == 1
    assert [o.article.article_id for o in out] == ["a1", "a2"]
    for tagged, src in zip(out, (a1, a2), strict=True):
        raw = boiler + DEMO + "\n\nحقوق النشر" if src is a1 else seed
        assert tagged.ner_model == "ar_anercorp_news_nertagger"
        assert tagged.token_count > 0 and tagged.sentences
        assert tagged.entities
        for ent in tagged.entities:
            assert tagged.article.text[ent.start : ent.end] == ent.text
            assert ent.raw_start is not None and ent.raw_end is not None
            assert raw[ent.raw_start : ent.raw_end] == ent.text
            assert ent.source == "ner"
    demo = {(e.text, e.label) for e in out[0].entities}
    assert ("واين ماروتو", "PER") in demo
    assert ("دير الزور", "LOC") in demo
    texts = {e.text for e in out[1].entities}
    assert "دير الزور" in texts
    print("seed 002 entities:", sorted({(e.text, e.label) for e in out[1].entities}))


def test_tag_batch_speed_on_seeds(tagger: NerTagger) -> None:
    arts = [
        _article(p.read_text(encoding="utf-8"), 0, p.read_text(encoding="utf-8"), p.stem)
        for p in sorted((SHARED / "seeds").glob("*.txt"))
    ]
    out = tagger.tag_batch(arts)
    assert len(out) == 5
    assert tagger.last_batch_tokens == sum(o.token_count for o in out)
    rate = tagger.last_batch_tokens / tagger.last_batch_seconds
    print(f"tag_batch on 5 seeds: {tagger.last_batch_tokens} tokens, {rate:.0f} tokens/s")
    assert rate > 200


def test_empty_batch_and_empty_article(tagger: NerTagger) -> None:
    assert tagger.tag_batch([]) == []
    out = tagger.tag_batch([_article("   ", 0, "   ", "blank")])
    assert out[0].entities == [] and out[0].token_count == 0


def test_missing_pretrain_raises(resources_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        NerTagger(NEWS, pretrain_file=str(NEWS / "no_such.pretrain.pt"), resources_dir=resources_dir)


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        NerTagger(tmp_path / "nothing-here", resources_dir=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match="no NER model"):
        NerTagger(empty, resources_dir=tmp_path)


def test_wrong_pretrain_raises(resources_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="could not load"):
        NerTagger(NEWS, pretrain_file=str(SMALL / "ar_ner_ft100.pretrain.pt"), resources_dir=resources_dir)


def test_self_check_failure_raises(resources_dir: Path) -> None:
    class NoEntitySelfCheck(NerTagger):
        SELF_CHECK_TOKENS = ("في", "ذلك", "الوقت", "كان", "الجو", "باردا", ".")

    with pytest.raises(ModelLoadError, match="self-check"):
        NoEntitySelfCheck(NEWS, resources_dir=resources_dir)


def _fake_download_tree(root: Path, with_resources: bool) -> Path:
    """The layout stanza.download writes (<dir>/ar/<processor>/<package>.pt), with links to the news model."""
    (root / "ar" / "ner").mkdir(parents=True)
    (root / "ar" / "pretrain").mkdir()
    (root / "ar" / "ner" / "anercorp_news.pt").symlink_to(NEWS / "ar_anercorp_news_nertagger.pt")
    (root / "ar" / "pretrain" / "news_ft100.pt").symlink_to(NEWS / "ar_news_ft100.pretrain.pt")
    if with_resources:
        resources = {
            "ar": {
                "lang_name": "Arabic",
                "default_processors": {"tokenize": "padt", "ner": "anercorp_news"},
                "packages": {"default": {"tokenize": "padt", "ner": "anercorp_news"}},
                "ner": {"anercorp_news": {"dependencies": [{"model": "pretrain", "package": "news_ft100"}]}},
            }
        }
        (root / "resources.json").write_text(json.dumps(resources))
    return root


def test_locate_official_layout_with_charlm(tmp_path: Path) -> None:
    lang = tmp_path / "ar"
    for sub, name in (
        ("ner", "aqmar_charlm"),
        ("pretrain", "conll17"),
        ("forward_charlm", "oscar"),
        ("backward_charlm", "oscar"),
    ):
        (lang / sub).mkdir(parents=True)
        (lang / sub / f"{name}.pt").write_bytes(b"x")
    deps = [
        {"model": "pretrain", "package": "conll17"},
        {"model": "forward_charlm", "package": "oscar"},
        {"model": "backward_charlm", "package": "oscar"},
    ]
    resources = {
        "ar": {
            "lang_name": "Arabic",
            "packages": {"default": {"ner": "aqmar_charlm"}},
            "ner": {"aqmar_charlm": {"dependencies": deps}},
        }
    }
    (tmp_path / "resources.json").write_text(json.dumps(resources))
    files = locate_stanza_ner(tmp_path)
    assert files.model == lang / "ner" / "aqmar_charlm.pt"
    assert files.pretrain == lang / "pretrain" / "conll17.pt"
    assert files.forward_charlm == lang / "forward_charlm" / "oscar.pt"
    assert files.backward_charlm == lang / "backward_charlm" / "oscar.pt"
    assert locate_stanza_ner(tmp_path, "aqmar_charlm").model == files.model
    (lang / "forward_charlm" / "oscar.pt").unlink()
    with pytest.raises(ModelLoadError, match="download_models"):
        locate_stanza_ner(tmp_path)


def test_locate_without_resources_json(tmp_path: Path) -> None:
    root = _fake_download_tree(tmp_path / "res", with_resources=False)
    files = locate_stanza_ner(root)
    assert files.model.name == "anercorp_news.pt" and files.pretrain is not None
    assert files.pretrain.name == "news_ft100.pt"


def test_from_stanza_resources_loads_through_same_code(tmp_path: Path) -> None:
    root = _fake_download_tree(tmp_path / "res", with_resources=True)
    tagger = NerTagger.from_stanza_resources(root)
    assert tagger.name == "stanza-ar-anercorp_news"
    tags = tagger.tag_tokens([["واين", "ماروتو", "في", "دير", "الزور", "."]])[0]
    assert tags[0].endswith("PER") and tags[3].endswith("LOC")


def test_entity_dictionary(tmp_path: Path) -> None:
    sent = lambda *pairs: [{"text": t, "ner": n} for t, n in pairs]  # noqa: E731
    data = [
        sent(("زار", "O"), ("واين", "B-PER"), ("ماروتو", "I-PER"), ("حلب", "B-LOC")),
        sent(("قال", "O"), ("واين", "B-PER"), ("ماروتو", "I-PER"), ("أمس", "O")),
        sent(("في", "O"), ("حلب", "B-LOC"), ("الأمل", "B-PER")),
        sent(("الأمل", "O"), ("كبير", "O"), ("الأمل", "O")),
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    d = EntityDictionary.from_splits([path])
    assert d.entries[("واين", "ماروتو")] == "PER"
    assert d.entries[("حلب",)] == "LOC"
    assert ("الامل",) not in d.entries  # an entity in 1 of 3 occurrences: left out
    assert d.apply(["وصل", "واين", "ماروتو", "إلى", "وحلب"]) == ["O", "B-PER", "E-PER", "O", "S-LOC"]


def test_propagate_document() -> None:
    sents = [
        ["التقى", "جولي", "وايزنغر", "بوفد", "من", "لبنان", "."],
        ["وقالت", "وايزنغر", "إن", "ولبنان", "شريك", "."],
    ]
    tags = [["O", "B-PER", "E-PER", "O", "O", "S-LOC", "O"], ["O", "O", "O", "O", "O", "O"]]
    added = propagate_document(sents, tags)
    assert added[1] == ["O", "S-PER", "O", "S-LOC", "O", "O"]  # surname and clitic form in a later sentence

"""Vocabulary expansion of the NER model: the alignment maths, the vocab surgery, and a small real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from raqib.tools.expand_ner_vocab import (
    expand,
    expand_vocab_state,
    fit_alignment,
    new_words_by_frequency,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
NEWS_MODEL = SHARED / "models" / "stanza-ar-ner-news"


def test_fit_alignment_recovers_a_rotation_and_scale() -> None:
    rng = np.random.default_rng(0)
    target = rng.normal(size=(500, 20)).astype(np.float32)
    rotation, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    source = (target @ rotation.T) / 1.7 + rng.normal(scale=0.01, size=target.shape)
    weights, cos = fit_alignment(source, target)
    assert cos > 0.99
    assert np.allclose(source @ weights, target, atol=0.1)
    # a word outside the fit set is mapped by the same transform
    extra = rng.normal(size=(1, 20))
    assert np.allclose((extra @ rotation.T / 1.7) @ weights, extra, atol=0.05)


def test_expand_vocab_state_keeps_existing_ids() -> None:
    state = {"lang": "", "_id2unit": ["<PAD>", "<UNK>", "<EMPTY>", "<ROOT>", "دمشق", "حلب"]}
    state["_unit2id"] = {w: i for i, w in enumerate(state["_id2unit"])}
    out = expand_vocab_state(state, ["حمص", "حلب", "إدلب", "حمص"])
    assert out["_id2unit"][:6] == state["_id2unit"]
    assert out["_id2unit"][6:] == ["حمص", "إدلب"]
    assert out["_unit2id"]["إدلب"] == 7 and out["_unit2id"]["دمشق"] == 4
    assert len(state["_id2unit"]) == 6  # the input is not modified


def test_new_words_by_frequency() -> None:
    sents = [["في", "حمص", "و", "إدلب"], ["في", "إدلب", "."], ["إدلب"]]
    assert new_words_by_frequency(sents, {"في", "."}, 10) == ["إدلب", "حمص", "و"]
    assert new_words_by_frequency(sents, {"في", "."}, 1) == ["إدلب"]


@pytest.mark.skipif(not NEWS_MODEL.is_dir(), reason="needs ../shared/models/stanza-ar-ner-news")
def test_expanded_model_loads_and_tags_known_words_as_before(tmp_path: Path) -> None:
    """A tiny corpus that names an unseen militia leader: the new word gets a row, old rows are untouched."""
    import torch

    from raqib.stages.ner import NerTagger

    unseen = "زغبورستاني"
    base_sents = [
        ["قال", "القائد", unseen, "إن", "قواته", "سيطرت", "على", "بلدة", "في", "ريف", "حلب", "."],
        ["وأضاف", unseen, "أن", "المعارك", "مستمرة", "في", "دير", "الزور", "."],
        ["الجيش", "السوري", "قصف", "مواقع", "في", "إدلب", "وحماة", "."],
        ["وقالت", "وزارة", "الدفاع", "الروسية", "إن", "طائراتها", "قصفت", "مواقع", "لتنظيم", "داعش", "."],
    ]
    sentences = base_sents * 60  # above FastText's min_count, enough words for the alignment
    out = tmp_path / "xv"
    manifest = expand(NEWS_MODEL, out, sentences, max_new_words=100, workers=1, log=lambda _m: None)
    assert manifest["added_words"] >= 1 and manifest["base_words"] == 60004
    pretrain = torch.load(next(out.glob("*pretrain.pt")), weights_only=True)
    base = torch.load(next(NEWS_MODEL.glob("*pretrain.pt")), weights_only=True)
    assert pretrain["vocab"]["_id2unit"][:60004] == base["vocab"]["_id2unit"]
    assert torch.equal(pretrain["emb"][:60004], base["emb"])
    assert unseen in pretrain["vocab"]["_unit2id"]
    assert pretrain["emb"].shape[0] == len(pretrain["vocab"]["_id2unit"])

    expanded = NerTagger(out)
    original = NerTagger(NEWS_MODEL)
    known = [
        [
            "وقال",
            "المتحدث",
            "باسم",
            "التحالف",
            "الدولي",
            "إن",
            "الاشتباكات",
            "دارت",
            "في",
            "دير",
            "الزور",
            ".",
        ]
    ]
    assert expanded.tag_tokens(known) == original.tag_tokens(known)
    assert (out / "expansion.json").is_file()

"""The mention model: a validated JSON of weights; fitting and scoring are the logistic regression's."""

from __future__ import annotations

from pathlib import Path

import pytest

from raqib.stages.mention_model import MODEL_PATH, MentionModel, MentionModelError, fit


def test_shipped_model_loads_and_says_how_it_was_made() -> None:
    model = MentionModel.load(MODEL_PATH)
    assert 0.0 < model.threshold < 1.0 and len(model.weights) > 1000
    made = model.trained_on
    assert made["gold"] == "news_gold_dev.jsonl" and made["cross_validated"]["f1"] > 0.6


def test_fit_separates_what_it_is_shown() -> None:
    feats = [{"w:غارات": 1.0, "date:text:day": 1.0}] * 20 + [{"w:رأي": 1.0, "cue:opinion_words": 1.0}] * 20
    labels = [1] * 20 + [0] * 20
    model = fit(feats, labels, c=1.0, threshold=0.5)
    assert model.keeps({"w:غارات": 1.0, "date:text:day": 1.0})
    assert not model.keeps({"w:رأي": 1.0, "cue:opinion_words": 1.0})
    assert model.trained_on["positives"] == 20


def test_a_broken_model_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"version": "x", "bias": 0}', encoding="utf-8")
    with pytest.raises(MentionModelError, match="not a mention model"):
        MentionModel.load(bad)

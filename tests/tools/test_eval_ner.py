"""NER evaluation on the ANERcorp test split: the raw model reproduces its README, pipeline variants run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raqib.stages.linking import Catalogue
from raqib.stages.ner import EntityDictionary, NerTagger
from raqib.tools.eval_ner import evaluate, gold_bioes, main, score

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SPLITS = SHARED / "data" / "ner" / "anercorp" / "splits"
TEST = SPLITS / "ar_anercorp.test.json"


def test_score_matches_stanza_semantics() -> None:
    gold = [gold_bioes(["B-PER", "I-PER", "O", "B-LOC"]), gold_bioes(["I-ORG", "O", "B-MISC"])]
    pred = [["B-PER", "E-PER", "O", "S-ORG"], ["S-ORG", "O", "O"]]
    s = score(pred, gold)
    assert gold[1] == ["S-ORG", "O", "S-MISC"]  # a leading I- starts an entity, as in Stanza's loader
    assert (s.predicted, s.gold) == (3, 4)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 4)
    assert s.per_type["PER"]["f1"] == 1.0 and s.per_type["LOC"]["recall"] == 0.0
    assert s.per_type["ORG"]["precision"] == 0.5


def test_raw_model_reproduces_readme_and_pipeline_variants(tmp_path: Path) -> None:
    tagger = NerTagger(SHARED / "models" / "stanza-ar-ner-news", resources_dir=tmp_path)
    catalogue = Catalogue.load(SHARED / "data" / "gazetteer" / "syria_admin_gazetteer.jsonl")
    dictionary = EntityDictionary.from_splits(
        [SPLITS / "ar_anercorp.train.json", SPLITS / "ar_anercorp.dev.json"]
    )
    results = evaluate(tagger, TEST, catalogue, dictionary)
    for name, s in results.items():
        print(f"{name:28} P {s.precision * 100:6.2f} R {s.recall * 100:6.2f} F1 {s.f1 * 100:6.2f}")
    raw = results["raw"]
    assert abs(raw.f1 * 100 - 70.77) < 0.5
    assert raw.gold == 2219  # the README's entity count for the test split
    assert abs(raw.per_type["LOC"]["f1"] * 100 - 84.96) < 0.5
    # our tokeniser reproduces the test tokens, so the production path scores like the raw model
    assert abs(results["pipeline"].f1 - raw.f1) < 0.01
    assert {"pipeline+link", "pipeline+dictionary+link"} <= set(results)
    assert all(0.6 < s.f1 < 1.0 for s in results.values())


def test_main_json_raw_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--json", "--no-link", "--resources-dir", str(tmp_path)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["split"] == "ar_anercorp.test.json"
    assert abs(payload["variants"]["raw"]["f1"] - 70.77) < 0.5
    assert set(payload["variants"]["raw"]["per_type"]) == {"LOC", "PER", "ORG", "MISC"}


def test_train_ner_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Stanza's trainer runs end to end for 20 steps and the result is scored (a 20-step model is useless)."""
    from raqib.tools.train_ner import SAVE_NAME
    from raqib.tools.train_ner import main as train_main

    out = tmp_path / "model"
    assert train_main(["--out", str(out), "--max-steps", "20", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out / SAVE_NAME).is_file() and list(out.glob("*pretrain.pt"))
    assert "Training ended with 20 steps" in (out / "train.log").read_text(encoding="utf-8")
    assert 0.0 <= result["test_f1"] <= 100.0 and result["max_steps"] == 20
    print("20-step smoke model:", result)

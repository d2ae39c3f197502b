"""`raqib eval events`: scores on the shared dev sets, --json contract, non-conflict false positives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raqib.tools.eval_events import evaluate, evaluate_cv, load_nonconflict, main, nonconflict_report

EVENTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "events"


def test_json_output_and_floors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EVENTS), "--json"]) == 0
    out = capsys.readouterr().out.strip()
    scores = json.loads(out)  # exactly one object, nothing else on stdout
    assert set(scores) == {"assault", "protest"}
    for task in scores.values():
        assert set(task) == {"precision", "recall", "f1", "n"}
    print(f"\nASSAULT {scores['assault']}\nPROTEST {scores['protest']}")
    # 5-fold cross-validated figures of the learned classifier (printed 0.6064 / 0.3774 with seed 0);
    # the 0.88 / 0.85 targets are NOT reached
    assert scores["assault"]["n"] == 816 and scores["protest"]["n"] == 547
    assert scores["assault"]["f1"] >= 0.60 and scores["assault"]["precision"] >= 0.55
    assert scores["protest"]["f1"] >= 0.37


def test_rules_only_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EVENTS), "--json", "--rules"]) == 0
    scores = json.loads(capsys.readouterr().out.strip())
    # the hand-written rules alone: high recall, low precision (plain dev-set figures, nothing fitted)
    assert scores["assault"]["f1"] >= 0.45 and scores["assault"]["recall"] >= 0.8
    assert scores["protest"]["f1"] >= 0.25


def test_cross_validation_on_any_folder(tmp_path: Path) -> None:
    # the first 300 protest rows in a temporary folder: every scored sentence is held out exactly once
    rows = [
        json.loads(line) for line in (EVENTS / "protest_dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    (tmp_path / "p.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:300]), encoding="utf-8"
    )
    scores = evaluate_cv(tmp_path)
    assert scores["protest"]["n"] == sum(1 for r in rows[:300] if r["label"] != "ambiguous")
    assert scores["protest"]["tp"] + scores["protest"]["fn"] == sum(
        1 for r in rows[:300] if r["label"] == "yes"
    )


def test_any_folder_grouped_by_event_type(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a1",
            "event_type": "ASSAULT",
            "label": "yes",
            "text": "قتل 12 شخصا واصيب 28 بجروح في هجوم انتحاري بسيارة مفخخة أمس",
        },
        {
            "id": "a2",
            "event_type": "ASSAULT",
            "label": "easy no",
            "text": "افتتح الوزير معرض الكتاب في العاصمة",
        },
        {"id": "a3", "event_type": "ASSAULT", "label": "ambiguous", "text": "قصف"},
        {
            "id": "p1",
            "event_type": "PROTEST",
            "label": "yes",
            "text": "تجمع مئات المتظاهرين امام مبنى المحافظة أمس مطالبين برحيل المحافظ",
        },
        {
            "id": "p2",
            "event_type": "PROTEST",
            "label": "difficult no",
            "text": "قال المحلل إن المعارضة ضعيفة",
        },
    ]
    (tmp_path / "mine.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )
    scores = evaluate(tmp_path)
    assert scores["assault"]["n"] == 2 and scores["assault"]["f1"] == 1.0
    assert scores["protest"]["n"] == 2 and scores["protest"]["f1"] == 1.0


def test_nonconflict_false_positive_rate() -> None:
    assert len(load_nonconflict()) >= 100
    report = nonconflict_report()
    print(f"\nnon-conflict: {report['false_positive_articles']}/{report['articles']} (rate {report['rate']})")
    assert report["rate"] <= 0.01


def test_train_events_writes_a_loadable_model(tmp_path: Path) -> None:
    from raqib.tools.eval_events import load_labelled
    from raqib.tools.train_events import PRETRAIN_NAME, featurize, fit, labelled_features, load_models
    from raqib.tools.train_events import main as train_main

    out = tmp_path / "events.json"
    assert train_main([str(EVENTS), "--out", str(out)]) == 0
    models = load_models(str(out))
    assert set(models) == {"assault", "protest"} and models["protest"].family == "protest"
    assert out.stat().st_size < 5_000_000
    # the saved weights reproduce an in-process fit (same data → same model, rounding aside)
    pretrain = EVENTS.parents[1] / PRETRAIN_NAME
    items = load_labelled(EVENTS)["assault"]
    feats, gold = labelled_features(items, pretrain)
    direct = fit("assault", feats, gold)
    for f in feats[:40]:
        assert abs(direct.proba(f) - models["assault"].proba(f)) < 1e-3
    # fitted on all data it separates its own training sentences
    pos = [models["assault"].proba(f) for f, g in zip(feats, gold, strict=True) if g]
    neg = [models["assault"].proba(f) for f, g in zip(feats, gold, strict=True) if not g]
    assert sum(pos) / len(pos) > 0.8 > 0.2 > sum(neg) / len(neg)
    # handwritten sentences: a concrete bombing with casualties vs a minister opening a book fair
    bomb = featurize("قتل 12 شخصا واصيب 28 بجروح في هجوم انتحاري بسيارة مفخخة أمس", 2008, pretrain)
    fair = featurize("افتتح الوزير معرض الكتاب في العاصمة بحضور عدد من الأدباء", 2008, pretrain)
    assert models["assault"].proba(bomb) > models["assault"].proba(fair)

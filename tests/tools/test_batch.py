"""``raqib batch``: the worker's chain in one process — every input accounted for, alerts included, and a
poison article dead-lettered under its stage while the others go on (real Stanza, real rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raqib.pipeline.runtime import StageRuntime
from raqib.settings import Settings
from raqib.tools.batch import run_batch
from raqib.tools.cli import main
from raqib.tools.sources import iter_values

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "raqib" / "tools" / "examples"


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    items = list(iter_values([EXAMPLES]))
    long_page = "قصفت طائرات حربية مدينة إدلب اليوم. " * 80  # 480 tokens: over the cap below
    items += [("too-long", long_page.encode()), ("not-utf8", b"\xff\xfe\x00garbage"), ("empty", b"   ")]
    settings = Settings(max_ner_tokens=400)
    return len(items), run_batch(items, StageRuntime(settings), show_progress=False)


def test_every_input_ends_in_exactly_one_place(result) -> None:  # type: ignore[no-untyped-def]
    total, res = result
    keys = [a.article_id for a in res.enriched] + [o.article.article_id for o in res.other]
    keys += [d.key for d in res.dead_letters]
    assert len(keys) == len(set(keys)) == total


def test_a_poison_article_fails_its_stage_only(result) -> None:  # type: ignore[no-untyped-def]
    _, res = result
    by_key = {d.key: d for d in res.dead_letters}
    assert by_key["too-long"].stage == "ner" and by_key["too-long"].reason == "too_complex"
    assert by_key["empty"].stage == "clean" and by_key["empty"].reason == "empty_text"
    assert by_key["not-utf8"].stage == "clean"
    assert {o.article.article_id for o in res.other} == {"example-english"}
    assert any(e.article_id == "example-ied-raqqa" for e in res.events)  # the article after the poison one


def test_batch_mode_runs_the_alert_rules(result) -> None:  # type: ignore[no-untyped-def]
    _, res = result
    fired = {(a.rule_id, a.event.event_id) for a in res.alerts}
    strike = next(e for e in res.events if e.sub_event_type == "Air/drone strike")
    assert ("deadly-strike", strike.event_id) in fired
    assert all(a.event.event_id in {e.event_id for e in res.events} for a in res.alerts)


def test_cli_writes_events_and_alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, alerts = tmp_path / "events.jsonl", tmp_path / "alerts.jsonl"
    assert main(["batch", str(EXAMPLES), "--out", str(out), "--alerts-out", str(alerts)]) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert rows and all(row["schema_version"] >= 1 for row in rows)
    assert f"{len(rows)} alerts" in printed
    assert out.read_text(encoding="utf-8").count("\n") >= 3

"""End to end through a real Kafka-protocol broker (Tansu) and a real Faust worker subprocess.

Every raw message must end in exactly one of: enriched, other (non-Arabic), DLQ — checked by key.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from raqib.contracts import topics
from raqib.settings import Settings
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import Collector, WorkerProcess, embedded_env, produce
from raqib.tools.sources import iter_values

pytestmark = pytest.mark.integration

CAP_BYTES = 200_000

ARABIC_REPORT = (
    "دمشق - قتل ثلاثة مدنيين وأصيب خمسة آخرون أمس في قصف مدفعي لقوات النظام على بلدة معرة النعمان "
    "في ريف إدلب الجنوبي، بحسب ما أفاد ناشطون محليون. وقال الدفاع المدني إن فرقه انتشلت الجثث."
)

BAD_INPUTS: dict[str, tuple[bytes, str]] = {
    # key: (value, expected DLQ reason fragment)
    "bad-json": (b'{"id": "bad-json", "text": "unterminated', "bad_json"),
    "wrong-type": (orjson.dumps({"id": "wrong-type", "text": 42}), "wrong_type"),
    "json-array": (b'["not", "an", "object"]', "wrong_shape"),
    "empty-text": (orjson.dumps({"id": "empty-text", "text": "   "}), "empty_text"),
    "binary": (bytes(range(256)) * 4, "bad_encoding"),
    "too-large": (orjson.dumps({"id": "too-large", "text": "ا" * CAP_BYTES}), "text_too_large"),
    "empty-value": (b"", "empty_text"),
}


@pytest.fixture(scope="module")
def pipeline_run(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path):
    """Start one worker, feed seeds + examples + a good/bad mix, collect until everything is accounted for."""
    run_dir = tmp_path_factory.mktemp("pipeline")
    env = embedded_env(
        broker.bootstrap, run_dir, RAQIB_MAX_TEXT_BYTES=str(CAP_BYTES), RAQIB_METRICS_SNAPSHOT_INTERVAL_S="1"
    )
    settings = Settings(
        kafka_bootstrap=broker.bootstrap, producer_idempotence=False, max_text_bytes=CAP_BYTES * 4
    )
    ensure_topics(
        Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"]))
    )
    worker = WorkerProcess(env, run_dir).start()
    items = list(iter_values([seeds_dir, Path(__file__).resolve().parents[2] / "src" / "raqib" / "tools" / "examples"]))
    items.append(("good-arabic", orjson.dumps({"id": "good-arabic", "text": ARABIC_REPORT})))
    items.append(
        (
            "plain-english",
            b"The weather in Lisbon was sunny and warm all week, and tourists filled the beaches.",
        )
    )
    items.extend((key, value) for key, (value, _) in BAD_INPUTS.items())
    produce(settings, items)
    collector = Collector(settings)
    expected = {key for key, _ in items}
    done = collector.wait_for(expected, timeout_s=300, alive=worker.alive)
    yield {"done": done, "ledger": collector.ledger, "expected": expected, "worker": worker, "items": items}
    collector.close()
    code = worker.stop()
    assert code in (0, -15), f"worker did not exit cleanly on SIGTERM (code {code}):\n{worker.log_tail()}"


def test_every_message_accounted_for_exactly_once(pipeline_run) -> None:
    ledger, expected = pipeline_run["ledger"], pipeline_run["expected"]
    assert pipeline_run["done"], (
        f"missing: {sorted(expected - ledger.terminal_keys())}\n{pipeline_run['worker'].log_tail()}"
    )
    terminal = Counter()
    for name in (topics.ENRICHED.name, topics.OTHER.name, topics.DLQ.name):
        for key in expected:
            terminal[key] += 1 if ledger.deliveries.get(f"{name}|{key}") else 0
    assert all(terminal[key] == 1 for key in expected), {k: v for k, v in terminal.items() if v != 1}
    assert ledger.terminal_keys() >= expected


def test_bad_inputs_reach_the_dlq_with_reasons(pipeline_run) -> None:
    ledger = pipeline_run["ledger"]
    for key, (_, reason) in BAD_INPUTS.items():
        dead = ledger.dead[key]
        assert reason in dead.error_class, (key, dead.error_class, dead.message)
        assert dead.stage == "clean" and dead.message
    assert ledger.dead["binary"].original_encoding == "base64"
    assert ledger.dead["too-large"].truncated


def test_non_arabic_is_routed_aside_not_dropped(pipeline_run) -> None:
    ledger = pipeline_run["ledger"]
    assert ledger.other["plain-english"].language.lang == "en"
    assert ledger.other["example-english"].language.lang == "en"


def test_seeds_and_reports_produce_events(pipeline_run, seeds_dir: Path) -> None:
    ledger = pipeline_run["ledger"]
    seed_keys = [path.stem for path in sorted(seeds_dir.glob("*.txt"))]
    assert all(key in ledger.enriched for key in seed_keys)
    events = ledger.events_for(seed_keys)
    assert len(events) >= 5, [e.event_type for e in events]
    good = ledger.events_for(["good-arabic"])
    assert any(e.event_type == "Explosions/Remote violence" for e in good), good
    for event in events:
        assert event.evidence.sentence
        assert event.story_id and event.story_status in ("new", "update")


def test_event_keys_are_deterministic(pipeline_run) -> None:
    ledger = pipeline_run["ledger"]
    for key in ledger.deliveries:
        topic, _, record_key = key.partition("|")
        if topic == topics.EVENTS.name:
            assert record_key in ledger.events


def test_worker_serves_prometheus_metrics_and_publishes_snapshots(
    pipeline_run, broker: EmbeddedBroker
) -> None:
    import time
    import urllib.request

    from kafka import KafkaConsumer, TopicPartition

    from raqib.contracts import MetricsSnapshot, decode

    worker = pipeline_run["worker"]
    body = (
        urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5).read().decode()
    )
    assert 'raqib_messages_total{outcome="dlq",stage="clean"} 7.0' in body
    assert "raqib_end_to_end_latency_seconds_count" in body and "raqib_build_info" in body
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    partitions = [
        TopicPartition(topics.METRICS.name, p) for p in consumer.partitions_for_topic(topics.METRICS.name)
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    snapshots: list[MetricsSnapshot] = []
    deadline = time.monotonic() + 30
    while not snapshots and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            snapshots.extend(decode(MetricsSnapshot, record.value) for record in records)
    consumer.close()
    assert snapshots, "no MetricsSnapshot on raqib.metrics.v1"
    latest = snapshots[-1]
    assert latest.worker_id == worker.name and latest.messages


def test_embedded_demo_runs_end_to_end(tmp_path: Path) -> None:
    """The README's main command (after install): `raqib demo --out FILE` on the bundled examples."""
    import subprocess
    import sys

    out = tmp_path / "events.jsonl"
    env = {**os.environ, "RAQIB_LOG_DIR": str(tmp_path / "logs")}
    env.pop("RAQIB_LOG_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-m", "raqib.tools.cli", "demo", "--out", str(out), "--timeout", "300"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "events from" in result.stdout and "5 articles in" in result.stdout
    # quiet by default: raqib's own lines only; client-library chatter and start-up retries in the logs
    terminal = result.stdout + result.stderr
    for chatter in ("kafka.", "aiokafka", "ECONNREFUSED", "Resetting offset", "[^Worker]"):
        assert chatter not in terminal, terminal[-3000:]
    assert len(terminal.splitlines()) < 40, terminal
    run_logs = tmp_path / "logs" / "demo"
    assert "kafka." in (run_logs / "demo.log").read_text()
    assert "[^Worker]: Ready" in (run_logs / "worker-1.log").read_text()
    lines = out.read_text().splitlines()
    assert lines, result.stdout
    assert all(orjson.loads(line)["event_type"] for line in lines)

"""The audit ends under live traffic, keeps hashes not values, accounts events, caps and targets re-drives.

A real Tansu broker; no worker: the test writes the terminal records a worker would have written.
"""

from __future__ import annotations

import threading
import time

import orjson
import pytest

from raqib.contracts import DeadLetter, encode, topics
from raqib.settings import Settings
from raqib.stages.ingest import cap_key
from raqib.tools import audit
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import make_producer, produce

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(broker: EmbeddedBroker) -> Settings:
    settings = Settings(
        kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_partitions=2, topic_replication=1
    )
    ensure_topics(settings)
    return settings


def raw(key: str, text: str = "نص") -> tuple[str, bytes]:
    return key, orjson.dumps({"id": key, "text": text})


def test_the_audit_ends_while_producers_keep_writing(settings: Settings) -> None:
    produce(settings, [raw(f"live-{i}") for i in range(500)])
    stop = threading.Event()
    sent = {"n": 0}

    def keep_writing() -> None:
        producer = make_producer(settings)
        try:
            while not stop.is_set():
                producer.send(topics.RAW.name, key=f"more-{sent['n']}".encode(), value=b'{"text": "x"}')
                sent["n"] += 1
                time.sleep(0.002)
        finally:
            producer.close()

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        started = time.monotonic()
        accounting = audit.collect(settings, timeout_s=120)
        seconds = time.monotonic() - started
    finally:
        stop.set()
        writer.join(timeout=10)
    print(
        f"\naudit under live traffic: {len(accounting.raw)} raw keys in {seconds:.1f}s while {sent['n']} more arrived"
    )
    assert seconds < 60
    assert {f"live-{i}" for i in range(500)} <= {ref.label for ref in accounting.raw.values()}
    # hashes and positions, never values
    ref = next(iter(accounting.raw.values()))
    assert set(vars(ref)) == {"partition", "offset", "timestamp_s", "candidates", "label", "redrives"}
    assert all(len(digest) == 16 for digest in accounting.raw)


def test_events_named_but_never_delivered_are_missing(settings: Settings) -> None:
    enriched = {"article_id": "ev-art-1", "event_ids": ["ev-delivered", "ev-lost"]}
    produce(settings, [raw("ev-art-1")])
    produce(settings, [("ev-art-1", orjson.dumps(enriched))], topic=topics.ENRICHED.name)
    produce(settings, [("ev-delivered", b"{}")], topic=topics.EVENTS.name)
    candidate = {"event_id": "ev-candidate-lost", "article_id": "ev-art-1"}
    produce(settings, [("violence|a2:X", orjson.dumps(candidate))], topic=topics.EVENT_CANDIDATES.name)
    accounting = audit.collect(settings)
    assert "ev-art-1" not in accounting.missing()
    missing = {event for event, _ in accounting.missing_events()}
    assert missing == {audit.key_hash("ev-lost"), audit.key_hash("ev-candidate-lost")}


def test_redrives_are_capped_per_key(settings: Settings) -> None:
    produce(settings, [raw("cap-1")])
    counts = []
    for _ in range(4):
        report = audit.reconcile(settings, grace_s=0, redrive_missing=True, max_redrives=3)
        counts.append((report.redriven, report.redrive_exhausted))
        assert "cap-1" in report.missing
    # cap-1 is re-driven three times, then left (other keys of this module's topic are missing too)
    redriven = [r for r in audit.read_topics(settings, [topics.RAW.name]) if r[1] == "cap-1"]
    assert len(redriven) == 4  # the original + 3 re-drives, never more
    assert counts[-1][1] >= 1


def test_dlq_records_are_redriven_by_reason_from_the_raw_topic(settings: Settings) -> None:
    long_key = "L" * 600_000
    produce(settings, [raw("late-1"), raw("bad-1"), (long_key, orjson.dumps({"text": "نص"}))])
    dead = [
        ("late-1", "deadline_exceeded"),
        ("bad-1", "bad_json"),
        (cap_key(long_key), "deadline_exceeded"),
    ]
    produce(
        settings,
        [
            (
                key,
                encode(
                    DeadLetter(
                        stage="clean",
                        error_class=f"X:{reason}",
                        message="m",
                        original="",
                        original_encoding="utf-8",
                        original_size=0,
                        key=key,
                        reason=reason,
                    )
                ),
            )
            for key, reason in dead
        ],
        topic=topics.DLQ.name,
    )
    report = audit.reconcile(settings, grace_s=3600, redrive_reasons=["deadline_exceeded"])
    assert report.dlq_redriven == 2
    again = {}
    for _, key, _, _ in audit.read_topics(settings, [topics.RAW.name]):
        again[key] = again.get(key, 0) + 1
    assert again["late-1"] == 2 and again["bad-1"] == 1 and again[long_key] == 2  # the raw record, full key

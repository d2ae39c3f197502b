"""A send that raises inside a real worker, and an output the broker would refuse: nothing skipped, nothing lost.

Real Tansu broker, real ``raqib worker`` processes. ``tests.streams.fault_worker`` is the real CLI with
``Topic.send`` made to raise once for one key (faust-streaming #606 territory: the record is the first
of its partition, and the records after it in the same partition are processed normally). Durations
and counts are printed.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import orjson
import pytest

from raqib.contracts import DeadLetter, decode, topics
from raqib.settings import Settings
from raqib.tools import audit
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import WorkerProcess, embedded_env, produce

pytestmark = pytest.mark.integration

ARABIC = "قتل {n} مدنيين في قصف مدفعي على بلدة سراقب بريف إدلب يوم {d} بحسب ناشطين محليين."
ENGLISH = "Note {i}: the council of Lisbon approved {n} new bus lines for district {d} this month."
WORDS = ARABIC.format(n=3, d=2).replace(".", "").split()


def article(key: str, i: int) -> tuple[str, bytes]:
    text = ARABIC.format(n=i % 9 + 2, d=i % 28 + 1) if i % 4 == 0 else ENGLISH.format(i=i, n=i % 40, d=i % 28)
    return key, orjson.dumps({"id": key, "text": text})


def partition_of(key: str, partitions: int) -> int:
    """The partition kafka-python's default partitioner (murmur2, as Java's) gives ``key``."""
    from kafka.partitioner.default import murmur2

    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def committed_offset(settings: Settings, topic: str, partition: int, group: str = "raqib") -> int | None:
    """The group's committed offset (an OffsetFetch; this consumer never joins the group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return consumer.committed(TopicPartition(topic, partition))
    finally:
        consumer.close()


def terminal(settings: Settings) -> audit.Accounting:
    return audit.collect(settings)


def wait_until(predicate, timeout_s: float, interval_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    return predicate()


def test_a_send_that_raises_stops_the_worker_and_the_record_is_reprocessed_not_skipped(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    partitions = 4
    env = embedded_env(broker.bootstrap, tmp_path, RAQIB_TOPIC_PARTITIONS=str(partitions))
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_replication=1)
    ensure_topics(settings.model_copy(update={"topic_partitions": partitions}))
    poison = "send-fails-0000"
    target = partition_of(poison, partitions)
    # the poison record is the first of its partition; 30 more follow it in the same partition
    same = [k for k in (f"send-next-{i:04d}" for i in range(2000)) if partition_of(k, partitions) == target][:30]
    others = [f"send-other-{i:04d}" for i in range(60)]
    items = [article(poison, 0)] + [article(k, i + 1) for i, k in enumerate(same + others)]
    marker = tmp_path / "failed-once"
    fault = dict(
        env,
        RAQIB_TEST_FAIL_SEND_KEY=poison,
        RAQIB_TEST_FAIL_SEND_TOPIC=topics.CLEAN.name,
        RAQIB_TEST_FAIL_SEND_MARKER=str(marker),
    )
    started = time.monotonic()
    first = WorkerProcess(fault, tmp_path, name="faulty", module="tests.streams.fault_worker").start()
    produce(settings, items)
    try:
        code = first.proc.wait(timeout=240)
    except Exception:
        first.signal(signal.SIGKILL)
        raise AssertionError("the worker did not stop after the failed send:\n" + first.log_tail(60)) from None
    stopped_s = time.monotonic() - started
    log = first.log_path.read_text(errors="replace")
    assert marker.exists(), "the injected failure never happened:\n" + first.log_tail(60)
    assert code == 75, f"exit {code}\n" + first.log_tail(60)
    assert "stopping the worker" in log
    committed = committed_offset(settings, topics.RAW.name, target)
    print(f"\nsend fault: worker exited {code} after {stopped_s:.1f}s; raw[{target}] committed at {committed}")
    assert committed in (None, 0), f"committed past the undelivered record at offset 0: {committed}"

    second = WorkerProcess(env, tmp_path, name="replacement").start()
    try:
        expected = {key for key, _ in items}
        accounting = wait_until(lambda: (a := terminal(settings)) and expected <= a.deduplicated() and a, 240)
        assert accounting and expected <= accounting.deduplicated(), second.log_tail(60)
        assert accounting.count(poison) >= 1
        missing = accounting.missing()
        print(
            f"after restart: {len(expected)} keys, lost {len(missing)}, duplicate deliveries "
            f"{accounting.duplicate_deliveries()}, in {time.monotonic() - started:.1f}s"
        )
        assert missing == []
        assert accounting.divergent_duplicates() == []
        assert second.alive()
    finally:
        assert second.stop() == 0


def distinct_paragraphs(count: int, seed: int = 11) -> str:
    rnd = random.Random(seed)
    return "\n".join(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 10))) + "." for _ in range(count))


def test_an_output_over_the_message_limit_is_dead_lettered_and_the_worker_goes_on(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """The poison-output test: a valid article whose CleanArticle is over RAQIB_MAX_MESSAGE_BYTES."""
    env = embedded_env(broker.bootstrap, tmp_path, RAQIB_MAX_MESSAGE_BYTES="200000", RAQIB_TOPIC_PARTITIONS="2")
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_replication=1)
    worker = WorkerProcess(env, tmp_path, name="poison-output").start()
    page = distinct_paragraphs(1800)  # ~170 KB raw: ~270 KB once cleaned with its offset map
    items = [("too-big-0001", orjson.dumps({"id": "too-big-0001", "text": page}))]
    items += [article(f"after-big-{i:03d}", i) for i in range(20)]
    started = time.monotonic()
    try:
        wait_until(worker.alive, 5)
        produce(settings, items)
        expected = {key for key, _ in items}
        accounting = wait_until(lambda: (a := terminal(settings)) and expected <= a.deduplicated() and a, 240)
        assert accounting and expected <= accounting.deduplicated(), worker.log_tail(60)
        dead = {
            key: decode(DeadLetter, value)
            for _, key, value, _ in audit.read_topics(settings, [topics.DLQ.name])
            if key == "too-big-0001"
        }
        record = dead["too-big-0001"]
        print(
            f"\npoison output: {record.original_size} bytes → DLQ {record.reason} "
            f"({len(record.model_dump_json())} bytes) in {time.monotonic() - started:.1f}s; worker alive"
        )
        assert record.reason == "output_too_large" and record.output_topic == topics.CLEAN.name
        assert record.original_size > 200_000 and record.original == ""
        assert worker.alive() and worker.healthz()[0] == 200
        assert accounting.missing() == []
    finally:
        assert worker.stop() == 0

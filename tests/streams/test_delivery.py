"""Delivery never loses and never spins: size limits, classified send errors, the #606 commit guard.

The agents are the real ones; Kafka sends are captured (``Topic.send`` replaced) so each test sees
what would be published. The commit guard is tested on Faust's real ``Consumer._new_offset``. The same
paths through a real broker and worker processes are in ``tests/streams/test_fault_send.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
)
from faust.exceptions import ProducerSendError
from faust.topics import Topic
from faust.types import TP

from raqib.contracts import CleanArticle, DeadLetter, decode, topics
from raqib.observability import metrics
from raqib.streams.agents import base, pipeline
from raqib.streams.agents.base import Delivery, Output, Undeliverable, classify_send_error, record_size
from raqib.streams.guard import InFlight, guarded_new_offset, install

REPORT = (
    "حلب - قُتل أربعة مدنيين وأصيب سبعة آخرون، أمس الأحد، جراء قصف مدفعي لقوات النظام استهدف "
    "بلدة الأتارب في ريف حلب الغربي، بحسب ما أفاد الدفاع المدني."
)


@dataclass
class Sent:
    topic: str
    key: str
    value: bytes
    partition: int | None


class Broker:
    """Captures sends; ``fail`` maps a topic name to errors raised by its next sends (one per send)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.fail: dict[str, list[BaseException]] = {}
        self.attempts = 0

    async def send(self, topic: Topic, *, key=None, value=None, partition=None, **_: object):
        self.attempts += 1
        name = topic.get_topic_name()
        errors = self.fail.get(name)
        if errors:
            raise errors.pop(0)
        self.sent.append(Sent(name, (key or b"").decode(), value or b"", partition))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    capture = Broker()

    async def send(self: Topic, **kwargs: object):
        return await capture.send(self, **kwargs)

    monkeypatch.setattr(Topic, "send", send)
    yield capture


def fast(delivery: Delivery, **changes: object) -> Delivery:
    """The worker's delivery policy with short retry delays (tests must not sleep for seconds)."""
    from dataclasses import replace

    return replace(delivery, backoff_initial_s=0.01, backoff_max_s=0.05, **changes)


WORDS = REPORT.replace("،", "").replace(".", "").split()


def distinct_paragraphs(count: int, seed: int = 7) -> str:
    """Sentence-like paragraphs of 8-10 words drawn from a real report: kept by clean, none a repeat."""
    import random

    rnd = random.Random(seed)
    return "\n".join(
        " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 10))) + "." for _ in range(count)
    )


def raw_value(key: str, text: str = REPORT) -> bytes:
    return orjson.dumps({"id": key, "text": text})


async def feed(agent_fn, values: list[tuple[bytes, bytes]], broker: Broker, expect: int) -> list[Sent]:
    async with agent_fn.test_context() as agent:
        for key, value in values:
            await agent.put(value, key=key)
        for _ in range(400):
            if len(broker.sent) >= expect:
                break
            await asyncio.sleep(0.05)
    return broker.sent


def test_an_output_over_the_limit_becomes_a_compact_dead_letter(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "DELIVERY", fast(base.DELIVERY, max_message_bytes=20_000))
    big = distinct_paragraphs(250)  # ~25 KB of text, no repeats: a ~40 KB CleanArticle
    values = [(b"big-1", raw_value("big-1", big)), (b"small-1", raw_value("small-1"))]
    sent = asyncio.run(feed(pipeline.clean_agent, values, broker, expect=2))
    by_key = {record.key: record for record in sent}
    assert by_key["small-1"].topic == topics.CLEAN.name
    assert by_key["big-1"].topic == topics.DLQ.name
    dead = decode(DeadLetter, by_key["big-1"].value)
    assert dead.reason == "output_too_large" and dead.output_topic == topics.CLEAN.name
    assert dead.original == "" and dead.original_size > 20_000 and dead.key_sha1 and dead.stage == "clean"
    assert len(by_key["big-1"].value) < 2_000  # compact: size and key hash, not the output


def test_a_record_the_client_refuses_is_dead_lettered_not_retried(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "DELIVERY", fast(base.DELIVERY))
    refusal = ProducerSendError("Error while sending")
    refusal.__cause__ = MessageSizeTooLargeError("The message is 1200000 bytes when serialized")
    broker.fail[topics.CLEAN.name] = [refusal]
    sent = asyncio.run(feed(pipeline.clean_agent, [(b"refused-1", raw_value("refused-1"))], broker, expect=1))
    assert [r.topic for r in sent] == [topics.DLQ.name]
    dead = decode(DeadLetter, sent[0].value)
    assert dead.reason == "output_rejected" and "MessageSizeTooLargeError" in dead.message
    assert dead.key == "refused-1"


def test_retriable_errors_are_retried_with_backoff_until_delivered(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "DELIVERY", fast(base.DELIVERY))
    before = metrics.SEND_FAILURES.labels("clean", "retriable")._value.get()
    broker.fail[topics.CLEAN.name] = [KafkaConnectionError("broker away"), NotLeaderForPartitionError()]
    sent = asyncio.run(feed(pipeline.clean_agent, [(b"late-1", raw_value("late-1"))], broker, expect=1))
    assert [(r.topic, r.key) for r in sent] == [(topics.CLEAN.name, "late-1")]
    assert decode(CleanArticle, sent[0].value).article_id == "late-1"
    assert metrics.SEND_FAILURES.labels("clean", "retriable")._value.get() - before == 2


def test_non_retriable_and_exhausted_sends_are_undeliverable(broker: Broker) -> None:
    """What stops the worker (raqib.streams.agents.base.supervised → stop_worker); called directly here, not via an agent."""
    clean = pipeline.clean_topic
    delivery = Delivery(
        dlq_topic=pipeline.dlq_topic, backoff_initial_s=0.01, backoff_max_s=0.02, retry_budget_s=0.3
    )
    broker.fail[topics.CLEAN.name] = [TopicAuthorizationFailedError()]
    with pytest.raises(Undeliverable, match="TopicAuthorizationFailed"):
        asyncio.run(delivery.deliver([Output(clean, "k", b"{}")], "clean"))
    broker.fail[topics.CLEAN.name] = [KafkaConnectionError("down")] * 1000
    with pytest.raises(Undeliverable, match="after 0s of retries"):
        asyncio.run(delivery.deliver([Output(clean, "k", b"{}")], "clean"))
    assert 3 <= broker.attempts < 200  # bounded: backoff, not a spin
    # a DeadLetter that itself cannot be sent does not become another DeadLetter
    broker.fail.clear()
    with pytest.raises(Undeliverable, match="output_too_large"):
        asyncio.run(
            Delivery(dlq_topic=pipeline.dlq_topic, max_message_bytes=10_000).deliver(
                [Output(pipeline.dlq_topic, "k", b"x" * 20_000)], "clean"
            )
        )


def test_send_errors_are_classified() -> None:
    wrapped = ProducerSendError("Error while sending")
    wrapped.__cause__ = MessageSizeTooLargeError()
    assert classify_send_error(wrapped) == "rejected"
    assert classify_send_error(KafkaConnectionError()) == "retriable"
    assert classify_send_error(NotLeaderForPartitionError()) == "retriable"
    assert classify_send_error(TopicAuthorizationFailedError()) == "fatal"
    assert classify_send_error(RuntimeError("a bug")) == "fatal"


def test_record_size_is_what_the_client_checks() -> None:
    from aiokafka.record.default_records import DefaultRecordBatchBuilder

    out = Output(pipeline.clean_topic, "key", b"v" * 1000)
    assert record_size(out) == DefaultRecordBatchBuilder.estimate_size_in_bytes(b"key", b"v" * 1000, [])
    assert 1000 < record_size(out) < 1100


# --- the #606 guard, on Faust's real Consumer ---------------------------------------------------------


@pytest.fixture
def consumer():
    import faust
    from faust.transport.consumer import Consumer

    install(Consumer)  # what raqib.streams.app does at import; idempotent
    app = faust.App("raqib-guard-test", broker="kafka://127.0.0.1:1")
    return app.consumer


def test_faust_alone_commits_past_an_unacked_record(consumer) -> None:
    """The bug, reproduced on Faust's own code: offset 2585 is still in flight, 2586-2589 are acked."""
    tp = TP("raqib.articles.raw.v1", 0)
    original = type(consumer)._raqib_original_new_offset
    consumer._committed_offset[tp] = 2585
    consumer._acked[tp] = [2586, 2587, 2588, 2589]
    assert original(consumer, tp) == 2590  # 2585 would be skipped by a restart
    # the first batch of a partition (nothing committed yet) is not checked at all
    first = TP("raqib.articles.raw.v1", 1)
    consumer._acked[first] = [1, 2, 3]
    assert original(consumer, first) == 4


def test_the_guard_never_commits_past_an_in_flight_or_pinned_offset(consumer) -> None:
    tp = TP("raqib.articles.raw.v1", 0)
    original = type(consumer)._raqib_original_new_offset
    inflight = InFlight()
    consumer._committed_offset[tp] = 2580
    consumer._acked[tp] = [2580, 2581, 2582, 2583, 2584, 2586, 2587, 2588, 2589]
    inflight.hold(tp, 2585)
    assert guarded_new_offset(consumer, tp, original, inflight) == 2585  # up to, not past, the held one
    assert consumer._acked[tp] == [2586, 2587, 2588, 2589]  # what lies above is kept for later
    consumer._committed_offset[tp] = 2585
    assert guarded_new_offset(consumer, tp, original, inflight) is None
    inflight.pin(tp, 2585)  # its batch failed: stays the floor even once released
    inflight.release(tp, 2585)
    assert guarded_new_offset(consumer, tp, original, inflight) is None
    inflight.forget([tp])  # revoked: the next owner re-reads from 2585
    consumer._acked[tp] = [2585, *consumer._acked[tp]]
    assert guarded_new_offset(consumer, tp, original, inflight) == 2590


def test_the_installed_guard_uses_the_workers_registry(consumer) -> None:
    from raqib.streams.guard import IN_FLIGHT

    tp = TP("raqib.events.candidates.v1", 3)
    consumer._committed_offset[tp] = None
    consumer._acked[tp] = [1, 2, 3]
    IN_FLIGHT.hold(tp, 0)
    try:
        assert consumer._new_offset(tp) is None
    finally:
        IN_FLIGHT.release(tp, 0)
    assert consumer._new_offset(tp) == 4

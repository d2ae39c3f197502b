"""What every agent does around its stage: decode, run off the loop, route failures to the DLQ, deliver, count.

An agent handles its input in small batches (``stream.take_events``) and sends all outputs of a
batch, then waits until the broker acknowledged every one of them before the batch is acked. So an
offset is only committed once everything derived from it is durably on its output topic
(at-least-once, never "acked but lost"). Failures of the *input* become DeadLetter records; failures
to *send* are retried with backoff and never acked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from faust.types import EventT, StreamT, TopicT
from pydantic import BaseModel

from schemas import encode
from stages.errors import StageError, dead_letter, failure_reason
from stages.ingest import content_key
from streams import metrics
from streams.audit import UNDELIVERED_BATCHES

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Output:
    """One message to send: topic, key, encoded value."""

    topic: TopicT
    key: str
    value: bytes


def decoded_key(event: EventT) -> str | None:
    """The input message's key as text (None when absent or not UTF-8)."""
    key = event.message.key
    if not key:
        return None
    try:
        return key.decode("utf-8") if isinstance(key, bytes) else str(key)
    except UnicodeDecodeError:
        return None


def message_key(event: EventT) -> str:
    """The input message's key as text, or a content hash of the key or value when it has no usable one."""
    key = decoded_key(event)
    if key:
        return key
    raw = event.message.key or event.message.value
    return content_key(raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogatepass"))


def dlq_output(
    dlq_topic: TopicT, stage: str, error: BaseException, event: EventT, key: str | None = None
) -> Output:
    """Route a failed input to the DLQ and count it."""
    message = event.message
    value = (
        message.value if isinstance(message.value, bytes) else str(message.value).encode("utf-8", "replace")
    )
    record = dead_letter(
        stage,
        error,
        value,
        key or message_key(event),
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )
    reason = failure_reason(error)
    metrics.MESSAGES.labels(stage, "dlq").inc()
    metrics.DLQ_MESSAGES.labels(stage, reason).inc()
    if not isinstance(error, StageError):
        log.exception("stage %s failed on key %s: routed to DLQ", stage, record.key, exc_info=error)
    return Output(dlq_topic, record.key or "", encode(record))


def output(topic: TopicT, key: str, model: BaseModel) -> Output:
    return Output(topic, key, encode(model))


async def deliver(outputs: Sequence[Output], *, max_backoff_s: float = 30.0) -> None:
    """Send all outputs and wait for the broker's acknowledgement of each; retry failures with backoff.

    ``force=True`` bypasses Faust's "attachments" (which would hold the send until the input offset is
    committed — a deadlock when we wait for the ack before acking the input ourselves).
    Never gives up while the worker runs: a broker that disappears leaves us retrying, and the input
    batch stays un-acked, so nothing is committed past what was delivered.
    """
    pending = list(outputs)
    attempt = 0
    while pending:
        futures = [
            await out.topic.send(key=out.key.encode("utf-8"), value=out.value, force=True) for out in pending
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [
            out for out, result in zip(pending, results, strict=True) if isinstance(result, BaseException)
        ]
        if not failed:
            return
        attempt += 1
        delay = min(0.2 * 2**attempt, max_backoff_s)
        first_error = next(r for r in results if isinstance(r, BaseException))
        log.warning("%d sends failed (%r); retrying in %.1fs", len(failed), first_error, delay)
        await asyncio.sleep(delay)
        pending = failed


class Held:
    """Hold a batch's messages un-acked until its outputs are delivered; on failure they stay un-acked.

    Faust's ``stream.take_events`` acks every event of a batch in a ``finally`` block: when the agent
    body raises or is cancelled (shutdown, crash, a send that raises before ``deliver`` can retry), the
    batch would still be acked and its offsets committed although nothing was delivered — a silent loss.
    We take one extra reference on each message for the duration of the batch and release it only after
    ``deliver`` returned, so ``take_events``' own ack is the final one only for a delivered batch. A failed
    batch stays un-acked: its partition's commit cannot pass it, and it is read again after a restart or
    rebalance (at-least-once; the deterministic keys make the repeat removable).
    """

    def __init__(self, events: Sequence[EventT]) -> None:
        self.events = events

    async def __aenter__(self) -> Held:
        for event in self.events:
            event.message.incref()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc_type is not None:
            UNDELIVERED_BATCHES.inc()
            log.error(
                "batch of %d not delivered (%s): left un-acked, it will be read again",
                len(self.events),
                exc_type.__name__,
            )
            return
        for event in self.events:
            event.ack()


def each_message(
    stage: str, dlq_topic: TopicT, events: Sequence[EventT], handle: Callable[[EventT], list[Output]]
) -> list[Output]:
    """Run ``handle`` on each message of a batch; count it in, and dead-letter any failure with its reason."""
    outputs: list[Output] = []
    for event in events:
        metrics.MESSAGES.labels(stage, "in").inc()
        try:
            outputs.extend(handle(event))
        except Exception as exc:  # every input failure, expected or not, ends on the DLQ
            outputs.append(dlq_output(dlq_topic, stage, exc, event))
    return outputs


#: UTF-8 bytes of an article message per NER token: Arabic letters take 2 bytes, a word ~5 letters + a
#: space, plus the JSON envelope (measured on the 300 news articles: 11-13).
BYTES_PER_TOKEN = 12


def ner_groups(events: Sequence[EventT], max_tokens: int) -> list[list[EventT]]:
    """Split a taken batch into Stanza calls: shortest message first, each group within ``max_tokens``.

    Why: one Stanza call over a batch makes every article in it wait for the longest. Tagging short
    articles first and delivering each group as soon as it is done takes the head-of-line blocking out
    of the latency tail, at the same total NER work (an article longer than the budget is a group alone).
    Token counts are estimated from message size, so the split costs no decoding.
    """
    ordered = sorted(events, key=lambda e: len(e.value or b""))
    groups: list[list[EventT]] = []
    current: list[EventT] = []
    used = 0
    for event in ordered:
        tokens = len(event.value or b"") // BYTES_PER_TOKEN
        if current and used + tokens > max_tokens:
            groups.append(current)
            current, used = [], 0
        current.append(event)
        used += tokens
    if current:
        groups.append(current)
    return groups


class OffLoop:
    """A single-thread executor per stage: CPU work runs off the asyncio loop, in order, one batch at a time."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"raqib-{name}")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)


async def process_batches(
    stream: StreamT,
    stage: str,
    pool: OffLoop,
    batch_fn: Callable[[Sequence[EventT]], list[Output]],
    size: int,
    within_s: float,
    split: Callable[[Sequence[EventT]], list[list[EventT]]] | None = None,
) -> None:
    """The body of every batched agent: take a batch, run the stage off the loop, deliver, then ack.

    ``split`` cuts a taken batch into parts that are processed and delivered one after the other (see
    ``ner_groups``); the batch is acked only when every part is delivered.
    """
    async for events in stream.take_events(size, within=within_s):
        async with Held(events):
            for part in split(events) if split is not None else [events]:
                with metrics.stage_timer(stage, len(part)):
                    outputs = await pool.run(batch_fn, part)
                await deliver(outputs)

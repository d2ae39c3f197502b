"""What every agent does around its stage: decode, run off the loop, route failures to the DLQ, deliver, count.

An agent handles its input in small batches (``stream.take_events``) and sends all outputs of a
batch, then waits until the broker acknowledged every one of them before the batch is acked. So an
offset is only committed once everything derived from it is durably on a topic (at-least-once,
never "acked but lost"). Failures of the *input* become DeadLetter records. Failures to *send* are
classified (``classify_send_error``):

- retriable (broker away, leader moving, request timed out): retried with exponential backoff and
  jitter (tenacity) for ``RAQIB_SEND_RETRY_BUDGET_S``;
- the record itself is refused (too large for the broker or client, corrupt): the output is replaced
  by a compact DeadLetter (``output_rejected``), so the article is accounted for and can be re-driven;
- anything else (not authorised, unknown topic, a bug) and an exhausted retry budget: ``Undeliverable``.
  The batch stays un-acked and pinned (``raqib.streams.guard``), and the worker stops (``stop_worker``):
  its replacement re-reads from the committed offset, which never passed the record.

Before any send, an output over ``RAQIB_MAX_MESSAGE_BYTES`` (the producer's ``max_request_size`` and
the topics' ``max.message.bytes``) becomes a compact DeadLetter (``output_too_large``).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from aiokafka.errors import (
    CorruptRecordException,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from faust.types import TP, EventT, StreamT, TopicT
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_random_exponential

from raqib.contracts import encode
from raqib.observability import health, metrics
from raqib.stages.errors import StageError, article_deadline, dead_letter, failure_reason, output_dead_letter
from raqib.stages.ingest import MAX_KEY_BYTES, cap_key, content_key
from raqib.streams.guard import IN_FLIGHT, InFlight

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Exit status of a worker that stopped because an output could not be delivered (EX_TEMPFAIL).
EXIT_UNDELIVERABLE = 75


@dataclass(frozen=True)
class Output:
    """One message to send: topic, key, encoded value (and a partition when it must be a given one)."""

    topic: TopicT
    key: str
    value: bytes
    partition: int | None = None


def decoded_key(event: EventT, max_key_bytes: int = MAX_KEY_BYTES) -> str | None:
    """The input message's key as text, cut to ``max_key_bytes`` (None when absent or not UTF-8)."""
    key = event.message.key
    if not key:
        return None
    try:
        text = key.decode("utf-8") if isinstance(key, bytes) else str(key)
    except UnicodeDecodeError:
        return None
    return cap_key(text, max_key_bytes)


def message_key(event: EventT, max_key_bytes: int = MAX_KEY_BYTES) -> str:
    """The input message's key as text, or a content hash of the key or value when it has no usable one."""
    key = decoded_key(event, max_key_bytes)
    if key:
        return key
    raw = event.message.key or event.message.value or b""
    return content_key(raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogatepass"))


def dlq_output(
    dlq_topic: TopicT,
    stage: str,
    error: BaseException,
    event: EventT,
    key: str | None = None,
    max_key_bytes: int = MAX_KEY_BYTES,
) -> Output:
    """Route a failed input to the DLQ and count it."""
    message = event.message
    raw = message.value
    value = raw if isinstance(raw, bytes) else (b"" if raw is None else str(raw).encode("utf-8", "replace"))
    record = dead_letter(
        stage,
        error,
        value,
        key or message_key(event, max_key_bytes),
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        max_key_bytes=max_key_bytes,
    )
    reason = failure_reason(error)
    metrics.MESSAGES.labels(stage, "dlq").inc()
    metrics.DLQ_MESSAGES.labels(stage, reason).inc()
    if not isinstance(error, StageError):
        log.exception("stage %s failed on key %s: routed to DLQ", stage, record.key, exc_info=error)
    return Output(dlq_topic, record.key or "", encode(record))


def output(topic: TopicT, key: str, model: BaseModel, partition: int | None = None) -> Output:
    return Output(topic, key, encode(model), partition)


# --- delivery ---------------------------------------------------------------------------------------

SendVerdict = Literal["retriable", "rejected", "fatal"]

#: The broker or client refuses this one record; other records of the topic would still go through.
_RECORD_REJECTIONS = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
)


def _kafka_cause(error: BaseException) -> BaseException:
    """The KafkaError behind Faust's ProducerSendError wrapper (``raise … from exc``), else the error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KafkaError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return error


def classify_send_error(error: BaseException) -> SendVerdict:
    """retriable: try again later; rejected: this record can never be sent; fatal: stop the worker."""
    cause = _kafka_cause(error)
    if isinstance(cause, _RECORD_REJECTIONS):
        return "rejected"
    if isinstance(cause, KafkaTimeoutError | KafkaConnectionError | asyncio.TimeoutError):
        return "retriable"  # aiokafka marks these non-retriable, but they are the broker being away
    if isinstance(cause, KafkaError) and getattr(cause, "retriable", False):
        return "retriable"
    return "fatal"


class Undeliverable(RuntimeError):
    """An output could not be delivered and must not be skipped: the worker stops, nothing is committed past it."""


class _RetryLater(Exception):
    """Raised inside the tenacity loop while retriable sends remain."""

    def __init__(self, pending: list[Output], first: BaseException) -> None:
        super().__init__(f"{len(pending)} sends to retry: {first!r}")
        self.pending = pending


def record_size(out: Output) -> int:
    """Bytes the record takes in a batch, computed the way aiokafka checks ``max_request_size``."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(out.key.encode("utf-8"), out.value, [])


@dataclass
class Delivery:
    """How outputs reach the broker: size check, classified errors, bounded retries, compact DLQ records."""

    dlq_topic: TopicT | None
    max_message_bytes: int = 1_000_000
    max_key_bytes: int = MAX_KEY_BYTES
    retry_budget_s: float = 300.0
    backoff_max_s: float = 30.0
    backoff_initial_s: float = 0.2

    def checked(self, outputs: Sequence[Output], stage: str) -> list[Output]:
        """Outputs with any record over the size limit replaced by its compact DeadLetter."""
        ready: list[Output] = []
        for out in outputs:
            size = record_size(out)
            if size <= self.max_message_bytes:
                ready.append(out)
                continue
            detail = (
                f"output for {out.topic.get_topic_name()} is {size} bytes, over the "
                f"{self.max_message_bytes}-byte limit (RAQIB_MAX_MESSAGE_BYTES)"
            )
            ready.append(self._dead(out, stage, "output_too_large", detail, size))
        return ready

    def _dead(self, out: Output, stage: str, reason: str, detail: str, size: int) -> Output:
        topic_name = out.topic.get_topic_name()
        if self.dlq_topic is None or topic_name == self.dlq_topic.get_topic_name():
            # a DeadLetter that cannot be sent cannot become another DeadLetter: stop instead
            raise Undeliverable(f"{reason}: {detail} (key {cap_key(out.key, 64)!r})")
        record = output_dead_letter(
            stage, reason, detail, topic_name, out.key, size, max_key_bytes=self.max_key_bytes
        )
        metrics.MESSAGES.labels(stage, "dlq").inc()
        metrics.DLQ_MESSAGES.labels(stage, reason).inc()
        log.error("stage %s: %s; dead-lettered as %s", stage, detail, reason)
        return Output(self.dlq_topic, record.key or "", encode(record))

    async def deliver(self, outputs: Sequence[Output], stage: str = "deliver") -> None:
        """Send every output and wait for each acknowledgement; raise Undeliverable when that cannot be."""
        pending = self.checked(outputs, stage)
        if not pending:
            return
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_RetryLater),
            wait=wait_random_exponential(multiplier=self.backoff_initial_s, max=self.backoff_max_s),
            stop=stop_after_delay(self.retry_budget_s),
            before_sleep=self._log_retry,
            reraise=True,
        )
        state = {"pending": pending}
        try:
            async for attempt in retrying:
                with attempt:
                    state["pending"] = await self._send_round(state["pending"], stage)
        except _RetryLater as exc:
            metrics.SEND_FAILURES.labels(stage, "retries_exhausted").inc()
            raise Undeliverable(
                f"{len(exc.pending)} outputs still failing after {self.retry_budget_s:.0f}s of retries: {exc}"
            ) from exc

    async def _send_round(self, pending: list[Output], stage: str) -> list[Output]:
        """One try at every pending output. Rejected ones come back as DeadLetters; retriable ones raise."""
        results: list[BaseException | None] = []
        futures: list[tuple[int, Awaitable[Any]]] = []
        for i, out in enumerate(pending):
            try:
                future = await out.topic.send(
                    key=out.key.encode("utf-8"), value=out.value, partition=out.partition, force=True
                )
            except Exception as exc:  # aiokafka raises some refusals synchronously (size, buffer full)
                results.append(exc)
                continue
            results.append(None)
            futures.append((i, future))
        acks = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        for (i, _), ack in zip(futures, acks, strict=True):
            if isinstance(ack, BaseException):
                results[i] = ack
        retry: list[Output] = []
        replaced: list[Output] = []
        first: BaseException | None = None
        for out, error in zip(pending, results, strict=True):
            if error is None:
                continue
            if isinstance(error, asyncio.CancelledError):
                raise error
            verdict = classify_send_error(error)
            metrics.SEND_FAILURES.labels(stage, verdict).inc()
            first = first or error
            if verdict == "retriable":
                retry.append(out)
            elif verdict == "rejected":
                detail = (
                    f"the broker/client refused the output: {type(_kafka_cause(error)).__name__}: {error}"
                )
                replaced.append(self._dead(out, stage, "output_rejected", detail, record_size(out)))
            else:
                raise Undeliverable(
                    f"send to {out.topic.get_topic_name()} failed with {type(error).__name__}: {error}"
                ) from error
        if replaced:
            retry.extend(replaced)  # the compact DeadLetters go out in the next round
            if len(retry) == len(replaced):
                return await self._send_round(retry, stage)
        if retry:
            raise _RetryLater(retry, first or RuntimeError("rejected outputs pending"))
        return []

    @staticmethod
    def _log_retry(retry_state: Any) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.warning("send attempt %d failed (%s); retrying in %.1fs", retry_state.attempt_number, exc, delay)


#: Set by raqib.streams.agents.pipeline from Settings (the DLQ topic and limits); a bare default for imports and tests.
DELIVERY = Delivery(dlq_topic=None)


def configure(delivery: Delivery) -> None:
    global DELIVERY
    DELIVERY = delivery


async def deliver(outputs: Sequence[Output], stage: str = "deliver") -> None:
    """Deliver with the worker's configured policy (see ``Delivery``)."""
    await DELIVERY.deliver(outputs, stage)


# --- holding a batch until it is delivered ---------------------------------------------------------


class Held:
    """Hold a batch's messages un-acked until its outputs are delivered; on failure they stay un-acked.

    Faust's ``stream.take_events`` acks every event of a batch in a ``finally`` block: when the agent
    body raises or is cancelled (shutdown, crash, a send that failed), the batch would still be acked
    and its offsets committed although nothing was delivered — a silent loss. We take one extra
    reference on each message for the duration of the batch and release it only after ``deliver``
    returned, so ``take_events``' own ack is the final one only for a delivered batch. Every offset is
    also registered in ``raqib.streams.guard.IN_FLIGHT``: a failed batch stays pinned there, so even Faust's
    gap logic (issue #606) cannot commit past it.
    """

    def __init__(self, events: Sequence[EventT], inflight: InFlight = IN_FLIGHT) -> None:
        self.events = events
        self.inflight = inflight

    def _tp(self, event: EventT) -> TP:
        message = event.message
        return (
            message.tp if getattr(message, "tp", None) is not None else TP(message.topic, message.partition)
        )

    async def __aenter__(self) -> Held:
        for event in self.events:
            event.message.incref()
            self.inflight.hold(self._tp(event), event.message.offset)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc_type is not None:
            metrics.UNDELIVERED_BATCHES.inc()
            for event in self.events:
                self.inflight.pin(self._tp(event), event.message.offset)
            log.error(
                "batch of %d not delivered (%s): left un-acked and pinned, it will be read again",
                len(self.events),
                exc_type.__name__,
            )
            return
        for event in self.events:
            event.ack()
            self.inflight.release(self._tp(event), event.message.offset)


# --- stopping the worker when an output cannot be delivered ---------------------------------------

_stopping = threading.Event()


def stop_worker(reason: BaseException, grace_s: float = 30.0) -> None:
    """Stop this worker process so that no commit can pass an undelivered record; exit non-zero.

    A graceful stop (SIGTERM: Faust commits what is safe, the guard keeps the commit below every pinned
    offset, the group is left at once) with a hard exit after ``grace_s``; the exit status is
    ``EXIT_UNDELIVERABLE`` either way, so supervisors (k8s, compose, the tests) see a failure and restart it.
    """
    if _stopping.is_set():
        return
    _stopping.set()
    metrics.WORKER_FATAL.inc()
    log.critical(
        "stopping the worker: %s: %s; pinned offsets %s stay uncommitted and are read again by the next owner",
        type(reason).__name__,
        reason,
        {f"{tp.topic}[{tp.partition}]": offset for tp, offset in IN_FLIGHT.pinned().items()},
    )
    atexit.register(os._exit, EXIT_UNDELIVERABLE)
    timer = threading.Timer(grace_s, os._exit, args=(EXIT_UNDELIVERABLE,))
    timer.daemon = True
    timer.start()
    os.kill(os.getpid(), signal.SIGTERM)


async def supervised(stage: str, body: Callable[[], Awaitable[None]]) -> None:
    """Run an agent body; any exception escaping it stops the worker (a restarted agent would skip on).

    Faust's supervisor restarts a crashed agent and reads on from the stream's position, past the batch
    that failed. Stopping the process instead is what makes the pinned batch the place the next owner
    starts from. Cancellation (shutdown, rebalance) is not a failure and passes through.
    """
    try:
        await body()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        metrics.AGENT_CRASHES.labels(stage).inc()
        stop_worker(exc)
        raise


# --- batches ---------------------------------------------------------------------------------------


@dataclass
class StageLimits:
    """Per-article limits every agent applies (from Settings)."""

    deadline_s: float | None = None
    max_key_bytes: int = MAX_KEY_BYTES


LIMITS = StageLimits()


def configure_limits(limits: StageLimits) -> None:
    global LIMITS
    LIMITS = limits


def each_message(
    stage: str, dlq_topic: TopicT, events: Sequence[EventT], handle: Callable[[EventT], list[Output]]
) -> list[Output]:
    """Run ``handle`` on each message of a batch under the per-article deadline; count it in, and
    dead-letter any failure with its reason."""
    outputs: list[Output] = []
    for event in events:
        metrics.MESSAGES.labels(stage, "in").inc()
        try:
            with article_deadline(LIMITS.deadline_s):
                outputs.extend(handle(event))
        except Exception as exc:  # every input failure, expected or not, ends on the DLQ
            outputs.append(dlq_output(dlq_topic, stage, exc, event, max_key_bytes=LIMITS.max_key_bytes))
    return outputs


#: UTF-8 bytes of an article message per NER token: Arabic letters take 2 bytes, a word ~5 letters + a
#: space, plus the JSON envelope (measured on the 300 news articles: 11-13).
BYTES_PER_TOKEN = 12


def size_groups(events: Sequence[EventT], max_bytes: int) -> list[list[EventT]]:
    """Split a taken batch into parts, smallest message first, each part within ``max_bytes`` of input.

    Why: one stage call over a batch makes every article in it wait for the slowest. Running small
    messages first and delivering each part as soon as it is done keeps a 1 MB page from holding the
    normal articles taken with it (a message over the budget is a part alone, run last).
    """
    ordered = sorted(events, key=lambda e: len(e.value or b""))
    groups: list[list[EventT]] = []
    current: list[EventT] = []
    used = 0
    for event in ordered:
        size = len(event.value or b"")
        if current and used + size > max_bytes:
            groups.append(current)
            current, used = [], 0
        current.append(event)
        used += size
    if current:
        groups.append(current)
    return groups


def ner_groups(events: Sequence[EventT], max_tokens: int) -> list[list[EventT]]:
    """Split a taken batch into Stanza calls: shortest message first, each group within ``max_tokens``.

    The same head-of-line argument as ``size_groups``, for NER: tagging short articles first and
    delivering each group as soon as it is done takes the long ones out of the latency tail, at the
    same total NER work. Token counts are estimated from message size, so the split costs no decoding.
    """
    return size_groups(events, max_tokens * BYTES_PER_TOKEN)


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
    ``ner_groups``); the batch is acked only when every part is delivered. Anything that escapes (an
    ``Undeliverable`` output) stops the worker with the batch pinned (``supervised``).
    """

    async def body() -> None:
        async for events in stream.take_events(size, within=within_s):
            async with Held(events):
                for part in split(events) if split is not None else [events]:
                    with metrics.stage_timer(stage, len(part)):
                        outputs = await pool.run(batch_fn, part)
                    await deliver(outputs, stage)
            health.HEALTH.batch_done()

    await supervised(stage, body)

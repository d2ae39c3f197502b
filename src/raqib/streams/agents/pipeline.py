"""The pipeline's Faust agents: each runs a stage of the chain (``raqib.pipeline.chain``) off the loop.

Each one: decode with the stage → process → send every route to its topic → count under the stage's name.
raw ─clean─▶ clean ─langid─▶ ar | other ─ner+link─▶ entities ─tag─▶ event candidates + enriched ─story─▶
events + alerts. Anything that fails goes to the DLQ with the stage's name and a reason (raqib.streams.agents.base).
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Sequence
from functools import partial
from typing import Any

from faust.types import EventT, StreamT, TopicT

from raqib.contracts import Event, LanguageTaggedArticle
from raqib.observability import health, metrics
from raqib.pipeline.chain import (
    ROUTE_TOPICS,
    STAGE_CLASSES,
    CleanStage,
    LangidStage,
    NerStage,
    OneByOne,
    Routed,
    StoryStage,
    TagStage,
    check_chain,
)
from raqib.pipeline.runtime import StageRuntime
from raqib.stages.errors import article_deadline
from raqib.stages.stories import cell_record
from raqib.streams.agents import alertmanager, base
from raqib.streams.agents.base import (
    Delivery,
    Held,
    OffLoop,
    Output,
    StageLimits,
    decoded_key,
    deliver,
    dlq_output,
    each_message,
    ner_groups,
    output,
    process_batches,
    size_groups,
    supervised,
)
from raqib.streams.agents.state import StoryStateStore
from raqib.streams.app import (
    alerts_topic,
    app,
    arabic_topic,
    clean_topic,
    dlq_topic,
    enriched_topic,
    entities_topic,
    event_candidates_topic,
    events_topic,
    other_topic,
    raw_topic,
    settings,
    story_state_topic,
)
from raqib.streams.reader import read_to_end

check_chain(STAGE_CLASSES)  # at worker start: each stage reads what the previous one writes
runtime = StageRuntime(settings)
_APP_TOPICS: dict[str, TopicT] = {
    t.get_topic_name(): t
    for t in (clean_topic, arabic_topic, other_topic, entities_topic, event_candidates_topic, enriched_topic,
              events_topic, alerts_topic)
}  # fmt: skip
#: (stage, route) → the app's topic object, from the chain's one table.
TOPIC_OF: dict[tuple[str, str], TopicT] = {key: _APP_TOPICS[spec.name] for key, spec in ROUTE_TOPICS.items()}
LIGHT_BATCH = 32
LIGHT_WAIT_S = 0.05
#: Light stages run a taken batch in parts of at most this much input, smallest first (raqib.streams.agents.base.size_groups).
LIGHT_PART_BYTES = 128 * 1024
light_parts = partial(size_groups, max_bytes=LIGHT_PART_BYTES)
base.configure(
    Delivery(
        dlq_topic=dlq_topic,
        max_message_bytes=settings.max_message_bytes,
        max_key_bytes=settings.max_key_bytes,
        retry_budget_s=settings.send_retry_budget_s,
        backoff_max_s=settings.send_backoff_max_s,
    )
)
base.configure_limits(StageLimits(deadline_s=settings.article_deadline_s, max_key_bytes=settings.max_key_bytes))


def _outputs(stage: OneByOne, routed: list[Routed]) -> list[Output]:
    """Each route of a stage's result to its topic, counted as the stage's output."""
    outputs = [output(TOPIC_OF[(stage.name, r.route)], r.key, r.message) for r in routed]
    metrics.MESSAGES.labels(stage.name, "out").inc()
    return outputs


def _run(stage: OneByOne, event: EventT) -> list[Routed]:
    """Decode a message with the stage's contract and process it (the caller holds the article deadline)."""
    return stage.process(stage.decode(event.value, decoded_key(event, settings.max_key_bytes)))


# --- clean ------------------------------------------------------------------------------------------
_clean_pool = OffLoop(CleanStage.name)


def clean_one(event: EventT) -> list[Output]:
    return _outputs(runtime.clean_stage, _run(runtime.clean_stage, event))


def clean_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message(runtime.clean_stage.name, dlq_topic, events, clean_one)


@app.agent(raw_topic)
async def clean_agent(stream: StreamT) -> None:
    await process_batches(
        stream, CleanStage.name, _clean_pool, clean_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- language ID ------------------------------------------------------------------------------------
_langid_pool = OffLoop(LangidStage.name)


def langid_one(event: EventT) -> list[Output]:
    stage = runtime.langid_stage
    [routed] = _run(stage, event)
    tagged = routed.message
    assert isinstance(tagged, LanguageTaggedArticle)
    metrics.LANGUAGES.labels(tagged.language.lang).inc()
    if routed.route == "arabic":
        return _outputs(stage, [routed])
    metrics.MESSAGES.labels(stage.name, "routed_other").inc()
    _observe_e2e(tagged.article.ingested_at.timestamp())
    return [output(TOPIC_OF[(stage.name, routed.route)], routed.key, tagged)]


def langid_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message(runtime.langid_stage.name, dlq_topic, events, langid_one)


@app.agent(clean_topic)
async def langid_agent(stream: StreamT) -> None:
    await process_batches(
        stream, LangidStage.name, _langid_pool, langid_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- NER + linking (batched Stanza) -----------------------------------------------------------------
_ner_pool = OffLoop(NerStage.name)


def ner_batch(events: Sequence[EventT]) -> list[Output]:
    """One Stanza call for the batch (the NER stage isolates a poison article), then linking per article."""
    ner, link = runtime.ner_stage, runtime.link_stage
    outputs: list[Output] = []
    decoded: list[tuple[EventT, LanguageTaggedArticle]] = []
    for event in events:
        metrics.MESSAGES.labels(ner.name, "in").inc()
        try:
            article = ner.decode(event.value, decoded_key(event, settings.max_key_bytes))
            decoded.append((event, ner.admit(article)))
        except Exception as exc:
            outputs.append(dlq_output(dlq_topic, ner.name, exc, event, max_key_bytes=settings.max_key_bytes))
    if not decoded:
        return outputs
    metrics.NER_BATCH_SIZE.observe(len(decoded))
    start = time.perf_counter()
    results = ner.process_batch([article for _, article in decoded])
    elapsed = time.perf_counter() - start
    tokens = sum(r[0].message.token_count for r in results if not isinstance(r, Exception))  # type: ignore[attr-defined]
    metrics.NER_TOKENS.inc(tokens)
    if elapsed > 0:
        metrics.NER_TOKENS_PER_S.set(tokens / elapsed)
    for (event, article), result in zip(decoded, results, strict=True):
        key = article.article.article_id
        if isinstance(result, Exception):
            outputs.append(dlq_output(dlq_topic, ner.name, result, event, key=key))
            continue
        try:
            with article_deadline(settings.article_deadline_s):
                linked = link.process(result[0].message)
        except Exception as exc:
            outputs.append(dlq_output(dlq_topic, link.name, exc, event, key=key))
            continue
        outputs.extend(output(TOPIC_OF[(link.name, r.route)], r.key, r.message) for r in linked)
        metrics.MESSAGES.labels(ner.name, "out").inc()  # the NER agent's output is the linked article
    return outputs


@app.agent(arabic_topic)
async def ner_agent(stream: StreamT) -> None:
    """Batches as taken, but tagged and delivered in short-first token-budget groups (see ner_groups)."""
    await process_batches(
        stream,
        NerStage.name,
        _ner_pool,
        ner_batch,
        settings.ner_batch_size,
        settings.ner_batch_wait_s,
        split=partial(ner_groups, max_tokens=settings.ner_group_tokens),
    )


# --- event tagging ----------------------------------------------------------------------------------
_tag_pool = OffLoop(TagStage.name)


def tag_one(event: EventT) -> list[Output]:
    stage = runtime.tag_stage
    routed = _run(stage, event)
    enriched = routed[-1].message
    _observe_e2e(enriched.ingested_at.timestamp())  # type: ignore[attr-defined]
    return _outputs(stage, routed)


def tag_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message(runtime.tag_stage.name, dlq_topic, events, tag_one)


@app.agent(entities_topic)
async def tag_agent(stream: StreamT) -> None:
    await process_batches(
        stream, TagStage.name, _tag_pool, tag_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- stories + alerts (stateful: durable cell state, see raqib.streams.agents.state) ------------------------------
_state_pool = OffLoop("story-state")


def _read_state_partition(partition: int) -> list[tuple[str | None, bytes | None]]:
    return [
        (record.key.decode("utf-8", "replace") if record.key else None, record.value)
        for record in read_to_end(settings, [(story_state_topic.get_topic_name(), partition)])
    ]


def _prune_entry(entry: dict[str, Any], now: float | None = None) -> None:
    """Suppression entries older than every rule's window are dropped (the state stays bounded)."""
    runtime.story_stage.prune(entry, time.time() if now is None else now)


STORY_STATE = StoryStateStore(_read_state_partition, prune=_prune_entry)


@app.on_partitions_revoked.connect
async def _forget_story_state(sender: object, revoked: set, **kwargs: object) -> None:
    STORY_STATE.forget(tp.partition for tp in revoked if tp.topic == event_candidates_topic.get_topic_name())


def place_stories(
    events: Sequence[EventT], now: float
) -> tuple[list[Output], list[Output], dict[int, dict[str, dict[str, Any]]], list[Any]]:
    """Stories and alerts for a batch against the loaded state, changing nothing yet.

    Returns (events + alerts + DLQ outputs, state outputs, changed cells per partition, alerts to push).
    """
    stage = runtime.story_stage
    outputs: list[Output] = []
    changed: dict[int, dict[str, dict[str, Any]]] = {}
    pushed: list[Any] = []
    for event in events:
        metrics.MESSAGES.labels(stage.name, "in").inc()
        partition = event.message.partition
        overlay = changed.setdefault(partition, {})
        view: ChainMap[str, dict[str, Any]] = ChainMap(overlay, STORY_STATE.cells(partition))
        try:
            candidate = stage.decode(event.value, None)
        except Exception as exc:  # keyed by the cell: the only key an undecodable candidate has
            outputs.append(dlq_output(dlq_topic, stage.name, exc, event, max_key_bytes=settings.max_key_bytes))
            continue
        try:
            routed = stage.place(candidate, view, now)
        except Exception as exc:  # keyed by the event id, which the audit looks for
            outputs.append(
                dlq_output(dlq_topic, stage.name, exc, event, key=candidate.event_id, max_key_bytes=settings.max_key_bytes)
            )
            continue
        placed = routed[0].message
        assert isinstance(placed, Event)
        outputs.extend(output(TOPIC_OF[(stage.name, r.route)], r.key, r.message) for r in routed)
        metrics.MESSAGES.labels(stage.name, "out").inc()
        admin1 = placed.location.admin1 if placed.location and placed.location.admin1 else "unknown"
        metrics.EVENTS.labels(placed.event_type, admin1).inc()
        pushed.extend(r.message for r in routed[1:])
    state_outputs = [
        output(story_state_topic, cell, cell_record(cell, entry), partition=partition)
        for partition, cells in changed.items()
        for cell, entry in cells.items()
    ]
    return outputs, state_outputs, changed, pushed


async def _story_batch(events: Sequence[EventT]) -> None:
    for partition in sorted({event.message.partition for event in events}):
        if not STORY_STATE.loaded(partition):
            STORY_STATE.install(partition, await _state_pool.run(STORY_STATE.load, partition))
    async with Held(events):
        name = runtime.story_stage.name
        with metrics.stage_timer(name, len(events)):
            outputs, state_outputs, changed, alerts = place_stories(events, time.time())
        await deliver(outputs, name)  # events and alerts first ...
        await deliver(state_outputs, name)  # ... then the state that says they were sent
        for partition, cells in changed.items():
            STORY_STATE.commit(partition, cells)
        for alert in alerts:
            metrics.ALERTS.labels(alert.rule_id, alert.severity).inc()
            if alertmanager.AlertmanagerPush.client is not None:
                alertmanager.AlertmanagerPush.client.enqueue(alert)
        if outputs:
            metrics.LAST_EVENT_TS.set(time.time())
    health.HEALTH.batch_done()


@app.agent(event_candidates_topic)
async def story_agent(stream: StreamT) -> None:
    """Stateful but light (a few dict look-ups per event), so it runs on the loop, in order."""

    async def body() -> None:
        async for events in stream.take_events(LIGHT_BATCH, within=LIGHT_WAIT_S):
            await _story_batch(events)

    await supervised(StoryStage.name, body)


def _observe_e2e(ingested_ts: float) -> None:
    metrics.E2E_LATENCY.observe(max(0.0, time.time() - ingested_ts))

"""The pipeline's Faust agents. Each one: decode → call the pure stage off the loop → send → count.

raw ─clean─▶ clean ─langid─▶ ar | other ─ner─▶ entities ─tag─▶ event candidates + enriched ─stories─▶ events ─▶ alerts
Anything that fails goes to the DLQ with a reason (see agents.base).
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Sequence
from functools import partial
from typing import Any

from faust.types import EventT, StreamT
from pydantic import ValidationError

from agents import alertmanager, base
from agents.base import (
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
from agents.state import StoryStateStore
from schemas import (
    CleanArticle,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    decode,
)
from stages.clean import clean_article
from stages.errors import InvalidInput, TooComplex, article_deadline, check_deadline
from stages.ingest import decode_raw_article
from stages.stories import StoryIndex, cell_record, story_cell
from streams import health, metrics
from streams.app import (
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
from streams.runtime import StageRuntime

runtime = StageRuntime(settings)
LIGHT_BATCH = 32
LIGHT_WAIT_S = 0.05
#: Light stages run a taken batch in parts of at most this much input, smallest first (agents.base.size_groups).
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


def _decode(model: type, event: EventT) -> object:
    """Decode an internal topic value; a contract violation is an input error, not a crash."""
    try:
        return decode(model, event.value)
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"not a valid {model.__name__}: {exc}".splitlines()[0], reason="contract") from exc


# --- clean ------------------------------------------------------------------------------------------
_clean_pool = OffLoop("clean")


def clean_one(event: EventT) -> list[Output]:
    raw = decode_raw_article(
        event.value,
        decoded_key(event, settings.max_key_bytes),
        max_bytes=settings.max_text_bytes,
        max_key_bytes=settings.max_key_bytes,
    )
    article = clean_article(
        raw,
        min_chars=settings.min_text_chars,
        max_bytes=settings.max_text_bytes,
        max_paragraphs=settings.max_paragraphs,
        max_segments=settings.max_offset_segments,
    )
    metrics.MESSAGES.labels("clean", "out").inc()
    return [output(clean_topic, article.article_id, article)]


def clean_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message("clean", dlq_topic, events, clean_one)


@app.agent(raw_topic)
async def clean_agent(stream: StreamT) -> None:
    await process_batches(
        stream, "clean", _clean_pool, clean_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- language ID ------------------------------------------------------------------------------------
_langid_pool = OffLoop("langid")


def langid_one(event: EventT) -> list[Output]:
    article = _decode(CleanArticle, event)
    tagged = runtime.langid.route(article)
    metrics.LANGUAGES.labels(tagged.language.lang).inc()
    if tagged.routed_to == "arabic":
        metrics.MESSAGES.labels("langid", "out").inc()
        return [output(arabic_topic, article.article_id, tagged)]
    metrics.MESSAGES.labels("langid", "routed_other").inc()
    _observe_e2e(article.ingested_at.timestamp())
    return [output(other_topic, article.article_id, tagged)]


def langid_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message("langid", dlq_topic, events, langid_one)


@app.agent(clean_topic)
async def langid_agent(stream: StreamT) -> None:
    await process_batches(
        stream, "langid", _langid_pool, langid_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- NER + linking (batched Stanza) -----------------------------------------------------------------
_ner_pool = OffLoop("ner")


def _ner_input(event: EventT) -> LanguageTaggedArticle:
    """Decode, and refuse an article whose NER would hold the stage (every partition of it) too long."""
    article = _decode(LanguageTaggedArticle, event)
    tokens = len(article.article.text.split())
    if tokens > settings.max_ner_tokens:
        raise TooComplex(
            f"{tokens} tokens, over the {settings.max_ner_tokens}-token NER cap (RAQIB_MAX_NER_TOKENS)"
        )
    return article


def ner_batch(events: Sequence[EventT]) -> list[Output]:
    """One Stanza call for the whole batch; if it fails, retry one by one to isolate the poison message."""
    outputs: list[Output] = []
    decoded: list[tuple[EventT, LanguageTaggedArticle]] = []
    for event in events:
        metrics.MESSAGES.labels("ner", "in").inc()
        try:
            decoded.append((event, _ner_input(event)))
        except Exception as exc:
            outputs.append(dlq_output(dlq_topic, "ner", exc, event, max_key_bytes=settings.max_key_bytes))
    if not decoded:
        return outputs
    metrics.NER_BATCH_SIZE.observe(len(decoded))
    start = time.perf_counter()
    try:
        tagged = runtime.ner.tag_batch([article for _, article in decoded])
        pairs = list(zip(decoded, tagged, strict=True))
    except Exception:
        pairs = []
        for event, article in decoded:
            try:
                pairs.append(((event, article), runtime.ner.tag_batch([article])[0]))
            except Exception as exc:
                outputs.append(dlq_output(dlq_topic, "ner", exc, event, key=article.article.article_id))
    elapsed = time.perf_counter() - start
    tokens = sum(result.token_count for _, result in pairs)
    metrics.NER_TOKENS.inc(tokens)
    if elapsed > 0:
        metrics.NER_TOKENS_PER_S.set(tokens / elapsed)
    for (event, article), result in pairs:
        try:
            with article_deadline(settings.article_deadline_s):
                linked = runtime.catalogue.link(result)
                check_deadline("link")
        except Exception as exc:
            outputs.append(dlq_output(dlq_topic, "link", exc, event, key=article.article.article_id))
            continue
        outputs.append(output(entities_topic, article.article.article_id, linked))
        metrics.MESSAGES.labels("ner", "out").inc()
    return outputs


@app.agent(arabic_topic)
async def ner_agent(stream: StreamT) -> None:
    """Batches as taken, but tagged and delivered in short-first token-budget groups (see ner_groups)."""
    await process_batches(
        stream,
        "ner",
        _ner_pool,
        ner_batch,
        settings.ner_batch_size,
        settings.ner_batch_wait_s,
        split=partial(ner_groups, max_tokens=settings.ner_group_tokens),
    )


# --- event tagging ----------------------------------------------------------------------------------
_tag_pool = OffLoop("tag")


def tag_one(event: EventT) -> list[Output]:
    article = _decode(EntityTaggedArticle, event)
    found = runtime.tagger.tag(article)
    outputs = [output(event_candidates_topic, story_cell(found_event), found_event) for found_event in found]
    enriched = EnrichedArticle.for_article(article, [found_event.event_id for found_event in found])
    outputs.append(output(enriched_topic, enriched.article_id, enriched))
    metrics.MESSAGES.labels("tag", "out").inc()
    _observe_e2e(enriched.ingested_at.timestamp())
    return outputs


def tag_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message("tag", dlq_topic, events, tag_one)


@app.agent(entities_topic)
async def tag_agent(stream: StreamT) -> None:
    await process_batches(
        stream, "tag", _tag_pool, tag_batch, LIGHT_BATCH, LIGHT_WAIT_S, split=light_parts
    )


# --- stories + alerts (stateful: durable cell state, see agents.state) ------------------------------
_state_pool = OffLoop("story-state")


def _read_state_partition(partition: int) -> list[tuple[str | None, bytes | None]]:
    from streams.audit import read_to_end

    return [
        (record.key.decode("utf-8", "replace") if record.key else None, record.value)
        for record in read_to_end(settings, [(story_state_topic.get_topic_name(), partition)])
    ]


def _prune_entry(entry: dict[str, Any], now: float | None = None) -> None:
    """Suppression entries older than every rule's window are dropped (the state stays bounded)."""
    alerted = dict(entry.get("alerted", {}))
    runtime.alert_rules.prune(alerted, time.time() if now is None else now)
    entry["alerted"] = alerted


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
    outputs: list[Output] = []
    changed: dict[int, dict[str, dict[str, Any]]] = {}
    pushed: list[Any] = []
    for event in events:
        metrics.MESSAGES.labels("story", "in").inc()
        partition = event.message.partition
        overlay = changed.setdefault(partition, {})
        view: ChainMap[str, dict[str, Any]] = ChainMap(overlay, STORY_STATE.cells(partition))
        try:
            candidate = _decode(Event, event)
        except Exception as exc:  # keyed by the cell: the only key an undecodable candidate has
            outputs.append(dlq_output(dlq_topic, "story", exc, event, max_key_bytes=settings.max_key_bytes))
            continue
        try:
            placed = StoryIndex(view).assign(candidate)
            cell = story_cell(placed)
            entry = dict(view.get(cell) or {"stories": []})
            alerted = dict(entry.get("alerted", {}))
            alerts = runtime.alert_rules.evaluate(placed, alerted, now)
        except Exception as exc:  # keyed by the event id, which the audit looks for
            outputs.append(
                dlq_output(dlq_topic, "story", exc, event, key=candidate.event_id, max_key_bytes=settings.max_key_bytes)
            )
            continue
        if alerts or cell in overlay:
            entry["alerted"] = alerted
            _prune_entry(entry, now)
            overlay[cell] = entry
        outputs.append(output(events_topic, placed.event_id, placed))
        metrics.MESSAGES.labels("story", "out").inc()
        admin1 = placed.location.admin1 if placed.location and placed.location.admin1 else "unknown"
        metrics.EVENTS.labels(placed.event_type, admin1).inc()
        for alert in alerts:
            outputs.append(output(alerts_topic, alert.alert_id, alert))
            pushed.append(alert)
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
        with metrics.stage_timer("story", len(events)):
            outputs, state_outputs, changed, alerts = place_stories(events, time.time())
        await deliver(outputs, "story")  # events and alerts first ...
        await deliver(state_outputs, "story")  # ... then the state that says they were sent
        for partition, cells in changed.items():
            STORY_STATE.commit(partition, cells)
        for alert in alerts:
            metrics.ALERTS.labels(alert.rule_id, alert.severity).inc()
            if alertmanager.client is not None:
                alertmanager.client.enqueue(alert)
        if outputs:
            metrics.LAST_EVENT_TS.set(time.time())
    health.HEALTH.batch_done()


@app.agent(event_candidates_topic)
async def story_agent(stream: StreamT) -> None:
    """Stateful but light (a few dict look-ups per event), so it runs on the loop, in order."""

    async def body() -> None:
        async for events in stream.take_events(LIGHT_BATCH, within=LIGHT_WAIT_S):
            await _story_batch(events)

    await supervised("story", body)


def _observe_e2e(ingested_ts: float) -> None:
    metrics.E2E_LATENCY.observe(max(0.0, time.time() - ingested_ts))

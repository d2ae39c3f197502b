"""The pipeline's Faust agents. Each one: decode → call the pure stage off the loop → send → count.

raw ─clean─▶ clean ─langid─▶ ar | other ─ner─▶ entities ─tag─▶ event candidates + enriched ─stories─▶ events ─▶ alerts
Anything that fails goes to the DLQ with a reason (see agents.base).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

from faust.types import EventT, StreamT
from pydantic import ValidationError

from agents import alertmanager
from agents.base import (
    Held,
    OffLoop,
    Output,
    decoded_key,
    deliver,
    dlq_output,
    each_message,
    ner_groups,
    output,
    process_batches,
)
from schemas import (
    CleanArticle,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    decode,
)
from stages.clean import clean_article
from stages.errors import InvalidInput
from stages.ingest import decode_raw_article
from stages.stories import StoryIndex, story_cell
from streams import metrics
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
)
from streams.runtime import StageRuntime

runtime = StageRuntime(settings)
LIGHT_BATCH = 32
LIGHT_WAIT_S = 0.05


def _decode(model: type, event: EventT) -> object:
    """Decode an internal topic value; a contract violation is an input error, not a crash."""
    try:
        return decode(model, event.value)
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"not a valid {model.__name__}: {exc}".splitlines()[0], reason="contract") from exc


# --- clean ------------------------------------------------------------------------------------------
_clean_pool = OffLoop("clean")


def clean_one(event: EventT) -> list[Output]:
    raw = decode_raw_article(event.value, decoded_key(event), max_bytes=settings.max_text_bytes)
    article = clean_article(raw, min_chars=settings.min_text_chars, max_bytes=settings.max_text_bytes)
    metrics.MESSAGES.labels("clean", "out").inc()
    return [output(clean_topic, article.article_id, article)]


def clean_batch(events: Sequence[EventT]) -> list[Output]:
    return each_message("clean", dlq_topic, events, clean_one)


@app.agent(raw_topic)
async def clean_agent(stream: StreamT) -> None:
    await process_batches(stream, "clean", _clean_pool, clean_batch, LIGHT_BATCH, LIGHT_WAIT_S)


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
    await process_batches(stream, "langid", _langid_pool, langid_batch, LIGHT_BATCH, LIGHT_WAIT_S)


# --- NER + linking (batched Stanza) -----------------------------------------------------------------
_ner_pool = OffLoop("ner")


def ner_batch(events: Sequence[EventT]) -> list[Output]:
    """One Stanza call for the whole batch; if it fails, retry one by one to isolate the poison message."""
    outputs: list[Output] = []
    decoded: list[tuple[EventT, LanguageTaggedArticle]] = []
    for event in events:
        metrics.MESSAGES.labels("ner", "in").inc()
        try:
            decoded.append((event, _decode(LanguageTaggedArticle, event)))
        except Exception as exc:
            outputs.append(dlq_output(dlq_topic, "ner", exc, event))
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
            linked = runtime.catalogue.link(result)
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
    await process_batches(stream, "tag", _tag_pool, tag_batch, LIGHT_BATCH, LIGHT_WAIT_S)


# --- stories + alerts (stateful: tables keyed by story cell) ----------------------------------------
#: Story state and alert-suppression state, per worker process. Candidates are keyed by story cell, so
#: every event of a cell reaches the same partition and therefore the same worker: the state is
#: consistent without cross-worker coordination. It is deliberately not a Faust Table: on the
#: embedded Tansu broker, table changelog writes intermittently stalled the producer (measured:
#: 1 stall in 4-8 runs, 0 in 8 without tables). After a restart or rebalance a cell's state starts
#: empty, so the next event of an old story is reported "new" once; alert ids stay deterministic
#: (rule + story), so a consumer de-duplicates any repeat.
STORY_STATE: dict[str, dict] = {}
ALERT_SUPPRESSION: dict[str, float] = {}


def _place_story(index: StoryIndex, event: EventT) -> list[Output]:
    """Story id/status from the story state, then the event and any alerts."""
    placed = index.assign(_decode(Event, event))
    alerts = runtime.alert_rules.evaluate(placed, ALERT_SUPPRESSION, time.time())
    outputs = [output(events_topic, placed.event_id, placed)]
    metrics.MESSAGES.labels("story", "out").inc()
    admin1 = placed.location.admin1 if placed.location and placed.location.admin1 else "unknown"
    metrics.EVENTS.labels(placed.event_type, admin1).inc()
    metrics.LAST_EVENT_TS.set(time.time())
    for alert in alerts:
        outputs.append(output(alerts_topic, alert.alert_id, alert))
        metrics.ALERTS.labels(alert.rule_id, alert.severity).inc()
        if alertmanager.client is not None:
            alertmanager.client.enqueue(alert)
    return outputs


@app.agent(event_candidates_topic)
async def story_agent(stream: StreamT) -> None:
    """Stateful but light (a few dict look-ups per event), so it runs on the loop, in order."""
    index = StoryIndex(STORY_STATE)
    async for events in stream.take_events(LIGHT_BATCH, within=LIGHT_WAIT_S):
        async with Held(events):
            with metrics.stage_timer("story", len(events)):
                outputs = each_message("story", dlq_topic, events, partial(_place_story, index))
            await deliver(outputs)


def _observe_e2e(ingested_ts: float) -> None:
    metrics.E2E_LATENCY.observe(max(0.0, time.time() - ingested_ts))

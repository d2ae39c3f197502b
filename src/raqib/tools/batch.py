"""Offline mode (``raqib batch``): the worker's chain of stages (``raqib.pipeline.chain``) in one process.

The same stage objects as the stream agents, in the same order, with the same failure handling: an input
that fails a stage ends on the dead-letter list with that stage's name and reason, and the others go on;
NER runs in batches and isolates a poison article as the worker does; stories and alert rules run on the
stage's in-process memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from raqib.contracts import (
    Alert,
    DeadLetter,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    encode,
)
from raqib.pipeline.chain import OneByOne, Result, Routed
from raqib.pipeline.runtime import StageRuntime
from raqib.stages.errors import article_deadline, dead_letter
from raqib.tools.progress import progress


@dataclass
class BatchResult:
    """Every input ends in exactly one of: enriched, other (non-Arabic), dead letters."""

    events: list[Event] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    enriched: list[EnrichedArticle] = field(default_factory=list)
    other: list[LanguageTaggedArticle] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Item:
    """One input on its way down the chain: its key, what the next stage reads, and that as bytes."""

    key: str
    message: Any
    value: bytes


def _one(stage: OneByOne, message: Any) -> Result:
    try:
        with article_deadline(stage.deadline_s):
            return stage.process(message)
    except Exception as exc:  # poison isolation: only this input fails
        return exc


def _step(
    stage: OneByOne, items: Sequence[_Item], results: Sequence[Result], dead: list[DeadLetter]
) -> list[tuple[_Item, list[Routed]]]:
    """Pair each input with its outputs; a failure becomes a DeadLetter under the stage's name."""
    done: list[tuple[_Item, list[Routed]]] = []
    for item, result in zip(items, results, strict=True):
        if isinstance(result, Exception):
            dead.append(dead_letter(stage.name, result, item.value, item.key))
        else:
            done.append((item, result))
    return done


def _next(routed: Routed) -> _Item:
    return _Item(routed.key, routed.message, encode(routed.message))


def _chain(
    items: Iterable[tuple[str, bytes]], runtime: StageRuntime, batch_size: int, show_progress: bool, result: BatchResult
) -> list[tuple[_Item, list[Routed]]]:
    """clean → langid → NER (batched) → link: the Arabic articles' link results; the rest sorted into result."""
    chain = runtime.chain
    arabic: list[_Item] = []
    for key, value in progress(items, desc="clean + langid", enabled=show_progress):
        raw_item = _Item(key, None, value)
        try:
            raw_item.message = chain.clean.decode(value, key)
        except Exception as exc:
            result.dead_letters.append(dead_letter(chain.clean.name, exc, value, key))
            continue
        cleaned = _step(chain.clean, [raw_item], [_one(chain.clean, raw_item.message)], result.dead_letters)
        if not cleaned:
            continue
        clean_item = _next(cleaned[0][1][0])
        for _, routed in _step(chain.langid, [clean_item], [_one(chain.langid, clean_item.message)], result.dead_letters):
            for r in routed:
                if r.route == "arabic":
                    arabic.append(_next(r))
                else:
                    result.other.append(r.message)  # type: ignore[arg-type]
    linked: list[tuple[_Item, list[Routed]]] = []
    with progress(total=len(arabic), desc="NER + linking", unit="article", enabled=show_progress) as bar:
        for offset in range(0, len(arabic), batch_size):
            chunk = arabic[offset : offset + batch_size]
            tagged = _step(chain.ner, chunk, chain.ner.process_batch([i.message for i in chunk]), result.dead_letters)
            items = [_next(routed[0]) for _, routed in tagged]
            linked.extend(_step(chain.link, items, [_one(chain.link, i.message) for i in items], result.dead_letters))
            bar.update(len(chunk))
    return linked


def linked_articles(
    items: Iterable[tuple[str, bytes]], runtime: StageRuntime, batch_size: int = 16
) -> list[EntityTaggedArticle]:
    """clean → langid → NER (batched) → link over (key, value) pairs: the Arabic articles as the tagger sees
    them (inputs that fail or are not Arabic are left out). Used by evaluation and training."""
    linked = _chain(items, runtime, batch_size, show_progress=True, result=BatchResult())
    return [routed[0].message for _, routed in linked]  # type: ignore[misc]


def run_batch(
    items: Iterable[tuple[str, bytes]],
    runtime: StageRuntime,
    batch_size: int = 16,
    show_progress: bool = True,
) -> BatchResult:
    """Run the whole chain over (key, value) pairs: events, alerts, enriched articles, routed aside, DLQ.

    Progress bars on a terminal (``raqib.tools.progress``): clean + langid, then NER + linking.
    """
    start = time.perf_counter()
    result = BatchResult()
    chain = runtime.chain
    linked = _chain(items, runtime, batch_size, show_progress, result)
    entity_items = [_next(routed[0]) for _, routed in linked]
    tagged = _step(chain.tag, entity_items, [_one(chain.tag, i.message) for i in entity_items], result.dead_letters)
    for _, routed in tagged:
        candidates = [_next(r) for r in routed if r.route == "candidates"]
        placed = _step(chain.story, candidates, [_one(chain.story, c.message) for c in candidates], result.dead_letters)
        for _, story_routed in placed:
            for r in story_routed:
                (result.events if r.route == "events" else result.alerts).append(r.message)  # type: ignore[arg-type]
        result.enriched.extend(r.message for r in routed if r.route == "enriched")  # type: ignore[misc]
    result.seconds = time.perf_counter() - start
    return result

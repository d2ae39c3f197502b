"""Offline mode (``raqib batch``): the same stages as the stream agents, in one process, no broker."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas import DeadLetter, EnrichedArticle, EntityTaggedArticle, Event, LanguageTaggedArticle
from stages.clean import clean_article
from stages.errors import dead_letter
from stages.ingest import decode_raw_article
from streams.progress import progress
from streams.runtime import StageRuntime


@dataclass
class BatchResult:
    """Every input ends in exactly one of: enriched, other (non-Arabic), dead letters."""

    events: list[Event] = field(default_factory=list)
    enriched: list[EnrichedArticle] = field(default_factory=list)
    other: list[LanguageTaggedArticle] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    seconds: float = 0.0


def linked_articles(
    items: Iterable[tuple[str, bytes]], runtime: StageRuntime, batch_size: int = 16
) -> list[EntityTaggedArticle]:
    """clean → langid → NER (batched) → link over (key, value) pairs: the Arabic articles as the tagger sees
    them (inputs that fail or are not Arabic are left out). Used by evaluation and training."""
    settings = runtime.settings
    arabic: list[LanguageTaggedArticle] = []
    for key, value in items:
        raw = decode_raw_article(value, key, max_bytes=settings.max_text_bytes)
        clean = clean_article(raw, min_chars=settings.min_text_chars, max_bytes=settings.max_text_bytes)
        tagged = runtime.langid.route(clean)
        if tagged.routed_to == "arabic":
            arabic.append(tagged)
    out: list[EntityTaggedArticle] = []
    with progress(total=len(arabic), desc="NER + linking", unit="article") as bar:
        for offset in range(0, len(arabic), batch_size):
            chunk = arabic[offset : offset + batch_size]
            out.extend(runtime.catalogue.link(a) for a in runtime.ner.tag_batch(chunk))
            bar.update(len(chunk))
    return out


def run_batch(
    items: Iterable[tuple[str, bytes]],
    runtime: StageRuntime,
    batch_size: int = 16,
    show_progress: bool = True,
) -> BatchResult:
    """Run clean → langid → NER (batched) → link → tag → stories over (key, value) pairs.

    Two progress bars on a terminal (``streams.progress``): clean + langid, then NER + tagging (the slow part).
    """
    from stages.stories import StoryIndex

    start = time.perf_counter()
    result = BatchResult()
    settings = runtime.settings
    arabic: list[tuple[str, bytes, LanguageTaggedArticle]] = []
    for key, value in progress(items, desc="clean + langid", enabled=show_progress):
        try:
            raw = decode_raw_article(value, key, max_bytes=settings.max_text_bytes)
            clean = clean_article(raw, min_chars=settings.min_text_chars, max_bytes=settings.max_text_bytes)
            tagged = runtime.langid.route(clean)
        except Exception as exc:
            result.dead_letters.append(dead_letter("clean", exc, value, key))
            continue
        if tagged.routed_to == "arabic":
            arabic.append((key, value, tagged))
        else:
            result.other.append(tagged)

    stories = StoryIndex({})
    bar = progress(total=len(arabic), desc="NER + tagging", enabled=show_progress)
    for offset in range(0, len(arabic), batch_size):
        chunk = arabic[offset : offset + batch_size]
        entity_articles = runtime.ner.tag_batch([tagged for _, _, tagged in chunk])
        for (key, value, _tagged), ents in zip(chunk, entity_articles, strict=True):
            try:
                linked = runtime.catalogue.link(ents)
                events = [stories.assign(event) for event in runtime.tagger.tag(linked)]
            except Exception as exc:
                result.dead_letters.append(dead_letter("tag", exc, value, key))
                continue
            result.events.extend(events)
            result.enriched.append(EnrichedArticle.for_article(linked, [event.event_id for event in events]))
        bar.update(len(chunk))
    bar.close()
    result.seconds = time.perf_counter() - start
    return result

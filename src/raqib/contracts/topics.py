"""Every topic raqib reads or writes, declared once: name, message schema, key."""

from __future__ import annotations

from dataclasses import dataclass, field

from raqib.contracts import (
    Alert,
    DeadLetter,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    MetricsSnapshot,
)
from raqib.contracts.articles import CleanArticle
from raqib.contracts.ops import StoryCellState


@dataclass(frozen=True)
class TopicSpec:
    """A topic's contract. ``schema`` is None for the raw topic, whose values are whatever producers send."""

    name: str
    schema: type | None
    key: str
    description: str
    internal: bool = False
    #: topic configs beyond the defaults every raqib topic gets (raqib.tools.admin.topic_configs)
    config: dict[str, str] = field(default_factory=dict)


RAW = TopicSpec(
    "raqib.articles.raw.v1", None, "article id or content hash", "Raw articles: JSON or plain UTF-8 text."
)
CLEAN = TopicSpec(
    "raqib.articles.clean.v1", CleanArticle, "article_id", "Boilerplate and repeats removed, dates found."
)
ARABIC = TopicSpec("raqib.articles.ar.v1", LanguageTaggedArticle, "article_id", "Arabic articles, on to NER.")
OTHER = TopicSpec(
    "raqib.articles.other.v1", LanguageTaggedArticle, "article_id", "Non-Arabic: routed aside, kept."
)
ENTITIES = TopicSpec(
    "raqib.articles.entities.v1", EntityTaggedArticle, "article_id", "NER + linked entities."
)
EVENT_CANDIDATES = TopicSpec(
    "raqib.events.candidates.v1",
    Event,
    "story cell (event family + place)",
    "Tagged events re-keyed by story cell so one partition sees all candidates of a cell.",
    internal=True,
)
EVENTS = TopicSpec("raqib.events.v1", Event, "event_id", "One record per distinct event, with story id.")
ENRICHED = TopicSpec(
    "raqib.articles.enriched.v1",
    EnrichedArticle,
    "article_id",
    "Terminal record per Arabic article (events or not).",
)
ALERTS = TopicSpec("raqib.alerts.v1", Alert, "alert_id", "Events that matched an alert rule.")
METRICS = TopicSpec("raqib.metrics.v1", MetricsSnapshot, "worker_id", "Periodic metrics snapshots.")
DLQ = TopicSpec(
    "raqib.dlq.v1", DeadLetter, "original key", "Anything a stage could not process, with the reason."
)
STORY_STATE = TopicSpec(
    "raqib.state.stories.v1",
    StoryCellState,
    "story cell (same partition as the cell's event candidates)",
    "Story clustering and alert-suppression state per cell, written after the cell's outputs are "
    "delivered; read back on partition assignment (compacted: the latest state per cell).",
    internal=True,
    config={"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW,
    CLEAN,
    ARABIC,
    OTHER,
    ENTITIES,
    EVENT_CANDIDATES,
    EVENTS,
    ENRICHED,
    ALERTS,
    METRICS,
    DLQ,
    STORY_STATE,
)

#: Where every raw message must end: exactly one of these per raw key (the "nothing lost" ledger).
TERMINAL_TOPICS: tuple[TopicSpec, ...] = (ENRICHED, OTHER, DLQ)

BY_NAME: dict[str, TopicSpec] = {spec.name: spec for spec in ALL_TOPICS}

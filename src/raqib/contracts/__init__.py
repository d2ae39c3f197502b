"""Contracts: one pydantic model per topic message, serialised with orjson (see codec)."""

from raqib.contracts.articles import (
    CleanArticle,
    CleaningStats,
    DateCandidate,
    EnrichedArticle,
    Entity,
    EntityTaggedArticle,
    LanguageInfo,
    LanguageTaggedArticle,
    OffsetSegment,
    RawArticle,
    SentenceSpan,
)
from raqib.contracts.base import Message, stable_id, utc_now
from raqib.contracts.codec import decode, encode
from raqib.contracts.events import ACLED_SUBTYPES, ActorRef, Count, Event, Evidence, Location, SideCount
from raqib.contracts.ops import Alert, DeadLetter, MetricsSnapshot

__all__ = [
    "ACLED_SUBTYPES",
    "ActorRef",
    "Alert",
    "CleanArticle",
    "CleaningStats",
    "Count",
    "DateCandidate",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "EntityTaggedArticle",
    "Event",
    "Evidence",
    "LanguageInfo",
    "LanguageTaggedArticle",
    "Location",
    "Message",
    "MetricsSnapshot",
    "OffsetSegment",
    "RawArticle",
    "SentenceSpan",
    "SideCount",
    "decode",
    "encode",
    "stable_id",
    "utc_now",
]

"""Contracts: one pydantic model per topic message, serialised with orjson (see codec)."""

from schemas.articles import (
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
from schemas.base import Message, stable_id, utc_now
from schemas.codec import decode, encode
from schemas.events import ACLED_SUBTYPES, ActorRef, Count, Event, Evidence, Location, SideCount
from schemas.ops import Alert, DeadLetter, MetricsSnapshot

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

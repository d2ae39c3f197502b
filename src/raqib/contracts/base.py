"""Shared base for every topic message: versioned, strict, orjson-friendly."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utc_now() -> datetime:
    """Timezone-aware now; every timestamp on our topics is UTC."""
    return datetime.now(UTC)


def stable_id(prefix: str, *parts: object, length: int = 16) -> str:
    """Deterministic id from parts, so a replay produces the same key and can be de-duplicated."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}-{digest[:length]}"


class Message(BaseModel):
    """Base of every message that travels on a raqib topic.

    ``SCHEMA_VERSION`` is bumped on breaking changes; consumers check ``schema_version``.
    Unknown fields are rejected so a producer's typo fails loudly rather than silently.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)

    schema_version: int = Field(default=1, description="Version of this message's schema.")

    @field_validator("schema_version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value != cls.SCHEMA_VERSION:
            raise ValueError(
                f"{cls.__name__} schema_version {value} is not supported (expected {cls.SCHEMA_VERSION})"
            )
        return value

"""The one codec for every topic: pydantic model ⇄ orjson bytes."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    """Serialise a message to compact JSON bytes (UTC datetimes as ISO 8601)."""
    return orjson.dumps(model.model_dump(mode="json", exclude_none=False))


def decode(model_type: type[M], data: bytes | str) -> M:
    """Parse bytes produced by :func:`encode` (or any JSON of the same shape) into ``model_type``."""
    return model_type.model_validate(orjson.loads(data))

"""Errors a pure stage raises for bad input. Agents turn them into DeadLetter records (never crash)."""

from __future__ import annotations

import base64

from schemas import DeadLetter


class StageError(Exception):
    """Base: the input cannot be processed by this stage. ``reason`` is a short machine-readable code."""

    reason = "stage_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class InvalidInput(StageError):
    """Wrong shape, wrong types, bad encoding, not JSON of the expected form."""

    reason = "invalid_input"


class EmptyText(StageError):
    """No usable text (empty, whitespace, or nothing left after cleaning)."""

    reason = "empty_text"


class TextTooLarge(StageError):
    """Text over the configured size cap."""

    reason = "text_too_large"


#: Cap on the original value kept in a DLQ record, so a 10 MB garbage message does not make a 10 MB DLQ record.
DLQ_ORIGINAL_CAP_BYTES = 64 * 1024


def failure_reason(error: BaseException) -> str:
    """Machine-readable reason: the StageError's own, else 'internal_error' (a bug, not bad input)."""
    return error.reason if isinstance(error, StageError) else "internal_error"


def dead_letter(
    stage: str,
    error: BaseException,
    value: bytes,
    key: str | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> DeadLetter:
    """The DeadLetter record for a failed input: reason, and the original (text if UTF-8, else base64, capped)."""
    kept = value[:DLQ_ORIGINAL_CAP_BYTES]
    try:
        original, encoding = kept.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(kept).decode("ascii"), "base64"
    name = type(error).__name__
    return DeadLetter(
        stage=stage,
        error_class=f"{name}:{error.reason}" if isinstance(error, StageError) else name,
        message=str(error)[:2000] or name,
        original=original,
        original_encoding=encoding,
        original_size=len(value),
        truncated=len(value) > len(kept),
        key=key,
        topic=topic,
        partition=partition,
        offset=offset,
    )

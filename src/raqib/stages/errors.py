"""Errors a pure stage raises for bad input. Agents turn them into DeadLetter records (never crash)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from raqib.contracts import DeadLetter


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


class TooComplex(StageError):
    """Within the size cap, but over a complexity cap (paragraphs, offset-map segments, NER tokens):
    processing it would hold the stage, and every partition it serves, for too long."""

    reason = "too_complex"


class DeadlineExceeded(StageError):
    """The article used up its per-stage time budget (load-dependent, so worth a re-drive later)."""

    reason = "deadline_exceeded"


_deadline: ContextVar[float | None] = ContextVar("raqib_article_deadline", default=None)


@contextmanager
def article_deadline(seconds: float | None) -> Iterator[None]:
    """Give the article processed inside the block ``seconds`` of wall time (``check_deadline`` enforces it).

    Cooperative by design: Python cannot interrupt a thread, so long loops call ``check_deadline``; the
    complexity caps bound the work between two checks.
    """
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check_deadline(where: str) -> None:
    """Raise DeadlineExceeded when the current article's deadline has passed (no-op without one)."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded(f"per-article deadline exceeded in {where}")


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
    max_key_bytes: int = 256,
) -> DeadLetter:
    """The DeadLetter record for a failed input: reason, and the original (text if UTF-8, else base64, capped).

    The key is cut like every article id (``raqib.stages.ingest.cap_key``), the full key's SHA-1 kept beside it.
    """
    from raqib.stages.ingest import cap_key

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
        key=cap_key(key, max_key_bytes) if key is not None else None,
        key_sha1=key_sha1(key) if key is not None and cap_key(key, max_key_bytes) != key else None,
        topic=topic,
        partition=partition,
        offset=offset,
        reason=failure_reason(error),
    )


def key_sha1(key: str) -> str:
    """SHA-1 of a key's UTF-8 bytes (lone surrogates kept), for records whose key had to be cut."""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def output_dead_letter(
    stage: str,
    reason: str,
    detail: str,
    output_topic: str,
    key: str,
    size: int,
    *,
    max_key_bytes: int = 256,
) -> DeadLetter:
    """A compact DeadLetter for an output that cannot be delivered: its size and key hash, not its bytes.

    The article is re-drivable from the raw topic by key (``raqib audit --redrive-dlq``); the output itself
    is exactly what could not be sent, so copying it here would fail the same way.
    """
    from raqib.stages.ingest import cap_key

    return DeadLetter(
        stage=stage,
        error_class=f"Undeliverable:{reason}",
        message=detail[:2000],
        original="",
        original_encoding="utf-8",
        original_size=size,
        truncated=size > 0,
        key=cap_key(key, max_key_bytes),
        key_sha1=key_sha1(key),
        reason=reason,
        output_topic=output_topic,
    )

"""Errors a pure stage raises for bad input. Agents turn them into DeadLetter records (never crash)."""

from __future__ import annotations


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

"""Operational messages: alerts, dead letters and metrics snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from schemas.base import Message, utc_now
from schemas.events import Event

Severity = Literal["info", "warning", "critical"]


class Alert(Message):
    """An event that matched an alert rule, on ``raqib.alerts.v1`` (key: alert_id).

    Version 2: the embedded ``event`` is an Event of version 2.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    schema_version: int = Field(default=2, description="Version of this message's schema.")

    alert_id: str = Field(description="Deterministic: rule id + story id, so one story alerts once per rule.")
    rule_id: str = Field(description="Id of the alert rule that matched.")
    rule_name: str = Field(description="Human-readable rule name.")
    severity: Severity = Field(description="Rule severity: info, warning or critical.")
    summary: str = Field(description="One line an on-call analyst can read on a phone.")
    story_id: str = Field(
        description="Story the event belongs to (one alert per rule and story within the window)."
    )
    event: Event = Field(description="The event that matched, in full.")
    created_at: datetime = Field(default_factory=utc_now, description="When the alert was raised.")


class DeadLetter(Message):
    """A message a stage could not process, with the reason, on ``raqib.dlq.v1``. Never dropped silently."""

    stage: str = Field(description="Stage that failed: decode, clean, langid, ner, tag, alert.")
    error_class: str = Field(
        description="Exception class or error category, e.g. 'JSONDecodeError', 'EmptyText'."
    )
    message: str = Field(description="Human-readable reason.")
    original: str = Field(description="The original value: text when valid UTF-8, else base64.")
    original_encoding: Literal["utf-8", "base64"] = Field(description="How 'original' is encoded.")
    original_size: int = Field(
        ge=0, description="Size of the original value in bytes (it may be truncated here)."
    )
    truncated: bool = Field(default=False, description="True when 'original' was cut to the DLQ size cap.")
    key: str | None = Field(default=None, description="Message key (decoded), used for accounting.")
    topic: str | None = Field(default=None, description="Topic the failed message was read from.")
    partition: int | None = Field(default=None, description="Partition of the failed message.")
    offset: int | None = Field(default=None, description="Offset of the failed message.")
    failed_at: datetime = Field(default_factory=utc_now, description="When the stage gave up on it.")


class MetricsSnapshot(Message):
    """Periodic summary of a worker's counters, on ``raqib.metrics.v1`` (for consumers without Prometheus)."""

    worker_id: str = Field(description="Which worker took the snapshot.")
    taken_at: datetime = Field(default_factory=utc_now, description="When the snapshot was taken.")
    uptime_s: float = Field(ge=0, description="Seconds since the worker started.")
    messages: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="stage → outcome → count since start."
    )
    events_by_type: dict[str, float] = Field(
        default_factory=dict, description="Events emitted per ACLED type since start."
    )
    stage_latency_p50_ms: dict[str, float] = Field(
        default_factory=dict, description="Median per-stage latency in milliseconds."
    )
    consumer_lag: dict[str, float] = Field(
        default_factory=dict, description="'topic[partition]' → lag in messages."
    )

"""Operational messages: alerts, dead letters and metrics snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from raqib.contracts.base import Message, utc_now
from raqib.contracts.events import Event

Severity = Literal["info", "warning", "critical"]


class Alert(Message):
    """An event that matched an alert rule, on ``raqib.alerts.v1`` (key: alert_id).

    Version 2: the embedded ``event`` is an Event of version 2.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    schema_version: int = Field(default=2, description="Version of this message's schema.")

    alert_id: str = Field(
        description="Deterministic, from the event alone: rule id + story cell + incident day, so a replay, "
        "a restart or another worker gives the same id (raqib.stages.alerts.alert_id)."
    )
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

    stage: str = Field(description="Stage that failed (the chain's stage names: clean, langid, ner, link, tag, story).")
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
    reason: str = Field(
        default="internal_error",
        description="Machine-readable reason (empty_text, too_complex, output_too_large, internal_error, …): "
        "what `raqib audit --redrive-dlq REASON` selects on.",
    )
    key_sha1: str | None = Field(
        default=None, description="SHA-1 of the full key, when 'key' had to be cut (raqib.stages.ingest.cap_key)."
    )
    output_topic: str | None = Field(
        default=None,
        description="For output_too_large / output_rejected: the topic the undeliverable output was for.",
    )


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


class StoryRecord(BaseModel):
    """One open story of a cell: what the next report of the incident is compared with."""

    model_config = ConfigDict(extra="forbid")

    story_id: str = Field(description="Deterministic: cell + the story's first event id.")
    event_type: str = Field(description="ACLED type of the story's first event.")
    first_date: date = Field(description="Earliest event date in the story.")
    last_date: date = Field(description="Latest event date in the story.")
    actors: dict[str, list[str]] = Field(
        default_factory=dict, description="'actor1'/'actor2' → actor ids seen on that side."
    )
    deaths: int | None = Field(default=None, description="Highest fatality figure reported so far.")
    event_ids: list[str] = Field(
        default_factory=list, description="Latest event ids of the story (a replay is recognised by them)."
    )


class StoryCellState(Message):
    """Story and alert-suppression state of one story cell, on ``raqib.state.stories.v1`` (key: the cell).

    Written by the story agent after the cell's events and alerts were acknowledged, to the same partition
    number as the cell's candidates, so the worker that is assigned the candidates partition reads it back.
    """

    cell: str = Field(description="Story cell: event family + place (raqib.stages.stories.story_cell).")
    stories: list[StoryRecord] = Field(default_factory=list, description="Open stories, oldest first.")
    alerted: dict[str, float] = Field(
        default_factory=dict,
        description="Suppression: alert key (alert id, or rule + story) → Unix time it last alerted.",
    )
    updated_at: datetime = Field(default_factory=utc_now, description="When this state was written.")

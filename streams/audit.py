"""End-to-end audit: every raw article must reach a terminal topic; find the ones that did not and re-drive them.

Kafka offsets are per topic and per consumer group: a committed offset that moves past unprocessed
records on an intermediate topic loses them silently (nothing downstream ever hears of them). The only
check that sees a loss anywhere is by key, end to end: a raw record whose key has no record on
``enriched``, ``other`` or the DLQ after a grace period is missing. ``reconcile`` scans the raw topic and
the terminal topics, counts missing keys and duplicate deliveries (metrics), and can re-produce the
missing raw values under their own keys — the pipeline's keys are deterministic, so a re-driven
article that was only late becomes a duplicate a consumer removes by key, never a second article.

Run it periodically (``python -m streams.audit --redrive`` as a CronJob, or in-process), or use
``Accounting`` directly in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, push_to_gateway

from streams import topics
from streams.progress import progress
from streams.settings import Settings

UNDELIVERED_BATCHES = Counter(
    "raqib_undelivered_batches_total",
    "Agent batches whose outputs were not delivered (left un-acked, read again after restart/rebalance).",
)
_MISSING_DOC = "Raw keys older than the grace period with no terminal record (last audit)."
_DUPLICATES_DOC = "Extra terminal deliveries of already-accounted keys (last audit)."
AUDIT_MISSING = Gauge("raqib_audit_missing_keys", _MISSING_DOC)
AUDIT_DUPLICATES = Gauge("raqib_audit_duplicate_deliveries", _DUPLICATES_DOC)
AUDIT_REDRIVEN = Counter("raqib_audit_redriven_total", "Raw records re-produced by the audit.")
AUDIT_RUNS = Counter("raqib_audit_runs_total", "Completed audits.")


def terminal_candidates(key: str | None, value: bytes) -> set[str]:
    """Keys under which a raw record can end on a terminal topic: its message key, its JSON id, its content key."""
    from streams.sources import key_for_value

    found: set[str] = {key} if key else set()
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("id"), str | int) and payload.get("id") != "":
        found.add(str(payload["id"]))
    if not found:
        found.add(key_for_value(value))
    return found


@dataclass
class Accounting:
    """Raw records in, terminal records out, by key."""

    raw: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    raw_candidates: dict[str, set[str]] = field(default_factory=dict)
    terminal: Tally[str] = field(default_factory=Tally)
    terminal_digests: dict[str, set[bytes]] = field(default_factory=dict)

    def add_raw(self, key: str | None, value: bytes, timestamp_s: float) -> None:
        candidates = terminal_candidates(key, value)
        main = key or min(candidates)
        self.raw[main] = (value, timestamp_s)
        self.raw_candidates[main] = candidates

    def add_terminal(self, key: str, value: bytes, topic: str) -> None:
        self.terminal[key] += 1
        self.terminal_digests.setdefault(key, set()).add(stable_content(topic, value))

    def missing(self, older_than_s: float | None = None) -> list[str]:
        """Raw keys with no terminal record (only those produced before ``older_than_s``, when given)."""
        return sorted(
            key
            for key, (_, ts) in self.raw.items()
            if (older_than_s is None or ts <= older_than_s)
            and not any(c in self.terminal for c in self.raw_candidates[key])
        )

    def duplicate_deliveries(self) -> int:
        return sum(count - 1 for count in self.terminal.values() if count > 1)

    def deduplicated(self) -> set[str]:
        """Terminal keys after removing repeats by key: what a consumer keeps."""
        return set(self.terminal)

    def divergent_duplicates(self) -> list[str]:
        """Keys delivered more than once with *different* content (a repeat that is not removable by key)."""
        return sorted(key for key, digests in self.terminal_digests.items() if len(digests) > 1)


def stable_content(topic: str, value: bytes) -> bytes:
    """The part of a terminal record that must be identical on a redelivery (timestamps excluded)."""
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value
    if not isinstance(payload, dict):
        return value
    if topic == topics.DLQ.name:
        keep: object = {k: payload.get(k) for k in ("key", "stage", "error_class", "original_size")}
    else:
        keep = _without_times(payload)
    return orjson.dumps(keep, option=orjson.OPT_SORT_KEYS)


def _without_times(value: object) -> object:
    """Drop ``*_at`` fields at any depth: a reprocessed article gets a new ingest/processing time."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def read_topics(
    settings: Settings, names: Iterable[str], idle_s: float = 1.5
) -> Iterator[tuple[str, str | None, bytes, float]]:
    """(topic, key, value, timestamp_s) of every record, from the beginning until the topics are idle.

    Stops on idleness, not on end offsets: the embedded broker's ListOffsets is wrong for multi-record
    batches (measured: 271 reported for 500 records), so "read to the end offset" would stop early there.
    """
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        **settings.kafka_security_kwargs(),
    )
    try:
        parts = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or [])
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            batch = consumer.poll(timeout_ms=200, max_records=10_000)
            for tp, records in batch.items():
                for record in records:
                    last = time.monotonic()
                    key = record.key.decode("utf-8", "replace") if record.key else None
                    yield tp.topic, key, record.value or b"", record.timestamp / 1000.0
    finally:
        consumer.close()


def collect(settings: Settings, idle_s: float = 1.5) -> Accounting:
    """Scan the raw topic and the terminal topics into an Accounting."""
    accounting = Accounting()
    terminal = {spec.name for spec in topics.TERMINAL_TOPICS}
    names = (topics.RAW.name, *sorted(terminal))
    records = read_topics(settings, names, idle_s=idle_s)
    for topic, key, value, ts in progress(records, desc="audit: records read", unit="record"):
        if topic == topics.RAW.name:
            accounting.add_raw(key, value, ts)
        elif key is not None:
            accounting.add_terminal(key, value, topic)
    return accounting


@dataclass
class AuditReport:
    raw_keys: int
    terminal_keys: int
    missing: list[str]
    duplicate_deliveries: int
    divergent_duplicates: list[str]
    redriven: int

    def as_dict(self) -> dict[str, object]:
        return {
            "raw_keys": self.raw_keys,
            "terminal_keys": self.terminal_keys,
            "missing": len(self.missing),
            "missing_keys": self.missing[:100],
            "duplicate_deliveries": self.duplicate_deliveries,
            "divergent_duplicates": self.divergent_duplicates[:100],
            "redriven": self.redriven,
        }


def redrive(settings: Settings, accounting: Accounting, keys: Iterable[str]) -> int:
    """Re-produce the raw values of ``keys`` under their own keys (acknowledged); returns the count."""
    from streams.embedded import produce

    items = [(key, accounting.raw[key][0]) for key in keys if key in accounting.raw]
    if not items:
        return 0
    count = produce(settings, items)
    AUDIT_REDRIVEN.inc(count)
    return count


def reconcile(settings: Settings, grace_s: float = 120.0, redrive_missing: bool = False) -> AuditReport:
    """One audit pass: keys produced more than ``grace_s`` ago with no terminal record are missing."""
    accounting = collect(settings)
    missing = accounting.missing(older_than_s=time.time() - grace_s)
    AUDIT_MISSING.set(len(missing))
    AUDIT_DUPLICATES.set(accounting.duplicate_deliveries())
    redriven = redrive(settings, accounting, missing) if redrive_missing and missing else 0
    AUDIT_RUNS.inc()
    return AuditReport(
        raw_keys=len(accounting.raw),
        terminal_keys=len(accounting.terminal),
        missing=missing,
        duplicate_deliveries=accounting.duplicate_deliveries(),
        divergent_duplicates=accounting.divergent_duplicates(),
        redriven=redriven,
    )


PUSH_JOB = "raqib-audit"


def push_registry(report: AuditReport) -> CollectorRegistry:
    """The gauges one audit pushes: its result and the time it finished (gauges only — counters from
    separate short-lived runs would not add up)."""
    registry = CollectorRegistry()
    values = {
        "raqib_audit_missing_keys": (_MISSING_DOC, len(report.missing)),
        "raqib_audit_duplicate_deliveries": (_DUPLICATES_DOC, report.duplicate_deliveries),
        "raqib_audit_redriven_last_run": ("Raw records re-produced by the last audit.", report.redriven),
        "raqib_audit_raw_keys": ("Distinct raw keys seen by the last audit.", report.raw_keys),
    }
    for name, (doc, value) in values.items():
        Gauge(name, doc, registry=registry).set(value)
    Gauge(
        "raqib_audit_last_success_timestamp_seconds", "When the last audit finished (Unix time).", registry=registry
    ).set_to_current_time()
    return registry


def push_report(url: str, report: AuditReport, job: str = PUSH_JOB) -> None:
    """Push one audit's result to a Prometheus Pushgateway (replacing the job's previous push).

    A CronJob's process is gone before Prometheus could scrape it; the Pushgateway keeps the last result,
    and the alert rules read it (``raqib_audit_missing_keys``; the last success time for staleness).
    """
    push_to_gateway(url, job=job, registry=push_registry(report), timeout=10)


def main(argv: list[str] | None = None) -> int:
    """``python -m streams.audit [--grace S] [--redrive] [--json]``: exit 1 when keys are missing."""
    parser = argparse.ArgumentParser(prog="raqib audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--grace", type=float, default=120.0, help="seconds a key may still be in flight")
    parser.add_argument("--redrive", action="store_true", help="re-produce missing raw records")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    report = reconcile(settings, grace_s=args.grace, redrive_missing=args.redrive)
    if settings.pushgateway_url:
        push_report(settings.pushgateway_url, report)
    if args.json:
        print(orjson.dumps(report.as_dict()).decode())
    else:
        print(
            f"raw keys {report.raw_keys}, terminal keys {report.terminal_keys}, missing {len(report.missing)}, "
            f"duplicate deliveries {report.duplicate_deliveries}, re-driven {report.redriven}"
        )
        for key in report.missing[:20]:
            print(f"  missing: {key}")
    return 1 if report.missing and not report.redriven else 0


if __name__ == "__main__":
    sys.exit(main())

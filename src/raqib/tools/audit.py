"""End-to-end audit: every raw article must reach a terminal topic, every event its topic; re-drive what did not.

Kafka offsets are per topic and per consumer group: a committed offset that moves past unprocessed
records on an intermediate topic loses them silently (nothing downstream ever hears of them). The only
check that sees a loss anywhere is by key, end to end:

- a raw record whose key has no record on ``enriched``, ``other`` or the DLQ after a grace period is
  a missing article;
- an event id named by an enriched record or an event candidate with no record on ``raqib.events.v1``
  (nor on the DLQ, for a candidate the story stage could not place) is a missing event: a loss after
  the tag hop, which the article ledger alone cannot see.

The audit ends: it snapshots every partition's end offset when it starts and reads to there, so live
traffic cannot keep it going. It keeps key hashes and record positions, never values (a raw value is
read back by its offset only to re-drive it). Re-drives go to the raw topic under the record's own key
with a ``raqib-redrive`` header counting them, so the next audit sees how often a key was re-driven
and stops at ``--max-redrives``. ``--redrive-dlq REASON`` re-drives dead-lettered articles of that
reason (``deadline_exceeded`` after an overload, ``output_too_large`` after raising the limit, …) from
the raw topic. The pipeline's keys are deterministic, so a re-driven article that was only late
becomes a duplicate a consumer removes by key, never a second article.

Run it periodically (``raqib audit --redrive`` as a CronJob), or use ``Accounting`` in tests.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from raqib.contracts import topics
from raqib.observability.metrics import (
    AUDIT_DUPLICATES,
    AUDIT_MISSING,
    AUDIT_MISSING_EVENTS,
    AUDIT_REDRIVEN,
    AUDIT_RUNS,
)
from raqib.observability.metrics import (
    AUDIT_DUPLICATES_DOC as _DUPLICATES_DOC,
)
from raqib.observability.metrics import (
    AUDIT_MISSING_DOC as _MISSING_DOC,
)
from raqib.observability.metrics import (
    AUDIT_MISSING_EVENTS_DOC as _MISSING_EVENTS_DOC,
)
from raqib.settings import Settings
from raqib.streams.reader import consumer_for as _consumer
from raqib.streams.reader import read_to_end
from raqib.tools.progress import progress

#: Header on a re-driven raw record; its value is the re-drive count of that key (1, 2, …).
REDRIVE_HEADER = "raqib-redrive"
DEFAULT_MAX_REDRIVES = 3





def key_hash(key: str) -> bytes:
    """16-byte digest of a key: what the audit keeps instead of the key (or the value)."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def terminal_candidates(key: str | bytes | None, value: bytes | None, max_key_bytes: int = 256) -> set[str]:
    """Keys under which a raw record can end on a terminal topic, each cut the way the pipeline cuts ids
    (``raqib.stages.ingest.cap_key``): its message key; without a usable (UTF-8) key, the hash a dead letter is
    keyed by (``raqib.streams.agents.base.message_key``); its JSON id; with neither key nor id, its content id."""
    from raqib.stages.ingest import cap_key, content_key
    from raqib.tools.sources import key_for_value

    value = value or b""
    if isinstance(key, bytes):
        raw_key = key
        try:
            key = key.decode("utf-8") if key else None
        except UnicodeDecodeError:
            key = None
    else:
        raw_key = key.encode("utf-8", "surrogatepass") if key else b""
    found: set[str] = {cap_key(key, max_key_bytes)} if key else {content_key(raw_key or value)}
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        payload = None
    has_id = isinstance(payload, dict) and isinstance(payload.get("id"), str | int) and payload.get("id") != ""
    if has_id:
        found.add(cap_key(str(payload["id"]), max_key_bytes))
    elif not key and value:
        found.add(cap_key(key_for_value(value), max_key_bytes))
    return found


@dataclass
class RawRef:
    """Where a raw record is (to read it back for a re-drive) and when it was produced."""

    partition: int
    offset: int
    timestamp_s: float
    candidates: tuple[bytes, ...]
    label: str  # a short printable form of the key, for reports
    redrives: int = 0


@dataclass
class Accounting:
    """Raw records in, terminal records out, events named and events delivered: by key hash."""

    raw: dict[bytes, RawRef] = field(default_factory=dict)
    by_candidate: dict[bytes, bytes] = field(default_factory=dict)
    terminal: Tally[bytes] = field(default_factory=Tally)
    terminal_digests: dict[bytes, set[bytes]] = field(default_factory=dict)
    labels: dict[bytes, str] = field(default_factory=dict)
    dlq_reasons: dict[bytes, str] = field(default_factory=dict)
    events_named: dict[bytes, tuple[float, bytes | None]] = field(default_factory=dict)
    events_seen: set[bytes] = field(default_factory=set)
    max_key_bytes: int = 256

    def add_raw(
        self,
        key: str | bytes | None,
        value: bytes | None,
        timestamp_s: float,
        partition: int = 0,
        offset: int = 0,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        candidates = terminal_candidates(key, value, self.max_key_bytes)
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace") if key else None
        main = key if key else min(candidates)
        digest = key_hash(main)
        redrive = any(name == REDRIVE_HEADER for name, _ in headers or ())
        known = self.raw.get(digest)
        if known is not None:
            if redrive:
                known.redrives += 1
            return
        hashes = tuple(sorted(key_hash(c) for c in candidates))
        self.raw[digest] = RawRef(partition, offset, timestamp_s, hashes, main[:80], int(redrive))
        for c in hashes:
            self.by_candidate.setdefault(c, digest)

    def add_terminal(self, key: str, value: bytes | None, topic: str) -> None:
        digest = key_hash(key)
        self.terminal[digest] += 1
        self.labels.setdefault(digest, key[:80])
        self.terminal_digests.setdefault(digest, set()).add(
            hashlib.blake2b(stable_content(topic, value or b""), digest_size=8).digest()
        )
        if topic == topics.DLQ.name:
            reason = dead_letter_reason(value or b"")
            if reason:
                self.dlq_reasons[digest] = reason

    def count(self, key: str) -> int:
        """Terminal records seen for ``key``."""
        return self.terminal.get(key_hash(key), 0)

    def add_candidate(self, value: bytes | None, timestamp_s: float) -> None:
        try:
            payload = orjson.loads(value or b"")
        except orjson.JSONDecodeError:
            return
        if isinstance(payload, dict) and isinstance(payload.get("event_id"), str):
            article = payload.get("article_id")
            self.events_named.setdefault(
                key_hash(payload["event_id"]),
                (timestamp_s, key_hash(article) if isinstance(article, str) else None),
            )

    def add_event(self, key: str) -> None:
        self.events_seen.add(key_hash(key))

    def _name_events(self, value: bytes | None, timestamp_s: float) -> None:
        try:
            payload = orjson.loads(value or b"")
        except orjson.JSONDecodeError:
            return
        if not isinstance(payload, dict):
            return
        article = payload.get("article_id")
        for event_id in payload.get("event_ids") or ():
            if isinstance(event_id, str):
                self.events_named.setdefault(
                    key_hash(event_id),
                    (timestamp_s, key_hash(article) if isinstance(article, str) else None),
                )

    def add_enriched(self, value: bytes | None, timestamp_s: float) -> None:
        self._name_events(value, timestamp_s)

    def _accounted(self, ref: RawRef) -> bool:
        return any(c in self.terminal for c in ref.candidates)

    def missing_refs(self, older_than_s: float | None = None) -> list[tuple[bytes, RawRef]]:
        return [
            (digest, ref)
            for digest, ref in self.raw.items()
            if (older_than_s is None or ref.timestamp_s <= older_than_s) and not self._accounted(ref)
        ]

    def missing(self, older_than_s: float | None = None) -> list[str]:
        """Raw keys (printable, cut to 80 characters) with no terminal record."""
        return sorted(ref.label for _, ref in self.missing_refs(older_than_s))

    def missing_events(self, older_than_s: float | None = None) -> list[tuple[bytes, bytes | None]]:
        """(event id hash, article hash) named by enriched/candidates but on neither events nor the DLQ."""
        return [
            (event, article)
            for event, (ts, article) in self.events_named.items()
            if (older_than_s is None or ts <= older_than_s)
            and event not in self.events_seen
            and event not in self.terminal  # a candidate the story stage dead-lettered is keyed by event id
        ]

    def duplicate_deliveries(self) -> int:
        return sum(count - 1 for count in self.terminal.values() if count > 1)

    def deduplicated(self) -> set[str]:
        """Terminal keys (printable) after removing repeats by key: what a consumer keeps."""
        return {self.labels[digest] for digest in self.terminal}

    def divergent_duplicates(self) -> list[str]:
        """Keys delivered more than once with *different* content (a repeat that is not removable by key)."""
        return sorted(self.labels[d] for d, digests in self.terminal_digests.items() if len(digests) > 1)

    def raw_for(self, terminal_key: str) -> tuple[bytes, RawRef] | None:
        """The raw record a terminal key came from (its key, id or content key)."""
        main = self.by_candidate.get(key_hash(terminal_key))
        return (main, self.raw[main]) if main is not None else None


def dead_letter_reason(value: bytes) -> str | None:
    """A DeadLetter's reason (its ``reason`` field, else the part after ':' of ``error_class``)."""
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("reason"), str):
        return payload["reason"]
    error_class = payload.get("error_class")
    if isinstance(error_class, str):
        return error_class.split(":", 1)[1] if ":" in error_class else "internal_error"
    return None


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


# --- reading to a snapshot --------------------------------------------------------------------------


def partitions_of(settings: Settings, names: Iterable[str]) -> list[tuple[str, int]]:
    consumer = _consumer(settings)
    try:
        return [(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or [])]
    finally:
        consumer.close()


def read_topics(
    settings: Settings, names: Iterable[str], timeout_s: float = 600.0
) -> Iterator[tuple[str, str | None, bytes, float]]:
    """(topic, key, value, timestamp_s) of every record of ``names`` up to their end offsets at the start."""
    for record in read_to_end(settings, partitions_of(settings, names), timeout_s):
        key = record.key.decode("utf-8", "replace") if record.key else None
        yield record.topic, key, record.value or b"", record.timestamp / 1000.0


def collect(settings: Settings, timeout_s: float = 600.0) -> Accounting:
    """Scan the raw, terminal, candidate and event topics (to their end offsets at the start)."""
    accounting = Accounting(max_key_bytes=settings.max_key_bytes)
    terminal = {spec.name for spec in topics.TERMINAL_TOPICS}
    names = (topics.RAW.name, *sorted(terminal), topics.EVENT_CANDIDATES.name, topics.EVENTS.name)
    records = read_to_end(settings, partitions_of(settings, names), timeout_s)
    for record in progress(records, desc="audit: records read", unit="record"):
        key = record.key.decode("utf-8", "replace") if record.key else None
        ts = record.timestamp / 1000.0
        if record.topic == topics.RAW.name:
            accounting.add_raw(record.key, record.value, ts, record.partition, record.offset, record.headers)
        elif record.topic == topics.EVENT_CANDIDATES.name:
            accounting.add_candidate(record.value, ts)
        elif record.topic == topics.EVENTS.name:
            if key is not None:
                accounting.add_event(key)
        elif key is not None:
            accounting.add_terminal(key, record.value, record.topic)
            if record.topic == topics.ENRICHED.name:
                accounting.add_enriched(record.value, ts)
    return accounting


# --- re-drive ---------------------------------------------------------------------------------------


def fetch_raw(settings: Settings, refs: Sequence[RawRef]) -> list[tuple[RawRef, bytes | None, bytes | None]]:
    """Read the raw records at the given positions back: (ref, key bytes, value)."""
    from kafka import TopicPartition

    out: list[tuple[RawRef, bytes | None, bytes | None]] = []
    consumer = _consumer(settings)
    try:
        for ref in refs:
            tp = TopicPartition(topics.RAW.name, ref.partition)
            consumer.assign([tp])
            consumer.seek(tp, ref.offset)
            deadline = time.monotonic() + 30
            found = None
            while found is None and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500, max_records=1).values():
                    for record in records:
                        if record.offset == ref.offset:
                            found = record
            if found is not None:
                out.append((ref, found.key, found.value))
    finally:
        consumer.close()
    return out


def redrive(
    settings: Settings,
    accounting: Accounting,
    digests: Iterable[bytes],
    max_redrives: int = DEFAULT_MAX_REDRIVES,
) -> tuple[int, int]:
    """Re-produce the raw records of ``digests`` under their own keys, counting re-drives in a header.

    Returns (re-driven, skipped because the key reached ``max_redrives``).
    """
    from raqib.tools.embedded import make_producer

    wanted: list[RawRef] = []
    exhausted = 0
    for digest in dict.fromkeys(digests):
        ref = accounting.raw.get(digest)
        if ref is None:
            continue
        if ref.redrives >= max_redrives:
            exhausted += 1
            continue
        wanted.append(ref)
    if not wanted:
        return 0, exhausted
    producer = make_producer(settings)
    futures = []
    try:
        for ref, key, value in fetch_raw(settings, wanted):
            header = [(REDRIVE_HEADER, str(ref.redrives + 1).encode())]
            futures.append(producer.send(topics.RAW.name, key=key, value=value, headers=header))
        producer.flush()
        for future in futures:
            future.get(timeout=60)
    finally:
        producer.close()
    AUDIT_REDRIVEN.inc(len(futures))
    return len(futures), exhausted


@dataclass
class AuditReport:
    raw_keys: int
    terminal_keys: int
    missing: list[str]
    duplicate_deliveries: int
    divergent_duplicates: list[str]
    redriven: int
    missing_events: int = 0
    redrive_exhausted: int = 0
    dlq_redriven: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "raw_keys": self.raw_keys,
            "terminal_keys": self.terminal_keys,
            "missing": len(self.missing),
            "missing_keys": self.missing[:100],
            "missing_events": self.missing_events,
            "duplicate_deliveries": self.duplicate_deliveries,
            "divergent_duplicates": self.divergent_duplicates[:100],
            "redriven": self.redriven,
            "dlq_redriven": self.dlq_redriven,
            "redrive_exhausted": self.redrive_exhausted,
            "seconds": round(self.seconds, 2),
        }


def reconcile(
    settings: Settings,
    grace_s: float = 120.0,
    redrive_missing: bool = False,
    redrive_reasons: Sequence[str] = (),
    max_redrives: int = DEFAULT_MAX_REDRIVES,
    timeout_s: float = 600.0,
) -> AuditReport:
    """One audit pass: keys produced more than ``grace_s`` ago with no terminal record are missing;
    likewise event ids named that never reached the events topic."""
    started = time.monotonic()
    accounting = collect(settings, timeout_s)
    horizon = time.time() - grace_s
    missing = accounting.missing_refs(older_than_s=horizon)
    missing_events = accounting.missing_events(older_than_s=horizon)
    AUDIT_MISSING.set(len(missing))
    AUDIT_MISSING_EVENTS.set(len(missing_events))
    AUDIT_DUPLICATES.set(accounting.duplicate_deliveries())
    redriven = exhausted = dlq_redriven = 0
    if redrive_missing and (missing or missing_events):
        targets = [digest for digest, _ in missing]
        for _, article in missing_events:
            if article is not None and article in accounting.by_candidate:
                targets.append(accounting.by_candidate[article])
        redriven, exhausted = redrive(settings, accounting, targets, max_redrives)
    if redrive_reasons:
        wanted = set(redrive_reasons)
        targets = [
            accounting.by_candidate[digest]
            for digest, reason in accounting.dlq_reasons.items()
            if reason in wanted and digest in accounting.by_candidate
        ]
        dlq_redriven, more = redrive(settings, accounting, targets, max_redrives)
        exhausted += more
    AUDIT_RUNS.inc()
    return AuditReport(
        raw_keys=len(accounting.raw),
        terminal_keys=len(accounting.terminal),
        missing=sorted(ref.label for _, ref in missing),
        duplicate_deliveries=accounting.duplicate_deliveries(),
        divergent_duplicates=accounting.divergent_duplicates(),
        redriven=redriven,
        missing_events=len(missing_events),
        redrive_exhausted=exhausted,
        dlq_redriven=dlq_redriven,
        seconds=time.monotonic() - started,
    )


PUSH_JOB = "raqib-audit"


def push_registry(report: AuditReport) -> CollectorRegistry:
    """The gauges one audit pushes: its result and the time it finished (gauges only — counters from
    separate short-lived runs would not add up)."""
    registry = CollectorRegistry()
    values = {
        "raqib_audit_missing_keys": (_MISSING_DOC, len(report.missing)),
        "raqib_audit_missing_events": (_MISSING_EVENTS_DOC, report.missing_events),
        "raqib_audit_duplicate_deliveries": (_DUPLICATES_DOC, report.duplicate_deliveries),
        "raqib_audit_redriven_last_run": ("Raw records re-produced by the last audit.", report.redriven),
        "raqib_audit_redrive_exhausted": (
            "Keys not re-driven again: they reached the re-drive cap.",
            report.redrive_exhausted,
        ),
        "raqib_audit_raw_keys": ("Distinct raw keys seen by the last audit.", report.raw_keys),
    }
    for name, (doc, value) in values.items():
        Gauge(name, doc, registry=registry).set(value)
    Gauge(
        "raqib_audit_last_success_timestamp_seconds",
        "When the last audit finished (Unix time).",
        registry=registry,
    ).set_to_current_time()
    return registry


def push_report(url: str, report: AuditReport, job: str = PUSH_JOB) -> None:
    """Push one audit's result to a Prometheus Pushgateway (replacing the job's previous push).

    A CronJob's process is gone before Prometheus could scrape it; the Pushgateway keeps the last result,
    and the alert rules read it (``raqib_audit_missing_keys``; the last success time for staleness).
    """
    push_to_gateway(url, job=job, registry=push_registry(report), timeout=10)


def main(argv: list[str] | None = None) -> int:
    """``raqib audit [--grace S] [--redrive] [--redrive-dlq REASON …] [--json]``: exit 1 when keys are missing."""
    parser = argparse.ArgumentParser(prog="raqib audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--grace", type=float, default=120.0, help="seconds a key may still be in flight")
    parser.add_argument("--redrive", action="store_true", help="re-produce missing raw records")
    parser.add_argument(
        "--redrive-dlq",
        action="append",
        default=[],
        metavar="REASON",
        help="re-produce dead-lettered articles with this reason from the raw topic (repeatable)",
    )
    parser.add_argument("--max-redrives", type=int, default=DEFAULT_MAX_REDRIVES, help="re-drives per key")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up reading after this long")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    report = reconcile(
        settings,
        grace_s=args.grace,
        redrive_missing=args.redrive,
        redrive_reasons=args.redrive_dlq,
        max_redrives=args.max_redrives,
        timeout_s=args.timeout,
    )
    if settings.pushgateway_url:
        push_report(settings.pushgateway_url, report)
    if args.json:
        print(orjson.dumps(report.as_dict()).decode())
    else:
        print(
            f"raw keys {report.raw_keys}, terminal keys {report.terminal_keys}, missing {len(report.missing)}, "
            f"missing events {report.missing_events}, duplicate deliveries {report.duplicate_deliveries}, "
            f"re-driven {report.redriven} (+{report.dlq_redriven} from the DLQ, {report.redrive_exhausted} at "
            f"the cap) in {report.seconds:.1f}s"
        )
        for key in report.missing[:20]:
            print(f"  missing: {key}")
    lost = (report.missing or report.missing_events) and not (report.redriven or report.redrive_exhausted)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

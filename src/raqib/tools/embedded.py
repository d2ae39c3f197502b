"""Run raqib on one machine: worker subprocesses, a kafka-python producer and a terminal-topic collector.

Used by ``raqib demo``, the integration tests, the benchmark and the fault tests. Works against any
Kafka-protocol bootstrap (the embedded Tansu broker or a real cluster).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from raqib.contracts import DeadLetter, EnrichedArticle, Event, LanguageTaggedArticle, decode, topics
from raqib.settings import REPO_ROOT, Settings
from raqib.tools.broker import free_port


def embedded_env(bootstrap: str, run_dir: Path, **overrides: str) -> dict[str, str]:
    """Environment for a worker talking to the embedded broker (Tansu's known limits accounted for)."""
    env = dict(os.environ)
    env.update(
        {
            "RAQIB_KAFKA_BOOTSTRAP": bootstrap,
            "RAQIB_PRODUCER_IDEMPOTENCE": "false",
            "RAQIB_PRODUCER_MAX_BATCH_SIZE": "1",  # Tansu's ListOffsets is wrong for multi-record batches
            "RAQIB_BROKER_SESSION_TIMEOUT_S": "6",
            "RAQIB_BROKER_HEARTBEAT_INTERVAL_S": "1",
            "RAQIB_CONSUMER_FETCH_MAX_WAIT_MS": "100",  # Tansu answers waiting fetches late (see raqib.streams.app)
            "RAQIB_TOPIC_REPLICATION": "1",  # one broker: the durable defaults (3, min.insync 2) need a cluster
            "RAQIB_TOPIC_MIN_INSYNC_REPLICAS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("RAQIB_TOPIC_PARTITIONS", "4")
    env.update(overrides)
    return env


@dataclass
class WorkerProcess:
    """One ``raqib worker`` subprocess with its own data dir, metrics port and log file."""

    env: dict[str, str]
    run_dir: Path
    name: str = "worker-1"
    metrics_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    #: the module run as ``python -m MODULE worker`` (a test may wrap the real CLI to inject faults)
    module: str = "raqib.tools.cli"

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    def start(self) -> WorkerProcess:
        env = dict(self.env)
        env.setdefault("RAQIB_DATA_DIR", str(self.run_dir / self.name / "faust"))
        env["RAQIB_METRICS_PORT"] = str(self.metrics_port)
        env["RAQIB_WORKER_ID"] = self.name
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "worker"],
            cwd=str(REPO_ROOT),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthz(self, timeout_s: float = 2.0) -> tuple[int, str]:
        """(HTTP status, body) of the worker's /healthz (0 when it does not answer)."""
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/healthz", timeout=timeout_s) as r:
                return r.status, r.read().decode("utf-8", "replace").strip()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace").strip()
        except OSError:
            return 0, ""

    def signal(self, signum: int) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signum)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (Faust drains and commits), SIGKILL after ``timeout_s``."""
        if not self.proc:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def make_producer(settings: Settings) -> KafkaProducer:
    """kafka-python producer with acks=all; large requests allowed (the raw topic takes what producers send)."""
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        acks="all",
        linger_ms=5,
        enable_idempotence=settings.producer_idempotence,
        max_request_size=max(settings.max_text_bytes * 12, 1_048_576),
        **settings.kafka_security_kwargs(),
    )


def produce(
    settings: Settings, items: Iterable[tuple[str | None, bytes]], topic: str = topics.RAW.name
) -> int:
    """Send (key, value) pairs to ``topic`` and wait for every acknowledgement. Returns the count."""
    producer = make_producer(settings)
    futures = []
    try:
        for key, value in items:
            futures.append(producer.send(topic, key=key.encode("utf-8") if key else None, value=value))
        producer.flush()
        for future in futures:
            future.get(timeout=60)
    finally:
        producer.close()
    return len(futures)


@dataclass
class Ledger:
    """Where every article ended: the 'nothing lost' accounting, by key."""

    enriched: dict[str, EnrichedArticle] = field(default_factory=dict)
    other: dict[str, LanguageTaggedArticle] = field(default_factory=dict)
    dead: dict[str, DeadLetter] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def terminal_keys(self) -> set[str]:
        return set(self.enriched) | set(self.other) | set(self.dead)

    def complete(self, expected: set[str]) -> bool:
        """Every expected key has a terminal record, and every event an enriched record names has arrived."""
        if not expected <= self.terminal_keys():
            return False
        wanted = {
            event_id for key in expected if key in self.enriched for event_id in self.enriched[key].event_ids
        }
        return wanted <= set(self.events)

    def events_for(self, keys: Iterable[str]) -> list[Event]:
        ordered: list[Event] = []
        for key in keys:
            record = self.enriched.get(key)
            if record:
                ordered.extend(self.events[eid] for eid in record.event_ids if eid in self.events)
        return ordered


class Collector:
    """Reads the terminal topics and the events topic from the beginning (no consumer group)."""

    TOPICS = (topics.ENRICHED.name, topics.OTHER.name, topics.DLQ.name, topics.EVENTS.name)

    def __init__(self, settings: Settings) -> None:
        self.ledger = Ledger()
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=16 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **settings.kafka_security_kwargs(),
        )
        partitions = [
            TopicPartition(name, p)
            for name in self.TOPICS
            for p in sorted(self.consumer.partitions_for_topic(name) or [])
        ]
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning(*partitions)

    def poll(self, timeout_ms: int = 500) -> int:
        """Read what is available; returns the number of records read."""
        count = 0
        for tp, records in self.consumer.poll(timeout_ms=timeout_ms, max_records=5000).items():
            for record in records:
                count += 1
                key = record.key.decode("utf-8", "replace") if record.key else ""
                self.ledger.deliveries[f"{tp.topic}|{key}"] += 1
                if tp.topic == topics.ENRICHED.name:
                    self.ledger.enriched[key] = decode(EnrichedArticle, record.value)
                elif tp.topic == topics.OTHER.name:
                    self.ledger.other[key] = decode(LanguageTaggedArticle, record.value)
                elif tp.topic == topics.DLQ.name:
                    self.ledger.dead[key] = decode(DeadLetter, record.value)
                elif tp.topic == topics.EVENTS.name:
                    event = decode(Event, record.value)
                    self.ledger.events[event.event_id] = event
        return count

    def wait_for(self, expected: set[str], timeout_s: float, alive: callable | None = None) -> bool:
        """Poll until every expected key is accounted for, the timeout passes, or ``alive()`` turns False."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll()
            if self.ledger.complete(expected):
                return True
            if alive is not None and not alive():
                return False
        return self.ledger.complete(expected)

    def close(self) -> None:
        self.consumer.close()


def write_jsonl(path: Path, records: Iterable[object]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as handle:
        for record in records:
            handle.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
            count += 1
    return count

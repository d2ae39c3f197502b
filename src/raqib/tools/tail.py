"""``raqib tail TOPIC``: pretty-print a topic's messages (decoded with its schema when known)."""

from __future__ import annotations

import sys
import time

import orjson
from kafka import KafkaConsumer, TopicPartition

from raqib.contracts import Event, decode, topics
from raqib.settings import Settings
from raqib.tools.report import event_row, short

#: Characters of the evidence sentence on an event's line (the full sentence is in the record).
EVIDENCE_WIDTH = 90


def format_record(topic: str, key: bytes | None, value: bytes) -> str:
    """One message as readable text: an event as ONE line (type, actors, place, counts, date, evidence),
    other schemas as indented JSON."""
    key_text = key.decode("utf-8", "replace") if key else "-"
    spec = topics.BY_NAME.get(topic)
    try:
        if spec is not None and spec.schema is Event:
            row = event_row(decode(Event, value))
            return (
                f"[{key_text}] {row['type']} | {row['actors']} | {row['place']} | killed {row['killed']} "
                f"injured {row['injured']} | {row['date']} | {short(row['evidence'], EVIDENCE_WIDTH)}"
            )
        payload = orjson.loads(value)
        return f"[{key_text}]\n{orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()}"
    except (orjson.JSONDecodeError, ValueError):
        return f"[{key_text}] {value[:2000].decode('utf-8', 'replace')}"


def tail(
    settings: Settings,
    topic: str,
    from_beginning: bool = False,
    limit: int | None = None,
    idle_s: float | None = None,
) -> int:
    """Follow ``topic`` (all partitions, no consumer group) until interrupted, ``limit`` or ``idle_s``."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        enable_auto_commit=False,
        **settings.kafka_security_kwargs(),
    )
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    if not partitions:
        print(f"topic {topic} not found on {settings.kafka_bootstrap}", file=sys.stderr)
        return 2
    consumer.assign(partitions)
    if from_beginning:
        consumer.seek_to_beginning(*partitions)
    seen = 0
    last = time.monotonic()
    try:
        while limit is None or seen < limit:
            batch = consumer.poll(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    print(format_record(topic, record.key, record.value), flush=True)
                    seen += 1
                    last = time.monotonic()
            if idle_s is not None and time.monotonic() - last > idle_s:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0

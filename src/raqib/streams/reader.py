"""Read partitions to the end offsets taken at the start, with kafka-python: story-state restore and the audit.

A plain consumer, outside Faust's: it reads what is there now and stops, even under live traffic.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from raqib.settings import Settings


class AuditIncomplete(RuntimeError):
    """A partition could not be read to its snapshotted end offset within the time allowed."""


def consumer_for(settings: Settings) -> Any:
    """A kafka-python consumer with no group and no commits: it reads, it never moves a group's offsets."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        **settings.kafka_security_kwargs(),
    )


def read_to_end(
    settings: Settings, parts: Iterable[tuple[str, int]], timeout_s: float = 600.0
) -> Iterator[Any]:
    """Every record of the given partitions up to the end offsets taken when the read starts, then stop.

    The end is fixed once per partition: the ListOffsets answer, raised to the high watermark of the
    first fetch response if that is larger (Tansu, the embedded broker, under-reports ListOffsets for
    multi-record batches: measured 431 for 500 records), so live traffic cannot keep the read going.
    Raises AuditIncomplete when a partition is not read to its end within ``timeout_s``.
    """
    from kafka import TopicPartition

    consumer = consumer_for(settings)
    try:
        tps = [TopicPartition(topic, partition) for topic, partition in parts]
        if not tps:
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        fixed: set[Any] = set()
        remaining = set(tps)
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise AuditIncomplete(
                    "not read to the end: "
                    + ", ".join(
                        f"{tp.topic}[{tp.partition}] at {consumer.position(tp)}/{ends[tp]}"
                        for tp in remaining
                    )
                )
            batch = consumer.poll(timeout_ms=300, max_records=10_000)
            for tp in list(remaining):
                highwater = consumer.highwater(tp)
                if tp not in fixed and highwater is not None:
                    ends[tp] = max(ends[tp], highwater)
                    fixed.add(tp)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            for tp in list(remaining):
                if ends[tp] <= starts[tp] or (tp in fixed and consumer.position(tp) >= ends[tp]):
                    remaining.discard(tp)
                    consumer.pause(tp)
    finally:
        consumer.close()

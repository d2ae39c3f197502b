"""Durable story and alert-suppression state: a compacted topic keyed by story cell, read on assignment.

Event candidates are keyed by story cell, so partition *p* of ``raqib.events.candidates.v1`` holds every
report of the cells that hash there. The story agent writes each touched cell's new state to partition
*p* of ``raqib.state.stories.v1`` (the partition is given explicitly, so the two topics line up whatever
partitioner wrote the candidates) and keeps it in memory. The first time a batch brings events of a
partition this worker has not loaded (worker start, a rebalance that moved the partition here), the
agent reads that state partition to its end first. So the next report of an incident keeps its
``story_id``, is an ``update``, and finds the suppression entry of the alert it already raised —
after a SIGKILL, a rolling deploy, a KEDA step or a new worker joining.

Ordering (``raqib.streams.agents.pipeline.story_agent``): events and alerts are delivered first; then the state;
only then is the in-memory state changed, Alertmanager pushed, and the input acked. A crash before the
state is written replays the batch against the old state, which reproduces the same story ids and
alert ids (deterministic), so a repeat is removable by key; a state that says "alerted" always
belongs to an alert that reached ``raqib.alerts.v1``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from raqib.contracts import decode
from raqib.contracts.ops import StoryCellState
from raqib.observability import metrics
from raqib.stages.stories import cell_entry

log = logging.getLogger(__name__)

#: (partition) -> every (key, value) of that state partition, oldest first (value None = tombstone).
PartitionReader = Callable[[int], Iterable[tuple[str | None, bytes | None]]]


class StoryStateStore:
    """Cell state per candidates partition, loaded from the state topic the first time it is needed."""

    def __init__(
        self, read_partition: PartitionReader, prune: Callable[[dict[str, Any]], None] | None = None
    ):
        self.read_partition = read_partition
        self.prune = prune
        self.partitions: dict[int, dict[str, dict[str, Any]]] = {}

    def loaded(self, partition: int) -> bool:
        return partition in self.partitions

    def load(self, partition: int) -> dict[str, dict[str, Any]]:
        """Read one state partition to its end (blocking: run it off the loop); the latest record per cell wins."""
        started = time.perf_counter()
        cells: dict[str, dict[str, Any]] = {}
        records = 0
        for key, value in self.read_partition(partition):
            records += 1
            if key is None:
                continue
            if not value:
                cells.pop(key, None)
                continue
            try:
                entry = cell_entry(decode(StoryCellState, value))
            except ValueError as exc:  # a broken record must not stop the stage: that cell starts afresh
                log.error("story state for cell %r unreadable (%s): ignored", key, exc)
                continue
            if self.prune is not None:
                self.prune(entry)
            cells[key] = entry
        seconds = time.perf_counter() - started
        metrics.STATE_LOAD_SECONDS.observe(seconds)
        log.info(
            "story state partition %d: %d cells from %d records in %.2fs",
            partition,
            len(cells),
            records,
            seconds,
        )
        return cells

    def install(self, partition: int, cells: dict[str, dict[str, Any]]) -> None:
        self.partitions[partition] = cells
        self._count()

    def cells(self, partition: int) -> dict[str, dict[str, Any]]:
        return self.partitions[partition]

    def commit(self, partition: int, changed: dict[str, dict[str, Any]]) -> None:
        """Apply a delivered batch's changes (only ever after its state records were acknowledged)."""
        self.partitions.setdefault(partition, {}).update(changed)
        self._count()

    def forget(self, partitions: Iterable[int]) -> None:
        """Revoked partitions: their next owner reads the state topic; if they come back, so do we."""
        for partition in partitions:
            self.partitions.pop(partition, None)
        self._count()

    def _count(self) -> None:
        metrics.STATE_CELLS.set(sum(len(cells) for cells in self.partitions.values()))

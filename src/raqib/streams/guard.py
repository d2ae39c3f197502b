"""No commit past an undelivered record: the project's guard against faust-streaming issue #606.

Faust commits, per partition, the end of the first run of consecutive acked offsets
(``Consumer._new_offset``). Its head-gap check only withholds the commit when more than one offset is
missing at the head (``min(acked) - committed > 1``), and does not check at all before the first
commit of a partition (``committed`` is None or 0). So when a batch is left un-acked (a send that
failed, an agent that crashed and was restarted) and later records of the same partition are acked,
Faust commits straight over the un-acked one, and a restart skips it (upstream fix PR #707, unmerged
in 0.15.3).

Here every record an agent takes is registered as *in flight* (``InFlight.hold``) until its outputs
are delivered (``release``). A record whose batch failed is never released: it stays the partition's
floor until the partition is revoked (the next owner re-reads from the committed offset, which never
passed it) or the process ends. ``install`` wraps ``_new_offset`` so Faust only ever considers acked
offsets *below* the lowest in-flight one; what lies above stays in Faust's acked list for later.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from faust.types import TP


class InFlight:
    """Offsets taken by an agent and not yet delivered, per topic partition (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offsets: dict[TP, Counter[int]] = {}
        self._pinned: dict[TP, set[int]] = {}

    def hold(self, tp: TP, offset: int) -> None:
        with self._lock:
            self._offsets.setdefault(tp, Counter())[offset] += 1

    def release(self, tp: TP, offset: int) -> None:
        with self._lock:
            held = self._offsets.get(tp)
            if not held or offset not in held:
                return
            held[offset] -= 1
            if held[offset] <= 0:
                del held[offset]

    def pin(self, tp: TP, offset: int) -> None:
        """A record whose outputs were not delivered: the floor of its partition until revoked."""
        with self._lock:
            self._pinned.setdefault(tp, set()).add(offset)

    def lowest(self, tp: TP) -> int | None:
        """The lowest offset of ``tp`` that must not be committed past (None: nothing in flight)."""
        with self._lock:
            candidates = [*(self._offsets.get(tp) or ()), *(self._pinned.get(tp) or ())]
        return min(candidates) if candidates else None

    def pinned(self) -> dict[TP, int]:
        with self._lock:
            return {tp: min(offsets) for tp, offsets in self._pinned.items() if offsets}

    def forget(self, tps: Iterable[TP]) -> None:
        """Revoked partitions: their next owner starts from the committed offset, which never passed them."""
        with self._lock:
            for tp in tps:
                self._offsets.pop(tp, None)
                self._pinned.pop(tp, None)


#: The worker's registry (one Faust app per process).
IN_FLIGHT = InFlight()


def guarded_new_offset(consumer: Any, tp: TP, original: Any, inflight: InFlight) -> int | None:
    """Faust's own ``_new_offset`` on the acked offsets below the lowest in-flight one, capped there."""
    floor = inflight.lowest(tp)
    if floor is None:
        return original(consumer, tp)
    acked: list[int] = consumer._acked[tp]
    above = [offset for offset in acked if offset >= floor]
    if not above:
        result = original(consumer, tp)
    else:
        below = [offset for offset in acked if offset < floor]
        consumer._acked[tp] = below  # what Faust may consume; it removes the run it commits in place
        try:
            result = original(consumer, tp)
        finally:
            consumer._acked[tp] = sorted({*consumer._acked[tp], *above})
    if result is not None and result > floor:
        return floor
    return result


def install(consumer_class: type, inflight: InFlight = IN_FLIGHT) -> None:
    """Replace ``consumer_class._new_offset`` by the guarded version (idempotent)."""
    original = getattr(consumer_class, "_raqib_original_new_offset", None) or consumer_class._new_offset

    def _new_offset(self: Any, tp: TP) -> int | None:
        return guarded_new_offset(self, tp, original, inflight)

    consumer_class._raqib_original_new_offset = original
    consumer_class._new_offset = _new_offset

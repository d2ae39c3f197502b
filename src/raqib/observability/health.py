"""What ``/healthz`` decides: is this worker's event loop running, and is it making progress?

The metrics endpoint is served by a thread, so it answers even when the asyncio loop that runs every
agent is blocked, or when a stage is stuck behind a send that is retried for minutes. ``/healthz``
(liveness and readiness probes) fails instead when

- the loop has not run its heartbeat for ``RAQIB_HEALTH_LOOP_LAG_S`` (something blocks it), or
- consumer lag is positive and has not shrunk over ``RAQIB_HEALTH_STALL_S`` while no batch was
  delivered in that time (a stage that stopped making progress while work waits).

An idle worker (no lag) is healthy however long ago its last batch was.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from raqib.observability import metrics


class Health:
    """Thread-safe record of heartbeats, delivered batches and lag; ``check()`` is the verdict."""

    def __init__(
        self, loop_lag_s: float = 30.0, stall_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.loop_lag_s = loop_lag_s
        self.stall_s = stall_s
        self.clock = clock
        self._lock = threading.Lock()
        self._heartbeat_at: float | None = None
        self._last_batch_at = clock()
        self._lag: deque[tuple[float, float]] = deque()

    def configure(self, loop_lag_s: float, stall_s: float) -> None:
        self.loop_lag_s, self.stall_s = loop_lag_s, stall_s

    def heartbeat(self, late_s: float = 0.0) -> None:
        """Called from the event loop on every tick; ``late_s`` is how late the tick came."""
        with self._lock:
            self._heartbeat_at = self.clock()
        metrics.EVENT_LOOP_LAG.set(max(0.0, late_s))

    def batch_done(self) -> None:
        with self._lock:
            self._last_batch_at = self.clock()
        metrics.LAST_BATCH_TS.set_to_current_time()

    def observe_lag(self, total_lag: float) -> None:
        """Total consumer lag of this worker's partitions, sampled every few seconds."""
        now = self.clock()
        with self._lock:
            self._lag.append((now, total_lag))
            while len(self._lag) > 2 and self._lag[1][0] <= now - self.stall_s:
                self._lag.popleft()  # keep one sample at least stall_s old

    def check(self) -> tuple[bool, str]:
        now = self.clock()
        with self._lock:
            heartbeat, last_batch, lag = self._heartbeat_at, self._last_batch_at, list(self._lag)
        if heartbeat is not None and now - heartbeat > self.loop_lag_s:
            return (
                False,
                f"event loop blocked: no heartbeat for {now - heartbeat:.1f}s (> {self.loop_lag_s}s)",
            )
        if lag and lag[-1][1] > 0 and now - last_batch > self.stall_s:
            old = [value for at, value in lag if at <= now - self.stall_s]
            if old and lag[-1][1] >= old[-1]:
                return False, (
                    f"no batch delivered for {now - last_batch:.0f}s while consumer lag went "
                    f"{old[-1]:.0f} -> {lag[-1][1]:.0f}"
                )
        return True, "ok"


#: The worker's health (one per process).
HEALTH = Health()

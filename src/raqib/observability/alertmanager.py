"""Optional push of raqib alerts to Prometheus Alertmanager (``POST /api/v2/alerts``).

Kafka (``raqib.alerts.v1``) stays the record of truth; this is the paging path. It must never
slow the pipeline down or take it with it when Alertmanager is away, so:

- ``enqueue`` is synchronous and never blocks: a bounded asyncio queue that drops the OLDEST
  alert when full (the newest is the one on-call wants) and counts the drop;
- one background task sends batches, retrying connection errors, 5xx and 429 with capped
  exponential backoff and jitter; other 4xx are not retried, but a rejected batch is re-sent one
  alert at a time so one bad alert cannot sink the others;
- ``stop`` drains what is queued (bounded by a timeout) before closing the HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import mode

from raqib.contracts import Alert
from raqib.observability import metrics

log = logging.getLogger(__name__)

API_PATH = "/api/v2/alerts"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def to_alertmanager(
    alert: Alert,
    *,
    now: datetime | None = None,
    resolve_after: timedelta = timedelta(hours=1),
    generator_url: str | None = None,
) -> dict[str, Any]:
    """One Alertmanager v2 ``postableAlert``.

    Labels identify the alert (rule + story, so story updates refresh the same Alertmanager alert
    instead of opening new ones); annotations carry what a human reads. ``endsAt`` is set because
    a raqib alert is a point-in-time finding with no 'resolved' signal: without it Alertmanager
    would resolve it after its own resolve_timeout (5m by default).
    """
    event = alert.event
    now = now or datetime.now(UTC)
    labels = {
        "alertname": alert.rule_name,
        "severity": alert.severity,
        "rule_id": alert.rule_id,
        "event_type": event.event_type,
        "admin1": (event.location.admin1 if event.location else None) or "",
        "story_id": alert.story_id,
    }
    annotations = {
        "summary": alert.summary,
        "evidence": event.evidence.sentence,
        "url": event.url or "",
        "alert_id": alert.alert_id,
        "event_id": event.event_id,
        "sub_event_type": event.sub_event_type,
    }
    starts = alert.created_at
    payload: dict[str, Any] = {
        # Alertmanager treats an empty value as an absent label; drop them so the identity is clean.
        "labels": {k: v for k, v in labels.items() if v},
        "annotations": {k: v for k, v in annotations.items() if v},
        "startsAt": starts.isoformat(),
        "endsAt": (max(starts, now) + resolve_after).isoformat(),
    }
    if generator_url:
        payload["generatorURL"] = generator_url
    return payload


class AlertmanagerClient:
    """Background pusher; create one per worker, ``await start()`` on boot, ``await stop()`` on shutdown."""

    def __init__(
        self,
        url: str,
        queue_size: int = 1000,
        *,
        batch_size: int = 64,
        timeout_s: float = 5.0,
        max_retries: int = 5,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        resolve_after: timedelta = timedelta(hours=1),
        generator_url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.url = url.rstrip("/") + API_PATH
        self.queue_size = queue_size
        self.batch_size = max(1, batch_size)
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.resolve_after = resolve_after
        self.generator_url = generator_url
        self.headers = dict(headers or {})
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=queue_size)
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP client and start the sender task (idempotent)."""
        if self._task is not None and not self._task.done():
            return
        self._client = httpx.AsyncClient(timeout=self.timeout_s, headers=self.headers)
        self._task = asyncio.create_task(self._run(), name="alertmanager-push")

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Send what is queued (for at most ``timeout_s``), then stop the task and close the client."""
        if self._task is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout=timeout_s)
            except TimeoutError:
                log.warning("alertmanager: %d alert(s) not sent at shutdown", self._queue.qsize())
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> AlertmanagerClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- producer side ---------------------------------------------------------------------------

    def enqueue(self, alert: Alert) -> None:
        """Queue an alert without blocking; when full, the oldest queued alert is dropped (and counted)."""
        while True:
            try:
                self._queue.put_nowait(alert)
                break
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self._queue.get_nowait()
                    self._queue.task_done()
                    self.dropped += 1
                    metrics.ALERTMANAGER_SENT.labels("dropped").inc()
        metrics.ALERTMANAGER_QUEUE.set(self._queue.qsize())

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    # --- sender ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self._send_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the sender die: log, count, go on with the next batch
                log.exception("alertmanager: unexpected error sending %d alert(s)", len(batch))
                self._count_failed(len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
                metrics.ALERTMANAGER_QUEUE.set(self._queue.qsize())

    async def _send_batch(self, batch: list[Alert]) -> None:
        status = await self._post_with_retries(batch)
        if status == "ok":
            self.sent += len(batch)
            metrics.ALERTMANAGER_SENT.labels("sent").inc(len(batch))
        elif status == "rejected" and len(batch) > 1:
            for alert in batch:  # isolate the bad one(s)
                await self._send_batch([alert])
        else:
            self._count_failed(len(batch))

    def _count_failed(self, n: int) -> None:
        self.failed += n
        metrics.ALERTMANAGER_SENT.labels("failed").inc(n)

    def payload(self, alert: Alert, now: datetime) -> dict[str, Any]:
        """The postable alert for one Alert (override to add environment labels, e.g. cluster)."""
        return to_alertmanager(
            alert, now=now, resolve_after=self.resolve_after, generator_url=self.generator_url
        )

    def backoff_s(self, attempt: int) -> float:
        """Capped exponential backoff with ±20 % jitter, so many workers do not retry in lock-step."""
        base = min(self.backoff_max_s, self.backoff_initial_s * (2**attempt))
        return base * random.uniform(0.8, 1.2)

    async def _post_with_retries(self, batch: list[Alert]) -> str:
        """'ok', 'rejected' (a 4xx that retrying cannot fix) or 'failed' (gave up after retries)."""
        assert self._client is not None, "start() first"
        now = datetime.now(UTC)
        body = [self.payload(a, now) for a in batch]
        started = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    metrics.ALERTMANAGER_PUSH_LATENCY.observe(time.perf_counter() - started)
                    return "ok"
                reason = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code not in _RETRY_STATUS:
                    log.error("alertmanager rejected %d alert(s): %s", len(batch), reason)
                    return "rejected"
            if attempt == self.max_retries:
                log.error(
                    "alertmanager: giving up on %d alert(s) after %d tries: %s",
                    len(batch),
                    attempt + 1,
                    reason,
                )
                return "failed"
            delay = self.backoff_s(attempt)
            log.warning("alertmanager: %s; retry %d in %.2fs", reason, attempt + 1, delay)
            metrics.ALERTMANAGER_RETRIES.inc()
            await asyncio.sleep(delay)
        return "failed"


def client_from_settings(url: str | None, queue_size: int = 1000) -> AlertmanagerClient | None:
    """The worker's client when ``RAQIB_ALERTMANAGER_URL`` is set, else None (push off)."""
    return AlertmanagerClient(url, queue_size=queue_size) if url else None


class AlertmanagerService(mode.Service):
    """Owns the client's lifetime in a worker: started with it, the bounded queue drained when it stops.

    A subclass sets ``url`` (``RAQIB_ALERTMANAGER_URL``; None = no push) and is registered on the Faust app
    (``raqib.streams.agents.alertmanager``); while it runs, ``client`` is where alerts are enqueued.
    """

    url: ClassVar[str | None] = None
    client: ClassVar[AlertmanagerClient | None] = None

    async def on_start(self) -> None:
        cls = type(self)
        cls.client = client_from_settings(cls.url)
        if cls.client is not None:
            await cls.client.start()

    async def on_stop(self) -> None:
        cls = type(self)
        if cls.client is not None:
            await cls.client.stop()
            cls.client = None

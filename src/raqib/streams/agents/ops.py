"""Worker housekeeping: serve /metrics and /healthz, publish MetricsSnapshot records, track consumer lag."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from raqib.observability import metrics
from raqib.observability.health import HEALTH
from raqib.streams.agents.base import Undeliverable, deliver, output
from raqib.streams.app import app, metrics_topic, settings
from raqib.streams.guard import IN_FLIGHT

log = logging.getLogger(__name__)
WORKER_ID = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
STARTED_AT = time.time()
_metrics_port: int | None = None


HEARTBEAT_S = 0.5
LAG_SAMPLE_S = 5.0


@app.task
async def serve_metrics() -> None:
    """Start prometheus-client's HTTP exposition (/metrics) and /healthz once per worker process."""
    global _metrics_port
    if _metrics_port is None and settings.metrics_port:
        HEALTH.configure(settings.health_loop_lag_s, settings.health_stall_s)
        _metrics_port = metrics.start_metrics_server(settings.metrics_port, health=HEALTH.check)
        metrics.set_build_info(_version(), worker_id=WORKER_ID, kafka=settings.kafka_bootstrap)
        log.info("metrics on :%s/metrics, health on :%s/healthz", _metrics_port, _metrics_port)


@app.task
async def heartbeat() -> None:
    """The event loop's pulse for /healthz: a blocked loop stops it, however healthy the HTTP thread is."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(HEARTBEAT_S)
        HEALTH.heartbeat(loop.time() - started - HEARTBEAT_S)


@app.timer(interval=LAG_SAMPLE_S)
async def sample_lag() -> None:
    """Consumer lag every few seconds: /healthz fails when it does not shrink and no batch completes."""
    HEALTH.observe_lag(sum(_update_lag().values()))


@app.on_partitions_revoked.connect
async def forget_revoked(sender: object, revoked: set, **kwargs: object) -> None:
    """Revoked partitions are re-read by their next owner from the committed offset: drop their floors."""
    IN_FLIGHT.forget(revoked)


@app.timer(interval=settings.metrics_snapshot_interval_s)
async def publish_snapshot() -> None:
    """The mission asks for metrics on a topic too: a compact snapshot for consumers without Prometheus."""
    _update_lag()
    snapshot = metrics.build_snapshot(WORKER_ID, STARTED_AT)
    try:
        await deliver([output(metrics_topic, WORKER_ID, snapshot)], "metrics")
    except Undeliverable as exc:  # a snapshot carries no article: log it, never stop the worker for it
        log.warning("metrics snapshot not delivered: %s", exc)


def _update_lag() -> dict[str, float]:
    """Highwater vs. position for every assigned partition → raqib_consumer_lag (returned per partition)."""
    consumer = app.consumer
    positions: dict[tuple[str, int], tuple[int, int]] = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        position = app.consumer._committed_offset.get(tp)  # last committed offset Faust tracks
        if highwater is not None:
            positions[(tp.topic, tp.partition)] = (int(highwater), int(position or 0))
    return metrics.update_consumer_lag(positions)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("raqib")
    except PackageNotFoundError:
        return "0+unknown"


@app.task
async def install_task_dump() -> None:
    """`kill -USR2 <pid>` logs every asyncio task's stack: the first tool when a worker seems stuck."""
    import asyncio
    import io
    import signal

    def dump() -> None:
        out = io.StringIO()
        for task in asyncio.all_tasks():
            out.write(f"--- {task.get_name()} {task.get_coro()!r}\n")
            task.print_stack(limit=40, file=out)
        log.warning("asyncio task dump:\n%s", out.getvalue())

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, dump)

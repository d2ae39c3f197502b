"""Worker housekeeping: serve /metrics, publish MetricsSnapshot records, track consumer lag."""

from __future__ import annotations

import logging
import os
import socket
import time

from agents.base import deliver, output
from streams import metrics
from streams.app import app, metrics_topic, settings

log = logging.getLogger(__name__)
WORKER_ID = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
STARTED_AT = time.time()
_metrics_port: int | None = None


@app.task
async def serve_metrics() -> None:
    """Start prometheus-client's HTTP exposition once per worker process."""
    global _metrics_port
    if _metrics_port is None and settings.metrics_port:
        _metrics_port = metrics.start_metrics_server(settings.metrics_port)
        metrics.set_build_info(_version(), worker_id=WORKER_ID, kafka=settings.kafka_bootstrap)
        log.info("metrics on :%s/metrics", _metrics_port)


@app.timer(interval=settings.metrics_snapshot_interval_s)
async def publish_snapshot() -> None:
    """The mission asks for metrics on a topic too: a compact snapshot for consumers without Prometheus."""
    _update_lag()
    snapshot = metrics.build_snapshot(WORKER_ID, STARTED_AT)
    await deliver([output(metrics_topic, WORKER_ID, snapshot)])


def _update_lag() -> None:
    """Highwater vs. position for every assigned partition → raqib_consumer_lag."""
    consumer = app.consumer
    positions: dict[tuple[str, int], tuple[int, int]] = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        position = app.consumer._committed_offset.get(tp)  # last committed offset Faust tracks
        if highwater is not None:
            positions[(tp.topic, tp.partition)] = (int(highwater), int(position or 0))
    metrics.update_consumer_lag(positions)


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
            task.print_stack(limit=12, file=out)
        log.warning("asyncio task dump:\n%s", out.getvalue())

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, dump)

"""/healthz: fails on a blocked event loop, and on lag that does not shrink while no batch completes.

The verdict logic runs on a fake clock; the HTTP side is prometheus-client's real WSGI server with a
real asyncio loop whose heartbeat stops while the loop is blocked.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request

from raqib.observability import metrics
from raqib.observability.health import Health
from tests.ops_support import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_blocked_loop_fails_and_recovers() -> None:
    clock = Clock()
    health = Health(loop_lag_s=30, stall_s=300, clock=clock)
    assert health.check() == (True, "ok")  # before the first heartbeat: starting
    health.heartbeat()
    clock.now += 29
    assert health.check()[0]
    clock.now += 2
    ok, reason = health.check()
    assert not ok and "event loop blocked" in reason
    health.heartbeat()
    assert health.check()[0]


def test_lag_that_does_not_shrink_without_progress_fails() -> None:
    clock = Clock()
    health = Health(loop_lag_s=30, stall_s=300, clock=clock)
    for _ in range(80):  # 400 s of samples, lag growing, no batch since start
        health.heartbeat()
        health.observe_lag(10 + clock.now - 1000)
        clock.now += 5
    health.heartbeat()
    ok, reason = health.check()
    assert not ok and "no batch delivered" in reason
    health.batch_done()  # progress again
    assert health.check()[0]


def test_an_idle_worker_and_a_draining_backlog_are_healthy() -> None:
    clock = Clock()
    idle = Health(loop_lag_s=30, stall_s=300, clock=clock)
    for _ in range(100):
        idle.heartbeat()
        idle.observe_lag(0)
        clock.now += 5
    assert idle.check() == (True, "ok")  # no lag: nothing to make progress on
    draining = Health(loop_lag_s=30, stall_s=300, clock=clock)
    for step in range(100):  # lag shrinks: a long batch in progress is still progress
        draining.heartbeat()
        draining.observe_lag(1000 - step)
        clock.now += 5
    assert draining.check()[0]


def get(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_over_http_follows_a_real_event_loop() -> None:
    health = Health(loop_lag_s=0.6, stall_s=300)
    port = metrics.start_metrics_server(free_port(), addr="127.0.0.1", health=health.check)
    loop = asyncio.new_event_loop()
    stop = threading.Event()

    async def heartbeat() -> None:
        while not stop.is_set():
            started = loop.time()
            await asyncio.sleep(0.1)
            health.heartbeat(loop.time() - started - 0.1)

    async def block(seconds: float) -> None:
        time.sleep(seconds)  # what a stage run on the loop by mistake would do

    thread = threading.Thread(target=lambda: loop.run_until_complete(heartbeat()), daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        assert get(port) == (200, "ok\n")
        asyncio.run_coroutine_threadsafe(block(1.5), loop)
        time.sleep(1.0)
        status, body = get(port)
        assert status == 503 and "event loop blocked" in body
        time.sleep(1.0)
        assert get(port)[0] == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert b"raqib_event_loop_lag_seconds" in response.read()
    finally:
        stop.set()
        thread.join(timeout=5)

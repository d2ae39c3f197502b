"""Worker lifecycle faults: SIGTERM drains, a broker that vanishes and returns, a model that fails to load.

Each test drives real processes (Tansu broker, ``raqib worker`` subprocesses). Durations are printed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from raqib.contracts import topics
from raqib.settings import REPO_ROOT, Settings
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker, free_port
from raqib.tools.embedded import WorkerProcess, embedded_env, produce

pytestmark = pytest.mark.integration

ARABIC = "قتل {n} مدنيين في قصف مدفعي على بلدة سراقب بريف إدلب يوم {d} بحسب ناشطين محليين."
ENGLISH = "Note {i}: the council of Lisbon approved {n} new bus lines for district {d} this month."


def articles(prefix: str, count: int) -> list[tuple[str, bytes]]:
    out = []
    for i in range(count):
        key = f"{prefix}-{i:04d}"
        text = (
            ARABIC.format(n=i % 9 + 2, d=i % 28 + 1)
            if i % 4 == 0
            else ENGLISH.format(i=i, n=i % 40, d=i % 28)
        )
        out.append((key, orjson.dumps({"id": key, "text": text})))
    return out


class Terminal:
    """Incremental reader of the terminal topics (from the beginning, no consumer group)."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.keys: set[str] = set()
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        names = [spec.name for spec in topics.TERMINAL_TOPICS]
        parts = [
            TopicPartition(n, p) for n in names for p in sorted(self.consumer.partitions_for_topic(n) or [])
        ]
        self.consumer.assign(parts)
        self.consumer.seek_to_beginning(*parts)

    def poll(self) -> set[str]:
        for records in self.consumer.poll(timeout_ms=200, max_records=5000).values():
            self.keys.update(r.key.decode() for r in records if r.key)
        return self.keys

    def wait(self, expected: set[str], timeout_s: float, alive=None) -> set[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not expected <= self.poll():
            if alive is not None and not alive():
                break
        return expected & self.keys

    def close(self) -> None:
        self.consumer.close()


def terminal_keys(settings: Settings, expected: set[str], timeout_s: float, alive=None) -> set[str]:
    terminal = Terminal(settings)
    try:
        return terminal.wait(expected, timeout_s, alive)
    finally:
        terminal.close()


def test_model_load_failure_stops_the_worker_with_one_clear_line(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    env = embedded_env(broker.bootstrap, tmp_path, RAQIB_NER_MODEL_DIR="/nonexistent")
    env["RAQIB_DATA_DIR"] = str(tmp_path / "faust")
    env["RAQIB_METRICS_PORT"] = str(free_port())
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "raqib.tools.cli", "worker"],
        cwd=str(REPO_ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.monotonic() - started
    print(f"\nmodel-load failure: exit {result.returncode} after {seconds:.1f}s")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "cannot start, a model failed to load" in line]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "/nonexistent" in lines[0]
    assert "Traceback" not in result.stderr
    assert seconds < 60


def test_sigterm_drains_and_a_restart_loses_nothing(broker: EmbeddedBroker, tmp_path: Path) -> None:
    env = embedded_env(broker.bootstrap, tmp_path)
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False)
    ensure_topics(
        Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"]))
    )
    items = articles("term", 6000)
    expected = {key for key, _ in items}
    started = time.monotonic()
    worker = WorkerProcess(env, tmp_path, name="draining").start()
    produce(settings, items)
    # stop while the backlog is being worked through
    progress = Terminal(settings)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(expected & progress.poll()) < 300:
        pass
    stop_started = time.monotonic()
    code = worker.stop(timeout_s=60)
    stop_seconds = time.monotonic() - stop_started
    done_at_stop = len(expected & progress.wait(expected, 3.0))
    progress.close()
    log = worker.log_path.read_text(errors="replace")
    print(f"\nSIGTERM: exit {code} after {stop_seconds:.1f}s with {done_at_stop}/{len(items)} terminal")
    assert code == 0, worker.log_tail(60)
    assert "Traceback" not in log, log[-4000:]
    assert done_at_stop < len(items), "the stop should happen mid-stream"
    successor = WorkerProcess(env, tmp_path, name="successor").start()
    try:
        seen = terminal_keys(settings, expected, timeout_s=300, alive=successor.alive)
        print(f"after restart: {len(seen)}/{len(items)} terminal in {time.monotonic() - started:.1f}s")
        assert seen == expected, f"lost after SIGTERM: {sorted(expected - seen)[:10]}"
    finally:
        assert successor.stop() == 0


def test_broker_restart_leaves_the_worker_retrying_then_working(tmp_path: Path) -> None:
    """Tansu keeps data in memory: a restart loses topics, offsets and the group. The worker must survive it.

    Faust does not re-create vanished topics (``topic_allow_declare=False``; ``ensure_topics`` runs at worker
    start only), so the operator (here: the test) re-creates them, as ``raqib topics create`` would.
    """
    port = free_port()
    log_path = tmp_path / "tansu.log"
    first = EmbeddedBroker(port=port, log_path=log_path).start()
    env = embedded_env(first.bootstrap, tmp_path)
    settings = Settings(kafka_bootstrap=first.bootstrap, producer_idempotence=False)
    topic_settings = Settings(
        kafka_bootstrap=first.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"])
    )
    ensure_topics(topic_settings)
    worker = WorkerProcess(env, tmp_path, name="survivor").start()
    second: EmbeddedBroker | None = None
    started = time.monotonic()
    try:
        before = articles("before", 40)
        produce(settings, before)
        assert terminal_keys(settings, {k for k, _ in before}, 180, worker.alive) == {k for k, _ in before}
        first.stop()
        outage_s = 8.0
        time.sleep(outage_s)
        assert worker.alive(), "the worker died when the broker went away:\n" + worker.log_tail(60)
        second = EmbeddedBroker(port=port, log_path=log_path).start()
        ensure_topics(topic_settings)
        after = articles("after", 40)
        expected = {k for k, _ in after}
        deadline = time.monotonic() + 240
        seen: set[str] = set()
        while time.monotonic() < deadline and seen != expected and worker.alive():
            produce(settings, [(k, v) for k, v in after if k not in seen])
            seen = terminal_keys(settings, expected, 30, worker.alive)
        log = worker.log_path.read_text(errors="replace").lower()
        print(
            f"\nbroker restart: {len(seen)}/{len(expected)} new articles processed, "
            f"{time.monotonic() - started:.1f}s in all; worker alive: {worker.alive()}"
        )
        assert worker.alive(), worker.log_tail(80)
        assert seen == expected, worker.log_tail(80)
        # aiokafka logs "... Will retry." while the broker is gone and "re-joining group" once it is back
        assert any(word in log for word in ("will retry", "re-joining", "retrying")), log[-3000:]
    finally:
        worker.stop()
        if second:
            second.stop()
        first.stop()

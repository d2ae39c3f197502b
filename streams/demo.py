"""``raqib demo``: embedded broker + real Faust worker(s) + producer + collector, end to end, then clean shutdown."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from streams.admin import ensure_topics
from streams.broker import EmbeddedBroker
from streams.embedded import Collector, WorkerProcess, embedded_env, produce, write_jsonl
from streams.report import events_table
from streams.settings import Settings
from streams.sources import iter_values

log = logging.getLogger(__name__)
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def run_demo(
    paths: list[str], out: Path, workers: int = 1, timeout_s: float = 600.0, keep: bool = False
) -> int:
    """Run the whole pipeline on ``paths`` (default: the bundled examples). Returns a process exit code."""
    started = time.monotonic()
    items = list(iter_values(paths or [EXAMPLES_DIR]))
    if not items:
        print(f"no articles found under {paths or [EXAMPLES_DIR]}")
        return 2
    expected = {key for key, _ in items}
    run_dir = Path(tempfile.mkdtemp(prefix="raqib-demo-"))
    print(f"raqib demo: {len(items)} articles, {workers} worker(s); logs in {run_dir}")
    broker = EmbeddedBroker(log_path=run_dir / "broker.log").start()
    procs: list[WorkerProcess] = []
    collector: Collector | None = None
    try:
        env = embedded_env(broker.bootstrap, run_dir)
        settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False)
        ensure_topics(
            Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"]))
        )
        procs = [WorkerProcess(env, run_dir, name=f"worker-{i + 1}").start() for i in range(workers)]
        produce(settings, items)
        print(f"  produced {len(items)} articles to the raw topic on {broker.bootstrap} (Tansu)")
        collector = Collector(settings)
        done = collector.wait_for(expected, timeout_s, alive=lambda: any(p.alive() for p in procs))
        ledger = collector.ledger
        if not done:
            missing = sorted(expected - ledger.terminal_keys())
            print(f"\nnot every article was accounted for ({len(missing)} missing: {missing[:10]})")
            for proc in procs:
                print(f"--- {proc.name} log tail ---\n{proc.log_tail()}")
            return 1
        events = ledger.events_for(key for key, _ in items)
        print(
            f"\naccounted for {len(expected)} articles: {len(ledger.enriched)} enriched, "
            f"{len(ledger.other)} routed aside (not Arabic), {len(ledger.dead)} dead-lettered; "
            f"{len(events)} events"
        )
        for key, dead in sorted(ledger.dead.items()):
            print(f"  DLQ {key}: {dead.stage} {dead.error_class}: {dead.message[:100]}")
        for key, other in sorted(ledger.other.items()):
            print(f"  other {key}: lang={other.language.lang} ({other.language.confidence:.2f})")
        print()
        print(events_table(events))
        written = write_jsonl(out, events)
        print(f"\nwrote {written} events to {out}  (wall time {time.monotonic() - started:.1f}s)")
        return 0
    finally:
        if collector:
            collector.close()
        for proc in procs:
            code = proc.stop()
            if code not in (0, None, -15):
                print(f"{proc.name} exited with code {code}; log: {proc.log_path}")
        broker.stop()
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)

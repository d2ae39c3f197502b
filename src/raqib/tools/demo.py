"""``raqib demo``: embedded broker + real Faust worker(s) + producer + collector, end to end, then clean shutdown.

The terminal gets raqib's own lines, a progress bar while more than a handful of articles are in flight,
a summary and the first events; the broker's, the workers' and this process's client-library logs are in
the run folder (``$RAQIB_LOG_DIR/demo``, default ``var/log/demo``), which stays after the run.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from raqib.settings import Settings, get_settings
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import Collector, Ledger, WorkerProcess, embedded_env, produce, write_jsonl
from raqib.tools.progress import HANDFUL, progress
from raqib.tools.report import events_table_limited, run_summary
from raqib.tools.sources import iter_values

log = logging.getLogger(__name__)
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def prepare_run_dir(log_dir: Path) -> Path:
    """``<log_dir>/demo``, emptied of the previous demo's files but for ``demo.log``, this run's own log
    (already opened by the CLI)."""
    run_dir = log_dir / "demo"
    run_dir.mkdir(parents=True, exist_ok=True)
    for entry in run_dir.iterdir():
        if entry.name == "demo.log":
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return run_dir


def wait_with_progress(
    collector: Collector, expected: set[str], timeout_s: float, procs: list[WorkerProcess]
) -> bool:
    """Poll the terminal topics until every article is accounted for (a bar above a handful of articles)."""
    deadline = time.monotonic() + timeout_s
    ledger: Ledger = collector.ledger
    with progress(total=len(expected), desc="articles accounted for", min_total=HANDFUL) as bar:
        while time.monotonic() < deadline:
            collector.poll()
            bar.update(len(expected & ledger.terminal_keys()) - bar.n)
            if ledger.complete(expected):
                return True
            if not any(proc.alive() for proc in procs):
                return False
    return ledger.complete(expected)


def run_demo(
    paths: list[str],
    out: Path,
    workers: int = 1,
    timeout_s: float = 600.0,
    keep: bool = False,
    show: int | None = 25,
) -> int:
    """Run the whole pipeline on ``paths`` (default: the bundled examples). Returns a process exit code."""
    started = time.monotonic()
    items = list(iter_values(paths or [EXAMPLES_DIR]))
    if not items:
        print(f"no articles found under {paths or [EXAMPLES_DIR]}")
        return 2
    expected = {key for key, _ in items}
    run_dir = prepare_run_dir(get_settings().log_dir)
    print(f"raqib demo: {len(items)} articles, {workers} worker(s); logs in {run_dir}/")
    broker = EmbeddedBroker(log_path=run_dir / "broker.log").start()
    procs: list[WorkerProcess] = []
    collector: Collector | None = None
    try:
        # The workers' stdout is their log file: full Faust/aiokafka output there unless asked otherwise.
        env = embedded_env(broker.bootstrap, run_dir)
        env.setdefault("RAQIB_LOG_LEVEL", "INFO")
        settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False)
        ensure_topics(
            Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"]))
        )
        procs = [WorkerProcess(env, run_dir, name=f"worker-{i + 1}").start() for i in range(workers)]
        print(f"  started {workers} worker(s) (Faust, Stanza NER)")
        produce(settings, items)
        print(f"  produced {len(items)} articles to the raw topic; waiting until each is accounted for …")
        collector = Collector(settings)
        done = wait_with_progress(collector, expected, timeout_s, procs)
        ledger = collector.ledger
        if not done:
            missing = sorted(expected - ledger.terminal_keys())
            print(f"\nnot every article was accounted for ({len(missing)} missing: {missing[:10]})")
            for proc in procs:
                print(f"--- {proc.name} log tail ({proc.log_path}) ---\n{proc.log_tail()}")
            return 1
        events = ledger.events_for(key for key, _ in items)
        print()
        print(
            run_summary(
                articles=len(expected),
                enriched=len(ledger.enriched),
                other=ledger.other.values(),
                dead=ledger.dead.values(),
                events=events,
                seconds=time.monotonic() - started,
            )
        )
        for key, dead in sorted(ledger.dead.items())[:10]:
            print(f"  DLQ {key}: {dead.stage} {dead.error_class}: {dead.message[:100]}")
        for key, other in sorted(ledger.other.items())[:10]:
            print(f"  routed aside {key}: lang={other.language.lang} ({other.language.confidence:.2f})")
        if show is None or show > 0:
            print()
            print(events_table_limited(events, show))
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
            for proc in procs:
                shutil.rmtree(run_dir / proc.name, ignore_errors=True)  # Faust state; the logs stay

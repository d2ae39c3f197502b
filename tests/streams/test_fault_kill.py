"""10,000 articles, a worker SIGKILLed mid-stream, a replacement joins: nothing lost, repeats removable by key.

Short texts keep it CI-sized (one in five is a one-sentence Arabic report that goes through Stanza NER
and the tagger; the rest are short English notes routed aside by language ID). Accounting is by key,
end to end, with ``raqib.tools.audit`` (raw topic vs. terminal topics), so a loss on any intermediate
topic would show up as a missing key. Durations are printed, not asserted.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import orjson
import pytest

from raqib.settings import Settings
from raqib.tools import audit
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import WorkerProcess, embedded_env, produce

pytestmark = pytest.mark.integration

N_ARTICLES = 10_000
KILL_AFTER_FRACTION = 0.3

ARABIC = (
    "قتل {n} مدنيين في قصف مدفعي على بلدة سراقب بريف إدلب يوم {d} بحسب ناشطين محليين.",
    "أصيب {n} أشخاص بانفجار عبوة ناسفة في مدينة درعا صباح يوم {d} حسب مصادر محلية.",
    "شن الطيران الحربي {n} غارات على مدينة دوما في الغوطة الشرقية يوم {d} وفق المرصد.",
)
ENGLISH = "Note {i}: the council of Lisbon approved {n} new bus lines for district {d} this month."


def article(i: int) -> tuple[str, bytes]:
    key = f"fk-{i:05d}"
    if i % 5 == 0:
        text = ARABIC[i % 3].format(n=(i % 17) + 2, d=(i % 28) + 1)
    else:
        text = ENGLISH.format(i=i, n=i % 50, d=i % 28)
    return key, orjson.dumps({"id": key, "text": text})


def wait_terminal(
    settings: Settings, expected: set[str], timeout_s: float, on_progress=None
) -> audit.Accounting:
    """Poll the terminal topics until every expected key is there (or the timeout)."""
    from kafka import KafkaConsumer, TopicPartition

    from raqib.contracts import topics

    accounting = audit.Accounting()
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    names = [spec.name for spec in topics.TERMINAL_TOPICS]
    parts = [TopicPartition(n, p) for n in names for p in sorted(consumer.partitions_for_topic(n) or [])]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not expected <= accounting.deduplicated():
            for tp, records in consumer.poll(timeout_ms=300, max_records=5000).items():
                for record in records:
                    accounting.add_terminal(record.key.decode(), record.value, tp.topic)
            if on_progress:
                on_progress(len(expected & accounting.deduplicated()))
    finally:
        consumer.close()
    return accounting


@pytest.fixture(scope="module")
def killed_run(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("fault-kill")
    env = embedded_env(broker.bootstrap, run_dir)
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False)
    ensure_topics(
        Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"]))
    )
    started = time.monotonic()
    workers = [WorkerProcess(env, run_dir, name="w1").start(), WorkerProcess(env, run_dir, name="w2").start()]
    items = [article(i) for i in range(N_ARTICLES)]
    produce(settings, items)
    expected = {key for key, _ in items}
    state: dict[str, object] = {"killed_at": None}

    def on_progress(done: int) -> None:
        if state["killed_at"] is None and done >= N_ARTICLES * KILL_AFTER_FRACTION:
            workers[0].signal(signal.SIGKILL)
            state["killed_at"] = done
            workers.append(WorkerProcess(env, run_dir, name="replacement").start())

    accounting = wait_terminal(settings, expected, timeout_s=600, on_progress=on_progress)
    seconds = time.monotonic() - started
    killed_code = workers[0].proc.wait(timeout=10)
    full = audit.collect(settings)
    print(
        f"\nfault-kill: {N_ARTICLES} articles in {seconds:.1f}s; SIGKILL after {state['killed_at']} terminal; "
        f"lost {len(full.missing())}, duplicate deliveries {full.duplicate_deliveries()}"
    )
    yield {
        "accounting": accounting,
        "full": full,
        "expected": expected,
        "killed_code": killed_code,
        "killed_at": state["killed_at"],
        "workers": workers,
        "settings": settings,
        "env": env,
        "run_dir": run_dir,
    }
    for worker in workers[1:]:
        worker.stop()


def test_the_kill_happened_mid_stream(killed_run) -> None:
    assert killed_run["killed_code"] == -signal.SIGKILL
    assert killed_run["killed_at"] is not None and killed_run["killed_at"] < N_ARTICLES


def test_zero_lost_by_key(killed_run) -> None:
    full: audit.Accounting = killed_run["full"]
    expected = killed_run["expected"]
    assert len(full.raw) == N_ARTICLES
    missing = full.missing()
    assert missing == [], f"{len(missing)} lost, e.g. {missing[:10]}"
    assert expected <= full.deduplicated()


def test_duplicates_are_counted_and_removable_by_key(killed_run) -> None:
    full: audit.Accounting = killed_run["full"]
    duplicates = full.duplicate_deliveries()
    print(f"duplicate deliveries after SIGKILL: {duplicates}")
    # A redelivery carries the same deterministic content (article id, entities, event ids, DLQ reason):
    # keeping one record per key loses nothing.
    assert full.divergent_duplicates() == []
    assert len(full.deduplicated() & killed_run["expected"]) == N_ARTICLES
    assert sum(full.terminal.values()) == len(full.deduplicated()) + duplicates


def test_the_survivors_are_alive_and_arabic_went_through_ner(killed_run) -> None:
    assert all(worker.alive() for worker in killed_run["workers"][1:])
    # every fifth article is Arabic: it must have ended on the enriched topic, not aside or on the DLQ
    accounting: audit.Accounting = killed_run["accounting"]
    assert accounting.count("fk-00000") >= 1 and accounting.count("fk-00005") >= 1


def test_audit_detects_a_missing_key_and_redrives_it(killed_run) -> None:
    """With every worker stopped, raw records have no terminal record: the audit reports them and re-drives them."""
    for worker in killed_run["workers"][1:]:
        assert worker.stop() in (0, -signal.SIGTERM)
    settings: Settings = killed_run["settings"]
    probe = [("audit-probe-1", orjson.dumps({"id": "audit-probe-1", "text": ARABIC[0].format(n=4, d=2)}))]
    produce(settings, probe)
    report = audit.reconcile(settings, grace_s=0, redrive_missing=True)
    assert report.missing == ["audit-probe-1"]
    assert report.redriven == 1
    assert audit.AUDIT_MISSING._value.get() == 1
    worker = WorkerProcess(killed_run["env"], Path(killed_run["run_dir"]), name="after-audit").start()
    killed_run["workers"].append(worker)
    accounting = wait_terminal(settings, {"audit-probe-1"}, timeout_s=120)
    assert accounting.count("audit-probe-1") >= 1, worker.log_tail()
    after = audit.reconcile(settings, grace_s=0)
    assert after.missing == []
    assert audit.AUDIT_MISSING._value.get() == 0

"""Story memory survives a SIGKILL and a rebalance: same story id, an ``update``, no second page.

Real Tansu broker, real ``raqib worker`` processes, a real Alertmanager. Three incidents (Saraqib,
Douma, Ariha) are each reported three times by different outlets:

1. the first reports reach one worker, which raises their alerts (raqib.alerts.v1 and Alertmanager);
2. that worker is SIGKILLed mid-story; a replacement reads the second reports: each keeps its story id,
   is an ``update``, and raises no alert;
3. a second worker joins (the candidates partitions are split between the two, so at least one cell's
   state moves to the newcomer): the third reports keep their story ids too, and page no second time.
"""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import httpx
import orjson
import pytest

from raqib.contracts import Alert, Event, decode, topics
from raqib.settings import Settings
from raqib.stages.stories import story_cell
from raqib.tools import audit
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import WorkerProcess, embedded_env, produce
from tests.ops_support import REPO_ROOT, ServerProcess, alertmanager_argv, free_port, require_binary

pytestmark = pytest.mark.integration

PARTITIONS = 2
PUBLISHED = "2024-07-21T08:00:00Z"  # the incidents are within 30 days of it (older ones are background)
REPORTS = {
    "saraqib": (
        "قتل خمسة مدنيين في قصف مدفعي لقوات النظام على بلدة سراقب بريف إدلب يوم 12 تموز 2024 بحسب ناشطين محليين.",
        "ارتفع عدد القتلى إلى سبعة مدنيين جراء القصف المدفعي الذي استهدف بلدة سراقب في ريف إدلب يوم 12 تموز 2024 وفق الدفاع المدني.",
        "أفاد المرصد السوري بمقتل ستة مدنيين بقصف مدفعي على مدينة سراقب شرقي إدلب في 12 تموز 2024.",
    ),
    "douma": (
        "قتل أربعة مدنيين بغارة جوية على مدينة دوما في الغوطة الشرقية يوم 15 تموز 2024 وفق المرصد.",
        "ارتفعت حصيلة الغارة الجوية على مدينة دوما في الغوطة الشرقية يوم 15 تموز 2024 إلى خمسة قتلى مدنيين بحسب ناشطين.",
        "قالت مصادر محلية إن خمسة مدنيين قتلوا بغارة جوية استهدفت مدينة دوما في الغوطة الشرقية يوم 15 تموز 2024.",
    ),
    "ariha": (
        "قتل ثمانية مدنيين بقصف صاروخي على مدينة أريحا جنوب إدلب يوم 20 تموز 2024 بحسب الدفاع المدني.",
        "ارتفع عدد ضحايا القصف الصاروخي على مدينة أريحا جنوب إدلب يوم 20 تموز 2024 إلى تسعة مدنيين وفق المرصد.",
        "قتل تسعة مدنيين في قصف صاروخي استهدف أريحا بريف إدلب الجنوبي يوم 20 تموز 2024 بحسب مصادر طبية.",
    ),
}


def wave(n: int) -> list[tuple[str, bytes]]:
    """The n-th report (0, 1, 2) of every incident, as raw records."""
    return [
        (f"{name}-{n + 1}", orjson.dumps({"id": f"{name}-{n + 1}", "text": texts[n], "published_at": PUBLISHED}))
        for name, texts in REPORTS.items()
    ]


class Topics:
    """Events, alerts and story state seen so far (read from the beginning, no consumer group)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def read(self) -> tuple[dict[str, Event], list[Alert], dict[str, int]]:
        events: dict[str, Event] = {}
        alerts: list[Alert] = []
        state: dict[str, int] = {}
        names = [topics.EVENTS.name, topics.ALERTS.name, topics.STORY_STATE.name]
        for topic, key, value, _ in audit.read_topics(self.settings, names):
            if topic == topics.EVENTS.name:
                event = decode(Event, value)
                events[event.article_id] = event
            elif topic == topics.ALERTS.name:
                alerts.append(decode(Alert, value))
            elif key:
                state[key] = state.get(key, 0) + 1
        return events, alerts, state

    def wait(self, articles: set[str], cells: set[str], timeout_s: float, workers: list[WorkerProcess]):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            events, alerts, state = self.read()
            if articles <= events.keys() and cells <= state.keys():
                return events, alerts, state
            assert all(w.alive() for w in workers), "\n".join(w.log_tail(40) for w in workers)
            time.sleep(1.0)
        raise AssertionError(f"not all of {sorted(articles)} arrived:\n" + workers[-1].log_tail(60))


def metric(worker: WorkerProcess, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def candidate_partitions(worker: WorkerProcess) -> set[int]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        int(sample.labels["partition"])
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "raqib_consumer_lag" and sample.labels.get("topic") == topics.EVENT_CANDIDATES.name
    }


def cell_partition(cell: str) -> int:
    from kafka.partitioner.default import murmur2

    return (murmur2(cell.encode()) & 0x7FFFFFFF) % PARTITIONS


def am_alerts(base: str) -> list[dict]:
    response = httpx.get(f"{base}/api/v2/alerts", timeout=5.0)
    response.raise_for_status()
    return response.json()


def test_story_ids_and_suppression_survive_sigkill_and_a_joining_worker(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    binary = require_binary("prometheus-alertmanager", "alertmanager")
    am_port = free_port()
    am_url = f"http://127.0.0.1:{am_port}"
    argv = alertmanager_argv(binary, REPO_ROOT / "deploy/alertmanager/alertmanager.yml", tmp_path / "am", am_port)
    env = embedded_env(
        broker.bootstrap, tmp_path, RAQIB_TOPIC_PARTITIONS=str(PARTITIONS), RAQIB_ALERTMANAGER_URL=am_url
    )
    settings = Settings(
        kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_partitions=PARTITIONS, topic_replication=1
    )
    ensure_topics(settings)
    seen = Topics(settings)
    started = time.monotonic()
    workers: list[WorkerProcess] = []
    with ServerProcess(argv, f"{am_url}/-/ready", tmp_path / "alertmanager.log"):
        try:
            first = WorkerProcess(env, tmp_path, name="first").start()
            workers.append(first)
            produce(settings, wave(0))
            first_ids = {key for key, _ in wave(0)}
            events, alerts, _ = seen.wait(first_ids, set(), 240, workers)
            cells = {story_cell(events[a]) for a in first_ids}
            events, alerts, _ = seen.wait(first_ids, cells, 60, workers)  # their state is written too
            stories = {a.split("-")[0]: events[a].story_id for a in first_ids}
            assert all(events[a].story_status == "new" for a in first_ids)
            first_alerts = {alert.alert_id for alert in alerts}
            assert {alert.event.article_id for alert in alerts} == first_ids, [a.summary for a in alerts]
            deadline = time.monotonic() + 30
            while len(am_alerts(am_url)) < len(alerts) and time.monotonic() < deadline:
                time.sleep(0.5)
            am_before = len(am_alerts(am_url))
            assert am_before == len({(a.rule_id, a.story_id) for a in alerts})
            time.sleep(2.5)  # let the commit interval pass: the kill comes mid-story, not mid-batch

            first.signal(signal.SIGKILL)
            assert first.proc.wait(timeout=10) == -signal.SIGKILL
            replacement = WorkerProcess(env, tmp_path, name="replacement").start()
            workers = [replacement]
            produce(settings, wave(1))
            second_ids = {key for key, _ in wave(1)}
            events, alerts, _ = seen.wait(first_ids | second_ids, cells, 240, workers)
            for article in second_ids:
                event = events[article]
                assert event.story_id == stories[article.split("-")[0]], (article, event.story_id, stories)
                assert event.story_status == "update", article
            second_alerts = [a for a in alerts if a.event.article_id in second_ids]
            assert second_alerts == [], [a.summary for a in second_alerts]
            assert {a.alert_id for a in alerts} == first_alerts
            assert metric(replacement, "raqib_alertmanager_alerts_total", outcome="sent") == 0

            joiner = WorkerProcess(env, tmp_path, name="joiner").start()
            workers = [replacement, joiner]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not (
                joiner.alive() and candidate_partitions(joiner) if joiner.healthz()[0] else False
            ):
                time.sleep(1.0)
            moved = candidate_partitions(joiner)
            assert moved, "the joining worker was never assigned a candidates partition:\n" + joiner.log_tail(40)
            assert moved & {cell_partition(c) for c in cells}, (moved, {c: cell_partition(c) for c in cells})
            produce(settings, wave(2))
            third_ids = {key for key, _ in wave(2)}
            events, alerts, _ = seen.wait(first_ids | second_ids | third_ids, cells, 240, workers)
            for article in third_ids:
                event = events[article]
                assert event.story_id == stories[article.split("-")[0]], (article, event.story_id, stories)
                assert event.story_status == "update", article
            third_alerts = [a for a in alerts if a.event.article_id in third_ids]
            assert third_alerts == [], [a.summary for a in third_alerts]
            assert {a.alert_id for a in alerts} == first_alerts
            pushed = sum(metric(w, "raqib_alertmanager_alerts_total", outcome="sent") for w in workers)
            am_after = len(am_alerts(am_url))
            print(
                f"\nrestart continuity: {len(stories)} stories, ids kept {len(second_ids) + len(third_ids)}/"
                f"{len(second_ids) + len(third_ids)} after SIGKILL and a joining worker (partition(s) {sorted(moved)} "
                f"moved); alerts {len(first_alerts)} before, second alerts 0, pushes after the kill {pushed:.0f}, "
                f"Alertmanager alerts {am_before} → {am_after}; {time.monotonic() - started:.1f}s"
            )
            assert pushed == 0 and am_after == am_before
        finally:
            for worker in workers:
                worker.stop()

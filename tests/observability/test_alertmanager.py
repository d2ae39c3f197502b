"""AlertmanagerClient against a REAL Alertmanager (Debian's prometheus-alertmanager) on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from raqib.contracts import Alert, Count, Event, Evidence, Location
from raqib.observability import metrics
from raqib.observability.alertmanager import AlertmanagerClient, to_alertmanager
from raqib.stages.alerts import AlertRules
from tests.ops_support import REPO_ROOT, ServerProcess, alertmanager_argv, free_port, require_binary, wait_for

CONFIG = REPO_ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
SENTENCE = "قُتل 12 مدنياً بغارة جوية على مدينة أريحا جنوب إدلب."
UNLOCATED_RULE = """\
version: 1
rules:
  - id: mass-casualty
    name: Mass-casualty event (10+ killed)
    severity: critical
    suppress_for: 6h
    when:
      min_fatalities: 10
"""


def make_alert(story: str = "st-ariha", admin1: str | None = "Idlib", killed: int = 12) -> Alert:
    event = Event(
        event_id=f"ev-{story}",
        article_id="art-1",
        story_id=story,
        story_status="new",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        plover_type="ASSAULT",
        location=Location(surface="أريحا", name_en="Ariha", admin1=admin1, geo_precision=1)
        if admin1
        else None,
        fatalities=Count(exact=killed),
        event_date=date(2024, 3, 1),
        time_precision="day",
        date_basis="text",
        evidence=Evidence(sentence=SENTENCE, clean_start=0, clean_end=len(SENTENCE), trigger="غارة جوية"),
        confidence=0.9,
        extractor_version="test",
        url="https://example.org/ariha",
        ingested_at=datetime.now(UTC),
    )
    # the default rules page only for located events; a site's own rule may page without a place
    rules = AlertRules.default() if admin1 else AlertRules.from_yaml(UNLOCATED_RULE, source="test")
    [alert] = [
        a for a in rules.evaluate(event, {}, datetime.now(UTC).timestamp()) if a.rule_id == "mass-casualty"
    ]
    return alert


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require_binary("prometheus-alertmanager", "alertmanager")
    work = tmp_path_factory.mktemp("alertmanager")
    port = free_port()
    argv = alertmanager_argv(binary, CONFIG, work / "data", port)
    with ServerProcess(argv, f"http://127.0.0.1:{port}/-/ready", work / "alertmanager.log"):
        yield f"http://127.0.0.1:{port}"


def am_alerts(base: str, **filters: str) -> list[dict[str, object]]:
    params = [("filter", f'{k}="{v}"') for k, v in filters.items()]
    response = httpx.get(f"{base}/api/v2/alerts", params=params, timeout=5.0)
    response.raise_for_status()
    return response.json()


def test_committed_config_passes_amtool() -> None:
    import subprocess

    amtool = require_binary("amtool")
    result = subprocess.run([amtool, "check-config", str(CONFIG)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_payload_shape() -> None:
    alert = make_alert()
    now = datetime(2030, 1, 1, tzinfo=UTC)
    body = to_alertmanager(alert, now=now, resolve_after=timedelta(hours=2))
    assert body["labels"] == {
        "alertname": "Mass-casualty event (10+ killed)",
        "severity": "critical",
        "rule_id": "mass-casualty",
        "event_type": "Explosions/Remote violence",
        "admin1": "Idlib",
        "story_id": "st-ariha",
    }
    assert body["annotations"]["summary"] == alert.summary
    assert body["annotations"]["evidence"] == SENTENCE
    assert body["annotations"]["url"] == "https://example.org/ariha"
    assert body["startsAt"] == alert.created_at.isoformat()
    assert body["endsAt"] == (now + timedelta(hours=2)).isoformat()
    assert "generatorURL" not in body
    no_place = to_alertmanager(make_alert(admin1=None), generator_url="http://grafana:3000/d/raqib")
    assert "admin1" not in no_place["labels"]
    assert no_place["generatorURL"] == "http://grafana:3000/d/raqib"


def test_push_and_read_back(alertmanager: str) -> None:
    alert = make_alert(story="st-push-1")
    sent_before = metrics.ALERTMANAGER_SENT.labels("sent")._value.get()

    async def push() -> AlertmanagerClient:
        client = AlertmanagerClient(alertmanager, queue_size=10, backoff_initial_s=0.05)
        await client.start()
        client.enqueue(alert)
        await client.stop()
        return client

    client = asyncio.run(push())
    assert (client.sent, client.failed, client.dropped) == (1, 0, 0)
    assert metrics.ALERTMANAGER_SENT.labels("sent")._value.get() == sent_before + 1
    found = wait_for(lambda: am_alerts(alertmanager, story_id="st-push-1"), timeout_s=10)
    assert found, "alert not visible in Alertmanager"
    [got] = found
    assert got["labels"] == {
        "alertname": "Mass-casualty event (10+ killed)",
        "severity": "critical",
        "rule_id": "mass-casualty",
        "event_type": "Explosions/Remote violence",
        "admin1": "Idlib",
        "story_id": "st-push-1",
    }
    assert got["annotations"]["summary"] == alert.summary
    assert got["annotations"]["evidence"] == SENTENCE
    assert got["annotations"]["alert_id"] == alert.alert_id
    assert got["status"]["state"] == "active"
    # Routed by the committed config to the analysts' receiver.
    assert [r["name"] for r in got["receivers"]] == ["analysts"]
    print("alert read back from Alertmanager:", got["labels"], got["annotations"]["summary"])


def test_update_of_same_story_refreshes_one_alert(alertmanager: str) -> None:
    async def push() -> None:
        async with AlertmanagerClient(alertmanager, backoff_initial_s=0.05) as client:
            client.enqueue(make_alert(story="st-same", killed=12))
            client.enqueue(make_alert(story="st-same", killed=20))

    asyncio.run(push())
    found = wait_for(lambda: am_alerts(alertmanager, story_id="st-same"), timeout_s=10)
    assert found and len(found) == 1  # same labels = same Alertmanager alert
    assert "20 killed" in found[0]["annotations"]["summary"]


def test_full_queue_drops_oldest_and_drain_sends_the_rest(alertmanager: str) -> None:
    dropped_before = metrics.ALERTMANAGER_SENT.labels("dropped")._value.get()

    async def push() -> AlertmanagerClient:
        client = AlertmanagerClient(alertmanager, queue_size=2, backoff_initial_s=0.05)
        for i in range(5):  # sender not started yet: the queue fills up
            client.enqueue(make_alert(story=f"st-q{i}"))
        assert client.pending == 2
        await client.start()
        await client.stop()
        return client

    client = asyncio.run(push())
    assert (client.dropped, client.sent) == (3, 2)
    assert metrics.ALERTMANAGER_SENT.labels("dropped")._value.get() == dropped_before + 3
    stories = {
        a["labels"]["story_id"] for a in am_alerts(alertmanager) if a["labels"]["story_id"].startswith("st-q")
    }
    assert stories == {"st-q3", "st-q4"}  # the newest survive


def test_retries_until_alertmanager_comes_up(tmp_path: Path) -> None:
    binary = require_binary("prometheus-alertmanager", "alertmanager")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    retries_before = metrics.ALERTMANAGER_RETRIES._value.get()

    async def push() -> AlertmanagerClient:
        client = AlertmanagerClient(base, max_retries=30, backoff_initial_s=0.1, backoff_max_s=0.5)
        await client.start()
        client.enqueue(make_alert(story="st-late"))
        await asyncio.sleep(0.5)  # nothing listens yet: connection refused, retrying
        assert client.sent == 0
        argv = alertmanager_argv(binary, CONFIG, tmp_path / "data", port)
        with ServerProcess(argv, f"{base}/-/ready", tmp_path / "am.log"):
            await client.stop(timeout_s=20)
            assert wait_for(lambda: am_alerts(base, story_id="st-late"), timeout_s=10)
        return client

    client = asyncio.run(push())
    assert (client.sent, client.failed) == (1, 0)
    assert metrics.ALERTMANAGER_RETRIES._value.get() > retries_before


def test_gives_up_after_max_retries() -> None:
    port = free_port()  # nothing listens here

    async def push() -> AlertmanagerClient:
        client = AlertmanagerClient(f"http://127.0.0.1:{port}", max_retries=2, backoff_initial_s=0.01)
        await client.start()
        client.enqueue(make_alert(story="st-lost"))
        await client.stop(timeout_s=10)
        return client

    client = asyncio.run(push())
    assert (client.sent, client.failed) == (0, 1)


def test_rejected_batch_is_resent_one_by_one(alertmanager: str) -> None:
    good = make_alert(story="st-good")
    # An alert whose payload Alertmanager refuses: a label name that is not a Prometheus label name.
    bad = make_alert(story="st-bad")

    class BadLabelClient(AlertmanagerClient):
        def payload(self, alert: Alert, now: datetime) -> dict[str, Any]:
            body = super().payload(alert, now)
            if alert.story_id == "st-bad":
                body["labels"]["bad-label name"] = "x"  # not a valid label name: Alertmanager answers 400
            return body

    async def push() -> AlertmanagerClient:
        client = BadLabelClient(alertmanager, batch_size=10)
        client.enqueue(good)
        client.enqueue(bad)
        await client.start()
        await client.stop()
        return client

    client = asyncio.run(push())
    assert (client.sent, client.failed) == (1, 1)
    assert am_alerts(alertmanager, story_id="st-good")
    assert not am_alerts(alertmanager, story_id="st-bad")

"""raqib.observability.metrics: consumer lag bookkeeping, snapshots, quantiles, the exported names."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from raqib.contracts import MetricsSnapshot, decode, encode
from raqib.observability import metrics
from raqib.observability.alertmanager import AlertmanagerClient, client_from_settings


def lag_samples() -> dict[tuple[str, str], float]:
    return {
        (s.labels["topic"], s.labels["partition"]): s.value
        for family in metrics.CONSUMER_LAG.collect()
        for s in family.samples
    }


def test_consumer_lag_per_partition_and_rebalance() -> None:
    lags = metrics.update_consumer_lag(
        {
            ("raqib.articles.raw.v1", 0): (100, 40),
            ("raqib.articles.raw.v1", 1): (5, None),
            ("raqib.articles.ar.v1", 2): (7, 9),
        }
    )
    assert lags == {
        "raqib.articles.ar.v1[2]": 0.0,
        "raqib.articles.raw.v1[0]": 60.0,
        "raqib.articles.raw.v1[1]": 5.0,
    }
    assert lag_samples() == {
        ("raqib.articles.raw.v1", "0"): 60.0,
        ("raqib.articles.raw.v1", "1"): 5.0,
        ("raqib.articles.ar.v1", "2"): 0.0,  # position past highwater (race) never goes negative
    }
    # After a rebalance this worker keeps only partition 0: the others leave the gauge.
    assert metrics.update_consumer_lag({("raqib.articles.raw.v1", 0): (120, 110)}) == {
        "raqib.articles.raw.v1[0]": 10.0
    }
    assert lag_samples() == {("raqib.articles.raw.v1", "0"): 10.0}
    # Unknown highwater (not fetched yet): skipped, not reported as 0.
    assert metrics.update_consumer_lag({("raqib.articles.raw.v1", 0): (None, 3)}) == {}
    assert lag_samples() == {}


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.5, 0.005), (0.25, 0.0025), (0.75, 0.025), (1.0, 0.5), (0.9, 0.31)],
)
def test_histogram_quantile_matches_promql_interpolation(q: float, expected: float) -> None:
    # Cumulative buckets for observations 0.002, 0.004, 0.02, 0.3.
    buckets = [(0.001, 0.0), (0.0025, 1.0), (0.005, 2.0), (0.025, 3.0), (0.5, 4.0), (math.inf, 4.0)]
    assert metrics.histogram_quantile(q, buckets) == pytest.approx(expected)


def test_histogram_quantile_edge_cases() -> None:
    assert metrics.histogram_quantile(0.5, []) is None
    assert metrics.histogram_quantile(0.5, [(1.0, 0.0), (math.inf, 0.0)]) is None
    # Everything above the last finite bound: PromQL answers that bound.
    assert metrics.histogram_quantile(0.99, [(1.0, 0.0), (2.0, 0.0), (math.inf, 5.0)]) == 2.0


def test_build_snapshot_reads_a_registry() -> None:
    registry = CollectorRegistry()
    messages = Counter("raqib_messages", "m", ["stage", "outcome"], registry=registry)
    events = Counter("raqib_events", "e", ["event_type", "admin1"], registry=registry)
    latency = Histogram(
        "raqib_stage_latency_seconds", "l", ["stage"], buckets=metrics.LATENCY_BUCKETS_S, registry=registry
    )
    messages.labels("clean", "in").inc(10)
    messages.labels("clean", "out").inc(9)
    messages.labels("clean", "dlq").inc(1)
    events.labels("Battles", "Idlib").inc(2)
    events.labels("Battles", "Aleppo").inc(3)
    events.labels("Protests", "Daraa").inc()
    for value in (0.002, 0.004, 0.02, 0.3):
        latency.labels("ner").observe(value)
    snap = metrics.build_snapshot("worker-1", started_at=1000.0, now=1060.5, registry=registry)
    assert snap.worker_id == "worker-1"
    assert snap.uptime_s == 60.5
    assert snap.messages == {"clean": {"in": 10.0, "out": 9.0, "dlq": 1.0}}
    assert snap.events_by_type == {"Battles": 5.0, "Protests": 1.0}
    assert snap.stage_latency_p50_ms == {"ner": 5.0}
    assert snap.consumer_lag == {}
    assert decode(MetricsSnapshot, encode(snap)) == snap


def test_build_snapshot_of_the_process_registry() -> None:
    metrics.MESSAGES.labels("langid", "routed_other").inc()
    metrics.update_consumer_lag({("raqib.articles.clean.v1", 3): (50, 20)})
    snap = metrics.build_snapshot("w", started_at=0.0)
    assert snap.messages["langid"]["routed_other"] >= 1
    assert snap.consumer_lag == {"raqib.articles.clean.v1[3]": 30.0}
    metrics.update_consumer_lag({})


def test_exported_names_include_suffixes_and_existing_contract() -> None:
    names = metrics.exported_metric_names()
    for name in (
        "raqib_messages_total",
        "raqib_dlq_messages_total",
        "raqib_stage_latency_seconds_bucket",
        "raqib_stage_latency_seconds_sum",
        "raqib_stage_latency_seconds_count",
        "raqib_end_to_end_latency_seconds_bucket",
        "raqib_ner_tokens_total",
        "raqib_ner_tokens_per_second",
        "raqib_events_total",
        "raqib_articles_by_language_total",
        "raqib_alerts_total",
        "raqib_consumer_lag",
        "raqib_last_event_timestamp_seconds",
        "raqib_build_info",
        "raqib_alertmanager_alerts_total",
        "raqib_alertmanager_queue_size",
    ):
        assert name in names, name
    assert "raqib_messages" not in names  # a counter is only exposed with its suffixes


def test_client_from_settings() -> None:
    assert client_from_settings(None) is None
    client = client_from_settings("http://alertmanager:9093/", queue_size=5)
    assert isinstance(client, AlertmanagerClient)
    assert client.url == "http://alertmanager:9093/api/v2/alerts"
    assert client.queue_size == 5
    with pytest.raises(ValueError):
        AlertmanagerClient("http://x", queue_size=0)

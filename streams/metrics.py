"""All Prometheus metrics raqib exports, in one place (names are the dashboard's and alert rules' contract)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server

# Millisecond-granular buckets (in seconds, the Prometheus convention), as Faust's own sensor does.
LATENCY_BUCKETS_S = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
E2E_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)

MESSAGES = Counter(
    "raqib_messages_total",
    "Messages handled per stage and outcome (in, out, routed_other, dlq).",
    ["stage", "outcome"],
)
DLQ_MESSAGES = Counter(
    "raqib_dlq_messages_total", "Dead-lettered messages per stage and reason.", ["stage", "reason"]
)
STAGE_LATENCY = Histogram(
    "raqib_stage_latency_seconds",
    "Wall time a stage spends on one message (batched stages: per batch / size).",
    ["stage"],
    buckets=LATENCY_BUCKETS_S,
)
E2E_LATENCY = Histogram(
    "raqib_end_to_end_latency_seconds",
    "From ingest (RawArticle.ingested_at) to the article's terminal record.",
    buckets=E2E_BUCKETS_S,
)
NER_BATCH_SIZE = Histogram("raqib_ner_batch_size", "Articles per Stanza batch.", buckets=BATCH_BUCKETS)
NER_TOKENS = Counter("raqib_ner_tokens_total", "Tokens run through Stanza NER.")
NER_TOKENS_PER_S = Gauge("raqib_ner_tokens_per_second", "Tokens/s of the last NER batch.")
EVENTS = Counter(
    "raqib_events_total", "Events emitted, by ACLED type and governorate.", ["event_type", "admin1"]
)
LANGUAGES = Counter("raqib_articles_by_language_total", "Articles by detected language.", ["lang"])
ALERTS = Counter("raqib_alerts_total", "Alerts emitted, by rule and severity.", ["rule", "severity"])
MODEL_LOAD_SECONDS = Gauge("raqib_model_load_seconds", "Time to load a model at worker start.", ["model"])
CONSUMER_LAG = Gauge(
    "raqib_consumer_lag", "Messages behind the log end, per topic partition.", ["topic", "partition"]
)
LAST_EVENT_TS = Gauge("raqib_last_event_timestamp_seconds", "Unix time of the last event emitted.")
BUILD_INFO = Info("raqib_build", "Version and configuration of this worker.")


def set_build_info(version: str, **extra: str) -> None:
    """Publish the build/config labels once at start-up."""
    BUILD_INFO.info({"version": version, **extra})


@contextmanager
def stage_timer(stage: str, items: int = 1) -> Iterator[None]:
    """Observe the stage latency per item for the enclosed block."""
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        per_item = elapsed / max(items, 1)
        for _ in range(max(items, 1)):
            STAGE_LATENCY.labels(stage).observe(per_item)


def start_metrics_server(port: int, addr: str = "0.0.0.0", registry: CollectorRegistry = REGISTRY) -> int:
    """Serve /metrics over HTTP (prometheus-client's real exposition). Returns the bound port."""
    if port <= 0:
        return 0
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return int(server.server_address[1])


def counter_values(metric: Counter) -> dict[tuple[str, ...], float]:
    """Current values of a labelled counter, keyed by label values (for snapshots and tests)."""
    values: dict[tuple[str, ...], float] = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                values[tuple(sample.labels.values())] = sample.value
    return values

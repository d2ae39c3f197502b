"""All Prometheus metrics raqib exports, in one place (names are the dashboard's and alert rules' contract)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server

from raqib.contracts.ops import MetricsSnapshot

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
CONSUMER_HIGHWATER = Gauge(
    "raqib_consumer_highwater_offset",
    "Log-end offset seen by the consumer, per topic partition.",
    ["topic", "partition"],
)
CONSUMER_POSITION = Gauge(
    "raqib_consumer_position_offset",
    "Committed/consumed offset, per topic partition.",
    ["topic", "partition"],
)
LAST_EVENT_TS = Gauge("raqib_last_event_timestamp_seconds", "Unix time of the last event emitted.")
WORKER_START_TS = Gauge("raqib_worker_start_time_seconds", "Unix time this worker started (uptime panels).")
BUILD_INFO = Info("raqib_build", "Version and configuration of this worker.")
WORKER_START_TS.set_to_current_time()

# Delivery (raqib.streams.agents.base): classified send failures, agents that crashed, workers that stopped themselves.
SEND_FAILURES = Counter(
    "raqib_send_failures_total",
    "Failed sends by stage and verdict (retriable, rejected = dead-lettered, fatal, retries_exhausted).",
    ["stage", "verdict"],
)
AGENT_CRASHES = Counter(
    "raqib_agent_crashes_total", "Agent bodies that raised (each one stops the worker).", ["stage"]
)
WORKER_FATAL = Counter(
    "raqib_worker_fatal_stops_total", "Times this worker stopped itself because an output was undeliverable."
)
STATE_LOAD_SECONDS = Histogram(
    "raqib_story_state_load_seconds",
    "Time to read one partition of the story state topic on assignment.",
    buckets=LATENCY_BUCKETS_S,
)
STATE_CELLS = Gauge("raqib_story_state_cells", "Story cells held in memory by this worker.")
# Health (raqib.observability.health): what /healthz decides on.
EVENT_LOOP_LAG = Gauge(
    "raqib_event_loop_lag_seconds", "How late the event loop ran its last heartbeat (0.5 s period)."
)
LAST_BATCH_TS = Gauge("raqib_last_batch_timestamp_seconds", "Unix time the last agent batch was delivered.")
HEALTHY = Gauge("raqib_healthy", "1 while /healthz answers 200, 0 while it fails.")

# Alertmanager push (raqib.observability.alertmanager): a bounded queue that drops the oldest when full.
ALERTMANAGER_SENT = Counter(
    "raqib_alertmanager_alerts_total",
    "Alerts handed to Alertmanager, by outcome (sent, failed = gave up after retries, dropped = queue full).",
    ["outcome"],
)
ALERTMANAGER_QUEUE = Gauge("raqib_alertmanager_queue_size", "Alerts waiting to be pushed to Alertmanager.")
ALERTMANAGER_RETRIES = Counter("raqib_alertmanager_retries_total", "Retried POSTs to Alertmanager.")
ALERTMANAGER_PUSH_LATENCY = Histogram(
    "raqib_alertmanager_push_seconds",
    "Wall time of one successful POST /api/v2/alerts (including retries).",
    buckets=LATENCY_BUCKETS_S,
)

# Delivery and the end-to-end audit (``raqib audit`` runs in its own process; with a Pushgateway it pushes
# a separate registry of gauges, see raqib.tools.audit.push_registry).
UNDELIVERED_BATCHES = Counter(
    "raqib_undelivered_batches_total",
    "Agent batches whose outputs were not delivered (left un-acked, read again after restart/rebalance).",
)
AUDIT_MISSING_DOC = "Raw keys older than the grace period with no terminal record (last audit)."
AUDIT_DUPLICATES_DOC = "Extra terminal deliveries of already-accounted keys (last audit)."
AUDIT_MISSING_EVENTS_DOC = "Event ids (from enriched records and candidates) with no record on raqib.events.v1."
AUDIT_MISSING = Gauge("raqib_audit_missing_keys", AUDIT_MISSING_DOC)
AUDIT_DUPLICATES = Gauge("raqib_audit_duplicate_deliveries", AUDIT_DUPLICATES_DOC)
AUDIT_MISSING_EVENTS = Gauge("raqib_audit_missing_events", AUDIT_MISSING_EVENTS_DOC)
AUDIT_REDRIVEN = Counter("raqib_audit_redriven_total", "Raw records re-produced by the audit.")
AUDIT_RUNS = Counter("raqib_audit_runs_total", "Completed audits.")


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


def start_metrics_server(
    port: int,
    addr: str = "0.0.0.0",
    registry: CollectorRegistry = REGISTRY,
    health: Callable[[], tuple[bool, str]] | None = None,
) -> int:
    """Serve /metrics (prometheus-client's real exposition) and, given ``health``, /healthz. Returns the port.

    ``health()`` returns (ok, reason): 200 with "ok" or 503 with the reason, so a probe's log says why.
    """
    if port <= 0:
        return 0
    if health is None:
        server, _thread = start_http_server(port, addr=addr, registry=registry)
        return int(server.server_address[1])
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client import make_wsgi_app
    from prometheus_client.exposition import ThreadingWSGIServer

    metrics_app = make_wsgi_app(registry)

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            ok, reason = health()
            HEALTHY.set(1 if ok else 0)
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")]
            )
            return [reason.encode("utf-8") + b"\n"]
        return metrics_app(environ, start_response)

    class _Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # probes every few seconds: no access log
            return

    server = make_server(addr, port, app, ThreadingWSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="raqib-metrics", daemon=True)
    thread.start()
    return int(server.server_address[1])


def counter_values(metric: Counter) -> dict[tuple[str, ...], float]:
    """Current values of a labelled counter, keyed by label values (for snapshots and tests)."""
    values: dict[tuple[str, ...], float] = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                values[tuple(sample.labels.values())] = sample.value
    return values


# --- consumer lag ----------------------------------------------------------------------------------

_lag_lock = threading.Lock()
_lag_labels: set[tuple[str, str]] = set()


def update_consumer_lag(offsets: Mapping[tuple[str, int], tuple[int | None, int | None]]) -> dict[str, float]:
    """Set ``raqib_consumer_lag`` from ``{(topic, partition): (highwater, position)}``.

    Called periodically with the partitions this worker is assigned now. Partitions that were
    revoked since the last call are removed from the gauge, so a rebalance does not leave a stale
    lag that would keep the 'lag high' alert firing on the wrong worker. A missing position
    (nothing committed yet) counts from offset 0: the whole partition is lag. Returns
    ``{'topic[partition]': lag}`` for the snapshot.
    """
    lags: dict[str, float] = {}
    current: set[tuple[str, str]] = set()
    with _lag_lock:
        for (topic, partition), (highwater, position) in sorted(offsets.items()):
            if highwater is None:
                continue
            labels = (topic, str(partition))
            pos = 0 if position is None or position < 0 else int(position)
            lag = float(max(int(highwater) - pos, 0))
            CONSUMER_LAG.labels(*labels).set(lag)
            CONSUMER_HIGHWATER.labels(*labels).set(float(highwater))
            CONSUMER_POSITION.labels(*labels).set(float(pos))
            current.add(labels)
            lags[f"{topic}[{partition}]"] = lag
        for labels in _lag_labels - current:
            for gauge in (CONSUMER_LAG, CONSUMER_HIGHWATER, CONSUMER_POSITION):
                with suppress(KeyError):
                    gauge.remove(*labels)
        _lag_labels.clear()
        _lag_labels.update(current)
    return lags


# --- snapshots -------------------------------------------------------------------------------------


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus' ``histogram_quantile`` on cumulative ``(upper_bound, count)`` buckets.

    Same interpolation as PromQL (linear inside the bucket, the lowest bucket starting at 0, the
    +Inf bucket answered with the highest finite bound), so a snapshot and the dashboard agree.
    """
    if not buckets:
        return None
    buckets = sorted(buckets)
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return prev_bound
            if count == prev_count:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


def _samples(registry: CollectorRegistry, family_name: str) -> list[tuple[str, dict[str, str], float]]:
    out: list[tuple[str, dict[str, str], float]] = []
    for family in registry.collect():
        if family.name == family_name:
            out.extend((s.name, dict(s.labels), float(s.value)) for s in family.samples)
    return out


def build_snapshot(
    worker_id: str, started_at: float, now: float | None = None, registry: CollectorRegistry = REGISTRY
) -> MetricsSnapshot:
    """A MetricsSnapshot of this process' registry, for consumers of ``raqib.metrics.v1`` without Prometheus.

    ``started_at`` and ``now`` are Unix seconds. Counters are totals since the worker started.
    """
    now = time.time() if now is None else now
    messages: dict[str, dict[str, float]] = {}
    for name, labels, value in _samples(registry, "raqib_messages"):
        if name == "raqib_messages_total":
            messages.setdefault(labels["stage"], {})[labels["outcome"]] = value
    events_by_type: dict[str, float] = {}
    for name, labels, value in _samples(registry, "raqib_events"):
        if name == "raqib_events_total":
            events_by_type[labels["event_type"]] = events_by_type.get(labels["event_type"], 0.0) + value
    per_stage: dict[str, list[tuple[float, float]]] = {}
    for name, labels, value in _samples(registry, "raqib_stage_latency_seconds"):
        if name == "raqib_stage_latency_seconds_bucket":
            per_stage.setdefault(labels["stage"], []).append((float(labels["le"]), value))
    p50: dict[str, float] = {}
    for stage, buckets in sorted(per_stage.items()):
        value = histogram_quantile(0.5, buckets)
        if value is not None:
            p50[stage] = round(value * 1000.0, 3)
    lag = {
        f"{labels['topic']}[{labels['partition']}]": value
        for name, labels, value in _samples(registry, "raqib_consumer_lag")
        if name == "raqib_consumer_lag"
    }
    return MetricsSnapshot(
        worker_id=worker_id,
        taken_at=datetime.fromtimestamp(now, UTC),
        uptime_s=max(0.0, now - started_at),
        messages=messages,
        events_by_type=events_by_type,
        stage_latency_p50_ms=p50,
        consumer_lag=lag,
    )


def exported_metric_names(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every sample name the registry can expose (suffixes included: _total, _bucket, _sum, _count, _info).

    Read from the registry's metric families, which are listed even before a labelled metric has
    its first child, so the dashboard and alert-rule tests can check their PromQL against it and a
    renamed metric breaks a test rather than a panel.
    """
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "info": ("_info",),
        "stateset": ("",),
        "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    }
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
    return names

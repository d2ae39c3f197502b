"""The Grafana dashboard: well-formed, up to date with its generator, and every PromQL expression names
only metrics the code exports and is evaluated successfully (with data) by a REAL Prometheus."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import yaml

from raqib.observability import metrics
from tests.ops_support import REPO_ROOT, metrics_port, prom_query, prometheus_server, wait_for

DASHBOARD = REPO_ROOT / "dashboards" / "raqib.json"
PROVISIONING = REPO_ROOT / "deploy" / "grafana" / "provisioning"
# What Grafana substitutes before sending a query to Prometheus.
GRAFANA_VARS = {
    "$__rate_interval": "1m",
    "$__range": "5m",
    "$__interval": "15s",
    "$job": ".+",
    "$instance": ".+",
}
_METRIC_RE = re.compile(r"\b(raqib_[a-z0-9_]+|up)\b")


def load() -> dict[str, Any]:
    return orjson.loads(DASHBOARD.read_bytes())


def exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expr) for every query target."""
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def substitute(expr: str) -> str:
    for name in sorted(GRAFANA_VARS, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARS[name])
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    return expr


def test_committed_json_matches_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "dashboards" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_layout_ids_and_datasources() -> None:
    dashboard = load()
    panels = dashboard["panels"]
    assert dashboard["uid"] == "raqib-pipeline"
    assert len({p["id"] for p in panels}) == len(panels)
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {
            (x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & occupied, f"panel {panel['title']!r} overlaps another"
        occupied |= cells
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"datasource", "job", "instance"}
    datasources = yaml.safe_load(
        (PROVISIONING / "datasources" / "prometheus.yml").read_text(encoding="utf-8")
    )
    [source] = datasources["datasources"]
    assert variables["datasource"]["current"]["value"] == source["uid"]
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "raqib.yml").read_text(encoding="utf-8"))
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_required_panels_are_there() -> None:
    by_title: dict[str, str] = {}
    for title, expr in exprs(load()):
        by_title[title] = by_title.get(title, "") + expr + "\n"
    joined = "".join(by_title.values())
    assert (
        'sum by (stage) (rate(raqib_messages_total{job=~"$job", instance=~"$instance", outcome="out"}'
        in joined
    )
    for q in ("0.5", "0.95", "0.99"):
        assert (
            f"histogram_quantile({q}, sum by (le, stage) (rate(raqib_stage_latency_seconds_bucket" in joined
        )
        assert f"histogram_quantile({q}, sum by (le) (rate(raqib_end_to_end_latency_seconds_bucket" in joined
    assert "raqib_dlq_messages_total" in by_title["DLQ messages by stage and reason"]
    assert "sum by (topic) (raqib_consumer_lag" in by_title["Consumer lag by topic"]
    assert "sum by (event_type)" in by_title["Events by type"]
    assert "sum by (admin1)" in by_title["Events by governorate"]
    assert "raqib_articles_by_language_total" in by_title["Language shares"]
    assert "raqib_ner_tokens_total" in by_title["NER tokens/s"]
    panels = {p["title"]: p for p in load()["panels"]}
    assert panels["Events by governorate"]["type"] == "table"
    assert panels["Events by governorate"]["targets"][0]["format"] == "table"


def test_every_expression_names_only_exported_metrics() -> None:
    exported = metrics.exported_metric_names() | {"up"}
    seen: set[str] = set()
    for title, expr in exprs(load()):
        names = set(_METRIC_RE.findall(expr))
        assert names, f"{title}: no metric in {expr}"
        unknown = names - exported
        assert not unknown, f"{title}: {sorted(unknown)} not exported by raqib.observability.metrics"
        seen |= names
    # The histograms are queried through their _bucket series.
    assert {"raqib_stage_latency_seconds_bucket", "raqib_end_to_end_latency_seconds_bucket"} <= seen


def _populate() -> None:
    """Touch every metric the dashboard reads, the way the agents do."""
    metrics.set_build_info("test", worker_id="dashboard-test")
    for stage in ("clean", "langid", "ner", "tag", "story"):
        metrics.MESSAGES.labels(stage, "in").inc(3)
        metrics.MESSAGES.labels(stage, "out").inc(2)
        metrics.STAGE_LATENCY.labels(stage).observe(0.004)
    metrics.MESSAGES.labels("langid", "routed_other").inc()
    metrics.DLQ_MESSAGES.labels("clean", "EmptyText").inc()
    metrics.E2E_LATENCY.observe(1.7)
    metrics.NER_BATCH_SIZE.observe(8)
    metrics.NER_TOKENS.inc(950)
    metrics.NER_TOKENS_PER_S.set(1234.0)
    metrics.EVENTS.labels("Explosions/Remote violence", "Idlib").inc()
    metrics.EVENTS.labels("Battles", "Aleppo").inc()
    metrics.LANGUAGES.labels("ar").inc(5)
    metrics.LANGUAGES.labels("en").inc()
    metrics.ALERTS.labels("mass-casualty", "critical").inc()
    metrics.ALERTMANAGER_SENT.labels("sent").inc()
    metrics.ALERTMANAGER_QUEUE.set(0)
    metrics.LAST_EVENT_TS.set(time.time())
    metrics.update_consumer_lag({("raqib.articles.raw.v1", 0): (10, 4)})


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = metrics_port()
    server, base = prometheus_server(tmp_path_factory.mktemp("prometheus-dash"), port)
    with server:
        _populate()
        # Two scrapes apart so rate()/increase() have two samples, then move the counters again.
        assert wait_for(
            lambda: prom_query(base, 'count(raqib_messages_total{job="raqib"})')["data"]["result"], 15
        )
        time.sleep(2.2)
        _populate()
        time.sleep(2.2)
        yield base


def test_prometheus_evaluates_every_expression_with_data(prometheus: str) -> None:
    empty: list[str] = []
    for title, expr in exprs(load()):
        query = substitute(expr)
        answer = prom_query(prometheus, query)
        assert answer["status"] == "success", f"{title}: {query}: {answer}"
        if not answer["data"]["result"]:
            empty.append(f"{title}: {query}")
    assert not empty, "queries with no data although every metric was populated:\n" + "\n".join(empty)
    [table_expr] = [expr for title, expr in exprs(load()) if title == "Events by governorate"]
    table = prom_query(prometheus, substitute(table_expr))["data"]["result"]
    assert {row["metric"]["admin1"] for row in table} >= {"Idlib", "Aleppo"}


def test_template_variable_queries_resolve(prometheus: str) -> None:
    jobs = httpx.get(
        f"{prometheus}/api/v1/label/job/values", params={"match[]": "raqib_build_info"}, timeout=5
    ).json()
    assert jobs["data"] == ["raqib"]
    instances = httpx.get(
        f"{prometheus}/api/v1/label/instance/values",
        params={"match[]": 'raqib_build_info{job=~"raqib"}'},
        timeout=5,
    ).json()
    assert len(instances["data"]) == 1


def test_increases_count_a_labelled_series_first_increment(prometheus: str) -> None:
    """A labelled counter is born at its first .inc(): increase() misses that step, the panels do not."""
    import dashboards.generate as generate

    births = substitute(generate.increase_with_births("raqib_dlq_messages_total", "stage, reason", "$__range"))
    plain = substitute('sum by (stage, reason) (increase(raqib_dlq_messages_total{job=~"$job"}[$__range]))')
    [current] = prom_query(prometheus, 'sum(raqib_dlq_messages_total{stage="clean", reason="EmptyText"})')["data"][
        "result"
    ]

    def value(query: str) -> float:
        rows = prom_query(prometheus, query)["data"]["result"]
        return sum(float(r["value"][1]) for r in rows if r["metric"] == {"stage": "clean", "reason": "EmptyText"})

    total = float(current["value"][1])
    assert value(births) == pytest.approx(total)  # the series was born while this Prometheus ran
    assert value(plain) < total


def test_the_renderer_substitutes_every_panel_query_like_grafana() -> None:
    """dashboards/render.py (the README picture) sends each panel's PromQL with Grafana's variables filled."""
    import dashboards.render as render

    for title, expr in exprs(load()):
        query = render.substitute(expr, "10s", "90s")
        assert "$" not in query, title
        assert _METRIC_RE.search(query), title
    assert render.legend("{{stage}}: {{reason}}", {"stage": "clean", "reason": "empty_text"}) == "clean: empty_text"
    assert render.legend("{{topic}}[{{partition}}]", {"topic": "raw"}) == "raw[]"
    assert render.fmt_value(0.0103, "percentunit") == "1.03%"
    assert render.fmt_value(15.04, "s") == "15.0 s"

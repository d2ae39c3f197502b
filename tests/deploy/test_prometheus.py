"""Prometheus config and rules checked by promtool, and a REAL Prometheus scraping raqib's /metrics."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from raqib.observability import metrics
from raqib.tools import audit
from tests.ops_support import REPO_ROOT, metrics_port, prom_query, prometheus_server, require_binary, wait_for

PROM_DIR = REPO_ROOT / "deploy" / "prometheus"
RULES = PROM_DIR / "rules" / "raqib.rules.yml"
RULE_TESTS = PROM_DIR / "rules" / "raqib.rules.test.yml"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = require_binary("promtool")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, cwd=PROM_DIR)


def test_promtool_check_config() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: prometheus.yml is valid prometheus config file syntax" in result.stdout
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 13 rules found" in result.stdout


def test_promtool_rule_unit_tests() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_use_only_exported_metrics() -> None:
    import re

    import yaml

    assert audit.AUDIT_MISSING is not None  # registers the audit metrics the rules use
    # what the workers expose, plus what `raqib audit` pushes to the Pushgateway (same registry code)
    pushed = audit.push_registry(audit.AuditReport(0, 0, [], 0, [], 0))
    exported = metrics.exported_metric_names() | metrics.exported_metric_names(pushed) | {"up"}
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    names: set[str] = set()
    for group in doc["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["component"] == "raqib"
            assert rule["labels"]["severity"] in {"warning", "critical"}
            names.update(re.findall(r"\b(raqib_[a-z0-9_]+)", rule["expr"]))
    assert names, "no raqib metric referenced"
    assert names <= exported, f"rules reference metrics the code does not export: {sorted(names - exported)}"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = metrics_port()
    server, base = prometheus_server(tmp_path_factory.mktemp("prometheus"), port, rule_files=[RULES])
    with server:
        yield base


def test_real_prometheus_scrapes_raqib_counter(prometheus: str) -> None:
    before = metrics.MESSAGES.labels("clean", "out")._value.get()
    metrics.MESSAGES.labels("clean", "out").inc(7)
    expected = before + 7
    expr = 'raqib_messages_total{job="raqib",stage="clean",outcome="out"}'

    def scraped() -> dict[str, object] | None:
        answer = prom_query(prometheus, expr)
        result = answer["data"]["result"] if answer.get("status") == "success" else []
        return answer if result and float(result[0]["value"][1]) == expected else None

    answer = wait_for(scraped, timeout_s=15)
    assert answer, f"Prometheus never saw {expr} = {expected}: {prom_query(prometheus, expr)}"
    [sample] = answer["data"]["result"]
    assert sample["metric"]["__name__"] == "raqib_messages_total"
    assert sample["metric"]["stage"] == "clean" and sample["metric"]["outcome"] == "out"
    print("Prometheus query result:", sample)


def test_target_is_up_and_lag_is_queryable(prometheus: str) -> None:
    metrics.update_consumer_lag(
        {("raqib.articles.raw.v1", 0): (1200, 200), ("raqib.articles.raw.v1", 1): (50, 50)}
    )

    def lag() -> float | None:
        answer = prom_query(prometheus, 'sum by (topic) (raqib_consumer_lag{job="raqib"})')
        result = answer["data"]["result"]
        return float(result[0]["value"][1]) if result and float(result[0]["value"][1]) == 1000.0 else None

    assert wait_for(lag, timeout_s=15) == 1000.0
    up = prom_query(prometheus, 'up{job="raqib"}')["data"]["result"]
    assert [s["value"][1] for s in up] == ["1"]


def test_real_prometheus_loads_and_evaluates_the_rules(prometheus: str) -> None:
    import httpx

    def evaluated() -> list[dict[str, object]] | None:
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        done = all(r.get("lastEvaluation", "").startswith("20") for r in rules)
        return rules if rules and done else None

    rules = wait_for(evaluated, timeout_s=15)
    assert rules, "rules not evaluated"
    assert len(rules) == 13
    assert {r["health"] for r in rules} == {"ok"}, [(r["name"], r.get("lastError")) for r in rules]
    # With one healthy worker scraped, none of the availability alerts fires.
    alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    assert not [a for a in alerts if a["labels"]["alertname"] in {"RaqibWorkerDown", "RaqibNoWorkers"}]


def test_snapshot_quantiles_agree_with_prometheus(prometheus: str) -> None:
    for value in (0.002, 0.004, 0.004, 0.02, 0.3, 1.7, 0.07):
        metrics.STAGE_LATENCY.labels("xcheck").observe(value)
    expr = 'raqib_stage_latency_seconds_count{job="raqib",stage="xcheck"}'
    assert wait_for(lambda: prom_query(prometheus, expr)["data"]["result"], timeout_s=15)
    buckets = [
        (float(s.labels["le"]), s.value)
        for family in metrics.STAGE_LATENCY.collect()
        for s in family.samples
        if s.name.endswith("_bucket") and s.labels["stage"] == "xcheck"
    ]
    for q in (0.5, 0.9, 0.99):
        answer = prom_query(
            prometheus,
            f'histogram_quantile({q}, raqib_stage_latency_seconds_bucket{{job="raqib",stage="xcheck"}})',
        )
        [sample] = answer["data"]["result"]
        assert float(sample["value"][1]) == pytest.approx(metrics.histogram_quantile(q, buckets)), q
    snap = metrics.build_snapshot("w", 0.0)
    answer = prom_query(
        prometheus, 'histogram_quantile(0.5, raqib_stage_latency_seconds_bucket{job="raqib",stage="xcheck"})'
    )
    assert snap.stage_latency_p50_ms["xcheck"] == pytest.approx(
        float(answer["data"]["result"][0]["value"][1]) * 1000, abs=1e-3
    )

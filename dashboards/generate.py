"""Generate ``dashboards/raqib.json`` (Grafana dashboard) from a compact panel list.

Why a script: forty hand-edited PromQL strings in a 2,000-line JSON drift from the metric names
in ``src/raqib/observability/metrics.py``; here each panel is a few lines, and ``tests/deploy/test_dashboard.py``
checks every expression against the code's registry and a real Prometheus.

    python dashboards/generate.py            # rewrite dashboards/raqib.json
    python dashboards/generate.py --check    # exit 1 if the committed file is stale (CI)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "raqib.json"
UID = "raqib-pipeline"
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
GRID_W = 24


def target(
    expr: str, legend: str = "", ref: str = "A", instant: bool = False, fmt: str = "time_series"
) -> dict[str, Any]:
    return {
        "datasource": DS,
        "refId": ref,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "format": fmt,
    }


def timeseries(title: str, targets: list[dict[str, Any]], unit: str = "short", desc: str = "", stack: bool = False,
               bars: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "timeseries",
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": {
                    "drawStyle": "bars" if bars else "line",
                    "fillOpacity": 60 if bars else 10,
                    "lineWidth": 1,
                    "stacking": {"mode": "normal" if stack else "none", "group": "A"},
                    "showPoints": "never",
                },
            },
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def stat(title: str, expr: str, unit: str = "short", desc: str = "", thresholds: list[tuple[float | None, str]] | None = None
         ) -> dict[str, Any]:  # fmt: skip
    steps = [{"value": v, "color": c} for v, c in (thresholds or [(None, "green")])]
    return {
        "type": "stat",
        "title": title,
        "description": desc,
        "datasource": DS,
        # a range query with a sparkline: after a burst the last value alone (0 /s) says nothing
        "targets": [target(expr)],
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        },
    }


def table(title: str, expr: str, label: str, value_name: str, desc: str = "") -> dict[str, Any]:
    return {
        "type": "table",
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": [target(expr, instant=True, fmt="table")],
        "transformations": [
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True},
                    "renameByName": {label: label, "Value": value_name},
                },
            },
            {"id": "sortBy", "options": {"sort": [{"field": value_name, "desc": True}]}},
        ],
        "fieldConfig": {"defaults": {"unit": "short"}, "overrides": []},
        "options": {"showHeader": True, "cellHeight": "sm"},
    }


def piechart(title: str, expr: str, legend: str, desc: str = "") -> dict[str, Any]:
    return {
        "type": "piechart",
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": [target(expr, legend=legend, instant=True)],
        "fieldConfig": {"defaults": {"unit": "short"}, "overrides": []},
        "options": {
            "pieType": "donut",
            "displayLabels": ["name", "percent"],
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "legend": {"displayMode": "table", "placement": "right", "values": ["value", "percent"]},
        },
    }


def quantiles(metric: str, by: str = "") -> list[dict[str, Any]]:
    """p50/p95/p99 with histogram_quantile over rate() of the buckets (optionally per ``by`` label)."""
    group = f"le, {by}" if by else "le"
    legend_by = f"{{{{{by}}}}} " if by else ""
    return [
        target(
            f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket{{{SEL}}}[$__rate_interval])))",
            legend=f"{legend_by}p{int(q * 100)}",
            ref=ref,
        )
        for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))
    ]


def increase_with_births(metric: str, by: str, window: str, extra: str = "") -> str:
    """``sum by (by) (increase(metric[window]))`` that also counts a labelled series' first increments.

    prometheus-client creates a labelled child at its first ``.inc()``, so the series is born at 1 and
    ``increase()``/``rate()`` never see that step: seen on the rendered dashboard, a run's only three DLQ
    messages, its one English article and the first event of every (type, governorate) read 0. Here each
    series' value minus its value ``window`` ago, 0 for a series that did not exist then (``+ 0`` drops the
    metric name on both sides of ``or``); ``clamp_min(…, 0)`` ignores a counter reset (a restarted
    worker), which makes a restart's window undercount rather than go negative.
    """
    sel = f"{metric}{{{SEL}{extra}}}"
    return f"sum by ({by}) (clamp_min({sel} - ({sel} offset {window} + 0 or {sel} * 0), 0))"


def row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


# (panel, width, height); rows take the full width.
LAYOUT: list[tuple[dict[str, Any], int, int]] = [
    (row("Overview"), GRID_W, 1),
    (stat("Workers up", f'sum(up{{{SEL}}})', desc="Scraped workers answering /metrics.",
          thresholds=[(None, "red"), (1, "green")]), 4, 4),
    (stat("Articles in /s", f'sum(rate(raqib_messages_total{{{SEL}, stage="clean", outcome="in"}}[$__rate_interval]))',
          unit="reqps"), 5, 4),
    (stat("DLQ share (range)", f"sum({increase_with_births('raqib_dlq_messages_total', 'stage', '$__range')}) / "
          f'clamp_min(sum(increase(raqib_messages_total{{{SEL}, stage="clean", outcome="in"}}[$__range])), 1)',
          unit="percentunit", desc="Dead-lettered messages / articles in, over the selected time range.",
          thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")]), 5, 4),
    (stat("Consumer lag", f"sum(raqib_consumer_lag{{{SEL}}})", thresholds=[(None, "green"), (1000, "orange"), (10000, "red")]), 5, 4),
    (stat("Since last event", f"time() - max(raqib_last_event_timestamp_seconds{{{SEL}}} > 0)", unit="s",
          thresholds=[(None, "green"), (1800, "orange")]), 5, 4),

    (row("Throughput"), GRID_W, 1),
    (timeseries("Throughput per stage (out)",
                [target(f'sum by (stage) (rate(raqib_messages_total{{{SEL}, outcome="out"}}[$__rate_interval]))', "{{stage}}")],
                unit="reqps", desc="Messages each stage emitted per second."), 12, 8),
    (timeseries("Outcomes per stage",
                [target(f"sum by (stage, outcome) (rate(raqib_messages_total{{{SEL}}}[$__rate_interval]))",
                        "{{stage}} {{outcome}}")], unit="reqps", stack=True,
                desc="in / out / routed_other / dlq per stage."), 12, 8),

    (row("Latency"), GRID_W, 1),
    (timeseries("Stage latency p50 / p95 / p99", quantiles("raqib_stage_latency_seconds", by="stage"), unit="s",
                desc="Per message; batched NER: batch time / batch size."), 12, 8),
    (timeseries("End-to-end latency p50 / p95 / p99", quantiles("raqib_end_to_end_latency_seconds"), unit="s",
                desc="Ingest to terminal record (enriched, other or DLQ)."), 12, 8),

    (row("Errors and lag"), GRID_W, 1),
    (timeseries("DLQ messages by stage and reason",
                [target(increase_with_births("raqib_dlq_messages_total", "stage, reason", "$__interval"),
                        "{{stage}}: {{reason}}")], stack=True, bars=True,
                desc="Messages dead-lettered per interval (raqib_dlq_messages_total), first ones included."), 12, 8),
    (timeseries("Consumer lag by topic",
                [target(f"sum by (topic) (raqib_consumer_lag{{{SEL}}})", "{{topic}}"),
                 target(f"max by (topic, partition) (raqib_consumer_lag{{{SEL}}})", "{{topic}}[{{partition}}]", ref="B")],
                desc="Messages behind the log end (highwater - committed)."), 12, 8),

    (row("Events"), GRID_W, 1),
    (timeseries("Events by type",
                [target(increase_with_births("raqib_events_total", "event_type", "$__interval"), "{{event_type}}")],
                stack=True, bars=True, desc="ACLED event types emitted per interval."), 16, 9),
    (table("Events by governorate", increase_with_births("raqib_events_total", "admin1", "$__range"), "admin1",
           "events", desc="Events in the selected time range, by admin1 (governorate; 'unknown': no governorate)."),
     8, 9),
    (timeseries("Alerts by rule",
                [target(increase_with_births("raqib_alerts_total", "rule, severity", "$__interval"),
                        "{{rule}} ({{severity}})")], stack=True, bars=True, desc="Alerts raised per interval."),
     12, 8),
    (timeseries("Alertmanager push",
                [target(f"sum by (outcome) (rate(raqib_alertmanager_alerts_total{{{SEL}}}[$__rate_interval]))", "{{outcome}}"),
                 target(f"sum(raqib_alertmanager_queue_size{{{SEL}}})", "queued", ref="B")],
                desc="sent / failed / dropped alerts and the queue."), 12, 8),

    (row("Language and NER"), GRID_W, 1),
    (piechart("Language shares", increase_with_births("raqib_articles_by_language_total", "lang", "$__range"),
              "{{lang}}", desc="Detected language of cleaned articles in the range."), 8, 9),
    (timeseries("NER tokens/s",
                [target(f"sum(rate(raqib_ner_tokens_total{{{SEL}}}[$__rate_interval]))", "tokens/s (all workers)"),
                 target(f"max(raqib_ner_tokens_per_second{{{SEL}}}) and on() sum(rate(raqib_ner_tokens_total{{{SEL}}}"
                        f"[$__rate_interval])) > 0", "fastest worker's last batch", ref="B")],
                desc="Stanza NER throughput: the counter's rate, and the last batch's speed while batches run "
                     "(the gauge keeps its last value when idle)."), 8, 9),
    (timeseries("NER batch size",
                [target(f"sum(rate(raqib_ner_batch_size_sum{{{SEL}}}[$__rate_interval])) / "
                        f"sum(rate(raqib_ner_batch_size_count{{{SEL}}}[$__rate_interval]))", "mean"),
                 target(f"histogram_quantile(0.95, sum by (le) (rate(raqib_ner_batch_size_bucket{{{SEL}}}[$__rate_interval])))",
                        "p95", ref="B")],
                desc="Articles per Stanza batch: the mean (a p50 interpolated inside the first bucket read 0.6)."),
     8, 9),
]  # fmt: skip


def build() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = row_h = 0
    for pid, (panel, width, height) in enumerate(LAYOUT, start=1):
        if x + width > GRID_W:
            x, y = 0, y + row_h
            row_h = 0
        panel = {"id": pid, **panel, "gridPos": {"x": x, "y": y, "w": width, "h": height}}
        panels.append(panel)
        x += width
        row_h = max(row_h, height)
        if x >= GRID_W:
            x, y, row_h = 0, y + row_h, 0
    variables = [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
         "current": {"text": "Prometheus", "value": "raqib-prometheus"}, "hide": 0},
        {"name": "job", "label": "Job", "type": "query", "datasource": DS, "query": "label_values(raqib_build_info, job)",
         "definition": "label_values(raqib_build_info, job)", "refresh": 2, "includeAll": True, "multi": True,
         "allValue": ".+", "current": {"text": "All", "value": "$__all"}},
        {"name": "instance", "label": "Worker", "type": "query", "datasource": DS,
         "query": 'label_values(raqib_build_info{job=~"$job"}, instance)',
         "definition": 'label_values(raqib_build_info{job=~"$job"}, instance)', "refresh": 2, "includeAll": True,
         "multi": True, "allValue": ".+", "current": {"text": "All", "value": "$__all"}},
    ]  # fmt: skip
    return {
        "uid": UID,
        "title": "raqib — conflict-event pipeline",
        "description": "Throughput, latency, DLQ, lag, events, languages and NER speed of the raqib workers.",
        "tags": ["raqib", "kafka", "faust", "nlp"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="fail if dashboards/raqib.json is not up to date"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python dashboards/generate.py", file=sys.stderr)
            return 1
        print(f"{OUT} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(build()['panels'])} panels)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

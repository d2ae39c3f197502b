"""Render the Grafana dashboard's panels from a real Prometheus fed by a real run, as one PNG.

Grafana itself cannot be installed on this project's machines (not packaged by Debian, not on PyPI or npm
as a server), so this draws each panel of ``dashboards/raqib.json`` the way Grafana would: the same PromQL
(template variables substituted as Grafana does), evaluated by a real Prometheus (Debian's ``prometheus``,
installed by ``scripts/install.sh --test``) that scraped real workers during a real run:

1. the embedded broker, ``--workers`` real ``raqib worker`` processes, a real Alertmanager (Debian's
   ``prometheus-alertmanager``, ``deploy/alertmanager/alertmanager.yml``) the workers push alerts to, and
   Prometheus scraping every worker each second;
2. the 300 news articles of ``../shared/data/news`` produced at a steady rate in two waves, with the bundled
   examples (one English page: routed aside) and a few undecodable or empty messages (the DLQ);
3. once every article is accounted for, each panel's queries go to Prometheus's HTTP API (``query_range``
   over the run for time series, ``query`` at its end for stats, tables and pies) and matplotlib draws
   them at their ``gridPos`` in Grafana's dark colours.

    python dashboards/render.py                    # writes dashboards/raqib.png (needs the docs extra)
    python dashboards/render.py --out /tmp/d.png --workers 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DASHBOARD = REPO_ROOT / "dashboards" / "raqib.json"
OUT = REPO_ROOT / "dashboards" / "raqib.png"
SCRAPE_S = 1

# Grafana's dark theme, and its classic palette for series.
BG, PANEL, TEXT, GRID = "#111217", "#181b1f", "#ccccdc", "#2c3235"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#fade2a",
           "#37872d", "#c4162a", "#1f60c4", "#8f3bb8"]  # fmt: skip
COLOURS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "yellow": "#fade2a"}


def substitute(expr: str, rate_interval: str, range_: str) -> str:
    """The PromQL Grafana sends: its variables replaced (all jobs and workers selected)."""
    values = {
        "$__rate_interval": rate_interval,
        "$__range": range_,
        "$__interval": f"{SCRAPE_S}s",
        "$job": ".+",
        "$instance": ".+",
    }
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace(name, values[name])
    if "$" in expr:
        raise ValueError(f"unsubstituted variable in {expr}")
    return expr


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return list(dashboard["panels"])


# --- the real run ---------------------------------------------------------------------------------------


def _bad_inputs() -> list[tuple[str, bytes]]:
    """Messages the pipeline must dead-letter: not JSON, no text, only a link."""
    return [
        ("render-bad-json", b'{"id": "render-bad-json", "text": '),
        ("render-empty", orjson.dumps({"id": "render-empty", "text": "   "})),
        ("render-link-only", orjson.dumps({"id": "render-link-only", "text": "https://example.com/a.jpg"})),
    ]


def _produce_at_rate(settings: Any, items: list[tuple[str, bytes]], rate: float) -> None:
    from raqib.tools.embedded import make_producer

    producer = make_producer(settings)
    start = time.monotonic()
    try:
        for i, (key, value) in enumerate(items):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            producer.send("raqib.articles.raw.v1", key=key.encode(), value=value)
        producer.flush()
    finally:
        producer.close()


def run_and_scrape(
    work: Path, workers: int, rate: float, pause_s: float, stack: list[Any]
) -> tuple[str, float, float]:
    """Start everything (appended to ``stack``, for the caller to stop), run the two waves, wait for the
    last article; returns (Prometheus URL, start, end)."""
    from raqib.settings import Settings
    from raqib.tools.admin import ensure_topics
    from raqib.tools.broker import EmbeddedBroker, free_port
    from raqib.tools.embedded import Collector, WorkerProcess, embedded_env
    from raqib.tools.progress import progress
    from raqib.tools.sources import iter_values

    prometheus = shutil.which("prometheus")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not prometheus or not alertmanager:
        raise SystemExit("needs Debian's prometheus and prometheus-alertmanager: bash scripts/install.sh --test")
    am_port = free_port()
    am = subprocess.Popen(
        [alertmanager, f"--config.file={REPO_ROOT / 'deploy/alertmanager/alertmanager.yml'}",
         f"--storage.path={work / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
         "--cluster.listen-address="],
        stdout=(work / "alertmanager.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    stack.append(am)
    broker = EmbeddedBroker(log_path=work / "broker.log").start()
    stack.append(broker)
    # the workers refresh raqib_consumer_lag with their metrics snapshot (30 s by default): every 5 s here,
    # so a 90-second run shows the lag rise and fall
    env = embedded_env(
        broker.bootstrap,
        work,
        RAQIB_ALERTMANAGER_URL=f"http://127.0.0.1:{am_port}",
        RAQIB_METRICS_SNAPSHOT_INTERVAL_S="5",
    )
    env.setdefault("RAQIB_LOG_LEVEL", "INFO")
    ensure_topics(Settings(kafka_bootstrap=broker.bootstrap, topic_partitions=int(env["RAQIB_TOPIC_PARTITIONS"])))
    procs = [WorkerProcess(env, work, name=f"worker-{i + 1}").start() for i in range(workers)]
    stack.extend(procs)
    prom_port = free_port()
    config = {
        "global": {"scrape_interval": f"{SCRAPE_S}s", "scrape_timeout": f"{SCRAPE_S}s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "raqib", "static_configs": [{"targets": [f"127.0.0.1:{p.metrics_port}" for p in procs]}]}
        ],
    }  # fmt: skip
    (work / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    prom = subprocess.Popen(
        [prometheus, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        stdout=(work / "prometheus.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    stack.append(prom)
    base = f"http://127.0.0.1:{prom_port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    news = list(iter_values([REPO_ROOT.parent / "shared" / "data" / "news"]))
    examples = list(iter_values([REPO_ROOT / "streams" / "examples"]))
    half = len(news) // 2
    waves = [news[:half] + examples, news[half:] + _bad_inputs()]
    expected = {key for wave in waves for key, _ in wave}
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False)
    collector = Collector(settings)
    print(f"run: {len(expected)} messages in two waves at {rate}/s, {workers} worker(s), Prometheus {base}")
    time.sleep(8)  # workers load their models; the dashboard shows the idle start too
    start = time.time() - 5

    def producer() -> None:
        for n, wave in enumerate(waves):
            if n:
                time.sleep(pause_s)
            _produce_at_rate(settings, wave, rate)

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    with progress(total=len(expected), desc="accounted for") as bar:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and not collector.ledger.complete(expected):
            collector.poll()
            bar.update(len(expected & collector.ledger.terminal_keys()) - bar.n)
    collector.close()
    thread.join(timeout=60)
    time.sleep(15)  # a few idle scrapes after the last article
    end = time.time()
    print(f"run: {len(collector.ledger.enriched)} enriched, {len(collector.ledger.other)} routed aside, "
          f"{len(collector.ledger.dead)} dead-lettered in {end - start:.0f}s")  # fmt: skip
    return base, start, end


def stop(stack: list[Any]) -> None:
    for item in reversed(stack):
        if hasattr(item, "poll") and hasattr(item, "terminate"):  # Popen
            item.terminate()
            try:
                item.wait(timeout=15)
            except subprocess.TimeoutExpired:
                item.kill()
        else:
            item.stop()


# --- drawing ------------------------------------------------------------------------------------------------


def query_range(base: str, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{base}/api/v1/query_range", params={"query": expr, "start": start, "end": end, "step": step}, timeout=30
    ).json()
    if answer["status"] != "success":
        raise RuntimeError(f"{expr}: {answer}")
    return answer["data"]["result"]


def query(base: str, expr: str, at: float) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/query", params={"query": expr, "time": at}, timeout=30).json()
    if answer["status"] != "success":
        raise RuntimeError(f"{expr}: {answer}")
    return answer["data"]["result"]


def legend(fmt: str, labels: dict[str, str]) -> str:
    if not fmt or fmt == "__auto":
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "value"
    out = fmt
    for key, value in labels.items():
        out = out.replace("{{" + key + "}}", value)
    while "{{" in out:  # a label the series lacks: Grafana prints nothing for it
        a = out.index("{{")
        out = out[:a] + out[out.index("}}", a) + 2 :]
    return out.strip()


def fmt_value(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "NaN"
    if unit == "percentunit":
        return f"{value * 100:.2f}%"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.1f} s"
    if unit == "reqps":
        return f"{value:.2f} /s"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}K"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"


def threshold_colour(panel: dict[str, Any], value: float) -> str:
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    colour = "green"
    for step in steps:
        if step["value"] is None or value >= step["value"]:
            colour = step["color"]
    return COLOURS.get(colour, colour)


def draw(base: str, start: float, end: float, out: Path, rate_interval: str, workers: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    items = panels(dashboard)
    head = 1.6  # grid rows of space for the title line
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in items) + head
    unit_w, unit_h = 0.62, 0.36  # inches per grid column / row
    fig = plt.figure(figsize=(24 * unit_w, rows * unit_h), facecolor=BG, dpi=72)
    range_ = f"{int(end - start)}s"
    step = max(SCRAPE_S, (end - start) / 240)
    when = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M UTC")
    fig.text(0.005, 1 - 0.3 / rows, f"{dashboard['title']}  ·  {range_} of a real run: the 300 news articles in two "
             f"waves, {workers} workers, scraped each second ({when})  ·  \\$__rate_interval={rate_interval}, "
             f"\\$__interval={step:.0f}s", color=TEXT, fontsize=10, va="top")  # fmt: skip

    def axes_for(pos: dict[str, int], kind: str, pad: float = 0.15) -> Any:
        left = 1.0 if kind == "timeseries" else pad  # room for the y tick labels inside the panel
        x0 = (pos["x"] + left) / 24
        width = (pos["w"] - left - pad) / 24
        top = 1 - (pos["y"] + head + pad + 0.75) / rows
        bottom = 0.75 if kind == "timeseries" else pad  # room for the time axis
        height = (pos["h"] - pad - 0.75 - bottom) / rows
        frame = fig.add_axes(
            ((pos["x"] + pad) / 24, 1 - (pos["y"] + head + pos["h"] - pad) / rows, (pos["w"] - 2 * pad) / 24,
             (pos["h"] - 2 * pad) / rows), facecolor=PANEL)  # fmt: skip
        frame.set_xticks([])
        frame.set_yticks([])
        for spine in frame.spines.values():
            spine.set_color(GRID)
        ax = fig.add_axes((x0, top - height, width, height), facecolor=PANEL)
        for spine in ax.spines.values():
            spine.set_color(GRID)
        ax.tick_params(colors=TEXT, labelsize=7)
        return ax

    for panel in items:
        pos = panel["gridPos"]
        kind = panel["type"]
        if kind == "row":
            y = 1 - (pos["y"] + head + 0.8) / rows
            fig.text(0.005, y, panel["title"], color=TEXT, fontsize=11, fontweight="bold")
            continue
        ax = axes_for(pos, kind)
        fig.text((pos["x"] + 0.35) / 24, 1 - (pos["y"] + head + 0.75) / rows, panel["title"], color=TEXT,
                 fontsize=9, fontweight="bold")  # fmt: skip
        if kind != "timeseries":
            for spine in ax.spines.values():
                spine.set_visible(False)
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        if kind == "stat":
            result = query_range(base, substitute(panel["targets"][0]["expr"], rate_interval, range_), start, end, step)
            ax.set_xticks([])
            ax.set_yticks([])
            points = [(float(t), float(v)) for t, v in result[0]["values"] if v != "NaN"] if result else []
            if not points:
                ax.text(0.5, 0.45, "No data", color="#8e8e8e", ha="center", va="center", fontsize=14)
                continue
            value = points[-1][1]  # Grafana's lastNotNull
            colour = threshold_colour(panel, value)
            if panel["options"].get("graphMode") == "area":
                ax.fill_between([t for t, _ in points], [v for _, v in points], color=colour, alpha=0.25,
                                linewidth=0)  # fmt: skip
                ax.set_xlim(start, end)
                ax.set_ylim(0, max(v for _, v in points) * 2.2 or 1)
            ax.text(0.5, 0.62, fmt_value(value, unit), color=colour, ha="center", va="center", fontsize=22,
                    fontweight="bold", transform=ax.transAxes)  # fmt: skip
        elif kind == "timeseries":
            custom = panel["fieldConfig"]["defaults"]["custom"]
            stacked = custom["stacking"]["mode"] == "normal"
            series: list[tuple[str, list[datetime], list[float]]] = []
            for target in panel["targets"]:
                for s in query_range(base, substitute(target["expr"], rate_interval, range_), start, end, step):
                    xs = [datetime.fromtimestamp(float(t), UTC) for t, _ in s["values"]]
                    ys = [float(v) if v not in ("NaN", "+Inf", "-Inf") else float("nan") for _, v in s["values"]]
                    series.append((legend(target.get("legendFormat", ""), s["metric"]), xs, ys))
            ax.grid(color=GRID, linewidth=0.5)
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
            ax.set_xlim(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
            if not series:
                ax.text(0.5, 0.5, "No data", color="#8e8e8e", ha="center", va="center", transform=ax.transAxes)
                continue
            series.sort(key=lambda s: -max((y for y in s[2] if y == y), default=0.0))
            shown = series[:10]
            for n, (name, xs, ys) in enumerate(shown):
                colour = PALETTE[n % len(PALETTE)]
                if stacked:
                    continue
                ax.plot(xs, ys, color=colour, linewidth=1.2, label=name)
            if stacked:
                by_time: dict[datetime, float] = {}
                for n, (name, xs, ys) in enumerate(shown):
                    lower = [by_time.get(x, 0.0) for x in xs]
                    upper = [lo + (y if y == y else 0.0) for lo, y in zip(lower, ys, strict=True)]
                    colour = PALETTE[n % len(PALETTE)]
                    if custom["drawStyle"] == "bars":
                        heights = [u - lo for lo, u in zip(lower, upper, strict=True)]
                        ax.bar(xs, heights, bottom=lower, width=step / 86400 * 0.9, color=colour, label=name,
                               linewidth=0)  # fmt: skip
                    else:
                        ax.fill_between(xs, lower, upper, color=colour, alpha=0.6, label=name, linewidth=0)
                    by_time.update(dict(zip(xs, upper, strict=True)))
            suffix = {"reqps": "/s", "s": "s", "percentunit": ""}.get(unit, "")
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p, s=suffix: f"{v:g}{s}"))
            ax.legend(loc="upper left", fontsize=6, frameon=False, labelcolor=TEXT, ncol=2 if len(shown) > 5 else 1)
        elif kind == "table":
            target = panel["targets"][0]
            result = query(base, substitute(target["expr"], rate_interval, range_), end)
            label = next(iter(panel["transformations"][0]["options"]["renameByName"]))
            value_name = panel["transformations"][0]["options"]["renameByName"]["Value"]
            rows_ = sorted(((r["metric"].get(label, ""), float(r["value"][1])) for r in result), key=lambda r: -r[1])
            ax.set_xticks([])
            ax.set_yticks([])
            lines = [f"{label:<18}{value_name:>8}"] + [f"{name or '(none)':<18}{value:>8.0f}" for name, value in rows_[:14]]
            ax.text(0.03, 0.9, "\n".join(lines), color=TEXT, family="monospace", fontsize=7.5, va="top",
                    transform=ax.transAxes)  # fmt: skip
        elif kind == "piechart":
            target = panel["targets"][0]
            result = query(base, substitute(target["expr"], rate_interval, range_), end)
            values = [(legend(target["legendFormat"], r["metric"]), float(r["value"][1])) for r in result]
            values = [(n, v) for n, v in values if v > 0]
            if not values:
                ax.text(0.5, 0.5, "No data", color="#8e8e8e", ha="center", va="center", transform=ax.transAxes)
                continue
            total = sum(v for _, v in values)
            ax.pie([v for _, v in values], labels=[f"{n} {v / total:.1%} ({v:.0f})" for n, v in values],
                   colors=PALETTE[: len(values)], wedgeprops={"width": 0.4, "edgecolor": PANEL},
                   textprops={"color": TEXT, "fontsize": 7})  # fmt: skip
            ax.set_aspect("equal")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, facecolor=BG, dpi=72)
    from PIL import Image  # matplotlib's own dependency: a 128-colour palette keeps the PNG small

    Image.open(out).convert("RGB").quantize(colors=128).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, {len(items)} panels)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=6.0, help="articles/s the producer sends")
    parser.add_argument("--pause", type=float, default=20.0, help="seconds between the two waves")
    parser.add_argument("--rate-interval", default="10s", help="what Grafana would use for $__rate_interval")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="raqib-dashboard-"))
    stack: list[Any] = []
    try:
        base, start, end = run_and_scrape(work, args.workers, args.rate, args.pause, stack)
        draw(base, start, end, args.out, args.rate_interval, args.workers)
    finally:
        stop(stack)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

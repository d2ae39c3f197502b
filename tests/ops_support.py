"""Helpers for the ops tests: find the real tools, free loopback ports, run a server and wait for it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

INSTALL_HINT = {
    "prometheus": "apt-get install -y prometheus",
    "promtool": "apt-get install -y prometheus",
    "alertmanager": "apt-get install -y prometheus-alertmanager",
    "amtool": "apt-get install -y prometheus-alertmanager",
    "pushgateway": "apt-get install -y prometheus-pushgateway",
    "kubectl": "install kubectl (it embeds kustomize)",
}


def require_binary(*names: str) -> str:
    """Path of the first binary found; FAIL (never skip) with the install step when none is there."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    hint = INSTALL_HINT.get(names[0].replace("prometheus-", ""), "install it")
    pytest.fail(f"none of {list(names)} on PATH: CI must install it ({hint})", pytrace=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A real server subprocess, stopped (SIGTERM, then SIGKILL) on exit; its log is kept for failures."""

    def __init__(self, argv: Sequence[str], ready_url: str, log_path: Path, timeout_s: float = 30.0) -> None:
        self.argv = list(argv)
        self.ready_url = ready_url
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.argv[0]} exited with {self.proc.returncode}:\n{self.log()}", pytrace=False
                )
            try:
                if httpx.get(self.ready_url, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"{self.argv[0]} not ready at {self.ready_url} in {self.timeout_s}s:\n{self.log()}", pytrace=False
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def wait_for(predicate: object, timeout_s: float = 15.0, interval_s: float = 0.2) -> object:
    """Poll ``predicate()`` until it returns something truthy; that value, else None at the deadline."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval_s)


def alertmanager_argv(binary: str, config: Path, storage: Path, port: int) -> list[str]:
    """A single, isolated Alertmanager: loopback only, clustering off, temp storage."""
    return [
        binary,
        f"--config.file={config}",
        f"--storage.path={storage}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=info",
    ]


def prometheus_server(
    work: Path, scrape_port: int, rule_files: Sequence[Path] = ()
) -> tuple[ServerProcess, str]:
    """A real Prometheus on a free loopback port scraping ``127.0.0.1:scrape_port`` every second as job 'raqib'.

    Returns the (not yet entered) server and its base URL.
    """
    import yaml

    binary = require_binary("prometheus")
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {"job_name": "raqib", "static_configs": [{"targets": [f"127.0.0.1:{scrape_port}"]}]}
        ],
    }
    config_path = work / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    argv = [
        binary,
        f"--config.file={config_path}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    base = f"http://127.0.0.1:{port}"
    return ServerProcess(argv, f"{base}/-/ready", work / "prometheus.log"), base


def prom_query(base: str, expr: str) -> dict[str, object]:
    """``GET /api/v1/query``; the decoded JSON (status, data) whatever the status."""
    response = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10.0)
    return response.json()


def metrics_port() -> int:
    """Serve raqib.observability.metrics' registry on a free loopback port (prometheus-client's real HTTP server)."""
    from raqib.observability.metrics import start_metrics_server

    return start_metrics_server(free_port(), addr="127.0.0.1")

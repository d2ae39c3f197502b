"""`raqib audit` run as a job pushes its result to a real Prometheus Pushgateway, where the alert rules read it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from raqib.settings import Settings
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import produce
from tests.ops_support import REPO_ROOT, ServerProcess, free_port, require_binary

pytestmark = pytest.mark.integration


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_audit_cli_pushes_missing_keys_to_the_pushgateway(broker: EmbeddedBroker, tmp_path: Path) -> None:
    binary = require_binary("prometheus-pushgateway", "pushgateway")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_partitions=1)
    ensure_topics(settings)
    # no worker runs: both raw records stay without a terminal record, i.e. missing
    produce(settings, [(f"pg-{i}", orjson.dumps({"id": f"pg-{i}", "text": "نص"})) for i in range(2)])
    argv = [binary, f"--web.listen-address=127.0.0.1:{port}"]
    with ServerProcess(argv, f"{url}/-/ready", tmp_path / "pushgateway.log"):
        env = {
            **os.environ,
            "RAQIB_KAFKA_BOOTSTRAP": broker.bootstrap,
            "RAQIB_PRODUCER_IDEMPOTENCE": "false",
            "RAQIB_PUSHGATEWAY_URL": url,
        }
        before = time.time()
        result = subprocess.run(
            [sys.executable, "-m", "raqib.tools.cli", "audit", "--grace", "0", "--json"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr[-2000:]  # keys missing and not re-driven
        report = orjson.loads(result.stdout)
        assert report["missing"] == 2
        exposition = httpx.get(f"{url}/metrics", timeout=5).text
    lines = [line for line in exposition.splitlines() if line.startswith("raqib_audit_missing_keys{")]
    assert lines and 'job="raqib-audit"' in lines[0]
    assert _metric(exposition, "raqib_audit_missing_keys") == 2
    assert _metric(exposition, "raqib_audit_redriven_last_run") == 0
    assert _metric(exposition, "raqib_audit_raw_keys") == 2
    last = _metric(exposition, "raqib_audit_last_success_timestamp_seconds")
    assert last is not None and last >= before - 1

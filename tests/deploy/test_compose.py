"""docker-compose.yml: valid against the Compose Specification JSON schema, and wired the way raqib needs.

The schema is the compose-spec project's ``compose-spec.json`` (Apache-2.0) as vendored in the PyPI
package ``check-jsonschema`` (``check_jsonschema/builtin_schemas/vendor/compose-spec.json``, its
``vendor.compose-spec`` builtin); both the library route and its CLI are used.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
import yaml

from raqib.settings import Settings
from tests.ops_support import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"


def compose_schema() -> dict[str, Any]:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8"))


def load() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def validate(doc: dict[str, Any]) -> list[str]:
    schema = compose_schema()
    assert schema["$schema"].rstrip("#/").endswith("draft-07/schema")
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_schema_is_the_compose_spec() -> None:
    schema = compose_schema()
    assert schema["title"] == "Compose Specification"
    assert "services" in schema["properties"]


def test_compose_file_is_valid() -> None:
    assert validate(load()) == []


def test_check_jsonschema_cli_agrees() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_validator_catches_mistakes() -> None:
    broken = copy.deepcopy(load())
    broken["services"]["worker"]["replica"] = 2  # typo of deploy.replicas
    broken["services"]["topics-init"]["depends_on"]["kafka"]["condition"] = "healthy"
    errors = validate(broken)
    assert any("replica" in e for e in errors), errors
    assert any(e.startswith("services/topics-init/depends_on") for e in errors), errors


def test_kafka_is_kraft_and_pinned() -> None:
    kafka = load()["services"]["kafka"]
    assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # raqib creates its own (partitions, configs)


def test_every_image_is_pinned() -> None:
    for name, service in load()["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image} is not pinned"


def test_workers_topic_init_and_producer() -> None:
    doc = load()
    services = doc["services"]
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    replicas = worker["deploy"]["replicas"]
    partitions = int(worker["environment"]["RAQIB_TOPIC_PARTITIONS"])
    assert replicas == 2 and replicas <= partitions
    assert worker["depends_on"]["topics-init"]["condition"] == "service_completed_successfully"
    assert services["topics-init"]["command"] == ["topics", "create"]
    assert services["topics-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert worker["environment"]["RAQIB_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert worker["read_only"] is True and "/tmp" in worker["tmpfs"]
    shared = [v for v in worker["volumes"] if v["target"] == worker["environment"]["RAQIB_SHARED_DIR"]]
    assert shared and shared[0]["source"] == "../shared" and shared[0]["read_only"] is True
    producer = services["producer"]
    assert producer["command"] == ["produce", "/seeds"]
    [seeds] = producer["volumes"]
    assert (seeds["source"], seeds["target"], seeds["read_only"]) == ("../shared/seeds", "/seeds", True)
    # Same image for all raqib services (one build).
    assert {services[s]["image"] for s in ("topics-init", "worker", "producer")} == {"raqib:local"}
    assert services["worker"]["build"]["dockerfile"] == "Dockerfile"


def test_raqib_environment_maps_to_settings() -> None:
    fields = set(Settings.model_fields)
    for name, service in load()["services"].items():
        for key in service.get("environment", {}):
            if key.startswith("RAQIB_"):
                assert key.removeprefix("RAQIB_").lower() in fields, f"{name}: {key} is not a Settings field"
    worker_env = load()["services"]["worker"]["environment"]
    settings = Settings(
        **{k.removeprefix("RAQIB_").lower(): v for k, v in worker_env.items() if k.startswith("RAQIB_")}
    )
    assert settings.topic_partitions == 4 and settings.metrics_port == 9108
    assert settings.topic_replication == 1 == settings.topic_min_insync_replicas  # told otherwise: one broker
    assert settings.alertmanager_url == "http://alertmanager:9093"


def test_monitoring_services_use_the_committed_configs() -> None:
    services = load()["services"]
    for name in ("prometheus", "alertmanager", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), f"{name}: {source} missing"
    prom_cfg = yaml.safe_load(
        (REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    )
    [raqib_job] = [job for job in prom_cfg["scrape_configs"] if job["job_name"] == "raqib"]
    [sd] = raqib_job["dns_sd_configs"]
    assert sd["names"] == ["worker"]  # the compose service name resolves to every replica
    assert str(sd["port"]) == services["worker"]["environment"]["RAQIB_METRICS_PORT"]
    [am] = prom_cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert (
        am
        == "alertmanager:9093"
        == services["worker"]["environment"]["RAQIB_ALERTMANAGER_URL"].removeprefix("http://")
    )
    grafana_mounts = {v.split(":")[1] for v in services["grafana"]["volumes"] if v.startswith("./")}
    assert {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} <= grafana_mounts


@pytest.mark.parametrize("path", ["../shared", "../shared/seeds"])
def test_shared_mounts_exist_beside_the_repo(path: str) -> None:
    assert (REPO_ROOT / path).is_dir(), f"{path} (relative to the repo) must exist for the compose mounts"


def test_audit_loop_pushes_to_the_pushgateway_prometheus_scrapes() -> None:
    services = load()["services"]
    audit = services["audit"]
    assert audit["image"] == "raqib:local"
    assert "raqib audit" in audit["command"][0] and "--redrive" in audit["command"][0]
    url = audit["environment"]["RAQIB_PUSHGATEWAY_URL"]
    assert url == "http://pushgateway:9091" and "pushgateway" in services
    prometheus = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "pushgateway"]
    assert job["honor_labels"] is True  # keeps job="raqib-audit" as pushed
    assert job["static_configs"][0]["targets"] == ["pushgateway:9091"]


def test_safe_defaults_nothing_open_beyond_this_machine() -> None:
    services = load()["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert "ports" not in services["alertmanager"] and "ports" not in services["pushgateway"]
    assert not any("--web.enable-lifecycle" in arg for arg in services["prometheus"]["command"])
    grafana = services["grafana"]["environment"]
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    password = grafana["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_ADMIN_PASSWORD:?"), "compose must refuse to start without a password"
    assert "admin}" not in password


def test_worker_health_is_healthz() -> None:
    check = load()["services"]["worker"]["healthcheck"]["test"]
    assert any("/healthz" in part for part in check)

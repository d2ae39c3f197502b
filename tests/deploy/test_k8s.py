"""Kubernetes manifests: rendered by real kustomize (kubectl's embedded one, or a standalone binary), every
built-in object validated by kubernetes-validate (strict, pinned Kubernetes version), the CRDs
(ServiceMonitor, ScaledObject, TriggerAuthentication) by their vendored JSON schemas (see
tests/data/crd-schemas/README.md), and the wiring checked: probes, security, replicas ≤ partitions,
one autoscaler per overlay, selectors that select."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from raqib.contracts.topics import RAW
from raqib.settings import Settings
from tests.ops_support import REPO_ROOT, require_binary

K8S = REPO_ROOT / "k8s"
KUBERNETES_VERSION = "1.32.0"
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring.coreos.com-v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject-keda.sh-v1alpha1.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication-keda.sh-v1alpha1.json",
}
TARGETS = ["base", "overlays/prod", "overlays/prod-hpa"]


@cache
def render(target: str) -> tuple[dict[str, Any], ...]:
    """``kustomize build`` (standalone) or ``kubectl kustomize`` of a k8s/ folder."""
    standalone = shutil.which("kustomize")
    argv = (
        [standalone, "build", str(K8S / target)]
        if standalone
        else [require_binary("kubectl"), "kustomize", str(K8S / target)]
    )
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(target: str, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in render(target) if doc["kind"] == kind]


def one(target: str, kind: str) -> dict[str, Any]:
    [found] = objects(target, kind)
    return found


@cache
def crd_schema(filename: str) -> dict[str, Any]:
    schema = json.loads((REPO_ROOT / "tests" / "data" / "crd-schemas" / filename).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validate(doc: dict[str, Any]) -> list[str]:
    """Validation errors of one object ([] when valid)."""
    key = (doc["apiVersion"], doc["kind"])
    if key in CRD_SCHEMAS:
        validator = jsonschema.Draft202012Validator(crd_schema(CRD_SCHEMAS[key]))
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    return []


def config(target: str) -> dict[str, str]:
    return one(target, "ConfigMap")["data"]


def pod_labels(target: str) -> dict[str, str]:
    return one(target, "Deployment")["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("target", TARGETS)
def test_every_object_validates(target: str) -> None:
    docs = render(target)
    assert docs
    report = {f"{d['kind']}/{d['metadata']['name']}": validate(d) for d in docs}
    failures = {name: errors for name, errors in report.items() if errors}
    assert not failures, failures
    print(
        f"{target}: {len(docs)} objects valid (Kubernetes {KUBERNETES_VERSION} strict + CRD schemas):",
        sorted(report),
    )


def test_validators_reject_mistakes() -> None:
    deployment = copy.deepcopy(one("base", "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = (
        True  # typo
    )
    assert validate(deployment), "strict validation missed an unknown field"
    deployment = copy.deepcopy(one("base", "Deployment"))
    deployment["spec"]["replicas"] = "two"
    assert validate(deployment)
    scaled = copy.deepcopy(one("overlays/prod", "ScaledObject"))
    scaled["spec"]["maxReplicas"] = 4  # HPA's field name, not KEDA's
    assert any("maxReplicas" in e for e in validate(scaled))
    monitor = copy.deepcopy(one("base", "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["interval"] = "thirty seconds"
    assert validate(monitor)
    del monitor["spec"]
    assert validate(monitor)


def test_deployment_security_and_volumes() -> None:
    deployment = one("base", "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    [container] = pod["containers"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    data_dir = config("base")["RAQIB_DATA_DIR"]
    for path in ("/tmp", data_dir):
        assert "emptyDir" in volumes[mounts[path]], f"{path} must be an emptyDir"
    shared = volumes[mounts[config("base")["RAQIB_SHARED_DIR"]]]
    assert shared["persistentVolumeClaim"]["readOnly"] is True
    assert shared["persistentVolumeClaim"]["claimName"] in {
        p["metadata"]["name"] for p in objects("base", "PersistentVolumeClaim")
    }
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]


def test_probes_hit_the_metrics_port() -> None:
    [container] = one("base", "Deployment")["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": int(config("base")["RAQIB_METRICS_PORT"])}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, probe


@pytest.mark.parametrize("target", TARGETS)
def test_kafka_egress_goes_to_the_kafka_namespace_only(target: str) -> None:
    broker_ports = {9092, 9093, 9094, 9096}
    expected = "prod" if target.startswith("overlays/prod") else "kafka"
    for policy in objects(target, "NetworkPolicy"):
        kafka_rules = [
            rule for rule in policy["spec"]["egress"] if {p["port"] for p in rule["ports"]} & broker_ports
        ]
        kafka_rules = [r for r in kafka_rules if {p["port"] for p in r["ports"]} != {9093}]  # Alertmanager
        assert kafka_rules, policy["metadata"]["name"]
        for rule in kafka_rules:
            assert rule.get("to"), f"{target} {policy['metadata']['name']}: Kafka egress open to everywhere"
            names = [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["to"]]
            assert names == [expected], (target, names)


@pytest.mark.parametrize("target", TARGETS)
def test_topics_are_created_durable(target: str) -> None:
    cfg = config(target)
    assert int(cfg["RAQIB_TOPIC_REPLICATION"]) >= 3 and cfg["RAQIB_TOPIC_MIN_INSYNC_REPLICAS"] == "2"


def test_config_and_secret_references() -> None:
    for target in TARGETS:
        cfg = one(target, "ConfigMap")
        [container] = one(target, "Deployment")["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [
            {"configMapRef": {"name": cfg["metadata"]["name"]}}
        ]  # hashed name resolved
        fields = set(Settings.model_fields)
        for key in cfg["data"]:
            assert key.removeprefix("RAQIB_").lower() in fields, f"{target}: {key} is not a Settings field"
        values = {k.removeprefix("RAQIB_").lower(): v for k, v in cfg["data"].items()}
        if values.get("kafka_security_protocol", "").startswith("SASL"):  # the Secret's part
            values.update(kafka_sasl_username="from-secret", kafka_sasl_password="from-secret")
        Settings(**values)
        secret_env = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert set(secret_env) == {"RAQIB_KAFKA_SASL_USERNAME", "RAQIB_KAFKA_SASL_PASSWORD"}
        assert {ref["name"] for ref in secret_env.values()} == {"raqib-kafka-sasl"}
    prod = config("overlays/prod")
    assert prod["RAQIB_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    [container] = one("overlays/prod", "Deployment")["spec"]["template"]["spec"]["containers"]
    tls_mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-tls")
    assert prod["RAQIB_KAFKA_SSL_CAFILE"].startswith(tls_mount["mountPath"] + "/")
    assert not objects("overlays/prod", "Secret"), "secrets are referenced, never rendered from the repo"


def test_replicas_never_exceed_partitions() -> None:
    base = one("base", "Deployment")
    assert base["spec"]["replicas"] <= int(config("base")["RAQIB_TOPIC_PARTITIONS"])
    scaled = one("overlays/prod", "ScaledObject")["spec"]
    partitions = int(config("overlays/prod")["RAQIB_TOPIC_PARTITIONS"])
    assert 2 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"] <= partitions
    hpa = one("overlays/prod-hpa", "HorizontalPodAutoscaler")["spec"]
    assert (
        2
        <= hpa["minReplicas"]
        <= hpa["maxReplicas"]
        <= int(config("overlays/prod-hpa")["RAQIB_TOPIC_PARTITIONS"])
    )


def test_exactly_one_autoscaler_per_overlay() -> None:
    assert not objects("base", "ScaledObject") and not objects("base", "HorizontalPodAutoscaler")
    assert len(objects("overlays/prod", "ScaledObject")) == 1
    assert not objects("overlays/prod", "HorizontalPodAutoscaler")
    assert len(objects("overlays/prod-hpa", "HorizontalPodAutoscaler")) == 1
    assert not objects("overlays/prod-hpa", "ScaledObject")
    for target in ("overlays/prod", "overlays/prod-hpa"):
        assert "replicas" not in one(target, "Deployment")["spec"], f"{target}: the autoscaler owns replicas"
    scaled = one("overlays/prod", "ScaledObject")
    hpa = one("overlays/prod-hpa", "HorizontalPodAutoscaler")
    name = one("overlays/prod", "Deployment")["metadata"]["name"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == hpa["spec"]["scaleTargetRef"]["name"] == name


def test_keda_trigger_matches_the_worker_config() -> None:
    scaled = one("overlays/prod", "ScaledObject")
    [trigger] = scaled["spec"]["triggers"]
    cfg = config("overlays/prod")
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == cfg["RAQIB_APP_ID"] == Settings().app_id
    assert trigger["metadata"]["topic"] == RAW.name
    assert trigger["metadata"]["bootstrapServers"] == cfg["RAQIB_KAFKA_BOOTSTRAP"]
    assert trigger["metadata"]["allowIdleConsumers"] == "false"
    auth = one("overlays/prod", "TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {"raqib-kafka-sasl", "raqib-kafka-tls"}


@pytest.mark.parametrize("target", TARGETS)
def test_selectors_select_the_workers(target: str) -> None:
    labels = pod_labels(target)
    deployment = one(target, "Deployment")
    assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
    service = one(target, "Service")
    assert selects(service["spec"]["selector"], labels)
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    monitor = one(target, "ServiceMonitor")
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    # job label = the Service's app.kubernetes.io/name = "raqib", as the alert rules and dashboard expect.
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "raqib"
    assert selects(one(target, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], labels)
    [policy] = [p for p in objects(target, "NetworkPolicy") if p["metadata"]["name"].endswith("raqib-worker")]
    assert selects(policy["spec"]["podSelector"]["matchLabels"], labels)
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == ["metrics"]


@pytest.mark.parametrize("target", TARGETS)
def test_audit_cronjob_redrives_and_pushes_and_is_not_a_worker(target: str) -> None:
    cron = one(target, "CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert container["args"][0] == "audit" and "--redrive" in container["args"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["RAQIB_PUSHGATEWAY_URL"].startswith("http")
    assert container["envFrom"][0]["configMapRef"]["name"].startswith("raqib-config")
    labels = pod["metadata"]["labels"]
    # the workers' Service, PDB and Deployment must not pick up audit pods
    assert not selects(one(target, "Service")["spec"]["selector"], labels)
    assert not selects(one(target, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], labels)
    assert not selects(one(target, "Deployment")["spec"]["selector"]["matchLabels"], labels)
    [policy] = [p for p in objects(target, "NetworkPolicy") if p["metadata"]["name"].endswith("raqib-audit")]
    assert selects(policy["spec"]["podSelector"]["matchLabels"], labels)
    assert policy["spec"]["ingress"] == []
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_prod_namespace_is_restricted() -> None:
    for target in ("overlays/prod", "overlays/prod-hpa"):
        namespace = one(target, "Namespace")
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        for doc in render(target):
            if doc["kind"] not in {"Namespace", "PriorityClass"}:
                assert doc["metadata"]["namespace"] == namespace["metadata"]["name"], doc["kind"]
        deployment = one(target, "Deployment")
        assert (
            deployment["spec"]["template"]["spec"]["priorityClassName"]
            == one(target, "PriorityClass")["metadata"]["name"]
        )
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "registry.example.org/raqib/raqib:0.1.0"


def test_vendored_crd_schemas_have_provenance() -> None:
    readme = (REPO_ROOT / "tests" / "data" / "crd-schemas" / "README.md").read_text(encoding="utf-8")
    for filename in CRD_SCHEMAS.values():
        schema = crd_schema(filename)
        assert "Apache-2.0" in schema["$comment"] and "cloudcoil-models" in schema["$comment"]
        assert filename in readme
    assert Path(kubernetes_validate.__file__).exists()

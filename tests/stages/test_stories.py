"""Story clustering over a plain dict state (what the state-topic cells look like to StoryIndex)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from raqib.contracts.events import ActorRef, Count, Event, Evidence, Location
from raqib.stages.stories import StoryIndex, provisional_story, story_cell


def _event(
    n: int,
    day: date,
    *,
    place: str = "sy-deir-ez-zor-mayadin",
    admin2: str | None = "Al-Mayadin",
    etype: str = "Explosions/Remote violence",
    sub: str = "Shelling/artillery/missile attack",
    a1: str | None = "ir-backed-militias",
    a2: str | None = "us-forces",
    deaths: int | None = None,
) -> Event:
    return Event(
        event_id=f"ev-{n}",
        article_id=f"art-{n}",
        story_id="pending",
        story_status="new",
        event_type=etype,  # type: ignore[arg-type]
        sub_event_type=sub,  # type: ignore[arg-type]
        plover_type="ASSAULT",
        actor1=ActorRef(actor_id=a1, name=a1 or "x", surface="x", role="attacker") if a1 else None,
        actor2=ActorRef(actor_id=a2, name=a2 or "y", surface="y", role="target") if a2 else None,
        location=Location(
            place_id=place, surface="الميادين", admin1="Deir-ez-Zor", admin2=admin2, geo_precision=1
        ),
        fatalities=Count(min=deaths, max=deaths, exact=deaths) if deaths is not None else None,
        event_date=day,
        time_precision="day",
        date_basis="text",
        evidence=Evidence(sentence="قصف", clean_start=0, clean_end=3),
        confidence=0.8,
        extractor_version="test",
        ingested_at=datetime(2021, 6, 29, tzinfo=UTC),
    )


D = date(2021, 6, 28)


def test_cell_key() -> None:
    assert story_cell(_event(1, D)) == "violence|a2:Al-Mayadin"
    assert story_cell(_event(1, D, admin2=None)) == "violence|p:sy-deir-ez-zor-mayadin"
    protest = _event(1, D, etype="Protests", sub="Peaceful protest")
    assert story_cell(protest).startswith("protest|")
    story_id, status = provisional_story(_event(1, D))
    assert story_id.startswith("story-") and status == "new"


def test_same_incident_two_outlets_is_one_story() -> None:
    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state, window_days=3)
    first = index.assign(_event(1, D, deaths=3))
    second = index.assign(_event(2, D + timedelta(days=1), deaths=4))
    assert first.story_status == "new" and second.story_status == "update"
    assert first.story_id == second.story_id
    json.dumps(state)  # state must stay JSON-serialisable (it is written to raqib.state.stories.v1)


def test_contradicting_actor_or_counts_or_window_open_new_story() -> None:
    index = StoryIndex({}, window_days=3)
    base = index.assign(_event(1, D, deaths=3))
    other_attacker = index.assign(_event(2, D, a1="isis", a2="sdf"))
    far_later = index.assign(_event(3, D + timedelta(days=10)))
    huge = index.assign(_event(4, D, deaths=300))
    assert {e.story_status for e in (other_attacker, far_later, huge)} == {"new"}
    assert len({base.story_id, other_attacker.story_id, far_later.story_id, huge.story_id}) == 4


def test_replay_gives_same_answer_and_pruning() -> None:
    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state, window_days=3, retention_days=5)
    a = index.assign(_event(1, D))
    b = index.assign(_event(2, D))
    again = index.assign(_event(2, D))
    assert (again.story_id, again.story_status) == (b.story_id, b.story_status) == (a.story_id, "update")
    index.assign(_event(3, D + timedelta(days=30)))
    stories = state[story_cell(_event(1, D))]["stories"]
    assert all(s["last_date"] >= (D + timedelta(days=25)).isoformat() for s in stories)


def test_cell_state_round_trips_through_its_topic_record() -> None:
    from raqib.contracts import decode, encode
    from raqib.contracts.ops import StoryCellState
    from raqib.stages.stories import cell_entry, cell_record

    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state, window_days=3)
    first = index.assign(_event(1, D, deaths=3))
    cell = story_cell(first)
    state[cell]["alerted"] = {"al-x": 1.5e9}
    record = decode(StoryCellState, encode(cell_record(cell, state[cell])))
    restored = {cell: cell_entry(record)}
    # a fresh index over the restored state (a restarted worker) continues the same story
    again = StoryIndex(restored, window_days=3).assign(_event(2, D + timedelta(days=1), deaths=4))
    assert (again.story_id, again.story_status) == (first.story_id, "update")
    assert restored[cell]["alerted"] == {"al-x": 1.5e9}

"""Human-readable output: a short table of events for the terminal."""

from __future__ import annotations

from collections.abc import Iterable

from schemas import Count, Event


def _count(count: Count | None) -> str:
    if count is None:
        return "-"
    if count.exact is not None:
        return ("~" if count.approximate else "") + str(count.exact)
    if count.min is not None and count.max is not None:
        return f"{count.min}-{count.max}"
    if count.min is not None:
        return f">={count.min}"
    return "?"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def event_row(event: Event) -> dict[str, str]:
    actors = " → ".join(
        actor.name if actor.actor_id else actor.surface
        for actor in (event.actor1, event.actor2)
        if actor is not None
    )
    place = "-"
    if event.location:
        place = event.location.name_en or event.location.name_ar or event.location.surface
        if event.location.admin1 and event.location.admin1 != place:
            place = f"{place}, {event.location.admin1}"
    return {
        "article": event.article_id[:18],
        "type": f"{event.event_type} / {event.sub_event_type}",
        "actors": actors or "-",
        "place": place,
        "killed": _count(event.fatalities),
        "injured": _count(event.injured),
        "date": f"{event.event_date.isoformat()} ({event.time_precision})",
        "evidence": event.evidence.sentence,
    }


def events_table(events: Iterable[Event], evidence_width: int = 70) -> str:
    """A plain-text table (one event per row, evidence truncated)."""
    rows = [event_row(event) for event in events]
    if not rows:
        return "(no events)"
    columns = ["article", "type", "actors", "place", "killed", "injured", "date", "evidence"]
    limits = {"type": 48, "actors": 48, "place": 30, "evidence": evidence_width}
    cells = [[_short(row[col], limits.get(col, 40)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(widths[i]) for i, col in enumerate(columns))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(r[i].ljust(widths[i]) for i in range(len(columns))) for r in cells)
    return "\n".join(lines)

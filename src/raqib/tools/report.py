"""Human-readable output for the terminal: a run's summary, and a table of events when asked for."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Sequence

from raqib.contracts import Alert, Count, DeadLetter, Event, LanguageTaggedArticle


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


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def actor_names(event: Event) -> list[str]:
    """The event's actors as shown: their name (the catalogue's, an ACLED-style one such as 'Unidentified Armed
    Group (Syria)', or the text as written when unlinked), else the text as written."""
    return [actor.name or actor.surface for actor in (event.actor1, event.actor2) if actor is not None]


def event_row(event: Event) -> dict[str, str]:
    actors = " → ".join(actor_names(event))
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
    cells = [[short(row[col], limits.get(col, 40)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(widths[i]) for i, col in enumerate(columns))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(r[i].ljust(widths[i]) for i in range(len(columns))) for r in cells)
    return "\n".join(lines)


def events_table_limited(events: Sequence[Event], show: int | None) -> str:
    """The table of the first ``show`` events (all when None), saying how many were left out."""
    shown = events if show is None else events[:show]
    text = events_table(shown)
    if len(shown) < len(events):
        text += f"\n… {len(events) - len(shown):,} more events (all of them in the output file; --table shows all)"
    return text


def dlq_reason(dead: DeadLetter) -> str:
    """``EmptyText:empty_text`` → ``empty_text``; an unexpected exception keeps its class name."""
    return dead.error_class.split(":", 1)[1] if ":" in dead.error_class else dead.error_class


def _tally(counter: Counter[str], top: int, rest_label: str = "more") -> list[str]:
    """``["a 12", "b 7", "3 more 5"]`` (most common first, ties by name)."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{name} {count:,}" for name, count in ranked[:top]]
    rest = ranked[top:]
    if rest:
        parts.append(f"{len(rest)} {rest_label} {sum(c for _, c in rest):,}")
    return parts or ["-"]


def _wrapped(label: str, parts: list[str], width: int) -> list[str]:
    """``label  a 12 · b 7 · …`` wrapped between items, never inside one."""
    head = f"  {label:<16}"
    lines = [head]
    for part in parts:
        sep = "" if lines[-1] == head or lines[-1].isspace() else " · "
        if len(lines[-1]) + len(sep) + len(part) > width and lines[-1].strip() and lines[-1] != head:
            lines.append(" " * len(head))
            sep = ""
        lines[-1] += sep + part
    return lines


def _governorate(event: Event) -> str:
    """The governorate for the summary; places abroad by country, the rest said plainly."""
    loc = event.location
    if loc is None:
        return "no place"
    if loc.admin1:
        return loc.admin1 if loc.country == "Syria" else f"{loc.admin1} ({loc.country})"
    return "Syria (country only)" if loc.country == "Syria" else loc.country


def run_summary(
    *,
    articles: int,
    enriched: int,
    other: Iterable[LanguageTaggedArticle],
    dead: Iterable[DeadLetter],
    events: Sequence[Event],
    seconds: float,
    alerts: Sequence[Alert] | None = None,
    top: int = 8,
    width: int | None = None,
) -> str:
    """What a run found, for a person: accounting, DLQ reasons, events by type/governorate, top actors, speed."""
    width = width or min(shutil.get_terminal_size((110, 24)).columns, 130)
    other = list(other)
    dead = list(dead)
    rate = f" ({articles / seconds:,.1f} articles/s)" if seconds > 0 else ""
    langs = Counter(o.language.lang for o in other)
    reasons = Counter(f"{d.stage}/{dlq_reason(d)}" for d in dead)
    lines = [
        f"{articles:,} articles in {seconds:,.1f} s{rate}: {enriched:,} enriched, {len(other):,} routed aside"
        + (f" ({' · '.join(_tally(langs, top))})" if other else "")
        + f", {len(dead):,} dead-lettered"
        + (f" ({' · '.join(_tally(reasons, top))})" if dead else "")
    ]
    with_events = len({event.article_id for event in events})
    lines.append(f"{len(events):,} events from {with_events:,} articles")
    if events:
        types = Counter(event.event_type for event in events)
        places = Counter(_governorate(event) for event in events)
        actors = Counter(name for event in events for name in actor_names(event))
        subs = Counter(event.sub_event_type for event in events)
        lines += _wrapped("by type", _tally(types, top), width)
        lines += _wrapped("by sub-type", _tally(subs, top), width)
        lines += _wrapped("by governorate", _tally(places, top), width)
        lines += _wrapped("top actors", _tally(actors, top), width)
    if alerts is not None:
        rules = Counter(f"{alert.severity} {alert.rule_id}" for alert in alerts)
        lines.append(f"{len(alerts):,} alerts" + (f": {' · '.join(_tally(rules, top))}" if alerts else ""))
    return "\n".join(lines)

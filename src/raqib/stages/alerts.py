"""Alert rules: which events deserve a human's attention, and how often.

Rules live in a YAML file (built-in defaults: ``stages/data/alert_rules.yaml``) validated by
pydantic. Validation errors name the file LINE of the offending rule and field, because the
people who edit this file are analysts on call, not the developers who wrote the schema.

``AlertRules.evaluate`` is pure apart from the ``state`` mapping it is handed (in the worker, the
cell's entry of the durable story state, written to ``raqib.state.stories.v1`` only after the alert
itself was delivered; a dict in tests and ``raqib batch``): it remembers when each alert last fired,
so that the stream of updates one incident produces (new casualty figures, other outlets) alerts
once per suppression window instead of paging someone for every article.

Identity comes from the event, not from process memory: ``alert_id`` is the rule + the story cell
(event family + place) + the incident day, so a replay, a restarted worker or the next owner of the
partition raises the same id, and a consumer can remove a repeat by key. Suppression holds per alert
id *and* per (rule, story): a story that runs into the next day does not page again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from raqib.contracts import Alert, Count, Event, SideCount, stable_id
from raqib.contracts.events import ACLED_SUBTYPES, EventType, SubEventType
from raqib.contracts.ops import Severity

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "data" / "alert_rules.yaml"

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_RULE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_PCODE_RE = re.compile(r"^[A-Z]{2}[0-9]*$")
_NAME_FOLD_RE = re.compile(r"[\W_]+", re.UNICODE)
_SUMMARY_MAX = 240
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


class AlertRulesError(ValueError):
    """A rules file that cannot be used; the message names the file and line of each problem."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems)


def parse_duration(value: str | int | float) -> float:
    """'6h', '30m', '1d', '90s', '250ms' or a bare number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is not a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION_RE.match(value)
        if not match:
            raise ValueError(
                f"bad duration {value!r}: use a number and a unit, e.g. '90s', '30m', '6h', '1d'"
            )
        seconds = float(match.group(1)) * _DURATION_UNITS_S[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def _fold(name: str) -> str:
    """Case- and punctuation-insensitive place key: 'Deir ez-Zor' == 'deir ez zor' == 'DEIR-EZ-ZOR'."""
    return _NAME_FOLD_RE.sub("", name.casefold())


def count_lower_bound(count: Count | None, by_side: Iterable[SideCount] = ()) -> int | None:
    """The smallest number the text supports: exact, else min; at least the sum of per-side figures.

    'عشرات القتلى' (min 20, max 99) must not fire a '>= 50' rule, so the upper bound is never used.
    """
    total: int | None = None
    if count is not None:
        total = count.exact if count.exact is not None else count.min
    side_values = [side.count.exact if side.count.exact is not None else side.count.min for side in by_side]
    known_sides = [v for v in side_values if v is not None]
    if known_sides:
        side_sum = sum(known_sides)
        total = side_sum if total is None else max(total, side_sum)
    return total


def format_count(count: Count | None) -> str | None:
    """'12', '~40', '20-99', '10+' for a summary line."""
    if count is None:
        return None
    prefix = "~" if count.approximate else ""
    if count.exact is not None:
        return f"{prefix}{count.exact}"
    if count.min is not None and count.max is not None:
        return f"{prefix}{count.min}-{count.max}"
    if count.min is not None:
        return f"{prefix}{count.min}+"
    if count.max is not None:
        return f"up to {count.max}"
    return None


class RuleConditions(BaseModel):
    """All given conditions must hold (AND); a list condition holds if any of its values matches (OR)."""

    model_config = ConfigDict(extra="forbid")

    event_type: list[EventType] = Field(default_factory=list, description="ACLED event types (any of).")
    sub_event_type: list[SubEventType] = Field(
        default_factory=list, description="ACLED sub-event types (any of)."
    )
    min_fatalities: int | None = Field(
        default=None, ge=0, description="Lower bound of fatalities (exact or min)."
    )
    min_injured: int | None = Field(default=None, ge=0, description="Lower bound of injured (exact or min).")
    actors: list[str] = Field(default_factory=list, description="Actor catalogue ids (any of).")
    actor_role: Literal["any", "attacker", "target", "participant", "actor1", "actor2"] = Field(
        default="any", description="Where the actor must appear: either side, a role, or a slot."
    )
    places: list[str] = Field(
        default_factory=list, description="Governorate (admin1) or district (admin2) English names (any of)."
    )
    pcode_prefixes: list[str] = Field(default_factory=list, description="OCHA P-code prefixes, e.g. 'SY07'.")
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    located: bool = Field(
        default=False,
        description="Only events placed below the country (a governorate, district or town: geo_precision 1-3).",
    )
    new_story_only: bool = Field(default=False, description="Only the first event of a story.")

    @field_validator("pcode_prefixes")
    @classmethod
    def _pcodes(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _PCODE_RE.match(value):
                raise ValueError(
                    f"{value!r} is not a P-code prefix (two capital letters and digits, e.g. 'SY07')"
                )
        return values

    @field_validator("actors", "places")
    @classmethod
    def _non_empty_strings(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("empty names are not allowed")
        return values

    @model_validator(mode="after")
    def _consistent_types(self) -> RuleConditions:
        """A sub-event type that belongs to none of the listed event types can never match: say so."""
        if self.event_type and self.sub_event_type:
            allowed = {sub for et in self.event_type for sub in ACLED_SUBTYPES[et]}
            orphans = [sub for sub in self.sub_event_type if sub not in allowed]
            if orphans:
                raise ValueError(
                    f"sub_event_type {orphans} belong to none of event_type {self.event_type}: the rule could never fire"
                )
        return self


class AlertRule(BaseModel):
    """One named rule: conditions, severity and how long to stay quiet about the same story."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable slug; part of the alert id and the suppression key.")
    name: str = Field(min_length=1)
    severity: Severity
    description: str | None = None
    enabled: bool = True
    suppress_for: str | int | float = Field(
        default="6h", description="Suppression window, e.g. '6h', '30m', '0'."
    )
    when: RuleConditions = Field(default_factory=RuleConditions)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _RULE_ID_RE.match(value):
            raise ValueError(
                f"rule id {value!r} must be a lowercase slug (a-z, 0-9, '-', '_', '.'; at most 64)"
            )
        return value

    @field_validator("suppress_for")
    @classmethod
    def _duration(cls, value: str | int | float) -> str | int | float:
        parse_duration(value)
        return value

    @property
    def suppress_s(self) -> float:
        return parse_duration(self.suppress_for)

    def matches(self, event: Event) -> bool:
        """True when every condition of ``when`` holds for the event."""
        c = self.when
        if c.event_type and event.event_type not in c.event_type:
            return False
        if c.sub_event_type and event.sub_event_type not in c.sub_event_type:
            return False
        if c.new_story_only and event.story_status != "new":
            return False
        if c.located and (event.location is None or event.location.geo_precision > 3):
            return False
        if c.min_confidence is not None and event.confidence < c.min_confidence:
            return False
        if c.min_fatalities is not None:
            killed = count_lower_bound(event.fatalities, event.fatalities_by_side)
            if killed is None or killed < c.min_fatalities:
                return False
        if c.min_injured is not None:
            injured = count_lower_bound(event.injured, event.injured_by_side)
            if injured is None or injured < c.min_injured:
                return False
        if c.actors and not self._actor_matches(event):
            return False
        return not ((c.places or c.pcode_prefixes) and not self._place_matches(event))

    def _actor_matches(self, event: Event) -> bool:
        wanted = set(self.when.actors)
        role = self.when.actor_role
        slots = (("actor1", event.actor1), ("actor2", event.actor2))
        for slot, actor in slots:
            if actor is None or actor.actor_id not in wanted:
                continue
            if role == "any" or role == slot or role == actor.role:
                return True
        return False

    def _place_matches(self, event: Event) -> bool:
        loc = event.location
        if loc is None:
            return False
        names = {_fold(n) for n in (loc.admin1, loc.admin2) if n}
        if any(_fold(p) in names for p in self.when.places):
            return True
        return bool(loc.pcode) and any(loc.pcode.startswith(prefix) for prefix in self.when.pcode_prefixes)


class AlertRulesFile(BaseModel):
    """The whole YAML document."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules: list[AlertRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> AlertRulesFile:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise _DuplicateRuleId(index, rule.id)
            seen.add(rule.id)
        return self


class _DuplicateRuleId(ValueError):
    """Raised inside validation so the loader can point at the second rule's line."""

    def __init__(self, index: int, rule_id: str) -> None:
        super().__init__(f"duplicate rule id {rule_id!r}")
        self.index = index
        self.rule_id = rule_id


def suppression_key(rule_id: str, story_id: str) -> str:
    """Suppression entry of a (rule, story) pair: one story alerts once per window, whatever its days."""
    return f"story|{rule_id}|{story_id}"


def alert_id(rule_id: str, event: Event) -> str:
    """Deterministic alert id from the event alone: rule + story cell + incident day."""
    from raqib.stages.stories import story_cell

    return stable_id("al", rule_id, story_cell(event), event.event_date.isoformat())


def _place_phrase(event: Event) -> str | None:
    loc = event.location
    if loc is None:
        return None
    place = loc.name_en or loc.surface
    parts = [place]
    for admin in (loc.admin2, loc.admin1):
        if admin and _fold(admin) not in {_fold(p) for p in parts}:
            parts.append(admin)
    return ", ".join(parts)


def _actor_phrase(event: Event) -> str | None:
    names = [a.name for a in (event.actor1, event.actor2) if a is not None]
    if not names:
        return None
    if event.actor1 is not None and event.actor2 is not None and event.actor1.role == "attacker":
        return f"{event.actor1.name} vs {event.actor2.name}"
    return " / ".join(names)


def summarize(rule: AlertRule, event: Event) -> str:
    """One line an analyst can read on a phone: severity, what, where, toll, who, when, story."""
    head = f"[{rule.severity.upper()}] {event.sub_event_type}"
    place = _place_phrase(event)
    if place:
        head += f" in {place}"
    bits = [head]
    toll = [
        f"{text} {label}"
        for text, label in (
            (format_count(event.fatalities), "killed"),
            (format_count(event.injured), "injured"),
        )
        if text
    ]
    if toll:
        bits.append(", ".join(toll))
    actors = _actor_phrase(event)
    if actors:
        bits.append(actors)
    bits.append(f"{event.event_date.isoformat()} ({event.story_status}, {rule.name})")
    line = " — ".join(bits)
    line = " ".join(line.split())  # no newlines or runs of spaces from article text
    if len(line) > _SUMMARY_MAX:
        line = line[: _SUMMARY_MAX - 1].rstrip() + "…"
    return line


class AlertRules:
    """A validated, immutable set of rules with the evaluation logic."""

    def __init__(self, rules: Sequence[AlertRule], source: str = "<memory>") -> None:
        self.rules: tuple[AlertRule, ...] = tuple(rules)
        self.source = source
        self._enabled = tuple(r for r in self.rules if r.enabled)

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"AlertRules({len(self.rules)} rules from {self.source})"

    @property
    def max_suppress_s(self) -> float:
        return max((r.suppress_s for r in self.rules), default=0.0)

    @classmethod
    def load(cls, path: str | Path) -> AlertRules:
        """Read and validate a rules file; raises AlertRulesError naming the line of each problem."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AlertRulesError(f"alert rules {path}: cannot read: {exc}") from exc
        return cls.from_yaml(text, source=str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> AlertRules:
        """Validate YAML text (``source`` names it in error messages)."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            context = getattr(exc, "context_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "unknown line"
            if context is not None and (mark is None or context.line != mark.line):
                where += f" (in the block starting line {context.line + 1})"
            raise AlertRulesError(f"alert rules {source}: {where}: invalid YAML: {exc}") from exc
        if data is None:
            data = {}
        try:
            parsed = AlertRulesFile.model_validate(data)
        except ValidationError as exc:
            problems = [_describe_error(err, root, data, source) for err in exc.errors()]
            raise AlertRulesError(
                f"alert rules {source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems), problems
            ) from exc
        return cls(parsed.rules, source=source)

    @classmethod
    def default(cls) -> AlertRules:
        """The built-in rules shipped with the package (parsed once)."""
        return _default_rules()

    def match(self, event: Event) -> list[AlertRule]:
        """Enabled rules the event satisfies, ignoring suppression."""
        return [rule for rule in self._enabled if rule.matches(event)]

    def evaluate(self, event: Event, state: MutableMapping[str, float], now: float) -> list[Alert]:
        """Alerts for this event, most severe first; records alert times in ``state`` for suppression.

        ``now`` is Unix seconds (the caller's clock, so replays and tests are deterministic).
        A window of 0 never suppresses.
        """
        alerts: list[Alert] = []
        created = datetime.fromtimestamp(now, UTC)
        for rule in self.match(event):
            identity = alert_id(rule.id, event)
            keys = (identity, suppression_key(rule.id, event.story_id))
            window = rule.suppress_s
            if window > 0 and any(key in state and now - float(state[key]) < window for key in keys):
                continue
            for key in keys:
                state[key] = now
            alerts.append(
                Alert(
                    alert_id=identity,
                    rule_id=rule.id,
                    rule_name=rule.name,
                    severity=rule.severity,
                    summary=summarize(rule, event),
                    story_id=event.story_id,
                    event=event,
                    created_at=created,
                )
            )
        alerts.sort(key=lambda a: -SEVERITY_RANK[a.severity])
        return alerts

    def prune(self, state: MutableMapping[str, float], now: float) -> int:
        """Forget suppression entries older than every window (keeps a dict state bounded). Returns how many."""
        horizon = self.max_suppress_s
        stale = [key for key, last in list(state.items()) if now - float(last) >= horizon]
        for key in stale:
            del state[key]
        return len(stale)


@lru_cache(maxsize=1)
def _default_rules() -> AlertRules:
    return AlertRules.load(DEFAULT_RULES_PATH)


# --- error locations -----------------------------------------------------------------------------


def _child(node: yaml.Node | None, key: object) -> yaml.Node | None:
    """The YAML node at ``key`` (mapping key or sequence index) below ``node``."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def _key_node(node: yaml.Node | None, key: object) -> yaml.Node | None:
    """The key node itself (its line is where the offending field is written)."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
    return None


def _locate(root: yaml.Node | None, loc: Sequence[object]) -> tuple[int | None, int | None]:
    """(rule start line, line of the deepest node on ``loc``), 1-based."""
    rule_line: int | None = None
    line = root.start_mark.line + 1 if root is not None else None
    node = root
    for depth, part in enumerate(loc):
        child = _child(node, part)
        marker = _key_node(node, part) or child
        if marker is None:
            break
        line = marker.start_mark.line + 1
        if depth == 1 and loc[0] == "rules" and child is not None:
            rule_line = child.start_mark.line + 1
        node = child
    return rule_line, line


def _describe_error(err: Any, root: yaml.Node | None, data: Any, source: str) -> str:
    loc = [
        part for part in err.get("loc", ()) if not (isinstance(part, str) and part.startswith("function-"))
    ]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _DuplicateRuleId):
        loc = ["rules", ctx_error.index, "id"]
    # Walk the data along loc: stop at a missing/unknown key (still named) or at pydantic's
    # union-member parts ('str', 'int', …), which are not in the document.
    clean: list[object] = []
    node: Any = data
    for part in loc:
        if isinstance(node, dict):
            clean.append(part)
            if part not in node:
                break
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            clean.append(part)
            node = node[part]
        else:
            break
    rule_line, line = _locate(root, clean)
    where = f"line {line}" if line is not None else "unknown line"
    rule_desc = ""
    if len(clean) >= 2 and clean[0] == "rules" and isinstance(clean[1], int):
        index = clean[1]
        rule_data = (
            data["rules"][index] if isinstance(data, dict) and isinstance(data.get("rules"), list) else None
        )
        rule_id = rule_data.get("id") if isinstance(rule_data, dict) else None
        label = f"rule #{index + 1}" + (f" {rule_id!r}" if rule_id else "")
        rule_desc = f" ({label}, starting line {rule_line})"
        field = ".".join(str(p) for p in clean[2:]) or "rule"
    else:
        field = ".".join(str(p) for p in clean) or "document"
    message = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        message = "unknown field (typo?)"
    elif err.get("type") == "string_type" and isinstance(err.get("input"), bool | int | float):
        message += f" (YAML read {err['input']!r}: quote the value)"
    return f"{source}:{where}{rule_desc}: {field}: {message}"

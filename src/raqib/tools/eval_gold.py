"""Event-level scoring against hand-coded gold (``../shared/data/events-gold``, ACLED-style protocol).

The pairing and field rules are those of the reference scorer ``../shared/tools/score_events.py`` (a test
runs both on the same files and requires the same figures):

- families: violent = Battles | Explosions/Remote violence | Violence against civilians; protest = Protests |
  Riots; everything else strategic. Violent + protest is the headline; strategic developments apart.
- per article, a predicted and a gold event are compatible when they are of the same family, their dates
  are within 2 days (or one is missing) and their governorates do not contradict; pairs are chosen
  one-to-one, best field agreement first (evidence overlap counts double).
- gold records flagged ``aggregate`` or ``background`` are not expected as events; ``optional`` gold events
  are neither missed nor false alarms; ``alt`` holds a second coder's values, also accepted.
- actors are compared by class (``ACTOR_CLASSES``: ISIS, Nusra, Kurds, Syrian government, rebels, ...).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

VIOLENT = frozenset({"Battles", "Explosions/Remote violence", "Violence against civilians"})
PROTEST = frozenset({"Protests", "Riots"})
FIELDS = ("event_type", "sub_event_type", "a1", "a2", "country", "admin1", "fatalities", "injured", "date")
HEADLINE = "violent+protest"


class GoldRecord(BaseModel):
    """One line of a gold file: an event, or ``no_events`` for an article with none."""

    model_config = ConfigDict(extra="ignore")
    article_id: str
    split: str | None = None
    no_events: bool = False
    event_type: str | None = None
    sub_event_type: str | None = None
    actor1: str | None = None
    actor2: str | None = None
    country: str | None = None
    admin1: str | None = None
    location: str | None = None
    location_ar: str | None = None
    fatalities: int | None = None
    injured: int | None = None
    event_date: str | None = None
    date_precision: str | None = None
    aggregate: bool = False
    background: bool = False
    optional: bool = False
    alt: dict[str, Any] | None = None
    evidence: str = ""

    @property
    def current(self) -> bool:
        """An event an analyst is expected to be told about (not a tally, not background)."""
        return not (self.no_events or self.aggregate or self.background)


class GoldFileError(ValueError):
    """A gold file line that is not valid JSON or not a gold record (message names the line)."""


def load_gold(path: Path) -> list[GoldRecord]:
    """Every record of a gold JSONL file, validated; errors name the file and line."""
    records: list[GoldRecord] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(GoldRecord.model_validate(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise GoldFileError(f"{path}:{lineno}: {str(exc).splitlines()[0]}") from exc
        if not records[-1].no_events and not records[-1].event_type:
            raise GoldFileError(f"{path}:{lineno}: an event record needs event_type (or no_events: true)")
    return records


def family(event_type: str | None) -> str:
    if event_type in VIOLENT:
        return "violent"
    if event_type in PROTEST:
        return "protest"
    return "strategic"


#: Actor classes by keyword over English names (gold) and catalogue ids / names (pipeline); first match wins.
ACTOR_CLASSES: tuple[tuple[str, str], ...] = (
    ("isis", r"islamic state|\bisis\b|\bisil\b|daesh|داعش"),
    ("nusra", r"nusra|fateh al-sham|fatah al-sham|\bhts\b|tahrir al-sham|qaeda|qaida"),
    ("kurds", r"\bypg\b|\bsdf\b|kurd|democratic forces|\bpkk\b|asayish|كرد|بي كيه كيه|قسد"),
    ("hezbollah", r"hezbollah|hizbollah|hizballah"),
    ("russia", r"russia|\bru-|^ru\b"),
    ("us-coalition", r"coalition \(us|us-led|united states|\bus\b|\bus-|american|^us$|international coalition|"
                     r"coalition"),
    ("saudi-coalition", r"saudi|arab coalition"),
    ("houthis", r"houthi|ansar allah"),
    ("turkey", r"turk|\btr-|^tr$"),
    ("iraq", r"iraq|\biq-|^iq$|popular mobilization|hashd"),
    ("iran", r"iran|\bir-|^ir$|irgc|revolutionary guard|quds force"),
    ("israel", r"israel|\bil-|^il$"),
    ("syria-gov", r"syria[n]? (arab )?(army|government|regime|military|forces|air force)|military forces of syria|"
                  r"\bsy-(?!opposition|political)|"
                  r"\bregime\b|assad|sy-gov|sy-republican|sy-ndf|national defen[cs]e|sy-progov|pro-government|"
                  r"government forces|police forces of syria|republican guard|shabiha"),
    ("rebels", r"opposition|rebel|free syrian|\bfsa\b|faction|jaysh|jaish|ahrar|army of conquest|fateh army|"
               r"sy-opposition|islamist|armed groups? \(syria\)|southern front"),
    ("civilians", r"civilian"),
    ("protesters", r"protester|demonstrator"),
    ("police", r"police|security forces"),
    ("unidentified", r"unidentified|unknown|gunmen"),
)  # fmt: skip
_ACTOR_PATTERNS = tuple((name, re.compile(pattern)) for name, pattern in ACTOR_CLASSES)


def actor_class(actor: Any) -> str | None:
    """The coarse class an actor is compared by (None for no actor; 'other:…' when no class matches)."""
    if actor is None:
        return None
    if isinstance(actor, dict):
        text = " ".join(str(actor.get(k) or "") for k in ("actor_id", "name"))
    else:
        text = str(actor)
    text = text.lower()
    for name, pattern in _ACTOR_PATTERNS:
        if pattern.search(text):
            return name
    return "other:" + text.strip()[:40]


_ADMIN1 = {
    "aleppo": "aleppo", "halab": "aleppo", "idlib": "idlib", "idleb": "idlib", "hama": "hama", "homs": "homs",
    "latakia": "latakia", "lattakia": "latakia", "tartus": "tartus", "tartous": "tartus",
    "damascus": "damascus", "rural damascus": "rural damascus", "rif dimashq": "rural damascus",
    "rif damascus": "rural damascus", "damascus countryside": "rural damascus",
    "daraa": "daraa", "dar'a": "daraa", "deraa": "daraa", "as-sweida": "sweida", "sweida": "sweida",
    "as-suwayda": "sweida", "suwayda": "sweida", "quneitra": "quneitra", "deir ez-zor": "deir ez-zor",
    "deir-ez-zor": "deir ez-zor", "dayr az zawr": "deir ez-zor", "deir ezzor": "deir ez-zor",
    "ar-raqqa": "raqqa", "raqqa": "raqqa", "al-raqqa": "raqqa", "al-hasakeh": "hasakeh", "al-hasakah": "hasakeh",
    "hasakah": "hasakeh", "hasakeh": "hasakeh", "al hasakah": "hasakeh",
}  # fmt: skip


def norm_admin1(name: str | None) -> str | None:
    if not name:
        return None
    key = name.strip().lower()
    return _ADMIN1.get(key, key)


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, dict):
        for key in ("exact", "min"):
            if value.get(key) is not None:
                return int(value[key])
        return None
    return int(value)


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def predicted_view(event: dict[str, Any]) -> dict[str, Any]:
    """The fields of a pipeline event (raqib.events.v1 as a dict) that scoring compares."""
    loc = event.get("location") or {}
    admin1 = loc.get("admin1") or (loc.get("name_en") if loc.get("geo_precision") == 3 else None)
    return {
        "article_id": event["article_id"],
        "event_type": event.get("event_type"),
        "sub_event_type": event.get("sub_event_type"),
        "a1": actor_class(event.get("actor1")),
        "a2": actor_class(event.get("actor2")),
        "admin1": norm_admin1(admin1),
        "country": (loc.get("country") or "").strip().lower() or None,
        "place": loc.get("name_en"),
        "fatalities": _count(event.get("fatalities")),
        "injured": _count(event.get("injured")),
        "date": _date(event.get("event_date")),
        "evidence": (event.get("evidence") or {}).get("sentence", ""),
    }


def _gold_fields(g: dict[str, Any]) -> dict[str, Any]:
    return {
        "article_id": g["article_id"],
        "event_type": g.get("event_type"),
        "sub_event_type": g.get("sub_event_type"),
        "a1": actor_class(g.get("actor1")),
        "a2": actor_class(g.get("actor2")),
        "admin1": norm_admin1(g.get("admin1")) if (g.get("country") or "Syria") == "Syria" else None,
        "country": (g.get("country") or "").strip().lower() or None,
        "place": g.get("location"),
        "fatalities": g.get("fatalities"),
        "injured": g.get("injured"),
        "date": _date(g.get("event_date")),
        "evidence": g.get("evidence", ""),
    }


def gold_view(record: GoldRecord) -> dict[str, Any]:
    g = record.model_dump()
    view = _gold_fields(g)
    view["optional"] = record.optional
    view["alt"] = _gold_fields(g | record.alt) if record.alt else None
    return view


def compatible(p: dict[str, Any], g: dict[str, Any]) -> bool:
    if family(p["event_type"]) != family(g["event_type"]):
        return False
    if p["date"] and g["date"] and abs((p["date"] - g["date"]).days) > 2:
        return False
    return not (p["admin1"] and g["admin1"] and p["admin1"] != g["admin1"])


def same(p: dict[str, Any], g: dict[str, Any], name: str) -> bool:
    """A field agrees with the gold value, or with the second coder's where they differed."""
    return p[name] == g[name] or bool(g.get("alt") and p[name] == g["alt"][name])


def agreement(p: dict[str, Any], g: dict[str, Any]) -> int:
    overlap = p["evidence"][:30] in g["evidence"] or g["evidence"][:30] in p["evidence"]
    return sum(same(p, g, f) for f in FIELDS) + 2 * overlap


def pair(preds: list[dict[str, Any]], golds: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """One-to-one pairs of compatible events, highest agreement first (ties: later indices first)."""
    candidates = sorted(
        ((agreement(p, g), i, j) for i, p in enumerate(preds) for j, g in enumerate(golds) if compatible(p, g)),
        reverse=True,
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((preds[i], golds[j]))
    return pairs


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "tp": tp, "pred": n_pred, "gold": n_gold}  # fmt: skip


@dataclass
class Scored:
    """The report (same keys as the reference scorer) and the material for ``--show``."""

    report: dict[str, Any]
    preds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    golds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


def score(events: list[dict[str, Any]], gold: list[GoldRecord]) -> Scored:
    """Event-level figures of ``events`` (raqib.events.v1 dicts) against ``gold`` (see the module docstring)."""
    articles = {g.article_id for g in gold}
    golds = [gold_view(g) for g in gold if g.current]
    no_event_articles = {g.article_id for g in gold if g.no_events} - {g["article_id"] for g in golds}
    preds = [predicted_view(e) for e in events if e["article_id"] in articles]
    by_p: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_g: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in preds:
        by_p[p["article_id"]].append(p)
    for g in golds:
        by_g[g["article_id"]].append(g)
    report: dict[str, Any] = {}
    main_pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for name, fams in ((HEADLINE, {"violent", "protest"}), ("strategic", {"strategic"})):
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        n_p = n_g = 0
        for art in articles:
            ps = [p for p in by_p[art] if family(p["event_type"]) in fams]
            gs = [g for g in by_g[art] if family(g["event_type"]) in fams]
            found = pair(ps, gs)
            on_optional = sum(1 for _, g in found if g.get("optional"))
            n_p += len(ps) - on_optional
            n_g += sum(1 for g in gs if not g.get("optional"))
            pairs += [(p, g) for p, g in found if not g.get("optional")]
        report[name] = _prf(len(pairs), n_p, n_g)
        if name == HEADLINE:
            report["fields_on_pairs"] = {
                f: round(sum(same(p, g, f) for p, g in pairs) / len(pairs), 3) if pairs else None for f in FIELDS
            }
            main_pairs = pairs
    fp_articles = [a for a in no_event_articles if any(family(p["event_type"]) != "strategic" for p in by_p[a])]
    report["no_event_articles"] = len(no_event_articles)
    report["no_event_articles_with_violent_or_protest_event"] = len(fp_articles)
    report["events_per_article"] = {
        "pipeline": round(len(preds) / len(articles), 2) if articles else 0.0,
        "gold": round(len(golds) / len(articles), 2) if articles else 0.0,
    }
    return Scored(report=report, preds=dict(by_p), golds=dict(by_g), pairs=main_pairs)


def side_by_side(scored: Scored, gold: list[GoldRecord], article_id: str) -> str:
    """Gold and predicted events of one article, paired rows first, for ``--show``."""

    def fmt(v: dict[str, Any]) -> str:
        return (f"{v['event_type']}/{v['sub_event_type']} | {v['a1']} → {v['a2']} | {v['country']}/{v['admin1']}"
                f"/{v['place']} | killed {v['fatalities']} injured {v['injured']} | {v['date']}")  # fmt: skip

    lines = [f"article {article_id}"]
    paired = [(p, g) for p, g in scored.pairs if p["article_id"] == article_id]
    for p, g in paired:
        wrong = [f for f in FIELDS if not same(p, g, f)]
        lines.append(f"  PAIR gold {fmt(g)}\n       pred {fmt(p)}" + (f"\n       differ: {', '.join(wrong)}" if wrong else ""))
        lines.append(f"       gold evidence: {g['evidence'][:160]}\n       pred evidence: {p['evidence'][:160]}")
    paired_p = {id(p) for p, _ in paired}
    paired_g = {id(g) for _, g in paired}
    for g in scored.golds.get(article_id, []):
        if id(g) not in paired_g:
            lines.append(f"  MISSED gold {fmt(g)}\n       evidence: {g['evidence'][:160]}")
    for p in scored.preds.get(article_id, []):
        if id(p) not in paired_p:
            lines.append(f"  EXTRA  pred {fmt(p)}\n       evidence: {p['evidence'][:160]}")
    for rec in gold:
        if rec.article_id == article_id and (rec.aggregate or rec.background):
            kind = "aggregate" if rec.aggregate else "background"
            lines.append(f"  ({kind}, not expected) {rec.event_type}/{rec.sub_event_type}: {rec.evidence[:120]}")
        if rec.article_id == article_id and rec.no_events:
            lines.append("  (gold: no codable event)")
    return "\n".join(lines)

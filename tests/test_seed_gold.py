"""The real pipeline on the five seed pages, scored against hand-written gold events (tests/gold/seeds.jsonl).

clean_article → LanguageIdentifier.route → NerTagger (real Stanza, ../shared/models/stanza-ar-ner-news,
loaded once per module) → Catalogue.link → EventTagger.tag. Each gold event is matched to the predicted
event of the same seed whose evidence overlaps one of the gold evidence snippets (same event type
preferred); per-field match rates are printed and floors (set at what the tagger reaches) asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.articles import RawArticle
from schemas.events import Count, Event
from stages.clean import clean_article
from stages.langid import LanguageIdentifier
from stages.linking import Catalogue
from stages.ner import NerTagger
from stages.normalize import matching_key
from stages.tagging import EventTagger
from streams.settings import Settings

GOLD = Path(__file__).resolve().parent / "gold" / "seeds.jsonl"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIELDS = ("type", "sub_type", "actor1", "actor2", "place", "fatalities", "injured", "date")


def _gold() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def predictions() -> dict[str, list[Event]]:
    settings = Settings()
    catalogue = Catalogue.load(settings.resolved_gazetteer_path)
    ner = NerTagger(SHARED / "models" / "stanza-ar-ner-news")
    langid = LanguageIdentifier()
    tagger = EventTagger(catalogue)
    out: dict[str, list[Event]] = {}
    paths = sorted((SHARED / "seeds").glob("*.txt"))
    routed = [
        langid.route(clean_article(RawArticle(id=p.stem, text=p.read_text(encoding="utf-8")))) for p in paths
    ]
    for path, tagged in zip(paths, ner.tag_batch(routed), strict=True):
        out[path.name] = tagger.tag(catalogue.link(tagged))
    return out


def _overlaps(pred: Event, snippets: list[str]) -> bool:
    ev = matching_key(pred.evidence.sentence)
    return any(matching_key(s) in ev or ev in matching_key(s) for s in snippets)


def _count_ok(gold: dict[str, Any] | None, pred: Count | None) -> bool:
    """Exact gold → same exact figure; a range → the predicted range overlaps it; None ↔ None."""
    if gold is None:
        return pred is None
    if pred is None:
        return False
    if gold.get("exact") is not None:
        return pred.exact == gold["exact"]
    lo, hi = gold.get("min") or 0, gold.get("max")
    p_lo = pred.min if pred.min is not None else (pred.exact or 0)
    p_hi = pred.max if pred.max is not None else pred.exact
    return (hi is None or p_lo <= hi) and (p_hi is None or p_hi >= lo)


def _match(gold: dict[str, Any], preds: list[Event]) -> Event | None:
    """The predicted event whose evidence overlaps the earliest-listed gold snippet (same type first)."""
    for snippet in gold["evidence"]:
        cands = [p for p in preds if _overlaps(p, [snippet])]
        same = [p for p in cands if p.event_type == gold["event_type"]]
        if cands:
            return (same or cands)[0]
    return None


def _fields(gold: dict[str, Any], pred: Event) -> dict[str, bool | None]:
    place_ok = bool(pred.location) and (
        (pred.location.place_id in gold["place_ids"]) if gold["place_ids"] else False
    )
    return {
        "type": pred.event_type == gold["event_type"],
        "sub_type": pred.sub_event_type == gold["sub_event_type"],
        "actor1": (pred.actor1.actor_id if pred.actor1 else None) == gold["actor1"],
        "actor2": (pred.actor2.actor_id if pred.actor2 else None) == gold["actor2"],
        "place": place_ok if gold["place_ids"] else None,
        "fatalities": _count_ok(gold["fatalities"], pred.fatalities),
        "injured": _count_ok(gold["injured"], pred.injured),
        "date": (pred.event_date.isoformat() == gold["event_date"]) if gold["event_date"] else None,
    }


def test_seed_gold_match_rates(predictions: dict[str, list[Event]]) -> None:
    gold = _gold()
    assert len(gold) >= 15
    hits: dict[str, list[bool]] = {f: [] for f in FIELDS}
    matched = 0
    for g in gold:
        pred = _match(g, predictions[g["seed"]])
        if pred is None:
            for f in FIELDS:
                if (
                    f not in ("place", "date")
                    or (f == "place" and g["place_ids"])
                    or (f == "date" and g["event_date"])
                ):
                    hits[f].append(False)
            print(f"MISS {g['seed'][:3]} {g['event_type']}/{g['sub_event_type']}: {g['evidence'][0][:60]}")
            continue
        matched += 1
        for f, ok in _fields(g, pred).items():
            if ok is not None:
                hits[f].append(ok)
    rates = {f: round(sum(v) / len(v), 3) if v else 0.0 for f, v in hits.items()}
    predicted = sum(len(v) for v in predictions.values())
    print(f"\nseed gold: {matched}/{len(gold)} gold events matched; {predicted} events predicted")
    for f in FIELDS:
        print(f"  {f:10s} {rates[f]:.3f}  (n={len(hits[f])})")
    # floors at what the rules reach (measured: 19/20 matched; type .90, sub-type .90, actor1 .80,
    # actor2 .70, place .89, fatalities .95, injured .85, date .30 — 3 of the 5 pages carry no date, so
    # relative dates there resolve against the ingest day and cannot match, and seed 002's year (2018)
    # is world knowledge, not on the page)
    assert matched / len(gold) >= 0.85
    assert rates["type"] >= 0.85
    assert rates["sub_type"] >= 0.85
    assert rates["actor1"] >= 0.75
    assert rates["actor2"] >= 0.65
    assert rates["place"] >= 0.8
    assert rates["fatalities"] >= 0.9
    assert rates["injured"] >= 0.8
    assert rates["date"] >= 0.3


def test_every_event_is_evidence_backed(predictions: dict[str, list[Event]]) -> None:
    for events in predictions.values():
        for ev in events:
            assert ev.evidence.clean_end > ev.evidence.clean_start
            assert ev.evidence.trigger and ev.evidence.trigger in ev.evidence.sentence
            assert ev.story_id and ev.extractor_version
    # the cumulative tally of seed 001 (689 since March 2019) must not become an event's fatalities
    for ev in predictions["001_6ccfd5f3d2d15283.txt"]:
        assert not (ev.fatalities and ev.fatalities.exact == 689)

"""raqib.tools.eval_gold gives the reference scorer's figures (../shared/tools/score_events.py) on the same files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from raqib.tools.eval_gold import GoldFileError, actor_class, load_gold, score

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REFERENCE = SHARED / "tools" / "score_events.py"
DEV = SHARED / "data" / "events-gold" / "news_gold_dev.jsonl"


def _as_event(g: dict, shift_days: int = 0, drop_actor: bool = False) -> dict:
    """A pipeline-shaped event made from a gold record (optionally damaged), for scoring only."""
    from datetime import date, timedelta

    day = g.get("event_date")
    if day and shift_days:
        day = (date.fromisoformat(day) + timedelta(days=shift_days)).isoformat()
    return {
        "article_id": g["article_id"], "event_type": g["event_type"], "sub_event_type": g["sub_event_type"],
        "actor1": None if drop_actor or not g.get("actor1") else {"name": g["actor1"]},
        "actor2": {"name": g["actor2"]} if g.get("actor2") else None,
        "location": {"admin1": g.get("admin1") if g.get("country") == "Syria" else None, "country": g.get("country"),
                     "name_en": g.get("location"), "geo_precision": 1},
        "fatalities": {"exact": g["fatalities"]} if g.get("fatalities") is not None else None,
        "injured": None, "event_date": day, "evidence": {"sentence": g.get("evidence", "")},
    }  # fmt: skip


@pytest.mark.skipif(not REFERENCE.is_file(), reason="reference scorer not in ../shared")
def test_same_figures_as_the_reference_scorer(tmp_path: Path) -> None:
    rows = [json.loads(x) for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    events = []
    for i, g in enumerate(r for r in rows if not r.get("no_events")):
        if i % 5 == 0:
            continue  # missed
        events.append(_as_event(g, shift_days=3 if i % 7 == 0 else 0, drop_actor=i % 3 == 0))
        if i % 11 == 0:
            events.append(_as_event(g, shift_days=1))  # a repeat
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
    ours = score(events, load_gold(DEV)).report
    ref = json.loads(subprocess.run([sys.executable, str(REFERENCE), str(path), "--gold", str(DEV), "--json"],
                                    capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert json.loads(json.dumps(ours)) == ref


def test_gold_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"article_id": "a", "no_events": true}\n{"article_id": "b"}\n', encoding="utf-8")
    with pytest.raises(GoldFileError, match=r"gold.jsonl:2: an event record needs event_type"):
        load_gold(bad)
    bad.write_text('{"article_id": "a", "no_events": true}\nnot json\n', encoding="utf-8")
    with pytest.raises(GoldFileError, match=r"gold.jsonl:2"):
        load_gold(bad)


def test_actor_classes_of_catalogue_names_are_the_gold_classes() -> None:
    """Catalogue names must not fall into another side's class ('Global Coalition against Daesh' was 'isis')."""
    pairs = {
        ("us-led-coalition", "US-led Coalition"): "US-led Coalition",
        ("fsa", "FSA (Syrian opposition)"): "Syrian opposition / rebel groups",
        ("sy-gov-forces", "Military Forces of Syria"): "Military Forces of Syria",
        ("civilians", "Civilians (Turkey)"): "Civilians (Turkey)",
        ("jabhat-al-nusra", "Jabhat al-Nusra"): "Jabhat al-Nusra",
        ("pkk", "Kurdistan Workers' Party (PKK)"): "PKK: Kurdistan Workers Party",
    }
    for (actor_id, name), gold in pairs.items():
        assert actor_class({"actor_id": actor_id, "name": name}) == actor_class(gold), name

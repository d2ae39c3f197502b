"""The trigger file (data/event_triggers.yaml) is validated on load: bad entries fail with the file and line,
and the tagger's refinements read their trigger ids from it."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from raqib.contracts.events import ACLED_SUBTYPES
from raqib.stages.lexicon import LEXICON_PATH, CueName, RefinementName, load_lexicon
from raqib.stages.tagging import detect
from raqib.stages.vocab import DataFileError

SHIPPED = LEXICON_PATH.read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "triggers.yaml"
    path.write_text(text, encoding="utf-8")
    load_lexicon(path)


def test_shipped_lexicon_loads() -> None:
    lex = load_lexicon()
    ids = {s.id for s in lex.specs}
    assert len(ids) == len(lex.specs) >= 20
    assert all(s.sub_event_type in ACLED_SUBTYPES[s.event_type] for s in lex.specs)
    assert set(lex.cues) == set(get_args(CueName))
    assert set(lex.refinements) == set(get_args(RefinementName))
    assert all(r <= ids for r in lex.refinements.values())
    assert lex.refined("battle_fire") == {"shelling", "air_strike"}
    assert "غارات" in lex.single and "الغارات" not in lex.single  # words are indexed by their bare form


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        # the typo that used to load silently and dead-letter every air-strike article
        ("    sub_event_type: Air/drone strike\n", "    sub_event_type: Air/drone strikes\n",
         "    sub_event_type: Air/drone strikes", r"trigger #6 'air_strike': sub_event_type: 'Air/drone strikes'"),
        # a real sub-type, but of another event type
        ("    sub_event_type: Suicide bomb\n", "    sub_event_type: Armed clash\n",
         "    sub_event_type: Armed clash\n    plover: ASSAULT\n    mode: suicide",
         r"trigger 'suicide': 'Armed clash' is not a sub-type of 'Explosions/Remote violence'"),
        ("    block_next: [محتمل]\n", "    block_nxt: [محتمل]\n", "    block_nxt:", r"block_nxt: unknown field"),
        ("  - id: chemical\n", "  - id: suicide\n", "  - id: suicide\n    event_type: Explosions/Remote violence\n"
         "    sub_event_type: Chemical weapon", r"trigger 'suicide': duplicate id"),
        ("    phrases: [[قنبلة, يدوية],", "    phrases: [[قنبلة, يدوية], [قنبلة, اليدوية],",
         "    phrases: [[قنبلة, يدوية], [قنبلة, اليدوية],", r"\['قنبلة', 'اليدوية'\] folds to the same words as"),
        ("    block_next: [محتمل]\n", "    block_next: [محتمل, ضد الفساد]\n", "    block_next: [محتمل, ضد",
         r"block_next: 'ضد الفساد' is not one word"),
        ("    block_next: [محتمل]\n", "    block_next: [محتمل, المحتمل]\n", "    block_next: [محتمل, المحتمل]",
         r"'المحتمل' folds to the same form as 'محتمل'"),
        ("    strength: 0.9\n", "    strength: 9\n", "    strength: 9", r"strength: Input should be less than or equal to 1"),
    ],
)  # fmt: skip
def test_bad_triggers_fail_with_their_line(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    with pytest.raises(DataFileError, match=message) as err:
        _load(tmp_path, text)
    assert f"triggers.yaml:{_line_of(text, needle)}:" in str(err.value)


def test_a_refinement_naming_an_unknown_trigger_fails_at_load(tmp_path: Path) -> None:
    old = "    triggers: [shelling, air_strike]\n"
    text = SHIPPED.replace(old, "    triggers: [shelling, airstrike]\n", 1)
    with pytest.raises(DataFileError, match=r"refinement 'battle_fire': unknown trigger id 'airstrike'") as err:
        _load(tmp_path, text)
    assert f"triggers.yaml:{_line_of(text, '    triggers: [shelling, airstrike]')}:" in str(err.value)


def test_renaming_a_trigger_without_its_refinements_fails_loudly(tmp_path: Path) -> None:
    """Renaming 'shelling' used to disable two refinements silently; now each stale reference is an error."""
    text = SHIPPED.replace("  - id: shelling\n", "  - id: artillery\n", 1)
    with pytest.raises(DataFileError) as err:
        _load(tmp_path, text)
    stale = [line for line in str(err.value).splitlines() if "unknown trigger id 'shelling'" in line]
    assert {line.split("refinement ")[1].split(":")[0] for line in stale} == {"'battle_fire'", "'aerial'"}


def test_a_missing_refinement_or_cue_is_named(tmp_path: Path) -> None:
    start = SHIPPED.index("  foiling:\n")
    with pytest.raises(DataFileError, match=r"refinements: missing \['foiling'\]"):
        _load(tmp_path, SHIPPED[:start])
    with pytest.raises(DataFileError, match=r"cues.typo: 'typo': Input should be"):
        _load(tmp_path, SHIPPED.replace("  culture: [", "  typo: [", 1))


def test_refinements_are_read_from_the_file(tmp_path: Path) -> None:
    """Shelling named inside clashes is the battle; take 'shelling' out of 'battle_fire' and it stays shelling."""
    text = "قتل 14 عنصراً من قوات النظام جراء القصف والاشتباكات مع تنظيم داعش في ريف دير الزور أمس."
    assert [d.sub_event_type for d in detect(text)] == ["Armed clash"]
    path = tmp_path / "triggers.yaml"
    path.write_text(SHIPPED.replace("    triggers: [shelling, air_strike]\n", "    triggers: [air_strike]\n", 1), encoding="utf-8")
    assert [d.sub_event_type for d in detect(text, lexicon=load_lexicon(path))] == ["Shelling/artillery/missile attack"]

"""Word lists the event rules use, as validated data (``data/event_vocabulary.yaml``).

Every list is written in ordinary spelling and folded on load with ``raqib.text.normalize.matching_form``,
the same folding the text gets, so an entry can always match. A list is either

- ``words``: single tokens, compared with a token's stems (``raqib.text.words.stems``: the word without
  و/ف, ب/ل/ك, ال/لل and a pronoun suffix), so write the bare word ('مدني', not 'والمدنيين' — the plural
  'مدنيين' is its own entry), or
- ``phrases``: space-separated token sequences, compared token by token, or
- ``values``: a mapping of single tokens to integers (number words, month names: 'ثلاثة: 3', 'آذار: 3'),
  or, for the lists a loader names as phrase-valued, of space-separated token sequences ('كانون الثاني: 1';
  the key is the folded tokens joined by one space).

Loading rejects: a word list entry with a space, two entries that fold to the same form (one of them is a
hand-folded copy), an empty entry, an unknown list name. Errors name the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raqib.text.normalize import matching_form

VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "event_vocabulary.yaml"
PLACE_VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "place_vocabulary.yaml"
NUMBER_VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "number_vocabulary.yaml"
DATE_VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "date_vocabulary.yaml"

#: The lists the code reads; the file must define exactly these (a typo in a name fails loudly).
WordListName = Literal[
    "attacker_single", "target_single", "source_words", "report_verbs", "civilian_words", "combatant_words",
    "unit_words", "extra_casualty_nouns", "aerial_words", "intervention_words", "protest_object",
    "area_words", "conflict_context", "event_verbs", "time_words", "clause_start", "qualifier_words",
    "locative_words", "admin_unit_words", "origin_words", "border_words", "background_words", "aggregate_words",
    "period_words", "plural_attack_words", "opinion_words", "modal_words", "conditional_words",
    "pronoun_self", "force_nouns", "police_nouns", "generic_armed_words", "police_victim_words",
    "soldier_victim_words", "agentive_nouns", "patient_nouns", "claim_words", "armed_group_heads", "between_words", "passive_casualty_words", "receive_verbs",
    "comma_clause_start", "killed_nouns", "country_place_nouns", "routine_words", "responsibility_words",
    "adjacent_negators", "passive_killed_verbs",
]  # fmt: skip
PlacePhraseListName = Literal["place_words", "town_words", "place_suffixes", "common_word_places", "not_town_names"]
PhraseListName = Literal[
    "clause_pair", "attacker_mark", "backer_mark", "excessive_force", "aggregate_phrases",
    "background_phrases", "locative_phrases", "regime_air_phrases", "side_pairs", "so_far_phrases",
]
#: The date parsers' lists (``data/date_vocabulary.yaml``; raqib.stages.dates and raqib.stages.timex).
DateWordListName = Literal[
    "past_words", "current_words", "future_words", "next_words", "year_words", "hijri_era_words",
    "gregorian_era_words", "date_label_words", "ago_words", "approximately_words", "yesterday_words",
    "weekday_frame_words", "ambiguous_weekdays", "day_part_words", "next_day_words",
]  # fmt: skip
DatePhraseListName = Literal[
    "date_label_lines", "weather_cues", "day_before_yesterday", "night_before_last", "two_days_ago",
    "yesterday_phrases", "today_phrases", "recent_days", "period_start_phrases",
]  # fmt: skip
DateValueListName = Literal[
    "gregorian_months", "levantine_months", "hijri_months", "weekdays", "ordinal_days", "day_count_words",
    "days_after_words", "month_part_days",
]  # fmt: skip
#: The date ``values`` lists whose keys may be several tokens ('كانون الثاني', 'الحادي والعشرين').
DatePhraseValueListName = Literal["levantine_months", "hijri_months", "ordinal_days"]

#: The lists ``raqib.stages.numbers`` reads (``data/number_vocabulary.yaml``).
NumberWordListName = Literal[
    "teen_words", "hundred_words", "thousand_multipliers", "million_multipliers", "vague_thousands",
    "vague_before_thousands", "approx_before", "approx_after", "modifier_lead", "at_least_negation",
    "range_words", "killed_words", "injured_words", "captured_words", "killed_count_nouns",
    "injured_count_nouns", "captured_count_nouns", "dual_person_nouns", "single_person_nouns",
    "combined_first", "combined_second", "subset_cues", "general_casualty_words", "side_stop",
    "side_prepositions", "trigger_gap_words", "trigger_search_stop", "killing_verb_stems",
    "passive_verb_initials",
]  # fmt: skip
NumberPhraseListName = Literal[
    "more_than", "at_least_before", "less_than", "at_least_after", "some_phrases", "none_cues",
]  # fmt: skip
NumberValueListName = Literal["units", "tens", "hundreds", "large_numbers", "vague_min", "vague_max"]


class DataFileError(ValueError):
    """An invalid vocabulary entry; the message names the file and line."""


class _ListSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["words", "phrases"]
    doc: str = Field(min_length=1)
    entries: list[str]


class _ValuesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["values"]
    doc: str = Field(min_length=1)
    entries: dict[str, int]


@dataclass(frozen=True)
class Vocabulary:
    """Folded word sets and phrase sets by name."""

    words: dict[str, frozenset[str]]
    phrases: dict[str, frozenset[tuple[str, ...]]]
    values: dict[str, dict[str, int]] = field(default_factory=dict)

    def w(self, name: WordListName | NumberWordListName) -> frozenset[str]:
        return self.words[name]

    def p(self, name: PhraseListName | PlacePhraseListName | NumberPhraseListName) -> frozenset[tuple[str, ...]]:
        return self.phrases[name]

    def v(self, name: str) -> dict[str, int]:
        """A ``values`` list: folded token → integer."""
        return self.values[name]


def _entry_lines(text: str) -> dict[tuple[str, int], int]:
    """(list name, entry index) → 1-based line, from the YAML node tree."""
    root = yaml.compose(text)
    lines: dict[tuple[str, int], int] = {}
    if root is None or not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if not isinstance(value, yaml.MappingNode):
            continue
        for k2, v2 in value.value:
            if getattr(k2, "value", None) == "entries" and isinstance(v2, yaml.SequenceNode):
                for i, item in enumerate(v2.value):
                    lines[(key.value, i)] = item.start_mark.line + 1
            elif getattr(k2, "value", None) == "entries" and isinstance(v2, yaml.MappingNode):
                for i, (item, _) in enumerate(v2.value):
                    lines[(key.value, i)] = item.start_mark.line + 1
        lines[(key.value, -1)] = key.start_mark.line + 1
    return lines


def load_vocabulary(
    path: Path = VOCABULARY_PATH,
    word_lists: Any = WordListName,
    phrase_lists: Any = PhraseListName,
    value_lists: Any = None,
    phrase_value_lists: Any = None,
) -> Vocabulary:
    """Parse, validate and fold a vocabulary file that must define exactly the named lists (each
    ``*_lists`` a ``Literal`` of names, or None for none of that kind; ``phrase_value_lists`` names the
    ``values`` lists whose keys may hold spaces)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
        lines = _entry_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(f"{path}:{mark.line + 1 if mark else 0}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    expected_words = set(get_args(word_lists)) if word_lists is not None else set()
    expected_phrases = set(get_args(phrase_lists)) if phrase_lists is not None else set()
    expected_values = set(get_args(value_lists)) if value_lists is not None else set()
    phrase_values = set(get_args(phrase_value_lists)) if phrase_value_lists is not None else set()
    expected = expected_words | expected_phrases | expected_values
    words: dict[str, frozenset[str]] = {}
    phrases: dict[str, frozenset[tuple[str, ...]]] = {}
    values: dict[str, dict[str, int]] = {}
    if not isinstance(data, dict):
        raise DataFileError(f"{path}:1: expected a mapping of list names to lists")
    for name, raw in data.items():
        where = f"{path}:{lines.get((name, -1), 0)}"
        if name not in expected:
            raise DataFileError(f"{where}: unknown list {name!r} (the code reads {sorted(expected)})")
        if name in expected_values:
            values[name] = _values_list(path, name, raw, lines, phrases=name in phrase_values)
            continue
        try:
            spec = _ListSpec.model_validate(raw)
        except ValidationError as exc:
            raise DataFileError(f"{where}: list {name!r}: {str(exc).splitlines()[1:3]}") from exc
        want = "words" if name in expected_words else "phrases"
        if spec.kind != want:
            raise DataFileError(f"{where}: list {name!r} must be kind {want!r}")
        folded = _folded_entries(path, name, spec.entries, lines, one_token="word list" if want == "words" else None)
        if want == "words":
            words[name] = frozenset(key[0] for key in folded)
        else:
            phrases[name] = frozenset(folded)
    missing = expected - words.keys() - phrases.keys() - values.keys()
    if missing:
        raise DataFileError(f"{path}: lists missing: {sorted(missing)}")
    return Vocabulary(words=words, phrases=phrases, values=values)


def _values_list(
    path: Path, name: str, raw: Any, lines: dict[tuple[str, int], int], *, phrases: bool = False
) -> dict[str, int]:
    """A ``values`` list: single-token keys (token sequences with ``phrases``), folded, each once; integer values."""
    where = f"{path}:{lines.get((name, -1), 0)}"
    try:
        spec = _ValuesSpec.model_validate(raw)
    except ValidationError as exc:
        raise DataFileError(f"{where}: list {name!r}: {str(exc).splitlines()[1:3]}") from exc
    entries = [str(entry) for entry in spec.entries]
    folded = _folded_entries(path, name, entries, lines, one_token=None if phrases else "values list")
    return {" ".join(key): value for key, value in zip(folded, spec.entries.values(), strict=True)}


def _folded_entries(path: Path, name: str, entries: Any, lines: dict[tuple[str, int], int],
                    one_token: str | None) -> list[tuple[str, ...]]:  # fmt: skip
    """Each entry of list ``name`` folded to token forms, in file order; an empty entry, one that folds like
    an earlier one, or (with ``one_token``, the kind of list for the message) one holding a space fails with
    its line."""
    seen: dict[tuple[str, ...], str] = {}
    for i, entry in enumerate(entries):
        at = f"{path}:{lines.get((name, i), 0)}"
        key = tuple(matching_form(tok) for tok in entry.split())
        if not key or not all(key):
            raise DataFileError(f"{at}: empty entry in {name!r}")
        if one_token is not None and len(key) != 1:
            hint = "use a phrases list" if one_token == "word list" else "one token per entry"
            raise DataFileError(f"{at}: {entry!r} in {one_token} {name!r} holds a space ({hint})")
        if key in seen:
            raise DataFileError(f"{at}: {entry!r} in {name!r} folds to the same form as {seen[key]!r}")
        seen[key] = entry
    return list(seen)


@lru_cache(maxsize=4)
def vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """The event rules' vocabulary, loaded once per process."""
    return load_vocabulary(path)


@lru_cache(maxsize=4)
def place_vocabulary(path: Path = PLACE_VOCABULARY_PATH) -> Vocabulary:
    """The linker's place words (``data/place_vocabulary.yaml``), loaded once per process."""
    return load_vocabulary(path, None, PlacePhraseListName)


@lru_cache(maxsize=4)
def number_vocabulary(path: Path = NUMBER_VOCABULARY_PATH) -> Vocabulary:
    """The count parser's words (``data/number_vocabulary.yaml``), loaded once per process.

    Besides the checks of every file: a word of ``vague_max`` must be in ``vague_min`` (its lowest figure),
    and no word may be in two of killed/injured/captured words or count nouns (its kind would be ambiguous).
    """
    voc = load_vocabulary(path, NumberWordListName, NumberPhraseListName, NumberValueListName)
    text = path.read_text(encoding="utf-8")
    raw, lines = yaml.safe_load(text), _entry_lines(text)
    for i, entry in enumerate(raw["vague_max"]["entries"]):
        if matching_form(str(entry)) not in voc.v("vague_min"):
            raise DataFileError(f"{path}:{lines.get(('vague_max', i), 0)}: {entry!r} in 'vague_max' is not in 'vague_min'")
    for group in (("killed_words", "injured_words", "captured_words"),
                  ("killed_count_nouns", "injured_count_nouns", "captured_count_nouns")):  # fmt: skip
        for a, first in enumerate(group):
            for second in group[a + 1 :]:
                for i, entry in enumerate(raw[second]["entries"]):
                    if matching_form(entry) in voc.w(first):  # type: ignore[arg-type]
                        raise DataFileError(f"{path}:{lines.get((second, i), 0)}: {entry!r} is in both {first!r} and {second!r}")
    return voc


@lru_cache(maxsize=4)
def date_vocabulary(path: Path = DATE_VOCABULARY_PATH) -> Vocabulary:
    """The date parsers' month names, weekdays and relative-time words (``data/date_vocabulary.yaml``)."""
    return load_vocabulary(path, DateWordListName, DatePhraseListName, DateValueListName, DatePhraseValueListName)

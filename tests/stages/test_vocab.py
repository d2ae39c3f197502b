"""Word lists as validated data: the shipped files load, and bad entries fail with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from raqib.stages.vocab import (
    DataFileError,
    DatePhraseListName,
    DatePhraseValueListName,
    DateValueListName,
    DateWordListName,
    date_vocabulary,
    load_vocabulary,
    place_vocabulary,
    vocabulary,
)


def test_shipped_vocabularies_load_folded() -> None:
    voc = vocabulary()
    assert "علي" in voc.w("target_single")  # 'على' folded
    assert ("بالقرب", "من") in voc.p("locative_phrases")
    assert "تل" in {" ".join(p) for p in place_vocabulary().p("not_town_names")}


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "vocab.yaml"
    shipped = (Path(__file__).resolve().parents[2] / "src" / "raqib" / "stages" / "data" / "event_vocabulary.yaml").read_text(
        encoding="utf-8"
    )
    path.write_text(shipped + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("\ntypo_list:\n  kind: words\n  doc: x\n  entries: [a]\n", "unknown list 'typo_list'"),
        ("\n  extra: [1\n", "not valid YAML"),
    ],
)
def test_bad_lists_are_rejected_with_the_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as err:
        load_vocabulary(_file(tmp_path, body))
    assert "vocab.yaml:" in str(err.value)


def test_a_space_in_a_word_list_and_a_folded_duplicate_name_their_line(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "src" / "raqib" / "stages" / "data" / "event_vocabulary.yaml").read_text(encoding="utf-8")
    spaced = text.replace("entries: [بينما, فيما, كما]", "entries: [بينما, فيما, كما, في حين]", 1)
    path = tmp_path / "v.yaml"
    path.write_text(spaced, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"v.yaml:\d+: 'في حين' in word list 'clause_start' holds a space"):
        load_vocabulary(path)
    doubled = text.replace("entries: [بينما, فيما, كما]", "entries: [بينما, فيما, كما, كمَا]", 1)
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"folds to the same form as 'كما'"):
        load_vocabulary(path)


# --- the date parsers' vocabulary (data/date_vocabulary.yaml) -------------------------------------------

DATE_VOCABULARY = Path(__file__).resolve().parents[2] / "src" / "raqib" / "stages" / "data" / "date_vocabulary.yaml"


def test_shipped_date_vocabulary_loads_folded() -> None:
    voc = date_vocabulary()
    assert voc.v("gregorian_months")["ابريل"] == 4  # 'أبريل' folded: 'ابريل'/'إبريل' need no entry of their own
    assert voc.v("levantine_months")["اذار"] == 3
    assert voc.v("levantine_months")["كانون الثاني"] == 1  # a phrase-valued list: the key keeps its words
    assert voc.v("hijri_months")["ذي الحجه"] == 12
    assert voc.v("ordinal_days")["الحادي والعشرين"] == 21
    assert sorted(voc.v("weekdays").values()) == list(range(7))
    assert "الماضي" in voc.w("past_words")
    assert ("الليله", "الماضيه") in voc.p("yesterday_phrases")
    for name in ("gregorian_months", "levantine_months", "hijri_months"):
        assert set(voc.v(name).values()) == set(range(1, 13)), name


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _load_dates(tmp_path: Path, text: str) -> None:
    path = tmp_path / "dates.yaml"
    path.write_text(text, encoding="utf-8")
    load_vocabulary(path, DateWordListName, DatePhraseListName, DateValueListName, DatePhraseValueListName)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        # a hand-folded copy of a month already listed
        ("    أبريل: 4\n", "    أبريل: 4\n    إبريل: 4\n", "    إبريل: 4", r"'إبريل' in 'gregorian_months' folds to the same form as 'أبريل'"),
        # a space where one token is expected: only the month names and ordinal days may be phrases
        ("    ثلاثة: 3\n", "    ثلاثة أيام: 3\n", "    ثلاثة أيام: 3", r"'ثلاثة أيام' in values list 'day_count_words' holds a space"),
        ("  entries: [الماضي, الفائت, المنصرم]", "  entries: [الماضي, الفائت, المنصرم, قبل الماضي]",
         "  entries: [الماضي, الفائت, المنصرم, قبل الماضي]", r"'قبل الماضي' in word list 'past_words' holds a space"),
        ("past_words:\n", "past_wrods:\n", "past_wrods:", r"unknown list 'past_wrods'"),
    ],
)  # fmt: skip
def test_bad_date_entries_fail_with_their_line(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    shipped = DATE_VOCABULARY.read_text(encoding="utf-8")
    assert old in shipped
    text = shipped.replace(old, new, 1)
    with pytest.raises(DataFileError, match=message) as err:
        _load_dates(tmp_path, text)
    assert f"dates.yaml:{_line_of(text, needle)}:" in str(err.value)


def test_a_missing_date_list_is_named(tmp_path: Path) -> None:
    shipped = DATE_VOCABULARY.read_text(encoding="utf-8")
    start = shipped.index("next_day_words:\n")
    text = shipped[:start] + shipped[shipped.index("\n\n", start) + 2 :]
    with pytest.raises(DataFileError, match=r"lists missing: \['next_day_words'\]"):
        _load_dates(tmp_path, text)

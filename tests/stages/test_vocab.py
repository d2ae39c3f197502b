"""Word lists as validated data: the shipped files load, and bad entries fail with the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from raqib.stages.vocab import DataFileError, load_vocabulary, place_vocabulary, vocabulary


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

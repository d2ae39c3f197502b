"""Arabic counts and casualty phrases (raqib.stages.numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from raqib.stages.numbers import casualty_mentions, parse_count
from raqib.stages.vocab import (
    NUMBER_VOCABULARY_PATH,
    DataFileError,
    NumberPhraseListName,
    NumberValueListName,
    NumberWordListName,
    load_vocabulary,
    number_vocabulary,
)


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("قتل 14 عنصراً", 14),
        ("قتل ١٤ عنصراً", 14),
        ("ثمانية أشخاص", 8),
        ("ثماني كيلومترات", 8),
        ("واحد", 1),
        ("أحد عشر جندياً", 11),
        ("اثنا عشر", 12),
        ("خمسة عشر", 15),
        ("عشرون", 20),
        ("خمسة وعشرون قتيلاً", 25),
        ("مئة", 100),
        ("مائة", 100),
        ("مئتين", 200),
        ("مئتان", 200),
        ("ثلاثمئة", 300),
        ("ثلاث مئة", 300),
        ("مئة وخمسون", 150),
        ("ألف", 1000),
        ("ألفي", 2000),
        ("ألفان", 2000),
        ("ثلاثة آلاف", 3000),
        ("25 ألفا", 25000),
        ("1,500 شخص", 1500),
    ],
)
def test_exact_numbers(text: str, exact: int) -> None:
    count = parse_count(text)
    assert count is not None
    assert (count.exact, count.min, count.max) == (exact, exact, exact)
    assert count.approximate is False


def test_vague_quantities_are_ranges() -> None:
    tens = parse_count("سقط عشرات الجرحى")
    assert tens is not None and (tens.min, tens.max, tens.exact, tens.approximate) == (10, 99, None, True)
    hundreds = parse_count("المئات من المتظاهرين")
    assert hundreds is not None and (hundreds.min, hundreds.max) == (100, 999)
    thousands = parse_count("آلاف النازحين")
    assert thousands is not None and (thousands.min, thousands.max) == (1000, 9999)
    tens_of_thousands = parse_count("عشرات الآلاف")
    assert tens_of_thousands is not None and (tens_of_thousands.min, tens_of_thousands.max) == (10000, 99999)


def test_modifiers() -> None:
    more = parse_count("مقتل أكثر من مئة مقاتل")
    assert more is not None and (more.min, more.max, more.exact) == (100, None, None)  # the figure given: ACLED and the event gold code "more than N" as N
    assert more.text == "أكثر من مئة"
    about = parse_count("عدد المشاركين نحو (500) مقاتل")
    assert about is not None and about.exact == 500 and about.approximate is True
    for phrase in ("حوالي تسعة", "قرابة 40 شخصا", "زهاء ألف"):
        c = parse_count(phrase)
        assert c is not None and c.approximate is True, phrase
    at_least = parse_count("ما لا يقل عن 28 متطوعا")
    assert at_least is not None and (at_least.min, at_least.max) == (28, None)
    after = parse_count("خمسة اشخاص على الأقل")
    assert after is not None and after.min == 5 and after.exact is None
    between = parse_count("بين 30 و35 شخصا")
    assert between is not None and (between.min, between.max) == (30, 35)
    assert parse_count("لا أرقام هنا") is None


def test_per_side_breakdown() -> None:
    sentence = (
        "حيث قتل 14 عنصراً من قوات النظام وميليشيا الدفاع الوطني، بينهم قائد قطاع الريف الغربي، "
        "بالإضافة لمقتل 5 عناصر من التنظيم المتشدد."
    )
    ms = casualty_mentions(sentence)
    assert [(m.kind, m.count.exact) for m in ms] == [("killed", 14), ("killed", 5)]
    assert ms[0].side_surface == "قوات النظام وميليشيا الدفاع الوطني"
    assert ms[1].side_surface == "التنظيم المتشدد"


def test_killed_and_injured_in_one_sentence() -> None:
    ms = casualty_mentions("قتل 12 شخصا واصيب 28 بجروح في هجوم انتحاري بسيارة مفخخة")
    assert [(m.kind, m.count.exact) for m in ms] == [("killed", 12), ("injured", 28)]
    ms = casualty_mentions("ثلاثة جنود أميركيين قتلوا وأصيب 11 آخرون بجروح بانفجار عبوة ناسفة")
    assert [(m.kind, m.count.exact) for m in ms] == [("killed", 3), ("injured", 11)]


def test_subsets_duals_singulars_and_none() -> None:
    ms = casualty_mentions("اعلنت مصادر مقتل 18 شخصاً في العراق، بينهم 15 قضوا في هجوم انتحاري")
    assert [(m.count.exact, m.subset) for m in ms] == [(18, False), (15, True)]
    assert [m.count.exact for m in casualty_mentions("أسفر الهجوم عن مقتل شخصين")] == [2]
    assert [m.count.exact for m in casualty_mentions("وتسبب الانفجار بمقتل جندي أميركي")] == [1]
    none = casualty_mentions("دون وقوع قتلى من الجنود الأمريكيين")
    assert [(m.kind, m.count.exact) for m in none] == [("killed", 0)]
    combined = casualty_mentions("الأمر الذي أدى إلى مقتل وجرح العشرات من عناصر الميليشيات")
    assert combined[0].kind == "killed" and combined[0].extra_kinds == ["injured"]
    assert (combined[0].count.min, combined[0].count.max) == (10, 99)


def test_captured() -> None:
    ms = casualty_mentions("وكانت الحركة قد خطفت 23 من الكوريين الجنوبيين")
    assert [(m.kind, m.count.exact, m.side_surface) for m in ms] == [("captured", 23, "الكوريين الجنوبيين")]


def test_persian_keyboard_text_counts_like_arabic_keyboard_text() -> None:
    """'قتیلاً' typed with Persian yeh (U+06CC) and Persian digits gives the same figure as the Arabic form."""
    arabic = casualty_mentions("سقط 12 قتيلاً في القصف")
    persian = casualty_mentions("سقط ۱۲ قتیلاً في القصف")
    assert [(m.kind, m.count.exact) for m in arabic] == [("killed", 12)]
    assert [(m.kind, m.count.exact) for m in persian] == [("killed", 12)]


@pytest.mark.parametrize(
    ("arabic", "expected"),
    [
        ("سقط 12 قتيلاً في القصف", [("killed", 12, None)]),
        ("قتل اثني عشر جندياً", [("killed", 12, None)]),
        ("انفجار بلا قتلى", [("killed", 0, None)]),
        ("مقتل 14 عنصراً من قوات النظام كما أصيب 3", [("killed", 14, "قوات النظام"), ("injured", 3, None)]),
    ],
)
def test_persian_yeh_and_keheh_give_the_arabic_keyboard_counts(arabic: str, expected: list[tuple[str, int, str | None]]) -> None:
    """The same sentence typed on a Persian keyboard (ی U+06CC for ي/ى, ک U+06A9 for ك): same kinds, counts, sides."""
    persian = arabic.replace("ي", "\u06cc").replace("ى", "\u06cc").replace("ك", "\u06a9")
    assert persian != arabic
    for text in (arabic, persian):
        assert [(m.kind, m.count.exact, m.side_surface) for m in casualty_mentions(text)] == expected, text


def test_ranges_with_a_detached_waw_and_standalone_million() -> None:
    for text in ("بين 10 و 20", "بين 10 و20", "بين عشرة وعشرين"):
        count = parse_count(text)
        assert count is not None and (count.min, count.max) == (10, 20), text
    million = parse_count("نزح مليون شخص")
    assert million is not None and million.exact == 1_000_000


def test_none_phrase_at_sentence_start_keeps_its_own_words() -> None:
    none = casualty_mentions("بلا قتلى")
    assert [(m.kind, m.count.exact, m.count.text) for m in none] == [("killed", 0, "بلا قتلى")]


# ---------------------------------------------------------------- the number vocabulary (data/number_vocabulary.yaml)


def test_shipped_number_vocabulary_loads_folded() -> None:
    voc = number_vocabulary()
    assert voc.v("units")["ثلاثه"] == 3  # 'ثلاثة' folded
    assert voc.v("large_numbers")["مليون"] == 1_000_000
    assert (voc.v("vague_min")["عشرات"], voc.v("vague_max")["عشرات"]) == (10, 99)
    assert "عده" in voc.v("vague_min") and "عده" not in voc.v("vague_max")  # 'عدة': no upper bound
    assert "قتلي" in voc.w("killed_words")  # 'قتلى' folded
    assert ("اكثر", "من") in voc.p("more_than")
    assert ("بلا",) in voc.p("none_cues")


def _edited(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The shipped file with ``old`` replaced by ``new`` once, and the line ``new`` starts on."""
    text = NUMBER_VOCABULARY_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    edited = text.replace(old, new)
    path = tmp_path / "numbers.yaml"
    path.write_text(edited, encoding="utf-8")
    return path, edited[: edited.index(new)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("entries: [عشر, عشرة]", "entries: [عشر, عشرة, عشرَ]", "'عشرَ' in 'teen_words' folds to the same form as 'عشر'"),
        ("            عشر: 10, عشرة: 10}", "            عشر: 10, عشرة: 10, عشره: 10}", "'عشره' in 'units' folds to the same form as 'عشرة'"),
        ("entries: [بين]", "entries: [بين, ما بين]", "'ما بين' in word list 'range_words' holds a space"),
        ("            عشر: 10, عشرة: 10}", "            عشر: 10, عشرة: 10, خمسة عشر: 15}", "'خمسة عشر' in values list 'units' holds a space"),
        ("range_words:\n", "rang_words:\n", "unknown list 'rang_words'"),
        ("            بضعة: 9, بضع: 9}", "            بضعة: 9, بضع: 9, نيف: 9}", "'نيف' in 'vague_max' is not in 'vague_min'"),
        ("entries: [إصابة, ", "entries: [إصابة, قتلى, ", "'قتلى' is in both 'killed_words' and 'injured_words'"),
    ],
)
def test_bad_number_vocabulary_entries_fail_naming_the_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path, line = _edited(tmp_path, old, new)
    with pytest.raises(DataFileError) as err:
        number_vocabulary.__wrapped__(path)
    assert message in str(err.value)
    assert f"numbers.yaml:{line}:" in str(err.value)


def test_a_missing_number_list_is_named(tmp_path: Path) -> None:
    text = NUMBER_VOCABULARY_PATH.read_text(encoding="utf-8")
    start = text.index("range_words:")
    path = tmp_path / "numbers.yaml"
    path.write_text(text[:start] + text[text.index("\n\n", start) + 2 :], encoding="utf-8")
    with pytest.raises(DataFileError, match=r"lists missing: \['range_words'\]"):
        load_vocabulary(path, NumberWordListName, NumberPhraseListName, NumberValueListName)


def test_figures_joined_by_and_count_the_same_casualties() -> None:
    """'25 … من النصرة وسبعة من المقاتلين' is 25 + 7 killed, each with its side; 'امرأة وثلاثة أطفال' is 1 + 3."""
    ms = casualty_mentions("تسببت بمقتل 25 متطرفًا من تنظيم النصرة وسبعة من المقاتلين والموالين")
    assert [(m.kind, m.count.exact, m.subset) for m in ms] == [("killed", 25, False), ("killed", 7, False)]
    assert ms[0].side_surface == "تنظيم النصرة"
    ms = casualty_mentions("أعلن المرصد مقتل امرأة وثلاثة اطفال في مخيم درعا")
    assert [(m.kind, m.count.exact, m.subset) for m in ms] == [("killed", 1, False), ("killed", 3, False)]


def test_a_figure_joined_to_a_subset_stays_in_the_subset() -> None:
    ms = casualty_mentions("قتل 5 مدنيين بينهم طفلان وثلاث نساء")
    assert [(m.count.exact, m.subset) for m in ms if not m.subset] == [(5, False)]
    assert all(m.subset for m in ms[1:])

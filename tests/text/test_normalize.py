"""Matching form, invisible stripping and digit folding (raqib.text.normalize)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.text.normalize import (
    collapse_whitespace,
    matching_form,
    matching_form_with_map,
    matching_key,
    strip_diacritics,
    strip_invisible,
    to_ascii_digits,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أحمد", "احمد"),
        ("إدلب", "ادلب"),
        ("آذار", "اذار"),
        ("ٱلله", "الله"),
        ("مستشفى", "مستشفي"),
        ("سورية", "سوريه"),
        ("الـــجيش", "الجيش"),  # tatweel
        ("قُوّاتٌ", "قوات"),  # harakat + shadda
        ("ٰهذا", "هذا"),  # superscript alef
        ("قرآنۖ", "قرانۖ".replace("ۖ", "")),  # Quranic pause mark U+06D6
        ("٢٠٢١", "2021"),
        ("۱۴۰۰", "1400"),
        ("فی", "في"),  # Persian yeh
        ("کابل", "كابل"),  # keheh
        ("ہ", "ه"),
        ("ۀ", "ه"),
        ("دير\u200cالزور", "ديرالزور"),  # ZWNJ removed
    ],
)
def test_matching_form_folds_variants(text: str, expected: str) -> None:
    assert matching_form(text) == expected


def test_matching_form_makes_spelling_variants_equal() -> None:
    variants = ["إدلب", "ادلب", "إِدْلِب", "إدلـــب"]
    assert len({matching_form(v) for v in variants}) == 1
    assert matching_form("مستشفى الرازي") == matching_form("مستشفي الرازى")
    assert matching_form("قرية") == matching_form("قريه")


def test_matching_form_keeps_hamza_on_waw_and_yaa_and_latin() -> None:
    assert matching_form("مؤتمر رئيس ISIS") == "مؤتمر رئيس ISIS"


def test_to_ascii_digits_only_touches_digits() -> None:
    assert to_ascii_digits("قتل ١٤ عنصراً في ۲۰۱۹") == "قتل 14 عنصراً في 2019"


def test_strip_invisible_removes_controls_bidi_bom_and_surrogates() -> None:
    dirty = "\ufeffدمشق\u200f \u202bحلب\u202c\u2066x\u2069\x00\x07y\ud800z\u200b"
    assert strip_invisible(dirty) == "دمشق حلبxyz"


def test_strip_invisible_keeps_layout_whitespace_and_marks() -> None:
    text = "سطر أول\n\tسطرٌ ثانٍ\r\n"
    assert strip_invisible(text) == text


def test_strip_diacritics_keeps_letters() -> None:
    assert strip_diacritics("أَكَّدَ الـمرصدُ") == "أكد المرصد"


def test_collapse_whitespace_and_key() -> None:
    assert collapse_whitespace("  قال \u00a0 المرصد\n\nإن  ") == "قال المرصد إن"
    assert matching_key("قالَ  المرصدُ\nإنّ") == matching_key("قال المرصد ان")


def test_matching_form_with_map_points_into_input() -> None:
    text = "أَكَّدَ ٢٠ ـ شخصاً"
    out, index_map = matching_form_with_map(text)
    assert out == matching_form(text)
    assert len(index_map) == len(out)
    for i, ch in enumerate(out):
        assert matching_form(text[index_map[i]]) == ch


def test_with_map_reports_offsets_in_original_for_a_lookup() -> None:
    """A clitic-tolerant lookup on the matching form reports offsets in the original text."""
    text = "وقُصِفَتْ مدينةُ إِدْلِب أمس"
    out, index_map = matching_form_with_map(text)
    pos = out.index("ادلب")
    start, end = index_map[pos], index_map[pos + len("ادلب") - 1] + 1
    assert text[start:end] == "إِدْلِب"


_ARABICISH = st.text(
    alphabet=st.sampled_from(
        [
            *"ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئةى",
            *[
                "\u064b",
                "\u064e",
                "\u0651",
                "\u0670",
                "\u0640",
                "\u06d6",
                "\u200c",
                "\u200f",
                "\ufeff",
                "\x01",
            ],
            *"٠١٢٣۴۵یکہۀ 0123abc\n",
        ]
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(_ARABICISH)
def test_with_map_is_monotonic_and_consistent(text: str) -> None:
    out, index_map = matching_form_with_map(text)
    assert out == matching_form(text)
    assert len(out) <= len(text)
    assert all(a < b for a, b in itertools.pairwise(index_map))
    for i, ch in enumerate(out):
        assert matching_form(text[index_map[i]]) == ch


@settings(max_examples=200, deadline=None)
@given(_ARABICISH)
def test_matching_form_is_idempotent(text: str) -> None:
    once = matching_form(text)
    assert matching_form(once) == once

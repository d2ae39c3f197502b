"""Arabic text normalisation: the *matching form* used for lookups, and invisible-character stripping.

Three forms of an article exist (see DESIGN-NOTES): raw, clean (display) and the matching form defined
here. The matching form folds spelling variants that Arabic writers use interchangeably (hamza seats on
alef, alef maksura vs yaa, taa marbuta vs haa, Persian-keyboard letters, Eastern digits) and drops marks
that do not change the word (diacritics, tatweel, invisible joiners). It is for comparing and looking
up only; never show it to a user. ``matching_form_with_map`` also returns, for every output character,
the index of the input character it came from, so a match found in the matching form can be reported
at its offsets in the original text.
"""

from __future__ import annotations

import re

# --- character classes -------------------------------------------------------------------------------

TATWEEL = "\u0640"

#: Harakat, shadda, sukun, maddah/hamza marks above/below and the superscript alef.
DIACRITICS: frozenset[str] = frozenset(
    [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670"] + [chr(c) for c in range(0x06D6, 0x06EE)]
)

#: Zero-width and bidi controls that editors and CMSs sprinkle into Arabic text.
INVISIBLE_FORMAT: frozenset[str] = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # LRE, RLE, PDF, LRO, RLO
    + [chr(c) for c in range(0x2060, 0x2065)]  # word joiner, invisible operators
    + [chr(c) for c in range(0x2066, 0x206A)]  # LRI, RLI, FSI, PDI
    + ["\ufeff", "\u00ad", "\u061c"]  # BOM / ZWNBSP, soft hyphen, Arabic letter mark
)

#: C0/C1 control characters except the whitespace ones that carry layout (tab, newline, carriage return).
CONTROL_CHARS: frozenset[str] = frozenset(
    [chr(c) for c in range(0x00, 0x20) if chr(c) not in "\t\n\r"]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
)

#: Lone surrogates cannot be encoded as UTF-8; they come from broken decoders.
SURROGATES: frozenset[str] = frozenset(chr(c) for c in range(0xD800, 0xE000))

_ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"

_DIGIT_TABLE: dict[int, str] = {ord(ch): str(i) for i, ch in enumerate(_ARABIC_INDIC)} | {
    ord(ch): str(i) for i, ch in enumerate(_PERSIAN_DIGITS)
}

_LETTER_FOLDS: dict[str, str] = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",  # alef wasla
    "ٲ": "ا",  # alef with wavy hamza above
    "ٳ": "ا",  # alef with wavy hamza below
    "ى": "ي",  # alef maksura
    "ة": "ه",  # taa marbuta
    "ی": "ي",  # Persian yeh
    "ۍ": "ي",
    "ې": "ي",
    "ک": "ك",  # keheh (Persian kaf)
    "ڪ": "ك",
    "ہ": "ه",  # heh goal (Urdu)
    "ۀ": "ه",  # heh with yeh above
    "ە": "ه",
    "ھ": "ه",  # heh doachashmee
}

_INVISIBLE_ALL: frozenset[str] = INVISIBLE_FORMAT | CONTROL_CHARS | SURROGATES


def _build_matching_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in _INVISIBLE_ALL | DIACRITICS | {TATWEEL}:
        table[ord(ch)] = ""
    table.update(_DIGIT_TABLE)
    for src, dst in _LETTER_FOLDS.items():
        table[ord(src)] = dst
    return table


_MATCHING_TABLE: dict[int, str] = _build_matching_table()
_INVISIBLE_TABLE: dict[int, str] = {ord(ch): "" for ch in _INVISIBLE_ALL}
_DISPLAY_TABLE: dict[int, str] = {ord(ch): "" for ch in _INVISIBLE_ALL | {TATWEEL}}
_DIACRITIC_TABLE: dict[int, str] = {ord(ch): "" for ch in DIACRITICS | {TATWEEL}}

_WS_RUN = re.compile(r"\s+")


# --- public API --------------------------------------------------------------------------------------


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Persian (۰-۹) digits → ASCII, so numbers and dates parse with one regex."""
    return text.translate(_DIGIT_TABLE)


def strip_invisible(text: str) -> str:
    """Drop control characters, lone surrogates, zero-width/bidi marks and BOMs (keeps \\t \\n \\r).

    They are invisible to a reader but split words for a tokenizer and break UTF-8 encoding.
    """
    return text.translate(_INVISIBLE_TABLE)


def strip_diacritics(text: str) -> str:
    """Remove harakat, Quranic marks and tatweel; letters (and their hamza seats) are untouched."""
    return text.translate(_DIACRITIC_TABLE)


def display_char_filter(ch: str) -> bool:
    """True when ``ch`` is kept in clean display text (everything but invisibles and tatweel)."""
    return ord(ch) not in _DISPLAY_TABLE


def matching_form(text: str) -> str:
    """Lookup-only form: folded alef/yaa/taa marbuta/Persian letters, no marks, ASCII digits.

    Two spellings of the same Arabic word ("إدلب"/"ادلب", "سوريّة"/"سورية"/"سوريه") give the same
    matching form. Length can shrink (removed marks) but never grows.
    """
    return text.translate(_MATCHING_TABLE)


def matching_form_with_map(text: str) -> tuple[str, list[int]]:
    """Matching form plus, for each output character, the index of the input character it came from.

    ``out[i]`` comes from ``text[index_map[i]]``; a span ``out[a:b]`` covers
    ``text[index_map[a]:index_map[b-1]+1]`` (which may include removed marks in between).
    """
    out: list[str] = []
    index_map: list[int] = []
    table = _MATCHING_TABLE
    for i, ch in enumerate(text):
        repl = table.get(ord(ch))
        if repl is None:
            out.append(ch)
            index_map.append(i)
        elif repl:
            out.append(repl)
            index_map.extend([i] * len(repl))
    return "".join(out), index_map


def collapse_whitespace(text: str) -> str:
    """All whitespace runs (newlines, NBSP, tabs) → one space, ends stripped."""
    return _WS_RUN.sub(" ", text).strip()


def matching_key(text: str) -> str:
    """Matching form with whitespace collapsed: the key used to compare titles and paragraphs."""
    return collapse_whitespace(matching_form(text))


__all__ = [
    "CONTROL_CHARS",
    "DIACRITICS",
    "INVISIBLE_FORMAT",
    "SURROGATES",
    "TATWEEL",
    "collapse_whitespace",
    "display_char_filter",
    "matching_form",
    "matching_form_with_map",
    "matching_key",
    "strip_diacritics",
    "strip_invisible",
    "to_ascii_digits",
]

"""Words of the matching form and their clitic-stripped lookup stems: the one place Arabic clitics are read.

``words(text)`` gives each word of ``text`` in matching form (``raqib.text.normalize``) with offsets into
``text`` and its ``stems``: the word itself, without و/ف, without ب/ل/ك, without ال/لل, without an accusative
alef and without a pronoun suffix. ``clitic_variants`` is the stricter reading used to match names (a
proclitic may be dropped, nothing else). Word lists are compared with stems, names with clitic variants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from raqib.text.normalize import matching_form, matching_form_with_map

_WORD_RE = re.compile(r"[0-9A-Za-z\u0621-\u063A\u0641-\u064A\u066E-\u06D3]+")
_CONJ = ("و", "ف")
_PREP = ("ب", "ل", "ك")
_SUFFIXES = ("هما", "هم", "هن", "ها", "ه")


@dataclass(frozen=True)
class WordToken:
    """A word of the matching form: offsets into the caller's text, folded form, and its lookup stems."""

    start: int
    end: int
    form: str
    stems: tuple[str, ...]


@lru_cache(maxsize=65536)
def stems(form: str) -> tuple[str, ...]:
    """Lookup candidates for one folded word: itself, without و/ف, ب/ل/ك, ال/لل, and a pronoun suffix."""
    out = [form]
    for c in list(out):
        if c[:1] in _CONJ and len(c) > 3:
            out.append(c[1:])
    for c in list(out):
        if c[:1] in _PREP and len(c) > 3:
            out.append(c[1:])
    for c in list(out):
        if (c.startswith("ال") and len(c) > 4) or (c.startswith("لل") and len(c) > 4):
            out.append(c[2:])
    for c in list(out):
        if len(c) > 4 and c.endswith("ا") and not c.endswith(("وا", "اا")):
            out.append(c[:-1])  # accusative tanween: 'انفجارا' → 'انفجار', 'قتيلا' → 'قتيل'
    for c in list(out):
        for suf in _SUFFIXES:
            if c.endswith(suf) and len(c) - len(suf) >= 3:
                base = c[: -len(suf)]
                out.append(base)
                if base.endswith("ت"):
                    out.append(base[:-1] + "ه")  # معركتها → معركه (taa marbuta before a suffix)
                break
    return tuple(dict.fromkeys(out))


def words(text: str) -> list[WordToken]:
    """Word tokens of ``text`` in matching form, with offsets into ``text``."""
    return list(_words(text))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[WordToken, ...]:
    """Cached: the tagger, its clause judge and the classifier features all re-read the same sentence."""
    folded, index_map = matching_form_with_map(text)
    out: list[WordToken] = []
    for m in _WORD_RE.finditer(folded):
        start = index_map[m.start()]
        end = index_map[m.end() - 1] + 1
        out.append(WordToken(start, end, m.group(), stems(m.group())))
    return tuple(out)


def fold_word(word: str) -> str:
    """A word written in normal spelling (a list entry, a lexicon word), folded like the text."""
    return matching_form(word).strip()


def bare_word(word: str) -> str:
    """A listed word's citation stem (its own ال removed), so it compares with text stems."""
    f = fold_word(word)
    return f[2:] if f.startswith("ال") and len(f) > 4 else f


@lru_cache(maxsize=65536)
def clitic_variants(form: str) -> tuple[tuple[str, bool], ...]:
    """``form`` and its readings without attached proclitics: (و|ف)? then (ب|ل|ك)? or لل→ال. True = stripped."""
    out: list[tuple[str, bool]] = [(form, False)]
    bases = [form]
    if len(form) > 3 and form[0] in "وف":
        bases.append(form[1:])
        out.append((form[1:], True))
    for base in bases:
        if len(base) > 3 and base.startswith("لل"):
            out.append(("ال" + base[2:], True))
        if len(base) > 3 and base[0] in "بلك":
            out.append((base[1:], True))
    return tuple(out)

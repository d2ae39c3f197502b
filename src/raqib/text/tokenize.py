"""Tokenisation the offline Stanza NER models expect, with offsets into the original string.

The models were trained on ANERcorp-style tokens: whitespace split, every punctuation mark its own
token, numbers kept whole and clitics left attached (وإسرائيل, بلبنان stay one token and are tagged as
entities). Tatweel, diacritics and invisible marks are removed from the *token text* only: offsets keep
pointing at the caller's string so entities can be cut out of the clean text unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from raqib.contracts.articles import SentenceSpan
from raqib.text.normalize import DIACRITICS, INVISIBLE_FORMAT, TATWEEL

#: Characters removed from token text: tatweel, diacritics and the invisible format characters, the same
#: sets the matching form drops (``raqib.text.normalize``), so Stanza never sees a mark the lookups ignore.
_DROPPED: frozenset[str] = DIACRITICS | INVISIBLE_FORMAT | {TATWEEL}
_INVISIBLE_RE = re.compile("[" + "".join(sorted(_DROPPED)) + "]")

#: One punctuation mark = one token (the README's list, plus a few separators scraped pages use).
_PUNCT = ".,;:!?()[]{}\"«»“”‘’'،؛؟…-–—/\\|•·*"
_PUNCT_CLASS = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in _PUNCT)

#: A number (ASCII or Arabic-Indic digits, optional ./,/٫/٬ groups, optional %), one punctuation mark,
#: or a maximal run of anything else that is not space (a run ending in digits keeps its decimal part,
#: so a clitic-prefixed number like و6.3 stays whole). Each branch is a single linear scan: the
#: repeated groups start with a punctuation mark the preceding run cannot contain, so nothing backtracks.
_DIGIT = "0-9٠-٩۰-۹"
_TOKEN_RE = re.compile(
    rf"[{_DIGIT}]+(?:[.,٫٬][{_DIGIT}]+)*[%٪]?"
    rf"|[{_PUNCT_CLASS}]"
    rf"|[^\s{_PUNCT_CLASS}]+(?:(?<=[{_DIGIT}])[.,٫٬][{_DIGIT}]+)*"
)

#: Tokens after which a sentence ends, and closers that stay with the sentence they close.
_SENTENCE_END = frozenset({".", "!", "?", "؟"})
_CLOSERS = frozenset({"»", "”", ")", "’", "]"})
_CLAUSE_BREAKS = frozenset({"،", ",", "؛", ";", ":"})

#: The training data cut sentences at 120 tokens; longer inputs also slow the BiLSTM down.
MAX_SENTENCE_TOKENS = 120


@dataclass(frozen=True, slots=True)
class Token:
    """A token: normalised ``text`` and ``[start, end)`` offsets into the original input string."""

    text: str
    start: int
    end: int


def _strip_invisible(text: str) -> tuple[str, list[int]]:
    """Remove tatweel/diacritics/invisible marks; return the stripped string and, per kept char, its source index."""
    if not _INVISIBLE_RE.search(text):
        return text, list(range(len(text)))
    kept: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if _INVISIBLE_RE.match(ch):
            continue
        kept.append(ch)
        index.append(i)
    return "".join(kept), index


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text`` in order, without sentence structure."""
    stripped, index = _strip_invisible(text)
    tokens: list[Token] = []
    n = len(stripped)
    for m in _TOKEN_RE.finditer(stripped):
        # The span runs up to the next kept character (only removed marks lie between), so marks
        # written on the last letter (shadda, tanwin, a tatweel before a quote) stay inside the span.
        end = index[m.end()] if m.end() < n else len(text)
        tokens.append(Token(m.group(), index[m.start()], end))
    return tokens


def _cut_long(sentence: list[Token]) -> list[list[Token]]:
    """Cut a sentence over MAX_SENTENCE_TOKENS, preferably after a clause mark in the second half of the window."""
    pieces: list[list[Token]] = []
    rest = sentence
    while len(rest) > MAX_SENTENCE_TOKENS:
        cut = MAX_SENTENCE_TOKENS
        for i in range(MAX_SENTENCE_TOKENS - 1, MAX_SENTENCE_TOKENS // 2, -1):
            if rest[i].text in _CLAUSE_BREAKS:
                cut = i + 1
                break
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def tokenize_for_ner(text: str, tokens: list[Token] | None = None) -> list[list[Token]]:
    """Sentences of tokens: a break after . ! ? ؟ (closing quotes/brackets stay attached) and at line breaks.

    Line breaks count as paragraph breaks: scraped news puts one paragraph per line, and a sentence
    running across two paragraphs would hand the tagger a title glued to a body sentence. ``tokens``:
    ``tokenize(text)`` when the caller has it already.
    """
    tokens = tokenize(text) if tokens is None else tokens
    sentences: list[list[Token]] = []
    current: list[Token] = []
    ended = False
    for tok in tokens:
        if current:
            gap = text[current[-1].end : tok.start]
            if "\n" in gap or (ended and tok.text not in _CLOSERS and tok.text not in _SENTENCE_END):
                sentences.extend(_cut_long(current))
                current = []
                ended = False
        current.append(tok)
        if tok.text in _SENTENCE_END:
            ended = True
    if current:
        sentences.extend(_cut_long(current))
    return sentences


def sentence_spans(text: str) -> list[SentenceSpan]:
    """Sentence spans (first token start to last token end) in ``text``, as the NER stage sees them."""
    return [SentenceSpan(start=s[0].start, end=s[-1].end) for s in tokenize_for_ner(text)]

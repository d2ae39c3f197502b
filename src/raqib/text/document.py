"""An article's text analysed once — tokens, their matching forms, its NER sentences — and shared.

Stanza builds one ``Document`` per text and every processor reads it; here the NER stage and the linker read
the same clean text in the same process, and each used to tokenise and fold it again. ``document(text)``
returns the analysis of a text, built on first use and kept for the few articles a worker has in hand, so
every stage that reads that text gets the same object.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

from raqib.text.normalize import matching_form
from raqib.text.tokenize import Token, tokenize, tokenize_for_ner


class Document:
    """The analysis of one text; each part is computed the first time it is asked for."""

    __slots__ = ("__dict__", "text")

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def tokens(self) -> list[Token]:
        """Tokens as Stanza gets them (``raqib.text.tokenize``), offsets into ``text``."""
        return tokenize(self.text)

    @cached_property
    def forms(self) -> list[str]:
        """The matching form of each token, in token order."""
        return [matching_form(t.text) for t in self.tokens]

    @cached_property
    def sentences(self) -> list[list[Token]]:
        """The tokens in sentences as the NER stage cuts them (``tokenize_for_ner``)."""
        return tokenize_for_ner(self.text, self.tokens)

    @cached_property
    def sentence_forms(self) -> list[list[str]]:
        """``forms`` in the same sentences."""
        index = {id(t): i for i, t in enumerate(self.tokens)}
        return [[self.forms[index[id(t)]] for t in sent] for sent in self.sentences]


@lru_cache(maxsize=64)
def document(text: str) -> Document:
    """The shared analysis of ``text`` (a worker holds a few dozen articles at a time; 64 covers a batch)."""
    return Document(text)

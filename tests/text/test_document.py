"""The analysed document: one analysis per text, equal to computing each part on its own."""

from __future__ import annotations

from raqib.text.document import Document, document
from raqib.text.normalize import matching_form
from raqib.text.tokenize import tokenize, tokenize_for_ner

TEXT = "قُتل 12 مدنياً بغارة جوية على مدينة أريحا.\nوأصيب آخرون في الغارة ذاتها، بحسب الدفاع المدني."


def test_parts_equal_the_functions_they_replace() -> None:
    doc = Document(TEXT)
    assert doc.tokens == tokenize(TEXT)
    assert doc.forms == [matching_form(t.text) for t in tokenize(TEXT)]
    assert doc.sentences == tokenize_for_ner(TEXT)
    assert doc.sentence_forms == [[matching_form(t.text) for t in s] for s in tokenize_for_ner(TEXT)]


def test_the_same_text_gets_the_same_analysis() -> None:
    assert document(TEXT) is document(TEXT)
    assert document(TEXT) is not document(TEXT + " ")

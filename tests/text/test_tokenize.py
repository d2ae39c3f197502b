"""Tokenisation for the offline NER models: offsets into the original text, ANERcorp-style tokens."""

from __future__ import annotations

from raqib.text.tokenize import MAX_SENTENCE_TOKENS, sentence_spans, tokenize, tokenize_for_ner


def _texts(text: str) -> list[list[str]]:
    return [[t.text for t in s] for s in tokenize_for_ner(text)]


def test_offsets_point_into_original_text() -> None:
    text = "قصفت الطائرات مواقع في دير الزور، وقتل 5 عناصر."
    for sent in tokenize_for_ner(text):
        for tok in sent:
            assert text[tok.start : tok.end] == tok.text


def test_clitics_stay_attached_and_punctuation_is_split() -> None:
    text = "وصلت القوات بدير الزور، ولقسد «وجود» (قوي)."
    assert _texts(text) == [
        ["وصلت", "القوات", "بدير", "الزور", "،", "ولقسد", "«", "وجود", "»", "(", "قوي", ")", "."]
    ]


def test_numbers_are_kept_whole() -> None:
    toks = [t.text for t in tokenize("ارتفع العدد 6.3 بالمئة إلى 70% و1,500 قتيل و٣٫٥ مليون من ١٢٫٧")]
    assert "6.3" in toks
    assert "70%" in toks
    assert "و1,500" in toks
    assert "و٣٫٥" in toks
    assert "١٢٫٧" in toks


def test_diacritics_and_tatweel_removed_but_offsets_keep_them() -> None:
    text = "قالَ المتحدّثُ لـ«رويترز» إنّ الهجـوم فشل"
    toks = tokenize(text)
    assert [t.text for t in toks] == ["قال", "المتحدث", "ل", "«", "رويترز", "»", "إن", "الهجوم", "فشل"]
    by_text = {t.text: t for t in toks}
    assert text[by_text["المتحدث"].start : by_text["المتحدث"].end] == "المتحدّثُ"
    assert text[by_text["الهجوم"].start : by_text["الهجوم"].end] == "الهجـوم"
    assert text[by_text["ل"].start : by_text["ل"].end] == "لـ"


def test_invisible_marks_removed() -> None:
    text = "قوات\u200c النظام\u200f في\ufeff حلب"
    toks = tokenize(text)
    assert [t.text for t in toks] == ["قوات", "النظام", "في", "حلب"]
    assert text[toks[0].start : toks[0].end] == "قوات\u200c"


def test_sentence_breaks_after_terminal_punctuation_and_paragraphs() -> None:
    text = "قتل خمسة مدنيين. هل انتهى القصف؟ لا!\n\nعنوان بلا نقطة\nقال «انتهى الأمر.» ثم غادر"
    assert _texts(text) == [
        ["قتل", "خمسة", "مدنيين", "."],
        ["هل", "انتهى", "القصف", "؟"],
        ["لا", "!"],
        ["عنوان", "بلا", "نقطة"],
        ["قال", "«", "انتهى", "الأمر", ".", "»"],
        ["ثم", "غادر"],
    ]
    spans = sentence_spans(text)
    assert [text[s.start : s.end] for s in spans][:2] == ["قتل خمسة مدنيين.", "هل انتهى القصف؟"]


def test_long_sentences_are_cut() -> None:
    words = " ".join(["كلمة"] * 100 + ["،"] + ["كلمة"] * 100)
    sentences = tokenize_for_ner(words)
    assert all(len(s) <= MAX_SENTENCE_TOKENS for s in sentences)
    assert sum(len(s) for s in sentences) == 201
    assert sentences[0][-1].text == "،"  # cut after the clause mark, not mid-clause


def test_empty_text() -> None:
    assert tokenize_for_ner("") == []
    assert sentence_spans("   \n ") == []

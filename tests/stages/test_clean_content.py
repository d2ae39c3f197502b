"""Cleaning keeps content: noise inside a paragraph goes, the paragraph stays; poems, lists and hard-wrapped
text laid out in short lines are kept when they are the article; menus and teaser lists still go.

The texts are written for these tests in the shapes found in ../shared/data/news_corpus (see
``raqib eval clean``): a one-paragraph sports item with an image URL inside, a poll whose CSS and script
are glued to the last paragraph, a poem after "… وجاء فيها:", a list after "… وهم:".
"""

from __future__ import annotations

import re

import pytest

from raqib.contracts import CleanArticle, RawArticle
from raqib.stages.clean import clean_article
from raqib.stages.errors import EmptyText
from raqib.text.normalize import TATWEEL, strip_invisible

P1 = (
    "دمشق - وكالات: قصفت طائرات حربية مواقع في ريف إدلب الجنوبي صباح اليوم، ما أدى إلى مقتل "
    "ثلاثة مدنيين وإصابة خمسة آخرين بجروح، بحسب ما أفاد به الدفاع المدني السوري."
)
P2 = (
    "وقال مسؤول في المجلس المحلي إن القصف استهدف سوقاً شعبياً ومدرسة ابتدائية، مشيراً إلى أن "
    "فرق الإسعاف ما زالت تبحث عن مفقودين تحت الأنقاض."
)
P3 = (
    "وتشهد المنطقة تصعيداً عسكرياً منذ أسابيع، رغم اتفاق وقف إطلاق النار الذي توصلت إليه "
    "الأطراف الضامنة في آذار من العام الماضي."
)
POEM = [
    "على باب المدينة وقفت أنتظر",
    "والريح تحمل من صوتك الأثر",
    "يا صاحبي إن الليالي طويلة...",
    "والقلب من فرط الحنين انكسر",
    "سأبقى هنا حتى يعود المطر",
    "وتعود للدرب الحكايات والسهر",
]


def _clean(text: str, **kw: object) -> CleanArticle:
    return clean_article(RawArticle(text=text, **kw))  # type: ignore[arg-type]


def _comparable(text: str) -> str:
    return re.sub(r"\s+", " ", strip_invisible(text).replace(TATWEEL, ""))


def assert_segments_map_back(raw: str, clean: CleanArticle) -> None:
    """Every offset-map segment is the same text in the raw page (stripped noise only splits segments)."""
    assert clean.offset_map
    for seg in clean.offset_map:
        piece = clean.text[seg.clean_start : seg.clean_start + seg.length]
        assert _comparable(raw[seg.raw_start : seg.raw_start + seg.length]) == _comparable(piece)


def test_single_paragraph_with_an_image_url_keeps_its_text() -> None:
    before = "المنتخب يستعد للمباراة الحاسمة"
    after = (
        "أجرى المنتخب الوطني لكرة القدم حصة تدريبية مسائية على ملعب النادي في العاصمة استعداداً "
        "للمباراة المقبلة واكتفى المدرب بالتدريبات اللياقية"
    )
    url = "http://www.sport-example.com/sites/default/files/styles/114x72/public/2015/06/02/not%20yet-B60U8570.jpg?itok=usQnpLLK"
    raw = f"{before} {url} {after}"
    clean = _clean(raw)
    assert clean.text == f"{before} {after}"
    assert_segments_map_back(raw, clean)
    start = clean.text.index("أجرى")
    span = clean.raw_span(start, start + len("أجرى المنتخب"))
    assert span is not None and raw[span[0] : span[1]] == "أجرى المنتخب"


def test_image_file_name_inside_a_paragraph_is_taken_out() -> None:
    raw = f"{P1[:-1]} IMG_2231.jpg وأضاف أن الطائرات عادت وقصفت المنطقة ذاتها بعد ساعة من الغارة الأولى."
    text = _clean(raw).text
    assert "IMG_2231" not in text and "وأضاف أن الطائرات" in text and text.startswith("دمشق")


def test_paragraph_with_a_polls_css_and_script_glued_keeps_its_text() -> None:
    question = "ما رأيك في القرار الجديد؟ مؤيد معارض لا أعلم"
    code = (
        "#vote_area2 ul { padding: 0; margin: 0; } .box_vote { background: #FFFFFF; padding:18px; "
        "overflow: hidden; } .box_vote h4 { background:url(/css/img/h3.png) right no-repeat; } "
        "jQuery.noConflict(); jQuery(document).ready(function(){ jQuery('#vote_form2').submit(function() "
        "{ jQuery('#vote_area2').html('انتظر لحظات…'); return false; }); });"
    )
    raw = f"{P2} {code} {question}"
    clean = _clean(raw)
    assert clean.text == f"{P2} {question}"
    assert_segments_map_back(raw, clean)


def test_a_line_that_is_mostly_code_or_link_is_still_dropped() -> None:
    code_line = ".box_vote li { list-style: none; margin: 5px; padding: 0; } jQuery('#x').hide();"
    raw = "\n".join([P1, "اقرأ أيضاً: https://example.com/news/123", code_line, P2, P3])
    assert _clean(raw).text.split("\n\n") == [P1, P2, P3]


def test_a_url_that_a_sentence_names_stays_in_the_sentence() -> None:
    apply = (
        "ويمكن للراغبين التقديم عبر موقع الوزارة www.example.gov.sa قبل نهاية الشهر الجاري، "
        "بحسب ما أعلنته الوزارة اليوم."
    )
    assert _clean("\n".join([P1, apply, P2])).text.split("\n\n") == [P1, apply, P2]


def test_a_sentence_classified_as_a_link_line_is_rescued_without_its_urls() -> None:
    # few words between many URLs: a link line by shape, but a sentence once they are out
    line = (
        "وأعلنت الوزارة عبر حساباتها http://a.example.com/1 و http://b.example.com/2 و http://c.example.com/3 "
        "أن التسجيل يبدأ الأحد المقبل."
    )
    text = _clean("\n".join([P1, line, P2])).text
    assert "وأعلنت الوزارة عبر حساباتها و و أن التسجيل يبدأ الأحد المقبل." in text
    assert "http" not in text


def test_poem_introduced_by_a_colon_is_kept() -> None:
    intro = "وألقى الشاعر في الأمسية الثقافية التي أقامها النادي الأدبي مساء أمس قصيدة جديدة، وتقول كلماتها:"
    raw = "\n".join(["محمد الكاتب - جدة", intro, *POEM])
    paragraphs = _clean(raw).text.split("\n\n")
    assert paragraphs[paragraphs.index(intro) + 1 :] == POEM


def test_poem_that_is_the_whole_article_is_kept_with_its_signature() -> None:
    raw = "\n".join([POEM[0], POEM[1], "***", *POEM[2:], "- سالم الشاعر"])
    clean = _clean(raw, title="الانتظار")
    assert clean.text.split("\n\n") == [*POEM, "- سالم الشاعر"]  # the '***' separator has no letters


def test_short_comma_ended_lines_of_a_poem_are_kept() -> None:
    lines = ["صباح،", "يتدلى من ضحكة،", "ويأتي باسما،", "من بيت الجيران،", "فهات يدك،", "وامش معي."]
    assert _clean("\n".join(lines), title="صباح العيد").text.split("\n\n") == lines


def test_list_after_an_introducing_line_is_kept_latin_items_too() -> None:
    intro = "وأعلنت وزارة الداخلية أسماء الفائزين بجوائز الدورة الحالية من المسابقة، وهم:"
    items = [
        "1. الجندي عمر أحمد الحربي",
        "2. العريف سلطان محمد الشهري",
        "3. الرقيب مشعل علي العسيري",
        "4. The Godfather | Francis Ford Coppola (1971)",
    ]
    assert _clean("\n".join([P1, intro, *items])).text.split("\n\n") == [P1, intro, *items]


def test_hard_wrapped_short_article_is_kept_whole() -> None:
    lines = [
        "أعلنت قيادة القوات المشتركة في بيان لها اليوم استشهاد الرقيب ماجد بن فهد",
        "السبيعي من منسوبي الحرس الوطني بعد إصابته بمقذوف عسكري في قطاع نجران",
        "في قطاع نجران، داعية الله بأن يتغمده بواسع رحمته ويتقبله مع الشهداء،",
        "ويلهم أهله وذويه الصبر والسلوان، إنا لله وإنا إليه راجعون.",
    ]
    assert _clean("\n".join(lines)).text.split("\n\n") == lines


def test_a_sentence_quoting_a_name_between_slashes_is_not_a_breadcrumb() -> None:
    quoted = (
        "وأفادت إذاعة وتلفزيون / تي أر تي / التركية أن شخصين مجهولي الهوية فتحا النار صباح اليوم على "
        "مبنى القنصلية، وعلى الفور قام أفراد الشرطة بالرد عليهما بالمثل."
    )
    assert _clean("\n".join([P1, quoted, P2])).text.split("\n\n") == [P1, quoted, P2]
    crumbs = "الرئيسية / أخبار سوريا / مقتل ثلاثة مدنيين بقصف جوي على ريف إدلب"
    assert crumbs not in _clean("\n".join([crumbs, P1, P2])).text


def test_menus_and_teaser_lists_are_still_dropped() -> None:
    menu = ["الرئيسية", "أخبار", "رياضة", "اقتصاد", "اتصل بنا", "من نحن"]
    teasers = [
        "مقالات ذات صلة",
        "انفجار سيارة مفخخة في مدينة أعزاز بريف حلب الشمالي",
        "اشتباكات عنيفة بين فصائل المعارضة وقوات النظام في ريف حماة",
        "الأمم المتحدة تحذر من كارثة إنسانية في مخيمات الشمال السوري",
        "ارتفاع أسعار المحروقات في مناطق سيطرة النظام للمرة الثالثة",
    ]
    raw = "\n".join([*menu, P1, P2, P3, *teasers])
    assert _clean(raw).text.split("\n\n") == [P1, P2, P3]


def test_a_page_of_bare_links_is_still_empty() -> None:
    with pytest.raises(EmptyText):
        _clean("https://example.com/a\nhttps://example.com/b.jpg\nwww.example.com")

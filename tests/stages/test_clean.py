"""Clean stage (raqib.stages.clean): boilerplate by content, repeats, title, offset map, dates, errors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.contracts import CleanArticle, RawArticle
from raqib.stages.clean import clean_article
from raqib.stages.errors import EmptyText, TextTooLarge
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
TITLE = "مقتل ثلاثة مدنيين بقصف جوي على ريف إدلب الجنوبي"


def _raw(text: str, **kw: object) -> RawArticle:
    return RawArticle(text=text, **kw)  # type: ignore[arg-type]


def _comparable(text: str) -> str:
    """What the offset-map property compares: no invisibles or tatweel, whitespace runs as one space."""
    return re.sub(r"\s+", " ", strip_invisible(text).replace(TATWEEL, ""))


def assert_offset_map_property(raw: str, clean: CleanArticle) -> None:
    """Every clean span that does not cross a paragraph break maps back to the same raw text."""
    text = clean.text
    assert clean.offset_map, "offset map must not be empty"
    covered = sum(seg.length for seg in clean.offset_map)
    assert covered == len(text) - text.count("\n\n") * 2
    for seg in clean.offset_map:
        piece = text[seg.clean_start : seg.clean_start + seg.length]
        assert _comparable(raw[seg.raw_start : seg.raw_start + seg.length]) == _comparable(piece)
    for para in re.finditer(r"[^\n]+", text):
        words = list(re.finditer(r"\S+(?: \S+){0,4}", para.group()))
        for w in words:
            start, end = para.start() + w.start(), para.start() + w.end()
            span = clean.raw_span(start, end)
            assert span is not None
            assert _comparable(raw[span[0] : span[1]]) == _comparable(text[start:end])
        span = clean.raw_span(para.start(), para.end())
        assert span is not None
        assert _comparable(raw[span[0] : span[1]]) == _comparable(para.group())


def test_removes_boilerplate_by_content_and_keeps_article() -> None:
    raw = "\n".join(
        [
            "الأحد 12 يناير 2025",
            "24°C weather icon",
            "logo-icon",
            "الرئيسية / أخبار سوريا / " + TITLE,
            TITLE,
            "الرابط المختصر:",
            "https://example.com/?p=123",
            "",
            P1,
            "",
            P2,
            "",
            P3,
            "IMG_2231",
            "شارك الخبر",
            "Powered by Facebook Comments",
            "@syria_news",
            "مقالات ذات صلة",
            "انفجار سيارة مفخخة في مدينة أعزاز بريف حلب الشمالي",
            "أعلنت مصادر محلية عن انفجار سيارة مفخخة في مدينة أعزاز، ما أدى إلى سقوط ...",
            "زر الذهاب إلى الأعلى",
        ]
    )
    clean = clean_article(_raw(raw))
    paragraphs = clean.text.split("\n\n")
    assert paragraphs == [TITLE, P1, P2, P3]
    assert clean.title == TITLE
    assert clean.stats.duplicate_titles == 1
    assert clean.stats.boilerplate_lines == 13
    assert clean.stats.raw_chars == len(raw)
    assert clean.stats.clean_chars == len(clean.text)
    # The only date is a "today" bar beside the weather: not a publication date.
    assert clean.published_at is None
    assert [c.role for c in clean.candidate_dates] == ["banner"]
    assert_offset_map_property(raw, clean)


def test_dateline_and_short_real_sentences_are_kept() -> None:
    short = "وقتل طفلان في القصف."
    raw = "\n".join([P1, short, P2, "ميدانياً", P3])
    clean = clean_article(_raw(raw))
    assert clean.text.split("\n\n") == [P1, short, P2, "ميدانياً", P3]
    assert clean.text.startswith("دمشق - وكالات:")
    assert clean.stats.boilerplate_lines == 0


def test_english_menu_lines_on_arabic_page_are_removed_but_english_page_is_kept() -> None:
    raw = "\n".join(["Home", "comments", "Time", P1, "Share this article", P2])
    assert clean_article(_raw(raw)).text.split("\n\n") == [P1, P2]
    english = (
        "Heavy clashes broke out on Tuesday between government forces and rebel groups in the south of Idlib, "
        "killing at least five fighters, a war monitor said."
    )
    english2 = (
        "The monitor said the fighting was the heaviest in the area since the ceasefire of March last year."
    )
    page = "\n".join(["Home | World | Middle East", "Advertisement", english, english2, "Related articles"])
    assert clean_article(_raw(page)).text.split("\n\n") == [english, english2]


def test_repeated_paragraphs_and_titles_are_kept_once() -> None:
    near_p2 = P2.replace("الأنقاض.", "الأنقاض .").replace("وقال", "وقال ")  # spacing-only variant
    raw = "\n".join(
        [
            TITLE + " | Syria Monitor",
            "",
            TITLE,
            TITLE,
            P1,
            P2,
            P3,
            P1,
            near_p2,
            "وقال مسؤول في المجلس المحلي إن القصف استهدف سوقاً شعبياً ومدرسة ابتدائية، مشيراً إلى أن "
            "فرق الإسعاف ما زالت تبحث عن مفقودين تحت الانقاض",  # near-exact repeat (hamza, final stop)
            P3,
        ]
    )
    clean = clean_article(_raw(raw))
    assert clean.title == TITLE
    assert clean.text.split("\n\n") == [TITLE, P1, P2, P3]
    assert clean.stats.duplicate_titles == 2
    assert clean.stats.duplicate_paragraphs == 4
    assert_offset_map_property(raw, clean)


def test_producer_title_and_date_are_used() -> None:
    raw = "\n".join([TITLE, "الخميس 3 مارس 2022", P1, P2])
    produced = datetime(2022, 3, 4, 9, 0, tzinfo=UTC)
    clean = clean_article(_raw(raw, title="  " + TITLE + "\u200f", published_at=produced, source="test"))
    assert clean.title == TITLE
    assert clean.published_at == produced
    assert (clean.date_precision, clean.date_source) == ("day", "producer")
    assert clean.text.split("\n\n") == [TITLE, P1, P2]
    assert clean.source == "test"


def test_display_text_keeps_diacritics_drops_tatweel_and_invisibles() -> None:
    raw = "\ufeffقالَ المرصدُ  السوري\u200f إنّ الاشتبـــاكات\u00a0تجددت في ريف\u202b حلب\u202c الشمالي، ما أسفر عن مقتل أربعة عناصر."
    clean = clean_article(_raw(raw))
    assert (
        clean.text == "قالَ المرصدُ السوري إنّ الاشتباكات تجددت في ريف حلب الشمالي، ما أسفر عن مقتل أربعة عناصر."
    )
    assert_offset_map_property(raw, clean)
    start = clean.text.index("الاشتباكات")
    span = clean.raw_span(start, start + len("الاشتباكات"))
    assert span is not None and raw[span[0] : span[1]] == "الاشتبـــاكات"


def test_bare_headline_is_kept_when_there_is_nothing_else() -> None:
    raw = "انفجار يهز العاصمة دمشق صباح اليوم"
    clean = clean_article(_raw(raw))
    assert clean.text == raw


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\u200f\u200b\ufeff",
        "تعليق\ncomments\nPowered by Facebook Comments\nمقالات ذات صلة\n12/03/2020",
        "قتل 3.",
    ],
)
def test_empty_after_cleaning_raises_empty_text(text: str) -> None:
    with pytest.raises(EmptyText):
        clean_article(_raw(text))


def test_huge_text_raises_text_too_large() -> None:
    with pytest.raises(TextTooLarge):
        clean_article(_raw(P1 * 10_000))
    with pytest.raises(TextTooLarge):
        clean_article(_raw(P1), max_bytes=100)
    assert clean_article(_raw(P1), max_bytes=10_000).text == P1


def test_min_chars_is_configurable() -> None:
    sentence = "قتل ثلاثة مدنيين بقصف."
    assert clean_article(_raw(sentence)).text == sentence
    with pytest.raises(EmptyText):
        clean_article(_raw(sentence), min_chars=50)


def test_lone_surrogates_and_controls_never_reach_clean_text() -> None:
    raw = P1[:40] + "\ud83d\x00\x1b" + P1[40:]
    clean = clean_article(_raw(raw))
    assert clean.text == P1
    clean.text.encode("utf-8")  # would raise on a lone surrogate


_LINES = st.sampled_from(
    [P1, P2, P3, TITLE, "تعليق", "comments", "x", "", "   ", "DSC 0151", "12/03/2020", "\u200f"]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n", "\n\n", "\n\u00a0\n"]))
def test_offset_map_property_on_generated_pages(lines: list[str], sep: str) -> None:
    raw = sep.join(lines)
    try:
        clean = clean_article(_raw(raw))
    except EmptyText:
        assert not any(p in lines for p in (P1, P2, P3))
        return
    assert_offset_map_property(raw, clean)
    for p in (P1, P2, P3):
        assert (p in clean.text) == (p in lines)


# --- the five real scraped seed pages -------------------------------------------------------------


def _seed(seeds_dir: Path, prefix: str) -> tuple[str, CleanArticle]:
    raw = next(seeds_dir.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    return raw, clean_article(RawArticle(text=raw, ingested_at=datetime(2026, 1, 1, tzinfo=UTC)))


def test_seed_pages(seeds_dir: Path) -> None:
    print()
    for path in sorted(seeds_dir.glob("*.txt")):
        raw, clean = _seed(seeds_dir, path.name[:3])
        s = clean.stats
        print(
            f"{path.name}: chars {s.raw_chars} -> {s.clean_chars}, duplicate paragraphs {s.duplicate_paragraphs}, "
            f"duplicate titles {s.duplicate_titles}, boilerplate lines {s.boilerplate_lines}, "
            f"published {clean.published_at.date() if clean.published_at else None} "
            f"({clean.date_precision}, {clean.date_source}), title {clean.title!r}"
        )
        assert_offset_map_property(raw, clean)
        assert clean.text.strip() == clean.text
        for junk in ("تعليق\n", "comments", "Powered by", "مقالات ذات", "زر الذهاب", "DSC 0151", "logo-icon",
                     "weather", "Time", "آخر الأخبار", "الرابط المختصر", "قد يُعجبك", "الرئيسية", "\nx\n"):  # fmt: skip
            assert junk not in clean.text + "\n", (path.name, junk)


def test_seed_000_duplicated_half_is_removed(seeds_dir: Path) -> None:
    raw, clean = _seed(seeds_dir, "000")
    assert clean.stats.duplicate_paragraphs == 4
    assert len(clean.text.split("\n\n")) == 5
    assert clean.stats.clean_chars < 0.55 * clean.stats.raw_chars
    first_repeat = raw.index("وفي أحدث حصيلة")
    assert raw.index("وفي أحدث حصيلة", first_repeat + 1) > first_repeat
    assert clean.text.count("وفي أحدث حصيلة") == 1


def test_seed_001_title_date_and_repeats(seeds_dir: Path) -> None:
    _, clean = _seed(seeds_dir, "001")
    title = "20 قتيلاً من قوات النظام وتنظيم «الدولة» في معارك عنيفة في بادية دير الزور"
    assert clean.title == title
    assert clean.text.count(title) == 1 and "Palmyra Monitor" not in clean.text
    assert clean.stats.duplicate_titles == 2
    assert clean.published_at is not None and clean.published_at.date() == date(2020, 11, 28)
    assert (clean.date_precision, clean.date_source) == ("day", "page")
    roles = {c.value: c.role for c in clean.candidate_dates}
    assert roles == {date(2020, 11, 28): "publication", date(2019, 3, 24): "body"}
    assert clean.text.endswith("من جنسيات غير سورية.")


def test_seed_002_tail_and_caption_removed(seeds_dir: Path) -> None:
    _, clean = _seed(seeds_dir, "002")
    assert clean.title == "أمريكا تقتل مئة من ميليشيات الأسد بإحباط هجوم كبير شرق دير الزور"
    assert not clean.text.startswith("الشأن السوري")
    assert clean.text.endswith("يأسف لتلك الازدواجية”.")
    assert clean.published_at is None and clean.date_source == "none"


def test_seed_003_publication_date_not_banner(seeds_dir: Path) -> None:
    _, clean = _seed(seeds_dir, "003")
    assert clean.published_at is not None and clean.published_at.date() == date(2021, 6, 29)
    assert (clean.date_precision, clean.date_source) == ("day", "page")
    assert {c.value: c.role for c in clean.candidate_dates} == {
        date(2025, 12, 23): "banner",
        date(2021, 6, 29): "publication",
    }
    assert clean.title == "واشنطن وميليشيات إيران تصعِّدان وتتبادلان الهجمات في دير الزور"
    assert clean.text.split("\n\n")[1].startswith("دمشق - وكالات: قصفت")
    assert "تم نسخ الرابط" not in clean.text and "السياسة\n" not in clean.text


def test_seed_004_breadcrumb_title_and_teaser(seeds_dir: Path) -> None:
    _, clean = _seed(seeds_dir, "004")
    title = "حميميم تحشد لدعم الأسد شرق سوريا…..والأخير لن يسمح بمنطقة آمنة جنوبها"
    assert clean.title == title
    assert clean.text.count(title) == 1
    assert clean.stats.duplicate_titles == 1
    assert "الجيش التركي يعلن انتهائه" not in clean.text  # teaser under "قد يُعجبك أيضاً"
    assert "نزار قباني" not in clean.text
    assert clean.text.endswith("إنشاء منطقة آمنة جنوب شرق سوريا.")

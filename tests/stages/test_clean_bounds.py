"""Bounded cost in the clean stage: linear near-duplicate detection (same answer as every pair), caps, deadline."""

from __future__ import annotations

import random
import time

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.stages import clean
from raqib.stages.clean import _Block, _mark_duplicates, _shingles, clean_article
from raqib.stages.errors import DeadlineExceeded, TooComplex, article_deadline
from raqib.stages.ingest import decode_raw_article

WORDS = [
    "قتل",
    "أصيب",
    "مدنيين",
    "قصف",
    "مدفعي",
    "بلدة",
    "ريف",
    "إدلب",
    "حلب",
    "درعا",
    "حمص",
    "دمشق",
    "غارات",
    "الطيران",
    "الحربي",
    "قوات",
    "النظام",
]


def reference_duplicates(blocks: list[_Block]) -> list[bool]:
    """The former all-pairs check (quadratic), kept as the oracle for the prefix-filtered one."""
    seen: set[str] = set()
    previous: list[tuple[int, set]] = []
    out = []
    for block in blocks:
        key = block.key
        if key in seen:
            out.append(True)
            continue
        seen.add(key)
        n_words = len(key.split())
        dup = False
        if n_words >= 8:
            grams = _shingles(key)
            for length, other in previous:
                if 0.85 * length <= n_words <= 1.15 * length and len(grams & other) >= 0.9 * len(
                    grams | other
                ):
                    dup = True
                    break
            if not dup:
                previous.append((n_words, grams))
        out.append(dup)
    return out


def blocks_of(lines: list[str]) -> list[_Block]:
    return [_Block(0, 0, list(line), list(range(len(line))), kind="good") for line in lines]


@st.composite
def pages(draw) -> list[str]:
    """Paragraphs, many of them edited copies (a word changed, added or dropped) of earlier ones."""
    rnd = random.Random(draw(st.integers(0, 10**6)))
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 60))):
        if lines and rnd.random() < 0.5:
            words = rnd.choice(lines).split()
            for _ in range(rnd.randint(0, 3)):
                op = rnd.random()
                if op < 0.4 and words:
                    words[rnd.randrange(len(words))] = rnd.choice(WORDS)
                elif op < 0.7:
                    words.insert(rnd.randrange(len(words) + 1), rnd.choice(WORDS))
                elif len(words) > 1:
                    words.pop(rnd.randrange(len(words)))
        else:
            words = [rnd.choice(WORDS) for _ in range(rnd.randint(3, 30))]
        lines.append(" ".join(words))
    return lines


@settings(max_examples=300, deadline=None, database=None)
@given(pages())
def test_prefix_filtering_finds_exactly_what_all_pairs_finds(lines: list[str]) -> None:
    expected = reference_duplicates(blocks_of(lines))
    blocks = blocks_of(lines)
    count = _mark_duplicates(blocks)
    assert [b.drop == "duplicate" for b in blocks] == expected
    assert count == sum(expected)


def short_paragraph_page(count: int) -> str:
    rnd = random.Random(606)
    return "\n".join(
        " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 10))) + "." for _ in range(count)
    )


def test_the_8000_paragraph_page_cleans_in_linear_time() -> None:
    raw = decode_raw_article(orjson.dumps({"id": "p", "text": short_paragraph_page(8000)}))
    start = time.perf_counter()
    article = clean_article(raw, max_segments=10**6)
    seconds = time.perf_counter() - start
    print(f"\n8,000-paragraph page: {len(raw.text.encode())} bytes cleaned in {seconds:.2f}s")
    assert len(article.offset_map) == 8000  # nothing lost: every paragraph is distinct and kept
    # printed, not asserted as a speed: the 2 s target is measured by `raqib bench --big-pages`


def test_complexity_caps_and_the_deadline_send_the_page_to_the_dlq_with_a_reason() -> None:
    page = decode_raw_article(orjson.dumps({"id": "p", "text": short_paragraph_page(3000)}))
    with pytest.raises(TooComplex, match="3000 non-empty lines, over the 2000-paragraph cap"):
        clean_article(page, max_paragraphs=2000)
    with pytest.raises(TooComplex, match="3000 offset-map segments, over the 1000-segment cap") as caught:
        clean_article(page, max_segments=1000)
    assert caught.value.reason == "too_complex"
    with article_deadline(0.0), pytest.raises(DeadlineExceeded) as late:
        clean_article(page)
    assert late.value.reason == "deadline_exceeded"
    assert clean_article(page).stats.clean_chars > 0  # within the defaults it is cleaned


def test_near_duplicate_candidates_are_bounded_per_paragraph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clean, "_NEAR_DUP_MAX_CANDIDATES", 4)
    lines = [
        " ".join(["قصف", "مدفعي", "على", "بلدة", *[WORDS[(i + j) % len(WORDS)] for j in range(6)], str(i)])
        for i in range(200)
    ]
    blocks = blocks_of(lines)
    _mark_duplicates(blocks)  # terminates and keeps the distinct ones
    assert sum(b.drop is None for b in blocks) >= 1

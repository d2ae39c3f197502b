"""``raqib eval clean``: how much text cleaning takes away, over a corpus of real articles.

Cleaning is meant to drop boilerplate (menus, share bars, captions, teasers), never the article. A page
whose cleaned text keeps less than half of its characters is either mostly boilerplate or an article the
cleaner got wrong (a single paragraph with an image link dropped whole, a poem in short lines dropped as
"menu items"), so the count of such pages, and a sample of them to read, is the figure to watch.

Characters are counted without whitespace (a page's blank lines and indentation are not content); an
article the cleaner rejects (``EmptyText``) has lost everything.

    raqib eval clean                          # ../shared/data/news_corpus/saudinewsnet_nonheldout.jsonl.gz
    raqib eval clean FILE.jsonl[.gz] --sample 20 --json
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raqib.contracts import RawArticle
from raqib.stages.clean import clean_article
from raqib.stages.errors import StageError


@dataclass
class Loss:
    """One article's raw and kept character counts (whitespace excluded)."""

    article_id: str
    raw_chars: int
    kept_chars: int
    error: str | None = None

    @property
    def lost_share(self) -> float:
        return 1.0 - self.kept_chars / self.raw_chars if self.raw_chars else 0.0


@dataclass
class CleanLossReport:
    articles: int = 0
    over_threshold: list[Loss] = field(default_factory=list)
    rejected: int = 0
    raw_chars: int = 0
    kept_chars: int = 0
    seconds: float = 0.0
    threshold: float = 0.5

    def as_dict(self, sample: list[Loss]) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "threshold": self.threshold,
            "lose_more_than_threshold": len(self.over_threshold),
            "rejected_empty": self.rejected,
            "chars_kept_share": round(self.kept_chars / self.raw_chars, 4) if self.raw_chars else None,
            "seconds": round(self.seconds, 1),
            "sample": [
                {"id": s.article_id, "lost": round(s.lost_share, 3), "raw": s.raw_chars, "error": s.error}
                for s in sample
            ],
        }


def _visible(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def read_corpus(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL file (gzipped or not); a bad line names its number."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc


def measure(row: dict[str, Any]) -> Loss:
    """Clean one corpus row as the pipeline does (its title is the producer's title)."""
    raw = RawArticle(text=row.get("text") or "", title=row.get("title"), id=row.get("id"), url=row.get("url"))
    raw_chars = _visible(raw.text)
    try:
        clean = clean_article(raw)
    except StageError as exc:
        return Loss(str(row.get("id")), raw_chars, 0, error=exc.reason)
    return Loss(str(row.get("id")), raw_chars, min(raw_chars, _visible(clean.text)))


def evaluate(path: Path, threshold: float = 0.5, limit: int | None = None) -> CleanLossReport:
    from raqib.tools.progress import progress

    report = CleanLossReport(threshold=threshold)
    started = time.perf_counter()
    for n, row in enumerate(progress(read_corpus(path), total=limit, desc="cleaning")):
        if limit is not None and n >= limit:
            break
        loss = measure(row)
        report.articles += 1
        report.raw_chars += loss.raw_chars
        report.kept_chars += loss.kept_chars
        report.rejected += loss.error is not None
        if loss.lost_share > threshold:
            report.over_threshold.append(loss)
    report.seconds = time.perf_counter() - started
    return report


def _default_corpus() -> Path:
    from raqib.settings import Settings

    return Settings().shared_dir / "data" / "news_corpus" / "saudinewsnet_nonheldout.jsonl.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="raqib eval clean", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=None, help="JSONL[.gz] with title/text rows")
    parser.add_argument("--threshold", type=float, default=0.5, help="share of characters lost (default 0.5)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--sample", type=int, default=10, help="ids of N such articles, drawn with --seed")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    path = args.corpus or _default_corpus()
    if not path.is_file():
        print(f"corpus not found: {path}", file=sys.stderr)
        return 2
    report = evaluate(path, args.threshold, args.limit)
    pool = sorted(report.over_threshold, key=lambda loss: loss.article_id)
    sample = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    if args.json:
        print(json.dumps(report.as_dict(sample), ensure_ascii=False))
        return 0
    share = report.kept_chars / report.raw_chars if report.raw_chars else 0.0
    print(
        f"{report.articles:,} articles in {report.seconds:.1f} s: {len(report.over_threshold):,} lose more than "
        f"{report.threshold:.0%} of their characters ({report.rejected:,} rejected as empty); "
        f"{share:.1%} of all characters kept"
    )
    for loss in sample:
        print(
            f"  {loss.article_id}: lost {loss.lost_share:.0%} of {loss.raw_chars:,}"
            + (f" ({loss.error})" if loss.error else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

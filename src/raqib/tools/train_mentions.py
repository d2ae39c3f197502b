"""Training and cross-validating the mention model on hand-coded gold (``raqib models train-events --gold``).

Labels (see ``raqib.stages.mention_model``): for each mention the tagger finds in a gold article,

- 1 when its clause overlaps the evidence sentence of a current gold event of the same family;
- ignored when it does not, but a current gold event of the same family is compatible with it (dates
  within 2 days, governorates not contradicting) and shares its place or a side: another mention of a
  coded incident, which is neither required nor wrong;
- 0 otherwise (commentary, plans, tallies, background, incidents nobody coded).

Cross-validation is by article (5 folds): the model of fold k is fitted on the other folds' mentions and
scores fold k's mentions; the held-out articles' events are then assembled by the tagger exactly as the
pipeline does, and scored against the gold with ``raqib.tools.eval_gold``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from raqib.contracts.articles import EntityTaggedArticle
from raqib.stages.incidents import Mention
from raqib.stages.mention_model import MentionModel, fit
from raqib.text.normalize import matching_form
from raqib.tools.eval_gold import GoldRecord, actor_class, family, norm_admin1
from raqib.tools.paths import EVAL_DIR, shared_dir

_CLASS_KEYS = ("actor_id", "name")


def _norm(text: str) -> str:
    return " ".join(matching_form(text).split())


def _evidence_span(text_norm: str, evidence: str) -> tuple[int, int] | None:
    """Where a gold evidence sentence sits in the (normalised) clean text, by its first and last words."""
    ev = _norm(evidence)
    if not ev:
        return None
    for probe in (ev[:40], ev[:25], ev[-30:]):
        if len(probe) >= 12:
            at = text_norm.find(probe)
            if at >= 0:
                start = at if probe is not ev[-30:] else max(0, at + len(probe) - len(ev))
                return start, start + len(ev)
    return None


@dataclass
class LabelledArticle:
    article: EntityTaggedArticle
    mentions: list[Mention]
    labels: list[int | None]


def label_mentions(article: EntityTaggedArticle, mentions: list[Mention], gold: Sequence[GoldRecord]) -> list[int | None]:
    """1 / 0 / None (left out) for each mention, against this article's gold records (module docstring)."""
    text = article.article.text
    # offsets of the normalised text ≈ offsets of the clean text: normalise per clause instead of mapping
    current = [g for g in gold if g.current]
    spans: list[tuple[GoldRecord, tuple[int, int] | None]] = []
    text_norm = _norm(text)
    for g in current:
        spans.append((g, _evidence_span(text_norm, g.evidence)))
    out: list[int | None] = []
    for m in mentions:
        clause_norm = _norm(text[m.start : m.end])
        at = text_norm.find(clause_norm[:40]) if clause_norm else -1
        m_span = (at, at + len(clause_norm)) if at >= 0 else None
        label: int | None = 0
        for g, g_span in spans:
            if family(g.event_type) != m.family:
                continue
            if m_span is not None and g_span is not None and m_span[0] < g_span[1] and g_span[0] < m_span[1]:
                label = 1
                break
            if g_span is None and _words_overlap(clause_norm, _norm(g.evidence)):
                label = 1
                break
        if label == 0 and m.status == "current" and any(_corefers(m, g) for g in current):
            label = None
        out.append(label)
    return out


def _words_overlap(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and len(wa & wb) >= 0.6 * min(len(wa), len(wb))


def _corefers(m: Mention, g: GoldRecord) -> bool:
    """Could the mention be another mention of the gold incident (not its evidence)?"""
    if family(g.event_type) != m.family:
        return False
    if m.date_basis == "text" and g.event_date and abs((m.event_date - date.fromisoformat(g.event_date)).days) > 2:
        return False
    loc = m.location
    if loc is not None and g.admin1 and loc.admin1 and norm_admin1(loc.admin1) != norm_admin1(g.admin1):
        return False
    same_side = {actor_class(_ref(m.actor1)), actor_class(_ref(m.actor2))} - {None}
    gold_sides = {actor_class(g.actor1), actor_class(g.actor2)} - {None}
    same_place = bool(loc and g.location_ar and loc.surface and (loc.surface in g.location_ar or g.location_ar in loc.surface))
    return bool(same_side & gold_sides) or same_place


def _ref(ref: Any) -> dict[str, Any] | None:
    return None if ref is None else {k: getattr(ref, k) for k in _CLASS_KEYS}


def gold_by_article(gold: Sequence[GoldRecord]) -> dict[str, list[GoldRecord]]:
    out: dict[str, list[GoldRecord]] = {}
    for g in gold:
        out.setdefault(g.article_id, []).append(g)
    return out


def labelled(tagger: Any, articles: Sequence[EntityTaggedArticle], gold: Sequence[GoldRecord]) -> list[LabelledArticle]:
    """The tagger's mentions of every gold article, with their labels."""
    by_article = gold_by_article(gold)
    out = []
    for art in articles:
        mentions = tagger.mentions(art)
        out.append(LabelledArticle(art, mentions, label_mentions(art, mentions, by_article.get(art.article.article_id, []))))
    return out


def _training_rows(items: Sequence[LabelledArticle]) -> tuple[list[dict[str, float]], list[int]]:
    feats: list[dict[str, float]] = []
    labels: list[int] = []
    for it in items:
        for m, y in zip(it.mentions, it.labels, strict=True):
            if y is not None and m.status == "current":
                feats.append(m.features)
                labels.append(y)
    return feats, labels


def folds(items: Sequence[LabelledArticle], k: int, seed: int) -> list[list[int]]:
    """Article indices per fold (shuffled with ``seed``)."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def cross_validated_events(tagger: Any, items: Sequence[LabelledArticle], *, k: int = 5, seed: int = 0,
                           c: float = 1.0, threshold: float = 0.5,
                           extra: Sequence[LabelledArticle] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Events of every article, each assembled with the model fitted on the other folds (plus ``extra``,
    training articles that are never scored)."""
    import orjson

    from raqib.contracts import encode

    events: list[dict[str, Any]] = []
    for fold in folds(items, k, seed):
        held = set(fold)
        feats, labels = _training_rows([*(it for i, it in enumerate(items) if i not in held), *extra])
        model = fit(feats, labels, c=c, threshold=threshold)
        for i in fold:
            it = items[i]
            for ev in tagger.assemble(it.article, it.mentions, model=model):
                events.append(orjson.loads(encode(ev)))
    return events


def train(items: Sequence[LabelledArticle], *, c: float, threshold: float, version: str,
          trained_on: dict[str, Any]) -> MentionModel:  # fmt: skip
    feats, labels = _training_rows(items)
    return fit(feats, labels, c=c, threshold=threshold, version=version, trained_on=trained_on)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def gold_items(gold_path: Any, articles_path: Any = None, ner_cache: Any = None) -> tuple[list[GoldRecord], list[LabelledArticle], Any]:
    """Gold records, their articles through clean → langid → NER → link, labelled mentions, and the tagger."""
    from pathlib import Path

    from raqib.stages.tagging import EventTagger
    from raqib.tools.batch import linked_articles
    from raqib.tools.eval_events import gold_article_items, runtime_for_eval
    from raqib.tools.eval_gold import load_gold

    gold = load_gold(Path(gold_path))
    articles_path = Path(articles_path) if articles_path else shared_dir() / "data" / "news" / "saudinewsnet_syria_sample.jsonl"
    runtime = runtime_for_eval(Path(ner_cache) if ner_cache else None)
    articles = linked_articles(gold_article_items(gold, articles_path), runtime)
    tagger = EventTagger(runtime.catalogue, model=None)
    return gold, labelled(tagger, articles, gold), tagger


def search(tagger: Any, gold: Sequence[GoldRecord], items: Sequence[LabelledArticle], grid_c: Sequence[float],
           grid_t: Sequence[float], seeds: Sequence[int] = (0,),
           extra: Sequence[LabelledArticle] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Cross-validated headline figures for every (C, threshold) of the grids."""
    from raqib.tools.eval_gold import HEADLINE, score
    from raqib.tools.progress import progress as bar

    rows = []
    for c, t in bar([(c, t) for c in grid_c for t in grid_t], desc="cross-validating", unit="setting"):
        tp = n_pred = n_gold = 0
        for seed in seeds:
            rep = score(cross_validated_events(tagger, items, seed=seed, c=c, threshold=t, extra=extra),
                        list(gold)).report
            tp, n_pred, n_gold = tp + rep[HEADLINE]["tp"], n_pred + rep[HEADLINE]["pred"], n_gold + rep[HEADLINE]["gold"]
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        rows.append({"c": c, "threshold": t, "precision": round(p, 3), "recall": round(r, 3),
                     "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0})  # fmt: skip
    return rows


def extra_items(tagger: Any, runtime_cache: Any, gold_path: Any, articles_path: Any) -> list[LabelledArticle]:
    """Labelled mentions of an additional hand-coded training file (its articles from ``articles_path``)."""
    from pathlib import Path

    from raqib.tools.batch import linked_articles
    from raqib.tools.eval_events import gold_article_items, runtime_for_eval
    from raqib.tools.eval_gold import load_gold

    gold = load_gold(Path(gold_path))
    runtime = runtime_for_eval(Path(runtime_cache) if runtime_cache else None)
    articles = linked_articles(gold_article_items(gold, Path(articles_path)), runtime)
    return labelled(tagger, articles, gold)


EXTRA_GOLD = EVAL_DIR / "train_gold.jsonl"


def main(argv: list[str] | None = None) -> int:
    import argparse
    import hashlib
    from pathlib import Path

    from raqib.stages.mention_model import MODEL_PATH

    parser = argparse.ArgumentParser(prog="raqib models train-mentions", description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=None, help="gold JSONL (default ../shared/data/events-gold/news_gold_dev.jsonl)")
    parser.add_argument("--articles", default=None, help="articles JSONL (default: ../shared/data/news sample)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model JSON to write")
    parser.add_argument("--ner-cache", default=None, help="keep NER outputs in this folder between runs")
    parser.add_argument("--c", type=float, nargs="*", default=[0.1, 0.3, 1.0], help="regularisation grid")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.4, 0.5, 0.6, 0.7], help="threshold grid")
    parser.add_argument("--seeds", type=int, default=1, help="repeat the 5-fold split with N seeds")
    parser.add_argument("--extra", type=Path, default=EXTRA_GOLD,
                        help="more hand-coded training articles, never scored (default eval/train_gold.jsonl; '' for none)")
    parser.add_argument("--extra-articles", type=Path, default=None,
                        help="their articles (default ../shared/data/news_corpus/saudinewsnet_nonheldout.jsonl.gz)")
    args = parser.parse_args(argv)
    gold_path = Path(args.gold) if args.gold else shared_dir() / "data" / "events-gold" / "news_gold_dev.jsonl"
    gold, items, tagger = gold_items(gold_path, args.articles, args.ner_cache)
    extra: list[LabelledArticle] = []
    if str(args.extra) and args.extra.is_file():
        corpus = args.extra_articles or shared_dir() / "data" / "news_corpus" / "saudinewsnet_nonheldout.jsonl.gz"
        extra = extra_items(tagger, args.ner_cache, args.extra, corpus)
        progress(f"+ {len(extra)} training articles from {args.extra.name} ({sum(1 for it in extra for y in it.labels if y == 1)} positive mentions)")
    n_pos = sum(1 for it in items for y in it.labels if y == 1)
    n_neg = sum(1 for it in items for y in it.labels if y == 0)
    progress(f"{len(items)} articles, {sum(len(it.mentions) for it in items)} mentions ({n_pos} positive, "
             f"{n_neg} negative, the rest other mentions of coded incidents)")  # fmt: skip
    rows = search(tagger, gold, items, args.c, args.thresholds, seeds=range(args.seeds), extra=extra)
    for row in rows:
        progress(f"  C={row['c']:<5} threshold={row['threshold']:.2f}  cross-validated P {row['precision']:.3f} "
                 f"R {row['recall']:.3f} F1 {row['f1']:.3f}")  # fmt: skip
    best = max(rows, key=lambda r: (r["f1"], r["precision"]))
    digest = hashlib.sha256(gold_path.read_bytes()).hexdigest()[:16]
    model = train([*items, *extra], c=best["c"], threshold=best["threshold"], version=f"mentions-{digest[:8]}",
                  trained_on={"gold": gold_path.name, "gold_sha256": digest, "articles": len(items),
                              "extra": args.extra.name if extra else None, "extra_articles": len(extra),
                              "cross_validated": best})  # fmt: skip
    model.save(args.out)
    print(f"wrote {args.out}: C={best['c']} threshold={best['threshold']} — 5-fold cross-validated on "
          f"{gold_path.name}: P {best['precision']:.3f} R {best['recall']:.3f} F1 {best['f1']:.3f}; "
          f"{len(model.weights)} weights")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

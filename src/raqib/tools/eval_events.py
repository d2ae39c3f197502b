"""``raqib eval events``: score the event sentence classifier, and sanity-check the tagger on real news.

Scored task (``DIR``, default ../shared/data/events): for every *.jsonl file with the fields id,
event_type (ASSAULT|PROTEST), label, text — positive = label 'yes', negative = 'easy no'/'difficult no',
'ambiguous' left out — is this sentence an ASSAULT or a PROTEST?

Default: the learned classifier of ``raqib.tools.train_events`` (char n-grams + rule-tagger features + mean
word vectors → logistic regression), scored by stratified 5-fold cross-validation on these very files:
fitted on 4 folds, scored on the held-out fold, counts pooled — the printed figures are cross-validated.
``--rules``: the hand-written lexicon + rules of ``raqib.stages.tagging.detect`` alone (nothing fitted; the
sentence counts as ASSAULT when a Battles / Explosions-Remote violence / Violence-against-civilians event
is detected, PROTEST for Protests / Riots). The lexicon was written while reading this dev split, so
those are optimistic dev-set figures.

Without ``--json`` it also runs clean → catalogue linking (gazetteer/actor string matching, no Stanza,
for speed) → tag over ../shared/data/news/saudinewsnet_syria_sample.jsonl and prints the event-type
distribution and the number of articles with no event, and the false-positive rate on the
non-conflict texts in ``eval/nonconflict/`` (an article counts as a false positive when any
event is emitted for it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raqib.stages.tagging import classify_sentence
from raqib.tools.paths import EVAL_DIR, shared_dir

NONCONFLICT_DIR = EVAL_DIR / "nonconflict"
_ID_DATE = re.compile(r"_(\d{4})(\d{2})(\d{2})")
_TASK_FAMILY = {"ASSAULT": "violent", "PROTEST": "protest"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)



def anchor_year(item_id: str) -> int | None:
    """Publication year from a GSR id ('AAW_ARB_20081011.0036-10' → 2008), for 'historical' cues."""
    m = _ID_DATE.search(item_id)
    return int(m.group(1)) if m else None


_anchor_year = anchor_year


def load_labelled(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Scored items per task ('assault', 'protest', …) from every *.jsonl in ``folder``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            label = item.get("label")
            if label == "yes":
                item["gold"] = True
            elif label in ("easy no", "difficult no"):
                item["gold"] = False
            else:
                continue
            groups.setdefault(str(item["event_type"]).lower(), []).append(item)
    return groups


def score(items: list[dict[str, Any]], family: str) -> dict[str, Any]:
    """Precision / recall / F1 of 'the tagger emits a ``family`` event' against the gold labels."""
    tp = fp = fn = tn = 0
    errors: list[tuple[str, str]] = []
    for item in items:
        pred = family in classify_sentence(item["text"], anchor_year=_anchor_year(str(item.get("id", ""))))
        if pred and item["gold"]:
            tp += 1
        elif pred:
            fp += 1
            errors.append(("FP", item["text"]))
        elif item["gold"]:
            fn += 1
            errors.append(("FN", item["text"]))
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "n": len(items),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "_errors": errors,
    }


def evaluate(folder: Path) -> dict[str, dict[str, Any]]:
    """Rule-only scores per task found in ``folder`` (tasks other than ASSAULT/PROTEST scored as 'violent')."""
    out: dict[str, dict[str, Any]] = {}
    for task, items in load_labelled(folder).items():
        out[task] = score(items, _TASK_FAMILY.get(task.upper(), "violent"))
    return out


def evaluate_cv(
    folder: Path, pretrain: Path | None = None, *, k: int = 5, repeats: int = 1
) -> dict[str, dict[str, Any]]:
    """Cross-validated scores of the learned classifier per task in ``folder`` (see the module docstring).

    ``repeats`` > 1 reruns the k-fold split with seeds 0…repeats−1 and pools the counts (a steadier figure:
    with 28–90 positives one split moves F1 by ±0.03)."""
    from raqib.tools.train_events import PRETRAIN_NAME, cross_validate, labelled_features

    pretrain = pretrain or shared_dir() / PRETRAIN_NAME
    out: dict[str, dict[str, Any]] = {}
    for task, items in load_labelled(folder).items():
        feats, gold = labelled_features(items, pretrain)
        runs = [cross_validate(task, feats, gold, k=k, seed=seed) for seed in range(max(1, repeats))]
        s = _pool(runs) if len(runs) > 1 else runs[0]
        s["_errors"] = [
            ("FP" if p else "FN", it["text"])
            for it, p in zip(items, s.pop("pred"), strict=True)
            if p != it["gold"]
        ]
        out[task] = s
    return out


def _pool(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts summed over repeated CV runs → P/R/F1 of the pooled counts; errors from the first run."""
    tp, fp, fn, tn = (sum(r[k] for r in runs) for k in ("tp", "fp", "fn", "tn"))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "n": runs[0]["n"],
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "pred": runs[0]["pred"]}  # fmt: skip


def load_nonconflict(folder: Path = NONCONFLICT_DIR) -> list[str]:
    """The hand-written non-conflict articles: one per block (blank-line separated) in each .txt file."""
    texts: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        texts.extend(b.strip() for b in blocks if b.strip() and not b.lstrip().startswith("#"))
    return texts


def _pipeline() -> tuple[Any, Any]:
    """clean → catalogue linking → tagging, without Stanza (linking's own string matching finds entities)."""
    from raqib.settings import Settings
    from raqib.stages.linking import Catalogue
    from raqib.stages.tagging import EventTagger

    catalogue = Catalogue.load(Settings().resolved_gazetteer_path)
    return catalogue, EventTagger(catalogue)


def tag_texts(texts: list[dict[str, Any]]) -> list[list[Any]]:
    """Events per raw article dict (text, title, published_at, …) through the no-Stanza pipeline."""
    from raqib.contracts.articles import EntityTaggedArticle, LanguageInfo, RawArticle
    from raqib.stages.clean import clean_article
    from raqib.text.tokenize import sentence_spans

    catalogue, tagger = _pipeline()
    out: list[list[Any]] = []
    for item in texts:
        published = item.get("published_at")
        raw = RawArticle(
            id=item.get("id"),
            url=item.get("url"),
            source=item.get("source"),
            title=item.get("title"),
            text=item["text"],
            published_at=datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None,
        )
        clean = clean_article(raw)
        entities = catalogue.find_mentions(clean.text)
        tagged = EntityTaggedArticle(
            article=clean,
            language=LanguageInfo(lang="ar", script="Arab", confidence=1.0, method="assumed"),
            sentences=sentence_spans(clean.text),
            entities=entities,
            ner_model="none (catalogue only)",
        )
        out.append(tagger.tag(catalogue.link(tagged)))
    return out


def news_report(path: Path) -> dict[str, Any]:
    """Event-type distribution and no-event count over the real news sample."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = tag_texts(items)
    dist: Counter[str] = Counter()
    sub: Counter[str] = Counter()
    for events in results:
        for ev in events:
            dist[ev.event_type] += 1
            sub[f"{ev.event_type} / {ev.sub_event_type}"] += 1
    return {
        "articles": len(items),
        "events": sum(len(r) for r in results),
        "no_event_articles": sum(1 for r in results if not r),
        "event_types": dict(dist.most_common()),
        "sub_event_types": dict(sub.most_common()),
    }


def nonconflict_report(folder: Path = NONCONFLICT_DIR) -> dict[str, Any]:
    """False-positive articles among the hand-written non-conflict texts."""
    texts = load_nonconflict(folder)
    now = datetime(2024, 5, 1, tzinfo=UTC).isoformat()
    results = tag_texts([{"id": f"nc-{i}", "text": t, "published_at": now[:19]} for i, t in enumerate(texts)])
    fps = [
        (texts[i], [f"{e.event_type}/{e.sub_event_type}:{e.evidence.trigger}" for e in r])
        for i, r in enumerate(results)
        if r
    ]
    return {
        "articles": len(texts),
        "false_positive_articles": len(fps),
        "rate": round(len(fps) / len(texts), 4) if texts else 0.0,
        "_examples": fps,
    }


class CachedNer:
    """The NER stage with its outputs kept on disk by input, so repeated evaluation runs skip Stanza.

    The key is a hash of the encoded ``LanguageTaggedArticle`` and the model's name: any change to cleaning,
    language ID or the model misses the cache, so cached and fresh runs give the same entities.
    """

    def __init__(self, load_ner: Any, folder: Path):
        from raqib.settings import get_settings

        self._load_ner, self._ner, self.folder = load_ner, None, folder
        self.model_name = str(get_settings().resolved_ner_model_dir.resolve())
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def ner(self) -> Any:
        """The Stanza tagger, loaded only when an article is not in the cache."""
        if self._ner is None:
            self._ner = self._load_ner()
        return self._ner

    def _path(self, article: Any) -> Path:
        import hashlib

        from raqib.contracts import encode

        # the ingest time is not an input of NER (it differs on every run)
        fixed = article.model_copy(update={"article": article.article.model_copy(update={"ingested_at": _EPOCH})})
        digest = hashlib.sha256(encode(fixed) + self.model_name.encode()).hexdigest()[:32]
        return self.folder / f"{digest}.json"

    def tag_batch(self, articles: list[Any]) -> list[Any]:
        from raqib.contracts import EntityTaggedArticle, decode, encode

        paths = [self._path(a) for a in articles]
        missing = [i for i, p in enumerate(paths) if not p.exists()]
        if missing:
            for i, tagged in zip(missing, self.ner.tag_batch([articles[i] for i in missing]), strict=True):
                paths[i].write_bytes(encode(tagged))
        out = []
        for a, p in zip(articles, paths, strict=True):
            cached = decode(EntityTaggedArticle, p.read_bytes())
            out.append(cached.model_copy(update={"article": a.article, "language": a.language}))
        return out


def gold_article_items(gold: list[Any], articles_path: Path) -> list[tuple[str, bytes]]:
    """(key, raw value) of every article the gold codes, read from the articles file (in gold order)."""
    import gzip

    wanted = list(dict.fromkeys(g.article_id for g in gold))
    wanted_set = set(wanted)
    found: dict[str, bytes] = {}
    data = gzip.decompress(articles_path.read_bytes()) if articles_path.suffix == ".gz" else articles_path.read_bytes()
    for line in data.splitlines():
        if line.strip():
            item = json.loads(line)
            if item.get("id") in wanted_set:
                found[item["id"]] = line
    missing = [a for a in wanted if a not in found]
    if missing:
        raise SystemExit(f"{len(missing)} gold articles are not in {articles_path} (e.g. {missing[0]})")
    return [(a, found[a]) for a in wanted]


def runtime_for_eval(ner_cache: Path | None = None) -> Any:
    """The worker's stage objects; with ``ner_cache`` the NER stage keeps its outputs on disk."""
    from raqib.pipeline.runtime import StageRuntime
    from raqib.settings import get_settings

    runtime = StageRuntime(get_settings())
    if ner_cache is not None:
        runtime.__dict__["ner"] = CachedNer(lambda: StageRuntime.ner.func(runtime), ner_cache)
    return runtime


def pipeline_events(items: list[tuple[str, bytes]], ner_cache: Path | None = None) -> list[dict[str, Any]]:
    """The events the pipeline emits for these raw articles: the worker's stages (Stanza included) in
    batch mode, as raqib.events.v1 dicts."""
    import orjson

    from raqib.contracts import encode
    from raqib.tools.batch import run_batch

    runtime = runtime_for_eval(ner_cache)
    result = run_batch(iter(items), runtime)
    for dead in result.dead_letters:
        print(f"  DLQ {dead.key}: {dead.error_class}: {dead.message[:100]}", file=sys.stderr)
    return [orjson.loads(encode(e)) for e in result.events]


GENERAL_STREAM = EVAL_DIR / "general_stream.jsonl"


def general_main(args: argparse.Namespace) -> int:
    """``raqib eval events --general [FILE]``: false-alarm articles on hand-labelled non-conflict news."""
    import gzip

    from raqib.tools.eval_gold import family

    labels_path = Path(args.general) if args.general != "default" else GENERAL_STREAM
    labels = {row["id"]: row for row in (json.loads(x) for x in labels_path.read_text(encoding="utf-8").splitlines() if x.strip())}
    corpus = Path(args.articles) if args.articles else shared_dir() / "data" / "news_corpus" / "saudinewsnet_nonheldout.jsonl.gz"
    items: list[tuple[str, bytes]] = []
    with gzip.open(corpus, "rb") if corpus.suffix == ".gz" else corpus.open("rb") as fh:
        for line in fh:
            if line.strip() and json.loads(line).get("id") in labels:
                items.append((json.loads(line)["id"], line.strip()))
    missing = set(labels) - {k for k, _ in items}
    if missing:
        print(f"{len(missing)} labelled articles are not in {corpus}", file=sys.stderr)
        return 2
    events = pipeline_events(items, Path(args.ner_cache) if args.ner_cache else None)
    hit: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        if family(ev["event_type"]) != "strategic":
            hit.setdefault(ev["article_id"], []).append(ev)
    quiet = [a for a, row in labels.items() if not row["reports_incident"]]
    alarms = [a for a in quiet if a in hit]
    with_incident = [a for a, row in labels.items() if row["reports_incident"]]
    report = {
        "articles": len(labels),
        "no_incident_articles": len(quiet),
        "false_alarm_articles": len(alarms),
        "false_alarms_per_100": round(100 * len(alarms) / len(quiet), 2) if quiet else 0.0,
        "events_on_no_incident_articles": sum(len(hit[a]) for a in alarms),
        "incident_articles_with_event": sum(1 for a in with_incident if a in hit),
        "incident_articles": len(with_incident),
        "by_sample": {s: {"articles": sum(1 for r in labels.values() if r["sample"] == s and not r["reports_incident"]),
                          "false_alarms": sum(1 for a in alarms if labels[a]["sample"] == s)}
                      for s in sorted({r["sample"] for r in labels.values()})},
    }  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"General stream {labels_path.name}: {report['articles']} non-conflict articles read by hand, "
          f"{report['no_incident_articles']} report no incident")  # fmt: skip
    print(f"  false-alarm articles (a violent/protest event where there is none): {len(alarms)} "
          f"= {report['false_alarms_per_100']} per 100 ({report['events_on_no_incident_articles']} events)")  # fmt: skip
    for s, v in report["by_sample"].items():
        print(f"    {s:14s} {v['false_alarms']} of {v['articles']}")
    print(f"  articles that do mention an incident (old or passing) and got an event: "
          f"{report['incident_articles_with_event']} of {report['incident_articles']}")  # fmt: skip
    for a in alarms:
        for ev in hit[a]:
            print(f"    FALSE ALARM {a} [{labels[a]['topic']}] {ev['event_type']}/{ev['sub_event_type']} "
                  f"trigger={ev['evidence']['trigger']!r}: {ev['evidence']['sentence'][:140]}")
    return 0


def gold_main(args: argparse.Namespace) -> int:
    """``raqib eval events --gold [FILE]``: event-level figures of the pipeline against hand-coded gold."""
    from raqib.tools.eval_gold import HEADLINE, load_gold, score, side_by_side

    gold_path = Path(args.gold) if args.gold != "dev" else shared_dir() / "data" / "events-gold" / "news_gold_dev.jsonl"
    gold = load_gold(gold_path)
    if args.events:
        events = [json.loads(line) for line in Path(args.events).read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        articles = Path(args.articles) if args.articles else shared_dir() / "data" / "news" / "saudinewsnet_syria_sample.jsonl"
        events = pipeline_events(gold_article_items(gold, articles), Path(args.ner_cache) if args.ner_cache else None)
        if args.write_events:
            Path(args.write_events).write_bytes(b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events))
    scored = score(events, gold)
    if args.show:
        print(side_by_side(scored, gold, args.show))
        return 0
    rep = scored.report
    if args.json:
        print(json.dumps(rep))
        return 0
    head, strat, fields = rep[HEADLINE], rep["strategic"], rep["fields_on_pairs"]
    print(f"Events against {gold_path.name} ({len({g.article_id for g in gold})} articles)")
    print(f"  violent+protest  P {head['precision']:.3f}  R {head['recall']:.3f}  F1 {head['f1']:.3f}  "
          f"(tp {head['tp']}, predicted {head['pred']}, gold {head['gold']})")
    print(f"  strategic        P {strat['precision']:.3f}  R {strat['recall']:.3f}  F1 {strat['f1']:.3f}  "
          f"(tp {strat['tp']}, predicted {strat['pred']}, gold {strat['gold']})")
    print("  on paired events: " + "  ".join(f"{k} {v:.3f}" if v is not None else f"{k} -" for k, v in fields.items()))
    n_none, n_fp = rep["no_event_articles"], rep["no_event_articles_with_violent_or_protest_event"]
    print(f"  no-event articles with a violent/protest event: {n_fp} of {n_none}"
          f" ({n_fp / n_none:.1%})" if n_none else "  no-event articles: none in this gold")
    epa = rep["events_per_article"]
    print(f"  events per article: pipeline {epa['pipeline']}, gold {epa['gold']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="raqib eval events", description=__doc__.split("\n")[0])
    parser.add_argument("--gold", nargs="?", const="dev", default=None,
                        help="score events against hand-coded gold (default file: ../shared/data/events-gold/news_gold_dev.jsonl)")
    parser.add_argument("--articles", default=None, help="with --gold: the articles file (default: ../shared/data/news sample)")
    parser.add_argument("--events", default=None, help="with --gold: score this events JSONL instead of running the pipeline")
    parser.add_argument("--write-events", default=None, help="with --gold: also write the pipeline's events here")
    parser.add_argument("--show", default=None, metavar="ARTICLE_ID", help="with --gold: gold and predicted side by side")
    parser.add_argument("--ner-cache", default=None, help="with --gold/--general: keep NER outputs in this folder between runs")
    parser.add_argument("--general", nargs="?", const="default", default=None,
                        help="false-alarm articles on hand-labelled non-conflict news (default file: eval/general_stream.jsonl)")
    parser.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=None,
        help="folder of labelled *.jsonl (default ../shared/data/events)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with the scores only")
    parser.add_argument(
        "--errors", type=int, default=0, help="also print up to N misclassified sentences per task"
    )
    parser.add_argument(
        "--rules", action="store_true", help="score the hand-written rules alone (no learned model, no CV)"
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="repeat the 5-fold CV with N seeds, pooling counts"
    )
    args = parser.parse_args(argv)
    if args.gold is not None:
        return gold_main(args)
    if args.general is not None:
        return general_main(args)
    folder = args.dir or shared_dir() / "data" / "events"
    if not folder.is_dir():
        print(f"no such folder: {folder}", file=sys.stderr)
        return 2
    scores = evaluate(folder) if args.rules else evaluate_cv(folder, repeats=args.repeats)
    public = {task: {k: s[k] for k in ("precision", "recall", "f1", "n")} for task, s in scores.items()}
    if args.json:
        print(json.dumps(public))
        return 0
    if args.rules:
        print(
            f"Sentence classification on {folder}: hand-written rules only (dev-set figures, nothing fitted)"
        )
    else:
        print(
            f"Sentence classification on {folder}: learned classifier, stratified 5-fold cross-validated "
            f"× {max(1, args.repeats)} seed(s) (fit on 4 folds, score the held-out fold, counts pooled)"
        )
    for task, s in scores.items():
        print(
            f"  {task:8s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} n={s['n']} "
            f"(tp={s['tp']} fp={s['fp']} fn={s['fn']} tn={s['tn']})"
        )
        for kind, text in s["_errors"][: args.errors]:
            print(f"    {kind} {text[:160]}")
    news = shared_dir() / "data" / "news" / "saudinewsnet_syria_sample.jsonl"
    if news.is_file():
        rep = news_report(news)
        print(f"News sample {news.name}: {rep['articles']} articles, {rep['events']} events, "
              f"{rep['no_event_articles']} articles with no event")  # fmt: skip
        for etype, n in rep["event_types"].items():
            print(f"  {etype:30s} {n}")
        for st, n in rep["sub_event_types"].items():
            print(f"    {st:60s} {n}")
    nc = nonconflict_report()
    print(
        f"Non-conflict texts ({NONCONFLICT_DIR.name}/): {nc['false_positive_articles']} of {nc['articles']} "
        f"articles with an event (rate {nc['rate']:.3f})"
    )
    for text, evs in nc["_examples"][: max(args.errors, 5)]:
        print(f"    FP {evs} {text[:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

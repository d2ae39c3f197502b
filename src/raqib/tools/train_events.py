"""``raqib models train-events``: a sentence classifier P(ASSAULT) / P(PROTEST) learned from the shared GSR set.

Why: the hand-written lexicon finds event words well (ASSAULT recall 0.86) but cannot tell a concrete,
reported attack from commentary, history, trials, threats or statistics (precision 0.32). The gold
(``../shared/data/events``) is strict — 'yes' only when every annotator accepted — so the separating cues
are many small ones; a linear model learns their weights from the data instead of more rules.

Features of one sentence (all fixed, nothing fitted but the vocabulary, idf and the weights):
  * character n-grams (2–5, within words, of ``matching_form``), sublinear tf-idf, L2-normalised;
  * the rule tagger's view (``raqib.stages.tagging.detect``): per family its best confidence and evidence,
    surviving and suppressed trigger ids, context notes (negated, intent, generic, historical, cumulative…);
  * the mean of the Stanza Arabic word vectors (``ar_news_ft100.pretrain.pt``), L2-normalised, × 2.
Model: L2 logistic regression (liblinear, C=10, balanced class weights), threshold 0.5.

Honest scoring: ``cross_validate`` fits on k−1 stratified folds and scores the held-out fold (vocabulary,
idf and weights are fitted inside the training folds only). ``main`` fits on all labelled sentences and
writes a small JSON model (vocabularies, idf, weights) to ``--out`` (default ``var/models/events.json``,
outside git); ``SentenceEventModel.load`` reads it back for the tagger without scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from raqib.settings import REPO_ROOT
from raqib.stages.lexicon import load_lexicon
from raqib.stages.tagging import EXTRACTOR_VERSION, detect
from raqib.text.normalize import matching_form
from raqib.text.words import words
from raqib.tools.paths import shared_dir

DEFAULT_MODEL_PATH = REPO_ROOT / "var" / "models" / "events.json"
PRETRAIN_NAME = Path("models") / "stanza-ar-ner-news" / "ar_news_ft100.pretrain.pt"
TASK_FAMILY = {"assault": "violent", "protest": "protest"}
NGRAMS = (2, 5)
MIN_DF = 2
C = 10.0
EMB_WEIGHT = 2.0
THRESHOLD = 0.5
_STRIP = ".,،«»()\"'؛:!؟?-—…[]"



# ---------------------------------------------------------------- features


def char_ngrams(text: str) -> Counter[str]:
    """Character n-grams inside space-padded words of the matching form (sklearn's 'char_wb')."""
    grams: Counter[str] = Counter()
    lo, hi = NGRAMS
    for w in matching_form(text).split():
        padded = f" {w} "
        for n in range(lo, hi + 1):
            if n > len(padded):
                break
            for i in range(len(padded) - n + 1):
                grams[padded[i : i + n]] += 1
    return grams


def rule_features(text: str, anchor_year: int | None = None) -> dict[str, float]:
    """The rule tagger's reading of the sentence, as named numeric features."""
    lex = load_lexicon()
    feats: dict[str, float] = {}
    for d in detect(text, anchor_year=anchor_year, lexicon=lex):
        fam = d.family
        feats[f"conf:{fam}"] = max(feats.get(f"conf:{fam}", 0.0), d.confidence)
        feats[f"evid:{fam}"] = max(feats.get(f"evid:{fam}", -5.0), float(d.evidence))
        feats[f"trig:{d.trigger.spec.id}"] = 1.0
        for note in d.notes:
            feats[f"note:{note.rsplit(':', 1)[-1]}"] = 1.0
        if d.casualties:
            feats["casualties"] = 1.0
    for m in lex.find(text, words(text)):
        feats[f"any:{m.spec.id}"] = 1.0
    return feats


@lru_cache(maxsize=2)
def _pretrain(path: str) -> tuple[dict[str, int], np.ndarray]:
    """Word → row and the vector table of a Stanza pretrain file (loaded once)."""
    from stanza.models.common.pretrain import Pretrain

    pt = Pretrain(path)
    table = np.asarray(pt.emb, dtype=np.float32)
    vocab = pt.vocab
    index = {w: i for i, w in enumerate(vocab._id2unit)} if hasattr(vocab, "_id2unit") else {}
    if not index:
        index = {vocab.id2unit(i): i for i in range(len(vocab))}
    return {w: i for w, i in index.items() if i > 3}, table  # rows 0–3 are PAD/UNK/… markers


def embedding(text: str, pretrain_path: Path) -> np.ndarray:
    """L2-normalised mean word vector of the sentence (zeros when no word is known)."""
    index, table = _pretrain(str(pretrain_path))
    rows = [index[w] for w in (t.strip(_STRIP) for t in text.split()) if w in index]
    if not rows:
        return np.zeros(table.shape[1], dtype=np.float32)
    v = table[rows].mean(axis=0)
    return v / (float(np.linalg.norm(v)) + 1e-9)


@dataclass
class SentenceFeatures:
    """Everything the model reads from one sentence, computed once."""

    grams: Counter[str]
    rules: dict[str, float]
    emb: np.ndarray


def featurize(text: str, anchor_year: int | None, pretrain_path: Path) -> SentenceFeatures:
    return SentenceFeatures(
        char_ngrams(text), rule_features(text, anchor_year), embedding(text, pretrain_path)
    )


# ---------------------------------------------------------------- the model


@dataclass
class SentenceEventModel:
    """Fitted vocabularies, idf and logistic-regression weights for one task."""

    task: str
    gram_index: dict[str, int]
    idf: np.ndarray
    rule_index: dict[str, int]
    coef: np.ndarray
    intercept: float
    threshold: float = THRESHOLD

    @property
    def family(self) -> str:
        return TASK_FAMILY.get(self.task, "violent")

    def _vector(self, f: SentenceFeatures) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values) of the sentence's sparse feature vector in this model's column space."""
        idx: list[int] = []
        val: list[float] = []
        for g, n in f.grams.items():
            j = self.gram_index.get(g)
            if j is not None:
                idx.append(j)
                val.append((1.0 + math.log(n)) * float(self.idf[j]))
        norm = math.sqrt(sum(v * v for v in val)) or 1.0
        val = [v / norm for v in val]
        base = len(self.gram_index)
        for k, v in f.rules.items():
            j = self.rule_index.get(k)
            if j is not None:
                idx.append(base + j)
                val.append(v)
        base += len(self.rule_index)
        idx.extend(range(base, base + len(f.emb)))
        val.extend((EMB_WEIGHT * f.emb).tolist())
        return np.asarray(idx, dtype=np.int64), np.asarray(val, dtype=np.float64)

    def proba(self, f: SentenceFeatures) -> float:
        idx, val = self._vector(f)
        z = float(self.coef[idx] @ val) + self.intercept
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "grams": sorted(self.gram_index, key=self.gram_index.__getitem__),
            "idf": [round(float(x), 5) for x in self.idf],
            "rules": sorted(self.rule_index, key=self.rule_index.__getitem__),
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": float(self.intercept),
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SentenceEventModel:
        return cls(
            task=d["task"],
            gram_index={g: i for i, g in enumerate(d["grams"])},
            idf=np.asarray(d["idf"], dtype=np.float64),
            rule_index={r: i for i, r in enumerate(d["rules"])},
            coef=np.asarray(d["coef"], dtype=np.float64),
            intercept=float(d["intercept"]),
            threshold=float(d.get("threshold", THRESHOLD)),
        )


def _matrix(model: SentenceEventModel, feats: list[SentenceFeatures]) -> Any:
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for r, f in enumerate(feats):
        idx, val = model._vector(f)
        rows.extend([r] * len(idx))
        cols.extend(idx.tolist())
        vals.extend(val.tolist())
    width = len(model.gram_index) + len(model.rule_index) + (len(feats[0].emb) if feats else 0)
    return csr_matrix((vals, (rows, cols)), shape=(len(feats), width))


def fit(task: str, feats: list[SentenceFeatures], gold: list[bool]) -> SentenceEventModel:
    """Vocabulary (n-grams in ≥ MIN_DF training sentences), smooth idf and LR weights from these sentences."""
    from sklearn.linear_model import LogisticRegression

    df: Counter[str] = Counter()
    for f in feats:
        df.update(f.grams.keys())
    grams = sorted(g for g, n in df.items() if n >= MIN_DF)
    n_docs = len(feats)
    idf = np.asarray([math.log((1 + n_docs) / (1 + df[g])) + 1.0 for g in grams])
    rules = sorted({k for f in feats for k in f.rules})
    model = SentenceEventModel(
        task=task,
        gram_index={g: i for i, g in enumerate(grams)},
        idf=idf,
        rule_index={r: i for i, r in enumerate(rules)},
        coef=np.zeros(0),
        intercept=0.0,
    )
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear")
    clf.fit(_matrix(model, feats), np.asarray(gold, dtype=bool))
    model.coef = np.asarray(clf.coef_[0], dtype=np.float64)
    model.intercept = float(clf.intercept_[0])
    return model


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def cross_validate(
    task: str, feats: list[SentenceFeatures], gold: list[bool], *, k: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Stratified k-fold: fit on k−1 folds, score the held-out fold, pool the counts over folds."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(gold, dtype=bool)
    pred = np.zeros(len(y), dtype=bool)
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for tr, te in folds.split(np.zeros(len(y)), y):
        model = fit(task, [feats[i] for i in tr], [bool(y[i]) for i in tr])
        pred[te] = [model.proba(feats[i]) >= model.threshold for i in te]
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    p, r, f1 = _prf(tp, fp, fn)
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "n": len(y),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": int((~pred & ~y).sum()),
        "pred": pred.tolist(),
    }


def labelled_features(
    items: list[dict[str, Any]], pretrain_path: Path
) -> tuple[list[SentenceFeatures], list[bool]]:
    from raqib.tools.eval_events import anchor_year
    from raqib.tools.progress import progress

    feats = [
        featurize(it["text"], anchor_year(str(it.get("id", ""))), pretrain_path)
        for it in progress(items, desc="sentence features", unit="sentence")
    ]
    return feats, [bool(it["gold"]) for it in items]


# ---------------------------------------------------------------- runtime use


@lru_cache(maxsize=4)
def load_models(path: str) -> dict[str, SentenceEventModel]:
    """Task → model from a file written by ``main`` (cached: load once per process)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {task: SentenceEventModel.from_json(d) for task, d in data["models"].items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="raqib models train-events", description=__doc__.split("\n")[0])
    parser.add_argument(
        "dir", nargs="?", type=Path, default=None, help="labelled *.jsonl (default ../shared/data/events)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="model JSON to write")
    parser.add_argument("--pretrain", type=Path, default=None, help="Stanza pretrain (.pt) for word vectors")
    parser.add_argument("--cv", action="store_true", help="also print 5-fold cross-validated scores")
    args = parser.parse_args(argv)
    from raqib.tools.eval_events import load_labelled

    shared = shared_dir()
    folder = args.dir or shared / "data" / "events"
    pretrain = args.pretrain or shared / PRETRAIN_NAME
    if not folder.is_dir() or not pretrain.is_file():
        print(f"missing data: {folder} or {pretrain}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    models: dict[str, Any] = {}
    for task, items in load_labelled(folder).items():
        feats, gold = labelled_features(items, pretrain)
        if args.cv:
            s = cross_validate(task, feats, gold)
            print(f"  {task:8s} 5-fold cross-validated P={s['precision']:.4f} R={s['recall']:.4f} "
                  f"F1={s['f1']:.4f} n={s['n']}")  # fmt: skip
        models[task] = fit(task, feats, gold).to_json()
        print(f"  {task:8s} fitted on {len(gold)} sentences ({sum(gold)} positive), "
              f"{len(models[task]['grams'])} n-grams, {len(models[task]['rules'])} rule features")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": 1,
        "extractor_version": EXTRACTOR_VERSION,
        "pretrain": pretrain.name,
        "models": models,
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.1f} MB) in {time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``raqib models expand-ner-vocab``: give a trained Stanza NER model word vectors for words it never saw.

Why: the shipped news model's pretrain holds 60,000 words, so a quarter of the entity tokens in the
ANERcorp test split (864 of 3,364; mostly names) reach the BiLSTM as ``<UNK>``. Retraining the tagger is
slow on CPU; *vocabulary expansion* is not: the model's frozen base embedding is just a lookup table, so
new rows can be added as long as they live in the same vector space.

How (all from ``../shared``, no network):
  1. tokenise the news corpus (``data/news_corpus``) plus the ANERcorp train+dev text exactly as the NER
     stage does (``raqib.text.tokenize.tokenize_for_ner``; the test split is never read);
  2. train FastText on it with the hyperparameters of the shipped vectors (skip-gram, 100 dims, window 5,
     min_count 3, 5 epochs, char n-grams 3–5);
  3. map the new space onto the model's: orthogonal Procrustes with one scale factor, fitted on the words
     both vocabularies share (the fit's mean cosine is reported);
  4. append every corpus word the pretrain lacks (most frequent first, FastText's subword vectors for rare
     ones) to the pretrain and to the model's ``word`` vocabulary. The original 60,004 rows and ids are
     untouched, so every known word is tagged exactly as before;
  5. score the result on the ANERcorp test split (``raqib.tools.eval_ner``) unless ``--no-eval``.

The output folder (model + expanded pretrain + ``expansion.json``) loads like any other model:
``RAQIB_NER_MODEL_DIR=var/models/stanza-ar-ner-news-xv``. It is ~150 MB, so it stays out of git.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from raqib.text.tokenize import tokenize_for_ner
from raqib.tools.paths import shared_dir

#: The hyperparameters of ``ar_news_ft100.pretrain.pt`` (see its README in ../shared/models).
FASTTEXT_PARAMS: dict[str, Any] = {
    "vector_size": 100,
    "window": 5,
    "min_count": 3,
    "sg": 1,
    "epochs": 5,
    "min_n": 3,
    "max_n": 5,
    "bucket": 1_000_000,
    "sample": 1e-4,
}
#: Stanza vocabularies start with <PAD>, <UNK>, <EMPTY>, <ROOT>.
N_SPECIAL = 4



def corpus_sentences(corpus: Path, ner_splits: Iterable[Path], limit: int | None = None) -> list[list[str]]:
    """Token lists: every article (title + text) of the gzipped JSONL corpus, then the NER splits' text."""
    sentences: list[list[str]] = []
    from raqib.tools.progress import progress

    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(progress(handle, total=limit, desc="tokenising the corpus")):
            if limit is not None and n >= limit:
                break
            doc = json.loads(line)
            text = f"{doc.get('title') or ''}\n{doc.get('text') or ''}"
            sentences.extend([t.text for t in sent] for sent in tokenize_for_ner(text))
    for split in ner_splits:
        for sent in json.loads(split.read_text(encoding="utf-8")):
            sentences.append([tok["text"] for tok in sent])
    return sentences


def fit_alignment(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """``W`` (orthogonal × one scale) minimising ‖source·W − target‖; returns W and the mean cosine of the fit.

    Orthogonal Procrustes keeps the geometry of the new space (distances between words) and only rotates
    and scales it, so words absent from ``target`` land where their neighbours' counterparts are.
    """
    u, s, vt = np.linalg.svd(source.T @ target)
    rotation = u @ vt
    scale = float(s.sum() / (source**2).sum())
    weights = rotation * scale
    mapped = source @ weights
    cos = (mapped * target).sum(1) / (np.linalg.norm(mapped, axis=1) * np.linalg.norm(target, axis=1) + 1e-12)
    return weights.astype(np.float32), float(cos.mean())


def expand_vocab_state(state: dict[str, Any], new_words: list[str]) -> dict[str, Any]:
    """A copy of a Stanza vocab ``state_dict`` with ``new_words`` appended (existing ids unchanged)."""
    known = set(state["_id2unit"])
    added = [w for w in dict.fromkeys(new_words) if w not in known]
    out = copy.deepcopy(state)
    out["_id2unit"] = list(state["_id2unit"]) + added
    out["_unit2id"] = {w: i for i, w in enumerate(out["_id2unit"])}
    return out


def new_words_by_frequency(sentences: Iterable[list[str]], known: set[str], max_words: int) -> list[str]:
    """Corpus words missing from ``known``, most frequent first (ties: first seen), at most ``max_words``."""
    counts: Counter[str] = Counter(tok for sent in sentences for tok in sent)
    return [w for w, _ in counts.most_common() if w not in known][:max_words]


def _iter_chunks(words: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(words), size):
        yield words[i : i + size]


def _epoch_progress(epochs: int) -> Any:
    """A gensim callback advancing a progress bar once per FastText epoch."""
    from gensim.models.callbacks import CallbackAny2Vec

    from raqib.tools.progress import progress

    class EpochProgress(CallbackAny2Vec):
        def __init__(self) -> None:
            self.bar = progress(total=epochs, desc="FastText epochs", unit="epoch")

        def on_epoch_end(self, model: Any) -> None:
            self.bar.update(1)

        def on_train_end(self, model: Any) -> None:
            self.bar.close()

    return EpochProgress()


def expand(
    model_dir: Path,
    out_dir: Path,
    sentences: list[list[str]],
    max_new_words: int,
    workers: int = 2,
    seed: int = 1,
    log: Any = print,
) -> dict[str, Any]:
    """Train FastText on ``sentences``, align it to the model's pretrain, write the expanded model folder."""
    import logging

    import torch
    from gensim.models import FastText

    logging.getLogger("gensim").setLevel(logging.WARNING)

    from raqib.stages.ner import _find_one

    started = time.perf_counter()
    model_path = _find_one(model_dir, "*nertagger.pt", "NER model")
    pretrain_path = _find_one(model_dir, "*pretrain.pt", "pretrain")
    pretrain = torch.load(pretrain_path, map_location="cpu", weights_only=True)
    vocab_state, emb = pretrain["vocab"], pretrain["emb"].numpy()
    old_words: list[str] = list(vocab_state["_id2unit"])

    log(f"FastText on {len(sentences):,} sentences, {sum(map(len, sentences)):,} tokens …")
    ft = FastText(**FASTTEXT_PARAMS, workers=workers, seed=seed)
    ft.build_vocab(corpus_iterable=sentences)
    ft.train(
        corpus_iterable=sentences,
        total_examples=len(sentences),
        epochs=FASTTEXT_PARAMS["epochs"],
        callbacks=[_epoch_progress(FASTTEXT_PARAMS["epochs"])],
    )
    trained_s = time.perf_counter() - started

    anchors = old_words[N_SPECIAL:]
    weights, fit_cos = fit_alignment(np.stack([ft.wv[w] for w in anchors]), emb[N_SPECIAL:])
    new_words = new_words_by_frequency(sentences, set(old_words), max_new_words)
    blocks = [emb] + [
        np.stack([ft.wv[w] for w in chunk]) @ weights for chunk in _iter_chunks(new_words, 20_000)
    ]
    expanded = np.concatenate(blocks).astype(np.float32)
    new_state = expand_vocab_state(vocab_state, new_words)
    assert expanded.shape[0] == len(new_state["_id2unit"])

    out_dir.mkdir(parents=True, exist_ok=True)
    new_pretrain = out_dir / (pretrain_path.name.replace(".pretrain.pt", "") + "_xv.pretrain.pt")
    torch.save({"vocab": new_state, "emb": torch.from_numpy(expanded)}, new_pretrain)
    checkpoint = torch.load(model_path, map_location="cpu", weights_only=True)
    checkpoint["vocab"]["word"]["_id2unit"] = new_state["_id2unit"]
    checkpoint["vocab"]["word"]["_unit2id"] = new_state["_unit2id"]
    torch.save(checkpoint, out_dir / model_path.name)
    manifest = {
        "base_model": str(model_path),
        "base_pretrain": str(pretrain_path),
        "base_words": len(old_words),
        "added_words": len(new_words),
        "total_words": len(new_state["_id2unit"]),
        "alignment_mean_cosine": round(fit_cos, 4),
        "fasttext": {**FASTTEXT_PARAMS, "workers": workers, "seed": seed, "vocabulary": len(ft.wv)},
        "corpus_sentences": len(sentences),
        "corpus_tokens": sum(map(len, sentences)),
        "fasttext_seconds": round(trained_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "expansion.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    log(
        f"added {len(new_words):,} words (alignment cos {fit_cos:.3f}) → {out_dir} "
        f"in {manifest['seconds']:.0f}s"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``raqib models expand-ner-vocab`` (also ``python -m raqib.tools.expand_ner_vocab``)."""
    shared = shared_dir()
    splits = shared / "data" / "ner" / "anercorp" / "splits"
    parser = argparse.ArgumentParser(
        prog="raqib models expand-ner-vocab", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model-dir", type=Path, default=shared / "models" / "stanza-ar-ner-news")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=shared / "data" / "news_corpus" / "saudinewsnet_nonheldout.jsonl.gz",
    )
    parser.add_argument("--out", type=Path, default=Path("var/models/stanza-ar-ner-news-xv"))
    parser.add_argument("--max-new-words", type=int, default=250_000)
    parser.add_argument("--articles", type=int, default=None, help="use only the first N corpus articles")
    parser.add_argument("--workers", type=int, default=2, help="FastText threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-eval", action="store_true", help="skip scoring on the ANERcorp test split")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    sentences = corpus_sentences(
        args.corpus, [splits / "ar_anercorp.train.json", splits / "ar_anercorp.dev.json"], args.articles
    )
    manifest = expand(args.model_dir, args.out, sentences, args.max_new_words, args.workers, args.seed, log)
    if not args.no_eval:
        from raqib.stages.linking import Catalogue
        from raqib.stages.ner import NerTagger
        from raqib.tools.eval_ner import evaluate

        catalogue = Catalogue.load(shared / "data" / "gazetteer" / "syria_admin_gazetteer.jsonl")
        scores: dict[str, Any] = {}
        for name, folder in (("base", args.model_dir), ("expanded", args.out)):
            tagger = NerTagger(folder)
            results = evaluate(tagger, splits / "ar_anercorp.test.json", catalogue)
            scores[name] = {
                k: results[k].as_dict() for k in ("raw", "pipeline+propagation+link") if k in results
            }
        manifest["test_scores"] = scores
        (args.out / "expansion.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, variants in scores.items():
            for variant, s in variants.items():
                log(f"{name:9} {variant:28} F1 {s['f1']:.2f}  P {s['precision']:.2f}  R {s['recall']:.2f}")
    if args.json:
        print(json.dumps(manifest, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "corpus_sentences",
    "expand",
    "expand_vocab_state",
    "fit_alignment",
    "main",
    "new_words_by_frequency",
]

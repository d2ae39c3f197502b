"""``raqib eval ner``: entity-level P/R/F1 on the ANERcorp test split, raw model vs. pipeline.

Scoring follows Stanza's own (``stanza.models.ner.scorer.score_by_entity``): gold BIO tags are
converted to BIOES as Stanza's data loader does, an entity is (sentence, first token, last token, type)
and only exact span + type matches count. The raw-model figure therefore reproduces the model README
(70.77 for stanza-ar-ner-news, 61.98 for stanza-ar-ner-small).

Pipeline variants run the production code path: each chunk of test sentences becomes an article, our
tokeniser and ``NerTagger.tag_batch``-equivalent tagging produce entities with character offsets, the
catalogue links them, and the resulting spans are mapped back to the gold tokens. Catalogue hits count
as their label (places LOC; actors ORG, PER for people, LOC for states); unnamed populations
(civilians, protesters) are not named entities and are left out.

The entity dictionary (``EntityDictionary``) is built from train+dev for the test split, and from train
only when the dev split is evaluated (so thresholds can be tuned on dev without touching test).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib.contracts.articles import (
    CleanArticle,
    CleaningStats,
    EntityTaggedArticle,
    LanguageInfo,
    LanguageTaggedArticle,
)
from raqib.contracts.base import utc_now
from raqib.stages.linking import ActorRecord, Catalogue
from raqib.stages.ner import (
    EntityDictionary,
    NerTagger,
    Source,
    build_tagged_articles,
    decode_tags,
    propagation_layer,
)
from raqib.text.tokenize import Token, tokenize_for_ner
from raqib.tools.paths import shared_dir

ENTITY_TYPES = ("LOC", "PER", "ORG", "MISC")
#: Test sentences per pseudo-article: ANERcorp has no document breaks, and the catalogue's context
#: rules ("التنظيم" needs another ISIS mention) look at the whole article.
SENTENCES_PER_ARTICLE = 20

Ent = tuple[int, int, int, str]  # (sentence, first token, last token, type)


@dataclass
class Scores:
    """Micro P/R/F1 plus per-type figures, as fractions."""

    precision: float
    recall: float
    f1: float
    per_type: dict[str, dict[str, float]]
    predicted: int
    gold: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision * 100, 2),
            "recall": round(self.recall * 100, 2),
            "f1": round(self.f1 * 100, 2),
            "predicted": self.predicted,
            "gold": self.gold,
            "per_type": {
                t: {k: (round(v * 100, 2) if k in ("precision", "recall", "f1") else v) for k, v in d.items()}
                for t, d in self.per_type.items()
            },
        }


def load_split(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of (tokens, BIO tags) from a Stanza NER JSON file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [([t["text"] for t in sent], [t["ner"] for t in sent]) for sent in data]


def gold_bioes(tags: Sequence[str]) -> list[str]:
    """Gold tags as Stanza's loader sees them (BIO → BIO2 → BIOES)."""
    from stanza.models.ner.utils import bio2_to_bioes, to_bio2

    return list(bio2_to_bioes(to_bio2(list(tags))))


def score(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> Scores:
    """Stanza's entity-level micro scores, plus per-type P/R/F1 with the same entity definition."""
    from stanza.models.ner.scorer import score_by_entity

    precision, recall, f1, _ = score_by_entity(list(map(list, pred)), list(map(list, gold)), verbose=False)

    def ents(seqs: Sequence[Sequence[str]]) -> list[Ent]:
        return [(i, a, b, t) for i, tags in enumerate(seqs) for a, b, t in decode_tags(tags)]

    p_ents, g_ents = ents(pred), ents(gold)
    g_set, p_set = set(g_ents), set(p_ents)
    per_type: dict[str, dict[str, float]] = {}
    for etype in sorted({e[3] for e in g_ents} | {e[3] for e in p_ents}):
        tp = sum(1 for e in p_ents if e[3] == etype and e in g_set)
        n_pred = sum(1 for e in p_ents if e[3] == etype)
        n_gold = sum(1 for e in g_ents if e[3] == etype)
        fn = sum(1 for e in g_ents if e[3] == etype and e not in p_set)
        p = tp / n_pred if n_pred else 0.0
        r = (n_gold - fn) / n_gold if n_gold else 0.0
        per_type[etype] = {
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "predicted": n_pred,
            "gold": n_gold,
        }
    return Scores(precision, recall, f1, per_type, len(p_ents), len(g_ents))


def _tags_from_spans(n: int, spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * n
    for a, b, t in spans:
        if a == b:
            tags[a] = f"S-{t}"
        else:
            tags[a] = f"B-{t}"
            for k in range(a + 1, b):
                tags[k] = f"I-{t}"
            tags[b] = f"E-{t}"
    return tags


@dataclass
class _Doc:
    """A pseudo-article made of gold sentences, with each gold token's offsets in its text."""

    article: LanguageTaggedArticle
    sentence_ids: list[int]
    offsets: list[list[tuple[int, int]]]


def _make_docs(sentences: Sequence[tuple[list[str], list[str]]], per_doc: int) -> list[_Doc]:
    docs: list[_Doc] = []
    now = utc_now()
    for d0 in range(0, len(sentences), per_doc):
        ids = list(range(d0, min(d0 + per_doc, len(sentences))))
        parts: list[str] = []
        offsets: list[list[tuple[int, int]]] = []
        pos = 0
        for sid in ids:
            toks = sentences[sid][0]
            offs = []
            for k, tok in enumerate(toks):
                if k:
                    pos += 1
                offs.append((pos, pos + len(tok)))
                pos += len(tok)
            parts.append(" ".join(toks))
            offsets.append(offs)
            pos += 1  # the newline between sentences
        text = "\n".join(parts)
        clean = CleanArticle(
            article_id=f"anercorp-{d0}",
            text=text,
            stats=CleaningStats(raw_chars=len(text), clean_chars=len(text)),
            ingested_at=now,
        )
        lang = LanguageInfo(lang="ar", script="Arab", confidence=1.0, method="gold")
        docs.append(
            _Doc(LanguageTaggedArticle(article=clean, language=lang, routed_to="arabic"), ids, offsets)
        )
    return docs


def _to_gold_tokens(
    doc: _Doc, tagged: EntityTaggedArticle, catalogue: Catalogue | None, n_tokens: list[int]
) -> dict[int, list[str]]:
    """Map an article's entities (character spans) onto the gold tokens of its sentences."""
    spans: dict[int, list[tuple[int, int, str]]] = {sid: [] for sid in doc.sentence_ids}
    for ent in tagged.entities:
        if ent.link_kind == "actor" and catalogue is not None:
            rec = catalogue.actor(ent.link_id or "")
            if isinstance(rec, ActorRecord) and not rec.named:
                continue
        for sid, offs in zip(doc.sentence_ids, doc.offsets, strict=True):
            if not offs or ent.start >= offs[-1][1] or ent.end <= offs[0][0]:
                continue
            covered = [k for k, (a, b) in enumerate(offs) if a < ent.end and ent.start < b]
            if not covered:
                continue
            first, last = covered[0], covered[-1]
            if any(first <= b and a <= last for a, b, _ in spans[sid]):
                continue
            spans[sid].append((first, last, ent.label))
            break
    return {sid: _tags_from_spans(n_tokens[sid], spans[sid]) for sid in doc.sentence_ids}


def _pipeline_tags(
    docs: list[_Doc],
    per_doc_tokens: list[list[list[Token]]],
    layers: list[tuple[list[list[str]], Source]],
    catalogue: Catalogue | None,
    n_tokens: list[int],
    name: str,
) -> list[list[str]]:
    tagged = build_tagged_articles([d.article for d in docs], per_doc_tokens, layers, name)
    if catalogue is not None:
        tagged = [catalogue.link(t) for t in tagged]
    out: list[list[str]] = [[] for _ in n_tokens]
    for doc, art in zip(docs, tagged, strict=True):
        for sid, tags in _to_gold_tokens(doc, art, catalogue, n_tokens).items():
            out[sid] = tags
    return out


#: Sentences per Stanza call when scoring: small enough for a smooth progress bar, large enough that Stanza's
#: length-sorted batching works as in one call.
TAG_CHUNK = 400


def tag_with_progress(tagger: NerTagger, sentences: list[list[str]], desc: str) -> list[list[str]]:
    """``tagger.tag_tokens`` in chunks of TAG_CHUNK sentences, with a progress bar on a terminal."""
    from raqib.tools.progress import progress

    out: list[list[str]] = []
    with progress(total=len(sentences), desc=desc, unit="sentence") as bar:
        for start in range(0, len(sentences), TAG_CHUNK):
            chunk = sentences[start : start + TAG_CHUNK]
            out.extend(tagger.tag_tokens(chunk))
            bar.update(len(chunk))
    return out


def evaluate(
    tagger: NerTagger,
    split_path: Path,
    catalogue: Catalogue | None = None,
    dictionary: EntityDictionary | None = None,
    second: NerTagger | None = None,
    raw_only: bool = False,
) -> dict[str, Scores]:
    """Scores of every variant on one split; keys are variant names (see ``main``)."""
    sentences = load_split(split_path)
    gold = [gold_bioes(tags) for _, tags in sentences]
    tokens = [t for t, _ in sentences]
    results: dict[str, Scores] = {"raw": score(tag_with_progress(tagger, tokens, f"NER {tagger.name}"), gold)}
    if second is not None:
        results[f"raw:{second.name}"] = score(tag_with_progress(second, tokens, f"NER {second.name}"), gold)
    if raw_only:
        return results

    docs = _make_docs(sentences, SENTENCES_PER_ARTICLE)
    per_doc_tokens = [tokenize_for_ner(d.article.article.text) for d in docs]
    flat = [[t.text for t in s] for sents in per_doc_tokens for s in sents]
    model_tags = tag_with_progress(tagger, flat, "NER on pipeline tokens")
    n_tokens = [len(t) for t, _ in sentences]
    name = tagger.name

    def run(layers: list[tuple[list[list[str]], Source]], cat: Catalogue | None) -> Scores:
        return score(_pipeline_tags(docs, per_doc_tokens, layers, cat, n_tokens, name), gold)

    base: list[tuple[list[list[str]], Source]] = [(model_tags, "ner")]
    results["pipeline"] = run(base, None)
    dict_layer: list[tuple[list[list[str]], Source]] = []
    if dictionary is not None:
        dict_layer = [([dictionary.apply(s) for s in flat], "catalogue")]
        results["pipeline+dictionary"] = run(base + dict_layer, None)
    if catalogue is not None:
        results["pipeline+link"] = run(base, catalogue)
        if dictionary is not None:
            results["pipeline+dictionary+link"] = run(base + dict_layer, catalogue)
    prop_layer: list[tuple[list[list[str]], Source]] = [
        (propagation_layer(per_doc_tokens, flat, model_tags), "ner")
    ]
    results["pipeline+propagation"] = run(base + prop_layer, None)
    if catalogue is not None:
        results["pipeline+propagation+link"] = run(base + prop_layer, catalogue)
        if dictionary is not None:
            results["pipeline+propagation+dictionary+link"] = run(base + prop_layer + dict_layer, catalogue)
    if second is not None:
        second_layer: list[tuple[list[list[str]], Source]] = [
            (tag_with_progress(second, flat, f"NER {second.name} on pipeline tokens"), "ner")
        ]
        results["ensemble"] = run(base + second_layer, None)
        if catalogue is not None and dictionary is not None:
            results["ensemble+dictionary+link"] = run(base + second_layer + dict_layer, catalogue)
    return results


def _format_table(results: dict[str, Scores]) -> str:
    lines = [
        f"{'variant':38} {'P':>6} {'R':>6} {'F1':>6}   " + "  ".join(f"{t + ' F1':>7}" for t in ENTITY_TYPES)
    ]
    for name, s in results.items():
        per = "  ".join(f"{s.per_type.get(t, {}).get('f1', 0.0) * 100:7.2f}" for t in ENTITY_TYPES)
        lines.append(f"{name:38} {s.precision * 100:6.2f} {s.recall * 100:6.2f} {s.f1 * 100:6.2f}   {per}")
    return "\n".join(lines)



def main(argv: list[str] | None = None) -> int:
    """Entry point of ``raqib eval ner`` (also ``python -m raqib.tools.eval_ner``)."""
    shared = shared_dir()
    splits = shared / "data" / "ner" / "anercorp" / "splits"
    parser = argparse.ArgumentParser(prog="raqib eval ner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--model-dir", type=Path, default=shared / "models" / "stanza-ar-ner-news")
    parser.add_argument("--split", type=Path, default=splits / "ar_anercorp.test.json")
    parser.add_argument("--no-link", action="store_true", help="score the raw model only")
    parser.add_argument(
        "--ensemble-dir",
        type=Path,
        default=shared / "models" / "stanza-ar-ner-small",
        help="second model whose entities fill what the first left O ('none' to skip)",
    )
    parser.add_argument(
        "--gazetteer", type=Path, default=shared / "data" / "gazetteer" / "syria_admin_gazetteer.jsonl"
    )
    parser.add_argument(
        "--resources-dir", type=Path, default=None, help="Stanza resources dir (resources.json)"
    )
    parser.add_argument(
        "--quantize", choices=("none", "int8"), default="none", help="score the int8-quantised model"
    )
    parser.add_argument("--dict-min-count", type=int, default=2)
    parser.add_argument("--dict-min-ratio", type=float, default=0.6)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tagger = NerTagger(args.model_dir, resources_dir=args.resources_dir, quantize=args.quantize)
    second = None
    if not args.no_link and str(args.ensemble_dir) != "none" and args.ensemble_dir.is_dir():
        second = NerTagger(args.ensemble_dir, resources_dir=args.resources_dir)
    catalogue = dictionary = None
    dict_sources: list[str] = []
    if not args.no_link:
        catalogue = Catalogue.load(args.gazetteer)
        train = splits / "ar_anercorp.train.json"
        dev = splits / "ar_anercorp.dev.json"
        # Never build the dictionary from the split being scored.
        sources = [p for p in (train, dev) if p.is_file() and p.resolve() != args.split.resolve()]
        if args.split.resolve() == dev.resolve():
            sources = [train]
        dict_sources = [p.name for p in sources]
        dictionary = EntityDictionary.from_splits(
            sources, min_count=args.dict_min_count, min_ratio=args.dict_min_ratio
        )
    results = evaluate(tagger, args.split, catalogue, dictionary, second, raw_only=args.no_link)
    elapsed = time.perf_counter() - started
    if args.json:
        payload = {
            "split": args.split.name,
            "model": tagger.name,
            "ensemble_model": second.name if second else None,
            "dictionary_sources": dict_sources,
            "dictionary_entries": len(dictionary) if dictionary else 0,
            "seconds": round(elapsed, 1),
            "variants": {k: v.as_dict() for k, v in results.items()},
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(
            f"split {args.split.name}, model {tagger.name}" + (f", ensemble {second.name}" if second else "")
        )
        if dictionary is not None:
            print(f"dictionary: {len(dictionary)} entries from {', '.join(dict_sources)}")
        print(_format_table(results))
        print(f"({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Scores", "evaluate", "gold_bioes", "load_split", "main", "score"]

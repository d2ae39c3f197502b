"""Stanza NER over Arabic articles, batched: one Stanza call per batch of articles.

The offline models in ``../shared/models`` load with no network and no tokenizer model: we tokenise
ourselves (``raqib.text.tokenize``) exactly as the training data was tokenised and hand Stanza
pretokenised sentences. Entity offsets are mapped back to the clean text and, through the clean
article's offset map, to the raw page.

A model loaded without its word-vector pretrain loads silently and finds nothing, so the tagger runs a
self-check sentence at load time and refuses to start (``ModelLoadError``) rather than emit empty results.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from raqib.contracts.articles import Entity, EntityTaggedArticle, LanguageTaggedArticle, SentenceSpan
from raqib.text.document import document
from raqib.text.tokenize import Token

log = logging.getLogger(__name__)

Label = Literal["PER", "LOC", "ORG", "MISC"]
_LABELS: frozenset[str] = frozenset({"PER", "LOC", "ORG", "MISC"})

#: Stanza reads <dir>/resources.json even with download_method=None; this is the least it needs.
_MINIMAL_RESOURCES = {"ar": {"lang_name": "Arabic"}}


class ModelLoadError(RuntimeError):
    """The NER model cannot be used: files missing, Stanza refused them, or the self-check found nothing."""


def _find_one(folder: Path, pattern: str, what: str) -> Path:
    """The single file matching ``pattern`` in ``folder``; a clear error when there are none or several."""
    found = sorted(folder.glob(pattern))
    if not found:
        raise ModelLoadError(f"no {what} ({pattern}) in {folder}")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ModelLoadError(f"several {what} files in {folder} ({names}); name one explicitly")
    return found[0]


def ensure_resources_json(resources_dir: Path) -> Path:
    """Create ``resources_dir/resources.json`` with the minimal Arabic entry if it is missing."""
    resources_dir.mkdir(parents=True, exist_ok=True)
    path = resources_dir / "resources.json"
    if not path.exists():
        path.write_text(json.dumps(_MINIMAL_RESOURCES), encoding="utf-8")
    return path


@dataclass(frozen=True)
class StanzaNerFiles:
    """Files of one Stanza NER model as laid out by ``stanza.download`` (``<dir>/<lang>/<processor>/<package>.pt``)."""

    model: Path
    pretrain: Path | None
    forward_charlm: Path | None = None
    backward_charlm: Path | None = None
    package: str | None = None


def _dep_path(lang_dir: Path, dependencies: list[dict[str, str]], kind: str) -> Path | None:
    for dep in dependencies:
        if dep.get("model") == kind and dep.get("package"):
            return lang_dir / kind / f"{dep['package']}.pt"
    return None


def locate_stanza_ner(resources_dir: Path, package: str = "default", lang: str = "ar") -> StanzaNerFiles:
    """Find the NER model and its dependencies in a tree written by ``stanza.download``.

    Resolution follows Stanza's own (``resources.common.maintain_processor_list`` + ``add_dependencies``):
    ``package`` is either an NER package name (``resources[lang]["ner"][package]``) or a package bundle
    (``resources[lang]["packages"][package]["ner"]``); the NER entry's ``dependencies`` name the pretrain
    and charlm packages. Without a usable resources.json the only ``.pt`` in ``<lang>/ner`` and
    ``<lang>/pretrain`` are used.
    """
    lang_dir = resources_dir / lang
    resources_path = resources_dir / "resources.json"
    ner_package: str | None = None
    dependencies: list[dict[str, str]] = []
    if resources_path.exists():
        resources = json.loads(resources_path.read_text(encoding="utf-8"))
        lang_res = resources.get(lang, {})
        while isinstance(lang_res, dict) and "alias" in lang_res:
            lang = lang_res["alias"]
            lang_dir = resources_dir / lang
            lang_res = resources.get(lang, {})
        ner_entries = lang_res.get("ner", {})
        if package in ner_entries:
            ner_package = package
        else:
            ner_package = lang_res.get("packages", {}).get(package, {}).get("ner")
            if ner_package is None and package == "default":
                ner_package = lang_res.get("default_processors", {}).get("ner")
        if ner_package is not None:
            dependencies = list(ner_entries.get(ner_package, {}).get("dependencies", []))
    if ner_package is not None:
        model = lang_dir / "ner" / f"{ner_package}.pt"
        pretrain = _dep_path(lang_dir, dependencies, "pretrain")
        if pretrain is None and (lang_dir / "pretrain").is_dir():
            pretrain = _find_one(lang_dir / "pretrain", "*.pt", "pretrain")
    else:
        model = _find_one(lang_dir / "ner", "*.pt", "NER model")
        pretrain = _find_one(lang_dir / "pretrain", "*.pt", "pretrain")
        ner_package = model.stem
    forward = _dep_path(lang_dir, dependencies, "forward_charlm")
    backward = _dep_path(lang_dir, dependencies, "backward_charlm")
    for path in (model, pretrain, forward, backward):
        if path is not None and not path.is_file():
            raise ModelLoadError(
                f"{path} is missing: run download_models({resources_dir}, {package!r}) first"
            )
    return StanzaNerFiles(model, pretrain, forward, backward, ner_package)


def download_models(resources_dir: Path, package: str = "default") -> StanzaNerFiles:
    """Download Stanza's official Arabic tokenize+NER models into ``resources_dir`` (needs network).

    Afterwards ``NerTagger.from_stanza_resources(resources_dir, package)`` loads them with the same
    code path as the offline models.
    """
    import stanza

    resources_dir.mkdir(parents=True, exist_ok=True)
    stanza.download(
        "ar",
        model_dir=str(resources_dir),
        package=package,
        processors="tokenize,ner",
        logging_level="INFO",
    )
    return locate_stanza_ner(resources_dir, package)


def decode_tags(tags: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """Entities ``(first_token, last_token_inclusive, type)`` from BIOES or BIO tags (Stanza's decoder)."""
    from stanza.models.ner.utils import decode_from_bioes

    return [(e["start"], e["end"], e["type"]) for e in decode_from_bioes(list(tags))]


class NerTagger:
    """One Stanza pipeline (tokenize pretokenised + ner), loaded once and reused for every batch."""

    #: A sentence in which any working ANERcorp model finds entities (a person and a place).
    SELF_CHECK_TOKENS: tuple[str, ...] = (
        "وقال", "المتحدث", "باسم", "التحالف", "الدولي", "واين", "ماروتو",
        "إن", "الاشتباكات", "دارت", "في", "دير", "الزور", ".",
    )  # fmt: skip

    def __init__(
        self,
        model_dir: Path,
        model_file: str | None = None,
        pretrain_file: str | None = None,
        resources_dir: Path | None = None,
        torch_threads: int = 0,
        use_gpu: bool = False,
        *,
        forward_charlm_file: str | None = None,
        backward_charlm_file: str | None = None,
        name: str | None = None,
        dictionary: EntityDictionary | None = None,
        self_check: bool = True,
        propagate: bool = False,
        quantize: Quantize = "none",
    ) -> None:
        """Load the model; ``*_file`` are names inside ``model_dir`` (or absolute paths); None = auto-detect.

        ``dictionary`` adds an entity-dictionary layer to ``tag_batch``; ``self_check=False`` is only for
        scoring freshly trained (possibly still useless) models. ``quantize="int8"`` converts the LSTMs and
        linear layers to dynamic int8 (see ``quantize_dynamic_int8``).
        """
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ModelLoadError(f"NER model folder {model_dir} does not exist")
        model_path = (
            model_dir / model_file if model_file else _find_one(model_dir, "*nertagger.pt", "NER model")
        )
        pretrain_path = (
            model_dir / pretrain_file if pretrain_file else _find_one(model_dir, "*pretrain.pt", "pretrain")
        )
        extra: dict[str, str] = {}
        for option, file in (
            ("ner_forward_charlm_path", forward_charlm_file),
            ("ner_backward_charlm_path", backward_charlm_file),
        ):
            if file:
                extra[option] = str(model_dir / file)
        for path in (model_path, pretrain_path, *map(Path, extra.values())):
            if not path.is_file():
                raise ModelLoadError(f"NER model file {path} does not exist")
        self.model_path = model_path
        self.pretrain_path = pretrain_path
        self.name = name or model_path.stem
        self.resources_dir = (
            Path(resources_dir) if resources_dir else Path.home() / ".cache" / "raqib" / "stanza"
        )
        self.last_batch_tokens = 0
        self.dictionary = dictionary
        self.propagate = propagate
        self.last_batch_seconds = 0.0

        started = time.perf_counter()
        import stanza
        import torch

        if torch_threads > 0:
            torch.set_num_threads(torch_threads)
        ensure_resources_json(self.resources_dir)
        try:
            self._nlp: Any = stanza.Pipeline(
                lang="ar",
                dir=str(self.resources_dir),
                processors="tokenize,ner",
                tokenize_pretokenized=True,
                ner_model_path=str(model_path),
                ner_pretrain_path=str(pretrain_path),
                download_method=None,
                use_gpu=use_gpu,
                logging_level="WARN",
                **extra,
            )
        except Exception as exc:  # Stanza raises many kinds (AssertionError, KeyError, …) for bad files
            raise ModelLoadError(f"Stanza could not load {model_path} with {pretrain_path}: {exc}") from exc
        self.quantize = quantize
        if quantize == "int8":
            quantize_dynamic_int8(self._nlp)
            self.name = f"{self.name}+int8"
        found = (
            decode_tags(self.tag_tokens([list(self.SELF_CHECK_TOKENS)])[0]) if self_check else [(0, 0, "-")]
        )
        if not found:
            raise ModelLoadError(
                f"NER self-check found no entity with {model_path.name} + {pretrain_path.name}: "
                "wrong or missing pretrain (word vectors) for this model?"
            )
        self.load_seconds = time.perf_counter() - started
        log.info("NER model %s loaded in %.2fs", self.name, self.load_seconds)

    @classmethod
    def from_stanza_resources(
        cls, resources_dir: Path, package: str = "default", torch_threads: int = 0, use_gpu: bool = False
    ) -> NerTagger:
        """Load a model that ``download_models`` (i.e. ``stanza.download``) put under ``resources_dir``."""
        files = locate_stanza_ner(Path(resources_dir), package)
        return cls(
            files.model.parent,
            model_file=files.model.name,
            pretrain_file=str(files.pretrain) if files.pretrain else None,
            resources_dir=Path(resources_dir),
            torch_threads=torch_threads,
            use_gpu=use_gpu,
            forward_charlm_file=str(files.forward_charlm) if files.forward_charlm else None,
            backward_charlm_file=str(files.backward_charlm) if files.backward_charlm else None,
            name=f"stanza-ar-{files.package}",
        )

    def tag_tokens(self, sentences: list[list[str]]) -> list[list[str]]:
        """Tags (BIOES, as Stanza emits them) for pretokenised sentences, in one Stanza call."""
        non_empty = [s for s in sentences if s]
        tags: list[list[str]] = []
        if non_empty:
            doc = self._nlp(non_empty)
            tags = [[tok.ner or "O" for tok in sent.tokens] for sent in doc.sentences]
        out: list[list[str]] = []
        it = iter(tags)
        for s in sentences:
            out.append(next(it) if s else [])
        return out

    def tag_batch(self, articles: list[LanguageTaggedArticle]) -> list[EntityTaggedArticle]:
        """Tag every sentence of every article in ONE Stanza call; entities carry clean and raw offsets."""
        docs = [document(a.article.text) for a in articles]  # shared with the linker (raqib.text.document)
        per_article: list[list[list[Token]]] = [d.sentences for d in docs]
        flat = [[t.text for t in sent] for sents in per_article for sent in sents]
        started = time.perf_counter()
        flat_tags = self.tag_tokens(flat)
        self.last_batch_seconds = time.perf_counter() - started
        self.last_batch_tokens = sum(len(s) for s in flat)
        layers: list[tuple[list[list[str]], Source]] = [(flat_tags, "ner")]
        if self.propagate:
            forms = [d.sentence_forms for d in docs]
            layers.append((propagation_layer(per_article, flat, flat_tags, forms), "ner"))
        if self.dictionary is not None:
            layers.append(([self.dictionary.apply(toks) for toks in flat], "catalogue"))
        return build_tagged_articles(articles, per_article, layers, self.name)


Source = Literal["ner", "catalogue"]
Quantize = Literal["none", "int8"]


def quantize_dynamic_int8(nlp: Any) -> None:
    """Swap the NER model(s) of a Stanza pipeline for dynamically int8-quantised copies, in place.

    Why: on CPU the BiLSTMs are the whole cost of NER. PyTorch's dynamic quantisation stores LSTM and
    Linear weights as int8 and quantises activations on the fly; measured on the ANERcorp test split with
    one thread: 1.5x faster, entity F1 70.77 → 70.63. PyTorch marks ``torch.ao.quantization`` deprecated
    (successor: torchao) but 2.13, the version we pin, still ships it; its warnings are silenced here.
    """
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        for trainer in nlp.processors["ner"].trainers:
            trainer.model = torch.ao.quantization.quantize_dynamic(
                trainer.model, {torch.nn.LSTM, torch.nn.Linear}, dtype=torch.qint8
            )


def propagation_layer(
    per_article: Sequence[Sequence[Sequence[Token]]],
    flat: Sequence[Sequence[str]],
    flat_tags: Sequence[Sequence[str]],
    forms: Sequence[Sequence[Sequence[str]]] | None = None,
) -> list[list[str]]:
    """``propagate_document`` applied article by article over the flat sentence list of a batch
    (``forms``: each article's token forms by sentence, when the caller has them)."""
    out: list[list[str]] = []
    pos = 0
    for k, sents in enumerate(per_article):
        n = len(sents)
        out.extend(propagate_document(flat[pos : pos + n], flat_tags[pos : pos + n], forms[k] if forms else None))
        pos += n
    return out


def build_tagged_articles(
    articles: Sequence[LanguageTaggedArticle],
    per_article: Sequence[Sequence[Sequence[Token]]],
    layers: Sequence[tuple[Sequence[Sequence[str]], Source]],
    ner_model: str,
) -> list[EntityTaggedArticle]:
    """EntityTaggedArticles from per-sentence tags (flat over all articles' sentences, in order).

    ``layers[0]`` is the model's tagging; each later layer (a second model, the entity dictionary) only
    adds entities that overlap none already taken, so the model keeps precedence.
    """
    results: list[EntityTaggedArticle] = []
    pos = 0
    for article, sents in zip(articles, per_article, strict=True):
        clean = article.article
        entities: list[Entity] = []
        for sent in sents:
            taken: list[tuple[int, int]] = []
            for tags, source in layers:
                for first, last, etype in decode_tags(tags[pos]):
                    if any(first <= b and a <= last for a, b in taken):
                        continue
                    taken.append((first, last))
                    start, end = sent[first].start, sent[last].end
                    raw = clean.raw_span(start, end)
                    entities.append(
                        Entity(
                            text=clean.text[start:end],
                            label=cast(Label, etype if etype in _LABELS else "MISC"),
                            start=start,
                            end=end,
                            raw_start=raw[0] if raw else None,
                            raw_end=raw[1] if raw else None,
                            source=source,
                        )
                    )
            pos += 1
        entities.sort(key=lambda e: (e.start, e.end))
        results.append(
            EntityTaggedArticle(
                article=clean,
                language=article.language,
                sentences=[SentenceSpan(start=s[0].start, end=s[-1].end) for s in sents],
                entities=entities,
                ner_model=ner_model,
                token_count=sum(len(s) for s in sents),
            )
        )
    return results


def propagate_document(
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    forms: Sequence[Sequence[str]] | None = None,
) -> list[list[str]]:
    """Tags for names the model found once in a document but missed elsewhere in it (same document only).

    "One sense per discourse": a string tagged somewhere in an article (a later mention "ولبنان" after
    "لبنان", or the surname "وايزنغر" after "جولي وايزنغر") is tagged where the model left it O. Returns
    only the added entities, as a layer for ``build_tagged_articles``.
    """
    from collections import Counter

    from raqib.text.normalize import matching_form

    if forms is None:
        forms = [[matching_form(t) for t in sent] for sent in sentences]
    seen: dict[tuple[str, ...], Counter[str]] = {}
    for f, sent_tags in zip(forms, tags, strict=True):
        for first, last, etype in decode_tags(sent_tags):
            seen.setdefault(tuple(f[first : last + 1]), Counter())[etype] += 1
            if etype == "PER" and last > first and len(f[last]) >= 4:
                seen.setdefault((f[last],), Counter())["PER"] += 1
    lexicon = {k: c.most_common(1)[0][0] for k, c in seen.items() if sum(len(x) for x in k) >= 3}
    return [_EntityLexicon(lexicon).apply_forms(f) for f in forms]


class _EntityLexicon:
    """Longest-match tagging of token sequences (matching forms), tolerating one leading clitic."""

    def __init__(self, entries: dict[tuple[str, ...], str]) -> None:
        self.entries = entries
        self.max_len = max((len(k) for k in entries), default=0)

    def apply_forms(self, forms: Sequence[str]) -> list[str]:
        """BIOES tags for the entries found in ``forms`` (longest first, left to right)."""
        tags = ["O"] * len(forms)
        i = 0
        while i < len(forms):
            hit: tuple[int, str] | None = None
            for n in range(min(self.max_len, len(forms) - i), 0, -1):
                key = tuple(forms[i : i + n])
                label = self.entries.get(key)
                if label is None and forms[i][:1] in ("و", "ب", "ل", "ف") and len(forms[i]) > 3:
                    label = self.entries.get((forms[i][1:], *key[1:]))
                if label is not None:
                    hit = (n, label)
                    break
            if hit is None:
                i += 1
                continue
            n, label = hit
            if n == 1:
                tags[i] = f"S-{label}"
            else:
                tags[i] = f"B-{label}"
                for k in range(i + 1, i + n - 1):
                    tags[k] = f"I-{label}"
                tags[i + n - 1] = f"E-{label}"
            i += n
        return tags


class EntityDictionary:
    """Entity strings that NER training data tags (almost) every time they occur → their label.

    An augmentation layer (a classic NER technique): where the model left tokens O, a dictionary string
    is tagged. Built only from training splits, and only from strings that are entities in at least
    ``min_ratio`` of their occurrences, so common words that are sometimes names stay out.
    """

    def __init__(self, entries: dict[tuple[str, ...], str]) -> None:
        self.entries = entries
        self._lexicon = _EntityLexicon(entries)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_splits(
        cls, paths: Sequence[Path], min_count: int = 2, min_ratio: float = 0.6, min_purity: float = 0.8
    ) -> EntityDictionary:
        """Build from Stanza NER JSON files (lists of sentences of {"text", "ner"} tokens, BIO or BIOES)."""
        from collections import Counter

        from raqib.text.normalize import matching_form

        sentences: list[tuple[list[str], list[str]]] = []
        for path in paths:
            for sent in json.loads(Path(path).read_text(encoding="utf-8")):
                sentences.append(([matching_form(t["text"]) for t in sent], [t["ner"] for t in sent]))
        labels: dict[tuple[str, ...], Counter[str]] = {}
        for forms, tags in sentences:
            for first, last, etype in decode_tags(tags):
                labels.setdefault(tuple(forms[first : last + 1]), Counter())[etype] += 1
        max_len = max((len(k) for k in labels), default=0)
        seen: Counter[tuple[str, ...]] = Counter()
        for forms, _ in sentences:
            for i in range(len(forms)):
                for n in range(1, max_len + 1):
                    key = tuple(forms[i : i + n])
                    if len(key) < n:
                        break
                    if key in labels:
                        seen[key] += 1
        entries: dict[tuple[str, ...], str] = {}
        for key, counts in labels.items():
            total = sum(counts.values())
            label, top = counts.most_common(1)[0]
            if total >= min_count and total / max(seen[key], 1) >= min_ratio and top / total >= min_purity:
                entries[key] = label
        return cls(entries)

    def apply(self, tokens: Sequence[str]) -> list[str]:
        """BIOES tags for the dictionary strings found in ``tokens`` (longest first, left to right)."""
        from raqib.text.normalize import matching_form

        return self._lexicon.apply_forms([matching_form(t) for t in tokens])

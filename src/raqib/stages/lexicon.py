"""Arabic event-trigger lexicon: clitic- and spelling-tolerant matching of trigger words and phrases.

The lexicon itself is data (``stages/data/event_triggers.yaml``): each trigger names its ACLED type and
sub-type, PLOVER type/mode, a prior strength and a priority. Matching is token-based on the matching form
(``raqib.text.normalize.matching_form_with_map``), so 'وبالغارات', 'الغارات' and 'غارات' all hit 'غارات' and
offsets still point into the caller's text. Token lookups (no regex alternations over the lexicon) keep
matching linear in the sentence length whatever the lexicon size.

Context cues (negation, denial, intent/future, sport/economy/tech/health contexts, cumulative tallies)
live in the same file; ``Clause`` exposes them so the tagger can suppress or down-weight a trigger.
The file also declares the trigger ids each refinement of the tagger reads (``refinements``), so the code
never names a trigger id itself.

The file is validated on load (pydantic models over the schema's ``EventType``/``SubEventType``): unknown
fields, a sub-type of another event type, duplicate ids, a refinement naming an unknown trigger, a word with a
space or two entries of one list that fold alike fail with the file and line, like ``alert_rules.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raqib.contracts.events import ACLED_SUBTYPES, EventType, SubEventType
from raqib.stages.vocab import DataFileError
from raqib.text.words import WordToken, bare_word, fold_word, words

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "event_triggers.yaml"

Family = Literal["violent", "protest", "riot", "strategic"]
#: The cue lists the tagger reads (``Lexicon.has_cue``); the file must define exactly these.
CueName = Literal[
    "negation_before", "denial", "intent", "generic", "tally", "tally_period", "sport", "economy", "tech",
    "health", "culture",
]  # fmt: skip
#: The refinements of ``raqib.stages.tagging`` that read trigger ids; the file must define exactly these.
RefinementName = Literal[
    "protest_clause", "riot", "protest", "casualty", "arrest", "raid", "abduction", "battle", "battle_fire",
    "aerial", "victim_side", "one_sided_attack", "foiling",
]  # fmt: skip


class _Trigger(BaseModel):
    """One trigger as written in the file (see its header for the meaning of each field)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    event_type: EventType
    sub_event_type: SubEventType
    plover: str = Field(pattern=r"^[A-Z]+$")
    mode: str | None = None
    family: Family
    strength: float = Field(ge=0.0, le=1.0)
    priority: int
    metaphor_prone: bool = False
    generic: bool = False
    patient_first: bool = False
    words: list[str] = Field(default_factory=list)
    phrases: list[list[str]] = Field(default_factory=list)
    requires_any: list[str] = Field(default_factory=list)
    block_next: list[str] = Field(default_factory=list)
    block_prev: list[str] = Field(default_factory=list)


class _Refinement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc: str = Field(min_length=1)
    triggers: list[str] = Field(min_length=1)


class _TriggerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    triggers: list[_Trigger] = Field(min_length=1)
    cues: dict[CueName, list[str]]
    refinements: dict[RefinementName, _Refinement]


@dataclass(frozen=True)
class TriggerSpec:
    """One lexicon entry (see the YAML header for the meaning of each field)."""

    id: str
    event_type: str
    sub_event_type: str
    plover: str
    mode: str | None
    family: str
    strength: float
    priority: int
    metaphor_prone: bool
    requires_any: frozenset[str]
    block_next: frozenset[str]
    block_prev: frozenset[str]
    generic: bool = False
    patient_first: bool = False


@dataclass(frozen=True)
class TriggerMatch:
    """A trigger found in text: ``text[start:end]`` is the surface; tokens [tok_start, tok_end)."""

    spec: TriggerSpec
    start: int
    end: int
    surface: str
    tok_start: int
    tok_end: int


@dataclass
class Lexicon:
    """Compiled lexicon: single-word index, phrase index (by first word) and cue word sets."""

    specs: list[TriggerSpec]
    single: dict[str, list[TriggerSpec]]
    phrases: dict[str, list[tuple[tuple[str, ...], TriggerSpec]]]
    cues: dict[str, frozenset[str]]
    refinements: dict[str, frozenset[str]] = field(default_factory=dict)

    def refined(self, name: RefinementName) -> frozenset[str]:
        """The trigger ids a refinement of the tagger applies to (``refinements`` in the file)."""
        return self.refinements[name]

    def find(self, text: str, toks: list[WordToken] | None = None) -> list[TriggerMatch]:
        """All trigger matches in ``text`` (phrases first; a word inside a matched phrase is not re-used)."""
        toks = words(text) if toks is None else toks
        found: list[TriggerMatch] = []
        covered: set[int] = set()
        for i, tok in enumerate(toks):
            for stem in tok.stems:
                for seq, spec in self.phrases.get(stem, ()):
                    j = i + len(seq)
                    if j > len(toks):
                        continue
                    if all(seq[k] in toks[i + k].stems for k in range(1, len(seq))):
                        if self._blocked(spec, toks, i, j):
                            continue
                        found.append(
                            TriggerMatch(
                                spec, tok.start, toks[j - 1].end, text[tok.start : toks[j - 1].end], i, j
                            )
                        )
                        covered.update(range(i, j))
        for i, tok in enumerate(toks):
            specs: list[TriggerSpec] = []
            for stem in tok.stems:
                specs.extend(self.single.get(stem, ()))
            for spec in dict.fromkeys(specs):
                if i in covered and any(m.spec.id == spec.id and m.tok_start <= i < m.tok_end for m in found):
                    continue
                if self._blocked(spec, toks, i, i + 1):
                    continue
                found.append(TriggerMatch(spec, tok.start, tok.end, text[tok.start : tok.end], i, i + 1))
        found.sort(key=lambda m: (m.start, -m.spec.priority))
        return found

    @staticmethod
    def _blocked(spec: TriggerSpec, toks: list[WordToken], i: int, j: int) -> bool:
        if j < len(toks) and spec.block_next and any(s in spec.block_next for s in toks[j].stems):
            return True
        return bool(i > 0 and spec.block_prev and any(s in spec.block_prev for s in toks[i - 1].stems))

    def has_cue(self, cue: CueName, toks: list[WordToken], lo: int = 0, hi: int | None = None) -> int | None:
        """Index of the first token in [lo, hi) that is one of the ``cue`` words, else None."""
        words_ = self.cues.get(cue, frozenset())
        for k in range(max(lo, 0), len(toks) if hi is None else min(hi, len(toks))):
            if any(s in words_ for s in toks[k].stems):
                return k
        return None


def _spec(t: _Trigger) -> TriggerSpec:
    return TriggerSpec(
        id=t.id,
        event_type=t.event_type,
        sub_event_type=t.sub_event_type,
        plover=t.plover,
        mode=t.mode,
        family=t.family,
        strength=t.strength,
        priority=t.priority,
        metaphor_prone=t.metaphor_prone,
        requires_any=frozenset(bare_word(w) for w in t.requires_any),
        block_next=frozenset(bare_word(w) for w in t.block_next),
        block_prev=frozenset(bare_word(w) for w in t.block_prev),
        generic=t.generic,
        patient_first=t.patient_first,
    )


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Parse, validate and index the YAML lexicon once per process; a bad file raises ``DataFileError``
    naming the file and line of every problem."""
    parsed = _validated(path)
    specs: list[TriggerSpec] = []
    single: dict[str, list[TriggerSpec]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], TriggerSpec]]] = {}
    for t in parsed.triggers:
        spec = _spec(t)
        specs.append(spec)
        for w in t.words:
            single.setdefault(bare_word(w), []).append(spec)
        for ph in t.phrases:
            seq = tuple(bare_word(w) for w in ph)
            phrases.setdefault(seq[0], []).append((seq, spec))
    for lst in phrases.values():
        lst.sort(key=lambda p: -len(p[0]))
    cues = {name: frozenset(bare_word(w) for w in ws) for name, ws in parsed.cues.items()}
    refinements = {name: frozenset(r.triggers) for name, r in parsed.refinements.items()}
    return Lexicon(specs=specs, single=single, phrases=phrases, cues=cues, refinements=refinements)


# --- validation with line numbers ----------------------------------------------------------------------


def _validated(path: Path) -> _TriggerFile:
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(f"{path}:{mark.line + 1 if mark else 0}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    try:
        parsed = _TriggerFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = [_describe(path, root, data, err) for err in exc.errors()]
        raise DataFileError(_report(path, problems)) from exc
    located = sorted(((_line(root, loc), where + message) for loc, where, message in _semantic_problems(parsed)),
                     key=lambda p: p[0])  # fmt: skip
    if located:
        raise DataFileError(_report(path, [f"{path}:{line}: {message}" for line, message in located]))
    return parsed


def _report(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{path}: {len(problems)} problems:\n  " + "\n  ".join(problems)


def _semantic_problems(parsed: _TriggerFile) -> list[tuple[tuple[Any, ...], str, str]]:
    """What the models cannot check alone: (location in the document, trigger label, message)."""
    out: list[tuple[tuple[Any, ...], str, str]] = []
    ids: dict[str, int] = {}
    for i, t in enumerate(parsed.triggers):
        label = f"trigger {t.id!r}: "
        if t.id in ids:
            out.append((("triggers", i, "id"), label, f"duplicate id (trigger #{ids[t.id] + 1} has it)"))
        ids.setdefault(t.id, i)
        if t.sub_event_type not in ACLED_SUBTYPES[t.event_type]:
            out.append((("triggers", i, "sub_event_type"), label,
                        f"{t.sub_event_type!r} is not a sub-type of {t.event_type!r} "
                        f"(one of {list(ACLED_SUBTYPES[t.event_type])})"))  # fmt: skip
        if not t.words and not t.phrases:
            out.append((("triggers", i), label, "no words and no phrases: it can never match"))
        for name in ("words", "requires_any", "block_next", "block_prev"):
            out.extend(((("triggers", i, name, k), label, m) for k, m in _list_problems(name, getattr(t, name))))
        seen: dict[tuple[str, ...], int] = {}
        for k, ph in enumerate(t.phrases):
            loc = ("triggers", i, "phrases", k)
            bad = [w for w in ph if not _one_token(w)]
            if not ph or bad:
                out.append((loc, label, f"phrase {ph!r}: every item must be one word ({bad or 'empty'})"))
                continue
            seq = tuple(bare_word(w) for w in ph)
            if seq in seen:
                out.append((loc, label, f"phrase {ph!r} folds to the same words as {t.phrases[seen[seq]]!r}"))
            seen.setdefault(seq, k)
    for section, names, given in (("cues", CueName, parsed.cues), ("refinements", RefinementName, parsed.refinements)):
        missing = sorted(set(get_args(names)) - set(given))
        if missing:
            out.append(((section,), "", f"{section}: missing {missing} (the tagger reads them)"))
    for cue, ws in parsed.cues.items():
        out.extend(((("cues", cue, k), "", m) for k, m in _list_problems(f"cue {cue!r}", ws)))
    for name, ref in parsed.refinements.items():
        for k, tid in enumerate(ref.triggers):
            if tid not in ids:
                out.append((("refinements", name, "triggers", k), f"refinement {name!r}: ",
                            f"unknown trigger id {tid!r} (the triggers are {sorted(ids)})"))  # fmt: skip
    return out


def _one_token(word: str) -> bool:
    """The entry is one word as the tokenizer reads it (a space or punctuation would never match)."""
    return [t.form for t in words(word)] == [fold_word(word)] != [""]


def _list_problems(name: str, entries: Sequence[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    for k, w in enumerate(entries):
        if not _one_token(w):
            out.append((k, f"{name}: {w!r} is not one word (a space or punctuation never matches a token)"))
            continue
        key = bare_word(w)
        if key in seen:
            out.append((k, f"{name}: {w!r} folds to the same form as {seen[key]!r} (write a word once)"))
        seen.setdefault(key, w)
    return out


def _line(root: yaml.Node | None, loc: Sequence[Any]) -> int:
    """1-based line of the deepest node on ``loc`` (mapping keys and sequence indexes) that exists."""
    node = root
    line = root.start_mark.line + 1 if root is not None else 0
    for part in loc:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    nxt, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _describe(path: Path, root: yaml.Node | None, data: Any, err: Any) -> str:
    """'file:line: trigger 'air_strike': sub_event_type: <what is wrong>' for one pydantic error."""
    loc = [p for p in err.get("loc", ()) if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))]
    label = ""
    if len(loc) >= 2 and loc[0] == "triggers" and isinstance(loc[1], int):
        raw = data["triggers"][loc[1]] if isinstance(data, dict) and isinstance(data.get("triggers"), list) else None
        tid = raw.get("id") if isinstance(raw, dict) else None
        label = f"trigger #{loc[1] + 1}" + (f" {tid!r}" if tid else "") + ": "
        field_path = ".".join(str(p) for p in loc[2:]) or "trigger"
    else:
        field_path = ".".join(str(p) for p in loc) or "document"
    message = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        message = "unknown field (typo?)"
    elif err.get("type") == "missing":
        message = "missing (required)"
    elif err.get("type") == "literal_error":
        message = f"{err.get('input')!r}: {message}"
    return f"{path}:{_line(root, loc)}: {label}{field_path}: {message}"

"""Arabic event-trigger lexicon: clitic- and spelling-tolerant matching of trigger words and phrases.

The lexicon itself is data (``stages/data/event_triggers.yaml``): each trigger names its ACLED type and
sub-type, PLOVER type/mode, a prior strength and a priority. Matching is token-based on the matching form
(``raqib.text.normalize.matching_form_with_map``), so 'وبالغارات', 'الغارات' and 'غارات' all hit 'غارات' and
offsets still point into the caller's text. Token lookups (no regex alternations over the lexicon) keep
matching linear in the sentence length whatever the lexicon size.

Context cues (negation, denial, intent/future, sport/economy/tech/health contexts, cumulative tallies)
live in the same file; ``Clause`` exposes them so the tagger can suppress or down-weight a trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from raqib.text.words import WordToken, bare_word, words

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "event_triggers.yaml"

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

    def has_cue(self, cue: str, toks: list[WordToken], lo: int = 0, hi: int | None = None) -> int | None:
        """Index of the first token in [lo, hi) that is one of the ``cue`` words, else None."""
        words_ = self.cues.get(cue, frozenset())
        for k in range(max(lo, 0), len(toks) if hi is None else min(hi, len(toks))):
            if any(s in words_ for s in toks[k].stems):
                return k
        return None


def _load_spec(raw: dict[str, Any]) -> TriggerSpec:
    return TriggerSpec(
        id=raw["id"],
        event_type=raw["event_type"],
        sub_event_type=raw["sub_event_type"],
        plover=raw["plover"],
        mode=raw.get("mode"),
        family=raw["family"],
        strength=float(raw["strength"]),
        priority=int(raw["priority"]),
        metaphor_prone=bool(raw.get("metaphor_prone", False)),
        requires_any=frozenset(bare_word(w) for w in raw.get("requires_any", [])),
        block_next=frozenset(bare_word(w) for w in raw.get("block_next", [])),
        block_prev=frozenset(bare_word(w) for w in raw.get("block_prev", [])),
        generic=bool(raw.get("generic", False)),
        patient_first=bool(raw.get("patient_first", False)),
    )


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Parse and index the YAML lexicon once per process."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs: list[TriggerSpec] = []
    single: dict[str, list[TriggerSpec]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], TriggerSpec]]] = {}
    for raw in data["triggers"]:
        spec = _load_spec(raw)
        specs.append(spec)
        for w in raw.get("words", []) or []:
            single.setdefault(bare_word(w), []).append(spec)
        for ph in raw.get("phrases", []) or []:
            seq = tuple(bare_word(w) for w in ph)
            phrases.setdefault(seq[0], []).append((seq, spec))
    for lst in phrases.values():
        lst.sort(key=lambda p: -len(p[0]))
    cues = {name: frozenset(bare_word(w) for w in ws) for name, ws in (data.get("cues") or {}).items()}
    return Lexicon(specs=specs, single=single, phrases=phrases, cues=cues)

"""Who did what to whom: actor1 (attacker, first side) and actor2 (target, second side) of one clause.

Candidates come from four places, in the clause's word order:

- linked catalogue actors (``data/actors.yaml``), minus news sources, backers named with an actor
  ('المدعومة من'), and states named as a place ('في تركيا' is where, not who);
- unlinked organisations whose name starts like an armed group's ('لواء', 'كتائب', 'جبهة');
- forces named by a nationality adjective ('المقاتلات التركية', 'سلاح الجو الأردني', 'الشرطة المصرية') and,
  in Syria, unattributed warplanes and barrel bombs ('الطيران الحربي': the government's air force);
- unnamed sides: gunmen and suicide bombers (an unidentified armed group), and victims — civilians,
  policemen, soldiers — of the event's country.

Roles come from the words around each candidate (``data/event_vocabulary.yaml``): attacker marks
('على يد', 'من قبل', 'تبناه'), target marks ('على', 'ضد', 'مواقع', 'مقتل N من X'), the genitive after an
attack noun ('غارات التحالف' — agent) or a victim noun ('مقتل عناصر الشرطة' — patient), 'بين X وY' for
clashes, and Arabic's verb–subject order (the first actor after a finite attack verb is its subject).
Names follow ACLED's: 'Military Forces of Turkey', 'Police Forces of Egypt', 'Civilians (Turkey)',
'Unidentified Armed Group (Iraq)', 'Protesters (Syria)'.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from raqib.contracts.articles import Entity
from raqib.contracts.events import ActorRef
from raqib.stages.numbers import CASUALTY_WORDS, DUAL_PERSON_NOUNS
from raqib.stages.vocab import Vocabulary
from raqib.text.words import WordToken, words

Role = Literal["attacker", "target", "participant"]
Kind = Literal["named", "force", "generic", "victim"]
_ALLOWED_INTER = frozenset({"state_forces", "rebels", "political_militia", "identity_militia", "rioters",
                            "protesters", "civilians", "external_forces", "other"})  # fmt: skip
_SKIP_KINDS = frozenset({"media", "monitor", "source", "ngo", "organisation"})
#: killed / injured / captured words (raqib.stages.numbers): a person noun near one is a victim
_CASUALTY = CASUALTY_WORDS


@dataclass
class Candidate:
    """One possible side of the event: tokens [first, last] of the sentence and what it names."""

    first: int
    last: int
    ref: ActorRef
    kind: Kind
    root: str  # the side it stands for (catalogue root or name), to tell sides apart
    hint: Role | None = None
    marked: bool = False  # the role comes from a marker ('على يد', 'تبناه', 'على'), not from word order
    alias_of: Candidate | None = None  # the candidate this one repeats in brackets ('(قسد)')


class ActorReader:
    """Reads the sides of an event from one clause (see the module docstring)."""

    def __init__(self, catalogue: Any, vocab: Vocabulary, countries: dict[str, Any]):
        self.catalogue = catalogue
        self.vocab = vocab
        self.countries = countries
        self._adjectives = {adj: iso for iso, c in countries.items() for adj in c.adjectives}

    # ------------------------------------------------------------------ naming

    def _country_name(self, iso: str | None) -> str:
        c = self.countries.get(iso or "")
        return c.name_en if c is not None else "Syria"

    def forces_of(self, iso: str, police: bool = False, surface: str = "") -> tuple[ActorRef, str]:
        """The state's military (or police) as an actor: the catalogue's record where there is one."""
        name = self._country_name(iso)
        if police:
            return ActorRef(actor_id=None, name=f"Police Forces of {name}", surface=surface,
                            inter_code="state_forces"), f"police-{iso}"  # fmt: skip
        state = self.countries.get(iso)
        actor_id = f"{state.actor}-forces" if state is not None and state.actor else None
        if iso == "SY":
            actor_id = "sy-gov-forces"
        rec = self.catalogue.actor(actor_id) if actor_id and self.catalogue is not None else None
        if rec is not None:
            return self.of_record(rec, surface), self._root(rec.id)
        return ActorRef(actor_id=None, name=f"Military Forces of {name}", surface=surface,
                        inter_code="state_forces"), f"forces-{iso}"  # fmt: skip

    @staticmethod
    def of_record(rec: Any, surface: str = "", role: Role = "participant") -> ActorRef:
        """A catalogue actor as an event side (its inter code only when it is one ACLED uses)."""
        inter = rec.inter_code if rec.inter_code in _ALLOWED_INTER else None
        return ActorRef(actor_id=rec.id, name=rec.name_en, surface=surface, inter_code=inter, role=role)

    def campaign_target(self, attacker: ActorRef) -> ActorRef | None:
        """The side a declared campaign is against (actors.yaml ``campaign_target``), for an attacker that has
        one: what its air strikes hit when a report names no target. Not written in the text: no surface."""
        record = self.catalogue.actor(attacker.actor_id) if attacker.actor_id and self.catalogue is not None else None
        target = self.catalogue.actor(record.campaign_target) if record is not None and record.campaign_target else None
        return self.of_record(target, role="target") if target is not None else None

    def population(self, kind: Literal["civilians", "protesters"], iso: str | None, surface: str) -> ActorRef:
        name = {"civilians": "Civilians", "protesters": "Protesters"}[kind]
        return ActorRef(actor_id=kind, name=f"{name} ({self._country_name(iso)})", surface=surface, inter_code=kind)

    def unidentified(self, iso: str | None, surface: str = "", role: Role = "participant") -> ActorRef:
        """An armed group nobody names, of the country where it acted (ACLED's 'Unidentified Armed Group')."""
        return ActorRef(actor_id=None, name=f"Unidentified Armed Group ({self._country_name(iso)})", surface=surface,
                        inter_code="political_militia", role=role)  # fmt: skip

    def _root(self, actor_id: str) -> str:
        return self.catalogue.root_actor(actor_id) if self.catalogue is not None else actor_id

    def named(self, e: Entity, violent: bool) -> tuple[ActorRef, str] | None:
        """A linked or unlinked entity as an actor (None when it is not a party: a source, a place)."""
        rec = self.catalogue.actor(e.link_id) if e.link_kind == "actor" and self.catalogue is not None else None
        if rec is None:
            toks = words(e.text)
            if e.link_kind is None and e.label == "ORG" and toks and any(
                s in self.vocab.w("armed_group_heads") for s in toks[0].stems
            ):
                return ActorRef(actor_id=None, name=e.text, surface=e.text, inter_code=None), e.text
            return None
        if rec.kind in _SKIP_KINDS:
            return None
        actor_id = rec.id
        iso = self.catalogue.country_of_actor(actor_id)
        if rec.id in ("civilians", "protesters"):
            return None  # population words are read as victims / protesters with their country below
        if violent and iso and rec.kind in ("state", "government", "person"):
            return self.forces_of(iso, surface=e.text)  # a state acts through its armed forces (ACLED)
        return self.of_record(rec, e.text), self._root(actor_id)

    # ------------------------------------------------------------------ candidates

    def candidates(self, sentence: str, base: int, toks: list[WordToken], lo: int, hi: int, ents: list[Entity],
                   country: str | None, violent: bool) -> list[Candidate]:  # fmt: skip
        """Every possible side in tokens [lo, hi) of the sentence (``base`` = its offset in the clean text)."""
        voc = self.vocab
        out: list[Candidate] = []
        taken: set[int] = set()
        for e in ents:
            first = next((i for i, t in enumerate(toks) if base + t.start >= e.start), None)
            if first is None or not lo <= first < hi:
                continue
            last = max(first, next((i for i in range(len(toks) - 1, -1, -1) if base + toks[i].end <= e.end), first))
            if self._is_source(toks, first) or self._is_backer(toks, first) or self._is_place(e, toks, first):
                continue
            read = self.named(e, violent)
            if read is None:
                continue
            out.append(Candidate(first, last, read[0], "named", read[1]))
            taken.update(range(first, last + 1))
        casualty_context = any(s in _CASUALTY for t in toks[lo:hi] for s in t.stems)
        for i in range(lo, hi):
            if i in taken:
                continue
            stems = toks[i].stems
            nxt = toks[i + 1].stems if i + 1 < len(toks) else ()
            nxt2 = toks[i + 2].stems if i + 2 < len(toks) else ()
            police = any(s in voc.w("police_nouns") for s in stems)
            if police or any(s in voc.w("force_nouns") for s in stems):
                iso = self._adjective(nxt) or (self._adjective(nxt2) if i + 2 < hi else None)
                if iso is not None:
                    span_end = i + 1 if self._adjective(nxt) else i + 2
                    ref, root = self.forces_of(iso, police=police, surface=sentence[toks[i].start : toks[span_end].end])
                    out.append(Candidate(i, span_end, ref, "force", root))
                    taken.update(range(i, span_end + 1))
                    continue
            if country == "SY" and self._phrase_at(toks, i, voc.p("regime_air_phrases")):
                ref, root = self.forces_of("SY", surface=sentence[toks[i].start : toks[min(i + 1, hi - 1)].end])
                out.append(Candidate(i, i + 1, ref, "force", root, hint="attacker"))
                taken.update((i, i + 1))
                continue
            if any(s in voc.w("generic_armed_words") for s in stems) and not (i + 1 in taken or self._named_after(ents, toks, base, i)):
                ref = self.unidentified(country, sentence[toks[i].start : toks[i].end])
                out.append(Candidate(i, i, ref, "generic", f"unidentified-{country}"))
                continue
            if self._named_after(ents, toks, base, i):
                continue  # 'جنود النظام', 'مدنيين من …': the named actor after it is the side
            surface = sentence[toks[i].start : toks[i].end]
            if not casualty_context:
                continue  # 'تعزيزات عسكرية', 'سكان المدينة': people named, nobody hurt
            if any(s in voc.w("civilian_words") for s in stems):
                out.append(Candidate(i, i, self.population("civilians", country, surface), "victim", "civilians", "target"))
            elif any(s in voc.w("police_victim_words") for s in stems):
                ref, root = self.forces_of(country or "SY", police=True, surface=surface)
                out.append(Candidate(i, i, ref, "victim", root, "target"))
            elif any(s in voc.w("soldier_victim_words") for s in stems) and not self._adjective(nxt):
                ref, root = self.forces_of(country or "SY", surface=surface)
                out.append(Candidate(i, i, ref, "victim", root, "target"))
        out.sort(key=lambda c: c.first)
        return out

    def _adjective(self, stems: tuple[str, ...]) -> str | None:
        for s in stems[:2]:
            if s in self._adjectives:
                return self._adjectives[s]
        return None

    @staticmethod
    def _phrase_at(toks: list[WordToken], i: int, phrases: frozenset[tuple[str, ...]]) -> bool:
        return any(i + len(p) <= len(toks) and all(w in toks[i + k].stems for k, w in enumerate(p)) for p in phrases)

    def _named_after(self, ents: list[Entity], toks: list[WordToken], base: int, i: int) -> bool:
        """Is the next word the start of a linked actor ('مسلحي داعش', 'عناصر من التنظيم')?"""
        for j in (i + 1, i + 2):
            if j >= len(toks):
                return False
            if j == i + 2 and toks[i + 1].form != "من":
                return False
            start = base + toks[j].start
            if any(e.start == start and e.link_kind == "actor" for e in ents):
                return True
        return False

    def _is_source(self, toks: list[WordToken], first: int) -> bool:
        return any(s in self.vocab.w("source_words") for s in toks[first].stems)

    def _is_backer(self, toks: list[WordToken], k: int) -> bool:
        voc = self.vocab
        prev1 = toks[k - 1].stems if k >= 1 else ()
        prev2 = (toks[k - 2].form, toks[k - 1].form) if k >= 2 else ("", "")
        return prev2 in voc.p("backer_mark") or any(s in voc.w("qualifier_words") for s in prev1)

    def _is_place(self, e: Entity, toks: list[WordToken], k: int) -> bool:
        """A state named where something happened ('في تركيا', 'بسوريا', 'شمال العراق')."""
        if e.link_kind != "actor" or self.catalogue is None:
            return False
        rec = self.catalogue.actor(e.link_id)
        if rec is None or rec.kind != "state":
            return False
        prev = toks[k - 1].stems if k >= 1 else ()
        form = toks[k].form
        clitic = form[:1] == "ب" and form[1:] in toks[k].stems
        return clitic or any(s in self.vocab.w("locative_words") | self.vocab.w("origin_words") for s in prev)

    # ------------------------------------------------------------------ roles

    def read(self, sentence: str, base: int, lo: int, hi: int, trigger_first: int, trigger_last: int,
             trigger_verbal: bool, patient_trigger: bool, ents: list[Entity], country: str | None, event_type: str,
             family: str, sub_event_type: str = "", casualties: bool = False,
             ) -> tuple[ActorRef | None, ActorRef | None]:  # fmt: skip
        """(actor1, actor2) of the clause tokens [lo, hi) whose trigger is tokens [trigger_first, trigger_last]."""
        toks = words(sentence)
        violent = family == "violent"
        cands = [c for c in self.candidates(sentence, base, toks, lo, hi, ents, country, violent)
                 if c.kind != "generic" or c.last < trigger_first or c.first > trigger_last]  # 'هجوم انتحاري'  # fmt: skip
        voc = self.vocab
        cands, speakers = self._without_speakers(toks, lo, trigger_first, cands)
        between = next((k for k in range(lo, hi) if any(s in voc.w("between_words") for s in toks[k].stems)), None)
        for prev_c, c in pairwise(cands):
            # 'قوات سوريا الديمقراطية (قسد)': an alias in brackets is the same mention, read once
            gap = sentence[toks[prev_c.last].end : toks[c.first].start]
            if prev_c.root == c.root and gap.strip() in ("", "(", "«", '"', "-", "–"):
                c.alias_of = prev_c
        for c in cands:
            if c.hint is not None:
                continue
            if c.alias_of is not None:
                c.hint, c.marked = c.alias_of.hint, c.alias_of.marked
                continue
            k = c.first
            prev1 = toks[k - 1].stems if k >= 1 else ()
            prev2 = (toks[k - 2].form, toks[k - 1].form) if k >= 2 else ("", "")
            after = [st for t in toks[c.last + 1 : min(c.last + 4, hi)] for st in t.stems]
            if c.kind == "generic" and k in (trigger_last + 1, trigger_last + 2) \
                    and toks[k].form.endswith("ون"):
                c.hint, c.marked = "attacker", True  # 'قتل مسلحون مجهولون …': nominative, the verb's subject
            elif c.first <= trigger_last and c.last >= trigger_first and c.kind in ("named", "force"):
                c.hint = "attacker"  # the event word is part of the actor's name ('طائرات التحالف', 'الطيران الحربي')
            elif prev2 in voc.p("attacker_mark") or any(s in voc.w("attacker_single") | voc.w("claim_words") for s in prev1):
                c.hint, c.marked = "attacker", True
            elif any(s in voc.w("receive_verbs") for s in prev1):
                c.hint, c.marked = "target", True  # 'تلقت ميليشيات إيران ضربات': the side that was hit
            elif k >= 2 and toks[k - 1].form in ("الي", "لي") and any(
                s in voc.w("claim_words") for t in toks[max(lo, k - 4) : k - 1] for s in t.stems
            ):
                c.hint = "attacker"  # 'هجوم نسبته السلطات إلى التنظيم': the side it is attributed to
            elif any(s in voc.w("passive_casualty_words") for s in after[:3]) and c.kind in ("named", "force"):
                c.hint = "target"  # 'قياديا في تنظيم داعش … قتلوا في غارة': the side named before 'killed' died
            elif self._casualty_of(toks, k) or any(s in voc.w("target_single") for s in prev1) or (
                k >= 2 and toks[k - 2].form in ("علي", "ضد") and k > trigger_last
            ):
                c.hint = "target"
            elif k == trigger_last + 1 and not trigger_verbal:
                c.hint = "target" if patient_trigger else "attacker"  # the genitive after an attack/victim noun
            elif k == trigger_last + 1 or (k == trigger_last + 2 and toks[trigger_last + 1].form in ("امس", "اليوم")):
                subject = c.kind == "generic" and toks[k].form.endswith("ون")  # 'قتل مسلحون …': nominative
                # 'استهدفت المقاتلات التركية قرية …': aircraft after the verb fly the strike, they are not its target
                subject = subject or (c.kind == "force" and any(s in voc.w("aerial_words") for s in toks[k].stems))
                c.hint = "target" if patient_trigger and trigger_verbal and c.kind != "named" and not subject else (
                    "attacker" if trigger_verbal else None)  # fmt: skip
            elif k < trigger_first and c.kind in ("named", "force"):
                c.hint = "attacker"
        for prev_c, c in pairwise(cands):
            # '14 عنصراً من قوات النظام وميليشيا الدفاع الوطني': what is listed with a losing side lost too
            gap = sentence[toks[prev_c.last].end : toks[c.first].start]
            coordinated = (not gap.strip() and toks[c.first].form.startswith("و")) or gap.strip() in ("و", "،")
            if prev_c.hint == "target" and coordinated and c.kind in ("named", "force"):
                c.hint, c.marked = "target", True
        if between is not None and event_type == "Battles":
            sides = [c for c in cands if c.first > between and c.kind in ("named", "force", "generic")]
            # 'بين X وY من جهة، وZ من جهة أخرى': the first side ends at the first 'من جهة'
            marker = next((k for k in range(between + 1, hi - 1)
                           if toks[k].form == "من" and toks[k + 1].stems[-1] in ("جهه", "ناحيه")), None)  # fmt: skip
            if marker is not None:
                first = [c for c in sides if c.first < marker]
                second = [c for c in sides if c.first > marker + 1]
                if first and second and first[0].root != second[0].root:
                    return self._battle_sides(first[0], second[0], cands)
            if len(sides) >= 2 and sides[0].root != sides[1].root:
                return self._battle_sides(sides[0], sides[1], cands)
        attackers = sorted((c for c in cands if c.hint == "attacker" and c.kind != "victim"), key=lambda c: not c.marked)
        targets = [c for c in cands if c.hint == "target"]
        unmarked = [c for c in cands if c.hint is None and c.kind in ("named", "force", "generic")]
        a1 = attackers[0] if attackers else None
        if a1 is None:
            before = [c for c in unmarked if c.last < trigger_first]
            after = [c for c in unmarked if c.first > trigger_last]
            a1 = before[-1] if before else (after[0] if after and not patient_trigger else None)
        if a1 is None and speakers:
            a1 = speakers[0]
        rest = [c for c in targets + unmarked if c is not a1 and (a1 is None or c.root != a1.root)]
        named_targets = [c for c in rest if c.kind in ("named", "force") and c.hint == "target"]
        a2 = named_targets[0] if named_targets else (rest[0] if rest else None)
        if event_type == "Battles" and a2 is None and a1 is not None:
            others = [c for c in cands if c.root != a1.root and c.kind in ("named", "force")]
            a2 = others[0] if others else None
        battle = event_type == "Battles"
        ref1 = self._ref(a1, "participant" if battle else "attacker") if a1 else None
        ref2 = self._ref(a2, "participant" if battle else "target") if a2 else None
        if family == "protest":
            return self.population("protesters", country, ""), ref1 if ref1 is not None and ref1.inter_code != "protesters" else ref2
        if ref2 is None and (event_type == "Violence against civilians" or (
                sub_event_type in ("Suicide bomb", "Remote explosive/landmine/IED") and casualties)):
            # a bombing that killed people nobody names as fighters: civilians of the country (ACLED)
            ref2 = self.population("civilians", country, "")
        return ref1, ref2

    def _without_speakers(self, toks: list[WordToken], lo: int, trigger_first: int, cands: list[Candidate],
                          ) -> tuple[list[Candidate], list[Candidate]]:  # fmt: skip
        """'قالت وزارة الداخلية التركية في بيان إن انفجارا …': who reports, between a reporting verb and 'إن' before
        the trigger, is no side. They are returned apart: a report that names no attacker at all ('قالت وزارة
        الدفاع الأمريكية إن طائراتها …') is a self-report, and its speaker is the attacker."""
        report = next((k for k in range(lo, trigger_first)
                       if any(s in self.vocab.w("report_verbs") for s in toks[k].stems)), None)  # fmt: skip
        that = next((k for k in range(report + 1, trigger_first) if toks[k].form in ("ان", "بان")), None) \
            if report is not None else None  # fmt: skip
        if report is None or that is None:
            return cands, []
        speakers = [c for c in cands if report < c.first < that and c.kind in ("named", "force")]
        return [c for c in cands if not report < c.first < that], speakers

    def _battle_sides(self, one: Candidate, other: Candidate, cands: list[Candidate]) -> tuple[ActorRef, ActorRef]:
        """'بين X وY' in order, unless the clause says Y attacked ('إثر هجوم شنه Y', 'هاجم Y'): ACLED's actor1
        of a battle is the side that started it."""
        attackers = {c.root for c in cands if c.hint == "attacker" and c.kind != "victim"}
        if other.root in attackers and one.root not in attackers:
            one, other = other, one
        return self._ref(one, "participant"), self._ref(other, "participant")

    @staticmethod
    def _ref(c: Candidate, role: Role) -> ActorRef:
        return c.ref.model_copy(update={"role": role})

    def _casualty_of(self, toks: list[WordToken], k: int) -> bool:
        """'عنصراً من X', 'مقتل 5 من X', 'قتلى X': X is the side that took the losses."""
        voc = self.vocab
        nouns = (voc.w("combatant_words") - voc.w("unit_words")) | voc.w("extra_casualty_nouns")
        if k >= 1 and any(s in voc.w("patient_nouns") for s in toks[k - 1].stems):
            return True
        if k < 2 or toks[k - 1].form not in ("من", "في"):
            return False
        before = toks[k - 2]
        if toks[k - 1].form == "في":
            # 'قتل قيادي في تنظيم داعش': the organisation the dead man belonged to
            return any(st in nouns for st in before.stems) and any(
                s in _CASUALTY for t in toks[max(0, k - 4) : k - 2] for s in t.stems
            )
        if any(st in nouns or st in DUAL_PERSON_NOUNS for st in before.stems):
            return True  # 'عنصراً من X', 'عنصران من الشرطة التركية'

        return before.form.isdigit() or any(s in voc.w("patient_nouns") for s in before.stems)

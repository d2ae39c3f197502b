"""Event tagging: who did what to whom, where, when and how many — one ``Event`` per distinct event.

Per sentence (``EntityTaggedArticle.sentences``, else ``raqib.text.tokenize.sentence_spans``) the text is cut
into clauses at connectors that start a new report ('كما', 'فيما', 'بينما', 'في حين', 'من جهة أخرى' …).
In each clause the trigger lexicon (``raqib.stages.lexicon``) proposes ACLED/PLOVER types; context cues drop
or weaken them (negation 'لم/نفى', intent/future 'تعتزم/ستبدأ', sport/economy/tech/health metaphors,
cumulative tallies 'بلغت حصيلة … منذ'); the highest-priority surviving trigger names the sub-type. The
clause's linked entities give actors (direction from markers like 'على يد' / 'على' / 'مواقع' and
VSO order) and the location (most specific place in the clause, else sentence, paragraph, headline);
``raqib.stages.numbers`` reads casualties per side; ``raqib.stages.timex`` dates the clause against the article.

Cumulative tallies: a clause that reports a running total ('حصيلة' + 'منذ/خلال/حتى') yields no
fatalities; when its only trigger is a casualty word it yields no event at all.

``detect(text)`` is the same machinery without entities: the sentence classifier scored by
``raqib.tools.eval_events``. A sentence is ASSAULT-positive iff a violent-family event is detected.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Protocol

from raqib.contracts.articles import Entity, EntityTaggedArticle, SentenceSpan
from raqib.contracts.base import stable_id
from raqib.contracts.events import ActorRef, Count, Event, Evidence, Location, SideCount
from raqib.stages.actors import ActorReader
from raqib.stages.incidents import BACKGROUND_DAYS, Mention, Status, merge, resolved, split_by_place
from raqib.stages.lexicon import Lexicon, RefinementName, TriggerMatch, load_lexicon
from raqib.stages.mention_model import MODEL_PATH, MentionModel
from raqib.stages.numbers import CasualtyMention, casualty_mentions
from raqib.stages.places import default_countries
from raqib.stages.stories import provisional_story
from raqib.stages.timex import resolve_event_date
from raqib.stages.vocab import place_vocabulary, vocabulary
from raqib.text.normalize import matching_form
from raqib.text.words import WordToken, words

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "rules-2026.12"
VIOLENT_TYPES = frozenset({"Battles", "Explosions/Remote violence", "Violence against civilians"})
PROTEST_TYPES = frozenset({"Protests", "Riots"})
#: sub-types whose unnamed attacker is coded "Unidentified Armed Group (country)" (PROTOCOL.md, ACLED)
UNCLAIMED_BOMBING_SUB_TYPES = frozenset({"Remote explosive/landmine/IED", "Suicide bomb"})


class CatalogueLike(Protocol):
    """What the tagger needs from ``raqib.stages.linking.Catalogue``."""

    def place(self, place_id: str) -> Any: ...

    def actor(self, actor_id: str) -> Any: ...

    def root_actor(self, actor_id: str) -> str: ...


# ---------------------------------------------------------------- word lists: data/event_vocabulary.yaml

_V = vocabulary()

_SITE_PRECISION = {"site": 1, "subdistrict": 1, "district": 2, "governorate": 3, "country": 3}
_YEAR_RE = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")
_PARA_RE = re.compile(r"\n\s*\n")
_VERB_PREFIX = ("ي", "ت")


@dataclass
class Detection:
    """One event candidate in a clause of a text (offsets into that text)."""

    start: int
    end: int
    trigger: TriggerMatch
    event_type: str
    sub_event_type: str
    plover_type: str
    plover_mode: str | None
    family: str
    confidence: float
    casualties: list[CasualtyMention] = field(default_factory=list)
    cumulative: bool = False
    notes: list[str] = field(default_factory=list)
    evidence: int = 0
    tok_lo: int = 0
    tok_hi: int = 0


# ---------------------------------------------------------------- clause detection (no entities)


#: Place nouns before a name the gazetteer lacks ('بلدة', 'قريتي', 'ريف', 'حي'): data/place_vocabulary.yaml.
_PLACE_NOUNS = frozenset(w for p in place_vocabulary().p("place_words") for w in p[:1]) | frozenset(
    w for p in place_vocabulary().p("town_words") for w in p[:1]
)
#: Nouns that, with a nationality adjective, place an event in that country ('الأراضي التركية').
_ADJECTIVE_PLACE_NOUNS = _PLACE_NOUNS | _V.w("country_place_nouns")


def _clauses(text: str, toks: list[WordToken]) -> list[tuple[int, int]]:
    """Token ranges of the clauses of one sentence."""
    cuts = [0]
    for i in range(1, len(toks)):
        form = toks[i].form
        bare = form[1:] if form[:1] == "و" and len(form) > 3 else form
        gap = text[toks[i - 1].end : toks[i].start]
        side_marker = (bare, toks[i + 1].form if i + 1 < len(toks) else "") in _V.p("side_pairs") and any(
            t.form in _V.w("between_words") or t.form[1:] in _V.w("between_words") for t in toks[cuts[-1] : i]
        )  # 'بين X من جهة وY من جهة أخرى': the sides of a clash, not a new report
        if not side_marker and (
            bare in _V.w("clause_start")
            or (i + 1 < len(toks) and (bare, toks[i + 1].form) in _V.p("clause_pair"))
            or "؛" in gap
            or (("،" in gap or "," in gap) and form in _V.w("comma_clause_start"))
        ) and i - cuts[-1] >= 3:
            cuts.append(i)
    cuts.append(len(toks))
    return [(cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1) if cuts[k + 1] > cuts[k]]


def _any_stem(toks: list[WordToken], lo: int, hi: int, wanted: frozenset[str]) -> bool:
    return any(s in wanted for t in toks[max(lo, 0) : min(hi, len(toks))] for s in t.stems)


def _has_pair(toks: list[WordToken], lo: int, hi: int, phrases: Iterable[tuple[str, ...]]) -> bool:
    """Does a phrase (token sequence, each compared with a token's stems) occur in tokens [lo, hi)?"""
    hi = min(hi, len(toks))
    for k in range(max(lo, 0), hi):
        for seq in phrases:
            if k + len(seq) <= hi and all(w in toks[k + i].stems for i, w in enumerate(seq)):
                return True
    return False


class _ClauseJudge:
    """Suppression and weighting of triggers inside one clause."""

    def __init__(
        self, lex: Lexicon, text: str, toks: list[WordToken], lo: int, hi: int, anchor_year: int | None
    ):
        self.lex, self.text, self.toks, self.lo, self.hi = lex, text, toks, lo, hi
        self.anchor_year = anchor_year
        # a sport/economy/… word in the sentence makes a metaphor-prone trigger suspect, unless the clause
        # itself names armed actors ('حقل شاعر' is a gas field, not a poet, next to 'قوات النظام')
        self.metaphor = any(
            lex.has_cue(c, toks, 0, len(toks)) is not None
            for c in ("sport", "economy", "tech", "health", "culture")
        ) and not _any_stem(toks, lo, hi, vocabulary().w("conflict_context"))
        self.denied = lex.has_cue("denial", toks, 0, hi) is not None

    def suppressed(self, m: TriggerMatch) -> str | None:
        """Why a trigger does not report an event here (None when it does)."""
        lex, toks = self.lex, self.toks
        if self.denied:
            return "denied"
        if m.spec.metaphor_prone and self.metaphor:
            return "metaphor"
        neg = lex.has_cue("negation_before", toks, m.tok_start - 3, m.tok_start)
        # 'دون' negates only what follows it directly ('دون وقوع' negates the casualties, not the attack)
        if neg is not None and (toks[neg].form not in _V.w("adjacent_negators") or neg == m.tok_start - 1):
            return "negated"
        if lex.has_cue("intent", toks, max(self.lo, m.tok_start - 8), m.tok_start) is not None:
            return "intent"
        for k in range(max(self.lo, m.tok_start - 3), m.tok_start):
            if (
                toks[k].form == "قد"
                and k + 1 < len(toks)
                and toks[k + 1].form[:1] in ("ي", "ت")
                and not toks[k + 1].form.startswith("تم")
            ):
                return "hypothetical"
        if m.spec.requires_any and not _any_stem(toks, self.lo, self.hi, m.spec.requires_any):
            return "missing_context"
        return None

    def penalty(self) -> tuple[float, list[str]]:
        """Confidence deductions that do not suppress: generic statements, history, questions."""
        pen, notes = 0.0, []
        if self.lex.has_cue("generic", self.toks, self.lo, self.hi) is not None:
            pen += 0.15
            notes.append("generic")
        clause_text = (
            self.text[self.toks[self.lo].start : self.toks[self.hi - 1].end] if self.hi > self.lo else ""
        )
        years = [int(y) for y in _YEAR_RE.findall(clause_text)]
        if self.anchor_year and years and max(years) <= self.anchor_year - 2:
            pen += 0.2
            notes.append("historical")
        if "؟" in clause_text or "?" in clause_text:
            pen += 0.2
            notes.append("question")
        return pen, notes

    def cumulative(self) -> bool:
        return (
            self.lex.has_cue("tally", self.toks, self.lo, self.hi) is not None
            and self.lex.has_cue("tally_period", self.toks, self.lo, self.hi) is not None
        )


def _is_verbal(form: str) -> bool:
    """Finite-verb look of a trigger word (present prefix, or perfect -ت/-وا), for VSO role order."""
    return form.startswith(_VERB_PREFIX) or (form.endswith(("ت", "وا")) and not form.endswith("ات"))


def _refine(lex: Lexicon, best: TriggerMatch, alive: list[TriggerMatch], toks: list[WordToken], lo: int, hi: int,
            cas: list[CasualtyMention]) -> tuple[str, str, str, str | None]:  # fmt: skip
    """Final (event_type, sub_event_type, plover, mode) for a clause from its best trigger and context.

    Which triggers each refinement applies to is data (``refinements`` in ``event_triggers.yaml``)."""
    spec = best.spec
    etype, sub, plover, mode = spec.event_type, spec.sub_event_type, spec.plover, spec.mode
    ids = {m.spec.id for m in alive}

    def present(name: RefinementName) -> bool:
        return not ids.isdisjoint(lex.refined(name))

    if spec.family in ("protest", "riot") or present("protest_clause"):
        if present("riot") and present("protest"):
            return "Riots", "Violent demonstration", "PROTEST", "riot"
        if spec.family == "riot":
            return "Riots", "Violent demonstration", "PROTEST", "riot"
        killed = any(c.kind == "killed" and (c.count.exact or c.count.min or 0) > 0 for c in cas)
        if _has_pair(toks, lo, hi, _V.p("excessive_force")) or killed or present("casualty"):
            return "Protests", "Excessive force against protesters", "PROTEST", "demonstrate"
        if _any_stem(toks, lo, hi, _V.w("intervention_words")) or present("arrest"):
            return "Protests", "Protest with intervention", "PROTEST", "demonstrate"
        return "Protests", "Peaceful protest", "PROTEST", "demonstrate"
    if spec.id in lex.refined("raid") and present("arrest"):
        # 'سلسلة مداهمات … استهدفت عناصر داعش': the raids targeted people to arrest, nothing was shelled
        return "Strategic developments", "Arrests", "COERCE", "arrest"
    if spec.id in lex.refined("abduction") and _any_stem(toks, best.tok_end, min(hi, best.tok_end + 4), vocabulary().w("combatant_words")) \
            and not _any_stem(toks, best.tok_end, min(hi, best.tok_end + 4), vocabulary().w("civilian_words")):
        # 'خطفت جبهة النصرة ثمانية عناصر من الفرقة 30': fighters seized outside a battle are arrests (ACLED)
        return "Strategic developments", "Arrests", "COERCE", "arrest"
    if spec.id in lex.refined("battle_fire") and present("battle"):
        # 'اشتباكات … ترافقت مع قصف جوي على منطقة الاشتباكات': shelling or air strikes named as part of a
        # battle in the same clause fold into that battle (ACLED; the gold protocol)
        return "Battles", "Armed clash", "FIGHT", "clash"
    if spec.id in lex.refined("aerial") and _any_stem(toks, lo, hi, _V.w("aerial_words")):
        return "Explosions/Remote violence", "Air/drone strike", "ASSAULT", "aerial"
    if spec.id in lex.refined("victim_side"):
        victims_civil = any(
            c.side_surface
            and any(w in _V.w("civilian_words") for w in (s for t in words(c.side_surface) for s in t.stems))
            for c in cas
        ) or _any_stem(toks, best.tok_end, min(hi, best.tok_end + 4), _V.w("civilian_words"))
        combatants = _any_stem(toks, lo, hi, _V.w("combatant_words"))
        if spec.id in lex.refined("casualty"):
            if combatants and not victims_civil:
                return "Battles", "Armed clash", "FIGHT", "clash"
            return "Violence against civilians", "Attack", "ASSAULT", "kill"
        if spec.id in lex.refined("one_sided_attack") and victims_civil and not combatants:
            return "Violence against civilians", "Attack", "ASSAULT", "attack"
    return etype, sub, plover, mode


def detect(text: str, *, anchor_year: int | None = None, lexicon: Lexicon | None = None) -> list[Detection]:
    """Event candidates in one sentence (or short text), one per clause with a surviving trigger."""
    lex = lexicon or load_lexicon()
    toks = words(text)
    if not toks:
        return []
    matches = lex.find(text, toks)
    out: list[Detection] = []
    for lo, hi in _clauses(text, toks):
        clause_matches = [m for m in matches if lo <= m.tok_start < hi]
        if not clause_matches:
            continue
        judge = _ClauseJudge(lex, text, toks, lo, hi, anchor_year)
        alive: list[TriggerMatch] = []
        notes: list[str] = []
        for m in clause_matches:
            why = judge.suppressed(m)
            if why is None:
                alive.append(m)
            else:
                notes.append(f"{m.spec.id}:{why}")
        # a violent word that is only the object of a protest ('احتجاجا على القصف') is not a second event
        if any(m.spec.family == "protest" and m.spec.strength >= 0.7 for m in alive):
            alive = [
                m
                for m in alive
                if m.spec.family != "violent"
                or not _any_stem(toks, m.tok_start - 3, m.tok_start, _V.w("protest_object"))
            ]
        if not alive:
            continue
        start, end = toks[lo].start, toks[hi - 1].end
        disrupted = next((m for m in alive if m.spec.id in lex.refined("foiling")), None)
        if disrupted is not None and not any(
            (c.count.exact or c.count.min or 0) > 0
            for c in casualty_mentions(text[start:end])
            if c.kind == "killed"
        ):
            # 'أحبطت هجوماً بسيارة مفخخة': the attack named after 'أحبط' did not happen
            alive = [m for m in alive if m.spec.family != "violent" or m.tok_start < disrupted.tok_start]
        clause_text = text[start:end]
        cas = [
            CasualtyMention(**{**c.__dict__, "start": c.start + start, "end": c.end + start,
                               "side_start": None if c.side_start is None else c.side_start + start,
                               "side_end": None if c.side_end is None else c.side_end + start})
            for c in casualty_mentions(clause_text)
        ]  # fmt: skip
        cumulative = judge.cumulative()
        if cumulative:
            alive = [m for m in alive if m.spec.id not in lex.refined("casualty")]
            notes.append("cumulative")
            if not alive:
                continue
        best = max(alive, key=lambda m: (m.spec.priority, m.spec.strength))
        etype, sub, plover, mode = _refine(lex, best, alive, toks, lo, hi, cas)
        conf = best.spec.strength
        families = {m.spec.id for m in alive if m.spec.family == best.spec.family}
        conf += 0.05 * min(2, len(families) - 1)
        if any((c.count.exact or c.count.min or 0) > 0 for c in cas) and not cumulative:
            conf += 0.1
        pen, pen_notes = judge.penalty()
        conf -= pen + (0.2 if cumulative else 0.0)
        evidence = _evidence(toks, lo, hi, best, cas, bool(pen_notes))
        if best.spec.family == "strategic":
            evidence = max(
                evidence, 2
            )  # announcements are the event itself; the gate is for violence/protest
        if evidence < 2:
            # a bare mention ('الهجوم', 'عمليات انتحارية') names an attack without reporting one
            conf -= 0.3 if evidence == 1 else 0.45
            pen_notes.append(f"weak_occurrence:{evidence}")
        out.append(
            Detection(
                start=start,
                end=end,
                trigger=best,
                event_type=etype,
                sub_event_type=sub,
                plover_type=plover,
                plover_mode=mode,
                family="violent"
                if etype in VIOLENT_TYPES
                else "protest"
                if etype in PROTEST_TYPES
                else "strategic",
                confidence=max(0.0, min(1.0, conf)),
                casualties=[] if cumulative else cas,
                cumulative=cumulative,
                evidence=evidence,
                notes=notes + pen_notes,
                tok_lo=lo,
                tok_hi=hi,
            )
        )
    return _merge_casualty_only(out, lex.refined("casualty"))


def _evidence(toks: list[WordToken], lo: int, hi: int, best: TriggerMatch, cas: list[CasualtyMention],
              penalised: bool) -> int:  # fmt: skip
    """How strongly the clause reports something *happening* rather than naming it.

    Casualty figures count 2; a time anchor, a finite event verb and a verbal trigger 1 each; a definite
    noun trigger ('الهجوم') and a historical/generic/question clause take 1 and 2 away. The tagger adds
    1 for a linked place and 1 for a linked actor in the clause; below 2 the confidence is cut.
    """
    score = 2 if any((c.count.exact or c.count.min or 0) > 0 for c in cas) else 0
    score += int(_any_stem(toks, lo, hi, _V.w("time_words"))) + int(_any_stem(toks, lo, hi, _V.w("event_verbs")))
    form = toks[best.tok_start].form
    score += int(_is_verbal(form))
    bare = form[1:] if form[:1] in ("و", "ف") else form
    score -= int(bare.startswith(("ال", "لل", "بال")))
    score -= 2 if penalised else 0
    return score


def _merge_casualty_only(dets: list[Detection], casualty_ids: frozenset[str]) -> list[Detection]:
    """'… مما أدى إلى مقتل …' after a violent clause belongs to that clause's event, not a new one."""
    merged: list[Detection] = []
    for d in dets:
        prev = merged[-1] if merged else None
        if prev is not None and d.trigger.spec.id in casualty_ids and prev.family == "violent":
            prev.casualties.extend(d.casualties)
            prev.end = d.end
            prev.tok_hi = d.tok_hi
            prev.confidence = min(1.0, max(prev.confidence, d.confidence) + (0.05 if d.casualties else 0.0))
            continue
        merged.append(d)
    return merged


def classify_sentence(text: str, *, anchor_year: int | None = None, threshold: float = 0.5) -> set[str]:
    """Families ('violent', 'protest', 'strategic') the tagger would emit an event for in this text."""
    return {d.family for d in detect(text, anchor_year=anchor_year) if d.confidence >= threshold}


# ---------------------------------------------------------------- the tagger


def _count_sum(counts: list[Count]) -> Count:
    """Total of several per-side counts (exact when all are exact; else min/max sums)."""
    if all(c.exact is not None for c in counts):
        total = sum(c.exact or 0 for c in counts)
        return Count(min=total, max=total, exact=total, approximate=any(c.approximate for c in counts),
                     text=" + ".join(c.text or "" for c in counts))  # fmt: skip
    mins = [c.min if c.min is not None else (c.exact or 0) for c in counts]
    maxs = [c.max if c.max is not None else c.exact for c in counts]
    return Count(
        min=sum(m or 0 for m in mins),
        max=sum(m for m in maxs if m is not None) if all(m is not None for m in maxs) else None,
        approximate=True,
        text=" + ".join(c.text or "" for c in counts),
    )


class EventTagger:
    """Rules over linked entities → ACLED-typed events, one per incident (see ``raqib.stages.incidents``)."""

    def __init__(
        self,
        catalogue: CatalogueLike | None = None,
        *,
        version: str = EXTRACTOR_VERSION,
        min_confidence: float = 0.5,
        lexicon: Lexicon | None = None,
        model: MentionModel | Literal["default"] | None = "default",
    ) -> None:
        self.catalogue = catalogue
        self.min_confidence = min_confidence
        self.lexicon = lexicon or load_lexicon()
        self.vocab = vocabulary()
        if model == "default":
            model = MentionModel.load() if MODEL_PATH.exists() else None
            if model is None:
                log.warning("no mention model at %s: every rule-detected mention is kept", MODEL_PATH)
        self.model: MentionModel | None = model
        self.actor_reader = ActorReader(catalogue, self.vocab, self._countries())
        #: words that may stand between a place and the wider place it lies in (see _describes_where)
        self._within_words = self.vocab.w("locative_words") | self.vocab.w("admin_unit_words")
        self.version = f"{version}+{model.version}" if model is not None else version

    # -- catalogue helpers
    def _place(self, place_id: str | None) -> Any:
        return self.catalogue.place(place_id) if place_id and self.catalogue is not None else None

    def _actor(self, actor_id: str | None) -> Any:
        return self.catalogue.actor(actor_id) if actor_id and self.catalogue is not None else None

    def _countries(self) -> dict[str, Any]:
        return getattr(self.catalogue, "countries", None) or default_countries()

    # -- main entry
    def tag(self, article: EntityTaggedArticle) -> list[Event]:
        """All distinct current incidents of one article (possibly none)."""
        return self.assemble(article, self.mentions(article))

    def assemble(
        self, article: EntityTaggedArticle, mentions: list[Mention], model: MentionModel | Literal["own"] | None = "own"
    ) -> list[Event]:
        """Events from an article's mentions: current ones the mention model keeps, split by place, merged."""
        model = self.model if model == "own" else model
        current: list[Mention] = []
        for m in mentions:
            if m.status != "current":
                continue
            if model is not None:
                m.score = model.score(m.features)
                if m.score < model.threshold:
                    continue
                m.confidence = m.score
            current.append(m)
        incidents = [resolved(inc) for inc in merge(split_by_place(current))]
        # what ACLED coders fill in that the clause leaves open, in this order: an unclaimed bomb's attacker, the
        # country of the Syrian government's strikes, the article's one air attacker, a campaign's target
        for m in incidents:
            self._unclaimed_bombing(m)
            self._regime_in_syria(m)
        _article_air_power(incidents)
        for m in incidents:
            self._campaign_target(m)
        return [self._event(article, m) for m in incidents]

    def _campaign_target(self, m: Mention) -> None:
        """An air strike whose attacker has a declared campaign enemy (actors.yaml ``campaign_target``) and
        whose report names no target: that enemy ('غارات التحالف قرب الموصل' — against ISIS, as ACLED codes it)."""
        if m.sub_event_type == "Air/drone strike" and m.actor1 is not None and m.actor2 is None:
            m.actor2 = self.actor_reader.campaign_target(m.actor1)

    def _regime_in_syria(self, m: Mention) -> None:
        """Places the catalogue does not know ('بلدات حيان وبيانون وماير') take the article's country; when the
        Syrian government's forces are a side, that country is Syria, whatever else the article is about."""
        loc = m.location
        from_context = loc is not None and loc.geo_precision == 4 and not m.location_from_clause
        if loc is None or (loc.place_id is not None and not from_context) or loc.country_code in (None, "SY") \
                or self.catalogue is None:
            return
        sides = [a.actor_id for a in (m.actor1, m.actor2) if a is not None and a.actor_id]
        if any(self.catalogue.root_actor(a) == "sy-gov" for a in sides):
            m.location = self._country_location("SY", "") if from_context else \
                loc.model_copy(update={"country": "Syria", "country_code": "SY", "province": None})

    def _unclaimed_bombing(self, m: Mention) -> None:
        """A bomb nobody in the article claims or is blamed for: ACLED's unidentified armed group of the country,
        not an unknown side (dev gold codes 15 of 18 unnamed IED attackers so, and 4 of 10 suicide bombers)."""
        if m.actor1 is None and m.sub_event_type in UNCLAIMED_BOMBING_SUB_TYPES and m.location is not None \
                and m.location.country_code:
            m.actor1 = self.actor_reader.unidentified(m.location.country_code, role="attacker")

    def mentions(self, article: EntityTaggedArticle) -> list[Mention]:
        """Every clause of the article that reports an event, with its status (current/aggregate/background)."""
        clean = article.article
        text = clean.text
        spans = article.sentences or _sentence_spans(text)
        anchor = clean.published_at or clean.ingested_at
        paragraphs = [0] + [m.end() for m in _PARA_RE.finditer(text)]
        default_country = self._article_country(article, spans)
        out: list[Mention] = []
        seen_text: set[str] = set()
        self._last_dated: tuple[int, date, str] | None = None  # (paragraph start, day, precision) of the last dated mention
        for si, span in enumerate(spans):
            sentence = text[span.start : span.end]
            if not sentence.strip():
                continue
            for det in detect(sentence, anchor_year=anchor.year, lexicon=self.lexicon):
                c_start, c_end = span.start + det.start, span.start + det.end
                ents = [e for e in article.entities if c_start <= e.start and e.end <= c_end]
                sent_ents = [e for e in article.entities if span.start <= e.start and e.end <= span.end]
                conf = det.confidence
                if det.family == "strategic" and not (
                    any(e.link_kind == "actor" for e in sent_ents)
                    or _any_stem(words(sentence), 0, 10_000, self.vocab.w("conflict_context"))
                ):
                    continue  # a company's 'اتفاقية' or 'انسحاب' is not a conflict development
                has_actor = any(e.link_kind == "actor" for e in ents)
                has_place = any(e.link_kind == "place" for e in ents)
                if det.evidence < 2:
                    conf += {0: 0.45, 1: 0.3}.get(det.evidence, 0.45) * min(1.0, 0.5 * (has_actor + has_place))
                conf = min(1.0, conf + 0.05 * (has_actor + has_place))
                if conf < self.min_confidence:
                    continue
                key_text = " ".join(text[c_start:c_end].split())
                if key_text in seen_text:
                    continue  # a repeated paragraph (the page duplicated the story)
                seen_text.add(key_text)
                out.append(self._mention(article, det, si, span, spans, paragraphs, c_start, c_end, ents,
                                         sent_ents, conf, default_country))  # fmt: skip
        self._inherit_attackers(out, paragraphs)
        _inherit_governorates(out, paragraphs)
        title_families = {d.family for d in detect(clean.title, lexicon=self.lexicon)} if clean.title else set()
        busy = len({m.sentence_index for m in out}) / max(1, len(spans))
        for m in out:  # article-level context: a news report of incidents, or commentary that names wars
            m.features["title_family" if m.family in title_families else "title_other"] = 1.0
            m.features[f"busy:{min(int(busy * 10), 6)}"] = 1.0
            m.features[f"mentions:{min(len(out), 12) // 3}"] = 1.0
        return out

    def _mention(self, article: EntityTaggedArticle, det: Detection, si: int, span: SentenceSpan,
                 spans: list[SentenceSpan], paragraphs: list[int], c_start: int, c_end: int, ents: list[Entity],
                 sent_ents: list[Entity], conf: float, default_country: str) -> Mention:  # fmt: skip
        clean = article.article
        text = clean.text
        places = self._scene_places(text, ents, (c_start, c_end))
        if any(p.place_id is None and p.admin1 is None and p.country_code in (None, "SY") for p in places):
            # a village without its governorate: the area the sentence names around the clause ('بريف إدلب')
            around = self._scene_places(text, [e for e in sent_ents if not (c_start <= e.start < c_end)])
            area = next((p for p in around if p.geo_precision in (2, 3) and p.admin1), None)
            if area is not None:
                places = [p.model_copy(update={"admin1": area.admin1})
                          if p.place_id is None and p.admin1 is None and p.country_code in (None, "SY") else p
                          for p in places]  # fmt: skip
        from_clause = bool(places)
        if not places:
            places = self._scene_places(text, [e for e in sent_ents if not (c_start <= e.start < c_end)])
        trigger_at = span.start + det.trigger.start

        def nearest(loc: Location) -> tuple[int, int]:
            """Most specific first; of equals, the one nearest the event word."""
            at = text.find(loc.surface, span.start, span.end) if loc.surface else -1
            return loc.geo_precision, abs(at - trigger_at) if at >= 0 else 10_000

        location = min(places, key=nearest) if places else None
        if location is None or location.country_code is None:
            context = self._context_location(article, spans, si, paragraphs, default_country)
            if location is None:
                location = context
            else:  # a village named without its country: the paragraph's or the article's
                iso = context.country_code or "SY"
                places = [p.model_copy(update={"country_code": iso, "country": context.country,
                                               "admin1": p.admin1 if iso == "SY" else None})
                          if p.country_code is None else p for p in places]  # fmt: skip
                location = min(places, key=nearest)
        actor1, actor2 = self._read_actors(det, text, span, ents, location)
        if det.sub_event_type == "Non-state actor overtakes territory" and actor1 is not None and (
            actor1.inter_code == "state_forces" or (actor1.actor_id or "").endswith("-forces")
        ):
            det.sub_event_type = "Government regains territory"  # a state's forces taking ground back
        clause = text[c_start:c_end]
        sentence = text[span.start : span.end]
        para_start = _paragraph_start(paragraphs, span.start)
        last = self._last_dated if self._last_dated and self._last_dated[0] == para_start else None
        previous = last[1] if last is not None else None
        ev_date, precision, basis, _ = resolve_event_date(clause, clean.published_at, clean.ingested_at, previous)
        if basis != "text":
            ev_date, precision, basis, _ = resolve_event_date(sentence, clean.published_at, clean.ingested_at, previous)
        if basis == "text" and precision == "day":
            self._last_dated = (para_start, ev_date, precision)
        fatalities, fat_sides = self._sides(det, "killed", ents, span.start)
        if fatalities is None:
            fatalities = self._named_victim(text, c_start, c_end, ents)
        injured, inj_sides = self._sides(det, "injured", ents, span.start)
        captured, _ = self._sides(det, "captured", ents, span.start)
        mention = Mention(
            trigger_id=det.trigger.spec.id,
            trigger_priority=det.trigger.spec.priority,
            generic=det.trigger.spec.generic,
            family=det.family,
            event_type=det.event_type,
            sub_event_type=det.sub_event_type,
            plover_type=det.plover_type,
            plover_mode=det.plover_mode,
            sentence_index=si,
            span=span,
            start=c_start,
            end=c_end,
            trigger_surface=det.trigger.surface,
            actor1=actor1,
            actor2=actor2,
            places=places if from_clause else ([location] if location is not None else []),
            location=location,
            location_from_clause=from_clause,
            event_date=ev_date,
            time_precision=precision,
            date_basis=basis,
            fatalities=fatalities,
            injured=injured,
            captured=captured,
            fatalities_by_side=fat_sides,
            injured_by_side=inj_sides,
            confidence=conf,
            actor_classes=(self._actor_class(actor1), self._actor_class(actor2)),
        )
        mention.status, mention.status_reason = self._status(det, clause, mention, clean.published_at)
        mention.features = self._features(det, sentence, mention, clean.published_at or clean.ingested_at, ents)
        return mention

    def _features(self, det: Detection, sentence: str, m: Mention, anchor: Any, m_ents: list[Entity]) -> dict[str, float]:
        """What the mention model (``raqib.stages.mention_model``) reads: words around the trigger, the trigger,
        what the clause states (actors, place, count, date) and the rules' cues. Names, not numbers."""
        toks = words(sentence)
        lo, hi, t = det.tok_lo, det.tok_hi, det.trigger.tok_start
        f: dict[str, float] = {}

        def on(name: str, value: float = 1.0) -> None:
            f[name] = value

        for k in range(lo, hi):
            on("w:" + toks[k].stems[-1])
        for k in range(lo, hi - 1):
            on(f"b:{toks[k].form}_{toks[k + 1].form}")
        for d in (1, 2, 3):
            if t - d >= lo:
                on(f"p{d}:{toks[t - d].stems[-1]}")
            if det.trigger.tok_end - 1 + d < hi:
                on(f"n{d}:{toks[det.trigger.tok_end - 1 + d].stems[-1]}")
        form = toks[t].form
        on("trig:" + det.trigger.spec.id)
        on("trigform:" + toks[t].stems[-1])
        on("type:" + det.event_type)
        on("sub:" + det.sub_event_type)
        on("definite" if form.startswith(("ال", "وال", "بال", "فال", "لل")) else "indefinite")
        on("purpose" if form.startswith(("ل", "لل")) and not form.startswith("لا") else "nopurpose")
        on("verbal" if _is_verbal(form) else "nominal")
        on(f"evidence:{max(-2, min(det.evidence, 4))}")
        for note in det.notes:
            on("note:" + note.split(":")[-1])
        on(f"sent:{min(m.sentence_index, 6)}")
        on(f"clauselen:{min((hi - lo) // 8, 5)}")
        on("a1" if m.actor1 else "no_a1")
        on("a2" if m.actor2 else "no_a2")
        on("a1linked" if m.actor1 and m.actor1.actor_id else "a1unlinked")
        on(f"place:{m.location.geo_precision if m.location else 0}:{int(m.location_from_clause)}")
        on("abroad" if m.location and m.location.country_code not in (None, "SY") else "syria")
        on("killed" if m.fatalities else "no_killed")
        on("injured" if m.injured else "no_injured")
        on(f"date:{m.date_basis}:{m.time_precision}")
        pub = anchor.date()
        delta = (pub - m.event_date).days
        on(f"delta:{'future' if delta < 0 else min(delta, 3) if delta <= 3 else 'week' if delta <= 7 else 'month' if delta <= 31 else 'old'}")
        on("status:" + m.status)
        on(f"conf:{round(det.confidence, 1)}")
        voc = self.vocab
        for cue in ("opinion_words", "modal_words", "conditional_words", "source_words", "report_verbs",
                    "time_words", "event_verbs", "period_words", "aggregate_words", "plural_attack_words"):
            if _any_stem(toks, lo, hi, voc.w(cue)):  # type: ignore[arg-type]
                on("cue:" + cue)
        if _any_stem(toks, 0, len(toks), voc.w("source_words")):
            on("sentence_source")
        if any(ch in sentence for ch in "«»\"“”"):
            on("quoted")
        if toks and any(s in voc.w("report_verbs") for s in toks[0].stems):
            on("starts_with_report")
        kinds = {getattr(self._actor(e.link_id), "kind", None) for e in m_ents if e.link_kind == "actor"}
        for k in kinds - {None}:
            on(f"actor_kind:{k}")
        on(f"places_in_clause:{min(sum(1 for e in m_ents if e.link_kind == 'place'), 3)}")
        on(f"actors_in_clause:{min(sum(1 for e in m_ents if e.link_kind == 'actor'), 3)}")
        return f

    def _read_actors(self, det: Detection, text: str, span: SentenceSpan, ents: list[Entity],
                     location: Location | None) -> tuple[ActorRef | None, ActorRef | None]:  # fmt: skip
        sentence = text[span.start : span.end]
        toks = words(sentence)
        t0, t1 = det.trigger.tok_start, det.trigger.tok_end - 1
        patient = det.trigger.spec.patient_first or any(s in self.vocab.w("patient_nouns") for s in toks[t0].stems)
        iso = location.country_code if location is not None and location.country_code else "SY"
        casualties = any((c.count.exact or c.count.min or 0) > 0 for c in det.casualties if c.kind == "killed")
        return self.actor_reader.read(sentence, span.start, det.tok_lo, det.tok_hi, t0, t1, _is_verbal(toks[t0].form),
                                      patient, ents, iso, det.event_type, det.family, det.sub_event_type,
                                      casualties)  # fmt: skip

    def _inherit_attackers(self, mentions: list[Mention], paragraphs: list[int]) -> None:
        """'طيران التحالف نفذ 9 غارات … وأفاد البيان أن الغارات استهدفت مواقع داعش': a report that names no
        attacker continues the last one of its kind in the paragraph, whose attacker it takes."""
        for i, m in enumerate(mentions):
            if m.actor1 is not None or m.family != "violent":
                continue
            here = _paragraph_start(paragraphs, m.start)
            for prev in reversed(mentions[:i]):
                if _paragraph_start(paragraphs, prev.start) != here or m.sentence_index - prev.sentence_index > 3:
                    break
                if prev.sub_event_type == m.sub_event_type and prev.actor1 is not None:
                    if prev.actor1.actor_id is None or m.actor_classes[1] != prev.actor_classes[0]:
                        m.actor1 = prev.actor1
                        m.actor_classes = (prev.actor_classes[0], m.actor_classes[1])
                    break

    def _actor_class(self, ref: ActorRef | None) -> str | None:
        """The side an actor stands for when mentions are compared (its catalogue root, else its words)."""
        if ref is None:
            return None
        if ref.actor_id and self.catalogue is not None:
            return self.catalogue.root_actor(ref.actor_id)
        return ref.actor_id or ref.name

    # -- temporal status
    def _status(self, det: Detection, clause: str, m: Mention, published: Any) -> tuple[Status, str | None]:
        """Is the mention a current incident, a tally/summary (aggregate) or an old incident (background)?

        Age is measured from the publication date; a page without one (a scrape that lost it) has no age
        test — its ingest time says nothing about when the text was written."""
        voc = self.vocab
        toks = words(clause)
        pub = published.date() if published is not None else None
        if det.cumulative:
            return "aggregate", "tally"
        if _has_pair(toks, 0, len(toks), voc.p("aggregate_phrases")):
            return "aggregate", "period"
        counted = any((c.count.exact or c.count.min or 0) > 0 for c in det.casualties)
        if (
            _has_pair(toks, 0, len(toks), voc.p("so_far_phrases"))
            and (counted or _any_stem(toks, 0, len(toks), voc.w("plural_attack_words")))
            and not _any_stem(toks, 0, len(toks), voc.w("responsibility_words"))
        ):
            return "aggregate", "so far"  # not 'دون أنباء عن إصابات حتى اللحظة', nor 'لم تتبن أي جهة … حتى الآن'
        if _any_stem(toks, 0, len(toks), voc.w("aggregate_words")) and _any_stem(
            toks, 0, len(toks), voc.w("period_words")
        ):
            return "aggregate", "tally"
        killed = max((c.count.exact or c.count.min or 0 for c in det.casualties if c.kind == "killed"), default=0)
        if killed >= 100 and _any_stem(toks, 0, len(toks), voc.w("plural_attack_words")):
            return "aggregate", "toll of many attacks"  # 'مقتل 2927 … جراء الضربات وغارات التحالف'
        if _any_stem(toks, 0, len(toks), voc.w("routine_words")):
            return "aggregate", "routine"  # 'يشن الجيش التركي يومياً غارات': a routine, not an incident
        if pub is not None and m.date_basis == "text" and (pub - _period_end(m.event_date, m.time_precision)).days > BACKGROUND_DAYS:
            return "background", f"dated {m.event_date.isoformat()}"
        years = [int(y) for y in _YEAR_RE.findall(clause)]
        if pub is not None and years and max(years) < pub.year and m.date_basis != "text":
            return "background", f"year {max(years)}"
        if _any_stem(toks, 0, len(toks), voc.w("background_words")):
            return "background", "anniversary"
        if _has_pair(toks, 0, len(toks), voc.p("background_phrases")) and m.date_basis != "text":
            return "background", "past"
        return "current", None

    # -- places
    def _scene_places(self, text: str, ents: list[Entity], span: tuple[int, int] | None = None) -> list[Location]:
        """Places the entities say something happened at (origins, destinations, the other side of a
        border and reporters' cities left out), plus countries named by a nationality adjective."""
        out: list[Location] = []
        unlinked: list[Entity] = []
        containers: list[Location] = []
        head: Location | None = None  # the place a 'located in' chain starts from
        chain_end = 0  # where the chain's last place name ends
        for e in ents:
            loc = self._entity_location(text, e)
            if loc is not None:
                if e.start < chain_end:  # the same name read twice (or overlapping): as the first reading
                    if containers and containers[-1].surface == loc.surface:
                        containers.append(loc)
                elif head is not None and loc.country_code not in (None, "SY") \
                        and loc.country_code == head.country_code and loc.geo_precision >= head.geo_precision \
                        and self._describes_where(text[chain_end : e.start], e.text):
                    containers.append(loc)  # 'قرية زركلة في منطقة رواندز في شرق أربيل': where the village is
                else:
                    head = loc
                chain_end = max(chain_end, e.end)
                out.append(loc)
            elif e.label == "LOC" and e.link_kind is None:
                unlinked.append(e)
        if span is not None:
            out.extend(self._adjective_places(text, *span))
        # a GeoNames town of a country no other place of the clause is in, next to a place the catalogue knows, is
        # that place's namesake: 'حي الخالدية بحلب' is Aleppo's (Jordan has one too), 'منطقة الحسينية، شمالي
        # بغداد' Baghdad's (not Egypt's); a Syrian governorate anchors first, else a foreign province or city
        anchor = next((p for p in out if p.country_code == "SY" and p.admin1), None) or next(
            (p for p in out if p.country_code not in (None, "SY") and p.province
             and not (p.place_id or "").startswith("gn-") and p.geo_precision < 4), None)  # fmt: skip
        if anchor is not None:
            known = {p.country_code for p in out if p.place_id is not None and not (p.place_id or "").startswith("gn-")}
            syria = anchor.country_code == "SY"
            namesake = {"place_id": None, "name_en": None, "country": anchor.country, "country_code": anchor.country_code,
                        "admin1": anchor.admin1 if syria else None, "province": None if syria else anchor.province,
                        "lat": None, "lon": None}  # fmt: skip
            out = [p.model_copy(update=namesake)
                   if (p.place_id or "").startswith("gn-") and p.country_code != anchor.country_code
                   and p.country_code not in known else p for p in out]  # fmt: skip
        # villages the gazetteer lacks ('بلدات حيان وبيانون وماير بريف حلب'): a Stanza LOC right after a place
        # noun ('بلدة', 'قريتي', 'ريف') or coordinated with a place already read, in the governorate of the area
        # the clause names; its country is the clause's, else the context's (filled in by the caller)
        area = next((p for p in out if p.geo_precision in (2, 3) and p.admin1), None)
        country = next((p.country_code for p in out if p.country_code), None)
        ends = sorted(e.end for e in ents if any(loc.surface == e.text for loc in out))
        for e in unlinked:
            toks = words(e.text)
            if not toks or len(e.text.strip()) < 3 or any(" ".join(t.stems[-1:]) in _PLACE_NOUNS for t in toks[:1]):
                continue  # 'بريف', 'مناطق': a place word without a name
            before = words(text[max(0, e.start - 30) : e.start])
            after_noun = bool(before) and any(st in _PLACE_NOUNS for st in before[-1].stems)
            gap = text[ends[-1] : e.start] if ends and ends[-1] <= e.start else None
            coordinated = gap is not None and len(gap) <= 3 and not gap.strip(" ،,و") and (
                toks[0].form[:1] == "و" or "و" in gap or "،" in gap)  # fmt: skip
            if not (after_noun or coordinated):
                continue
            iso = country
            out.append(Location(
                surface=e.text, name_ar=e.text,
                country=self._countries()[iso].name_en if iso in self._countries() else "Syria",
                country_code=iso, admin1=area.admin1 if area and iso == "SY" else None,
                province=area.province if area and iso not in (None, "SY") else None, geo_precision=1,
            ))  # fmt: skip
            ends.append(e.end)
            ends.sort()
        return [p for p in out if not any(p is c for c in containers)] if containers else out

    def _describes_where(self, gap: str, name: str) -> bool:
        """Is the text between two place names a 'located in' chain ('في منطقة', 'بولاية', ' في شرق'), so
        that the second place says where the first is? A list ('و', '،') or any other word is not."""
        if len(gap) > 40 or "،" in gap or "," in gap:
            return False
        gap_words = words(gap)
        if not gap_words:
            first = words(name)[:1]
            return bool(first) and first[0].form.startswith("ب")  # 'زركلة بأربيل'
        return not gap_words[0].form.startswith("و") and all(
            any(s in self._within_words for s in w.stems) for w in gap_words)

    def _entity_location(self, text: str, e: Entity) -> Location | None:
        voc = self.vocab
        before = words(text[max(0, e.start - 40) : e.start])
        prev = before[-1].stems if before else ()
        prev2 = (before[-2].form, before[-1].form) if len(before) >= 2 else ("", "")
        ent_toks = words(e.text)
        # 'بتركيا', 'بالموصل': the preposition is attached to the name
        locative_clitic = bool(ent_toks) and ent_toks[0].form[:1] == "ب" and ent_toks[0].form[1:] in ent_toks[0].stems
        locative = any(s in voc.w("locative_words") for s in prev) or prev2 in voc.p("locative_phrases")
        origin = any(s in voc.w("origin_words") for s in prev) and prev2 not in voc.p("locative_phrases")
        if origin:
            return None
        if len(before) >= 2 and any(s in voc.w("border_words") for s in before[-2].stems):
            return None  # 'على الحدود مع سوريا': the other side of the border
        if e.link_kind == "place" and e.link_id:
            rec = self._place(e.link_id)
            if rec is None:
                return None
            if getattr(rec, "kind", "") == "country" and not (locative or locative_clitic):
                return None  # 'مصر تدين …': the country as a speaker, not a scene
            return self._location_of(rec, e, text)
        if e.link_kind == "actor" and e.link_id and self.catalogue is not None:
            rec = self._actor(e.link_id)
            iso = self.catalogue.country_of_actor(e.link_id)
            if rec is not None and getattr(rec, "kind", "") == "state" and iso and (locative or locative_clitic):
                return self._country_location(iso, e.text)
            return None
        if e.label == "LOC" and e.link_kind is None and locative:
            iso = self._adjective_country(text, e.end)
            if iso is not None:
                return Location(surface=e.text, name_ar=e.text, country=self._countries()[iso].name_en,
                                country_code=iso, geo_precision=1)  # fmt: skip
        return None

    def _adjective_places(self, text: str, lo: int, hi: int) -> list[Location]:
        """Countries named by a place noun and a nationality adjective ('داخل الأراضي التركية', 'مركزاً
        تركياً', 'مدينة سروج الحدودية التركية') in text[lo:hi]; not 'الحدود السورية' (the other side)."""
        toks = words(text[lo:hi])
        out: list[Location] = []
        for i, t in enumerate(toks):
            if not any(s in _ADJECTIVE_PLACE_NOUNS for s in t.stems):
                continue
            for j in range(i + 1, min(i + 4, len(toks))):
                iso = self._adjective_country_of(toks[j])
                if iso is not None:
                    if not any(s in self.vocab.w("border_words") for k in range(i, j) for s in toks[k].stems):
                        out.append(self._country_location(iso, text[lo + t.start : lo + toks[j].end]))
                    break
                if not toks[j].form.endswith(("يه", "ي")):
                    break  # only adjectives ('الحدودية', 'الجنوبية') stand between the noun and the nationality
        return out

    def _adjective_country_of(self, tok: WordToken) -> str | None:
        for iso, c in self._countries().items():
            if any(s in c.adjectives for s in tok.stems[:2]):
                return iso
        return None

    def _adjective_country(self, text: str, end: int) -> str | None:
        """The country of a nationality adjective right after ``end`` ('سروج التركية' → TR)."""
        after = words(text[end : end + 30])
        if not after:
            return None
        for iso, c in self._countries().items():
            if any(s in c.adjectives for s in after[0].stems[:2]):
                return iso
        return None

    def _location_of(self, rec: Any, e: Entity, text: str) -> Location:
        kind = str(getattr(rec, "kind", "") or "")
        iso = str(getattr(rec, "country", "SY") or "SY")
        country = self._countries().get(iso)
        adjective = self._adjective_country(text, e.end)
        if kind == "country":
            return self._country_location(iso, e.text, place_id=rec.id)
        if adjective is not None and adjective != iso and kind == "town":
            iso, country = adjective, self._countries().get(adjective)  # a namesake in the named country
            return Location(surface=e.text, name_ar=e.text, country=country.name_en if country else iso,
                            country_code=iso, geo_precision=1)  # fmt: skip
        syrian = iso == "SY"
        return Location(
            place_id=rec.id,
            surface=e.text,
            name_ar=getattr(rec, "name_ar", None),
            name_en=getattr(rec, "name_en", None),
            admin1=getattr(rec, "admin1_en", None) if syrian else None,
            admin2=getattr(rec, "admin2_en", None) if syrian else None,
            province=None if syrian else getattr(rec, "province_en", None),
            country=country.name_en if country else "Syria",
            country_code=iso,
            lat=getattr(rec, "lat", None),
            lon=getattr(rec, "lon", None),
            pcode=getattr(rec, "pcode", None),
            geo_precision=self._precision(rec, e, text),  # type: ignore[arg-type]
        )

    def _country_location(self, iso: str, surface: str, place_id: str | None = None) -> Location:
        country = self._countries().get(iso)
        return Location(place_id=place_id or iso.lower(), surface=surface, name_ar=country.name_ar if country else None,
                        country=country.name_en if country else iso, country_code=iso, geo_precision=4)  # fmt: skip

    def _precision(self, rec: Any, e: Entity, text: str) -> int:
        kind = str(getattr(rec, "kind", None) or getattr(rec, "level", None) or "governorate")
        prec = int(getattr(rec, "geo_precision", 0) or _SITE_PRECISION.get(kind, 3))
        before = words(text[max(0, e.start - 12) : e.start])
        if before and any(s in self.vocab.w("area_words") for s in before[-1].stems):
            prec = max(prec, 2)
        return min(prec, 3)

    def _context_location(self, article: EntityTaggedArticle, spans: list[SentenceSpan], si: int,
                          paragraphs: list[int], default_country: str) -> Location:  # fmt: skip
        """No place in the sentence: the country of the paragraph's last place, else the article's."""
        text = article.article.text
        span = spans[si]
        para_start = _paragraph_start(paragraphs, span.start)
        earlier = [e for e in article.entities if para_start <= e.start < span.start]
        for e in reversed(earlier):
            loc = self._entity_location(text, e)
            if loc is not None and loc.country_code:
                if loc.country_code == "SY" and loc.admin1:
                    # the paragraph's governorate: an analyst would place the report there
                    return Location(surface=loc.surface, admin1=loc.admin1, country="Syria", country_code="SY",
                                    geo_precision=3)  # fmt: skip
                return self._country_location(loc.country_code, loc.surface)
        return self._country_location(default_country, self._countries()[default_country].name_ar
                                      if default_country in self._countries() else default_country)  # fmt: skip

    def _article_country(self, article: EntityTaggedArticle, spans: list[SentenceSpan]) -> str:
        """The country an article is about when a sentence names none: the country its places name most
        (places in the title and lead count double), else Syria."""
        text = article.article.text
        lead_end = spans[0].end if spans else 0
        votes: dict[str, float] = {}
        title = article.article.title or ""
        title_words = words(title)
        for iso, c in self._countries().items():
            name = matching_form(c.name_ar)
            if any(s in c.adjectives or s == name for t in title_words for s in t.stems):
                votes[iso] = votes.get(iso, 0.0) + 2.0
        for e in article.entities:
            loc = self._entity_location(text, e)
            if loc is not None and loc.country_code:
                votes[loc.country_code] = votes.get(loc.country_code, 0.0) + (2.0 if e.start < lead_end else 1.0)
        return max(votes, key=lambda k: (votes[k], k == "SY")) if votes else "SY"

    def _named_victim(self, text: str, c_start: int, c_end: int, ents: list[Entity]) -> Count | None:
        """'مقتل محسن الفضلي', 'اغتيال القيادي …', 'الفضلي قتل في غارة': one named person killed."""
        for e in ents:
            rec = self._actor(e.link_id) if e.link_kind == "actor" else None
            if e.label != "PER" or (rec is not None and getattr(rec, "kind", "") != "person"):
                continue
            before = words(text[max(c_start, e.start - 25) : e.start])
            after = words(text[e.end : min(c_end, e.end + 12)])
            killed_before = bool(before) and any(s in _V.w("killed_nouns") for s in before[-1].stems)
            killed_after = bool(after) and any(
                s in _V.w("passive_casualty_words") | _V.w("passive_killed_verbs") for s in after[0].stems
            )
            if killed_before or killed_after:
                return Count(min=1, max=1, exact=1, text=e.text)
        return None

    def _sides(
        self, det: Detection, kind: str, ents: list[Entity], base: int
    ) -> tuple[Count | None, list[SideCount]]:
        """Total and per-side counts of one kind; subsets ('بينهم …') never add to the total."""
        mentions = [c for c in det.casualties if (c.kind == kind or kind in c.extra_kinds) and not c.subset]
        if not mentions:
            return None, []
        sides: list[SideCount] = []
        for c in mentions:
            if c.side_surface is None:
                continue
            s0, s1 = base + (c.side_start or 0), base + (c.side_end or 0)
            actor = next((e for e in ents if e.link_kind == "actor" and e.start < s1 and e.end > s0), None)
            sides.append(
                SideCount(actor_id=actor.link_id if actor else None, surface=c.side_surface, count=c.count)
            )
        if any((c.count.max if c.count.max is not None else 1) > 0 for c in mentions):
            mentions = [
                c for c in mentions if (c.count.max if c.count.max is not None else 1) > 0
            ]  # 'دون وقوع قتلى' beside a figure
        counts = [c.count for c in mentions]
        total = counts[0] if len(counts) == 1 else _count_sum(counts)
        if any(kind in c.extra_kinds or (c.extra_kinds and c.kind == kind) for c in mentions):
            # 'مقتل وجرح العشرات': one figure for killed and wounded together — a range, not an exact count
            total = Count(
                min=1 if (total.min or 0) > 0 else 0, max=total.max, approximate=True, text=total.text
            )
        return total, sides if len(sides) >= 2 else []

    def _event(self, article: EntityTaggedArticle, m: Mention) -> Event:
        clean = article.article
        text = clean.text
        raw = clean.raw_span(m.start, m.end)
        event_id = stable_id("ev", clean.article_id, m.start, m.end, m.event_type, m.sub_event_type,
                             m.location.place_id if m.location else None)  # fmt: skip
        ev = Event(
            event_id=event_id,
            article_id=clean.article_id,
            story_id="pending",
            story_status="new",
            event_type=m.event_type,  # type: ignore[arg-type]
            sub_event_type=m.sub_event_type,  # type: ignore[arg-type]
            plover_type=m.plover_type,
            plover_mode=m.plover_mode,
            actor1=m.actor1,
            actor2=m.actor2,
            location=m.location,
            fatalities=m.fatalities,
            injured=m.injured,
            captured=m.captured,
            fatalities_by_side=m.fatalities_by_side,
            injured_by_side=m.injured_by_side,
            event_date=m.event_date,
            time_precision=m.time_precision,  # type: ignore[arg-type]
            date_basis=m.date_basis,  # type: ignore[arg-type]
            evidence=Evidence(
                sentence=text[m.start : m.end],
                clean_start=m.start,
                clean_end=m.end,
                raw_start=raw[0] if raw else None,
                raw_end=raw[1] if raw else None,
                trigger=m.trigger_surface,
            ),
            confidence=round(m.confidence, 3),
            extractor_version=self.version,
            source=clean.source,
            url=clean.url,
            published_at=clean.published_at,
            ingested_at=clean.ingested_at,
        )
        story_id, status = provisional_story(ev)
        ev.story_id, ev.story_status = story_id, status  # type: ignore[assignment]
        return ev


def _period_end(day: date, precision: str) -> date:
    """The last day a date of this precision can mean ('last month' → its last day)."""
    if precision == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if precision == "year":
        return day.replace(month=12, day=31)
    if precision == "week":
        return day + timedelta(days=6)
    return day


def _sentence_spans(text: str) -> list[SentenceSpan]:
    from raqib.text.tokenize import sentence_spans

    return sentence_spans(text)


def _paragraph_start(paragraphs: list[int], offset: int) -> int:
    """Start of the paragraph holding ``offset`` (``paragraphs``: ascending starts, the first 0)."""
    return paragraphs[max(bisect_right(paragraphs, offset) - 1, 0)]


def _article_air_power(incidents: list[Mention]) -> None:
    """An air strike without a named attacker in an article whose other air strikes all name one attacker
    ('وأفاد البيان أن الغارات استهدفت …' after 'طائرات التحالف شنت …'): that attacker, and the one target its
    strikes name where they name one. Air power is the one weapon few sides have, and a report reads its
    strikes as one campaign."""
    strikes = [m for m in incidents if m.sub_event_type == "Air/drone strike"]
    named = {(m.actor1.actor_id, m.actor1.name) for m in strikes if m.actor1 is not None}
    if len(named) != 1:
        return
    source = next(m.actor1 for m in strikes if m.actor1 is not None)
    for m in strikes:
        if m.actor1 is None:
            m.actor1 = source
    # and the campaign's one target, when every strike of it that names a target names the same one
    targets = {(m.actor2.actor_id, m.actor2.name) for m in strikes if m.actor2 is not None}
    if len(targets) == 1:
        target = next(m.actor2 for m in strikes if m.actor2 is not None)
        for m in strikes:
            if m.actor2 is None and (target.actor_id, target.name) != (source.actor_id, source.name):
                m.actor2 = target


def _inherit_governorates(mentions: list[Mention], paragraphs: list[int], window: int = 2) -> None:
    """'بلدات حيان وبيانون وماير': a Syrian place the gazetteer does not know, in a report that continues the one
    before it (same paragraph, at most ``window`` sentences on), is in that report's governorate."""
    for i, m in enumerate(mentions):
        loc = m.location
        if loc is None or loc.admin1 is not None or loc.country_code not in (None, "SY") or loc.place_id:
            continue
        here = _paragraph_start(paragraphs, m.start)
        for prev in reversed(mentions[:i]):
            if _paragraph_start(paragraphs, prev.start) != here or m.sentence_index - prev.sentence_index > window:
                break
            area = prev.location
            governorates = {p.admin1 for p in prev.places if p.admin1} | ({area.admin1} if area and area.admin1 else set())
            if len(governorates) > 1:
                break  # 'الباب بريف حلب … تلبيسة بريف حمص': which one goes on is not said
            if area is not None and area.country_code == "SY" and area.admin1:
                update = {"admin1": area.admin1, "country": "Syria", "country_code": "SY"}
                m.location = loc.model_copy(update=update)
                m.places = [p.model_copy(update=update)
                            if p.place_id is None and p.admin1 is None and p.country_code in (None, "SY") else p
                            for p in m.places]  # fmt: skip
                break

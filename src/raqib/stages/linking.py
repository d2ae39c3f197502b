"""Entity linking: Stanza entities and catalogue look-ups → gazetteer places and conflict actors.

The catalogue is three files: the OpenSyria admin gazetteer (governorates, districts, subdistricts; read
from ``../shared`` at run time and optional), our own ``data/sites.yaml`` (bases, fields, crossings,
villages, regions, Syria itself) and ``data/actors.yaml`` (conflict parties and how Arabic news names
them). Names are compared in the *matching form* (``raqib.text.normalize``) token by token, so spelling
variants, diacritics and the attached clitics of Arabic (و ف ب ل ك, لل) do not block a match.

Linking an article does three things: links Stanza's entities (tolerating "ريف X" / "شرق X" style
prefixes on places), adds catalogue mentions Stanza missed (``source='catalogue'``) and widens a Stanza
entity to the catalogue's span when the catalogue knows a longer name (``source='ner+catalogue'``), e.g.
Stanza's LOC "سوريا" inside ORG "قوات سوريا الديمقراطية". Unlinked Stanza entities are kept as they are.

Ambiguous names are only linked with support from the text: "الباب" (the door) needs a place word
(مدينة/بلدة…) or a Stanza LOC on it; "التنظيم" (the organisation) needs another mention of ISIS in the
same article; "النظام" (the regime / the system) needs a Syrian place in the article.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raqib.contracts.articles import Entity, EntityTaggedArticle
from raqib.contracts.events import InterCode
from raqib.stages.places import (
    Country,
    DataFileError,
    GeoTown,
    ProvincesFile,
    load_countries,
    load_provinces,
    region_towns,
)
from raqib.stages.vocab import place_vocabulary
from raqib.text.document import document
from raqib.text.normalize import matching_form
from raqib.text.tokenize import Token, tokenize
from raqib.text.words import clitic_variants

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_ACTORS_PATH = DATA_DIR / "actors.yaml"
DEFAULT_SITES_PATH = DATA_DIR / "sites.yaml"

PlaceKind = Literal["governorate", "district", "subdistrict", "site", "town", "country"]
Label = Literal["PER", "LOC", "ORG", "MISC"]
Tier = Literal["plain", "common_word", "ambiguous", "context"]


@dataclass(frozen=True)
class PlaceRecord:
    """A place: an admin unit of the gazetteer, or a site/region/country from sites.yaml."""

    id: str
    level: str  # gazetteer level, or the site type ('airbase', 'oil_field', 'region', …) for sites
    name_ar: str
    name_en: str
    admin1_id: str | None
    admin1_en: str | None
    admin2_id: str | None
    admin2_en: str | None
    lat: float | None
    lon: float | None
    pcode: str | None
    kind: PlaceKind
    aliases_ar: tuple[str, ...] = ()
    geo_precision: Literal[1, 2, 3] = 1
    coord_precision: str = "exact"
    operator: str | None = None  # actor id that runs the site (Hmeimim → ru-forces)
    ambiguous: bool = False
    country: str = "SY"  # ISO2 of the country the place is in
    province_en: str | None = None  # first-level division outside Syria (admin1_en is Syria's governorate)
    population: int = 0


@dataclass(frozen=True)
class ActorRecord:
    """A conflict actor with its ACLED-style category and the Arabic names news uses for it."""

    id: str
    name_en: str
    name_ar: str
    inter_code: InterCode
    kind: str
    aliases_ar: tuple[str, ...]
    parent: str | None
    label: Label = "ORG"
    named: bool = True
    context_aliases_ar: tuple[tuple[str, str], ...] = ()  # (alias, "family" | "syria")
    country: str | None = None  # ISO2 for a state and its forces ('tr', 'tr-forces' → 'TR')
    #: the side this actor's air strikes hit when a report names no target (a declared campaign's enemy)
    campaign_target: str | None = None


Record = PlaceRecord | ActorRecord

# --- matching vocabulary (all in matching form) ---------------------------------------------------------

_QUOTES: frozenset[str] = frozenset({"«", "»", '"', "“", "”", "‘", "’", "'"})
_OPENING: frozenset[str] = frozenset({"«", "“", "‘"})

_PLACE_VOCAB = place_vocabulary()


def _joined(name: str) -> frozenset[str]:
    return frozenset(" ".join(p) for p in _PLACE_VOCAB.p(name))  # type: ignore[arg-type]


#: Place words, town words, direction suffixes and common-word names: data/place_vocabulary.yaml.
_PLACE_WORDS: frozenset[str] = _joined("place_words")
_TOWN_WORDS: frozenset[str] = _joined("town_words")
_LEVEL_WORDS: dict[str, str] = {
    matching_form("محافظة"): "governorate",
    matching_form("منطقة"): "district",
    matching_form("ناحية"): "subdistrict",
}
_PLACE_SUFFIXES: frozenset[str] = _joined("place_suffixes")
#: Admin-word aliases in the gazetteer ("محافظة حلب", "ناحية خشام"): dropped from the index because the
#: place word is read as context instead (and ANERcorp-style spans exclude it).
_ADMIN_ALIAS_PREFIXES: tuple[str, ...] = ("محافظة ", "منطقة ", "ناحية ")

COMMON_WORD_PLACES: frozenset[str] = _joined("common_word_places")
NOT_TOWN_NAMES: frozenset[str] = _joined("not_town_names")

_PLACE_PRIORITY: dict[str, int] = {
    "country": 0, "governorate": 1, "district": 2, "subdistrict": 3, "site": 4, "town": 5,
}  # fmt: skip


def _forms(text: str) -> tuple[str, ...]:
    """Matching forms of the tokens of ``text``, quotes dropped (aliases are compared token by token)."""
    return tuple(matching_form(t.text) for t in tokenize(text) if t.text not in _QUOTES)


@dataclass(frozen=True)
class _Alias:
    forms: tuple[str, ...]
    record: Record
    tier: Tier
    rule: str | None = None  # for tier == "context": "family" | "syria"


@dataclass
class _Candidate:
    """One way the catalogue can read the tokens starting at some position."""

    first: int  # token index of the first token
    last: int  # token index of the last token (inclusive)
    alias: _Alias
    stripped: bool
    prefix: str | None  # place word right before the mention (matching form), if any

    def sort_key(self) -> tuple[int, int, int]:
        rec = self.alias.record
        prio = _PLACE_PRIORITY.get(rec.kind, 5) if isinstance(rec, PlaceRecord) else 6
        return (-(self.last - self.first), int(self.stripped), prio)


@dataclass
class _Mention:
    start: int
    end: int
    record: Record
    stripped: bool
    tier: Tier


def _root(actors: dict[str, ActorRecord], actor_id: str) -> str:
    seen: set[str] = set()
    current = actor_id
    while current not in seen:
        seen.add(current)
        parent = actors[current].parent if current in actors else None
        if parent is None or parent not in actors:
            return current
        current = parent
    return current


def _label_of(record: Record) -> Label:
    return "LOC" if isinstance(record, PlaceRecord) else record.label


def _link_name(record: Record) -> str:
    return record.name_en


@dataclass
class Catalogue:
    """Places and actors with an alias index; load with ``Catalogue.load`` (cached per set of files)."""

    places: dict[str, PlaceRecord]
    actors: dict[str, ActorRecord]
    countries: dict[str, Country] = field(default_factory=dict)
    _index: dict[str, list[_Alias]] = field(default_factory=dict, repr=False)
    _max_len: int = field(default=1, repr=False)

    # --- loading -------------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        gazetteer_path: Path | None,
        actors_path: Path = DEFAULT_ACTORS_PATH,
        sites_path: Path = DEFAULT_SITES_PATH,
        *,
        towns_cache_dir: Path | None = None,
        with_towns: bool = True,
    ) -> Catalogue:
        """The catalogue for these files, built once per process. A missing gazetteer is not an error.

        ``with_towns`` adds the region's GeoNames towns (``raqib.stages.places``; extract cached in
        ``towns_cache_dir``)."""
        gaz = Path(gazetteer_path) if gazetteer_path is not None else None
        cache = Path(towns_cache_dir) if towns_cache_dir is not None else None
        return _load_cached(gaz, Path(actors_path), Path(sites_path), cache, with_towns)

    @classmethod
    def build(
        cls,
        places: Iterable[PlaceRecord],
        actors: Iterable[ActorRecord],
        countries: dict[str, Country] | None = None,
    ) -> Catalogue:
        """A catalogue from records (the index of aliases is built here)."""
        cat = cls({p.id: p for p in places}, {a.id: a for a in actors}, dict(countries or {}))
        cat._build_index()
        return cat

    def _add(self, name: str, record: Record, tier: Tier, rule: str | None = None) -> None:
        forms = _forms(name)
        if not forms:
            return
        entry = _Alias(forms, record, tier, rule)
        bucket = self._index.setdefault(forms[0], [])
        if any(a.forms == forms and a.record.id == record.id for a in bucket):
            return
        bucket.append(entry)
        self._max_len = max(self._max_len, len(forms))

    def _index_keys(self) -> Iterable[tuple[str, ...]]:
        """Every alias (as token forms) the index holds."""
        for bucket in self._index.values():
            for alias in bucket:
                yield alias.forms

    def _build_index(self) -> None:
        self._index = {}
        for place in self.places.values():
            for name in (place.name_ar, *place.aliases_ar):
                if place.kind != "site" and name.startswith(_ADMIN_ALIAS_PREFIXES):
                    continue
                tier: Tier = "plain"
                if place.ambiguous:
                    # GeoNames towns: many names are also words ('العمارة', 'المنزلة'); they need a place word
                    tier = "common_word" if place.kind == "town" else "ambiguous"
                elif (
                    place.kind in ("district", "subdistrict") and " ".join(_forms(name)) in COMMON_WORD_PLACES
                ):
                    tier = "common_word"
                self._add(name, place, tier)
        for actor in self.actors.values():
            for name in (actor.name_ar, *actor.aliases_ar):
                self._add(name, actor, "plain")
            for name, rule in actor.context_aliases_ar:
                self._add(name, actor, "context", rule)

    # --- look-ups --------------------------------------------------------------------------------------

    def place(self, place_id: str) -> PlaceRecord | None:
        """The place with this id (gazetteer or site), or None."""
        return self.places.get(place_id)

    def actor(self, actor_id: str) -> ActorRecord | None:
        """The actor with this id, or None."""
        return self.actors.get(actor_id)

    def root_actor(self, actor_id: str) -> str:
        """Top of the actor's parent chain (e.g. 'sy-republican-guard' → 'sy-gov')."""
        return _root(self.actors, actor_id)

    def country_of_actor(self, actor_id: str) -> str | None:
        """ISO2 of a state, its government, forces or leader ('tr-forces' → 'TR'); None for other actors
        (a proxy is not its patron's state: Hezbollah is not Iran)."""
        rec = self.actors.get(actor_id)
        return rec.country if rec is not None else None

    def lookup(self, name: str) -> list[Record]:
        """Records whose name or alias equals ``name`` exactly (after normalisation; no clitics)."""
        forms = _forms(name)
        if not forms:
            return []
        return [a.record for a in self._index.get(forms[0], []) if a.forms == forms]

    # --- scanning ----------------------------------------------------------------------------------------

    def _match_at(self, forms: Sequence[str], tokens: Sequence[Token], i: int) -> list[_Candidate]:
        """All aliases that read the tokens starting at ``i`` (quotes between words are transparent)."""
        out: list[_Candidate] = []
        prefix = None
        j = i - 1
        while j >= 0 and tokens[j].text in _QUOTES:
            j -= 1
        if j >= 0:
            prev = forms[j]
            for variant, _ in clitic_variants(prev):
                if variant in _PLACE_WORDS or variant in _LEVEL_WORDS:
                    prefix = variant
                    break
        for variant, stripped in clitic_variants(forms[i]):
            for alias in self._index.get(variant, ()):
                last = self._match_rest(alias.forms, forms, tokens, i)
                if last is not None:
                    out.append(_Candidate(i, last, alias, stripped, prefix))
        out.sort(key=_Candidate.sort_key)
        if prefix is not None and out:
            out = self._prefer_level(out, prefix)
        return out

    def _match_rest(
        self, alias_forms: Sequence[str], forms: Sequence[str], tokens: Sequence[Token], i: int
    ) -> int | None:
        k = i
        for want in alias_forms[1:]:
            k += 1
            while k < len(tokens) and tokens[k].text in _QUOTES:
                k += 1
            if k >= len(tokens) or forms[k] != want:
                return None
        return k

    def _prefer_level(self, cands: list[_Candidate], prefix: str) -> list[_Candidate]:
        """After مدينة/بلدة prefer the town ("مركز X" subdistrict); after محافظة/منطقة/ناحية that level."""
        best_len = cands[0].last - cands[0].first
        same = [c for c in cands if c.last - c.first == best_len]
        wanted: str | None = _LEVEL_WORDS.get(prefix)
        if prefix in _TOWN_WORDS:
            top = same[0].alias.record
            if isinstance(top, PlaceRecord):
                for rec in self.lookup("مركز " + top.name_ar):
                    if isinstance(rec, PlaceRecord) and rec.kind == "subdistrict":
                        town = _Alias(same[0].alias.forms, rec, same[0].alias.tier)
                        return [
                            _Candidate(same[0].first, same[0].last, town, same[0].stripped, prefix),
                            *cands,
                        ]
            wanted = "subdistrict"
        if wanted:
            for c in same:
                if isinstance(c.alias.record, PlaceRecord) and c.alias.record.kind == wanted:
                    return [c, *[x for x in cands if x is not c]]
        return cands

    def _candidates(self, text: str) -> tuple[list[Token], list[str], list[list[_Candidate]]]:
        """Tokens of ``text`` (the shared analysis, ``raqib.text.document``), their forms, and the catalogue
        readings starting at each token."""
        doc = document(text)
        tokens, forms = doc.tokens, doc.forms
        return tokens, forms, [self._match_at(forms, tokens, i) for i in range(len(tokens))]

    def _resolve(
        self, tokens: list[Token], forms: list[str], cands: list[list[_Candidate]], ner_loc: set[tuple[int, int]]
    ) -> list[_Mention]:
        """Pick non-overlapping mentions left to right, longest first, keeping only supported readings."""
        # Context for ambiguous readings: what the article mentions unambiguously.
        plain = self._greedy(tokens, cands, lambda c: c.alias.tier == "plain")
        roots = {self.root_actor(m.record.id) for m in plain if isinstance(m.record, ActorRecord)}
        admin1 = {m.record.admin1_id for m in plain if isinstance(m.record, PlaceRecord)}
        syria = any(isinstance(m.record, PlaceRecord) and m.record.country == "SY" for m in plain)
        # countries the article names (places, states and their forces, nationality adjectives): a town of
        # another country is only read as such when the article is about that country ('حي الخالدية بحلب' is
        # not Jordan's al-Khalidiya)
        named: set[str] = {m.record.country for m in plain if isinstance(m.record, PlaceRecord)}
        named |= {m.record.country for m in plain if isinstance(m.record, ActorRecord) and m.record.country}
        adjectives = {adj: c.iso2 for c in self.countries.values() for adj in c.adjectives}
        for form in forms:
            for variant, _ in clitic_variants(form):
                if variant in adjectives:
                    named.add(adjectives[variant])

        def supported(c: _Candidate) -> bool:
            rec = c.alias.record
            span = (tokens[c.first].start, tokens[c.last].end)
            if c.alias.tier == "plain":
                return True
            if c.alias.tier == "context":
                if c.alias.rule == "family":
                    return self.root_actor(rec.id) in roots
                return syria
            if c.alias.tier == "ambiguous" and isinstance(rec, PlaceRecord):
                # A namesake elsewhere is as much a place as this one: only the region decides.
                return (rec.admin1_id in admin1) if rec.admin1_id else syria
            if isinstance(rec, PlaceRecord) and rec.id.startswith("gn-") and rec.country != "SY" and rec.country not in named:
                return False
            return c.prefix in _PLACE_WORDS or c.prefix in _LEVEL_WORDS or span in ner_loc

        return self._greedy(tokens, cands, supported)

    @staticmethod
    def _greedy(
        tokens: list[Token], cands: list[list[_Candidate]], accept: Callable[[_Candidate], bool]
    ) -> list[_Mention]:
        out: list[_Mention] = []
        i = 0
        while i < len(tokens):
            chosen = next((c for c in cands[i] if accept(c)), None)
            if chosen is None:
                i += 1
                continue
            last = chosen.last
            # 'تنظيم «الدولة»': a quote opened inside the mention is closed inside it too.
            opened = sum(tokens[k].text in _OPENING for k in range(chosen.first, last + 1))
            if opened and last + 1 < len(tokens) and tokens[last + 1].text in _QUOTES:
                last += 1
            out.append(
                _Mention(
                    tokens[chosen.first].start,
                    tokens[last].end,
                    chosen.alias.record,
                    chosen.stripped,
                    chosen.alias.tier,
                )
            )
            i = last + 1
        return out

    def _entity(self, text: str, m: _Mention, source: str, raw: tuple[int, int] | None = None) -> Entity:
        rec = m.record
        score = 1.0 if m.tier == "plain" and not m.stripped else 0.9 if m.tier == "plain" else 0.75
        return Entity(
            text=text[m.start : m.end],
            label=_label_of(rec),
            start=m.start,
            end=m.end,
            raw_start=raw[0] if raw else None,
            raw_end=raw[1] if raw else None,
            source=cast(Literal["ner", "catalogue", "ner+catalogue"], source),
            link_kind="place" if isinstance(rec, PlaceRecord) else "actor",
            link_id=rec.id,
            link_name=_link_name(rec),
            score=score,
        )

    def find_mentions(self, text: str) -> list[Entity]:
        """Catalogue-only mentions in ``text`` (clean-text offsets, link fields set, source='catalogue')."""
        tokens, forms, cands = self._candidates(text)
        return [self._entity(text, m, "catalogue") for m in self._resolve(tokens, forms, cands, set())]

    # --- linking Stanza entities ------------------------------------------------------------------------

    def _link_span(self, text: str) -> Record | None:
        """The record an entity's whole text names: clitics on the first word, place words around it allowed."""
        forms = list(_forms(text))
        if not forms:
            return None
        for variant, _ in clitic_variants(forms[0]):
            core = [variant, *forms[1:]]
            for rec in self._lookup_forms(core):
                return rec
            # place words before ("ريف", "شمال شرق") and direction adjectives after ("الغربي")
            for lead in (1, 2):
                if len(core) > lead and " ".join(core[:lead]) in _PLACE_WORDS:
                    for trail in (0, 1, 2):
                        if len(core) - lead - trail < 1:
                            break
                        if trail and " ".join(core[len(core) - trail :]) not in _PLACE_SUFFIXES:
                            continue
                        inner = core[lead : len(core) - trail]
                        for rec in self._lookup_forms(inner):
                            if isinstance(rec, PlaceRecord):
                                return rec
            for trail in (1, 2):
                if len(core) > trail and " ".join(core[len(core) - trail :]) in _PLACE_SUFFIXES:
                    for rec in self._lookup_forms(core[: len(core) - trail]):
                        if isinstance(rec, PlaceRecord):
                            return rec
        return None

    def _lookup_forms(self, forms: Sequence[str]) -> list[Record]:
        if not forms:
            return []
        found = [a for a in self._index.get(forms[0], []) if a.forms == tuple(forms) and a.tier != "context"]
        found.sort(
            key=lambda a: _PLACE_PRIORITY.get(a.record.kind, 5) if isinstance(a.record, PlaceRecord) else 6
        )
        return [a.record for a in found]

    def link(self, article: EntityTaggedArticle) -> EntityTaggedArticle:
        """Link Stanza entities, add catalogue mentions it missed, widen to longer catalogue names."""
        clean = article.article
        text = clean.text
        tokens, forms, cands = self._candidates(text)
        ner = [e for e in article.entities if e.source == "ner"]
        ner_loc = {(e.start, e.end) for e in ner if e.label == "LOC"}
        mentions = self._resolve(tokens, forms, cands, ner_loc)

        out: list[Entity] = []
        used: set[int] = set()
        taken: set[tuple[int, int]] = set()
        for ent in ner:
            overlapping = [k for k, m in enumerate(mentions) if m.start < ent.end and ent.start < m.end]
            used.update(overlapping)
            # A catalogue name reaching beyond Stanza's span is the longer name ("قوات سوريا الديمقراطية"
            # around Stanza's LOC "سوريا", "بريف دمشق" around "دمشق"): take the catalogue's span and label.
            wider = [
                k for k in overlapping if not (ent.start <= mentions[k].start and mentions[k].end <= ent.end)
            ]
            if wider:
                m = mentions[max(wider, key=lambda k: mentions[k].end - mentions[k].start)]
                if (m.start, m.end) not in taken:
                    out.append(self._entity(text, m, "ner+catalogue", clean.raw_span(m.start, m.end)))
                    taken.add((m.start, m.end))
                continue
            same = [
                mentions[k]
                for k in overlapping
                if (mentions[k].start, mentions[k].end) == (ent.start, ent.end)
            ]
            # The scan saw the context ("مدينة دير الزور" → the town), so its reading of the same span wins.
            rec = same[0].record if same else self._link_span(ent.text)
            if rec is not None:
                out.append(
                    ent.model_copy(
                        update={
                            "label": _label_of(rec),
                            "source": "ner+catalogue",
                            "link_kind": "place" if isinstance(rec, PlaceRecord) else "actor",
                            "link_id": rec.id,
                            "link_name": _link_name(rec),
                            "score": 1.0,
                        }
                    )
                )
                taken.add((ent.start, ent.end))
                continue
            # The catalogue names only a part of a longer Stanza entity ("جامعة دمشق"): Stanza's span wins.
            out.append(ent)
            taken.add((ent.start, ent.end))
        for k, m in enumerate(mentions):
            if k in used or (m.start, m.end) in taken:
                continue
            out.append(self._entity(text, m, "catalogue", clean.raw_span(m.start, m.end)))
        out.extend(e for e in article.entities if e.source != "ner")
        out.sort(key=lambda e: (e.start, e.end))
        return article.model_copy(update={"entities": out})


# --- loading from files --------------------------------------------------------------------------------


def _read_gazetteer(path: Path) -> list[PlaceRecord]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = {r["id"]: r["name_en"] for r in rows}
    precision: dict[str, Literal[1, 2, 3]] = {"governorate": 3, "district": 2, "subdistrict": 1}
    places = []
    for r in rows:
        level = r["level"]
        admin1 = r.get("governorate_id")
        admin2 = r.get("district_id")
        places.append(
            PlaceRecord(
                id=r["id"],
                level=level,
                name_ar=r["name_ar"],
                name_en=r["name_en"],
                admin1_id=admin1,
                admin1_en=names.get(admin1) if admin1 else None,
                admin2_id=admin2,
                admin2_en=names.get(admin2) if admin2 else None,
                lat=r.get("lat"),
                lon=r.get("lon"),
                pcode=r.get("ocha_pcode"),
                kind=cast(PlaceKind, level),
                aliases_ar=tuple(r.get("aliases_ar") or ()),
                geo_precision=precision.get(level, 1),
                coord_precision="centroid",
            )
        )
    return places


def _read_sites(path: Path) -> list[PlaceRecord]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        PlaceRecord(
            id=s["id"],
            level=s.get("site_type") or s["kind"],
            name_ar=s["name_ar"],
            name_en=s["name_en"],
            admin1_id=s.get("admin1_id"),
            admin1_en=s.get("admin1_en"),
            admin2_id=s.get("admin2_id"),
            admin2_en=s.get("admin2_en"),
            lat=s.get("lat"),
            lon=s.get("lon"),
            pcode=s.get("pcode"),
            kind=s["kind"],
            aliases_ar=tuple(s.get("aliases_ar") or ()),
            geo_precision=s.get("geo_precision", 1),
            coord_precision=s.get("coord_precision", "approximate"),
            operator=s.get("operator"),
            ambiguous=bool(s.get("ambiguous", False)),
        )
        for s in items
    ]


def _read_actors(path: Path) -> list[ActorRecord]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        ActorRecord(
            id=a["id"],
            name_en=a["name_en"],
            name_ar=a["name_ar"],
            inter_code=a["inter_code"],
            kind=a["kind"],
            aliases_ar=tuple(a.get("aliases_ar") or ()),
            parent=a.get("parent"),
            label=a.get("label", "ORG"),
            named=bool(a.get("named", True)),
            context_aliases_ar=tuple((k, v) for k, v in (a.get("context_aliases_ar") or {}).items()),
            country=a.get("country"),
            campaign_target=a.get("campaign_target"),
        )
        for a in items
    ]


def _country_places(countries: dict[str, Country], taken: set[str]) -> list[PlaceRecord]:
    """Countries the catalogue has no actor or site for ('مصر', 'اليابان'), as country-level places."""
    out = []
    for c in countries.values():
        if c.actor or c.iso2.lower() in taken:
            continue
        out.append(PlaceRecord(
            id=c.iso2.lower(), level="country", name_ar=c.name_ar, name_en=c.name_en, admin1_id=None,
            admin1_en=None, admin2_id=None, admin2_en=None, lat=None, lon=None, pcode=None, kind="country",
            aliases_ar=c.aliases_ar, geo_precision=3, coord_precision="none", country=c.iso2,
        ))  # fmt: skip
    return out


def _town_places(towns: list[GeoTown], provinces: ProvincesFile, known: Catalogue,
                 governorates: dict[str, str]) -> list[PlaceRecord]:  # fmt: skip
    """GeoNames towns as places; Syrian ones the admin gazetteer already names are left out."""
    out = []
    taken_names: set[tuple[str, ...]] = set(known._index_keys())
    for t in sorted(towns, key=lambda t: -t.population):
        names = [n for n in t.names_ar
                 if _forms(n) and _forms(n) not in taken_names and " ".join(_forms(n)) not in NOT_TOWN_NAMES]  # fmt: skip
        if not names or (t.country == "SY" and len(names) < len(t.names_ar)):
            continue
        admin1_id = provinces.syria.get(t.admin1_code) if t.country == "SY" else None
        out.append(PlaceRecord(
            id=f"gn-{t.geonameid}", level="town", name_ar=names[0], name_en=t.name_en,
            admin1_id=admin1_id, admin1_en=governorates.get(admin1_id) if admin1_id else None,
            admin2_id=None, admin2_en=None, lat=t.lat, lon=t.lon, pcode=None, kind="town",
            aliases_ar=tuple(names[1:]), geo_precision=1, coord_precision="exact", country=t.country,
            province_en=provinces.provinces.get(t.country, {}).get(t.admin1_code), population=t.population,
            ambiguous=True,
        ))  # fmt: skip
    return out


class RegionalPlace(BaseModel):
    """One entry of ``regional_places.yaml``."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name_en: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    province: str
    names_ar: list[str] = Field(min_length=1)
    ambiguous: bool = False
    lat: float | None = None
    lon: float | None = None


def _read_regional(path: Path, countries: dict[str, Country]) -> list[PlaceRecord]:
    """Curated towns outside Syria (validated; errors name the entry)."""
    out = []
    for i, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
        try:
            p = RegionalPlace.model_validate(raw)
        except ValidationError as exc:
            raise DataFileError(f"{path}: entry {i + 1} ({raw.get('id') if isinstance(raw, dict) else raw!r}): "
                                f"{str(exc).splitlines()[-1].strip()}") from exc  # fmt: skip
        if p.country not in countries:
            raise DataFileError(f"{path}: entry {i + 1} ({p.id}): unknown country {p.country}")
        out.append(PlaceRecord(
            id=p.id, level="town", name_ar=p.names_ar[0], name_en=p.name_en, admin1_id=None, admin1_en=None,
            admin2_id=None, admin2_en=None, lat=p.lat, lon=p.lon, pcode=None, kind="town",
            aliases_ar=tuple(p.names_ar[1:]), geo_precision=1, coord_precision="approximate", country=p.country,
            province_en=p.province, ambiguous=p.ambiguous,
        ))  # fmt: skip
    return out


@lru_cache(maxsize=8)
def _load_cached(gazetteer_path: Path | None, actors_path: Path, sites_path: Path,
                 towns_cache_dir: Path | None, with_towns: bool) -> Catalogue:  # fmt: skip
    places: list[PlaceRecord] = []
    if gazetteer_path is not None and gazetteer_path.is_file():
        places.extend(_read_gazetteer(gazetteer_path))
    elif gazetteer_path is not None:
        log.warning("gazetteer %s not found: linking with built-in sites only", gazetteer_path)
    gaz_names = {p.id: p.name_en for p in places}
    for site in _read_sites(sites_path):
        if site.admin1_id and site.admin1_id in gaz_names and not site.admin1_en:
            site = PlaceRecord(**{**site.__dict__, "admin1_en": gaz_names[site.admin1_id]})
        places.append(site)
    countries = load_countries()
    actors = _read_actors(actors_path)
    for c in countries.values():
        if c.actor and not any(a.id == c.actor for a in actors):
            raise DataFileError(f"countries.yaml: {c.iso2} names actor {c.actor!r}, which actors.yaml lacks")
    ids = {a.id for a in actors}
    for a in actors:
        if a.campaign_target is not None and a.campaign_target not in ids:
            raise DataFileError(f"{actors_path}: {a.id} names campaign_target {a.campaign_target!r}, which it lacks")
    places.extend(_country_places(countries, {p.id for p in places}))
    places.extend(_read_regional(DATA_DIR / "regional_places.yaml", countries))
    catalogue = Catalogue.build(places, actors, countries)
    if with_towns:
        towns = region_towns(frozenset(c.iso2 for c in countries.values() if c.geonames), towns_cache_dir)
        governorates = {p.id: p.name_en for p in places if p.kind == "governorate"}
        places.extend(_town_places(towns, load_provinces(), catalogue, governorates))
        catalogue = Catalogue.build(places, actors, countries)
    return catalogue


__all__ = [
    "COMMON_WORD_PLACES",
    "DEFAULT_ACTORS_PATH",
    "DEFAULT_SITES_PATH",
    "ActorRecord",
    "Catalogue",
    "PlaceRecord",
]

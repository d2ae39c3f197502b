"""The stage chain: its order and contracts are checked, and each stage isolates a failing input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from pydantic import BaseModel

from raqib.contracts import CleanArticle, Event, RawArticle, topics
from raqib.pipeline.chain import (
    FEEDS,
    ROUTE_TOPICS,
    STAGE_CLASSES,
    ChainError,
    CleanStage,
    LangidStage,
    OneByOne,
    Routed,
    check_chain,
)
from raqib.stages.errors import EmptyText, InvalidInput


def test_the_shipped_chain_fits_together() -> None:
    check_chain(STAGE_CLASSES)
    assert [cls.name for cls in STAGE_CLASSES] == [name for name, _ in FEEDS]
    # every topic a stage writes to is in the one topic table, with the stage's contract
    for (stage, route), spec in ROUTE_TOPICS.items():
        cls = next(c for c in STAGE_CLASSES if c.name == stage)
        assert cls.writes[route] is spec.schema
        assert spec in topics.ALL_TOPICS


def test_a_stage_reading_the_wrong_contract_is_refused() -> None:
    class WrongLangid(LangidStage):
        reads: ClassVar[type[BaseModel]] = RawArticle

    stages = [WrongLangid if cls is LangidStage else cls for cls in STAGE_CLASSES]
    with pytest.raises(ChainError, match="'langid' reads RawArticle, but 'clean' writes CleanArticle"):
        check_chain(stages)


def test_a_missing_route_or_a_wrong_topic_contract_is_refused() -> None:
    class NoCleanRoute(CleanStage):
        writes: ClassVar[dict[str, type[BaseModel]]] = {"cleaned": CleanArticle}

    with pytest.raises(ChainError, match="no route 'clean'"):
        check_chain([NoCleanRoute if cls is CleanStage else cls for cls in STAGE_CLASSES])

    class EventsOnOther(LangidStage):
        writes: ClassVar[dict[str, type[BaseModel]]] = {"arabic": LangidStage.writes["arabic"], "other": Event}

    with pytest.raises(ChainError, match=r"langid/other writes Event, but topic raqib\.articles\.other\.v1"):
        check_chain([EventsOnOther if cls is LangidStage else cls for cls in STAGE_CLASSES])


def test_stages_out_of_order_are_refused() -> None:
    reordered = list(STAGE_CLASSES)
    reordered[0], reordered[1] = reordered[1], reordered[0]
    with pytest.raises(ChainError, match="not in the chain's order"):
        check_chain(reordered)


def _clean_stage() -> CleanStage:
    return CleanStage(min_chars=20, max_bytes=1_000_000, max_key_bytes=256, max_paragraphs=5000, max_segments=20000)


def test_clean_stage_decodes_raw_values_and_routes_by_name() -> None:
    stage = _clean_stage()
    raw = stage.decode("قصفت طائرات حربية بلدة كفرنبل في ريف إدلب الجنوبي صباح اليوم.".encode(), "k-1")
    [routed] = stage.process(raw)
    assert routed.route == "clean" and routed.key == "k-1" and isinstance(routed.message, CleanArticle)


def test_one_by_one_batches_isolate_the_failing_input() -> None:
    stage = _clean_stage()
    good = stage.decode("قصفت طائرات حربية بلدة كفرنبل في ريف إدلب الجنوبي صباح اليوم.".encode(), "good")
    empty = RawArticle(id="empty", text="   .  ")
    results = stage.process_batch([empty, good])
    assert isinstance(results[0], EmptyText)
    assert isinstance(results[1], list) and results[1][0].key == "good"


def test_internal_topics_are_decoded_with_the_stage_contract() -> None:
    @dataclass
    class Echo(OneByOne):
        name: ClassVar[str] = "echo"
        reads: ClassVar[type[BaseModel]] = CleanArticle
        writes: ClassVar[dict[str, type[BaseModel]]] = {"out": CleanArticle}

        def process(self, item: CleanArticle) -> list[Routed]:
            return [Routed("out", item.article_id, item)]

    with pytest.raises(InvalidInput) as caught:
        Echo().decode(b'{"not": "an article"}', "k")
    assert caught.value.reason == "contract"

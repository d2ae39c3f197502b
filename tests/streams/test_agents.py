"""Agent wiring with Faust's ``test_context()`` (in addition to the real-broker integration tests).

The agents are the real ones from ``raqib.streams.agents.pipeline`` with the real stages behind them; only the
final Kafka send is captured, so each test sees exactly what an agent would publish, to which topic,
under which key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
from faust.topics import Topic

from raqib.contracts import (
    CleanArticle,
    DeadLetter,
    EnrichedArticle,
    EntityTaggedArticle,
    Event,
    LanguageTaggedArticle,
    decode,
    topics,
)
from raqib.stages.stories import story_cell
from raqib.streams.agents import pipeline

REPORT = (
    "حلب - قُتل أربعة مدنيين وأصيب سبعة آخرون، أمس الأحد، جراء قصف مدفعي لقوات النظام استهدف "
    "بلدة الأتارب في ريف حلب الغربي، بحسب ما أفاد الدفاع المدني."
)


@dataclass
class Sent:
    topic: str
    key: str
    value: bytes


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Sent]]:
    """Capture Topic.send (the broker round trip is covered by tests/streams/test_integration_pipeline.py)."""
    records: list[Sent] = []

    async def capture(self: Topic, *, key: bytes | None = None, value: bytes | None = None, **_: object):
        records.append(Sent(self.get_topic_name(), (key or b"").decode(), value or b""))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    monkeypatch.setattr(Topic, "send", capture)
    yield records


async def _feed(agent_fn, values: list[tuple[bytes, bytes]], sent: list[Sent], expect: int) -> list[Sent]:
    async with agent_fn.test_context() as agent:
        for key, value in values:
            await agent.put(value, key=key)
        for _ in range(400):
            if len(sent) >= expect:
                break
            await asyncio.sleep(0.05)
    return sent


def run(coro):
    return asyncio.run(coro)


def test_clean_agent_cleans_and_dead_letters(sent: list[Sent]) -> None:
    good = orjson.dumps({"id": "a-1", "text": REPORT})
    values = [(b"a-1", good), (b"bad-1", b'{"text": 42}'), (b"bad-2", b"\xff\xfe\x00garbage")]
    run(_feed(pipeline.clean_agent, values, sent, expect=3))
    by_key = {record.key: record for record in sent}
    assert by_key["a-1"].topic == topics.CLEAN.name
    clean = decode(CleanArticle, by_key["a-1"].value)
    assert clean.article_id == "a-1" and "الأتارب" in clean.text
    for key, reason in (("bad-1", "wrong_type"), ("bad-2", "bad_encoding")):
        assert by_key[key].topic == topics.DLQ.name
        dead = decode(DeadLetter, by_key[key].value)
        assert dead.stage == "clean" and reason in dead.error_class and dead.key == key


def test_langid_agent_routes_arabic_on_and_english_aside(sent: list[Sent]) -> None:
    from raqib.stages.clean import clean_article
    from raqib.stages.ingest import decode_raw_article

    arabic = clean_article(decode_raw_article(orjson.dumps({"id": "ar-1", "text": REPORT})))
    english = clean_article(
        decode_raw_article(
            orjson.dumps({"id": "en-1", "text": "Heavy rain closed several roads in the city centre on Monday morning."})
        )
    )
    values = [(b"ar-1", arabic.model_dump_json().encode()), (b"en-1", english.model_dump_json().encode())]
    run(_feed(pipeline.langid_agent, values, sent, expect=2))
    by_key = {record.key: record for record in sent}
    assert by_key["ar-1"].topic == topics.ARABIC.name
    assert by_key["en-1"].topic == topics.OTHER.name
    assert decode(LanguageTaggedArticle, by_key["en-1"].value).language.lang == "en"


def test_ner_and_tag_agents_produce_entities_events_and_terminal_record(sent: list[Sent]) -> None:
    from raqib.stages.clean import clean_article
    from raqib.stages.ingest import decode_raw_article

    clean = clean_article(decode_raw_article(orjson.dumps({"id": "ar-2", "text": REPORT})))
    tagged = pipeline.runtime.langid.route(clean)
    run(_feed(pipeline.ner_agent, [(b"ar-2", tagged.model_dump_json().encode())], sent, expect=1))
    assert [record.topic for record in sent] == [topics.ENTITIES.name]
    entities = decode(EntityTaggedArticle, sent[0].value)
    assert any(entity.link_id for entity in entities.entities)

    sent.clear()
    run(_feed(pipeline.tag_agent, [(b"ar-2", entities.model_dump_json().encode())], sent, expect=2))
    enriched = [decode(EnrichedArticle, r.value) for r in sent if r.topic == topics.ENRICHED.name]
    candidates = [decode(Event, r.value) for r in sent if r.topic == topics.EVENT_CANDIDATES.name]
    assert len(enriched) == 1 and enriched[0].event_count == len(candidates) >= 1
    assert {event.event_id for event in candidates} == set(enriched[0].event_ids)


@dataclass
class _Msg:
    value: bytes


def test_ner_groups_run_short_articles_first_within_the_token_budget() -> None:
    from raqib.streams.agents.base import BYTES_PER_TOKEN, ner_groups

    sizes = [3000, 100, 900, 200, 50]  # estimated tokens
    events = [_Msg(b"x" * (n * BYTES_PER_TOKEN)) for n in sizes]
    groups = ner_groups(events, max_tokens=1200)
    assert [[len(e.value) // BYTES_PER_TOKEN for e in g] for g in groups] == [[50, 100, 200], [900], [3000]]
    assert sorted(id(e) for g in groups for e in g) == sorted(id(e) for e in events)  # nothing lost
    assert ner_groups(events, max_tokens=10**9) == [sorted(events, key=lambda e: len(e.value))]
    assert ner_groups([], max_tokens=100) == []


def test_ner_agent_delivers_every_article_of_a_split_batch(
    sent: list[Sent], monkeypatch: pytest.MonkeyPatch
) -> None:
    from raqib.stages.clean import clean_article
    from raqib.stages.ingest import decode_raw_article

    # every article is a Stanza call of its own
    monkeypatch.setattr(pipeline, "settings", pipeline.settings.model_copy(update={"ner_group_tokens": 1}))
    values = []
    for key, text in (("ar-long", REPORT + "\n" + REPORT.replace("حلب", "إدلب")), ("ar-short", REPORT)):
        clean = clean_article(decode_raw_article(orjson.dumps({"id": key, "text": text})))
        values.append((key.encode(), pipeline.runtime.langid.route(clean).model_dump_json().encode()))
    run(_feed(pipeline.ner_agent, values, sent, expect=2))
    assert sorted(r.key for r in sent) == ["ar-long", "ar-short"]
    assert all(r.topic == topics.ENTITIES.name for r in sent)


def test_story_agent_emits_events_keyed_by_event_id(sent: list[Sent]) -> None:
    from pathlib import Path

    for partition in range(8):  # nothing to read back: a fresh state for every partition test_context uses
        pipeline.STORY_STATE.install(partition, {})
    first = decode(Event, (Path(__file__).parents[1] / "contracts" / "examples" / "Event.json").read_bytes())
    # Another outlet's report of the same incident, and a replay of the first record.
    second = first.model_copy(update={"event_id": "ev-other-outlet", "article_id": "other-outlet-article"})
    values = [(b"cell", first.model_dump_json().encode()), (b"cell", second.model_dump_json().encode())]
    values.append(values[0])
    run(_feed(pipeline.story_agent, values, sent, expect=3))
    events = [decode(Event, r.value) for r in sent if r.topic == topics.EVENTS.name]
    assert [r.key for r in sent if r.topic == topics.EVENTS.name] == [first.event_id, "ev-other-outlet", first.event_id]
    state = [r for r in sent if r.topic == topics.STORY_STATE.name]
    assert {r.key for r in state} == {story_cell(first)}  # the cell's state, after the events
    assert events[1].story_id == events[0].story_id
    assert events[1].story_status == "update"
    assert events[2].story_status == events[0].story_status  # a replay gets the same answer


def test_contract_violation_on_internal_topic_goes_to_dlq(sent: list[Sent]) -> None:
    run(_feed(pipeline.tag_agent, [(b"broken", b'{"schema_version": 1, "article": {}}')], sent, expect=1))
    assert sent[0].topic == topics.DLQ.name
    dead = decode(DeadLetter, sent[0].value)
    assert dead.stage == "tag" and "contract" in dead.error_class

"""Hostile input through the real broker and a real worker: ≥ 10,000 messages, every one on the DLQ or processed.

Hypothesis generates the messages (invalid UTF-8, lone surrogates, control characters, JSON of the wrong
shape, huge fields, deeply nested JSON, bidi controls, zero-width characters, empty text, random Unicode,
hostile Kafka keys: none, not UTF-8, random text), plus a 10 MB message, a page of 8,000 short
paragraphs, a 600 KB id, a 600 KB Kafka key and a tombstone. Every message keeps its own id and key:
where it must end is derived the way the audit derives it (``audit.terminal_candidates``), not from a
short id the test would have put in. Then they all go through one ``raqib worker``: 0 crashes (the same
process at the end, and no agent crashed inside it: ``raqib_agent_crashes_total`` stays 0), every
message accounted for on a terminal topic, the ones that cannot be articles on the DLQ with a reason,
and the worker's resident memory bounded.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raqib.contracts import topics
from raqib.settings import Settings
from raqib.tools import audit
from raqib.tools.admin import ensure_topics
from raqib.tools.broker import EmbeddedBroker
from raqib.tools.embedded import WorkerProcess, embedded_env

pytestmark = pytest.mark.integration

N_GENERATED = 10_000
TEN_MB = 10 * 1024 * 1024
RSS_GROWTH_BOUND_MB = 400

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
CONTROL = "".join(chr(c) for c in (*range(0, 32), 127))
ARABIC_SENTENCES = (
    "قتل ثلاثة مدنيين في قصف على بلدة سراقب بريف إدلب بحسب ناشطين محليين",
    "أصيب خمسة أشخاص بانفجار عبوة ناسفة في مدينة درعا صباح اليوم",
    "افتتحت بلدية حمص حديقة عامة جديدة في حي الوعر وسط حضور الأهالي",
)

#: Categories whose messages can never be an article: they must end on the DLQ.
MUST_DLQ = {"invalid_utf8", "utf8_surrogate", "wrong_shape", "wrong_type", "deep_json", "empty", "bad_json"}

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _sprinkle(text: str, noise: str, draw) -> str:
    """Insert characters of ``noise`` at drawn positions of ``text``."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 12))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(noise)))
    return "".join(chars)


@st.composite
def hostile(draw) -> tuple[str, object]:
    """(category, payload): payload is bytes to send as-is, or a dict/list to JSON-encode with the key as id."""
    kind = draw(
        st.sampled_from(
            [
                "invalid_utf8",
                "utf8_surrogate",
                "json_lone_surrogate",
                "control",
                "wrong_shape",
                "json_scalar",
                "wrong_type",
                "huge_field",
                "deep_json",
                "bidi_arabic",
                "zero_width_arabic",
                "empty",
                "bad_json",
                "random_text",
                "random_json_object",
            ]
        )
    )
    if kind == "invalid_utf8":
        prefix = draw(st.text(max_size=30)).encode("utf-8")
        bad = draw(
            st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c\x28", b"\x80"])
        )
        return kind, prefix + bad + draw(st.binary(max_size=40))
    if kind == "utf8_surrogate":  # a UTF-16 surrogate encoded as if it were a code point: not valid UTF-8
        return kind, draw(st.text(max_size=20)).encode("utf-8") + b"\xed\xa0\x80" + b" text"
    if kind == "json_lone_surrogate":  # valid JSON syntax, a lone surrogate escape inside the text
        body = (
            draw(st.sampled_from(ARABIC_SENTENCES)) + "\\ud800" + draw(st.sampled_from(["", "\\udfff", " x"]))
        )
        return kind, ('{"text": "' + body + '"}').encode("utf-8")
    if kind == "control":
        return kind, {"text": _sprinkle(draw(st.sampled_from(ARABIC_SENTENCES)), CONTROL, draw)}
    if kind == "wrong_shape":
        return kind, orjson.dumps(draw(st.lists(json_values, max_size=5)))
    if kind == "json_scalar":  # not an object, but not JSON-looking either: the raw value is plain text
        return kind, orjson.dumps(draw(json_scalars))
    if kind == "wrong_type":
        return kind, {
            "text": draw(
                st.one_of(
                    st.integers(-(2**63), 2**63 - 1),
                    st.lists(st.text(max_size=5), max_size=3),
                    st.booleans(),
                    st.dictionaries(st.text(max_size=3), st.integers(-(2**63), 2**63 - 1), max_size=2),
                )
            )
        }
    if kind == "huge_field":
        field = draw(st.sampled_from(["title", "url", "source", "text", "extra"]))
        size = draw(st.integers(50_000, 300_000))
        payload: dict[str, object] = {"text": draw(st.sampled_from(ARABIC_SENTENCES))}
        payload[field] = draw(st.sampled_from(["ا", "x", "\u200b", "<p>"])) * (size // 4)
        return kind, payload
    if kind == "deep_json":
        depth = draw(st.integers(1_100, 50_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return kind, (opener * depth + "1" + closer * depth).encode("utf-8")
    if kind == "bidi_arabic":
        return kind, {"text": _sprinkle(draw(st.sampled_from(ARABIC_SENTENCES)), BIDI, draw)}
    if kind == "zero_width_arabic":
        return kind, {"text": _sprinkle(draw(st.sampled_from(ARABIC_SENTENCES)), ZERO_WIDTH, draw)}
    if kind == "empty":
        return kind, draw(
            st.sampled_from(
                [b"", b" ", b"\n\t ", b'{"text": ""}', b'{"text": "   "}', b"\xef\xbb\xbf", b"{}"]
            )
        )
    if kind == "bad_json":
        return kind, draw(
            st.sampled_from(
                [
                    b'{"text": "x',
                    b'{"text": }',
                    b"{,}",
                    b'["a",',
                    b'{"text": "a"} trailing',
                    b"{'text': 'single'}",
                ]
            )
        )
    if kind == "random_text":
        return kind, draw(st.text(min_size=0, max_size=300)).encode("utf-8", "surrogatepass")
    return kind, {
        "text": draw(st.text(max_size=200)),
        **draw(
            st.dictionaries(
                st.sampled_from(["title", "url", "published_at", "id", "x"]), json_values, max_size=3
            )
        ),
    }


def generate(count: int) -> list[tuple[str, object]]:
    """Run Hypothesis as a generator: one hostile message per example, reproducible (derandomized)."""
    found: list[tuple[str, object]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile())
    def collect(message: tuple[str, object]) -> None:
        found.append(message)

    collect()
    return found


def to_value(payload: object) -> bytes:
    """The message as sent: bytes as they are, a dict as JSON with whatever id it has (or none)."""
    return payload if isinstance(payload, bytes) else orjson.dumps(payload)


def hostile_key(index: int) -> bytes | None:
    """Most messages carry a plain producer key; one in ten none, one in ten not UTF-8, one in ten odd text."""
    kind = index % 10
    if kind == 7:
        return None
    if kind == 8:
        return b"\xff\xfe" + index.to_bytes(4, "big") + b"\x80"
    if kind == 9:
        return f"مفتاح \u202e{index}\u200b / {index} \U0001f4a5".encode()
    return f"fz-{index:05d}".encode()


def generate_keys(count: int) -> list[bytes | None]:
    return [hostile_key(i) for i in range(count)]


def many_short_paragraphs(count: int = 8_000) -> str:
    """The page that made near-duplicate detection quadratic: thousands of short distinct paragraphs."""
    import random

    words = " ".join(ARABIC_SENTENCES).split()
    rnd = random.Random(606)
    return "\n".join(" ".join(rnd.choice(words) for _ in range(rnd.randint(8, 10))) + "." for _ in range(count))


def produce_raw(settings_: Settings, items: list[tuple[bytes | None, bytes | None]]) -> None:
    """Send (key bytes, value bytes) as they are (a None value is a tombstone); wait for every ack."""
    from raqib.tools.embedded import make_producer

    producer = make_producer(settings_)
    try:
        futures = [producer.send(topics.RAW.name, key=key, value=value) for key, value in items]
        producer.flush()
        for future in futures:
            future.get(timeout=120)
    finally:
        producer.close()


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def fuzz_run(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("fuzz")
    started = time.monotonic()
    generated = generate(N_GENERATED)
    keys = generate_keys(N_GENERATED)
    generation_s = time.monotonic() - started
    items: list[tuple[bytes | None, bytes | None]] = []
    category: list[str] = []
    for (kind, payload), key in zip(generated, keys, strict=True):
        items.append((key, to_value(payload)))
        category.append(kind)
    special: list[tuple[str, bytes | None, bytes | None]] = [
        ("ten_mb", b"fz-10mb", orjson.dumps({"id": "fz-10mb", "text": "ا" * (TEN_MB // 2)})),  # 10 MB of UTF-8
        ("many_paragraphs", b"fz-8000-paragraphs", orjson.dumps({"text": many_short_paragraphs()})),
        ("huge_id", b"fz-huge-id", orjson.dumps({"id": "i" * 600_000, "text": ARABIC_SENTENCES[1]})),
        ("huge_key", b"k" * 600_000, orjson.dumps({"text": ARABIC_SENTENCES[2]})),
        ("tombstone", b"fz-tombstone", None),
    ]
    for kind, key, value in special:
        items.append((key, value))
        category.append(kind)
    expected = [audit.terminal_candidates(key, value) for key, value in items]

    env = embedded_env(broker.bootstrap, run_dir)  # default 1 MB text cap: the 10 MB message must be refused
    settings_ = Settings(kafka_bootstrap=broker.bootstrap, producer_idempotence=False, topic_replication=1)
    ensure_topics(settings_.model_copy(update={"topic_partitions": int(env["RAQIB_TOPIC_PARTITIONS"])}))
    worker = WorkerProcess(env, run_dir, name="fuzzed").start()
    warm = [(b"fz-warm", orjson.dumps({"id": "fz-warm", "text": ARABIC_SENTENCES[0]}))]
    produce_raw(settings_, warm)
    seen = TerminalTopics(settings_)
    seen.wait([{"fz-warm"}], 180, worker)
    pid = worker.proc.pid
    rss_before = vm_rss_mb(pid)
    produce_start = time.monotonic()
    produce_raw(settings_, items)
    seen.wait(expected, 600, worker)
    processing_s = time.monotonic() - produce_start
    rss_after = vm_rss_mb(pid)
    dead = _dead_letters(settings_)
    counts = Counter(category)
    print(
        f"\nfuzz: {len(items)} messages ({generation_s:.1f}s to generate, {processing_s:.1f}s through the worker); "
        f"RSS {rss_before:.0f} → {rss_after:.0f} MB; {len(dead)} on the DLQ; by category {dict(sorted(counts.items()))}; "
        f"keys: {dict(Counter('none' if k is None else 'plain' if k.startswith(b'fz-') else 'other' for k in keys))}"
    )
    yield {
        "items": items,
        "category": category,
        "expected": expected,
        "seen": seen,
        "dead": dead,
        "worker": worker,
        "pid": pid,
        "rss": (rss_before, rss_after),
    }
    seen.close()
    worker.stop()


class TerminalTopics:
    """Incremental reader of the terminal topics: key → the topics it reached."""

    def __init__(self, settings_: Settings) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.topics_by_key: dict[str, set[str]] = {}
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings_.kafka_bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        names = [spec.name for spec in topics.TERMINAL_TOPICS]
        parts = [
            TopicPartition(n, p) for n in names for p in sorted(self.consumer.partitions_for_topic(n) or [])
        ]
        self.consumer.assign(parts)
        self.consumer.seek_to_beginning(*parts)

    def missing(self, expected: list[set[str]]) -> list[int]:
        """Indexes of messages none of whose candidate keys reached a terminal topic."""
        return [i for i, keys in enumerate(expected) if not keys & self.topics_by_key.keys()]

    def wait(self, expected: list[set[str]], timeout_s: float, worker: WorkerProcess) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and worker.alive() and self.missing(expected):
            for tp, records in self.consumer.poll(timeout_ms=300, max_records=5000).items():
                for record in records:
                    if record.key:
                        key = record.key.decode("utf-8", "surrogatepass")
                        self.topics_by_key.setdefault(key, set()).add(tp.topic)

    def close(self) -> None:
        self.consumer.close()


def _dead_letters(settings_: Settings) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for _, key, value, _ in audit.read_topics(settings_, [topics.DLQ.name]):
        if key:
            out[key] = orjson.loads(value)
    return out


def test_enough_hostile_messages_of_every_kind(fuzz_run) -> None:
    counts = Counter(fuzz_run["category"])
    assert len(fuzz_run["items"]) >= 10_000
    assert len(counts) == 20, counts
    assert min(counts.values()) >= 1


def test_every_message_is_on_the_dlq_or_processed(fuzz_run) -> None:
    missing = fuzz_run["seen"].missing(fuzz_run["expected"])
    category = fuzz_run["category"]
    assert not missing, f"{len(missing)} unaccounted, e.g. {[(i, category[i]) for i in missing[:10]]}"


def _dead(fuzz_run, index: int) -> dict | None:
    dead = fuzz_run["dead"]
    return next((dead[key] for key in fuzz_run["expected"][index] if key in dead), None)


def test_what_cannot_be_an_article_is_dead_lettered_with_a_reason(fuzz_run) -> None:
    category = fuzz_run["category"]
    must = [i for i, kind in enumerate(category) if kind in MUST_DLQ]
    not_dead = [i for i in must if _dead(fuzz_run, i) is None]
    assert not not_dead, [(i, category[i]) for i in not_dead[:10]]
    for i in must:
        record = _dead(fuzz_run, i)
        assert record["stage"] == "clean" and record["error_class"] and record["message"], record
        assert len(record["original"]) <= 2 * 64 * 1024  # the DLQ keeps a bounded copy (base64 at most 4/3)
        assert len(record["key"].encode("utf-8", "surrogatepass")) <= 256
    ten = fuzz_run["dead"]["fz-10mb"]
    assert (
        "text_too_large" in ten["error_class"] and ten["truncated"] and ten["original_size"] > TEN_MB - 1024
    )
    reasons = Counter(record["error_class"] for record in fuzz_run["dead"].values())
    print(f"DLQ reasons: {dict(reasons.most_common())}")


def test_the_new_hostile_inputs_end_where_they_should(fuzz_run) -> None:
    from raqib.stages.ingest import cap_key

    seen, category, dead = fuzz_run["seen"].topics_by_key, fuzz_run["category"], fuzz_run["dead"]
    index = {kind: i for i, kind in enumerate(category)}
    page = _dead(fuzz_run, index["many_paragraphs"])
    assert page is not None and page["reason"] == "too_complex", page
    huge_id = cap_key("i" * 600_000)
    assert len(huge_id.encode()) <= 256 and topics.ENRICHED.name in seen[huge_id]  # processed, under a cut id
    huge_key = cap_key("k" * 600_000)
    assert topics.ENRICHED.name in seen[huge_key]
    assert dead["fz-tombstone"]["reason"] == "empty_text" and dead["fz-tombstone"]["original_size"] == 0
    print(f"many-paragraph page: {page['message']}; 600 KB id → {huge_id[:20]}…; 600 KB key → {huge_key[:20]}…")


def test_hostile_but_valid_arabic_is_processed(fuzz_run) -> None:
    seen, category = fuzz_run["seen"].topics_by_key, fuzz_run["category"]
    wanted = [i for i, kind in enumerate(category) if kind in ("bidi_arabic", "zero_width_arabic")]
    processed = [i for i in wanted if any(topics.ENRICHED.name in seen.get(k, ()) for k in fuzz_run["expected"][i])]
    print(f"bidi / zero-width Arabic processed to enriched: {len(processed)}/{len(wanted)}")
    assert len(processed) >= 0.9 * len(wanted)


def test_no_crash_no_agent_restart_and_memory_bounded(fuzz_run) -> None:
    worker = fuzz_run["worker"]
    assert worker.alive() and worker.proc.pid == fuzz_run["pid"], worker.log_tail(60)
    log = worker.log_path.read_text(errors="replace")
    # an agent that crashed and was restarted inside a live process is a failure too
    assert "Crashed reason" not in log and "stopping the worker" not in log, log[-3000:]
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5) as response:
        exposition = response.read().decode()
    crashes = [line for line in exposition.splitlines() if line.startswith("raqib_agent_crashes_total{")]
    assert all(line.endswith(" 0.0") for line in crashes), crashes
    assert worker.healthz()[0] == 200
    before, after = fuzz_run["rss"]
    assert after - before < RSS_GROWTH_BOUND_MB, (before, after)

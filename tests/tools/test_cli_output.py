"""What a person sees on the terminal: raqib's own lines only (client libraries in the log file), progress
bars only on a terminal, a batch summary instead of a thousand-row table, one line per event in tail."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from raqib.contracts import DeadLetter, Event, LanguageTaggedArticle, decode
from raqib.observability import logs
from raqib.tools import cli, progress
from raqib.tools.report import dlq_reason, events_table_limited, run_summary
from raqib.tools.tail import format_record

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "tests" / "contracts" / "examples"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logs.LIBRARIES}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, lib_level in levels.items():
        logging.getLogger(name).setLevel(lib_level)


def _emit_samples() -> None:
    logging.getLogger("raqib.tools.demo").info("raqib line")
    logging.getLogger("raqib.stages.ner").warning("raqib warning")
    logging.getLogger("kafka.net.manager").error("Connection failed: KafkaConnectionError: 111 ECONNREFUSED")
    logging.getLogger("kafka.consumer.fetcher").info("Resetting offset for partition")
    logging.getLogger("aiokafka.consumer").info("aiokafka chatter")
    logging.getLogger("faust.worker").info("[^Worker]: Starting...")


def test_quiet_terminal_shows_own_lines_and_the_file_gets_everything(
    tmp_path: Path, restore_logging: None
) -> None:
    terminal = io.StringIO()
    path = logs.setup_cli_logging(tmp_path / "log" / "batch.log", stream=terminal)
    _emit_samples()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert terminal.getvalue().splitlines() == ["raqib line", "warning: raqib warning"]
    assert path == tmp_path / "log" / "batch.log"
    written = path.read_text(encoding="utf-8")
    for text in ("raqib line", "ECONNREFUSED", "Resetting offset", "aiokafka chatter", "[^Worker]"):
        assert text in written
    assert "ERROR kafka.net.manager:" in written  # the file keeps levels and logger names


@pytest.mark.parametrize(
    ("verbosity", "level", "shown", "hidden"),
    [
        (1, None, ["Resetting offset", "ECONNREFUSED", "raqib line"], []),
        (0, "INFO", ["Resetting offset", "aiokafka chatter"], []),
        (0, "ERROR", ["ECONNREFUSED"], ["raqib line", "Resetting offset"]),
    ],
)
def test_verbose_or_log_level_brings_the_libraries_back(
    tmp_path: Path,
    restore_logging: None,
    verbosity: int,
    level: str | None,
    shown: list[str],
    hidden: list[str],
) -> None:
    terminal = io.StringIO()
    logs.setup_cli_logging(tmp_path / "x.log", verbosity=verbosity, level=level, stream=terminal)
    _emit_samples()
    text = terminal.getvalue()
    for needle in shown:
        assert needle in text
    for needle in hidden:
        assert needle not in text


def test_setup_is_idempotent_and_survives_an_unwritable_log_dir(
    tmp_path: Path, restore_logging: None
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    terminal = io.StringIO()
    logs.setup_cli_logging(tmp_path / "a.log", stream=io.StringIO())
    assert logs.setup_cli_logging(blocker / "b.log", stream=terminal) is None
    logging.getLogger("raqib.x").info("once")
    assert terminal.getvalue() == "once\n"  # the first call's handlers were replaced, not doubled


def test_level_names_are_checked() -> None:
    assert logs.level_number("warning") == logging.WARNING
    with pytest.raises(ValueError, match="unknown log level"):
        logs.level_number("INFOO")


def test_worker_quiets_client_libraries_unless_asked(restore_logging: None) -> None:
    assert logs.worker_loglevel(0, None) == "info"
    assert logging.getLogger("kafka").level == logging.WARNING
    assert logging.getLogger("aiokafka.consumer").getEffectiveLevel() == logging.WARNING
    assert logs.worker_loglevel(0, "DEBUG") == "debug"
    assert logs.worker_loglevel(2, None) == "debug"


def test_verbosity_flags_are_taken_out_wherever_they_stand() -> None:
    assert cli.split_verbosity(["-v", "eval", "ner", "--json"]) == (["eval", "ner", "--json"], 1)
    assert cli.split_verbosity(["batch", "x", "-vv"]) == (["batch", "x"], 2)
    assert cli.command_name(["eval", "ner"]) == "eval-ner"
    assert cli.command_name(["models", "train-ner", "--max-steps", "2"]) == "models-train-ner"
    assert cli.command_name(["batch", "x"]) == "batch"
    assert cli.command_name(["--help"]) == "raqib"


def test_progress_bar_shows_count_rate_and_time_left_on_a_terminal_only() -> None:
    tty = FakeTerminal()
    assert sum(progress.progress(range(50), desc="clean", file=tty, mininterval=0)) == sum(range(50))
    drawn = tty.getvalue()
    assert "clean" in drawn and "50/50" in drawn and "article/s" in drawn
    with progress.progress(total=50, desc="NER", file=tty, mininterval=0) as bar:
        bar.update(10)
        assert "10/50" in tty.getvalue() and "<" in tty.getvalue()  # elapsed<remaining
    pipe = io.StringIO()
    assert list(progress.progress(range(5), file=pipe)) == [0, 1, 2, 3, 4]
    assert pipe.getvalue() == ""
    small = FakeTerminal()
    list(progress.progress(range(5), file=small, min_total=progress.HANDFUL))
    assert small.getvalue() == ""


def _events() -> list[Event]:
    base = decode(Event, (EXAMPLES / "Event.json").read_bytes())
    loc = base.location
    assert loc is not None
    variants = [
        ("Battles", "Armed clash", "Idlib"),
        ("Battles", "Armed clash", "Idlib"),
        ("Explosions/Remote violence", "Air/drone strike", "Aleppo"),
        ("Protests", "Peaceful protest", None),
    ]
    return [
        base.model_copy(
            update={
                "event_id": f"e{i}",
                "article_id": f"a{i % 3}",
                "event_type": t,
                "sub_event_type": s,
                "location": loc.model_copy(update={"admin1": admin1}),
            }
        )
        for i, (t, s, admin1) in enumerate(variants)
    ]


def test_run_summary_counts_what_a_person_asks_first() -> None:
    events = _events()
    other = decode(LanguageTaggedArticle, (EXAMPLES / "LanguageTaggedArticle.json").read_bytes())
    dead = decode(DeadLetter, (EXAMPLES / "DeadLetter.json").read_bytes())
    text = run_summary(
        articles=10, enriched=8, other=[other], dead=[dead, dead], events=events, seconds=4.0, width=200
    )
    lines = text.splitlines()
    reason = f"{dead.stage}/{dlq_reason(dead)} 2"
    assert lines[0] == (
        f"10 articles in 4.0 s (2.5 articles/s): 8 enriched, 1 routed aside ({other.language.lang} 1), "
        f"2 dead-lettered ({reason})"
    )
    assert lines[1] == "4 events from 3 articles"
    by_type = next(line for line in lines if "by type" in line)
    assert "Battles 2 · Explosions/Remote violence 1 · Protests 1" in by_type
    by_place = next(line for line in lines if "by governorate" in line)
    assert "Idlib 2 · Aleppo 1 · Syria (country only) 1" in by_place
    actors = next(line for line in lines if "top actors" in line)
    first_actor = events[0].actor1
    assert first_actor is not None and first_actor.name in actors
    assert "4" in actors


def test_table_is_limited_and_says_what_it_left_out() -> None:
    events = _events()
    text = events_table_limited(events, 2)
    assert len(text.splitlines()) == 2 + 2 + 1  # header, rule, two rows, the note
    assert "2 more events" in text
    assert "more events" not in events_table_limited(events, None)


def test_tail_prints_one_line_per_event() -> None:
    value = (EXAMPLES / "Event.json").read_bytes()
    line = format_record("raqib.events.v1", b"k1", value)
    assert "\n" not in line
    event = decode(Event, value)
    assert line.startswith("[k1] " + event.event_type)
    assert event.evidence.sentence[:30] in line
    other = format_record("raqib.dlq.v1", b"k2", (EXAMPLES / "DeadLetter.json").read_bytes())
    assert orjson.loads(other.split("\n", 1)[1])["stage"]


def test_batch_cli_prints_a_summary_not_a_table_and_no_library_chatter(tmp_path: Path) -> None:
    """The real command (real Stanza) on the bundled examples, stdout/stderr captured (not a terminal)."""
    out = tmp_path / "events.jsonl"
    env = {**os.environ, "RAQIB_LOG_DIR": str(tmp_path / "logs")}
    env.pop("RAQIB_LOG_LEVEL", None)
    examples = REPO_ROOT / "src" / "raqib" / "tools" / "examples"
    args = [sys.executable, "-m", "raqib.tools.cli", "batch", str(examples), "--out", str(out)]
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "5 articles in" in result.stdout and "events from" in result.stdout
    assert "by governorate" in result.stdout
    assert "evidence" not in result.stdout  # no table by default
    assert "\r" not in result.stderr  # no progress bar off a terminal
    for chatter in ("kafka", "stanza", "Warning"):
        assert chatter not in result.stderr, result.stderr
    assert "loaded ner in" in result.stderr  # raqib's own timing line
    events = out.read_text().splitlines()
    assert f"wrote {len(events)} events" in result.stdout
    assert (tmp_path / "logs" / "batch.log").is_file()
    shown = subprocess.run(
        [*args, "--show", "2"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert shown.returncode == 0, shown.stderr[-3000:]
    table = shown.stdout.split("\n\n", 1)[1]
    assert "evidence" in table and f"{len(events) - 2} more events" in table

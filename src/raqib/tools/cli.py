"""The ``raqib`` command: demo, worker, produce, tail, batch, topics, eval, models, bench."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

log = logging.getLogger("raqib.tools.cli")

#: Subcommands implemented by a module's ``main(argv)`` (argparse lives there).
DELEGATED = {
    ("eval", "ner"): "raqib.tools.eval_ner",
    ("eval", "events"): "raqib.tools.eval_events",
    ("eval", "langid"): "raqib.tools.eval_langid",
    ("eval", "clean"): "raqib.tools.eval_clean",
    ("models", "train-ner"): "raqib.tools.train_ner",
    ("models", "train-events"): "raqib.tools.train_events",
    ("models", "train-mentions"): "raqib.tools.train_mentions",
    ("models", "expand-ner-vocab"): "raqib.tools.expand_ner_vocab",
    ("alerts",): "raqib.tools.alert_rules",
    ("audit",): "raqib.tools.audit",
    ("bench",): "raqib.tools.bench",
}


def _delegate(argv: list[str]) -> int | None:
    for prefix, module in DELEGATED.items():
        if tuple(argv[: len(prefix)]) == prefix:
            rest = argv[len(prefix) :]
            if module == "raqib.tools.eval_langid":
                rest = ["eval", *rest]
            return int(importlib.import_module(module).main(rest) or 0)
    return None


def cmd_demo(args: argparse.Namespace) -> int:
    from raqib.tools.demo import run_demo

    return run_demo(
        args.paths,
        Path(args.out),
        workers=args.workers,
        timeout_s=args.timeout,
        keep=args.keep,
        show=None if args.table else args.show,
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """Create topics, load every model (fail fast with one clear message), then run the Faust worker."""
    import faust

    from raqib.observability.logs import worker_loglevel
    from raqib.settings import get_settings

    settings = get_settings()
    loglevel = worker_loglevel(args.verbosity, args.loglevel or settings.log_level)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    if settings.create_topics:
        from raqib.tools.admin import ensure_topics

        ensure_topics(settings)
    from raqib.streams.agents.pipeline import runtime
    from raqib.streams.worker import app

    try:
        runtime.load_all()
    except Exception as exc:
        print(
            f"raqib worker: cannot start, a model failed to load: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 2
    worker = faust.Worker(app, loglevel=loglevel)
    worker.execute_from_commandline()
    return 0


def cmd_produce(args: argparse.Namespace) -> int:
    from raqib.settings import get_settings
    from raqib.tools.embedded import produce
    from raqib.tools.sources import iter_values

    count = produce(get_settings(), iter_values(args.paths), topic=args.topic)
    print(f"produced {count} messages to {args.topic}")
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    from raqib.settings import get_settings
    from raqib.tools.tail import tail

    return tail(
        get_settings(), args.topic, from_beginning=args.from_beginning, limit=args.max, idle_s=args.idle
    )


def cmd_batch(args: argparse.Namespace) -> int:
    """Offline run: progress on the terminal, then a summary; the full table only with --table/--show."""
    from raqib.pipeline.runtime import StageRuntime
    from raqib.settings import get_settings
    from raqib.tools.batch import run_batch
    from raqib.tools.embedded import write_jsonl
    from raqib.tools.report import events_table_limited, run_summary
    from raqib.tools.sources import iter_values

    items = list(iter_values(args.paths))
    if not items:
        print(f"no articles found under {' '.join(args.paths)}", file=sys.stderr)
        return 2
    log.info("raqib batch: %d articles from %s", len(items), " ".join(args.paths))
    result = run_batch(items, StageRuntime(get_settings()))
    written = write_jsonl(Path(args.out), result.events)
    if args.alerts_out:
        write_jsonl(Path(args.alerts_out), result.alerts)
    print(
        run_summary(
            articles=len(items),
            enriched=len(result.enriched),
            other=result.other,
            dead=result.dead_letters,
            events=result.events,
            seconds=result.seconds,
            alerts=result.alerts,
        )
    )
    _print_dead_letters(result.dead_letters)
    show = None if args.table else args.show
    if show is None or show > 0:
        print()
        print(events_table_limited(result.events, show))
    print(f"wrote {written:,} events to {args.out}")
    return 0


def _print_dead_letters(dead: list, limit: int = 10) -> None:
    """The first dead letters with their reason (the rest are counted in the summary)."""
    for record in dead[:limit]:
        print(f"  DLQ {record.key}: {record.stage} {record.error_class}: {record.message[:100]}")
    if len(dead) > limit:
        print(f"  … {len(dead) - limit} more dead letters")


def cmd_topics(args: argparse.Namespace) -> int:
    from raqib.contracts.topics import ALL_TOPICS
    from raqib.settings import get_settings
    from raqib.tools.admin import ensure_topics

    if args.action == "create":
        created = ensure_topics(get_settings())
        print(f"created {len(created)} topics: {', '.join(created) or '(all existed)'}")
    else:
        for spec in ALL_TOPICS:
            print(f"{spec.name:32} key={spec.key:36} {spec.description}")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    from raqib.settings import get_settings
    from raqib.stages.ner import download_models

    target = Path(args.dir) if args.dir else get_settings().stanza_resources_dir
    path = download_models(target, package=args.package)
    print(f"Stanza Arabic models in {path}; set RAQIB_NER_MODEL_DIR accordingly")
    return 0


def _table_options(parser: argparse.ArgumentParser, default_show: int) -> None:
    parser.add_argument("--table", action="store_true", help="print every event as a table row")
    parser.add_argument(
        "--show",
        type=int,
        default=default_show,
        metavar="N",
        help=f"print the first N events as a table (default {default_show}; the output file has all)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="raqib", description=__doc__)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="client-library log lines on the terminal too (-vv: DEBUG); also RAQIB_LOG_LEVEL=LEVEL",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="embedded broker + worker(s): articles in, events table + JSONL out")
    demo.add_argument("paths", nargs="*", help="files/dirs of articles (default: bundled examples)")
    demo.add_argument("--out", default="out/events.jsonl")
    demo.add_argument("--workers", type=int, default=1)
    demo.add_argument("--timeout", type=float, default=600.0)
    demo.add_argument(
        "--keep",
        action="store_true",
        help="keep the workers' Faust state in the run folder too (logs always stay)",
    )
    _table_options(demo, default_show=25)
    demo.set_defaults(func=cmd_demo)

    worker = sub.add_parser("worker", help="run a Faust worker against RAQIB_KAFKA_BOOTSTRAP")
    worker.add_argument("--loglevel", default=None)
    worker.set_defaults(func=cmd_worker)

    prod = sub.add_parser(
        "produce", help="send articles (files, dirs, JSONL, '-' for stdin) to the raw topic"
    )
    prod.add_argument("paths", nargs="+")
    prod.add_argument("--topic", default="raqib.articles.raw.v1")
    prod.set_defaults(func=cmd_produce)

    tail = sub.add_parser("tail", help="pretty-print a topic")
    tail.add_argument("topic")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--max", type=int, default=None, help="stop after N records")
    tail.add_argument("--idle", type=float, default=None, help="stop after N idle seconds")
    tail.set_defaults(func=cmd_tail)

    batch = sub.add_parser("batch", help="offline mode: the worker's chain of stages, alert rules included, no broker")
    batch.add_argument("paths", nargs="+")
    batch.add_argument("--out", default="out/events.jsonl")
    batch.add_argument("--alerts-out", default=None, help="also write the alerts as JSONL here")
    _table_options(batch, default_show=0)
    batch.set_defaults(func=cmd_batch)

    top = sub.add_parser("topics", help="create or list raqib's topics")
    top.add_argument("action", choices=["create", "list"])
    top.set_defaults(func=cmd_topics)

    models = sub.add_parser("models", help="model management (download; train-ner)")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    download = models_sub.add_parser(
        "download", help="fetch Stanza's official Arabic models (needs internet)"
    )
    download.add_argument("--dir", default=None)
    download.add_argument("--package", default="default")
    download.set_defaults(func=cmd_models_download)
    models_sub.add_parser("train-ner", help="train a Stanza NER model on ../shared data (see --help)")
    models_sub.add_parser(
        "expand-ner-vocab", help="add aligned word vectors for unseen words to an NER model (see --help)"
    )
    models_sub.add_parser("train-events", help="train the sentence-level event classifier (see --help)")
    models_sub.add_parser("train-mentions", help="train the mention model on hand-coded event gold (see --help)")

    ev = sub.add_parser("eval", help="quality figures: ner, events, langid, clean (see `raqib eval X --help`)")
    ev.add_argument("what", choices=["ner", "events", "langid", "clean"])
    sub.add_parser("bench", help="throughput/latency benchmark (see `raqib bench --help`)")
    sub.add_parser("alerts", help="check alert rules or test them on events (see `raqib alerts --help`)")
    sub.add_parser("audit", help="end-to-end accounting by key; --redrive re-produces missing articles")
    return parser


VERBOSE_FLAGS = {"-v": 1, "--verbose": 1, "-vv": 2}
#: Log files other than ``<command>.log`` under RAQIB_LOG_DIR: the demo's sits beside its broker and workers.
LOG_FILES = {"demo": "demo/demo.log"}


def split_verbosity(argv: list[str]) -> tuple[list[str], int]:
    """Take ``-v``/``-vv``/``--verbose`` out of ``argv`` wherever they stand (before or after the command)."""
    rest = [arg for arg in argv if arg not in VERBOSE_FLAGS]
    return rest, sum(VERBOSE_FLAGS.get(arg, 0) for arg in argv)


def command_name(argv: list[str]) -> str:
    """The log file's name: ``demo``, ``eval-ner``, ``models-train-ner`` … (``raqib`` for ``--help``)."""
    for prefix in DELEGATED:
        if tuple(argv[: len(prefix)]) == prefix:
            return "-".join(prefix)
    return argv[0] if argv and not argv[0].startswith("-") else "raqib"


def main(argv: list[str] | None = None) -> int:
    from raqib.observability.logs import setup_cli_logging

    argv, verbosity = split_verbosity(list(sys.argv[1:] if argv is None else argv))
    level: str | None = None
    log_dir: Path | None = Path("var/log")
    try:
        from raqib.settings import get_settings

        settings = get_settings()
        level, log_dir = settings.log_level, settings.log_dir
    except Exception:  # an invalid RAQIB_* value: the command itself reports it
        pass
    name = command_name(argv)
    log_file = log_dir / LOG_FILES.get(name, f"{name}.log") if log_dir else None
    if name == "worker":  # a service: stdout is its log, Faust sets logging up (raqib.observability.logs.worker_loglevel)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        try:
            log_file = setup_cli_logging(log_file, verbosity=verbosity, level=level)
        except ValueError as exc:  # RAQIB_LOG_LEVEL=INFOO
            print(f"raqib: RAQIB_LOG_LEVEL: {exc}", file=sys.stderr)
            return 2
    try:
        delegated = _delegate(argv)
        if delegated is not None:
            return delegated
        args = build_parser().parse_args(argv)
        args.verbosity = verbosity
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from kafka.errors import KafkaError

        if not isinstance(exc, KafkaError):
            raise
        log.debug("Kafka error", exc_info=True)
        where = f"; details in {log_file}" if log_file else ""
        print(f"raqib {name}: Kafka error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

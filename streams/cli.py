"""The ``raqib`` command: demo, worker, produce, tail, batch, topics, eval, models, bench."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

#: Subcommands implemented by a module's ``main(argv)`` (argparse lives there).
DELEGATED = {
    ("eval", "ner"): "stages.eval_ner",
    ("eval", "events"): "stages.eval_events",
    ("eval", "langid"): "stages.langid",
    ("models", "train-ner"): "stages.train_ner",
    ("models", "train-events"): "stages.train_events",
    ("models", "train-mentions"): "stages.train_mentions",
    ("models", "expand-ner-vocab"): "stages.expand_ner_vocab",
    ("alerts",): "stages.alerts",
    ("audit",): "streams.audit",
    ("bench",): "bench.run",
}


def _delegate(argv: list[str]) -> int | None:
    for prefix, module in DELEGATED.items():
        if tuple(argv[: len(prefix)]) == prefix:
            rest = argv[len(prefix) :]
            if module == "stages.langid":
                rest = ["eval", *rest]
            return int(importlib.import_module(module).main(rest) or 0)
    return None


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(args.paths, Path(args.out), workers=args.workers, timeout_s=args.timeout, keep=args.keep)


def cmd_worker(args: argparse.Namespace) -> int:
    """Create topics, load every model (fail fast with one clear message), then run the Faust worker."""
    import faust

    from streams.settings import get_settings

    settings = get_settings()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    if settings.create_topics:
        from streams.admin import ensure_topics

        ensure_topics(settings)
    from agents.pipeline import runtime
    from streams.app import app

    try:
        runtime.load_all()
    except Exception as exc:
        print(
            f"raqib worker: cannot start, a model failed to load: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 2
    worker = faust.Worker(app, loglevel=args.loglevel or settings.log_level.lower())
    worker.execute_from_commandline()
    return 0


def cmd_produce(args: argparse.Namespace) -> int:
    from streams.embedded import produce
    from streams.settings import get_settings
    from streams.sources import iter_values

    count = produce(get_settings(), iter_values(args.paths), topic=args.topic)
    print(f"produced {count} messages to {args.topic}")
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    from streams.settings import get_settings
    from streams.tail import tail

    return tail(
        get_settings(), args.topic, from_beginning=args.from_beginning, limit=args.max, idle_s=args.idle
    )


def cmd_batch(args: argparse.Namespace) -> int:
    from streams.batch import run_batch
    from streams.embedded import write_jsonl
    from streams.report import events_table
    from streams.runtime import StageRuntime
    from streams.settings import get_settings
    from streams.sources import iter_values

    result = run_batch(iter_values(args.paths), StageRuntime(get_settings()))
    print(events_table(result.events))
    written = write_jsonl(Path(args.out), result.events)
    print(
        f"\n{len(result.enriched)} enriched, {len(result.other)} routed aside, {len(result.dead_letters)} "
        f"dead-lettered; wrote {written} events to {args.out} in {result.seconds:.1f}s"
    )
    for dead in result.dead_letters:
        print(f"  DLQ {dead.key}: {dead.error_class}: {dead.message[:100]}")
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from streams.admin import ensure_topics
    from streams.settings import get_settings
    from streams.topics import ALL_TOPICS

    if args.action == "create":
        created = ensure_topics(get_settings())
        print(f"created {len(created)} topics: {', '.join(created) or '(all existed)'}")
    else:
        for spec in ALL_TOPICS:
            print(f"{spec.name:32} key={spec.key:36} {spec.description}")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    from stages.ner import download_models
    from streams.settings import get_settings

    target = Path(args.dir) if args.dir else get_settings().stanza_resources_dir
    path = download_models(target, package=args.package)
    print(f"Stanza Arabic models in {path}; set RAQIB_NER_MODEL_DIR accordingly")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="raqib", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="embedded broker + worker(s): articles in, events table + JSONL out")
    demo.add_argument("paths", nargs="*", help="files/dirs of articles (default: bundled examples)")
    demo.add_argument("--out", default="out/events.jsonl")
    demo.add_argument("--workers", type=int, default=1)
    demo.add_argument("--timeout", type=float, default=600.0)
    demo.add_argument("--keep", action="store_true", help="keep the run directory (logs)")
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

    batch = sub.add_parser("batch", help="offline mode: same stages, no broker")
    batch.add_argument("paths", nargs="+")
    batch.add_argument("--out", default="out/events.jsonl")
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

    ev = sub.add_parser("eval", help="quality figures: ner, events, langid (see `raqib eval X --help`)")
    ev.add_argument("what", choices=["ner", "events", "langid"])
    sub.add_parser("bench", help="throughput/latency benchmark (see `raqib bench --help`)")
    sub.add_parser("alerts", help="check alert rules or test them on events (see `raqib alerts --help`)")
    sub.add_parser("audit", help="end-to-end accounting by key; --redrive re-produces missing articles")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if "-v" in argv or "--verbose" in argv else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    delegated = _delegate(argv)
    if delegated is not None:
        return delegated
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

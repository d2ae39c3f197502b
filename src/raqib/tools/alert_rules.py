"""``raqib alerts check [RULES]`` and ``raqib alerts test EVENTS.jsonl``: validate alert rules, dry-run them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from raqib.contracts import Event
from raqib.stages.alerts import AlertRules, AlertRulesError


def main(argv: list[str] | None = None) -> int:
    """``raqib alerts check [RULES]`` validates a rules file; ``raqib alerts test EVENTS.jsonl`` dry-runs it."""
    parser = argparse.ArgumentParser(prog="raqib alerts", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a rules file (default: the built-in rules)")
    check.add_argument("rules", nargs="?", type=Path, default=None)
    check.add_argument("--json", action="store_true", help="print the parsed rules as JSON")
    test = sub.add_parser("test", help="evaluate events (JSON lines of Event) against the rules")
    test.add_argument("events", type=Path)
    test.add_argument("--rules", type=Path, default=None)
    test.add_argument("--json", action="store_true", help="print alerts as JSON lines")
    args = parser.parse_args(argv)

    try:
        rules = AlertRules.load(args.rules) if args.rules else AlertRules.default()
    except AlertRulesError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    if args.command == "check":
        if args.json:
            print(json.dumps([r.model_dump(mode="json") for r in rules.rules], ensure_ascii=False, indent=2))
        else:
            print(f"ok: {len(rules)} rules in {rules.source}")
            for rule in rules.rules:
                state = "" if rule.enabled else " (disabled)"
                print(
                    f"  {rule.id:<28} {rule.severity:<8} suppress {rule.suppress_for!s:<5} {rule.name}{state}"
                )
        return 0

    state: dict[str, float] = {}
    fired = 0
    with args.events.open(encoding="utf-8") as handle:
        for lineno, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                event = Event.model_validate_json(raw)
            except ValidationError as exc:
                print(f"{args.events}:{lineno}: not an Event: {exc.errors()[0]['msg']}", file=sys.stderr)
                return 2
            now = event.ingested_at.timestamp()
            for alert in rules.evaluate(event, state, now):
                fired += 1
                print(alert.model_dump_json() if args.json else alert.summary)
    if not args.json:
        print(f"{fired} alert(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

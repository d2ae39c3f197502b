"""Where log lines go: raqib's own on the terminal, client-library chatter in the run's log file.

A newcomer's first ``raqib demo`` printed 95 kafka-python INFO lines ("Resetting offset for partition
…", "Connection closed") and ECONNREFUSED *errors* while the embedded broker was still starting, around a
table of six events. So by default:

- the terminal shows only raqib's own loggers (``raqib.*`` and a script's ``__main__``)
  at INFO and above: what it does, what it found, how long it took;
- the run's log file (``$RAQIB_LOG_DIR/<command>.log``, default ``var/log``; the demo's is
  ``var/log/demo/demo.log`` beside the broker's and workers'; rewritten each run) gets every
  logger, client libraries included, with timestamps and logger names;
- ``-v`` (every logger at INFO on the terminal, the old view), ``-vv`` (DEBUG) or ``RAQIB_LOG_LEVEL=LEVEL``
  (every logger at LEVEL) bring the chatter back.

``raqib worker`` is a service whose stdout is its log (containers, the demo's ``worker-N.log``): there the
client libraries are only quieted to WARNING unless asked to be loud, and Faust keeps its own format.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import IO

from tqdm import tqdm

#: raqib's own package (and a script run as __main__): their records reach the terminal.
OWN_PACKAGES = ("raqib", "__main__")
#: Client libraries whose INFO lines are chatter on a worker's console.
LIBRARIES = ("aiokafka", "faust", "kafka", "mode", "stanza")

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_raqib_handler"


def is_own(name: str) -> bool:
    """True for a logger of raqib's own packages (``raqib.tools.broker``, ``raqib.stages.ner`` …)."""
    return any(name == pkg or name.startswith(pkg + ".") for pkg in OWN_PACKAGES)


class OwnLines(logging.Filter):
    """Lets through raqib's own records only (client libraries go to the log file)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return is_own(record.name)


class TerminalFormatter(logging.Formatter):
    """The bare message for INFO (a sentence for a person), ``warning: …`` / ``error: …`` above it."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno < logging.WARNING else f"{record.levelname.lower()}: {text}"


class TerminalHandler(logging.StreamHandler):
    """Writes through ``tqdm.write``, so a log line printed during a progress bar does not tear it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def level_number(level: str | int) -> int:
    """``"info"``/``"INFO"``/``20`` → 20; unknown names raise ValueError (a typo should not mean DEBUG)."""
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level.strip().upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r} (use DEBUG, INFO, WARNING, ERROR)")
    return number


def console_level(verbosity: int, level: str | None) -> int | None:
    """The level every logger shows on the terminal when asked to be loud; None when quiet (the default)."""
    if verbosity >= 2:
        return logging.DEBUG
    if level:
        return level_number(level)
    if verbosity == 1:
        return logging.INFO
    return None


def setup_cli_logging(
    log_file: Path | None,
    *,
    verbosity: int = 0,
    level: str | None = None,
    stream: IO[str] | None = None,
) -> Path | None:
    """Configure the root logger for one command run; returns the log file (None if it can't be written).

    Idempotent: handlers installed by an earlier call (tests call ``main`` repeatedly) are replaced.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()
    loud = console_level(verbosity, level)
    terminal = TerminalHandler(stream if stream is not None else sys.stderr)
    setattr(terminal, _MARK, True)
    if loud is None:
        terminal.setLevel(logging.INFO)
        terminal.addFilter(OwnLines())
        terminal.setFormatter(TerminalFormatter("%(message)s"))
    else:
        terminal.setLevel(loud)
        terminal.setFormatter(logging.Formatter(FILE_FORMAT))
    root.addHandler(terminal)
    file_level = min(logging.INFO, loud or logging.INFO)
    path: Path | None = None
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            path = log_file
            file_handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        except OSError:  # read-only file system: the terminal still works
            path = None
        else:
            setattr(file_handler, _MARK, True)
            file_handler.setLevel(file_level)
            file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
            root.addHandler(file_handler)
    root.setLevel(min(file_level, loud or logging.INFO))
    logging.captureWarnings(
        True
    )  # library FutureWarnings → "py.warnings" logger → the file, not the terminal
    return path


def worker_loglevel(verbosity: int, level: str | None) -> str:
    """Faust's log level for ``raqib worker``; unless loud, client libraries log WARNING and above only."""
    loud = console_level(verbosity, level)
    if loud is not None:
        return logging.getLevelName(loud).lower()
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return "info"


__all__ = [
    "LIBRARIES",
    "OWN_PACKAGES",
    "OwnLines",
    "TerminalHandler",
    "console_level",
    "is_own",
    "level_number",
    "setup_cli_logging",
    "worker_loglevel",
]

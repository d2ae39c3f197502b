"""Where the offline tools find their data: ``../shared`` (``RAQIB_SHARED_DIR``) and the checkout's ``eval/``.

Evaluation and training data are not part of the wheel: a worker never reads them.
"""

from __future__ import annotations

from pathlib import Path

from raqib.settings import REPO_ROOT, Settings

#: Hand-labelled evaluation sets kept in the repository (general stream, extra training gold, written texts).
EVAL_DIR = REPO_ROOT / "eval"


def shared_dir() -> Path:
    """The shared data folder as configured now (read from the environment on each call)."""
    return Settings().shared_dir

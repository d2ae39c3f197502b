#!/usr/bin/env bash
# One command: install everything the tests need (pip + Debian packages), lint, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache  # the package layers (pyproject.toml [tool.importlinter])
exec .venv/bin/python -m pytest -ra "$@"

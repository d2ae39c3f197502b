#!/usr/bin/env bash
# One command: install everything the tests need (pip + Debian packages), lint, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -ra "$@"

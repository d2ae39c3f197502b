#!/usr/bin/env bash
# One command: install, then run the whole pipeline end to end on an embedded broker.
#   bash scripts/demo.sh                       # bundled example articles
#   bash scripts/demo.sh ../shared/seeds --out out/seeds.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/raqib demo "$@"

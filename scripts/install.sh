#!/usr/bin/env bash
# Install raqib into ./.venv (idempotent). CPU torch goes in FIRST, so stanza does not pull a CUDA build.
#   bash scripts/install.sh          # runtime + embedded broker
#   bash scripts/install.sh --test   # + test tools (pytest, hypothesis, ruff, validators, Prometheus, Alertmanager)
# pip's and apt's output goes to var/log/install.log (shown only when a step fails); a second run with an
# unchanged pyproject.toml skips pip.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_SPEC=${RAQIB_TORCH_SPEC:-torch==2.13.0}
extras="embedded"
with_test=0
[[ "${1:-}" == "--test" ]] && { extras="embedded,test"; with_test=1; }

mkdir -p var/log
LOG=var/log/install.log
: >"$LOG"
step() {  # run a command with its output in the log; on failure show the log's tail and stop
  if ! "$@" >>"$LOG" 2>&1; then
    echo "install step failed: $*" >&2
    echo "--- last lines of $LOG ---" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

if [[ ! -x .venv/bin/python ]]; then
  echo "creating .venv ..."
  step "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
# one stamp per extras set: the pyproject.toml and torch spec it was installed from (--test covers both sets)
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $TORCH_SPEC"
stamp=".venv/.raqib-installed-${extras//,/-}"
if [[ -x .venv/bin/raqib && -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
  up_to_date=" (already up to date: pyproject.toml unchanged)"
else
  step "${PIP[@]}" install -q --upgrade pip
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "installing $TORCH_SPEC (CPU) ..."
    step "${PIP[@]}" install -q "$TORCH_SPEC"
  fi
  echo "installing raqib[$extras] ..."
  step "${PIP[@]}" install -q -e ".[$extras]"
  echo "$wanted" >"$stamp"
  [[ $with_test == 1 ]] && echo "$wanted" >.venv/.raqib-installed-embedded
fi

if [[ $with_test == 1 ]]; then
  need=()
  command -v prometheus >/dev/null || need+=(prometheus)
  command -v promtool >/dev/null || need+=(prometheus)
  { command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; } || need+=(prometheus-alertmanager)
  { command -v prometheus-pushgateway >/dev/null || command -v pushgateway >/dev/null; } || need+=(prometheus-pushgateway)
  if [[ ${#need[@]} -gt 0 ]]; then
    echo "installing Debian packages: ${need[*]} ..."
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    step $SUDO apt-get update -qq
    step env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
fi
echo "raqib[$extras] installed in .venv${up_to_date:-}"

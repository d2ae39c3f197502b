#!/usr/bin/env bash
# Install raqib into ./.venv (idempotent). CPU torch goes in FIRST, so stanza does not pull a CUDA build.
#   bash scripts/install.sh          # runtime + embedded broker
#   bash scripts/install.sh --test   # + test tools (pytest, hypothesis, ruff, validators, Prometheus, Alertmanager)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_SPEC=${RAQIB_TORCH_SPEC:-torch==2.13.0}
extras="embedded"
with_test=0
[[ "${1:-}" == "--test" ]] && { extras="embedded,test"; with_test=1; }

if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "installing $TORCH_SPEC (CPU) ..."
  "${PIP[@]}" install -q "$TORCH_SPEC"
fi
echo "installing raqib[$extras] ..."
"${PIP[@]}" install -q -e ".[$extras]"

if [[ $with_test == 1 ]]; then
  need=()
  command -v prometheus >/dev/null || need+=(prometheus)
  command -v promtool >/dev/null || need+=(prometheus)
  { command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; } || need+=(prometheus-alertmanager)
  { command -v prometheus-pushgateway >/dev/null || command -v pushgateway >/dev/null; } || need+=(prometheus-pushgateway)
  if [[ ${#need[@]} -gt 0 ]]; then
    echo "installing Debian packages: ${need[*]} ..."
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
echo "raqib installed in .venv"

#!/usr/bin/env bash
# Regenerate the hash-pinned lock files the image is built from (Dockerfile: pip --require-hashes).
#   requirements.lock        every runtime dependency of pyproject.toml except torch, with all hashes
#   requirements-torch.lock  the CPU torch wheel (PyTorch's CPU index); pass its wheel to hash it:
#     bash scripts/lock.sh [path/to/torch-X+cpu-cp311-cp311-manylinux_2_28_x86_64.whl]
# Needs uv (`.venv/bin/pip install uv`). Resolves for Linux x86_64, Python 3.11 (the image's base).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
TORCH=${TORCH_SPEC:-torch==2.13.0+cpu}
override=$(mktemp)
echo "$TORCH" > "$override"
"$UV" pip compile pyproject.toml --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 --override "$override" ${FIND_LINKS:+--find-links "$FIND_LINKS"} \
  --no-emit-package torch --no-header --no-annotate --quiet -o requirements.lock
rm -f "$override"
sed -i '1i # Runtime dependencies of raqib (torch: requirements-torch.lock), hash-pinned. Regenerate: bash scripts/lock.sh' requirements.lock
if [[ -n "${1:-}" ]]; then
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  printf '%s\n' "# CPU torch for the image (Dockerfile: pip install --require-hashes --no-deps --index-url \$TORCH_INDEX_URL)." \
    "# Regenerate with scripts/lock.sh. Its dependencies are pinned in requirements.lock." \
    "$TORCH \\" "    --hash=sha256:$sha" > requirements-torch.lock
fi
echo "wrote requirements.lock$( [[ -n "${1:-}" ]] && echo ' and requirements-torch.lock')"

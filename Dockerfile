# syntax=docker/dockerfile:1.7
# raqib worker image: multi-stage (build venv → slim runtime), non-root, CPU-only torch.
#
#   docker build -t raqib:0.1.0 .
#   docker build --build-arg DOWNLOAD_MODELS=1 -t raqib:0.1.0-models .   # bake Stanza's Arabic models in
#
# NER model + gazetteer: mount the shared data read-only at /srv/shared (RAQIB_SHARED_DIR), or a model
# folder at RAQIB_NER_MODEL_DIR. Metrics on :9108/metrics, health on :9108/healthz (the HEALTHCHECK and
# the k8s probes use it). Python dependencies come from requirements.lock with --require-hashes, so the
# build installs exactly the locked files (`bash scripts/lock.sh` regenerates it).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: a self-contained virtualenv in /opt/venv ------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG DOWNLOAD_MODELS=0
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements-torch.lock requirements.lock ./
# CPU torch first, from PyTorch's CPU index (otherwise stanza's dependency pulls the CUDA build, +2 GB),
# then every other dependency: both pinned with hashes, nothing resolved at build time.
RUN python -m venv /opt/venv \
    && pip install --require-hashes --no-deps --index-url "${TORCH_INDEX_URL}" -r requirements-torch.lock \
    && pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY src/ src/
RUN pip install --no-deps . && pip check && raqib --help > /dev/null
# Optional: bake Stanza's official Arabic models into the image (needs network at build time).
RUN mkdir -p /opt/models/stanza \
    && if [ "${DOWNLOAD_MODELS}" = "1" ]; then raqib models download --dir /opt/models/stanza; fi

# --- runtime -------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="raqib" \
      org.opencontainers.image.description="Arabic news → structured conflict events (Faust/Kafka + Stanza)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 raqib \
    && useradd --system --uid 10001 --gid raqib --home-dir /home/raqib --create-home --shell /usr/sbin/nologin raqib \
    && mkdir -p /var/lib/raqib /srv/shared \
    && chown raqib:raqib /var/lib/raqib
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=raqib:raqib /opt/models /opt/models
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/raqib \
    RAQIB_DATA_DIR=/var/lib/raqib \
    RAQIB_SHARED_DIR=/srv/shared \
    RAQIB_STANZA_RESOURCES_DIR=/opt/models/stanza \
    RAQIB_METRICS_PORT=9108
WORKDIR /home/raqib
USER 10001:10001
EXPOSE 9108
# Healthy = /healthz answers 200: the event loop runs and batches complete while there is lag.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('RAQIB_METRICS_PORT', '9108'), timeout=4).read(1)"]
ENTRYPOINT ["raqib"]
CMD ["worker"]

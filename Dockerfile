# syntax=docker/dockerfile:1.7
# raqib worker image: multi-stage (build venv → slim runtime), non-root, CPU-only torch.
#
#   docker build -t raqib:0.1.0 .
#   docker build --build-arg DOWNLOAD_MODELS=1 -t raqib:0.1.0-models .   # bake Stanza's Arabic models in
#
# NER model + gazetteer: mount the shared data read-only at /srv/shared (RAQIB_SHARED_DIR), or a model
# folder at RAQIB_NER_MODEL_DIR. Metrics on :9108/metrics (the HEALTHCHECK and the k8s probes use it).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: a self-contained virtualenv in /opt/venv ------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG DOWNLOAD_MODELS=0
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
# CPU torch first, from PyTorch's CPU index: otherwise stanza's dependency pulls the CUDA build (+2 GB).
RUN python -m venv /opt/venv \
    && pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY stages/ stages/
COPY streams/ streams/
COPY agents/ agents/
COPY bench/ bench/
RUN pip install . && raqib --help > /dev/null
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
# Healthy = the metrics endpoint answers (the worker serves it once started).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('RAQIB_METRICS_PORT', '9108'), timeout=4).read(1)"]
ENTRYPOINT ["raqib"]
CMD ["worker"]

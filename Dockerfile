# ScamWise bot image: slim Python, CPU-only PyTorch, the index built at image build, non-root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SCAMWISE_DATABASE_URL=sqlite+aiosqlite:////app/data/scamwise.sqlite3 \
    SCAMWISE_HEARTBEAT_FILE=/app/data/heartbeat \
    SCAMWISE_INDEX_DIR=/app/index

WORKDIR /app

# CPU wheels only: a plain `pip install torch` would pull several GB of CUDA packages.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"

# Dependencies first, so that editing knowledge or code does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/__init__.py
RUN pip install . && pip uninstall -y scamwise

COPY bot ./bot
COPY scripts ./scripts
COPY knowledge ./knowledge
RUN pip install --no-deps . \
    && python scripts/build_index.py --quiet \
    && useradd --create-home --uid 10001 scamwise \
    && mkdir -p /app/data \
    && chown -R scamwise:scamwise /app/data /app/index

USER scamwise
VOLUME ["/app/data", "/app/index"]
EXPOSE 8443

# Healthy while the running bot keeps touching its heartbeat file (polling and webhook alike).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot", "run"]

# ragmono: one container. Build: docker build -t ragmono .   Run: docker run -p 8000:8000 -v ragmono-data:/data ragmono
# Stage 1 installs the locked dependencies (uv.lock) into /opt/venv; stage 2 copies only that.

FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir "uv>=0.9,<1"
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim-bookworm AS runtime
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ragmono \
    && mkdir -p /data && chown ragmono:ragmono /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config ./config
COPY migrations ./migrations
# The embedding model (int8 ONNX) and its tokenizer ship inside the installed packages:
# nothing is downloaded at run time. Configuration is by RAGMONO_* environment variables.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    RAGMONO_SERVER__HOST=0.0.0.0 \
    RAGMONO_STORAGE__DATA_DIR=/data \
    RAGMONO_BACKUP__DIR=/data/backups \
    RAGMONO_LOGGING__FORMAT=json
VOLUME ["/data"]
USER ragmono
EXPOSE 8000
# The slim image has no curl: Python asks /health, on the port the server was told to use.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('RAGMONO_SERVER__PORT', '8000'), timeout=2)"]
ENTRYPOINT ["ragmono", "serve", "--config", "/app/config/ragmono.toml"]

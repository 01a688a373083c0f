# syntax=docker/dockerfile:1
# attestd: multi-stage build, small non-root runtime image.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/attestd
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
# The server depends on the pipeline client of this tree ("attestd-client @ {root:uri}/client"),
# which pip builds from here; it gives the image `attestd submit|verdict` and `attestd-client`.
COPY client ./client
# A regular (not editable) install: the wheel carries the migrations in app/migrations.
RUN /opt/attestd/bin/pip install .

FROM python:3.11-slim
RUN groupadd --system attestd \
    && useradd --system --gid attestd --home-dir /var/lib/attestd --create-home attestd
COPY --from=build /opt/attestd /opt/attestd
ENV PATH=/opt/attestd/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ATTESTD_HOST=0.0.0.0 \
    ATTESTD_PORT=8000 \
    ATTESTD_DATABASE_URL=sqlite:////var/lib/attestd/attestd.db
USER attestd
WORKDIR /var/lib/attestd
VOLUME ["/var/lib/attestd"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ATTESTD_PORT', '8000'), timeout=2)"]
# `attestd serve` applies pending migrations, then serves with uvicorn.
CMD ["attestd", "serve"]

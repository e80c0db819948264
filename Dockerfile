# Baogong — one image for the web nodes, the worker and the scheduler (compose.yaml).
# Slim Debian with what PDFs need (WeasyPrint's Pango, a Chinese font) and pg_dump for backups;
# runs as an unprivileged user; everything it writes lives in BAOGONG_VAR_DIR (a volume, shared by the
# web nodes of compose.yaml). The user's home is /home/baogong, not that volume: gunicorn keeps its
# control socket there (~/.gunicorn/gunicorn.ctl, one per node) and fontconfig its cache.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BAOGONG_VAR_DIR=/var/lib/baogong \
    BAOGONG_PRODUCTION=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-wqy-zenhei libpango-1.0-0 libpangoft2-1.0-0 postgresql-client curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system baogong \
    && useradd --system --gid baogong --create-home --home-dir /home/baogong --shell /usr/sbin/nologin baogong \
    && install -d -o baogong -g baogong /var/lib/baogong

WORKDIR /srv/baogong
COPY pyproject.toml README.md LICENSE THIRD-PARTY.md ./
COPY baogong ./baogong
RUN pip install . gunicorn \
    # static files are built into the image (whitenoise serves them with far-future caching)
    && SECRET_KEY=build-only-not-secret BAOGONG_VAR_DIR=/srv/baogong/build \
       baogong collectstatic --noinput \
    && mv /srv/baogong/build/static /srv/baogong/static && rm -rf /srv/baogong/build baogong
ENV STATIC_ROOT=/srv/baogong/static

USER baogong
VOLUME ["/var/lib/baogong"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "baogong.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", \
     "--access-logfile", "-"]

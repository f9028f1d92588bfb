# One image for every role: web (gunicorn, the default command), worker, beat, migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

WORKDIR /app

# The project installs dependencies only (no packages of its own): this layer is rebuilt
# when pyproject.toml changes, not on every code change.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are collected into the image so every web replica serves the same hashed
# names from its own disk (WhiteNoise). The key only lets settings load; it signs nothing.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-step-only python manage.py collectstatic --no-input

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin bzpeer \
    && mkdir -p /app/media \
    && chown bzpeer /app/media
USER bzpeer

EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for its number of worker processes.
CMD ["gunicorn", "bzpeer.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]

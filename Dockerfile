# The portal's image: web (gunicorn), worker and beat (Celery) and one-off management commands.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=partnercenter.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected into the image (served by WhiteNoise). The production settings refuse
# to load without a secret key, so this step gets a throw-away one that is not kept in the image.
RUN DJANGO_SECRET_KEY=collectstatic-build-step-only python manage.py collectstatic --no-input -v 0 \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin portal

USER portal

EXPOSE 8000

CMD ["gunicorn", "partnercenter.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

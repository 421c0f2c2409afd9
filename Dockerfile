# Commerce Hub image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Pango and fonts for WeasyPrint's PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install . \
 && DEBUG=false SECRET_KEY=collectstatic-only STATIC_MANIFEST=true VAR_DIR=/app/var \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app hub && chown -R hub /app/var

USER hub
ENV STATIC_MANIFEST=true VAR_DIR=/app/var
EXPOSE 8000
CMD ["gunicorn", "commerce.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

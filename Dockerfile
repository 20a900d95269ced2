# One image for every process: api, worker, beat, flower and the one-shot migrate job.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY workers ./workers
COPY shared ./shared
COPY simulators ./simulators
COPY devstack ./devstack
COPY migrations ./migrations
COPY celeryconfig.py flowerconfig.py alembic.ini ./
RUN pip install . && useradd --create-home --uid 10001 navai && mkdir -p /data && chown navai /data

USER navai
ENV DATA_DIR=/data PORT=3000
EXPOSE 3000 5555
CMD ["gunicorn", "--bind", "0.0.0.0:3000", "--workers", "2", "api:create_app()"]

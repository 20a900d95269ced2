"""`GET /metrics`: the whole deployment in Prometheus' text format, read at scrape time.

Nothing is counted in the API process: run counts and durations come from `sync_runs`, AI call
counts from `calls`, records synced and upstream requests from the Redis counters the workers of
every host add to (`shared.metrics`), queue lengths from the broker, workers online from their liveness keys.
When `METRICS_TOKEN` is set the scraper must send `Authorization: Bearer <METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from api.http.access import Access
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import Services, services
from api.observability import readings as deployment
from api.openapi.security import METRICS_TOKEN
from shared import metrics
from shared.db import session_scope

bp = Blueprint("metrics", __name__)

# Run durations span seconds (one record) to hours (a full HEMIS sync on a slow link).
DURATION_BUCKETS_S = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)


def _check_token(given: str) -> None:
    """Nothing to check without METRICS_TOKEN; with it, the scraper's header must name it."""
    expected = services().settings.metrics_token
    if not expected:
        return
    if not hmac.compare_digest(given.encode("utf-8"), f"Bearer {expected}".encode("utf-8")):
        raise ApiError(401, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>")


METRICS_ACCESS = Access(scheme=METRICS_TOKEN, header="Authorization", verify=_check_token, optional=True)
PROMETHEUS_TEXT = ResponseDoc("Prometheus' text format", media_type="text/plain", schema={"type": "string"})


@bp.get("/metrics")
@endpoint(auth=METRICS_ACCESS, responses={200: PROMETHEUS_TEXT})
def metrics_endpoint() -> Response:
    """The whole deployment's runs, records, upstream requests, queues and workers, for Prometheus."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeploymentCollector(services()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class DeploymentCollector:
    """A prometheus_client collector that reads the database and Redis on every scrape."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc

    def collect(self) -> Iterator[Metric]:
        yield from self._from_database()
        yield from self._from_redis()
        online = GaugeMetricFamily("navai_workers_online", "Celery workers whose liveness key is set")
        # Liveness keys, never a broadcast ping: a scrape (public without METRICS_TOKEN) costs two round trips.
        online.add_metric([], len(self._svc.leases.alive_workers()))
        yield online

    def _from_database(self) -> Iterator[Metric]:
        with session_scope(self._svc.session_factory) as session:
            by_status = deployment.finished_runs_by_kind_and_status(session)
            running = deployment.running_by_kind(session)
            durations = deployment.finished_duration_histograms(session, DURATION_BUCKETS_S)
            ai_calls = deployment.ai_calls_by_status(session)
        runs = CounterMetricFamily("navai_sync_runs", "Finished sync runs by kind and status",
                                   labels=["kind", "status"])
        for (kind, status), count in sorted(by_status.items()):
            runs.add_metric([kind, status], count)
        yield runs
        gauge = GaugeMetricFamily("navai_sync_runs_running", "Sync runs running now", labels=["kind"])
        for kind, count in sorted(running.items()):
            gauge.add_metric([kind], count)
        yield gauge
        yield _duration_histogram(durations)
        calls = GaugeMetricFamily("navai_ai_calls", "Calls by AI processing status", labels=["status"])
        for status, count in ai_calls.items():
            calls.add_metric([status], count)
        yield calls

    def _from_redis(self) -> Iterator[Metric]:
        client = self._svc.redis
        records = CounterMetricFamily("navai_records_synced", "Records written by syncs", labels=["kind"])
        for kind, count in metrics.records_synced(client).items():
            records.add_metric([kind], count)
        yield records
        upstream = CounterMetricFamily("navai_upstream_requests", "Requests to upstream APIs by outcome",
                                       labels=["upstream", "outcome"])
        for (name, outcome), count in sorted(metrics.upstream_requests(client).items()):
            upstream.add_metric([name, outcome], count)
        yield upstream
        queues = GaugeMetricFamily("navai_queue_messages", "Messages waiting in a Celery queue", labels=["queue"])
        for queue, length in deployment.queue_lengths(client).items():
            queues.add_metric([queue], length)
        yield queues


def _duration_histogram(durations: dict[str, deployment.DurationHistogram]) -> HistogramMetricFamily:
    histogram = HistogramMetricFamily("navai_sync_run_duration_seconds", "Duration of finished sync runs",
                                      labels=["kind"])
    empty = deployment.DurationHistogram([0] * len(DURATION_BUCKETS_S), 0, 0.0)
    for kind in sorted(set(deployment.RUN_KINDS) | set(durations)):
        counts = durations.get(kind, empty)
        buckets = [(_bound(bound), n) for bound, n in zip(DURATION_BUCKETS_S, counts.bucket_counts, strict=True)]
        buckets.append(("+Inf", counts.count))
        histogram.add_metric([kind], buckets, sum_value=counts.sum_s)
    return histogram


def _bound(seconds: float) -> str:
    return f"{seconds:g}" if seconds != int(seconds) else f"{seconds:.1f}"

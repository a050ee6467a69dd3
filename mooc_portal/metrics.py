"""Prometheus metrics: requests by endpoint and status and their latency (prometheus-flask-
exporter), and the portal's own counters for background work.

Under gunicorn every worker is a process: with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py
sets it) the exporter's multiprocess mode adds up the workers' figures at ``/metrics``. The job
worker (``flask portal worker``) counts jobs and harvests: give it the same directory on the
same host, and its figures are on that host's ``/metrics`` too.
"""

from __future__ import annotations

import os

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Histogram

JOBS = Counter(
    "mooc_jobs_total",
    "Background jobs by kind and outcome: enqueued (committed to the outbox), done, retried "
    "(failed, another attempt follows) and failed (no attempt left).",
    ["job", "outcome"],
    registry=None,
)
JOB_DURATION = Histogram(
    "mooc_job_duration_seconds",
    "How long background jobs ran, by job name.",
    ["job"],
    registry=None,
)
HARVESTS = Counter(
    "mooc_harvest_runs_total",
    "Harvest runs finished, by peer and outcome (succeeded, failed).",
    ["peer", "outcome"],
    registry=None,
)
HARVESTED_RECORDS = Counter(
    "mooc_harvested_records_total",
    "Records a harvest stored or rejected, by peer and outcome (stored, rejected).",
    ["peer", "outcome"],
    registry=None,
)
EARLY_CACHE_RESPONSES = Counter(
    "mooc_early_cache_responses_total",
    "Anonymous pages answered from the page cache before Flask ran, by content encoding "
    "(identity, gzip, br) or not-modified (304); not in the per-endpoint request metrics.",
    ["answer"],
    registry=None,
)
PORTAL_METRICS = (JOBS, JOB_DURATION, HARVESTS, HARVESTED_RECORDS, EARLY_CACHE_RESPONSES)


def count_job(kind: str, outcome: str, seconds: float | None = None) -> None:
    """A job of ``kind`` was enqueued, done, retried or failed (and ran ``seconds``)."""
    JOBS.labels(kind, outcome).inc()
    if seconds is not None:
        JOB_DURATION.labels(kind).observe(seconds)


def count_harvest(peer: str, outcome: str, *, stored: int, rejected: int) -> None:
    """A harvest run of ``peer`` finished (succeeded or failed) with what it stored and
    rejected."""
    HARVESTS.labels(peer, outcome).inc()
    HARVESTED_RECORDS.labels(peer, "stored").inc(stored)
    HARVESTED_RECORDS.labels(peer, "rejected").inc(rejected)


def install(app: Flask) -> None:
    """Requests metrics and ``/metrics`` on ``app``; the multiprocess mode under gunicorn."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        exporter = GunicornInternalPrometheusMetrics(app, group_by="endpoint")
    else:
        from prometheus_flask_exporter import PrometheusMetrics

        registry = CollectorRegistry(auto_describe=True)
        for metric in PORTAL_METRICS:
            registry.register(metric)
        exporter = PrometheusMetrics(app, registry=registry, group_by="endpoint")
    exporter.info("mooc_portal_info", "The portal's version.", version=_version())


def _version() -> str:
    from mooc_portal import __version__

    return __version__

"""gunicorn's settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden by the environment named beside it (docs/deployment.md).
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("MOOC_BIND", "127.0.0.1:8000")
# Sync workers: the portal's requests are short (cached pages, bounded queries); two per core
# plus one, the figure gunicorn's documentation starts from.
workers = int(os.environ.get("MOOC_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("MOOC_WORKER_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter), so a slow leak cannot grow.
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("MOOC_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
# prometheus-flask-exporter's multiprocess mode: each worker writes its figures here and
# /metrics adds them up; emptied at start so a dead worker's figures do not linger.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "mooc-portal-metrics")
)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def post_worker_init(worker):
    """Read the catalog's in-memory columns before the worker's first request (the catalog
    search counts on them: ``mooc_portal/catalog/columns.py``); a failure only logs, the first
    search then reads them."""
    from mooc_portal.catalog.search import warm_columns

    try:
        with worker.wsgi.app_context():
            warm_columns()
    except Exception:  # the database may be away at start: the first search retries
        worker.log.warning("Could not read the catalog columns at start", exc_info=True)

"""The benchmarks' gunicorn: an app served as in production, on a free port, with the bare
settings of ``benchmarks/gunicorn_bare.py`` (sync workers, no access log), so that every
benchmark measures the portal, and "hello" under the same settings, not gunicorn's logging."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mooc_portal.certificates.issuer import generate_key_pem
from tests.faults.servers import free_port, wait_for_port

__all__ = ["ROOT", "free_port", "production_env", "start_gunicorn"]

ROOT = Path(__file__).resolve().parent.parent
BARE_SETTINGS = ROOT / "benchmarks" / "gunicorn_bare.py"


def production_env(port: int, database_url: str, **config: str) -> dict[str, str]:
    """This process's environment with what production requires of the portal served on
    127.0.0.1:``port`` (a fresh secret and signing key, its public URL, the database) and
    ``config`` (more ``MOOC_`` settings)."""
    return {
        **os.environ,
        "MOOC_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "MOOC_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MOOC_CREDENTIAL_KEY": generate_key_pem(),
        "MOOC_DATABASE_URL": database_url,
        **config,
    }


def start_gunicorn(
    app: str,
    port: int,
    env: Mapping[str, str],
    *,
    workers: int,
    options: Sequence[str] = (),
    cwd: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """gunicorn serving ``app`` (``module:variable``, imported from ``cwd``: another checkout
    serves that checkout's portal) with ``workers`` sync workers (gunicorn's default class) on
    127.0.0.1:``port`` and ``options`` beyond the bare settings, once it accepts connections.
    The caller terminates it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(BARE_SETTINGS),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *options,
            app,
        ],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(cwd)},
    )
    try:
        wait_for_port(port, timeout=60, process=process)
    except BaseException:
        process.terminate()
        process.wait(timeout=30)
        raise
    return process

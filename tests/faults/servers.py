"""Private servers for the fault suite, started and stopped by the tests themselves.

- :class:`PostgresCluster`: a PostgreSQL 15 cluster of its own (``initdb``/``pg_ctl`` as the
  ``postgres`` OS user, a temporary data directory, its own loopback port and socket folder),
  which a test may stop, restart, terminate connections of, or copy into a streaming replica
  (``pg_basebackup -R``) and promote.
- :class:`RedisServer`: a ``redis-server`` on its own port, no persistence.
- :class:`SmtpServer`: an aiosmtpd server in a thread that keeps what it receives; ``stop()`` and
  ``start()`` take it down and bring it back on the same port.
- :class:`PortalProcess`: the portal under gunicorn in a subprocess on a free port.
- :class:`Visitor`: one browser-like HTTP session (cookies, CSRF token) against a served portal.

Nothing here is a stand-in for the portal's collaborators: each is the real server, on
127.0.0.1 only. Every server is removed (process stopped, directory deleted) by ``remove()``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from mooc_portal.certificates.issuer import generate_key_pem


def _server_binaries() -> Path:
    """``MOOC_PG_BIN``, else the newest ``/usr/lib/postgresql/<version>/bin`` (Debian's)."""
    if os.environ.get("MOOC_PG_BIN"):
        return Path(os.environ["MOOC_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _server_binaries()
ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    """A loopback port free right now (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing_tools() -> str | None:
    """Why private PostgreSQL clusters cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN}"
    if os.geteuid() != 0:
        return "starting a private PostgreSQL cluster needs root (runuser -u postgres)"
    if shutil.which("runuser") is None:
        return "runuser not found"
    return None


def _as_postgres(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_port(port: int, *, timeout: float = 30, process: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout} s")


class PostgresCluster:
    """A private PostgreSQL cluster. ``PostgresCluster.create("primary")`` runs ``initdb``."""

    # Settings for a test machine: durability against a power cut is not what is tested
    # (fsync off); WAL and replication are on so a replica can follow.
    SETTINGS = {
        "listen_addresses": "'127.0.0.1'",
        "fsync": "off",
        "full_page_writes": "off",
        "shared_buffers": "32MB",
        "max_connections": "60",
        "wal_level": "replica",
        "max_wal_senders": "4",
        "hot_standby": "on",
        "log_min_messages": "warning",
    }

    def __init__(self, name: str, root: Path, port: int) -> None:
        self.name = name
        self.root = root
        self.port = port
        self.data = root / "data"
        self.log = root / "server.log"

    @classmethod
    def _new_root(cls, name: str) -> Path:
        root = Path(tempfile.mkdtemp(prefix=f"mooc-faults-{name}-"))
        shutil.chown(root, "postgres", "postgres")
        return root

    @classmethod
    def create(cls, name: str = "primary") -> PostgresCluster:
        cluster = cls(name, cls._new_root(name), free_port())
        _as_postgres(
            str(PG_BIN / "initdb"),
            "--pgdata",
            str(cluster.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        with (cluster.data / "postgresql.conf").open("a") as conf:
            for key, value in cls.SETTINGS.items():
                conf.write(f"{key} = {value}\n")
        cluster.start()
        return cluster

    def replica(self, name: str = "replica") -> PostgresCluster:
        """A streaming replica of this (running) cluster, started: ``pg_basebackup -R``."""
        replica = PostgresCluster(name, self._new_root(name), free_port())
        _as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--username",
            "postgres",
            "--pgdata",
            str(replica.data),
            "--write-recovery-conf",
            "--wal-method",
            "stream",
            "--checkpoint",
            "fast",
            "--no-sync",
            timeout=120,
        )
        replica.start()
        return replica

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "--pgdata", str(self.data), *args, timeout=timeout)

    def start(self) -> None:
        self._pg_ctl(
            "--log",
            str(self.log),
            "--wait",
            "--options",
            f"-p {self.port} -k {self.root}",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("--wait", "--mode", mode, "stop")

    def promote(self) -> None:
        self._pg_ctl("--wait", "promote")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def connect(self, database: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def execute(self, sql: str, *params: Any, database: str = "postgres") -> list[tuple[Any, ...]]:
        with self.connect(database) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str) -> str:
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def terminate_backends(self, database: str) -> int:
        """End every other connection to ``database`` (what a failover or PgBouncer does)."""
        rows = self.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            database,
        )
        return int(rows[0][0])

    def pg_tool(self, tool: str, *args: str, timeout: float = 300) -> None:
        """Run a client tool of this server's version (``pg_dump``, ``pg_restore``...)."""
        subprocess.run(
            [str(PG_BIN / tool), "--host", "127.0.0.1", "--port", str(self.port), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PGUSER": "postgres"},
        )

    def remove(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def multi_host_url(database: str, *clusters: PostgresCluster) -> str:
    """One URL naming every cluster; libpq connects to whichever accepts writes."""
    hosts = "&".join(f"host=127.0.0.1:{cluster.port}" for cluster in clusters)
    return f"postgresql+psycopg://postgres@/{database}?{hosts}&target_session_attrs=read-write"


class RedisServer:
    """A private ``redis-server`` on a free loopback port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mooc-faults-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def ping(self) -> None:
        """PING over the wire; raises unless the server answers PONG."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            answer = connection.recv(64)
        if not answer.startswith(b"+PONG"):
            raise ConnectionError(f"redis answered {answer!r}")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class SmtpServer:
    """A private SMTP server (aiosmtpd) that keeps every message it accepts in ``messages``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self._controller: Any = None
        self.start()

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        server = self

        class Keep(Message):
            def handle_message(self, message: Any) -> None:
                server.messages.append(message)

        self._controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self) -> dict[str, Any]:
        """The portal's mail settings for this server."""
        return {"MOOC_MAIL_SERVER": "127.0.0.1", "MOOC_MAIL_PORT": self.port}

    def remove(self) -> None:
        self.stop()


@dataclass
class PortalProcess:
    """The portal under gunicorn (sync workers) in a subprocess, on a free loopback port."""

    database_url: str
    workers: int = 2
    config: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    instance: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PortalProcess:
        self.instance = Path(tempfile.mkdtemp(prefix="mooc-faults-instance-"))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOOC_")},
            "MOOC_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "MOOC_PUBLIC_URL": self.url,
            "MOOC_CREDENTIAL_KEY": generate_key_pem(),
            "MOOC_DATABASE_URL": self.database_url,
            "MOOC_DATABASE_CONNECT_TIMEOUT": "2",
            **self.config,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
                f"mooc_portal.app:create_app(instance_path={str(self.instance)!r})",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
        if self.instance is not None:
            shutil.rmtree(self.instance, ignore_errors=True)


class Visitor:
    """One visitor's HTTP session against a served portal: cookies and the CSRF token."""

    def __init__(self, base_url: str, email: str | None = None) -> None:
        self.email = email
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        self.csrf = ""

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})})

    def log_in(self, password: str) -> Visitor:
        page = self.get("/account/login")
        token = CSRF.search(page.text)
        assert page.status_code == 200 and token, f"login page answered {page.status_code}"
        answer = self.client.post(
            "/account/login",
            data={"email": self.email or "", "password": password, "csrf_token": token.group(1)},
        )
        assert answer.status_code == 302, f"login of {self.email} answered {answer.status_code}"
        page = self.get("/my/learning")
        token = CSRF.search(page.text)
        assert page.status_code == 200 and token, f"my enrolments answered {page.status_code}"
        self.csrf = token.group(1)
        return self

    def close(self) -> None:
        self.client.close()


def wait_until(predicate: Any, *, timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``predicate()`` is true; raises after ``timeout``."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(interval)


__all__ = [
    "PortalProcess",
    "PostgresCluster",
    "RedisServer",
    "SmtpServer",
    "Visitor",
    "free_port",
    "multi_host_url",
    "wait_until",
]

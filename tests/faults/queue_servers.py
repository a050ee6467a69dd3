"""Private servers the fault tests start and stop: Redis and SMTP on free loopback ports, and a
fresh PostgreSQL database whose writes are really committed (workers in other processes read
them), used by the queue fault tests, the jobs two-host test and benchmarks/job_faults.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.scratch_database import postgres_unavailable_reason, scratch_database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """``redis-server`` on its own port, no persistence: stopping it loses what it held."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            if os.environ.get("MOOC_REQUIRE_REDIS"):
                pytest.fail("MOOC_REQUIRE_REDIS is set but redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Mailbox:
    """An aiosmtpd server keeping what it receives; ``block`` holds the next RCPT forever."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.block = False
        self.blocked = False
        self.controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.block:
            self.blocked = True
            await asyncio.sleep(3600)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def committed_postgres() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the test; dropped after."""
    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("MOOC_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    with scratch_database("mooc_faults") as url:
        yield url


def wait_for(condition: Any, *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)

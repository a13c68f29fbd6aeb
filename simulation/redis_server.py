"""A real ``redis-server`` for a test or a bench: a free 127.0.0.1 port, a password, no
persistence, in a folder of its own; stopped on exit.

Without ``redis-server`` on the PATH the caller is skipped on a laptop and fails in CI
(``CI`` set), which installs Debian's ``redis-server``.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator

import redis

from simulation.requirements import skip_or_fail
from simulation.stack import free_port, stop_process

START_TIMEOUT_S = 20


@dataclass
class RedisServer:
    host: str
    port: int
    password: str
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@{self.host}:{self.port}/0"

    def settings(self, **extra: Any) -> Dict[str, Any]:
        """Keyword arguments for a lock store (Rasa's or ours) on this server."""
        return {"host": self.host, "port": self.port, "password": self.password, **extra}

    def client(self, db: int = 1) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, password=self.password, db=db,
                           socket_timeout=5)

    def stop(self) -> None:
        stop_process(self.process)


def _wait_for_ping(server: RedisServer, log: Path) -> None:
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {server.process.returncode}: "
                               f"{log.read_text()}")
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server never answered PING: {log.read_text()}")
            time.sleep(0.05)  # polling for the server's start


@contextmanager
def running_redis(workdir: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not on the PATH (Debian: apt-get install redis-server)",
                     "CI installs redis-server")
    port, password = free_port(), secrets.token_hex(16)
    log = workdir / "redis.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password,
             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=sink, stderr=subprocess.STDOUT)
    server = RedisServer("127.0.0.1", port, password, process)
    try:
        _wait_for_ping(server, log)
        yield server
    finally:
        server.stop()

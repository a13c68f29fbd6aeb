"""Start and stop the cluster as ``make run-cluster`` does: N Rasa replicas and the
action servers behind HAProxy, Redis and PostgreSQL, on free ports.

The configuration is written by ``python -m cluster write`` into a folder of the test's
own (``CLUSTER_STATE_DIR``) and Honcho starts its Procfile, exactly the commands of
``make run-cluster``. :class:`ClusterStack` adds what the tests and the bench need: each
replica's address and process, Redis's, HAProxy's runtime API.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests

from simulation.stack import (
    PROJECT_ROOT, Stack, alive, descendants, free_port, migrate, stack_env,
)

REPLICA_START_TIMEOUT_S = 300


@dataclass
class ClusterStack(Stack):
    replica_addresses: Sequence[str] = ()

    @property
    def state_dir(self) -> Path:
        return Path(self.env["CLUSTER_STATE_DIR"])

    @property
    def runtime_socket(self) -> Path:
        return self.state_dir / "haproxy.sock"

    def replica_url(self, index: int) -> str:
        """Replica ``index`` (1-based) itself, not through HAProxy."""
        return f"http://{self.replica_addresses[index - 1]}"

    def pid_of(self, command_part: str) -> Optional[int]:
        """The process under Honcho whose command line contains ``command_part`` (not a
        shell that runs it, such as ``keep_running.sh``)."""
        for pid in descendants(self.process.pid):
            try:
                argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            program = Path(argv[0].decode(errors="replace")).name
            if command_part.encode() in b" ".join(argv) and program not in ("sh", "bash"):
                return pid
        return None

    def replica_pid(self, index: int) -> Optional[int]:
        host, port = self.replica_addresses[index - 1].rsplit(":", 1)
        return self.pid_of(f"--interface {host} --port {port}")

    def kill_replica(self, index: int, timeout: float = 30) -> None:
        """``kill -9`` replica ``index``, and return once its port refuses connections:
        what the next patient turn, seconds later, meets. (A process with gigabytes
        mapped takes a while to exit, and its listening socket is closed last.)"""
        pid = self.replica_pid(index)
        if pid is None:
            raise RuntimeError(f"replica {index} is not running")
        self.kill_pid(pid)
        host, port = self.replica_addresses[index - 1].rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((host, int(port))) != 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"replica {index} still accepts connections after kill -9")

    @staticmethod
    def kill_pid(pid: int, timeout: float = 10) -> None:
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def cluster_command(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cluster", *args], cwd=PROJECT_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def wait_until_replicas_ready(self) -> None:
        deadline = time.monotonic() + REPLICA_START_TIMEOUT_S
        pending = list(range(1, len(self.replica_addresses) + 1))
        while pending and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cluster exited early:\n{self.output()}")
            for index in list(pending):
                try:
                    answer = requests.get(f"{self.replica_url(index)}/status",
                                          params={"token": self.api_token}, timeout=2)
                    if answer.ok and answer.json().get("model_file"):
                        pending.remove(index)
                except requests.RequestException:
                    pass
            time.sleep(1)
        if pending:
            raise RuntimeError(f"replicas {pending} not ready\n{self.output()}")


def cluster_env(tmp: Path, database_url: str, replicas: int,
                hosts: Optional[List[str]] = None) -> Dict[str, str]:
    env = stack_env(tmp, database_url, database_url)
    hosts = hosts or ["127.0.0.1"] * replicas
    addresses = [f"{host}:{free_port()}" for host in hosts[:replicas]]
    env.update(
        CLUSTER_STATE_DIR=str(tmp / "cluster"),
        CLUSTER_REPLICAS=" ".join(addresses),
        CLUSTER_ACTION_SERVERS=" ".join(f"127.0.0.1:{free_port()}" for _ in range(2)),
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(free_port()),
        REDIS_PASSWORD=secrets.token_hex(24),
    )
    env["VOICE_CHANNEL_REDIS_URL"] = (f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:"
                                      f"{env['REDIS_PORT']}/1")
    return env


@contextmanager
def running_cluster(tmp: Path, replicas: int = 2, hosts: Optional[List[str]] = None,
                    extra_env: Optional[Dict[str, str]] = None) -> Iterator[ClusterStack]:
    """The cluster on PostgreSQL (``TEST_POSTGRES_URL``, emptied first), ready."""
    from simulation.databases import postgres_url, reset_schema

    database = postgres_url()
    reset_schema(database)
    env = {**cluster_env(tmp, database, replicas, hosts), **(extra_env or {})}
    migrate(env)
    written = subprocess.run([sys.executable, "-m", "cluster", "write"], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True)
    if written.returncode != 0:
        raise RuntimeError(f"python -m cluster write failed: {written.stderr}")
    stack = ClusterStack(env, tmp / "cluster.log", procfile=str(tmp / "cluster" / "Procfile"),
                         replica_addresses=env["CLUSTER_REPLICAS"].split())
    stack.start()
    try:
        stack.wait_until_ready()
        stack.wait_until_replicas_ready()
        yield stack
    finally:
        stack.kill()

"""The cluster's processes (a Procfile for Honcho, like ``make run``'s) and Redis's
configuration.

Replicas, action servers and Redis are started again when they die
(``scripts/keep_running.sh``). Replicas and action servers whose address is on this
machine's loopback are started here; the others are started on their own machines with the same commands (the
README's "Running on several machines"). Redis keeps nothing on disk: it holds only
locks, used tickets, rate counters and line leases, all of which expire.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import List

from cluster.haproxy_config import action_server_name, haproxy_config, replica_name
from cluster.settings import ClusterSettings

PY = ".venv/bin/python"
# A replica or Redis that dies is started again, the others keep serving (Honcho alone
# would stop them all).
KEEP = "scripts/keep_running.sh"


def is_local(host: str) -> bool:
    return host.startswith("127.") or host == "localhost"


def procfile(settings: ClusterSettings) -> str:
    state = settings.state_dir
    lines: List[str] = [
        f"duckling: exec {PY} -m embedded_duckling --host $DUCKLING_HOST --port $DUCKLING_PORT",
        f"redis: exec {KEEP} redis-server {state / 'redis.conf'}",
        f"haproxy: exec haproxy -W -db -f {state / 'haproxy.cfg'}",
    ]
    for index, (host, port) in enumerate(settings.action_servers):
        if is_local(host):
            lines.append(f"{action_server_name(index)}: SANIC_HOST={host} exec {KEEP} {PY} "
                         f"-m rasa_sdk --actions actions --port {port}")
    for index, (host, port) in enumerate(settings.replicas):
        if is_local(host):
            lines.append(f"{replica_name(index)}: RASA_HOST={host} RASA_PORT={port} "
                         f"RASA_ENDPOINTS=endpoints.cluster.yml exec {KEEP} scripts/serve_rasa.sh")
    lines += [
        f"purge: exec {PY} -m clinic.retention --every ${{PURGE_EVERY_S:-3600}}",
        f"staff: exec {PY} -m staff_console --host ${{STAFF_HOST:-127.0.0.1}} "
        "--port ${STAFF_PORT:-5006}",
    ]
    return "\n".join(lines) + "\n"


def redis_config(settings: ClusterSettings) -> str:
    if not settings.redis_password or len(settings.redis_password) < 16:
        raise ValueError("REDIS_PASSWORD: 16 characters or more (make run-cluster "
                         "generates var/redis_password)")
    host, port = settings.redis
    return "\n".join([
        f"bind {host}",
        f"port {port}",
        "protected-mode yes",
        f"requirepass {settings.redis_password}",
        'save ""',
        "appendonly no",
        f"dir {settings.state_dir}",
        "",
    ])


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def write_configuration(settings: ClusterSettings) -> List[Path]:
    """Write ``var/cluster/{haproxy.cfg,redis.conf,Procfile}`` (owner only)."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.state_dir, 0o700)
    files = {"haproxy.cfg": haproxy_config(settings), "redis.conf": redis_config(settings),
             "Procfile": procfile(settings)}
    written = []
    for name, text in files.items():
        _write_private(settings.state_dir / name, text)
        written.append(settings.state_dir / name)
    return written

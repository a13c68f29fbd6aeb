"""The cluster's settings from the environment: the one module of :mod:`cluster` that
reads it. Every variable, its default and its meaning are in ``.env.example``.

Replicas are addresses, so that a replica on another machine is a change of address:
``CLUSTER_REPLICAS="10.0.0.2:5101 10.0.0.3:5101"``. Without it, ``REPLICAS`` replicas
are numbered on 127.0.0.1 from ``CLUSTER_FIRST_PORT``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from clinic.settings import positive_int

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = PROJECT_ROOT / "var" / "cluster"

Address = Tuple[str, int]


def parse_addresses(text: str, variable: str) -> List[Address]:
    """``"127.0.0.2:5101 127.0.0.3:5101"`` → the (host, port) pairs."""
    addresses = []
    for item in text.replace(",", " ").split():
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{variable}: {item!r} is not host:port")
        addresses.append((host, int(port)))
    if len(set(addresses)) != len(addresses):
        raise ValueError(f"{variable}: an address is listed twice")
    return addresses


def _addresses(list_variable: str, count_variable: str, default_count: int,
               first_port_variable: str, default_first_port: int) -> List[Address]:
    listed = os.environ.get(list_variable)
    if listed:
        return parse_addresses(listed, list_variable)
    first = positive_int(first_port_variable, default_first_port)
    return [("127.0.0.1", first + i) for i in range(positive_int(count_variable, default_count))]


@dataclass(frozen=True)
class ClusterSettings:
    replicas: List[Address]  # the Rasa servers (voice channel inside)
    action_servers: List[Address]
    public: Address  # HAProxy's front for clients and Twilio
    actions_front: Address  # HAProxy's front for the replicas' action calls
    redis: Address
    database_url: str
    drain_timeout_s: int  # how long make drain / deploy-model wait for calls to end
    api_token: Optional[str]  # Rasa's admin token (loading a model)
    redis_password: Optional[str]
    state_dir: Path  # the generated configuration and HAProxy's runtime socket

    @property
    def runtime_socket(self) -> Path:
        return self.state_dir / "haproxy.sock"


def cluster_settings() -> ClusterSettings:
    from clinic.settings import database_url

    return ClusterSettings(
        replicas=_addresses("CLUSTER_REPLICAS", "REPLICAS", 2, "CLUSTER_FIRST_PORT", 5101),
        action_servers=_addresses("CLUSTER_ACTION_SERVERS", "ACTION_REPLICAS", 2,
                                  "CLUSTER_FIRST_ACTION_PORT", 5151),
        public=(os.environ.get("RASA_HOST") or "127.0.0.1", positive_int("RASA_PORT", 5005)),
        actions_front=("127.0.0.1", positive_int("ACTION_PORT", 5055)),
        redis=(os.environ.get("REDIS_HOST") or "127.0.0.1", positive_int("REDIS_PORT", 6379)),
        database_url=database_url(),
        drain_timeout_s=positive_int("DRAIN_TIMEOUT_S", 900),
        api_token=os.environ.get("RASA_API_TOKEN") or None,
        redis_password=os.environ.get("REDIS_PASSWORD") or None,
        state_dir=Path(os.environ.get("CLUSTER_STATE_DIR") or STATE_DIR),
    )

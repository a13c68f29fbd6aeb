"""Drain a replica, and roll a new model out one replica at a time.

``drain``: HAProxy sends the replica no new turn and no new call; its live calls go on
until they end (``make drain REPLICA=n``; ``make undrain`` takes it back).

``deploy_model``: for each replica in turn, drain it, wait until its live sessions are
over, have it load the model through Rasa's own API (``PUT /model``, admin token), check
that it answers, and take it back, so that the others serve every turn and call
meanwhile (``make deploy-model`` after ``rasa train``).
"""
from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Callable

from cluster import runtime_api
from cluster.haproxy_config import HEALTH_CHECK, replica_name
from cluster.settings import ClusterSettings

logger = logging.getLogger(__name__)
POLL_S = 0.5


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout_s:.0f} s")
        time.sleep(POLL_S)


def server_of(settings: ClusterSettings, replica: int) -> str:
    if not 1 <= replica <= len(settings.replicas):
        raise ValueError(f"REPLICA must be between 1 and {len(settings.replicas)}")
    return replica_name(replica - 1)


def drain(settings: ClusterSettings, replica: int, wait: bool = False) -> None:
    server = server_of(settings, replica)
    runtime_api.set_state(settings.runtime_socket, server, "drain")
    logger.info("%s: draining (%s)", server,
                runtime_api.live_sessions(settings.runtime_socket, server))
    if wait:
        _wait(lambda: not any(runtime_api.live_sessions(settings.runtime_socket,
                                                        server).values()),
              settings.drain_timeout_s, f"{server}'s live calls and turns")


def undrain(settings: ClusterSettings, replica: int) -> None:
    server = server_of(settings, replica)
    runtime_api.set_state(settings.runtime_socket, server, "ready")
    _wait(lambda: runtime_api.server_status(settings.runtime_socket, server).get("turns")
          == "UP", 60, f"{server} back in service")
    logger.info("%s: in service", server)


def load_model(settings: ClusterSettings, replica: int, model: Path) -> None:
    """Rasa's ``PUT /model`` on the replica itself (not through HAProxy)."""
    if not settings.api_token:
        raise ValueError("RASA_API_TOKEN is needed to load a model (make api-token)")
    host, port = settings.replicas[replica - 1]
    request = urllib.request.Request(
        f"http://{host}:{port}/model?token={settings.api_token}", method="PUT",
        data=json.dumps({"model_file": str(model.resolve())}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        if answer.status != 204:
            raise RuntimeError(f"replica {replica}: loading the model answered {answer.status}")
    with urllib.request.urlopen(f"http://{host}:{port}{HEALTH_CHECK}", timeout=30) as answer:
        if answer.status != 200:
            raise RuntimeError(f"replica {replica}: unhealthy after loading the model")


def deploy_model(settings: ClusterSettings, model: Path) -> None:
    if not model.is_file():
        raise FileNotFoundError(f"{model}: no such model (run make train first)")
    for replica in range(1, len(settings.replicas) + 1):
        started = time.monotonic()
        drain(settings, replica, wait=True)
        try:
            load_model(settings, replica, model)
        finally:
            undrain(settings, replica)
        logger.info("replica %d: %s loaded in %.1f s", replica, model.name,
                    time.monotonic() - started)

"""Fixtures of the Rasa server's tests: a real Redis (``redis-server``) for the lock store
(:mod:`simulation.redis_server`)."""
from __future__ import annotations

from typing import Iterator

import pytest

from simulation.redis_server import RedisServer, running_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free 127.0.0.1 port, with a password, no persistence."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server

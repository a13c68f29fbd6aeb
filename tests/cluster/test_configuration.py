"""The cluster's configuration as ``python -m cluster write`` produces it, checked by the
engines themselves (``haproxy -c``) and by what it must say (issue 23 points 1 and 4)."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest

from cluster.haproxy_config import CALLS_PATHS, LINES_CHECK, haproxy_config
from cluster.processes import procfile, redis_config, write_configuration
from cluster.settings import cluster_settings, parse_addresses
from simulation.requirements import skip_or_fail
from simulation.stack import PROJECT_ROOT


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUSTER_STATE_DIR", str(tmp_path / "cluster"))
    monkeypatch.setenv("CLUSTER_REPLICAS", "127.0.0.2:5101 127.0.0.3:5101 10.0.0.7:5101")
    monkeypatch.delenv("CLUSTER_ACTION_SERVERS", raising=False)
    monkeypatch.setenv("ACTION_REPLICAS", "2")
    monkeypatch.setenv("REDIS_PASSWORD", "p" * 32)
    monkeypatch.setenv("RASA_PORT", "5005")
    return cluster_settings()


def needs(binary: str) -> None:
    if shutil.which(binary) is None:
        skip_or_fail(f"{binary} is not installed", ".ci/run installs it")


def test_replicas_are_addresses(settings):
    assert settings.replicas == [("127.0.0.2", 5101), ("127.0.0.3", 5101), ("10.0.0.7", 5101)]
    assert settings.action_servers == [("127.0.0.1", 5151), ("127.0.0.1", 5152)]


def test_replicas_by_number(monkeypatch, tmp_path):
    monkeypatch.delenv("CLUSTER_REPLICAS", raising=False)
    monkeypatch.setenv("REPLICAS", "3")
    assert cluster_settings().replicas == [("127.0.0.1", 5101), ("127.0.0.1", 5102),
                                           ("127.0.0.1", 5103)]


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:0", "host:port", ":5101",
                                  "127.0.0.1:5101 127.0.0.1:5101"])
def test_a_wrong_address_is_refused_with_its_variable(text):
    with pytest.raises(ValueError, match="CLUSTER_REPLICAS"):
        parse_addresses(text, "CLUSTER_REPLICAS")


def test_haproxy_accepts_the_configuration(settings, tmp_path):
    needs("haproxy")
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(settings))
    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_calls_stay_on_their_replica_and_full_replicas_get_none(settings):
    text = haproxy_config(settings)
    assert "timeout tunnel 1h" in text  # a call's WebSocket lives as long as the call
    assert f"option httpchk GET {LINES_CHECK}" in text
    assert all(path in text for path in CALLS_PATHS)
    assert text.count("balance leastconn") == 3
    # a turn is sent again only when no replica received it
    assert "retry-on conn-failure" in text and "response-timeout" not in text
    assert "http-reuse never" in text  # no request on a kept connection to a dead replica
    # failed requests logged by path: never the query (Rasa's token), nor the address
    assert "option dontlog-normal" in text and "%{+Q}HP" in text
    assert "%ci" not in text and "%r" not in text and "httplog" not in text
    assert "server rasa3 10.0.0.7:5101" in text


def test_only_local_replicas_are_started_here(settings):
    text = procfile(settings)
    assert "rasa1: RASA_HOST=127.0.0.2 RASA_PORT=5101" in text
    assert "rasa2: RASA_HOST=127.0.0.3 RASA_PORT=5101" in text
    assert "rasa3" not in text  # on its own machine
    assert text.count("RASA_ENDPOINTS=endpoints.cluster.yml") == 2
    assert "actions1:" in text and "actions2:" in text and "redis:" in text


def test_redis_wants_a_password_and_stays_private(settings, monkeypatch):
    text = redis_config(settings)
    assert "requirepass " + "p" * 32 in text and "bind 127.0.0.1" in text
    assert "protected-mode yes" in text
    monkeypatch.setenv("REDIS_PASSWORD", "short")
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        redis_config(cluster_settings())


def test_written_files_are_the_owners_only(settings):
    for path in write_configuration(settings):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.state_dir.stat().st_mode) == 0o700


def test_the_cluster_says_how_to_create_its_database(monkeypatch):
    env = {**os.environ, "DATABASE_URL": "sqlite:///var/clinic.db", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "cluster", "check-database"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "PostgreSQL" in done.stderr and "createdb" in done.stderr

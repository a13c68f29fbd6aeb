"""HAProxy's configuration for the cluster, written from :class:`ClusterSettings`.

* ``frontend public`` (``RASA_HOST:RASA_PORT``, 5005 as with ``make run``): a call's
  media stream and Twilio's incoming-call webhook go to ``backend calls``, everything
  else (typed and spoken turns, tickets, the web page, Rasa's API) to ``backend turns``.
  Both balance ``leastconn`` over the same replicas.
* ``backend calls`` checks each replica's ``GET /webhooks/voice/lines``: 200 while it
  has a free line, 503 when it is full or draining, so a full replica gets no new call;
  its live calls stay (HAProxy never cuts an established WebSocket when a check fails)
  and ``timeout tunnel`` lets a call last an hour. When every replica is full, the same
  replicas listed as backups answer the caller that the lines are busy.
* ``backend turns`` checks ``GET /webhooks/voice/`` (the channel's health). A turn whose
  replica refused the connection is sent to another one (``retry-on conn-failure``,
  ``option redispatch``); a request already received is never sent twice. Connections to
  the replicas are not kept for reuse (``http-reuse never``): a kept connection to a
  replica that died would fail with the request already on it.
* ``frontend actions`` (``ACTION_PORT``, 127.0.0.1) spreads the replicas' action calls
  over the action servers (their ``GET /health``).
* The runtime API on a UNIX socket (owner only) is how ``make drain`` and
  ``make deploy-model`` set a server's state.
* Only failed requests are logged, by their path without the query string: Rasa's API
  takes its admin token there (``?token=``). HAProxy also reports servers going up
  and down.
"""
from __future__ import annotations

from typing import Iterable, List

from cluster.settings import Address, ClusterSettings

CALLS_PATHS = ("/webhooks/voice/stream", "/webhooks/voice/twilio/incoming")
LINES_CHECK = "/webhooks/voice/lines"
HEALTH_CHECK = "/webhooks/voice/"
# A replica busy with a burst of turns may answer its check late: give it 5 s before a
# check fails, and three failed checks before it is taken out.
# Failed requests only (``dontlog-normal``), with the path but never the query string,
# where Rasa's API takes its token, nor the client's address: the server, the timers,
# the status, HAProxy's termination state (e.g. ``SH``: the server hung up).
ERROR_LOG_FORMAT = '"[%tr] %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %tsc %{+Q}HM %{+Q}HP"'
CHECK = "check inter 1s fall 3 rise 2"


def replica_name(index: int) -> str:
    """``rasa1``, ``rasa2``…: the replica's name in HAProxy and in the Procfile."""
    return f"rasa{index + 1}"


def action_server_name(index: int) -> str:
    return f"actions{index + 1}"


def _servers(names: Iterable[str], addresses: Iterable[Address], check: str) -> List[str]:
    return [f"    server {name} {host}:{port} {check}"
            for name, (host, port) in zip(names, addresses)]


def _head(settings: ClusterSettings) -> List[str]:
    return [
        "global",
        f"    stats socket {settings.runtime_socket} mode 600 level admin",
        "    maxconn 4096",
        "    log stdout format raw local0 info",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option dontlog-normal",
        f"    log-format {ERROR_LOG_FORMAT}",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 10s",
        "    timeout tunnel 1h",
        "    timeout check 5s",
        # A new server connection per request: a connection kept idle to a replica that
        # has since died fails only once the request is on it, and such a request is not
        # sent again (it might have been processed); a refused new one is.
        "    http-reuse never",
        "    option redispatch",
        "    retries 2",
        "    retry-on conn-failure",
        "",
    ]


def _fronts(settings: ClusterSettings) -> List[str]:
    host, port = settings.public
    a_host, a_port = settings.actions_front
    return [
        "frontend public",
        f"    bind {host}:{port}",
        f"    acl is_call path_beg {' '.join(CALLS_PATHS)}",
        "    use_backend calls if is_call",
        "    default_backend turns",
        "",
        "frontend actions",
        f"    bind {a_host}:{a_port}",
        "    default_backend action_servers",
        "",
    ]


def haproxy_config(settings: ClusterSettings) -> str:
    names = [replica_name(i) for i in range(len(settings.replicas))]
    action_names = [action_server_name(i) for i in range(len(settings.action_servers))]
    lines = _head(settings) + _fronts(settings) + [
        "backend turns",
        "    balance leastconn",
        f"    option httpchk GET {HEALTH_CHECK}",
        *_servers(names, settings.replicas, CHECK),
        "",
        "backend calls",
        "    balance leastconn",
        f"    option httpchk GET {LINES_CHECK}",
        "    http-check expect status 200",
        *_servers(names, settings.replicas, "check inter 1s fall 1 rise 1"),
        # Every replica full: any of them answers Twilio the busy TwiML (and refuses a
        # stream with 1013), rather than HAProxy answering 503, which Twilio reads out
        # as an application error.
        "    option allbackups",
        *_servers([f"{name}-full" for name in names], settings.replicas, "backup"),
        "",
        "backend action_servers",
        "    balance leastconn",
        "    option httpchk GET /health",
        *_servers(action_names, settings.action_servers, CHECK),
        "",
    ]
    return "\n".join(lines)

"""Requests from the attackers' own loopback addresses (127.0.0.x: the whole 127/8 is
this machine), as a script on several machines would send them, so that the per-address
turn limit does not hide what is behind it; and requests written by hand."""
from __future__ import annotations

from typing import Any

import httpx
import requests


def address(n: int) -> str:
    """The ``n``-th loopback source address of the attackers (127.0.0.10 and up)."""
    return f"127.0.{10 + n // 200}.{10 + n % 200}"


def client(n: int, timeout: float = 60) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address(n)),
                        timeout=timeout)


def http(method: str, url: str, source: int = 0, **options) -> int:
    """The status of one request, from the loopback address of attacker ``source``."""
    try:
        with client(source, timeout=30) as session:
            return session.request(method, url, **options).status_code
    except httpx.HTTPError as error:  # a connection reset is a refusal too
        return -1 if isinstance(error, (httpx.ConnectError, httpx.ReadError,
                                        httpx.RemoteProtocolError, httpx.WriteError)) \
            else type(error).__name__
    except requests.RequestException as error:  # a connection reset is a refusal too
        return -1 if "Connection" in type(error).__name__ else type(error).__name__


def raw_http(port: int, head: str, body: bytes = b"") -> Any:
    """A request written by hand (declared sizes without the body): the status code."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + body)
        try:
            answer = sock.recv(64)
        except OSError as error:
            return type(error).__name__
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "no answer"

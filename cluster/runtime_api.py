"""HAProxy's runtime API (its admin UNIX socket): a server's state and live sessions.

The commands are HAProxy's own (``set server <backend>/<server> state ready|drain``,
``show stat``), one per connection, as its management guide describes.
"""
from __future__ import annotations

import csv
import io
import socket
from pathlib import Path
from typing import Dict, List

BACKENDS = ("turns", "calls")


def command(socket_path: Path, line: str, timeout: float = 5.0) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        sock.sendall(line.encode("ascii") + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def set_state(socket_path: Path, server: str, state: str) -> None:
    """``state`` ``drain`` (no new connection, live ones stay) or ``ready``."""
    for backend in BACKENDS:
        answer = command(socket_path, f"set server {backend}/{server} state {state}").strip()
        if answer:
            raise RuntimeError(f"haproxy: {backend}/{server}: {answer}")


def stats(socket_path: Path) -> List[Dict[str, str]]:
    """``show stat``: one row per frontend, backend and server."""
    text = command(socket_path, "show stat").lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


def live_sessions(socket_path: Path, server: str) -> Dict[str, int]:
    """Current sessions of ``server`` in each backend (a call is one in ``calls``)."""
    return {row["pxname"]: int(row["scur"] or 0) for row in stats(socket_path)
            if row["svname"] == server and row["pxname"] in BACKENDS}


def server_status(socket_path: Path, server: str) -> Dict[str, str]:
    """``UP``, ``DOWN``, ``DRAIN``, ``MAINT``… of ``server`` in each backend."""
    return {row["pxname"]: row["status"] for row in stats(socket_path)
            if row["svname"] == server and row["pxname"] in BACKENDS}

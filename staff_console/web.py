"""What the console's routes read from a request and how they refuse: the console's
services, the client's address, a form's fields, a JSON error with a French reason, and
the lockout's 429."""
from __future__ import annotations

from typing import Dict, Optional

from sanic import response
from sanic.request import Request


def console(request: Request):
    """The services the routes share (``app.ctx.console``, built by :mod:`.app`)."""
    return request.app.ctx.console


def client_address(request: Request) -> str:
    return request.remote_addr or request.ip or "inconnue"


def form_value(request: Request, key: str) -> Optional[str]:
    try:
        form = request.form
    except Exception:  # noqa: BLE001 (a body that is no form has no fields)
        return None
    value = form.get(key) if form else None
    return value if isinstance(value, str) else None


def form_fields(request: Request) -> Dict[str, Optional[str]]:
    form = request.form or {}
    return {key: form.get(key) for key in form}


def error(status: int, reason: str):
    return response.json({"error": reason}, status=status)


def too_many_failures(lockout) -> str:
    minutes = int(lockout.window.total_seconds() // 60)
    return f"Trop de tentatives échouées : réessayez dans {minutes} minutes."

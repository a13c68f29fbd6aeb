"""The guard every console route passes, and the refusals it and Sanic give.

The guard (a request middleware) refuses any route not listed in :data:`PUBLIC_ROUTES`
without a live session (the page is redirected to the login, the API answers 401), and
any POST without the session's CSRF token (403). Bodies larger than :data:`MAX_BODY` are
refused (413), and Sanic's own refusals (unknown address, wrong method…) answer in
French rather than with its page. Sessions are looked up in a worker thread.
"""
from __future__ import annotations

import asyncio

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from staff_console.sessions import COOKIE_NAME, csrf_matches
from staff_console.web import error, form_value

PUBLIC_ROUTES = frozenset({"login_page", "login", "static"})
MAX_BODY = 64 * 1024
SANIC_REASONS = {404: "Adresse introuvable.", 405: "Méthode non autorisée pour cette adresse.",
                 413: "Requête trop volumineuse."}


async def guard(request: Request):
    """``None`` to let ``request`` through (its session in ``request.ctx.session``), else
    the refusal."""
    route = getattr(request, "route", None)
    if route is None or route.name.rsplit(".", 1)[-1] in PUBLIC_ROUTES:
        return None
    if _declared_size(request) > MAX_BODY:  # Sanic runs this guard for its own 413 too
        return error(413, SANIC_REASONS[413])
    console = request.app.ctx.console
    found = await asyncio.to_thread(console.store.find, request.cookies.get(COOKIE_NAME))
    if found is None:
        if request.method == "GET" and request.path.rstrip("/") == "/staff":
            return response.redirect("/staff/login", status=303)
        return error(401, "Veuillez vous connecter.")
    if request.method not in ("GET", "HEAD"):
        given = request.headers.get("x-csrf-token") or form_value(request, "csrf_token")
        if not csrf_matches(found.csrf_token, given):
            return error(403, "Jeton de sécurité manquant ou invalide : "
                              "rechargez la page et recommencez.")
    request.ctx.session = found
    return None


async def refused_by_sanic(request: Request, refused: SanicException):
    status = getattr(refused, "status_code", 400) or 400
    return error(status, SANIC_REASONS.get(status, "Requête refusée."))


def install(app: Sanic) -> None:
    """Put the guard in front of ``app``'s routes, with its body limit."""
    app.config.REQUEST_MAX_SIZE = MAX_BODY
    app.on_request(guard)
    app.exception(SanicException)(refused_by_sanic)


def _declared_size(request: Request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0

"""The staff console's Sanic application: login, logout, the page, the guard that every
other route passes, and the security headers of every answer.

The guard (a request middleware) refuses any route not listed in :data:`PUBLIC_ROUTES`
without a live session (the page is redirected to the login, the API answers 401), and
any POST without the session's CSRF token (403). The login form has its own CSRF token
(a cookie and a form field that must match); each login is counted by the lockout before
its password is checked. Every answer, errors included, gets :mod:`.headers`' headers.
Database calls run in worker threads.
"""
from __future__ import annotations

import asyncio
import html
import logging
import secrets
from pathlib import Path
from types import SimpleNamespace

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from actions.clinic_config import clinic_config
from actions.clinic_operations import ClinicOperations
from actions.database import make_engine, make_external_engine, make_session_factory
from staff_console import account_routes, api_routes
from staff_console.headers import secure
from staff_console.lockout import LoginLockout
from staff_console.passwords import AccountDisabled, authenticate
from staff_console.sessions import COOKIE_NAME, SessionStore, csrf_matches
from staff_console.settings import ConsoleSettings
from staff_console.staff_actions import StaffActions
from staff_console.web import client_address, error, form_value, too_many_failures

logger = logging.getLogger("staff_console")
STATIC = Path(__file__).resolve().parent / "static"
LOGIN_CSRF_COOKIE = "staff_login_csrf"
PUBLIC_ROUTES = frozenset({"login_page", "login", "static"})
MAX_BODY = 64 * 1024
# Sanic's own refusals (unknown address, wrong method…), in French rather than its page.
SANIC_REASONS = {404: "Adresse introuvable.", 405: "Méthode non autorisée pour cette adresse.",
                 413: "Requête trop volumineuse."}


def _cookie(resp, settings: ConsoleSettings, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    morsel = resp.cookies[name]
    morsel["path"] = "/staff"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    morsel["max-age"] = max_age
    if settings.cookie_secure:
        morsel["secure"] = True


def _page(name: str, **values: str) -> str:
    text = (STATIC / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


def create_app(settings: ConsoleSettings, name: str = "staff_console") -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_BODY
    app.config.ACCESS_LOG = False  # URLs can hold a searched name or ID
    config = clinic_config()
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    operations = ClinicOperations(sessions, config)
    app.ctx.console = SimpleNamespace(
        settings=settings, config=config, engine=engine, sessions=sessions,
        operations=operations, actions=StaffActions(operations, sessions),
        tracker=make_external_engine(settings.tracker_store_url),
        store=SessionStore(sessions, settings.session_idle, settings.session_max),
        lockout=LoginLockout(sessions, settings.max_login_failures, settings.lockout),
    )
    app.static("/staff/static", str(STATIC), name="static")

    @app.on_request
    async def guard(request: Request):
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

    @app.on_response
    async def security_headers(request: Request, resp):
        secure(request.path, resp.headers)

    @app.exception(SanicException)
    async def refused_by_sanic(request: Request, refused: SanicException):
        status = getattr(refused, "status_code", 400) or 400
        return error(status, SANIC_REASONS.get(status, "Requête refusée."))

    @app.get("/staff/")
    async def index(request: Request):
        found = request.ctx.session
        return response.html(_page("index.html", csrf=found.csrf_token, user=found.member.name,
                                   role=found.member.role))

    @app.get("/staff/login")
    async def login_page(request: Request):
        return _login_form(settings, "", 200)

    @app.post("/staff/login")
    async def login(request: Request):
        console = request.app.ctx.console
        token = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not token or not csrf_matches(token, form_value(request, "csrf_token")):
            return _login_form(settings, "Formulaire expiré : veuillez réessayer.", 403)
        name = (form_value(request, "name") or "").strip()[:64]
        password = form_value(request, "password") or ""
        attempt = await asyncio.to_thread(console.lockout.begin, name, client_address(request))
        if attempt is None:
            logger.warning("staff login refused: too many failures (locked for %s)",
                           console.lockout.window)
            return _login_form(settings, too_many_failures(console.lockout), 429)
        try:  # on refusal, the attempt's rows stay: they are its failure
            member = await asyncio.to_thread(authenticate, console.sessions, name, password)
        except AccountDisabled:
            logger.info("staff login refused: account disabled")
            return _login_form(settings, "Ce compte est désactivé : demandez à un "
                                         "administrateur du cabinet de le réactiver.", 403)
        if member is None:
            logger.info("staff login failed")
            return _login_form(settings, "Nom ou mot de passe incorrect.", 401)
        await asyncio.to_thread(console.lockout.succeeded, attempt)
        await asyncio.to_thread(console.store.purge)
        await asyncio.to_thread(console.lockout.purge)
        session_token = await asyncio.to_thread(console.store.open, member)
        logger.info("staff member %s logged in", member.name)
        resp = response.redirect("/staff/", status=303)
        _cookie(resp, settings, COOKIE_NAME, session_token,
                int(settings.session_max.total_seconds()))
        _cookie(resp, settings, LOGIN_CSRF_COOKIE, "", 0)
        return resp

    @app.post("/staff/logout")
    async def logout(request: Request):
        console = request.app.ctx.console
        await asyncio.to_thread(console.store.close, request.cookies.get(COOKIE_NAME))
        logger.info("staff member %s logged out", request.ctx.session.member.name)
        resp = response.redirect("/staff/login", status=303)
        _cookie(resp, settings, COOKIE_NAME, "", 0)
        return resp

    api_routes.register(app)
    account_routes.register(app)

    @app.listener("after_server_stop")
    async def dispose(app, _loop):
        app.ctx.console.engine.dispose()
        app.ctx.console.tracker.dispose()

    return app


def _declared_size(request: Request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0


def _login_form(settings: ConsoleSettings, message: str, status: int):
    token = secrets.token_urlsafe(32)
    resp = response.html(_page("login.html", csrf=token, message=message), status=status)
    _cookie(resp, settings, LOGIN_CSRF_COOKIE, token, 3600)
    return resp

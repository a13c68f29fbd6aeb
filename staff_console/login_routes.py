"""The console's pages and its login: the login form, logging in and out, and the
console's page once logged in (``static/``, values filled in and escaped).

The login form has its own CSRF token (a cookie and a form field that must match); each
login is counted by the lockout before its password is checked. Cookies are HttpOnly,
SameSite=Strict, limited to ``/staff`` and, with ``STAFF_COOKIE_SECURE``, https only.
Database calls run in worker threads.
"""
from __future__ import annotations

import asyncio
import html
import logging
import secrets
from pathlib import Path

from sanic import Sanic, response
from sanic.request import Request

from staff_console.passwords import AccountDisabled, authenticate
from staff_console.sessions import COOKIE_NAME, csrf_matches
from staff_console.settings import ConsoleSettings
from staff_console.web import client_address, form_value, too_many_failures

logger = logging.getLogger("staff_console")
STATIC = Path(__file__).resolve().parent / "static"
LOGIN_CSRF_COOKIE = "staff_login_csrf"


def register(app: Sanic) -> None:
    app.get("/staff/")(index)
    app.get("/staff/login")(login_page)
    app.post("/staff/login")(login)
    app.post("/staff/logout")(logout)


async def index(request: Request):
    found = request.ctx.session
    return response.html(_page("index.html", csrf=found.csrf_token, user=found.member.name,
                               role=found.member.role))


async def login_page(request: Request):
    return _login_form(request.app.ctx.console.settings, "", 200)


async def login(request: Request):
    console = request.app.ctx.console
    settings = console.settings
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
    _cookie(resp, settings, COOKIE_NAME, session_token, int(settings.session_max.total_seconds()))
    _cookie(resp, settings, LOGIN_CSRF_COOKIE, "", 0)
    return resp


async def logout(request: Request):
    console = request.app.ctx.console
    await asyncio.to_thread(console.store.close, request.cookies.get(COOKIE_NAME))
    logger.info("staff member %s logged out", request.ctx.session.member.name)
    resp = response.redirect("/staff/login", status=303)
    _cookie(resp, console.settings, COOKIE_NAME, "", 0)
    return resp


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


def _login_form(settings: ConsoleSettings, message: str, status: int):
    token = secrets.token_urlsafe(32)
    resp = response.html(_page("login.html", csrf=token, message=message), status=status)
    _cookie(resp, settings, LOGIN_CSRF_COOKIE, token, 3600)
    return resp

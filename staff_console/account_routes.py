"""The console's account routes, behind the guard of :mod:`staff_console.guard` (session,
and CSRF token on POST): any member changes their own password (the current one
required, its checks counted by the login lockout); administrators list the accounts,
disable or enable one and end someone's sessions (403 for the others)."""
from __future__ import annotations

import asyncio
import logging

from sanic import Sanic, response
from sanic.request import Request

from staff_console import accounts
from staff_console.passwords import StaffMember, StaffUserError
from staff_console.sessions import COOKIE_NAME
from staff_console.staff_actions import ActionRefused
from staff_console.web import client_address, console, error, form_value, too_many_failures

logger = logging.getLogger("staff_console")


def _admin(request: Request) -> StaffMember:
    member = request.ctx.session.member
    if not member.is_admin:
        raise ActionRefused(403, "Réservé aux administrateurs du cabinet.")
    return member


def _refusal(refused: StaffUserError) -> ActionRefused:
    return ActionRefused(404 if isinstance(refused, accounts.AccountNotFound) else 400,
                         str(refused))


def register(app: Sanic) -> None:
    @app.get("/staff/api/accounts")
    async def account_list(request: Request):
        _admin(request)
        c = console(request)
        return response.json(await asyncio.to_thread(accounts.list_accounts, c.sessions,
                                                     c.config.timezone))

    async def change(request: Request, account_id: int, action: str, work):
        by = _admin(request)
        try:
            await asyncio.to_thread(work, console(request).sessions, account_id, by=by)
        except StaffUserError as refused:
            raise _refusal(refused) from None
        logger.info("staff member %s: %s on account %d", by.name, action, account_id)
        return response.json({"account_id": account_id, "done": action})

    @app.post("/staff/api/accounts/<account_id:int>/disable")
    async def account_disable(request: Request, account_id: int):
        return await change(request, account_id, "disable",
                            lambda s, k, by: accounts.set_disabled(s, k, True, by))

    @app.post("/staff/api/accounts/<account_id:int>/enable")
    async def account_enable(request: Request, account_id: int):
        return await change(request, account_id, "enable",
                            lambda s, k, by: accounts.set_disabled(s, k, False, by))

    @app.post("/staff/api/accounts/<account_id:int>/end-sessions")
    async def account_end_sessions(request: Request, account_id: int):
        return await change(request, account_id, "end_sessions", accounts.end_sessions)

    @app.post("/staff/api/password")
    async def password_change(request: Request):
        c = console(request)
        member = request.ctx.session.member
        current = form_value(request, "current") or ""
        new = form_value(request, "new") or ""
        try:
            accounts.check_new_password(current, new, form_value(request, "confirm"))
        except StaffUserError as refused:
            return error(400, str(refused))
        attempt = await asyncio.to_thread(c.lockout.begin, member.name, client_address(request))
        if attempt is None:
            return error(429, too_many_failures(c.lockout))
        try:
            await asyncio.to_thread(accounts.change_password, c.sessions, member, current, new,
                                    request.cookies.get(COOKIE_NAME))
        except accounts.WrongPassword as refused:  # the attempt stays counted
            return error(403, str(refused))
        await asyncio.to_thread(c.lockout.succeeded, attempt)
        logger.info("staff member %s changed their password", member.name)
        return response.json({"done": "password"})

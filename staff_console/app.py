"""The staff console's Sanic application, put together from its parts: the services its
routes share (``app.ctx.console``), the guard (:mod:`.guard`), the security headers of
every answer (:mod:`.headers`, errors included), the routes (:mod:`.login_routes`,
:mod:`.api_routes`, :mod:`.account_routes`, ``static/``) and the database engines'
disposal when the server stops.
"""
from __future__ import annotations

from types import SimpleNamespace

from sanic import Sanic
from sanic.request import Request

from clinic.config import clinic_config
from clinic.operations import ClinicOperations
from clinic.database import make_engine, make_external_engine, make_session_factory
from staff_console import account_routes, api_routes, guard, login_routes
from staff_console.headers import secure
from staff_console.lockout import LoginLockout
from staff_console.login_routes import STATIC
from staff_console.sessions import SessionStore
from staff_console.settings import ConsoleSettings
from staff_console.staff_actions import StaffActions


def create_app(settings: ConsoleSettings, name: str = "staff_console") -> Sanic:
    app = Sanic(name)
    app.config.ACCESS_LOG = False  # URLs can hold a searched name or ID
    app.ctx.console = console_services(settings)
    guard.install(app)
    app.on_response(security_headers)
    app.static("/staff/static", str(STATIC), name="static")
    login_routes.register(app)
    api_routes.register(app)
    account_routes.register(app)
    app.listener("after_server_stop")(dispose)
    return app


def console_services(settings: ConsoleSettings) -> SimpleNamespace:
    """What the routes share: settings, clinic.yml, the databases, the login's stores."""
    config = clinic_config()
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    operations = ClinicOperations(sessions, config)
    return SimpleNamespace(
        settings=settings, config=config, engine=engine, sessions=sessions,
        operations=operations, actions=StaffActions(operations, sessions),
        tracker=make_external_engine(settings.tracker_store_url),
        store=SessionStore(sessions, settings.session_idle, settings.session_max),
        lockout=LoginLockout(sessions, settings.max_login_failures, settings.lockout),
    )


async def security_headers(request: Request, resp) -> None:
    secure(request.path, resp.headers)


async def dispose(app: Sanic, _loop) -> None:
    app.ctx.console.engine.dispose()
    app.ctx.console.tracker.dispose()

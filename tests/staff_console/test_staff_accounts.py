"""Staff accounts on real SQLite and PostgreSQL databases: ``make staff-user``'s
commands (create, password, disable, enable, logout, admin), the administrator role, the
console's account page (admins only; 403 for the others), changing one's own password,
disabled accounts locked out at once, every console change audited, and migration 0005
on a console that already has accounts."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text

from clinic.database import PROJECT_ROOT, make_engine
from staff_console.create_user import main
from staff_console.models import StaffAudit, StaffSession
from staff_console.passwords import AccountDisabled, authenticate, create_user
from staff_console.sessions import SessionStore
from tests.staff_console.console_client import PASSWORD, csrf_of, login

OTHER = "un-autre-mot-de-passe"


def typed(*answers):
    """The terminal: the answers typed to ``getpass``'s questions, in order."""
    queue = list(answers)
    return lambda _question: queue.pop(0)


def open_sessions(session_factory, user_id: int) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(StaffSession)
                              .where(StaffSession.user_id == user_id))


# -- make staff-user -----------------------------------------------------------------------

def test_make_staff_user_commands(database_url, session_factory, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["claire"], ask=typed(PASSWORD, PASSWORD)) == 0  # as `make staff-user NAME=claire`
    assert "« claire » créé (administrateur)" in capsys.readouterr().out
    assert main(["paul", ""], ask=typed(PASSWORD, PASSWORD)) == 0  # make passes DO, empty
    paul = authenticate(session_factory, "paul", PASSWORD)
    assert authenticate(session_factory, "claire", PASSWORD).is_admin and not paul.is_admin
    assert main(["paul", "admin"]) == 0
    assert authenticate(session_factory, "paul", PASSWORD).is_admin
    store = SessionStore(session_factory, timedelta(minutes=30), timedelta(hours=12))
    token = store.open(paul)
    assert main(["paul", "logout"]) == 0 and "1 session(s)" in capsys.readouterr().out
    assert store.find(token) is None

    token = store.open(paul)
    assert main(["paul", "disable"]) == 0
    assert store.find(token) is None and open_sessions(session_factory, paul.id) == 0
    with pytest.raises(AccountDisabled):
        authenticate(session_factory, "paul", PASSWORD)
    assert authenticate(session_factory, "paul", "pas-le-bon-mot") is None  # no hint without it
    assert main(["paul", "enable"]) == 0
    token = store.open(authenticate(session_factory, "paul", PASSWORD))

    assert main(["paul", "password"], ask=typed(OTHER, OTHER)) == 0
    assert store.find(token) is None
    assert authenticate(session_factory, "paul", PASSWORD) is None
    assert authenticate(session_factory, "paul", OTHER).name == "paul"

    capsys.readouterr()
    assert main(["paul", "password"], ask=typed(OTHER, OTHER + "x")) == 1
    assert main(["personne", "disable"]) == 1
    assert main(["paul", "supprimer"]) == 2 and main([]) == 2
    errors = capsys.readouterr().err
    assert "diffèrent" in errors and "Aucun compte « personne »" in errors and "DO=" in errors
    assert PASSWORD not in errors and OTHER not in errors


# -- the console ------------------------------------------------------------------------------

def post(client, url: str, fields=None):
    """A POST of the console's page: its session's CSRF token added."""
    token = csrf_of(client, url.split("/staff/")[0])
    return client.post(url, data={**(fields or {}), "csrf_token": token}, timeout=10)


def test_admins_manage_accounts_and_others_get_403(any_console, session_factory):
    url, api = any_console.url, f"{any_console.url}/staff/api"
    claire = create_user(session_factory, "claire", PASSWORD)
    assert not claire.is_admin  # « accueil » was first
    admin, _answer = login(url)
    staff, _answer = login(url, "claire")

    for method, path in (("GET", "/accounts"), ("POST", f"/accounts/{claire.id}/disable"),
                         ("POST", f"/accounts/{claire.id}/enable"),
                         ("POST", f"/accounts/{claire.id}/end-sessions")):
        answer = (staff.get(api + path, timeout=10) if method == "GET"
                  else post(staff, api + path))
        assert answer.status_code == 403, path
        assert answer.json()["error"] == "Réservé aux administrateurs du cabinet."
    assert 'name="staff-role" content="staff"' in staff.get(f"{url}/staff/", timeout=10).text
    assert 'name="staff-role" content="admin"' in admin.get(f"{url}/staff/", timeout=10).text

    listed = {a["name"]: a for a in admin.get(f"{api}/accounts", timeout=10).json()}
    assert (listed["accueil"]["role"], listed["claire"]["role"]) == ("admin", "staff")
    assert listed["claire"]["sessions"] == 1 and not listed["claire"]["disabled"]

    accueil_id = listed["accueil"]["id"]
    assert post(admin, f"{api}/accounts/{accueil_id}/disable").status_code == 400  # oneself
    assert post(admin, f"{api}/accounts/424242/disable").status_code == 404

    assert post(admin, f"{api}/accounts/{claire.id}/disable").status_code == 200
    assert staff.get(f"{api}/figures", timeout=10).status_code == 401  # at once
    _client, refused = login(url, "claire")
    assert refused.status_code == 403 and "désactivé" in refused.text
    assert admin.get(f"{api}/accounts", timeout=10).json()[1]["disabled"]

    assert post(admin, f"{api}/accounts/{claire.id}/enable").status_code == 200
    staff, answer = login(url, "claire")
    assert answer.status_code == 303
    assert post(admin, f"{api}/accounts/{claire.id}/end-sessions").status_code == 200
    assert staff.get(f"{api}/figures", timeout=10).status_code == 401

    with session_factory() as session:
        rows = session.scalars(select(StaffAudit).order_by(StaffAudit.id)).all()
    assert [(r.staff_name, r.action, json.loads(r.details)) for r in rows] == [
        ("accueil", action, {"account": "claire"}) for action in ("disable", "enable", "end_sessions")]


def test_a_member_changes_their_own_password(any_console, session_factory):
    url, api = any_console.url, f"{any_console.url}/staff/api"
    create_user(session_factory, "claire", PASSWORD)
    here, _answer = login(url, "claire")
    elsewhere, _answer = login(url, "claire")
    refusals = [
        ({"current": PASSWORD, "new": "court", "confirm": "court"}, 400, "10 caractères"),
        ({"current": PASSWORD, "new": OTHER, "confirm": OTHER + "x"}, 400, "diffèrent"),
        ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, 400, "différer"),
        ({"current": "pas-le-bon-mot", "new": OTHER, "confirm": OTHER}, 403, "actuel incorrect"),
    ]
    for fields, status, reason in refusals:
        answer = post(here, f"{api}/password", fields)
        assert answer.status_code == status and reason in answer.json()["error"], fields
    no_token = here.post(f"{api}/password", data={"current": PASSWORD, "new": OTHER,
                                                  "confirm": OTHER}, timeout=10)
    assert no_token.status_code == 403 and "Jeton" in no_token.json()["error"]

    done = post(here, f"{api}/password", {"current": PASSWORD, "new": OTHER, "confirm": OTHER})
    assert done.status_code == 200, done.text
    assert here.get(f"{api}/figures", timeout=10).status_code == 200  # this session goes on
    assert elsewhere.get(f"{api}/figures", timeout=10).status_code == 401  # the others end
    assert login(url, "claire")[1].status_code == 401
    assert login(url, "claire", OTHER)[1].status_code == 303
    with session_factory() as session:
        assert session.scalars(select(StaffAudit.action)).all() == ["password"]


def test_wrong_current_passwords_count_toward_the_lockout(any_console, session_factory):
    api = f"{any_console.url}/staff/api"
    create_user(session_factory, "claire", PASSWORD)
    client, _answer = login(any_console.url, "claire")
    wrong = {"current": "pas-le-bon-mot", "new": OTHER, "confirm": OTHER}
    statuses = [post(client, f"{api}/password", wrong).status_code for _ in range(6)]
    assert statuses == [403] * 5 + [429]  # STAFF_MAX_LOGIN_FAILURES (5)
    assert login(any_console.url, "claire")[1].status_code == 429


# -- migration 0005 ----------------------------------------------------------------------------

def test_migration_keeps_accounts_and_makes_the_oldest_one_admin(database_url):
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    command.downgrade(config, "0004")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO staff_users (name, password_hash, created_at) VALUES "
                "('ancien', 'x', '2026-01-01 08:00'), ('recent', 'y', '2026-02-01 08:00')"))
            connection.execute(text(
                "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, "
                "expires_at) SELECT 't', id, 'c', created_at, created_at FROM staff_users "
                "WHERE name = 'recent'"))
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT name, role, disabled_at FROM staff_users ORDER BY id")).all() == [
                ("ancien", "admin", None), ("recent", "staff", None)]
            assert connection.execute(text("SELECT COUNT(*) FROM staff_sessions")).scalar() == 1
        command.downgrade(config, "0004")
        command.upgrade(config, "head")
    finally:
        engine.dispose()

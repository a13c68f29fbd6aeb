"""The staff console's guard on a real server (in this process, real SQLite databases):
every route refuses without a session and every change without its CSRF token, logins
lock out, sessions expire, cookies are HttpOnly and SameSite=Strict, bad input gets a
clear 4xx, and the logs never hold a full phone number or patient ID."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import requests
from sqlalchemy import update

from clinic.models import utc_now
from staff_console.guard import PUBLIC_ROUTES
from staff_console.models import StaffSession
from tests.staff_console.console_client import (
    PASSWORD, PATIENT_ID, PHONE, SECRETS, csrf_of, login, next_open_weekday,
)


def concrete(path: str) -> str:
    """A route's path with its parameters filled (``<x:int>`` → 1)."""
    return "/" + re.sub(r"<[^>]+>", lambda m: "1" if ":int" in m.group(0) else "x.css", path)


def routes(app):
    for route in app.router.routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield route.name.rsplit(".", 1)[-1], method, concrete(route.path)


def test_every_route_refuses_without_a_session(console):
    seen = list(routes(console.app))
    assert len(seen) >= 18
    assert {name for name, _m, _p in seen if name in PUBLIC_ROUTES} == {"login_page", "login", "static"}
    for name, method, path in seen:
        if name in PUBLIC_ROUTES:
            continue
        for cookie in (None, "forged-token"):
            answer = requests.request(method, console.url + path, allow_redirects=False, timeout=10,
                                      cookies={"staff_session": cookie} if cookie else None)
            if method == "GET" and path.rstrip("/") == "/staff":
                assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json()["error"] == "Veuillez vous connecter."


def test_every_change_refuses_a_missing_or_wrong_csrf_token(console):
    client, answer = login(console.url)
    assert answer.status_code == 303
    token = csrf_of(client, console.url)
    posts = [(name, path) for name, method, path in routes(console.app)
             if method == "POST" and name not in PUBLIC_ROUTES]
    assert {name for name, _p in posts} >= {"book", "move", "cancel", "review_queue_add", "logout"}
    for _name, path in posts:
        for fields in ({}, {"csrf_token": token[:-1] + "x"}, {"csrf_token": ""}):
            answer = client.post(console.url + path, data=fields, allow_redirects=False, timeout=10)
            assert answer.status_code == 403, (path, fields, answer.status_code)
            assert "Jeton de sécurité" in answer.json()["error"]
    assert client.get(f"{console.url}/staff/api/audit", timeout=10).json() == []
    assert client.get(f"{console.url}/staff/", timeout=10).status_code == 200  # still logged in


def test_login_cookie_flags_wrong_password_and_lockout(console):
    client, answer = login(console.url)
    cookie = answer.headers["set-cookie"]
    assert "staff_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/staff" in cookie and "Secure" not in cookie
    _c, wrong = login(console.url, password="pas-le-bon-mot")
    assert wrong.status_code == 401 and "Nom ou mot de passe incorrect." in wrong.text
    assert "staff_session=" not in wrong.headers.get("set-cookie", "")
    no_token = requests.post(f"{console.url}/staff/login",
                             data={"name": "accueil", "password": PASSWORD}, timeout=10)
    assert no_token.status_code == 403
    login(console.url, password="encore-faux")
    login(console.url, password="toujours-faux")  # the third failure of this name
    _c, locked = login(console.url)
    assert locked.status_code == 429 and "Trop de tentatives" in locked.text
    # logout closes the session for good
    token = csrf_of(client, console.url)
    out = client.post(f"{console.url}/staff/logout", data={"csrf_token": token},
                      allow_redirects=False, timeout=10)
    assert (out.status_code, out.headers["location"]) == (303, "/staff/login")
    assert client.get(f"{console.url}/staff/api/figures", timeout=10).status_code == 401


def test_an_expired_session_is_refused(console):
    client, _answer = login(console.url)
    assert client.get(f"{console.url}/staff/api/figures", timeout=10).status_code == 200
    with console.sessions() as session, session.begin():
        session.execute(update(StaffSession).values(expires_at=utc_now() - timedelta(seconds=1)))
    assert client.get(f"{console.url}/staff/api/figures", timeout=10).status_code == 401
    page = client.get(f"{console.url}/staff/", allow_redirects=False, timeout=10)
    assert (page.status_code, page.headers["location"]) == (303, "/staff/login")


def test_bad_input_gets_a_clear_4xx(console):
    client, _answer = login(console.url)
    token = csrf_of(client, console.url)
    api = f"{console.url}/staff/api"
    for path in ("/agenda?days=abc", "/agenda?days=9", "/agenda?date=hier", "/agenda?doctor=x",
                 "/conversations?channel=fax", "/conversations?days=-1", "/patients?q=a",
                 "/conversations.csv?outcome=perdu", "/review?days=0"):
        answer = client.get(api + path, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"], path
    assert client.get(api + "/conversations/999999", timeout=10).status_code == 404
    for path, fields, status in (
            ("/appointments", {"patient_id": "x"}, 400),
            ("/appointments", {"patient_id": "123456", "date": "2026-02-30", "time": "10:00"}, 400),
            ("/appointments/424242/move", {"date": next_open_weekday(), "time": "10:00"}, 404),
            ("/appointments/424242/cancel", {}, 404),
            ("/review/queue", {"key": "nope", "intent": "greet"}, 404),
            ("/review/queue", {"key": "nope", "intent": "no_such_intent"}, 400)):
        answer = client.post(api + path, data={**fields, "csrf_token": token}, timeout=10)
        assert answer.status_code == status and answer.json()["error"], (path, answer.text)
    huge = client.post(api + "/appointments", data={"csrf_token": token, "x": "a" * 200_000},
                       timeout=10)
    assert huge.status_code == 413


def test_logs_hold_no_full_phone_number_or_patient_id(console, caplog):
    caplog.set_level(logging.WARNING, logger="urllib3")  # the test's own HTTP client
    caplog.set_level(logging.DEBUG)  # every logger of the server, SQLAlchemy's included
    day = next_open_weekday()
    _c, _a = login(console.url, name=PATIENT_ID, password=PHONE)  # typed in the wrong boxes
    client, _answer = login(console.url)
    token = csrf_of(client, console.url)
    api = f"{console.url}/staff/api"
    registered = client.post(f"{api}/patients", data={
        "csrf_token": token, "patient_id": PATIENT_ID, "first_name": "Paul", "last_name": "Petit",
        "phone": "06 42 15 33 21"}, timeout=10)
    assert registered.status_code == 201, registered.text
    booked = client.post(f"{api}/appointments", data={
        "csrf_token": token, "patient_id": PATIENT_ID, "date": day, "time": "10:00",
        "doctor_id": "martin"}, timeout=10)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()["appointment_id"]
    assert client.get(f"{api}/patients", params={"q": PATIENT_ID}, timeout=10).json()[0]["phone"] == "+33*******21"
    moved = client.post(f"{api}/appointments/{appointment}/move",
                        data={"csrf_token": token, "date": day, "time": "10:30"}, timeout=10)
    assert moved.status_code == 200, moved.text
    taken = client.post(f"{api}/appointments", data={
        "csrf_token": token, "patient_id": PATIENT_ID, "date": day, "time": "10:30"}, timeout=10)
    assert taken.status_code == 409
    [call] = client.get(f"{api}/conversations", timeout=10).json()
    shown = client.get(f"{api}/conversations/{call['id']}", timeout=10).text
    exported = client.get(f"{api}/conversations.csv", timeout=10).text
    review = client.get(f"{api}/review", timeout=10).json()
    assert review["messages"] and "0" * 6 in review["messages"][0]["text"]
    assert [a["action"] for a in client.get(f"{api}/audit", timeout=10).json()] == [
        "export", "read", "move", "book", "register"]
    logged = caplog.text
    assert "booked appointment" in logged and "moved appointment" in logged
    assert "registered patient" in logged
    for secret in SECRETS:
        assert secret not in logged, secret
        assert secret not in shown and secret not in exported, secret

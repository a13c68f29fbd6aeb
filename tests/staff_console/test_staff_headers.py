"""The staff console's security headers on every answer (pages, files, the API, its
errors), and pages that the strict Content-Security-Policy lets work: no inline script,
style or event handler."""
from __future__ import annotations

import re

import requests

from staff_console.login_routes import STATIC
from tests.staff_console.console_client import csrf_of, login

EVERY_ANSWER = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def directives(policy: str) -> dict:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_secured(answer: requests.Response) -> None:
    where = (answer.request.method, answer.request.url, answer.status_code)
    for name, value in EVERY_ANSWER.items():
        assert answer.headers.get(name) == value, (where, name)
    policy = directives(answer.headers.get("Content-Security-Policy", ""))
    assert policy.get("default-src") == ["'none'"], where
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert policy.get("script-src") == ["'self'"] and policy.get("style-src") == ["'self'"], where
    assert policy.get("form-action") == ["'self'"] and policy.get("base-uri") == ["'none'"], where
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"], where
    if "/staff/api/" in answer.request.url:
        assert answer.headers.get("Cache-Control") == "no-store", where


def test_every_answer_carries_the_security_headers(console):
    url, api = console.url, f"{console.url}/staff/api"
    anonymous = [
        requests.get(f"{url}/staff/login", timeout=10),
        requests.get(f"{url}/staff/static/console.js", timeout=10),
        requests.get(f"{url}/staff/static/console.css", timeout=10),
        requests.get(f"{url}/staff/static/nothing.js", timeout=10),  # 404
        requests.get(f"{url}/staff/", allow_redirects=False, timeout=10),  # 303
        requests.get(f"{api}/figures", timeout=10),  # 401
        requests.get(f"{api}/no-such-route", timeout=10),  # 404
        requests.post(f"{url}/staff/login", data={"name": "x"}, timeout=10),  # 403
    ]
    client, logged_in = login(url)
    token = csrf_of(client, url)
    member = [
        logged_in,  # 303 with the cookie
        client.get(f"{url}/staff/", timeout=10),
        client.get(f"{api}/figures", timeout=10),
        client.get(f"{api}/conversations.csv", timeout=10),
        client.get(f"{api}/conversations/999999", timeout=10),  # 404
        client.get(f"{api}/agenda?days=abc", timeout=10),  # 400
        client.post(f"{api}/appointments/1/cancel", data={}, timeout=10),  # 403: no CSRF token
        client.post(f"{api}/appointments", data={"csrf_token": token, "x": "a" * 200_000},
                    timeout=10),  # 413
    ]
    statuses = {answer.status_code for answer in anonymous + member}
    assert statuses >= {200, 303, 400, 401, 403, 404, 413}
    for answer in anonymous + member:
        assert_secured(answer)
    for answer in (anonymous[3], anonymous[6], requests.put(f"{url}/staff/login", timeout=10)):
        assert answer.status_code in (404, 405) and answer.json()["error"] in (
            "Adresse introuvable.", "Méthode non autorisée pour cette adresse.")


def test_the_pages_need_nothing_the_policy_forbids():
    """Scripts and styles come from /staff/static/ only: no inline code, handler or style."""
    for page in STATIC.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page.name
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", text, re.I), page.name
        for source in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert source.startswith("/staff/"), (page.name, source)
    for script in STATIC.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function|\.style\b|\"style\"|setTimeout\(\"", text), script.name

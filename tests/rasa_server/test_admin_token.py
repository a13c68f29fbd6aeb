"""Rasa's HTTP API behind rasa_server's token check: the real ``rasa.server.create_app``
(no model loaded), the token compared in constant time."""
from __future__ import annotations

import hmac

import httpx
import pytest
from sanic import Sanic

TOKEN = "admin-token-0123456789abcdef"


@pytest.fixture
def get(monkeypatch):
    """``await get(params)``: ``GET /status`` of Rasa's own app, with the token check of
    rasa_server installed first."""
    import rasa.server

    from rasa_server.admin_token import install_constant_time_check

    monkeypatch.setattr(Sanic, "test_mode", True)
    install_constant_time_check()
    app = rasa.server.create_app(auth_token=TOKEN)

    async def request(params) -> httpx.Response:
        await app._startup()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rasa.test") as client:
            return await client.get("/status", params=params)

    yield request
    Sanic._app_registry.pop(app.name, None)


@pytest.mark.asyncio
@pytest.mark.parametrize("token", ["wrong", TOKEN[:-1], TOKEN + "x", "", "é" * 28, None])
async def test_the_api_refuses_any_other_token(get, token):
    answer = await get({} if token is None else {"token": token})
    assert answer.status_code == 401
    assert answer.json()["reason"] == "NotAuthenticated"  # Rasa's own answer


@pytest.mark.asyncio
async def test_the_api_opens_with_the_admin_token(get):
    answer = await get({"token": TOKEN})
    assert answer.status_code != 401  # 409 here: no model is loaded


@pytest.mark.asyncio
async def test_the_token_is_compared_in_constant_time(get, monkeypatch):
    compared, real = [], hmac.compare_digest

    def compare_digest(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("rasa_server.admin_token.hmac.compare_digest", compare_digest)
    answer = await get({"token": "wrong-token"})
    assert answer.status_code == 401
    assert compared == [(b"wrong-token", TOKEN.encode())]

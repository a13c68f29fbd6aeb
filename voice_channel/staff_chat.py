"""The ``staff`` channel: typed chat for the clinic's staff, behind a token.

``POST /webhooks/staff/webhook`` takes the REST channel's JSON (``{"sender": "…",
"message": "…"}``) and answers its list of messages, but only with ``Authorization:
Bearer <token>`` (the channel's ``token`` in credentials.yml, else ``STAFF_CHAT_TOKEN``,
which ``make run`` generates into ``var/`` and ``make staff-token`` prints); without any
token configured it refuses every request. It is never Rasa's admin token
(``RASA_API_TOKEN``, which reads every conversation and loads models): the same value for
both is refused at start. The token is checked, in constant time, before the body is read. Its conversations are
``staff:<sender>``: a staff member cannot land in a patient's call (``phone:…``) or web
conversation (``web:…``), nor they in a staff test.

Rasa's plain ``rest`` channel is not in the default credentials: it trusts any sender.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from conversation_names import STAFF, conversation_id
from voice_channel.dialogue.deadline import ask_within
from voice_channel.dialogue.prompts import prompts_of
from voice_channel.http_requests import bearer_token, error, read_text_turn, token_matches
from voice_channel.settings import DEFAULT_TIMEOUT_S, environment

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "STAFF_CHAT_TOKEN"


class StaffChatInput(RestInput):
    def __init__(self, token: Optional[str] = None,
                 dialogue_timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.token = token
        self.dialogue_timeout = dialogue_timeout

    @classmethod
    def name(cls) -> Text:
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        values = dict(credentials or {})
        unknown = set(values) - {"token", "dialogue_timeout"}
        if unknown:
            raise ValueError(f"staff channel: unknown setting(s) {sorted(unknown)}")
        timeout = values.get("dialogue_timeout") or DEFAULT_TIMEOUT_S
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError("staff channel: dialogue_timeout must be a positive number")
        token = values.get("token") or environment().staff_chat_token
        if not token:
            logger.warning("staff channel: no token (credentials or %s): "
                           "it will refuse every request", TOKEN_VARIABLE)
        elif token == environment().rasa_api_token:
            raise ValueError(f"staff channel: its token must not be Rasa's admin token "
                             f"(RASA_API_TOKEN); set {TOKEN_VARIABLE} to a token of its own "
                             f"(make staff-token)")
        return cls(token, timeout)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("staff_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not self.token:
                return error(403, "the staff chat has no token configured")
            if not token_matches(bearer_token(request), self.token):
                return error(401, "missing or wrong token")
            turn = await read_text_turn(request)
            if isinstance(turn, HTTPResponse):
                return turn
            sender, text = turn
            messages = await ask_within(on_new_message, text, conversation_id(STAFF, sender), self.name(),
                                        {"caller_key": conversation_id(STAFF, sender)}, self.dialogue_timeout,
                                        prompts=prompts_of(request.app))
            return response.json(messages)

        return blueprint

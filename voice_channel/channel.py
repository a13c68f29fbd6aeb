"""The ``voice`` input channel, served by Rasa under ``/webhooks/voice/``.

It speaks the REST channel's protocol (``POST /webhook`` with ``sender`` and
``message``) and reports its health on ``GET /``; speech recognition and
synthesis plug in behind it.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000


class VoiceInput(RestInput):
    """REST-compatible channel that carries the caller's voice."""

    @classmethod
    def name(cls) -> Text:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = Blueprint("voice_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "stt": None, "tts": None})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            payload = _json_body(request)
            if payload is None:
                return response.json({"error": "body must be a JSON object"}, status=400)
            sender, text = payload.get("sender"), payload.get("message")
            if not isinstance(sender, str) or not sender.strip():
                return response.json({"error": "'sender' must be a non-empty string"}, status=400)
            if not isinstance(text, str):
                return response.json({"error": "'message' must be a string"}, status=400)
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json({"error": "'message' is too long"}, status=413)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(text, collector, sender, input_channel=self.name(),
                            metadata=payload.get("metadata"))
            )
            return response.json(collector.messages)

        return blueprint


def _json_body(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json
    except Exception:  # Sanic raises on malformed JSON
        return None
    return body if isinstance(body, dict) else None

"""Direct calls to Duckling, for when Rasa's message carries no time entity.

Rasa's extractor logs a Duckling outage and returns nothing; asking Duckling
again here tells "no date in what was said" apart from "Duckling is down", so
that the caller hears an apology instead of "I did not understand".
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional

import requests

from actions.settings import duckling_url

TIMEOUT_S = 3


class DucklingUnavailable(RuntimeError):
    """Duckling did not answer."""


def parse_times(text: str, now: datetime, timezone: str) -> List[Dict[str, Any]]:
    """Duckling's ``time`` results for ``text``, in Rasa's entity shape."""
    try:
        reply = requests.post(
            f"{duckling_url()}/parse",
            data={
                "text": text,
                "locale": "fr_FR",
                "tz": timezone,
                "dims": json.dumps(["time"]),
                "reftime": int(now.timestamp() * 1000),
            },
            timeout=TIMEOUT_S,
        )
        reply.raise_for_status()
        results = reply.json()
    except (requests.RequestException, ValueError) as error:
        raise DucklingUnavailable(str(error)) from None
    return [_as_rasa_entity(r) for r in results if r.get("dim") == "time"]


def _as_rasa_entity(result: Dict[str, Any]) -> Dict[str, Any]:
    value = result["value"]
    if value.get("type") == "interval":
        rasa_value: Any = {
            "to": value.get("to", {}).get("value"),
            "from": value.get("from", {}).get("value"),
        }
    else:
        rasa_value = value.get("value")
    return {
        "entity": "time",
        "start": result["start"],
        "end": result["end"],
        "value": rasa_value,
        "additional_info": value,
        "extractor": "DucklingEntityExtractor",
    }


def first_time_entity(entities: Optional[List[Dict[str, Any]]]) -> Optional[Dict[str, Any]]:
    for entity in entities or []:
        if entity.get("entity") == "time":
            return entity
    return None

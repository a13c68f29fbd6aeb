"""Validation of the ``POST /parse`` form fields, following the official server.

Where upstream Duckling silently falls back (unknown language -> English,
unknown dimension -> dropped, unknown tz -> UTC, bad reftime -> crash), we
answer with a :class:`BadInput` carrying an HTTP status and a plain reason.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Callable, FrozenSet, Mapping, Optional, Sequence, Tuple

# Upstream defaults (facebook/duckling exe/ExampleMain.hs).
DEFAULT_LANG = "EN"
DEFAULT_TZ = "America/Los_Angeles"
DEFAULT_MAX_TEXT_CHARS = 10_000

_LOCALE_RE = re.compile(r"([A-Za-z]{2})(?:[_-]([A-Za-z]{2}))?")
_LANG_RE = re.compile(r"[A-Za-z]{2}")
_REFTIME_RE = re.compile(r"-?[0-9]{1,16}")
# Epoch milliseconds representable by Python's datetime (years 1 to 9999).
_REFTIME_MIN_MS = -62_135_596_800_000
_REFTIME_MAX_MS = 253_402_300_799_999


@dataclass(frozen=True)
class ParseQuery:
    """A fully validated parse request."""

    text: str
    lang: str
    region: Optional[str]
    tz: str
    reftime_ms: int
    dims: Tuple[str, ...]  # empty tuple means "all dimensions"
    latent: bool


class BadInput(ValueError):
    """Client error: ``status`` is the HTTP status, ``reason`` is safe to echo."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What the validator accepts; the name sets come from the loaded engine."""

    languages: FrozenSet[str]
    dimensions: Sequence[str]
    timezones: FrozenSet[str]
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    default_tz: str = DEFAULT_TZ


def _show(value: str, limit: int = 60) -> str:
    """Quote a client value for an error message, truncated."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


class QueryValidator:
    """Turns raw form fields into a :class:`ParseQuery` or raises :class:`BadInput`."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        """``clock`` gives the current epoch seconds (used when reftime is absent)."""
        self.limits = limits
        self._clock = clock

    def validate(self, fields: Mapping[str, str]) -> ParseQuery:
        """Validate ``text``, ``locale``/``lang``, ``tz``, ``reftime``, ``dims``, ``latent``."""
        text = self._text(fields.get("text"))
        lang, region = self._locale(_optional(fields, "locale"), _optional(fields, "lang"))
        return ParseQuery(
            text=text,
            lang=lang,
            region=region,
            tz=self._tz(_optional(fields, "tz")),
            reftime_ms=self._reftime(_optional(fields, "reftime")),
            dims=self._dims(_optional(fields, "dims")),
            latent=_latent(_optional(fields, "latent")),
        )

    def _text(self, text: Optional[str]) -> str:
        if text is None:
            raise BadInput("missing 'text' parameter")
        if text == "":
            raise BadInput("empty 'text' parameter")
        limit = self.limits.max_text_chars
        if len(text) > limit:
            raise BadInput(f"text too long: {len(text)} characters, limit is {limit}", 413)
        return text

    def _locale(self, locale: Optional[str], lang: Optional[str]) -> Tuple[str, Optional[str]]:
        language = self._lang(lang) if lang is not None else DEFAULT_LANG
        if locale is None:
            return language, None
        match = _LOCALE_RE.fullmatch(locale)
        if match is None:
            raise BadInput(f"malformed locale {_show(locale)}: expected e.g. 'fr_FR' or 'fr'")
        code = match.group(1).upper()
        if code not in self.limits.languages:
            raise BadInput(f"unknown locale {_show(locale)}: Duckling has no language {code!r}")
        region = match.group(2)
        return code, region.upper() if region else None

    def _lang(self, lang: str) -> str:
        code = lang.upper()
        if _LANG_RE.fullmatch(lang) is None or code not in self.limits.languages:
            raise BadInput(f"unknown lang {_show(lang)}: expected a Duckling language such as 'FR'")
        return code

    def _tz(self, tz: Optional[str]) -> str:
        if tz is None:
            return self.limits.default_tz
        if tz in self.limits.timezones:
            return tz
        hint = next((z for z in self.limits.timezones if z.lower() == tz.lower()), None)
        suffix = f" (did you mean {hint!r}?)" if hint else ""
        raise BadInput(f"unknown tz {_show(tz)}: expected an IANA zone like 'Europe/Paris'{suffix}")

    def _reftime(self, reftime: Optional[str]) -> int:
        if reftime is None:
            return int(self._clock() * 1000)
        if _REFTIME_RE.fullmatch(reftime) is None:
            raise BadInput(f"bad reftime {_show(reftime)}: expected integer epoch milliseconds")
        value = int(reftime)
        if not _REFTIME_MIN_MS <= value <= _REFTIME_MAX_MS:
            raise BadInput(f"bad reftime {_show(reftime)}: outside years 1 to 9999")
        return value

    def _dims(self, dims: Optional[str]) -> Tuple[str, ...]:
        if dims is None or dims == "null":  # Rasa sends json.dumps(None) for "all"
            return ()
        # Same clean-up as upstream: drop one pair of wrapping quotes and backslashes.
        cleaned = dims[1:] if dims.startswith('"') else dims
        cleaned = cleaned[:-1] if cleaned.endswith('"') else cleaned
        cleaned = cleaned.replace("\\", "")
        try:
            names = json.loads(cleaned)
        except ValueError:
            reason = f"bad dims {_show(dims)}: expected a JSON list like [\"time\"]"
            raise BadInput(reason) from None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise BadInput(f"bad dims {_show(dims)}: expected a JSON list of strings")
        unknown = sorted({n for n in names if n not in self.limits.dimensions})
        if unknown:
            known = ", ".join(self.limits.dimensions)
            shown = ", ".join(_show(n, 30) for n in unknown[:5])
            raise BadInput(f"unknown dimension(s) {shown}; known: {known}")
        return tuple(dict.fromkeys(names))


def _optional(fields: Mapping[str, str], name: str) -> Optional[str]:
    """A stripped field value; absent and blank both mean "use the default"."""
    value = fields.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _latent(latent: Optional[str]) -> bool:
    if latent is None:
        return False
    lowered = latent.lower()
    if lowered not in ("true", "false"):
        raise BadInput(f"bad latent {_show(latent)}: expected 'true' or 'false'")
    return lowered == "true"

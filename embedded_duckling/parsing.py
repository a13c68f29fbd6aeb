"""Validated, cached wrapper around the native Duckling bindings (``duckling`` wheel).

Every call into the native library goes through :class:`DucklingEngine`. The
wheel links the *non-threaded* GHC runtime and holds the GIL for the whole
parse, so callers should funnel all engine calls through one worker thread.
"""
from __future__ import annotations

import json
import locale
import logging
import os
import threading
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Tuple


def _ensure_utf8_c_locale() -> None:
    """Make GHC decode C strings as UTF-8.

    The Haskell runtime reads the C locale once, when ``duckling`` is imported:
    under ``LC_ALL=C`` it silently drops every non-ASCII character, which breaks
    French parsing and shifts the offsets.
    """
    codeset = (locale.nl_langinfo(locale.CODESET) or "").replace("-", "").upper()
    if codeset != "UTF8":
        os.environ["LC_ALL"] = "C.UTF-8"


_ensure_utf8_c_locale()

import duckling  # noqa: E402  (must come after the locale fix)

from embedded_duckling.params import ParseQuery  # noqa: E402

logger = logging.getLogger(__name__)

# Duckling's ``Lang`` enum (Duckling/Locale.hs); filtered at start-up to the
# ones the installed wheel really knows.
KNOWN_LANGUAGES: Tuple[str, ...] = tuple(
    "AF AR BG BN CA CS DA DE EL EN ES ET FA FI FR GA HE HI HR HU ID IS IT JA KA "
    "KN KM KO LO ML MN MY NB NE NL PL PT RO RU SK SV SW TA TE TH TR UK VI ZH".split()
)

# Duckling's ``allLocales``: the only (language, region) pairs with their own
# rules. Any other region falls back to the bare language, as upstream does.
REGIONAL_LOCALES: Dict[str, FrozenSet[str]] = {
    "AR": frozenset({"EG"}),
    "EN": frozenset("AU BZ CA GB IN IE JM NZ PH ZA TT US".split()),
    "ES": frozenset("AR CL CO ES MX PE VE".split()),
    "NL": frozenset({"BE", "NL"}),
    "ZH": frozenset({"CN", "HK", "MO", "TW"}),
}

# Duckling's ``fromName`` (Duckling/Dimensions/Types.hs).
KNOWN_DIMENSIONS: Tuple[str, ...] = (
    "amount-of-money",
    "credit-card-number",
    "distance",
    "duration",
    "email",
    "number",
    "ordinal",
    "phone-number",
    "quantity",
    "temperature",
    "time",
    "time-grain",
    "url",
    "volume",
)

# Upstream Duckling skips these sub-trees of the zoneinfo directory.
_IGNORED_ZONE_DIRS = {"posix", "right"}

# (text, expected start, expected end) of the UTF-8 self-check.
_CANARY = ("\U0001F642 après-demain", 2, 14)


class EngineError(RuntimeError):
    """The native library misbehaved (never caused by client input)."""


def list_timezones(zoneinfo_dir: Path) -> FrozenSet[str]:
    """Zone names Duckling loads from ``zoneinfo_dir`` (TZif files, like upstream)."""
    names = set()
    for path in _walk_files(zoneinfo_dir, top=True):
        try:
            with path.open("rb") as handle:
                if handle.read(4) == b"TZif":
                    names.add(path.relative_to(zoneinfo_dir).as_posix())
        except OSError:
            continue
    return frozenset(names)


def _walk_files(directory: Path, top: bool) -> Iterator[Path]:
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not (top and entry.name in _IGNORED_ZONE_DIRS):
                yield from _walk_files(entry, top=False)
        elif entry.is_file():
            yield entry


def repair_utf8(raw: str) -> str:
    """Undo the wheel's mojibake: its JSON is UTF-8 bytes decoded as Latin-1."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw  # already proper text (a fixed wheel); keep it


def exact_bodies(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Set each ``body`` to ``text[start:end]``, checking the offsets."""
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if not (isinstance(start, int) and isinstance(end, int)):
            raise EngineError("Duckling returned an entity without integer offsets")
        if not 0 <= start <= end <= len(text):
            raise EngineError("Duckling returned offsets outside the text")
        entity["body"] = text[start:end]
    return entities


class DucklingEngine:
    """Owns the tz database and caches locales and dimension lists."""

    def __init__(self, zoneinfo_dir: str = "/usr/share/zoneinfo") -> None:
        """Load the tz database once, probe the wheel and run a UTF-8 self-check."""
        directory = Path(zoneinfo_dir)
        if not directory.is_dir():
            raise EngineError(f"zoneinfo directory not found: {zoneinfo_dir}")
        self.timezones = list_timezones(directory)
        if "UTC" not in self.timezones:
            raise EngineError(f"no usable tz database in {zoneinfo_dir}")
        self._tzdb = duckling.load_time_zones(str(directory))
        self.languages = frozenset(
            code for code in KNOWN_LANGUAGES if duckling.parse_lang(code).name == code
        )
        self.dimensions = tuple(
            name for name in KNOWN_DIMENSIONS if len(duckling.parse_dimensions([name])) == 1
        )
        self._lock = threading.Lock()
        self._locales: Dict[str, Any] = {}
        self._dims: Dict[Tuple[str, ...], List[Any]] = {}
        self._self_check()

    def locale_name(self, lang: str, region: Optional[str]) -> str:
        """Duckling's name for the locale used, e.g. ``FR_XX`` or ``EN_US``."""
        if region and region in REGIONAL_LOCALES.get(lang, ()):
            return f"{lang}_{region}"
        return f"{lang}_XX"

    def parse(self, query: ParseQuery) -> List[Dict[str, Any]]:
        """Run Duckling; ``body`` is always the exact substring of ``query.text``."""
        return exact_bodies(query.text, self._run(query))

    def _run(self, query: ParseQuery) -> List[Dict[str, Any]]:
        ref_time = duckling.parse_ref_time(self._tzdb, query.tz, query.reftime_ms // 1000)
        context = duckling.Context(ref_time, self._locale(query.lang, query.region))
        # A NUL would make the wheel panic (and print the text); a space keeps offsets.
        native_text = query.text.replace("\0", " ")
        raw = duckling.parse_text(native_text, context, self._dimensions(query.dims), query.latent)
        entities = json.loads(repair_utf8(raw))
        if not isinstance(entities, list):
            raise EngineError("Duckling did not return a JSON list")
        return entities

    def _locale(self, lang: str, region: Optional[str]) -> Any:
        name = self.locale_name(lang, region)
        with self._lock:
            cached = self._locales.get(name)
            if cached is None:
                language_default = duckling.default_locale_lang(duckling.parse_lang(lang))
                if name.endswith("_XX"):
                    cached = language_default
                else:
                    cached = duckling.parse_locale(name, language_default)
                if cached.name != name:
                    raise EngineError(f"Duckling resolved locale {name} as {cached.name}")
                self._locales[name] = cached
                logger.debug("loaded Duckling locale %s", name)
            return cached

    def _dimensions(self, names: Tuple[str, ...]) -> List[Any]:
        key = tuple(sorted(set(names)))
        with self._lock:
            cached = self._dims.get(key)
            if cached is None:
                cached = duckling.parse_dimensions(list(key))
                if len(cached) != len(key):
                    raise EngineError("Duckling did not recognise a validated dimension")
                self._dims[key] = cached
            return cached

    def _self_check(self) -> None:
        text, start, end = _CANARY
        query = ParseQuery(text, "FR", None, "UTC", 1_700_000_000_000, ("time",), False)
        found = [(e.get("start"), e.get("end"), e.get("body")) for e in self._run(query)]
        if found != [(start, end, text[start:end])]:
            raise EngineError(
                "Duckling's UTF-8 self-check failed (is a UTF-8 C locale such as "
                f"C.UTF-8 installed?): got {found!r}"
            )

"""In-memory LRU cache of synthesized speech: the bot's prompts repeat constantly.

Keys are ``(engine cache key, text)``, the engine key being its name and its
voice settings (``SpeechSynthesizer.cache_key()``), so one ``SpeechCache`` can
serve several engines. The cache is bounded by entry count and by total PCM
bytes (an utterance larger than ``max_bytes`` is returned but not kept), and is
thread-safe: concurrent requests for the same missing key synthesize it once,
the others wait for that result (or its exception, which is not cached).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable, Dict, Hashable, Iterable, Mapping, Optional

from voice_channel.tts.base import SpeechSynthesizer, SynthesizedSpeech

DEFAULT_MAX_ENTRIES = 512
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # ~25 min of 22050 Hz 16-bit speech


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    entries: int
    bytes: int
    max_entries: int
    max_bytes: int


class SpeechCache:
    """Thread-safe LRU map of key -> ``SynthesizedSpeech``, bounded in count and bytes."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("max_entries and max_bytes must be positive")
        self.max_entries = int(max_entries)
        self.max_bytes = int(max_bytes)
        self._entries: "OrderedDict[Hashable, SynthesizedSpeech]" = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0
        self._lock = threading.Lock()
        self._pending: Dict[Hashable, Future] = {}

    def _put_locked(self, key: Hashable, speech: SynthesizedSpeech) -> bool:
        if speech.nbytes > self.max_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes
        self._entries[key] = speech
        self._bytes += speech.nbytes
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.nbytes
            self._evictions += 1
        return True

    def get_or_create(self, key: Hashable, create: Callable[[], SynthesizedSpeech]) -> SynthesizedSpeech:
        """The cached speech for ``key``, else ``create()``'s, stored (once per key)."""
        with self._lock:
            speech = self._entries.get(key)
            if speech is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return speech
            pending = self._pending.get(key)
            leader = pending is None
            if leader:
                self._misses += 1
                pending = self._pending[key] = Future()
            else:
                self._hits += 1  # served by the synthesis already under way
        if not leader:
            return pending.result()
        try:
            speech = create()
        except BaseException as error:
            with self._lock:
                del self._pending[key]
            pending.set_exception(error)
            raise
        with self._lock:
            self._put_locked(key, speech)
            del self._pending[key]
        pending.set_result(speech)
        return speech

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                entries=len(self._entries),
                bytes=self._bytes,
                max_entries=self.max_entries,
                max_bytes=self.max_bytes,
            )


class CachedSynthesizer(SpeechSynthesizer):
    """``inner`` behind a ``SpeechCache`` (its own, or a shared one passed as ``cache``)."""

    def __init__(
        self,
        inner: SpeechSynthesizer,
        cache: Optional[SpeechCache] = None,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.inner = inner
        self.cache = cache if cache is not None else SpeechCache(max_entries, max_bytes)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.inner.settings

    def cache_key(self) -> Hashable:
        return self.inner.cache_key()

    def check_available(self) -> None:
        self.inner.check_available()

    def key_for(self, text: str) -> Hashable:
        return (self.inner.cache_key(), text)

    def synthesize(self, text: str) -> SynthesizedSpeech:
        return self.cache.get_or_create(self.key_for(text), lambda: self.inner.synthesize(text))

    def prefetch(self, texts: Iterable[str]) -> int:
        """Synthesize ``texts`` ahead (fixed prompts at start-up); how many were new."""
        new = 0
        for text in texts:
            key = self.key_for(text)
            if key not in self.cache:
                self.synthesize(text)
                new += 1
        return new

    def __repr__(self) -> str:
        return f"CachedSynthesizer({self.inner!r})"

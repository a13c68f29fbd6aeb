"""The voice channel's state shared by several replicas, on a real ``redis-server``.

Each "replica" is its own set of objects with its own Redis client, as two Rasa processes
would have: a ticket is spent once over both, one address's turns add up, the cluster's
lines are capped and a replica that stops renewing its leases gives its lines back.
With Redis stopped (or not answering) every call returns at once: tickets refused, turns
allowed, new lines busy.

Without ``redis-server`` on the PATH these tests are skipped on a laptop and fail in CI
(``CI`` set). No test measures a duration: a lease's expiry is waited for as an event,
and the Redis-down calls run in a thread that must finish.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import closing
from typing import Callable, Iterator, List

import pytest
import redis

from simulation.redis_server import running_redis
from voice_channel.settings import InvalidVoiceConfig, shared_state_settings
from voice_channel.shared_rate import SharedAddressRate
from voice_channel.shared_state import SharedState
from voice_channel.telephony.shared_lines import SharedPhoneLines
from voice_channel.telephony.shared_tickets import SharedSpentTickets
from voice_channel.telephony.stream_tickets import StreamTickets

SECRET = b"0123456789abcdef0123456789abcdef"
CALLER = "+33612345678"
ADDRESS, OTHER_ADDRESS = "203.0.113.9", "198.51.100.7"
RETURNS_WITHIN_S = 10  # a hang, not a duration: calls to a dead Redis take ~1 s at most


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)  # polling for the event, not standing for a duration


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """The URL (``redis://:password@127.0.0.1:port/0``) of a fresh ``redis-server``."""
    with running_redis(tmp_path) as server:
        yield server.url


def replica(url: str) -> SharedState:
    """One replica's own client of the shared Redis."""
    return SharedState.connect(url, SECRET)


def shared_keys(url: str) -> List[str]:
    return [key.decode() for key in redis.Redis.from_url(url).keys("*")]


def finishes(work: Callable[[], None]) -> None:
    """``work`` returns (in a thread, so that a hang fails the test instead of blocking it);
    its assertions' failures are raised here."""
    failures: List[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as failure:  # noqa: BLE001  (re-raised below)
            failures.append(failure)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(RETURNS_WITHIN_S)
    assert not thread.is_alive(), "a call to the shared state hung"
    if failures:
        raise failures[0]


# -- tickets -----------------------------------------------------------------------------


def test_a_ticket_spent_on_one_replica_is_refused_on_another(redis_url):
    first, second = (StreamTickets(SECRET, spent=SharedSpentTickets(replica(redis_url)))
                     for _ in range(2))
    call = "CA" + "7" * 32
    ticket = first.issue(call, CALLER)
    assert second.redeem(ticket, call, CALLER) is None
    assert first.redeem(ticket, call, CALLER) == "ticket already used"
    assert second.redeem(ticket, call, CALLER) == "ticket already used"
    [key] = shared_keys(redis_url)
    assert key.startswith("allo:ticket:") and ticket.split(".")[2] not in key
    assert 0 < redis.Redis.from_url(redis_url).ttl(key) <= 60 + 60 + 1  # ticket + margin


def test_a_ticket_replayed_at_once_to_both_replicas_admits_one_call(redis_url):
    replicas = [StreamTickets(SECRET, spent=SharedSpentTickets(replica(redis_url)))
                for _ in range(2)]
    call = "CA" + "8" * 32
    ticket = replicas[0].issue(call, CALLER)
    answers: List[object] = []
    threads = [threading.Thread(target=lambda t=t: answers.append(t.redeem(ticket, call, CALLER)))
               for t in replicas * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RETURNS_WITHIN_S)
    assert sorted(map(str, answers)) == ["None"] + ["ticket already used"] * 7


# -- uses per address --------------------------------------------------------------------


def test_two_replicas_count_one_address_together(redis_url):
    first, second = (SharedAddressRate(replica(redis_url), "turns", limit=3, window=60)
                     for _ in range(2))
    assert [first.allow(ADDRESS), second.allow(ADDRESS), first.allow(ADDRESS)] == [True] * 3
    assert not second.allow(ADDRESS) and not first.allow(ADDRESS)
    assert first.allow(OTHER_ADDRESS)  # another address has its own count
    tickets = SharedAddressRate(replica(redis_url), "tickets", limit=1, window=60)
    assert tickets.allow(ADDRESS)  # another limit too
    keys = shared_keys(redis_url)
    assert len(keys) == 3 and not any(ADDRESS in key or OTHER_ADDRESS in key for key in keys)
    assert all(0 < redis.Redis.from_url(redis_url).pttl(key) <= 60_000 for key in keys)


# -- lines -------------------------------------------------------------------------------


def test_the_cluster_caps_its_lines_and_each_replica_its_own(redis_url):
    first, second = (SharedPhoneLines(replica(redis_url), max_calls=2, cluster_max_calls=3)
                     for _ in range(2))
    try:
        taken = [first.take(), first.take()]
        assert all(taken) and first.take() is None  # the replica's own max_calls
        assert first.all_busy and not second.all_busy
        assert second.take() is not None
        assert second.take() is None and second.all_busy  # the cluster's 3 lines are taken
        taken[0]()
        assert not second.all_busy and second.take() is not None
    finally:
        first.close(), second.close()


def test_one_address_holds_its_share_of_the_cluster(redis_url):
    first, second = (SharedPhoneLines(replica(redis_url), max_calls=4, max_per_holder=2)
                     for _ in range(2))
    try:
        mine = [first.take(ADDRESS), second.take(ADDRESS)]
        assert all(mine)
        assert first.take(ADDRESS) is None and second.take(ADDRESS) is None
        assert second.take(OTHER_ADDRESS) is not None  # another address has its own share
        assert first.take() is not None  # a phone call (no holder) is not one of its lines
        mine[1]()
        assert first.take(ADDRESS) is not None
        assert not any(ADDRESS in key for key in shared_keys(redis_url))
    finally:
        first.close(), second.close()


def test_releasing_a_line_twice_frees_it_once(redis_url):
    first, second, third = (SharedPhoneLines(replica(redis_url), cluster_max_calls=2)
                            for _ in range(3))
    try:
        release = first.take()
        assert second.take() is not None and third.take() is None
        release()
        release()
        assert first.in_use == 0
        assert third.take() is not None
        assert third.take() is None  # the second release freed nothing
    finally:
        first.close(), second.close(), third.close()


def test_the_lines_of_a_replica_that_stopped_renewing_come_back(redis_url):
    def lines() -> SharedPhoneLines:
        return SharedPhoneLines(replica(redis_url), cluster_max_calls=2, lease_s=1.0,
                                renew_every_s=0.1)

    alive, killed, other = lines(), lines(), lines()
    try:
        assert alive.take() is not None and killed.take() is not None
        killed.close()  # as if killed with -9: its lease is never renewed again
        assert other.take() is None
        _wait_for(lambda: other.take() is not None, 15, "the killed replica's line is free")
        assert other.take() is None  # the live replica renewed its lease: still held
    finally:
        alive.close(), killed.close(), other.close()


# -- Redis down --------------------------------------------------------------------------


def test_with_redis_stopped_calls_return_at_once(tmp_path, caplog):
    with running_redis(tmp_path) as server:
        state = replica(server.url)
        tickets = StreamTickets(SECRET, spent=SharedSpentTickets(state))
        rate = SharedAddressRate(state, "turns", limit=1, window=60)
        lines = SharedPhoneLines(state, cluster_max_calls=4)
        assert rate.allow(ADDRESS) and not rate.allow(ADDRESS)  # Redis counts, at first
        in_progress = lines.take()
        assert in_progress is not None
        server.stop()
        caplog.set_level(logging.WARNING, logger="voice_channel.shared_state")

        def with_redis_stopped() -> None:
            call = "CA" + "9" * 32
            assert tickets.redeem(tickets.issue(call), call, None) == "ticket store unavailable"
            assert all(rate.allow(ADDRESS) for _ in range(5))  # fails open
            assert lines.take() is None and lines.all_busy  # fails closed
            in_progress()  # the call in progress ends without an error

        try:
            finishes(with_redis_stopped)
        finally:
            lines.close()
    warnings = [record.getMessage() for record in caplog.records]
    assert len([w for w in warnings if "turns per address" in w]) == 1  # one a minute
    assert any("stream tickets" in w for w in warnings)
    assert any("phone lines" in w for w in warnings)
    assert not any(server.password in w for w in warnings)


def test_a_redis_that_never_answers_costs_one_timeout_then_none():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the backlog; nothing ever answers
        state = replica(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        tickets = StreamTickets(SECRET, spent=SharedSpentTickets(state))
        rate = SharedAddressRate(state, "turns", limit=1, window=60)
        lines = SharedPhoneLines(state, max_per_holder=1)

        def with_redis_silent() -> None:
            assert rate.allow(ADDRESS) and rate.allow(ADDRESS)
            call = "CA" + "6" * 32
            assert tickets.redeem(tickets.issue(call), call, None) == "ticket store unavailable"
            assert lines.take(ADDRESS) is None and lines.in_use == 0
            assert lines.take() is not None  # no cluster cap: a phone call needs no Redis

        finishes(with_redis_silent)


# -- settings ----------------------------------------------------------------------------


def test_the_shared_state_is_set_up_from_the_environment(redis_url, monkeypatch):
    for name in ("VOICE_CHANNEL_REDIS_URL", "VOICE_CHANNEL_CLUSTER_MAX_CALLS",
                 "VOICE_CHANNEL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert shared_state_settings(None) is None  # `make run`: in memory
    monkeypatch.setenv("VOICE_CHANNEL_CLUSTER_MAX_CALLS", "6")
    with pytest.raises(InvalidVoiceConfig, match="needs VOICE_CHANNEL_REDIS_URL"):
        shared_state_settings(None)
    monkeypatch.setenv("VOICE_CHANNEL_REDIS_URL", redis_url)
    with pytest.raises(InvalidVoiceConfig, match="secret shared by every replica"):
        shared_state_settings(None)
    monkeypatch.setenv("VOICE_CHANNEL_SECRET", SECRET.decode())
    settings = shared_state_settings(None)
    assert settings.cluster_max_calls == 6 and settings.secret == SECRET
    assert "redis://" not in repr(settings)  # the URL holds the password
    monkeypatch.setenv("VOICE_CHANNEL_CLUSTER_MAX_CALLS", "0")
    with pytest.raises(InvalidVoiceConfig, match="positive integer"):
        shared_state_settings(None)


def test_two_channels_sharing_redis_spend_a_ticket_once(redis_url, monkeypatch):
    from voice_channel.channel import VoiceInput

    monkeypatch.setenv("VOICE_CHANNEL_REDIS_URL", redis_url)
    monkeypatch.setenv("VOICE_CHANNEL_SECRET", SECRET.decode())
    monkeypatch.setenv("VOICE_CHANNEL_CLUSTER_MAX_CALLS", "1")
    first, second = VoiceInput(), VoiceInput()
    try:
        call = "CA" + "5" * 32
        ticket = first.tickets.issue(call, CALLER)
        assert second.tickets.redeem(ticket, call, CALLER) is None
        assert first.tickets.redeem(ticket, call, CALLER) == "ticket already used"
        assert first.lines.take() is not None and second.lines.all_busy
        assert isinstance(second.turn_rate, SharedAddressRate)
        assert isinstance(second.ticket_rate, SharedAddressRate)
    finally:
        first.lines.close(), second.lines.close()

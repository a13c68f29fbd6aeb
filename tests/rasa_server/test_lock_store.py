"""rasa_server.lock_store on a real Redis (``redis_server`` fixture): tickets issued and
served in order, the lock gone with its last ticket, expired tickets dropped, four
processes and two stores sharing one conversation without losing a ticket or running
two turns at once, a Redis that is down failing instead of hanging, and Rasa building
the store from an ``endpoints.yml`` section.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import List

import pytest
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.core.utils import read_endpoints_from_path
from rasa.utils.endpoints import EndpointConfig

from rasa_server.lock_store import AtomicRedisLockStore
from simulation.stack import free_port

CONVERSATION = "phone:lock-store-test"
HANG_GUARD_S = 30  # only so that a hanging call fails the test instead of blocking it


@pytest.fixture
def server(redis_server):
    """The session's Redis, emptied for this test."""
    redis_server.client().flushall()
    return redis_server


@pytest.fixture
def store(server) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(**server.settings())


def test_tickets_are_issued_in_order_per_conversation(store):
    assert [store.issue_ticket(CONVERSATION) for _ in range(3)] == [0, 1, 2]
    assert store.issue_ticket("phone:another-call") == 0
    assert [t.number for t in store.get_lock(CONVERSATION).tickets] == [0, 1, 2]


def test_the_lock_is_served_in_ticket_order(store):
    first, second, third = (store.issue_ticket(CONVERSATION) for _ in range(3))
    assert [store.tickets_ahead(CONVERSATION, t) for t in (first, second, third)] == [0, 1, 2]
    store.finish_serving(CONVERSATION, first)
    assert store.tickets_ahead(CONVERSATION, first) is None
    assert [store.tickets_ahead(CONVERSATION, t) for t in (second, third)] == [0, 1]
    store.finish_serving(CONVERSATION, second)
    assert store.tickets_ahead(CONVERSATION, third) == 0


def test_finishing_the_last_ticket_removes_the_lock(store, server):
    first, second = store.issue_ticket(CONVERSATION), store.issue_ticket(CONVERSATION)
    store.cleanup(CONVERSATION, first)
    assert store.is_someone_waiting(CONVERSATION)
    store.cleanup(CONVERSATION, second)
    assert store.get_lock(CONVERSATION) is None
    assert not store.is_someone_waiting(CONVERSATION)
    assert server.client().exists(store.keys(CONVERSATION)[0]) == 0


@pytest.mark.asyncio
async def test_the_lock_context_leaves_nothing_behind(store):
    async with store.lock(CONVERSATION) as lock:
        assert [t.number for t in lock.tickets] == [0]
    assert store.get_lock(CONVERSATION) is None


def test_tickets_live_for_rasas_lock_lifetime_and_so_do_their_keys(store, server):
    client = server.client()

    def redis_now() -> float:
        seconds, microseconds = client.time()
        return seconds + microseconds / 1e6

    before = redis_now()
    store.issue_ticket(CONVERSATION)
    after = redis_now()
    (ticket,) = store.get_lock(CONVERSATION).tickets
    # the lifetime counts from the moment Redis issued it, on Redis's clock (ms precision)
    assert before + LOCK_LIFETIME - 0.001 <= ticket.expires <= after + LOCK_LIFETIME + 0.001
    assert 0 < client.pttl(store.keys(CONVERSATION)[0]) <= LOCK_LIFETIME * 1000 + 1
    assert client.pttl(store.keys(CONVERSATION)[1]) > 0


def test_an_expired_ticket_is_dropped_and_its_number_not_reused(store):
    expired = store.issue_ticket(CONVERSATION, lock_lifetime=-1)
    assert store.get_lock(CONVERSATION) is None
    live = store.issue_ticket(CONVERSATION)
    assert live != expired
    assert store.tickets_ahead(CONVERSATION, expired) is None
    assert store.tickets_ahead(CONVERSATION, live) == 0


def test_a_ticket_ahead_that_expires_lets_the_next_one_in(store):
    short = store.issue_ticket(CONVERSATION, lock_lifetime=0.2)
    waiting = store.issue_ticket(CONVERSATION)
    assert store.tickets_ahead(CONVERSATION, waiting) == 1
    deadline = time.monotonic() + HANG_GUARD_S
    while store.tickets_ahead(CONVERSATION, waiting) != 0:  # Redis's clock drops it
        assert time.monotonic() < deadline, "the expired ticket was never dropped"
        time.sleep(0.02)
    assert store.tickets_ahead(CONVERSATION, short) is None
    assert store.is_someone_waiting(CONVERSATION)


@pytest.mark.asyncio
async def test_a_waiter_whose_ticket_expired_gets_a_lock_error(store):
    store.issue_ticket(CONVERSATION)  # someone else's turn, for the whole test
    with pytest.raises(LockError, match="expired"):
        async with store.lock(CONVERSATION, lock_lifetime=-1, wait_time_in_seconds=0.01):
            pytest.fail("entered the lock with an expired ticket")


def test_the_store_never_writes_a_whole_lock_back(store):
    store.issue_ticket(CONVERSATION)
    lock = store.get_or_create_lock(CONVERSATION)
    store.update_lock(CONVERSATION)
    with pytest.raises(NotImplementedError, match="9213"):
        store.save_lock(lock)


CONTEXT = multiprocessing.get_context("fork")


def in_processes(processes_count: int, target, while_running, settings, **kwargs) -> List:
    """Runs ``target(settings, start, **kwargs)`` in ``processes_count`` processes that
    start together (``start``, a barrier), calls ``while_running()``, and returns their
    exit codes (``None``: still running after the guard, then terminated)."""
    start = CONTEXT.Barrier(processes_count)
    processes = [CONTEXT.Process(target=target, args=(settings, start), kwargs=kwargs)
                 for _ in range(processes_count)]
    for process in processes:
        process.start()
    try:
        while_running()
        deadline = time.monotonic() + HANG_GUARD_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        return [process.exitcode for process in processes]
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()


def issue_many(settings, start, results, count: int) -> None:
    """One process: its own store, ``count`` tickets as fast as it can, once all start."""
    store = AtomicRedisLockStore(**settings)
    start.wait()
    results.put([store.issue_ticket(CONVERSATION, lock_lifetime=600) for _ in range(count)])


def test_four_processes_never_share_or_lose_a_ticket(store, server):
    processes_count, per_process = 4, 200
    results = CONTEXT.Queue()
    issued: List[int] = []

    def collect() -> None:
        for _ in range(processes_count):
            issued.extend(results.get(timeout=HANG_GUARD_S))

    exit_codes = in_processes(processes_count, issue_many, collect,
                              server.settings(), results=results, count=per_process)
    assert exit_codes == [0] * processes_count
    total = processes_count * per_process
    assert sorted(issued) == list(range(total))
    assert [t.number for t in store.get_lock(CONVERSATION).tickets] == list(range(total))


def take_the_lock_many(settings, start, count: int) -> None:
    """One process: its own store, ``count`` turns; Redis counts who is inside."""
    store = AtomicRedisLockStore(**settings)
    witness = AtomicRedisLockStore(**settings).red

    async def turns() -> None:
        for _ in range(count):
            async with store.lock(CONVERSATION, wait_time_in_seconds=0.001):
                if witness.incr("inside") != 1:
                    witness.incr("overlaps")
                await asyncio.sleep(0.001)
                witness.decr("inside")
                witness.incr("turns")

    start.wait()
    asyncio.run(turns())


def test_four_processes_never_run_two_turns_at_once(store, server):
    processes_count, per_process = 4, 50
    exit_codes = in_processes(processes_count, take_the_lock_many, lambda: None,
                              server.settings(), count=per_process)
    assert exit_codes == [0] * processes_count, "a process failed or never got its turns"
    counts = store.red.mget("turns", "overlaps")
    assert counts == [str(processes_count * per_process).encode(), None]
    assert store.get_lock(CONVERSATION) is None


@pytest.mark.asyncio
async def test_critical_sections_of_two_stores_never_overlap(server):
    stores = [AtomicRedisLockStore(**server.settings()) for _ in range(2)]
    events: List[tuple] = []

    async def turn(index: int) -> None:
        store = stores[index % 2]
        async with store.lock(CONVERSATION, wait_time_in_seconds=0.01) as lock:
            events.append(("in", index, lock.now_serving))
            await asyncio.sleep(0)
            events.append(("out", index, lock.now_serving))

    await asyncio.gather(*(turn(index) for index in range(40)))
    entered, left = events[::2], events[1::2]
    assert [e[0] for e in entered] == ["in"] * 40 and [e[0] for e in left] == ["out"] * 40
    assert [e[1:] for e in entered] == [e[1:] for e in left]  # each left before the next
    served = [e[2] for e in entered]
    assert served == sorted(served) and len(set(served)) == 40  # in ticket order
    assert stores[0].get_lock(CONVERSATION) is None


def fails_within_guard(call) -> BaseException:
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(call)
        return future.exception(timeout=HANG_GUARD_S)


def test_a_closed_port_raises_a_lock_error():
    store = AtomicRedisLockStore(host="127.0.0.1", port=free_port(), password="x")
    error = fails_within_guard(lambda: store.issue_ticket(CONVERSATION))
    assert isinstance(error, LockError) and "ConnectionError" in str(error)


def test_a_redis_that_never_answers_raises_after_the_socket_timeout():
    with closing(socket.socket()) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete, nothing is ever read or answered
        store = AtomicRedisLockStore(host="127.0.0.1", port=silent.getsockname()[1],
                                     socket_timeout=1)

        async def take_the_lock() -> None:
            async with store.lock(CONVERSATION):
                pytest.fail("entered a lock on a Redis that never answered")

        error = fails_within_guard(lambda: asyncio.run(take_the_lock()))
    assert isinstance(error, LockError) and "Timeout" in str(error)


def test_rasa_builds_the_store_from_an_endpoints_section(server, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "lock_store:\n"
        "  type: rasa_server.lock_store.AtomicRedisLockStore\n"
        f"  url: {server.host}\n  port: {server.port}\n  password: {server.password}\n"
        "  db: 2\n  key_prefix: clinic\n"
    )
    store = LockStore.create(read_endpoints_from_path(endpoints).lock_store)
    assert isinstance(store, AtomicRedisLockStore)
    store.issue_ticket(CONVERSATION)
    assert server.client(db=2).exists("clinic:lock-tickets:" + CONVERSATION) == 1


def test_rasa_builds_the_store_from_an_endpoint_config(server):
    store = LockStore.create(EndpointConfig(
        type="rasa_server.lock_store.AtomicRedisLockStore", url=server.host,
        port=server.port, password=server.password))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.issue_ticket(CONVERSATION) == 0


@pytest.mark.parametrize("section, error", [
    ({"prot": 6379}, TypeError),  # a misspelt setting stops the server's start
    ({"key_prefix": "clinic:prod"}, ValueError),  # Rasa would warn and use its own
])
def test_a_wrong_section_is_refused(server, section, error):
    with pytest.raises(error):
        LockStore.create(EndpointConfig(type="rasa_server.lock_store.AtomicRedisLockStore",
                                        url=server.host, **section))

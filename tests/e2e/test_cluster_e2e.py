"""The cluster of ``make run-cluster`` (issue 23): two Rasa replicas bound to 127.0.0.2 and
127.0.0.3 behind HAProxy, two action servers, Redis and PostgreSQL, started by the same
commands (``python -m cluster write`` and its Procfile).

The tests run in order on one cluster, the destructive ones last: one conversation
flooded through HAProxy (the lock store), tickets and lines shared by the replicas,
calls that stay on their replica while a full one gets none, a drain, a model rolled
out under load, a replica killed, Redis killed.
"""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest
import requests

from cluster import runtime_api
from simulation.abuse.stream_attacks import close_code, start
from simulation.cluster_stack import running_cluster
from simulation.phone_caller import SimulatedCaller
from simulation.stack import PROJECT_ROOT, settings_copy

pytestmark = [pytest.mark.e2e]

LINES_PER_REPLICA = 1


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    credentials = settings_copy(PROJECT_ROOT / "credentials.yml", folder,
                                "voice_channel.channel.VoiceInput",
                                max_calls=LINES_PER_REPLICA, http_turns_per_minute=10000)
    credentials = settings_copy(credentials, folder, "voice_channel.staff_chat.StaffChatInput",
                                dialogue_timeout=60)
    with running_cluster(folder, replicas=2, hosts=["127.0.0.2", "127.0.0.3"],
                         extra_env={"RASA_CREDENTIALS": str(credentials),
                                    "RESTART_DELAY_S": "3"}) as stack:
        yield stack


def tracker_events(cluster, conversation: str) -> List[Dict[str, Any]]:
    answer = requests.get(cluster.api(f"/conversations/{conversation}/tracker"), timeout=30)
    answer.raise_for_status()
    return answer.json()["events"]


def turns_interleaved(events: List[Dict[str, Any]]) -> List[int]:
    """Indexes of user messages that arrived before the previous turn's action_listen."""
    bad, listening = [], True
    for index, event in enumerate(events):
        if event["event"] == "user":
            if not listening:
                bad.append(index)
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return bad


def lines(cluster, replica: int) -> int:
    return requests.get(f"{cluster.replica_url(replica)}/webhooks/voice/lines", timeout=5).status_code


@pytest.fixture
def free_lines(cluster):
    """Every replica's line free again and seen so by HAProxy (the calls of an earlier
    test have ended, and the next check has passed)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [runtime_api.server_status(cluster.runtime_socket, f"rasa{i}").get("calls")
                  for i in (1, 2)]
        if states == ["UP", "UP"]:
            return cluster
        time.sleep(0.5)
    pytest.fail(f"the replicas' lines did not come back: {states}")


# -- 2. the lock store: one conversation flooded through HAProxy ------------------------------

def test_fifty_messages_at_once_to_one_conversation_are_each_answered_once(cluster):
    sender = "flood-" + uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: cluster.staff_say(sender, "bonjour", timeout=120),
                                range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    assert all(a.json() for a in answers), "a message got no reply"
    events = tracker_events(cluster, f"staff:{sender}")
    assert sum(1 for e in events if e["event"] == "user") == 50
    assert turns_interleaved(events) == []


# -- 3. shared state: a ticket is used once on the whole cluster --------------------------------

def test_a_ticket_is_single_use_on_every_replica(cluster, free_lines):
    ticket = requests.post(f"{cluster.rasa_url}/webhooks/voice/stream/ticket", timeout=10).json()
    parameters = {"ticket": ticket["ticket"]}

    def stream(replica: int) -> str:
        return cluster.replica_url(replica).replace("http", "ws", 1) + "/webhooks/voice/stream"

    async def first_call() -> str:
        async with SimulatedCaller.connect(stream(1), caller=None, call_sid=ticket["callSid"],
                                           parameters=parameters) as call:
            return (await call.wait_bot_done(timeout=60)).text

    assert "Que puis-je faire pour vous" in asyncio.run(first_call())
    replayed = asyncio.run(close_code(stream(2), [start(ticket["callSid"], parameters)]))
    assert replayed == 1008  # spent on replica 1, refused on replica 2


# -- 4. calls: they stay on their replica, a full replica gets none -------------------------------

def test_calls_spread_and_a_full_replica_takes_no_new_call(cluster, free_lines):
    async def two_calls_then_a_third() -> List[str]:
        async with SimulatedCaller.dial(cluster.rasa_url, caller="+33611111111",
                                        twilio_auth_token=cluster.twilio_auth_token) as first:
            await first.wait_bot_done(timeout=60)
            await asyncio.sleep(2.5)  # HAProxy's lines check (every second) sees it
            async with SimulatedCaller.dial(cluster.rasa_url, caller="+33622222222",
                                            twilio_auth_token=cluster.twilio_auth_token) as second:
                await second.wait_bot_done(timeout=60)
                busy = sorted([lines(cluster, 1), lines(cluster, 2)])
                await second.say("je voudrais prendre un rendez-vous")
                reply = await second.wait_bot_done(timeout=60)
                return [*map(str, busy), "replied" if reply.texts else "silent"]

    assert asyncio.run(two_calls_then_a_third()) == ["503", "503", "replied"]
    time.sleep(2.5)
    assert [lines(cluster, 1), lines(cluster, 2)] == [200, 200]  # the lines came back


def test_when_every_line_is_taken_the_next_caller_hears_busy(cluster, free_lines):
    async def third_caller() -> str:
        async with SimulatedCaller.dial(cluster.rasa_url, caller="+33633333333",
                                        twilio_auth_token=cluster.twilio_auth_token) as one:
            await one.wait_bot_done(timeout=60)
            await asyncio.sleep(2.5)
            async with SimulatedCaller.dial(cluster.rasa_url, caller="+33644444444",
                                            twilio_auth_token=cluster.twilio_auth_token) as two:
                await two.wait_bot_done(timeout=60)
                await asyncio.sleep(2.5)
                try:
                    async with SimulatedCaller.dial(cluster.rasa_url, caller="+33655555555",
                                                    twilio_auth_token=cluster.twilio_auth_token):
                        return "connected"
                except ConnectionRefusedError as refused:  # busy TwiML: no stream
                    return "busy" if "<Reject" in str(refused) or "occup" in str(refused) \
                        else str(refused)

    assert asyncio.run(third_caller()) == "busy"


# -- 4. drain: live calls go on, new ones go elsewhere ----------------------------------------------

def served_turns(cluster, replica: int) -> int:
    """How many turns HAProxy has sent replica ``replica`` so far."""
    return next(int(row["stot"]) for row in runtime_api.stats(cluster.runtime_socket)
                if row["pxname"] == "turns" and row["svname"] == f"rasa{replica}")


def test_a_drained_replica_keeps_its_call_and_takes_no_new_turn(cluster, free_lines):
    async def scenario() -> Dict[str, Any]:
        async with SimulatedCaller.dial(cluster.rasa_url, caller="+33666666666",
                                        twilio_auth_token=cluster.twilio_auth_token) as call:
            await call.wait_bot_done(timeout=60)
            serving = 1 if lines(cluster, 1) == 503 else 2
            drained = cluster.cluster_command("drain", str(serving))
            assert drained.returncode == 0, drained.stderr
            try:
                before = served_turns(cluster, serving)
                codes = [cluster.staff_say(f"drain-{i}", "bonjour").status_code for i in range(6)]
                after = served_turns(cluster, serving)
                await call.say("je voudrais prendre un rendez-vous")
                reply = await call.wait_bot_done(timeout=60)
                status = runtime_api.server_status(cluster.runtime_socket,
                                                   f"rasa{serving}")["turns"]
            finally:
                undrained = cluster.cluster_command("undrain", str(serving))
            return {"codes": codes, "new turns": after - before, "call replied": bool(reply.texts),
                    "status": status, "undrained": undrained.returncode}

    # (its calls backend reads DOWN rather than DRAIN: its one line is taken)
    assert asyncio.run(scenario()) == {"codes": [200] * 6, "new turns": 0, "call replied": True,
                                       "status": "DRAIN", "undrained": 0}


# -- 6. a new model, replica by replica, under load --------------------------------------------------

def test_a_model_rolled_out_under_load_fails_no_turn_and_drops_no_call(cluster, free_lines):
    stop, failures, answered = threading.Event(), [], []

    def typed_load(worker: int) -> None:
        while not stop.is_set():
            reply = cluster.staff_say(f"load-{worker}-{len(answered)}", "quels sont vos horaires ?")
            texts = [m.get("text", "") for m in reply.json()] if reply.ok else []
            (answered if texts and not any("excus" in t.lower() for t in texts)
             else failures).append(reply.status_code)

    async def a_call_during_the_rollout() -> List[bool]:
        """The call lasts through the rollout; each turn gets the bot's voice back (an
        answer, or under this load a « vous m'entendez ? »): the line is never cut."""
        async with SimulatedCaller.dial(cluster.rasa_url, caller="+33677777777",
                                        twilio_auth_token=cluster.twilio_auth_token) as call:
            replies = [(await call.wait_bot_done(timeout=60)).audio_seconds > 0]
            for sentence in ("je voudrais prendre un rendez-vous", "quels sont vos horaires"):
                await call.say(sentence)
                replies.append((await call.wait_bot_done(timeout=60)).audio_seconds > 0)
            replies.append(not call.closed)
            return replies

    workers = [threading.Thread(target=typed_load, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    with ThreadPoolExecutor(max_workers=1) as pool:
        rollout = pool.submit(cluster.cluster_command, "deploy-model",
                              str(PROJECT_ROOT / "models" / "current.tar.gz"))
        call_replies = asyncio.run(a_call_during_the_rollout())
        deployed = rollout.result(timeout=900)
    stop.set()
    for worker in workers:
        worker.join()
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stderr.count("loaded in") == 2  # both replicas, one after the other
    assert call_replies == [True, True, True, True]
    assert failures == [] and len(answered) > 10


# -- 5. failover: a replica killed, Redis killed ---------------------------------------------------------

def test_a_killed_replica_leaves_the_conversation_to_another_with_its_history(cluster):
    sender = "failover-" + uuid.uuid4().hex[:8]
    cluster.cluster_command("drain", "2")  # the conversation starts on replica 1
    try:
        first = cluster.staff_say(sender, "je voudrais prendre un rendez-vous").json()
    finally:
        cluster.cluster_command("undrain", "2")
    cluster.kill_replica(1)
    second = cluster.staff_say(sender, "Marie", timeout=60)
    assert second.status_code == 200
    asked = " ".join(m.get("text", "") for m in second.json())
    assert first and "nom" in asked.lower(), asked  # the form goes on: the last name
    users = [e["text"] for e in tracker_events(cluster, f"staff:{sender}") if e["event"] == "user"]
    assert users == ["je voudrais prendre un rendez-vous", "Marie"]

    async def new_call() -> bool:
        async with SimulatedCaller.dial(cluster.rasa_url, caller="+33688888888",
                                        twilio_auth_token=cluster.twilio_auth_token) as call:
            return bool((await call.wait_bot_done(timeout=60)).texts)

    assert asyncio.run(new_call())  # on the survivor


def test_without_redis_a_turn_gets_the_apology_and_recovers_when_it_returns(cluster):
    redis_pid = cluster.pid_of("redis-server")
    cluster.kill_pid(redis_pid)
    reply = cluster.staff_say("no-redis-" + uuid.uuid4().hex[:6], "bonjour", timeout=30)
    assert reply.status_code == 200
    assert "excus" in " ".join(m.get("text", "") for m in reply.json()).lower()
    deadline = time.monotonic() + 60
    while cluster.pid_of("redis-server") in (None, redis_pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    back = cluster.staff_say("redis-back-" + uuid.uuid4().hex[:6], "bonjour", timeout=30)
    assert back.status_code == 200
    assert "excus" not in " ".join(m.get("text", "") for m in back.json()).lower()

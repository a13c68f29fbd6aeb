"""What the voice channel says by itself comes from the domain's ``utter_voice_*`` responses.

The shipped domain words every prompt the same as the channel's defaults (which serve a
process with no model loaded); a domain that words one differently changes what a call
says, read from the loaded agent's domain and read again when another model is loaded.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain

from tests.voice_channel.test_phone_call import (
    Line, ScriptedDialogue, fast,
)
from voice_channel.call.clock import FastClock
from voice_channel.dialogue.prompts import (
    DEFAULT_PROMPTS, RESPONSE_PREFIX, DomainPrompts, VoicePrompts, prompts_of,
)
from voice_channel.dialogue.deadline import ask_within
from voice_channel.telephony.phone_call import PhoneCall

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def test_the_shipped_domain_words_every_prompt_as_the_defaults(domain):
    for name in VoicePrompts.names():
        assert RESPONSE_PREFIX + name in domain.responses, name
    assert VoicePrompts.from_responses(domain.responses) == DEFAULT_PROMPTS


def test_a_domain_that_words_a_prompt_differently_is_heard(caplog):
    responses = {"utter_voice_still_there": [{"text": "Allô, vous m'entendez ?"}],
                 "utter_voice_not_heard": [{"text": "  "}, {"text": "Pardon ?"}]}
    prompts = VoicePrompts.from_responses(responses)
    assert prompts.still_there == "Allô, vous m'entendez ?"
    assert prompts.not_heard == "Pardon ?"  # the first variation with a text
    assert prompts.busy == DEFAULT_PROMPTS.busy  # missing: the channel's own wording
    assert "utter_voice_busy" in caplog.text


def test_the_late_apology_gives_the_reception_number_when_there_is_one():
    assert DEFAULT_PROMPTS.late_apology("01 84 80 12 34").endswith(
        "appelez l'accueil du cabinet au 01 84 80 12 34.")
    assert DEFAULT_PROMPTS.late_apology(None) == DEFAULT_PROMPTS.late


def test_the_prompts_follow_the_loaded_model(domain):
    cache = DomainPrompts()
    assert cache.of(None) is DEFAULT_PROMPTS  # no model loaded
    first = SimpleNamespace(responses={"utter_voice_busy": [{"text": "Rappelez plus tard."}]})
    assert cache.of(SimpleNamespace(domain=first)).busy == "Rappelez plus tard."
    assert cache.of(SimpleNamespace(domain=first)) is cache.of(SimpleNamespace(domain=first))
    assert cache.of(SimpleNamespace(domain=domain)) == DEFAULT_PROMPTS  # another model
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(domain=first)))
    assert prompts_of(app).busy == "Rappelez plus tard."
    assert prompts_of(SimpleNamespace(ctx=SimpleNamespace())) is DEFAULT_PROMPTS


@pytest.mark.asyncio
async def test_a_call_says_the_domains_words(whisper, espeak):
    """A silent caller hears the domain's re-prompt and goodbye (a whole PhoneCall)."""
    prompts = VoicePrompts.from_responses({
        "utter_voice_still_there": [{"text": "Allô, vous m'entendez ?"}],
        "utter_voice_silence_goodbye": [{"text": "Je raccroche. Au revoir."}]})
    clock = FastClock(10)
    call = PhoneCall(whisper, espeak, ScriptedDialogue(),
                     fast(silence_timeout=3.0, max_reprompts=1), clock=clock, prompts=prompts)
    line = Line(clock)
    serving = asyncio.get_running_loop().create_task(call.serve(line.receive, line.send))
    line.start()
    await line.until(lambda: call.ended, 30)
    await asyncio.wait_for(serving, 10)
    line.feeding.cancel()
    assert line.bot_texts() == ["Bonjour.", "Allô, vous m'entendez ?", "Je raccroche. Au revoir."]


@pytest.mark.asyncio
async def test_a_late_typed_turn_gets_the_domains_apology():
    prompts = VoicePrompts.from_responses({"utter_voice_late": [{"text": "Trop lent, pardon."}]})

    async def never_answers(message) -> None:
        await asyncio.sleep(30)

    messages = await ask_within(never_answers, "bonjour", "staff:x", "staff", None, 0.05,
                                reception=lambda: None, prompts=prompts)
    assert [m["text"] for m in messages] == ["Trop lent, pardon."]


@pytest.mark.asyncio
async def test_a_failed_typed_turn_gets_the_apology_not_an_error(caplog):
    """Rasa raised (the cluster's lock store unreachable): the turn is apologised for."""
    async def lock_store_down(message) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    messages = await ask_within(lock_store_down, "bonjour", "staff:x", "staff", None, 5,
                                reception=lambda: "01 84 80 12 34")
    assert len(messages) == 1 and messages[0]["text"].startswith("Excusez-moi")
    assert "01 84 80 12 34" in messages[0]["text"]
    assert "the dialogue failed (ConnectionError)" in caplog.text

"""Names are names: a bare name answer never ends the form as a request.

A caller asked for her first name said « Claire »; DIET gave ``ask_human`` and she
was put through to the reception. :mod:`nlu_components.name_answers` gives such a
message ``inform``; these tests check the component, its place in config.yml,
Rasa's own slot filling with the domain's mappings, and (when a trained model is
there) the trained pipeline.
"""
from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.name_answers import NameAnswerClassifier

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What models/current.tar.gz predicted for « Claire » before this component, and
# after a retrain with the data of 5 December (without the component's say).
CLAIRE_RANKING = [("ask_human", 0.46), ("affirm", 0.21), ("goodbye", 0.19)]
CLAIRE_RETRAINED = [("affirm", 0.68), ("ask_human", 0.05), ("out_of_scope", 0.04)]


def predicted(text, ranking):
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    return message


def nlu_training_data():
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(PROJECT_ROOT / "data" / "nlu"), language="fr")


@pytest.fixture(scope="module")
def trained_component():
    component = NameAnswerClassifier()
    component.train(nlu_training_data())
    return component


# ------------------------------------------------------------------ the component


@pytest.mark.parametrize(
    "text, ranking",
    [
        ("Claire", CLAIRE_RANKING),
        ("Claire", CLAIRE_RETRAINED),
        ("oui Claire", CLAIRE_RETRAINED),
        ("Durand", [("stop", 0.6), ("inform", 0.3)]),
        ("Lambert", [("greet", 0.6)]),
        ("euh c'est Marie-Claire Dupont", [("goodbye", 0.5), ("inform", 0.2)]),
        ("Jean Pierre", [("emergency", 0.5), ("greet", 0.2)]),
        ("N'Diaye", [("ask_human", 0.7)]),
        ("madame Le Goff.", [("ask_human", 0.5)]),
        ("Petit", [("affirm", 0.5)]),
        ("De La Fontaine", [("thank", 0.5)]),
    ],
)
def test_a_bare_name_is_an_answer_not_an_interruption(trained_component, text, ranking):
    message = predicted(text, ranking)

    trained_component.process([message])

    assert message.get(INTENT) == {"name": "inform", "confidence": ranking[0][1]}
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert names[0] == "inform" and names.count("inform") == 1
    assert names[1] == ranking[0][0]


@pytest.mark.parametrize(
    "text, intent",
    [
        ("je veux parler à quelqu'un", "ask_human"),
        ("l'accueil", "ask_human"),
        ("un humain", "ask_human"),
        ("la secrétaire", "ask_human"),
        ("stop", "stop"),
        ("arrêtez", "stop"),
        ("laissez tomber", "stop"),
        ("au revoir", "goodbye"),
        ("oui", "affirm"),
        ("bonjour madame", "greet"),
        ("horaires", "ask_opening_hours"),
        ("c'est un robot", "bot_challenge"),
        ("urgence", "emergency"),
        ("j'ai mal", "emergency"),
        ("Claire 2", "ask_human"),
    ],
)
def test_a_real_request_keeps_its_intent(trained_component, text, intent):
    message = predicted(text, [(intent, 0.9), ("inform", 0.05)])

    trained_component.process([message])

    assert message.get(INTENT)["name"] == intent


def test_a_known_name_is_not_a_fallback(trained_component):
    claire = predicted("claire", [("nlu_fallback", 0.45), ("ask_human", 0.42)])
    unknown = predicted("bof", [("nlu_fallback", 0.45), ("ask_human", 0.42)])

    trained_component.process([claire, unknown])

    assert claire.get(INTENT)["name"] == "inform"
    assert unknown.get(INTENT)["name"] == "nlu_fallback"


def test_every_example_of_another_intent_keeps_its_intent(trained_component):
    """No training example of ask_human, stop, affirm, greet... is taken for a name."""
    changed = []
    for example in nlu_training_data().intent_examples:
        intent = example.get(INTENT)
        if intent == "inform":
            continue
        message = predicted(example.get(TEXT), [(intent, 0.9)])
        trained_component.process([message])
        if message.get(INTENT)["name"] != intent:
            changed.append((intent, example.get(TEXT)))
    assert changed == []


def test_every_name_of_the_lookups_looks_like_a_name(trained_component):
    data = nlu_training_data()
    names = [
        name
        for table in data.lookup_tables
        if table["name"] in {"first_name", "last_name"}
        for name in table["elements"]
    ]
    assert len(names) > 300
    assert [n for n in names if not trained_component.looks_like_a_name(n)] == []


def test_the_known_names_are_kept_with_the_model(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path)
    resource = Resource("name_answers")
    context = ExecutionContext(GraphSchema({}), "test")
    NameAnswerClassifier.create({}, storage, resource, context).train(nlu_training_data())

    loaded = NameAnswerClassifier.load({}, storage, resource, context)

    assert loaded.is_known_name("claire") and loaded.is_known_name("Durand")
    assert not loaded.is_known_name("bof")
    assert {"oui", "bonjour", "horaires"} <= loaded.intent_words


# ------------------------------------------------------------------- the pipeline


def test_the_component_runs_after_the_fallback_and_before_the_emergency_net():
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"].rsplit(".", 1)[-1] for c in config["pipeline"]]

    assert "NameAnswerClassifier" in names
    position = names.index("NameAnswerClassifier")
    assert names.index("FallbackClassifier") < position < names.index(
        "EmergencyKeywordClassifier"
    )


@pytest.mark.parametrize("slot, other", [("first_name", "last_name"), ("last_name", "first_name")])
def test_rasa_fills_the_requested_name_with_the_answer(trained_component, slot, other):
    """Rasa's own slot extraction, with the domain's mappings, on the component's output."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    message = predicted("Claire", CLAIRE_RANKING)
    trained_component.process([message])
    tracker = DialogueStateTracker.from_events(
        "caller",
        [
            ActiveLoop("booking_form"),
            SlotSet("requested_slot", slot),
            UserUttered(
                "Claire",
                intent=message.get(INTENT),
                parse_data={
                    "text": "Claire",
                    "intent": message.get(INTENT),
                    "intent_ranking": message.get(INTENT_RANKING_KEY),
                    "entities": [],
                },
            ),
        ],
        slots=domain.slots,
    )

    events = asyncio.run(
        ActionExtractSlots(None).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
            tracker, domain,
        )
    )

    filled = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert filled.get(slot) == "Claire"
    assert other not in filled


@pytest.mark.parametrize(
    "text, intent",
    [
        ("Claire", "inform"),
        ("claire", "inform"),
        ("Durand", "inform"),
        ("je veux parler à quelqu'un", "ask_human"),
        ("stop", "stop"),
        ("il faut que je me casse", "goodbye"),
        ("je n'arrive plus à respirer", "emergency"),
    ],
)
def test_the_trained_model(parse_intent, text, intent):
    """Needs models/current.tar.gz trained with this config.yml (make train)."""
    assert parse_intent(text) == intent


# ------------------------------------------------------------------------ the form
# The domain maps the ``first_name`` and ``last_name`` entities whatever is asked,
# and DIET labels « Marie-Claire » a last name, « Michel » a first name: an answer
# to one name question must not overwrite the other name.


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "asked, said, entity, other, before",
    [
        ("first_name", "Marie-Claire", "last_name", "last_name", "Durand"),
        ("last_name", "Michel", "first_name", "first_name", None),
    ],
)
async def test_the_answer_to_one_name_does_not_overwrite_the_other(
    asked, said, entity, other, before
):
    from actions import slots
    from actions.booking import ValidateBookingForm
    from tests.actions.tracker_builder import (
    action_event, load_domain, make_tracker, new_dispatcher,
        run_form_validation, user_event,
    )
    from rasa_sdk.events import ActiveLoop, SlotSet

    mislabelled = {"entity": entity, "start": 0, "end": len(said), "value": said,
                   "extractor": "DIETClassifier"}
    earlier = {slots.LAST_NAME: before} if before else {}
    tracker = make_tracker(
        slots=earlier,
        text=said,
        entities=[mislabelled],
        active_loop=slots.BOOKING_FORM,
        requested_slot=asked,
        events=[
            ActiveLoop(slots.BOOKING_FORM),
            *[SlotSet(name, value) for name, value in earlier.items()],
            SlotSet(slots.REQUESTED_SLOT, asked),
            action_event("action_listen"),
            user_event(said, "inform", [mislabelled], 1.0, None),
        ],
        filled={asked: said, other: said},
    )
    dispatcher = new_dispatcher()

    result = await run_form_validation(ValidateBookingForm(), tracker, dispatcher, load_domain())

    assert result[asked] == said
    assert result[other] == before
    assert result[slots.REQUESTED_SLOT] == (slots.PATIENT_ID if before else slots.FIRST_NAME)
    assert dispatcher.messages == []

"""The clinic's FAQ (address, access, phone, what to bring, price, doctors), answered
from clinic.yml by ``action_answer_clinic_question`` on real trackers."""
from __future__ import annotations

import copy

import pytest
import yaml

from actions import clinic_information
from clinic.config import parse_clinic_config
from actions.clinic_information import ActionAnswerClinicQuestion
from tests.conftest import PROJECT_ROOT
from tests.actions.tracker_builder import make_tracker, new_dispatcher, run_action

RAW = yaml.safe_load((PROJECT_ROOT / "clinic.yml").read_text(encoding="utf-8"))

DOCTORS = (
    "La docteure Claire Martin et le docteur Antoine Dubois font de la médecine générale ; "
    "la docteure Linh Nguyen est pédiatre."
)


async def answer(domain, intent, text="question", active_loop=None, requested_slot=None):
    """What the action says, and the events it returns, for ``intent``."""
    tracker = make_tracker(
        text=text, intent=intent, active_loop=active_loop, requested_slot=requested_slot
    )
    dispatcher = new_dispatcher()
    events = await run_action(ActionAnswerClinicQuestion(), tracker, dispatcher, domain)
    return [m["text"] for m in dispatcher.messages], events


@pytest.fixture
def configured(monkeypatch):
    """Use the clinic.yml mapping changed by the test instead of the shipped one."""

    def use(raw):
        config = parse_clinic_config(raw)
        monkeypatch.setattr(clinic_information, "clinic_config", lambda: config)
        return config

    return use


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "intent, text, expected",
    [
        ("ask_address", "où se trouve le cabinet",
         "Le cabinet se trouve au 12 rue des Lilas, 93260 Les Lilas."),
        ("ask_access", "comment on vient chez vous",
         "En métro, ligne 11, station Mairie des Lilas. Un parking public se trouve rue de "
         "Paris, à deux minutes à pied. Le cabinet est accessible en fauteuil roulant."),
        ("ask_clinic_phone", "c'est quoi le numéro de l'accueil",
         "Le numéro de l'accueil est le 01 84 80 12 34. Je répète : 01 84 80 12 34."),
        ("ask_what_to_bring", "qu'est-ce que je dois apporter",
         "Pensez à apporter votre carte Vitale, votre carte de mutuelle et vos "
         "ordonnances en cours."),
        ("ask_price", "c'est combien la consultation",
         "Une consultation coûte 30 euros, en secteur 1."),
        ("ask_doctors", "quels médecins consultent chez vous", DOCTORS),
    ],
)
async def test_each_question_is_answered_from_clinic_yml(domain, intent, text, expected):
    said, events = await answer(domain, intent, text)

    assert said == [expected]
    assert events == []


@pytest.mark.asyncio
async def test_the_answer_is_the_same_in_the_middle_of_a_form(domain):
    said, events = await answer(
        domain, "ask_what_to_bring", "je dois apporter quoi",
        active_loop="booking_form", requested_slot="phone_number",
    )

    assert said == [
        "Pensez à apporter votre carte Vitale, votre carte de mutuelle et vos "
        "ordonnances en cours."
    ]
    assert events == []  # the form keeps its requested slot and asks again


@pytest.mark.asyncio
async def test_price_not_configured_sends_to_the_reception(domain, configured):
    raw = copy.deepcopy(RAW)
    del raw["practical"]["consultation_price"]
    configured(raw)

    said, _ = await answer(domain, "ask_price", "c'est combien")

    assert said == ["Pour le tarif, je vous invite à demander à l'accueil."]


@pytest.mark.asyncio
async def test_nothing_configured_sends_each_question_to_the_reception(domain, configured):
    raw = copy.deepcopy(RAW)
    del raw["practical"]
    configured(raw)

    for intent in ("ask_address", "ask_access", "ask_what_to_bring"):
        said, _ = await answer(domain, intent)
        assert said == ["Je n'ai pas cette information. L'accueil pourra vous renseigner."]


@pytest.mark.asyncio
async def test_an_address_without_a_street_number_and_other_doctors(domain, configured):
    raw = copy.deepcopy(RAW)
    raw["practical"]["address"] = "place de la Mairie, 75011 Paris"
    raw["doctors"] = [
        {"id": "roux", "first_name": "Paul", "last_name": "Roux", "title": "docteur",
         "specialty": "dermatologie"},
        {"id": "petit", "first_name": "Anne", "last_name": "Petit", "title": "docteure",
         "specialty": "pédiatrie"},
        {"id": "leroy", "first_name": "Marc", "last_name": "Leroy", "title": "docteur",
         "specialty": "pédiatrie"},
    ]
    configured(raw)

    said, _ = await answer(domain, "ask_address")
    assert said == ["Le cabinet se trouve place de la Mairie, 75011 Paris."]

    said, _ = await answer(domain, "ask_doctors")
    assert said == [
        "Le docteur Paul Roux exerce en dermatologie ; la docteure Anne Petit et le "
        "docteur Marc Leroy sont pédiatres."
    ]


@pytest.mark.asyncio
async def test_answers_read_well_aloud(domain):
    """No URL, no symbol the speech engine would spell out, vouvoiement."""
    for intent in ("ask_address", "ask_access", "ask_clinic_phone", "ask_what_to_bring",
                   "ask_price", "ask_doctors"):
        said, _ = await answer(domain, intent)
        (text,) = said
        assert not set(text) & set("€$%&@#*/\\<>[]{}|~^_=+"), text
        assert "http" not in text and "www" not in text
        assert " tu " not in f" {text.lower()} " and " ton " not in f" {text.lower()} "


@pytest.mark.asyncio
async def test_another_intent_gets_the_list_of_topics(domain):
    said, _ = await answer(domain, "inform", "euh")

    assert said == [
        "Je peux vous donner l'adresse du cabinet, comment y venir, le numéro de "
        "l'accueil, ce qu'il faut apporter, le tarif d'une consultation et les médecins "
        "qui y consultent."
    ]


def test_the_action_and_the_intents_are_in_the_domain(domain):
    assert "action_answer_clinic_question" in domain["actions"]
    faq = set(clinic_information.FAQ_INTENTS)
    assert faq == {"ask_address", "ask_access", "ask_clinic_phone", "ask_what_to_bring",
                   "ask_price", "ask_doctors"}
    assert faq <= set(domain["intents"])


def test_a_question_is_never_taken_as_an_answer_to_a_form(domain):
    """Every free-text slot mapping refuses the FAQ intents and the opening hours."""
    questions = set(clinic_information.FAQ_INTENTS) | {"ask_opening_hours"}
    for name, slot in domain["slots"].items():
        for mapping in slot["mappings"]:
            if mapping["type"] == "from_text":
                missing = questions - set(mapping.get("not_intent", []))
                assert not missing, f"{name} would take {sorted(missing)} as its value"

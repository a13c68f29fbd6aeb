"""Which offered slot the caller picked, and spoken yes/no answers."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions.choices import pick_offered_slot
from spoken_french.yes_no import parse_yes_no

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# What the bot said: "jeudi 26 novembre à 10 heures, jeudi 26 novembre à 14 heures 30
# ou mardi 1er décembre à 10 heures 30".
OFFERED = [paris(2026, 11, 26, 10, 0), paris(2026, 11, 26, 14, 30), paris(2026, 12, 1, 10, 30)]
FIRST, SECOND, THIRD = OFFERED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # by rank
        ("le premier", FIRST),
        ("la première", FIRST),
        ("Le premier !", FIRST),
        ("premier", FIRST),
        ("plutôt le 1er", FIRST),
        ("le 1er", FIRST),
        ("la 1ère", FIRST),
        ("le un", FIRST),
        ("le deuxième", SECOND),
        ("la deuxième", SECOND),
        ("le deuxieme", SECOND),
        ("le 2", SECOND),
        ("la 2", SECOND),
        ("le deux", SECOND),
        ("le numéro 2", SECOND),
        ("le numéro deux s'il vous plaît", SECOND),
        ("le 2ème", SECOND),
        ("le 2e", SECOND),
        ("le second", SECOND),
        ("la seconde", SECOND),
        ("2", SECOND),
        ("deux", SECOND),
        ("euh le deuxième", SECOND),
        ("le troisième", THIRD),
        ("le 3", THIRD),
        ("le dernier", THIRD),
        ("la dernière", THIRD),
        ("l'avant-dernier", SECOND),
        ("le plus tôt possible", FIRST),
        ("le plus tard", THIRD),
        # by time of day
        ("celui de 10h", FIRST),
        ("celui de dix heures", FIRST),
        ("à 10 heures", FIRST),
        ("10h00", FIRST),
        ("dix-heures", FIRST),
        ("celui de dix heures et demie", THIRD),
        ("10h30", THIRD),
        ("10 h 30", THIRD),
        ("10:30", THIRD),
        ("14h30", SECOND),
        ("quatorze heures trente", SECOND),
        ("celui de deux heures et demie", SECOND),
        ("le créneau de quatorze heures trente", SECOND),
        ("onze heures moins le quart", None),
        # by day
        ("mardi", THIRD),
        ("plutôt mardi", THIRD),
        ("le mardi", THIRD),
        ("le 1er décembre", THIRD),
        ("le premier décembre", THIRD),
        ("jeudi à 14h30", SECOND),
        ("jeudi matin", FIRST),
        ("jeudi après-midi", SECOND),
        ("l'après-midi", SECOND),
        ("le 26 novembre à 10 heures", FIRST),
        # agreeing cues
        ("le deuxième, à 14h30", SECOND),
        ("le premier, jeudi à dix heures", FIRST),
        # negation
        ("pas le premier, le deuxième", SECOND),
        ("le deuxième, pas le premier", SECOND),
        ("pas le premier mais le dernier", THIRD),
        ("pas de souci, le deuxième", SECOND),
        # ambiguous, conflicting or not matching: None
        ("jeudi", None),
        ("le matin", None),
        ("le 26 novembre", None),
        ("le 26", None),
        ("le créneau de 15 heures", None),
        ("midi", None),
        ("mercredi", None),
        ("le quatrième", None),
        ("le premier ou le deuxième", None),
        ("ni le premier ni le deuxième", None),
        ("le deuxième à 10h", None),
        ("pas celui de 10h", None),
        ("pas le premier", None),
        ("aucun", None),
        ("je ne sais pas", None),
        ("oui", None),
        ("", None),
    ],
)
def test_pick_offered_slot_from_text(text: str, expected: datetime | None) -> None:
    assert pick_offered_slot(text, OFFERED) == expected


def test_day_of_month_without_month_when_it_cannot_be_a_rank() -> None:
    offered = [paris(2026, 11, 26, 10), paris(2026, 11, 27, 10), paris(2026, 12, 1, 9)]
    assert pick_offered_slot("le 27", offered) == offered[1]
    assert pick_offered_slot("le 3", offered) == offered[2]  # a rank: there are 3 offers


def test_noon() -> None:
    offered = [paris(2026, 11, 26, 11, 30), paris(2026, 11, 26, 12, 0), paris(2026, 11, 26, 12, 30)]
    assert pick_offered_slot("midi", offered) == offered[1]
    assert pick_offered_slot("à midi pile", offered) == offered[1]
    assert pick_offered_slot("midi et demi", offered) == offered[2]
    assert pick_offered_slot("midi trente", offered) == offered[2]
    assert pick_offered_slot("midi moins le quart", offered) is None
    assert pick_offered_slot("onze heures et demie", offered) == offered[0]


def test_no_offers() -> None:
    assert pick_offered_slot("le premier", []) is None


def test_same_datetime_offered_twice_is_one_choice() -> None:
    offered = [paris(2026, 11, 26, 10), paris(2026, 11, 26, 10), paris(2026, 11, 27, 9)]
    assert pick_offered_slot("celui de 10h", offered) == offered[0]


# "jeudi 26 à 10 heures, vendredi 27 à 10 heures ou vendredi 27 à 14 heures"
TWO_TENS = [paris(2026, 11, 26, 10), paris(2026, 11, 27, 10), paris(2026, 11, 27, 14)]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        # Duckling resolved "à 10h30" to today: matched by time of day
        ("à 10h30", paris(2026, 11, 25, 10, 30), THIRD),
        ("celui de dix heures", paris(2026, 11, 25, 10, 0), FIRST),
        ("mardi premier décembre à 10h30", paris(2026, 12, 1, 10, 30), THIRD),
        ("à 15h", paris(2026, 11, 25, 15, 0), None),
        # a value in another timezone is compared on the offers' wall clock
        ("à 10h", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), FIRST),
        # the entity alone (the text gave nothing this module reads)
        ("ça", paris(2026, 11, 25, 14, 30), SECOND),
    ],
)
def test_pick_with_a_duckling_value(text: str, value: datetime, expected: datetime | None) -> None:
    assert pick_offered_slot(text, OFFERED, time_entity_value=value) == expected


def test_a_morning_offer_picked_after_that_hour_today():
    """At 9:00, Duckling makes « huit heures et demie » 20:30 today (its next one); the
    offer of tomorrow 8:30 is what the caller picked (the conversations bench found 14
    conversations refused « Le cabinet ne reçoit pas à cette heure-là »)."""
    mornings = [paris(2026, 11, 26, 8, 30), paris(2026, 11, 26, 9), paris(2026, 11, 26, 9, 30)]
    evening = paris(2026, 11, 25, 20, 30)
    assert pick_offered_slot("huit heures et demie ça m'va", mornings, evening) == mornings[0]
    assert pick_offered_slot("9h ça m'va", mornings, paris(2026, 11, 25, 21)) == mornings[1]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        # two offers at 10:00 and no day named: ambiguous, whatever day Duckling chose
        ("à 10h", paris(2026, 11, 26, 10), None),
        # a day named in words Duckling resolved: the value's date counts
        ("demain à 10h", paris(2026, 11, 26, 10), TWO_TENS[0]),
        ("cet après-midi à 14h", paris(2026, 11, 27, 14), TWO_TENS[2]),
        ("après-demain à 10 heures", paris(2026, 11, 27, 10), TWO_TENS[1]),
        ("vendredi à 10h", paris(2026, 11, 27, 10), TWO_TENS[1]),
        ("vendredi à 14h", paris(2026, 11, 27, 14), TWO_TENS[2]),
        # a whole day (Duckling's day grain gives midnight)
        ("demain", paris(2026, 11, 26), TWO_TENS[0]),
        ("vendredi", paris(2026, 11, 27), None),
        # text and value disagree
        ("le premier", paris(2026, 11, 27, 14), None),
    ],
)
def test_pick_with_a_duckling_value_among_same_times(
    text: str, value: datetime, expected: datetime | None
) -> None:
    assert pick_offered_slot(text, TWO_TENS, time_entity_value=value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oui", True),
        ("Oui.", True),
        ("ouais", True),
        ("oui oui", True),
        ("euh oui", True),
        ("d'accord", True),
        ("c'est ça", True),
        ("c'est bien ça", True),
        ("oui c'est ça", True),
        ("exactement", True),
        ("exact", True),
        ("tout à fait", True),
        ("tout a fait", True),
        ("absolument", True),
        ("bien sûr", True),
        ("parfait", True),
        ("ok", True),
        ("okay merci", True),
        ("ça me va", True),
        ("ça marche", True),
        ("je confirme", True),
        ("oui merci", True),
        ("pas de souci", True),
        ("oui pas de problème", True),
        ("si", True),
        ("mais si", True),
        ("non", False),
        ("Non.", False),
        ("non merci", False),
        ("non non", False),
        ("nan", False),
        ("pas du tout", False),
        ("non pas du tout", False),
        ("ce n'est pas ça", False),
        ("c'est pas ça", False),
        ("non c'est pas ça", False),
        ("absolument pas", False),
        ("bien sûr que non", False),
        ("pas vraiment", False),
        ("pas exactement", False),
        ("pas tout à fait", False),
        ("pas d'accord", False),
        ("je ne suis pas d'accord", False),
        ("ça ne me va pas", False),
        ("je ne confirme pas", False),
        ("jamais", False),
        ("oui mais non", None),
        ("oui enfin non", None),
        ("non, oui", None),
        ("je ne sais pas", None),
        ("je sais pas", None),
        ("peut-être", None),
        ("merci", None),
        ("euh", None),
        ("le deuxième", None),
        ("", None),
    ],
)
def test_parse_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected

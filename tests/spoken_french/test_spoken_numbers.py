"""Digits, phone numbers and patient IDs from what a French caller typed or said."""
from __future__ import annotations

import pytest

from spoken_french.numbers import (
    digits_from_speech,
    mask_patient_id,
    mask_phone,
    normalize_phone,
    parse_patient_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # typed
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("06-12-34-56-78", "0612345678"),
        ("0612345678", "0612345678"),
        ("+33 6 12 34 56 78", "33612345678"),
        # digit by digit
        ("zéro six un deux", "0612"),
        ("un deux trois quatre cinq six", "123456"),
        ("zéro zéro", "00"),
        ("zero six un deux", "0612"),
        ("Zéro Six Douze", "0612"),
        ("zéro-six", "06"),
        # pairs and groups: each group gives its digits as said
        ("zéro six douze trente-quatre cinquante-six soixante-dix-huit", "0612345678"),
        ("zéro six douze trente quatre cinquante six soixante dix huit", "0612345678"),
        ("zéro sept soixante-dix quatre-vingts quatre-vingt-dix onze", "0770809011"),
        ("zéro six soixante et onze quatre-vingt-dix-neuf", "067199"),
        ("vingt et un vingt-et-un", "2121"),
        ("quatre cent vingt-trois cinquante", "42350"),
        ("cent deux", "102"),
        ("deux mille vingt-six", "2026"),
        # "quatre-vingts" with an s is a whole number (80), without it the number goes on
        ("zéro un quatre-vingt-quatre quatre-vingts douze", "01848012"),
        ("quatre-vingt-douze", "92"),
        ("quatre vingt douze", "92"),
        ("cent vingt-trois quatre cent cinquante-six", "123456"),
        # mixed typed and spoken
        ("06 douze 34 cinquante-six 78", "0612345678"),
        ("zéro six 12 trente quatre", "061234"),
        # fillers are ignored, hesitations do not split a number
        ("euh alors c'est le zéro six douze", "0612"),
        ("mon numéro est le zéro six douze trente-quatre", "061234"),
        ("zéro six euh douze", "0612"),
        ("vingt euh deux", "22"),
        ("zéro six, douze, trente-quatre", "061234"),
        ("zéro six douze trente-quatre cinquante-six soixante-dix-huit merci", "0612345678"),
        # small numbers text2num leaves alone count when next to other digits
        ("06 12 un", "06121"),
        ("06 12 deux", "06122"),
        ("douze, un, deux", "1212"),
        # ...but an article stays an article
        ("j'ai un numéro zéro six douze", "0612"),
        ("c'est un deux trois", "123"),
        # "o" is a letter, not zero
        ("o six douze", "612"),
        # repeats
        ("double zéro six", "006"),
        ("zéro six double un deux", "06112"),
        ("triple sept", "777"),
        ("deux fois zéro", "00"),
        # ordinals and times are not digits of a number
        ("le premier", None),
        ("le 1er", None),
        # nothing to take
        ("", None),
        ("je ne sais pas", None),
        ("un", None),
    ],
)
def test_digits_from_speech(text: str, expected: str | None) -> None:
    assert digits_from_speech(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "+33 0 6 12 34 56 78",
        "0033 6 12 34 56 78",
        "zéro zéro trente-trois six douze trente-quatre cinquante-six soixante-dix-huit",
        "plus trente-trois six douze trente-quatre cinquante-six soixante-dix-huit",
        "plus trente trois six douze trente quatre cinquante six soixante dix huit",
        "euh c'est le zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit",
        "mon numéro est le 06 douze 34 cinquante-six 78",
        "zéro six un deux trois quatre cinq six sept huit",
    ],
)
def test_normalize_phone_to_e164(text: str) -> None:
    assert normalize_phone(text) == "+33612345678"


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("01 84 80 12 34", "FR", "+33184801234"),
        ("zéro un quatre-vingt-quatre quatre-vingts douze trente-quatre", "FR", "+33184801234"),
        ("+32 470 12 34 56", "FR", "+32470123456"),
        ("plus trente-deux quatre cent soixante-dix douze trente-quatre cinquante-six", "FR", "+32470123456"),
        ("0470 12 34 56", "BE", "+32470123456"),
        # too short, too long, no digits, not a number at all
        ("06 12 34 56", "FR", None),
        ("06 12 34 56 78 90", "FR", None),
        ("", "FR", None),
        ("je ne sais plus", "FR", None),
        # "plus" far before the number does not make it international
        ("je ne sais plus, zéro six douze trente-quatre cinquante-six soixante-dix-huit", "FR", "+33612345678"),
    ],
)
def test_normalize_phone_other_cases(text: str, region: str, expected: str | None) -> None:
    assert normalize_phone(text, region=region) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French overseas numbers written nationally: the territory where they are valid
        ("06 93 88 93 30", "+262693889330"),  # Réunion mobile
        ("zéro six quatre-vingt-treize quatre-vingt-huit quatre-vingt-treize trente", "+262693889330"),
        ("02 62 41 23 45", "+262262412345"),  # Réunion landline
        ("06 39 69 12 34", "+262639691234"),  # Mayotte mobile
        ("06 90 12 34 56", "+590690123456"),  # Guadeloupe mobile
        ("06 96 12 34 56", "+596696123456"),  # Martinique mobile
        ("06 94 20 12 34", "+594694201234"),  # Guyane mobile
        # ... and internationally
        ("+262 693 88 93 30", "+262693889330"),
        ("plus deux cent soixante-deux six cent quatre-vingt-treize quatre-vingt-huit quatre-vingt-treize trente", "+262693889330"),
        ("00 590 690 12 34 56", "+590690123456"),
        ("+687 75 12 34", "+687751234"),  # Nouvelle-Calédonie
        # foreign numbers in international form, when valid for their country
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+1 415 555 2671", "+14155552671"),
        ("+44 7911 12", None),
        ("+999 123 456 789", None),
        # a metropolitan mobile stays French
        ("06 12 34 56 78", "+33612345678"),
    ],
)
def test_normalize_phone_overseas_and_foreign(text: str, expected: str | None) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("un deux trois quatre cinq six", 6, "123456"),
        ("cent vingt-trois quatre cent cinquante-six", 6, "123456"),
        ("douze trente-quatre cinquante-six", 6, "123456"),
        ("123 456", 6, "123456"),
        ("123-456", 6, "123456"),
        ("mon numéro de patient c'est le 0 0 4 2 1 7", 6, "004217"),
        ("zéro zéro quarante-deux dix-sept", 6, "004217"),
        ("quatre cent vingt-trois cinquante", 5, "42350"),
        ("un deux trois", 6, None),
        ("un deux trois quatre cinq six sept", 6, None),
        ("je ne l'ai pas", 6, None),
        ("", 6, None),
    ],
)
def test_parse_patient_id(text: str, length: int, expected: str | None) -> None:
    assert parse_patient_id(text, length) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+33612345678", "+33*******78"),
        ("+32470123456", "+32*******56"),
        ("+4915112345678", "+49*********78"),
        ("0612345678", "********78"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(e164: str | None, expected: str) -> None:
    assert mask_phone(e164) == expected


@pytest.mark.parametrize(
    ("pid", "expected"),
    [("123456", "****56"), ("004217", "****17"), ("12", "**"), ("", ""), (None, "")],
)
def test_mask_patient_id(pid: str | None, expected: str) -> None:
    assert mask_patient_id(pid) == expected


def test_masks_are_ascii() -> None:
    assert mask_phone("+33612345678").isascii()
    assert mask_patient_id("123456").isascii()

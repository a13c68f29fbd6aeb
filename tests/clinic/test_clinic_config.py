"""clinic.yml is validated at start, with errors that name the bad field."""
from __future__ import annotations

import copy
import subprocess
import sys
from datetime import date, time

import pytest
import yaml

from clinic.config import (
    ClinicConfigError,
    Period,
    load_clinic_config,
    parse_clinic_config,
)
from tests.conftest import PROJECT_ROOT

RAW = yaml.safe_load((PROJECT_ROOT / "clinic.yml").read_text(encoding="utf-8"))


def test_shipped_configuration_is_valid(clinic):
    assert clinic.name == "Cabinet médical des Lilas"
    assert str(clinic.timezone) == "Europe/Paris"
    assert clinic.appointment_length.total_seconds() == 30 * 60
    assert clinic.patient_id_digits == 6
    assert clinic.reception_phone == "+33184801234"
    assert [d.id for d in clinic.doctors] == ["martin", "dubois", "nguyen"]
    assert clinic.doctor("martin").spoken_name == "la docteure Martin"
    assert clinic.doctor("dubois").spoken_name == "le docteur Dubois"


def test_hours_include_the_lunch_break_and_doctor_hours(clinic):
    tuesday = date(2026, 12, 1)
    assert clinic.hours_of(clinic.doctor("martin"), tuesday) == (
        Period(time(8, 30), time(12, 30)),
        Period(time(14, 0), time(19, 0)),
    )
    assert clinic.hours_of(clinic.doctor("dubois"), tuesday) == (Period(time(14), time(19)),)
    assert clinic.hours_of(clinic.doctor("nguyen"), tuesday) == ()
    assert clinic.hours_of(clinic.doctor("martin"), date(2026, 12, 25)) == ()  # closed day
    assert clinic.hours_of(clinic.doctor("martin"), date(2026, 11, 29)) == ()  # Sunday


def _broken(path, value):
    raw = copy.deepcopy(RAW)
    *parents, last = path
    node = raw
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return raw


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["timezone"], "Europe/Lutece", "timezone: unknown timezone 'Europe/Lutece'"),
        (["appointment_minutes"], 0, "appointment_minutes"),
        (["opening_hours", "monday"], [["08:30", "7h"]], "'7h' is not a time of day"),
        (["opening_hours", "monday"], [["12:00", "08:00"]], "ends before it starts"),
        (["opening_hours", "monday"], [["08:00", "12:00"], ["11:00", "13:00"]], "periods overlap"),
        (["opening_hours", "lundi"], [["08:00", "12:00"]], "unknown weekday"),
        (["closed_days"], ["25 décembre"], "closed_days"),
        (["patient_id", "digits"], 2, "patient_id.digits"),
        (["reception_phone"], "01 23", "reception_phone"),
        (["doctors"], [], "at least one doctor"),
        (["doctors", 0, "title"], "dr", "title must be"),
        (["doctors", 1, "id"], "martin", "doctor ids must be unique"),
        (["name"], KeyError, "name: field required"),
        (["colour"], "blue", "colour: extra fields not permitted"),
        (["conversation"], {"max_asks_per_slot": 0}, "conversation.max_asks_per_slot"),
        (["conversation"], {"max_asks_per_slot": "3"}, "conversation.max_asks_per_slot"),
        (["conversation"], {"max_asks": 3}, "conversation.max_asks: extra fields not permitted"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(path, value, message):
    with pytest.raises(ClinicConfigError) as error:
        parse_clinic_config(_broken(path, value))
    assert message in str(error.value)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(ClinicConfigError, match="not found"):
        load_clinic_config(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ClinicConfigError, match="not valid YAML"):
        load_clinic_config(bad)


def test_command_line_check_exits_nonzero_on_a_bad_file(tmp_path):
    bad = tmp_path / "clinic.yml"
    bad.write_text(yaml.safe_dump(_broken(["timezone"], "Mars/Olympus")), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "clinic.config", str(bad)],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "unknown timezone 'Mars/Olympus'" in result.stderr


def test_security_and_privacy_settings_are_read(shipped_clinic):
    clinic = shipped_clinic
    assert clinic.security.identity_max_failures == 5
    assert clinic.security.identity_lockout_minutes == 15
    assert clinic.security.max_upcoming_per_patient == 2
    assert clinic.security.max_upcoming_per_phone == 2
    assert clinic.security.max_bookings_per_caller_per_day == 3
    assert clinic.security.registered_patients_only is True  # closed by default
    assert clinic.privacy.conversation_retention_days == 30


def test_security_and_privacy_have_defaults_when_absent():
    raw = copy.deepcopy(RAW)
    raw.pop("security", None)
    raw.pop("privacy", None)

    config = parse_clinic_config(raw)

    assert (
        config.security.identity_max_failures,
        config.security.identity_lockout_minutes,
        config.security.max_upcoming_per_patient,
        config.security.max_upcoming_per_phone,
        config.security.registered_patients_only,
        config.security.max_bookings_per_caller_per_day,
        config.privacy.conversation_retention_days,
    ) == (5, 15, 2, 2, True, 3, 30)


def test_a_partial_security_section_keeps_the_other_defaults():
    raw = copy.deepcopy(RAW)
    raw["security"] = {"registered_patients_only": False, "max_upcoming_per_phone": 4}

    config = parse_clinic_config(raw)

    assert config.security.registered_patients_only is False
    assert config.security.max_upcoming_per_phone == 4
    assert config.security.max_upcoming_per_patient == 2
    assert config.security.identity_max_failures == 5


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["security", "identity_max_failures"], 0, "security.identity_max_failures"),
        (["security", "identity_lockout_minutes"], "quinze", "security.identity_lockout_minutes"),
        (["security", "max_upcoming_per_patient"], 0, "security.max_upcoming_per_patient"),
        (["security", "max_upcoming_per_phone"], -1, "security.max_upcoming_per_phone"),
        (["security", "registered_patients_only"], "peut-être", "security.registered_patients_only"),
        (["security", "lockout"], 3, "security.lockout: extra fields not permitted"),
        (["privacy", "conversation_retention_days"], 0, "privacy.conversation_retention_days"),
        (["privacy", "conversation_retention_days"], 2.5, "privacy.conversation_retention_days"),
    ],
)
def test_bad_security_or_privacy_values_name_the_field(path, value, message):
    with pytest.raises(ClinicConfigError) as error:
        parse_clinic_config(_broken(path, value))
    assert message in str(error.value)


def test_max_asks_per_slot_is_read_with_a_default_of_3(clinic):
    assert clinic.conversation.max_asks_per_slot == 3
    raw = copy.deepcopy(RAW)
    raw.pop("conversation", None)
    assert parse_clinic_config(raw).conversation.max_asks_per_slot == 3
    raw["conversation"] = {"max_asks_per_slot": 2}
    assert parse_clinic_config(raw).conversation.max_asks_per_slot == 2


# ----------------------------------------------------------------------- practical


def test_practical_information_is_read(clinic):
    assert clinic.practical.address == "12 rue des Lilas, 93260 Les Lilas"
    assert clinic.practical.access.startswith("en métro, ligne 11")
    assert clinic.practical.what_to_bring == (
        "votre carte Vitale, votre carte de mutuelle et vos ordonnances en cours"
    )
    assert clinic.practical.consultation_price == "30 euros, en secteur 1"


def test_practical_section_is_optional_and_so_is_the_price():
    raw = copy.deepcopy(RAW)
    raw.pop("practical", None)
    practical = parse_clinic_config(raw).practical
    assert (practical.address, practical.access, practical.what_to_bring,
            practical.consultation_price) == (None, None, None, None)

    raw["practical"] = {"address": "3 place de la Mairie, 75011 Paris"}
    practical = parse_clinic_config(raw).practical
    assert practical.address == "3 place de la Mairie, 75011 Paris"
    assert practical.consultation_price is None


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["practical", "address"], KeyError, "practical.address: field required"),
        (["practical", "address"], "  ", "practical.address: must not be empty"),
        (["practical", "consultation_price"], 30, "practical.consultation_price: str type expected"),
        (["practical", "consultation_price"], "30 €", "practical.consultation_price: '€' does not read well aloud"),
        (["practical", "access"], "voir https://lilas.example/plan", "practical.access: no web address"),
        (["practical", "what_to_bring"], "carte Vitale " * 40, "practical.what_to_bring: too long"),
        (["practical", "parking"], "rue de Paris", "practical.parking: extra fields not permitted"),
    ],
)
def test_bad_practical_values_name_the_field(path, value, message):
    with pytest.raises(ClinicConfigError) as error:
        parse_clinic_config(_broken(path, value))
    assert message in str(error.value)

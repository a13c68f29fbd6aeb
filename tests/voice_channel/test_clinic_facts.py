"""The voice channel reads two facts of clinic.yml itself: the same as the action server."""
from __future__ import annotations

import pytest

from clinic.config import load_clinic_config
from voice_channel import clinic_facts
from voice_channel.clinic_facts import ClinicFactsError


def test_the_facts_agree_with_the_actions_reading_of_clinic_yml():
    clinic = load_clinic_config()
    assert clinic_facts.reception_phone() == clinic.reception_phone
    assert clinic_facts.patient_id_digits() == clinic.patient_id_digits


def test_clinic_config_points_to_another_file(tmp_path, monkeypatch):
    other = tmp_path / "clinic.yml"
    other.write_text('reception_phone: "01 84 80 99 88"\npatient_id:\n  digits: 8\n',
                     encoding="utf-8")
    monkeypatch.setenv("CLINIC_CONFIG", str(other))
    assert clinic_facts.reception_phone() == "+33184809988"
    assert clinic_facts.patient_id_digits() == 8


@pytest.mark.parametrize("text", ['reception_phone: "12"\npatient_id: {digits: 6}\n',
                                  'reception_phone: "01 84 80 99 88"\npatient_id: {digits: 3}\n',
                                  "- not a mapping\n"])
def test_a_bad_value_is_an_error(tmp_path, monkeypatch, text):
    bad = tmp_path / "clinic.yml"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CLINIC_CONFIG", str(bad))
    with pytest.raises(ClinicFactsError):
        clinic_facts.reception_phone()
        clinic_facts.patient_id_digits()


def test_a_missing_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_CONFIG", str(tmp_path / "missing.yml"))
    with pytest.raises(ClinicFactsError):
        clinic_facts.reception_phone()

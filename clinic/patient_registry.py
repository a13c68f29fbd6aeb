"""The clinic's register of patients: who may book by phone or on the web when
clinic.yml says ``registered_patients_only: true``.

:func:`parse_patient` checks one patient's details as the clinic gives them (a patient
ID of exactly clinic.yml's ``patient_id.digits`` digits, a last and a first name, a
phone number in any French or international form) and returns a
:class:`PatientRecord`; :class:`InvalidPatient` says what is wrong in a short French
sentence that names the field, never its value. :func:`register_patients` writes
records in one transaction: a new patient ID is created, a known one with other details
is updated, one with the same details is left alone, so registering the same list twice
changes nothing. Staff register patients with ``make import-patients FILE=…``
(:mod:`clinic.patient_import`) or the staff console.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from clinic.models import Patient
from spoken_french.numbers import normalize_phone

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100  # the columns' length
# Letters, with spaces, hyphens, apostrophes or a dot between them ("N'Diaye", "Le Goff").
_NAME = re.compile(r"[^\W\d_]+(?:(?:[ '’\-]|\. ?)[^\W\d_]+)*\.?")
_WRITE_ATTEMPTS = 3
_LOOKUP_BATCH = 500  # patient IDs per SELECT (SQLite allows 999 parameters at least)


@dataclass(frozen=True)
class PatientRecord:
    clinic_patient_id: str
    last_name: str
    first_name: str
    phone_e164: str


class InvalidPatient(ValueError):
    """A patient's details cannot be registered; ``str(error)`` is a short French reason
    that names the field (``field``) and never quotes its value."""

    def __init__(self, reason: str, field: Optional[str] = None) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class RegistrationResult:
    created: int
    updated: int
    unchanged: int


def parse_patient(patient_id: str, last_name: str, first_name: str, phone: str,
                  digits: int) -> PatientRecord:
    """The record of one patient, checked; :class:`InvalidPatient` if a field is wrong."""
    clinic_patient_id = (patient_id or "").strip()
    if not (clinic_patient_id.isascii() and clinic_patient_id.isdigit()
            and len(clinic_patient_id) == digits):
        raise InvalidPatient(f"identifiant patient : {digits} chiffres attendus", "patient_id")
    last = _name(last_name, "nom", "last_name")
    first = _name(first_name, "prénom", "first_name")
    phone_e164 = normalize_phone(phone or "")
    if phone_e164 is None:
        raise InvalidPatient("téléphone : numéro invalide", "phone")
    return PatientRecord(clinic_patient_id, last, first, phone_e164)


def _name(value: str, label: str, field: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidPatient(f"{label} : manquant", field)
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidPatient(f"{label} : plus de {NAME_MAX_LENGTH} caractères", field)
    if not _NAME.fullmatch(name):
        raise InvalidPatient(f"{label} : lettres, espaces, tirets ou apostrophes seulement",
                             field)
    return name


def register_patients(session_factory: "sessionmaker[Session]",
                      records: Sequence[PatientRecord]) -> RegistrationResult:
    """Create or update ``records`` in one transaction (all of them or none)."""
    by_id: Dict[str, PatientRecord] = {}
    for record in records:
        if record.clinic_patient_id in by_id:
            raise InvalidPatient("identifiant patient : en double dans la liste", "patient_id")
        by_id[record.clinic_patient_id] = record
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        try:
            result = _register_once(session_factory, by_id)
            break
        except IntegrityError:  # the same new ID created meanwhile (a booking, another import)
            if attempt == _WRITE_ATTEMPTS:
                raise
    logger.info("patients registered: %d created, %d updated, %d unchanged",
                result.created, result.updated, result.unchanged)
    return result


def _register_once(session_factory: "sessionmaker[Session]",
                   by_id: Dict[str, PatientRecord]) -> RegistrationResult:
    created = updated = unchanged = 0
    with session_factory() as session, session.begin():
        known = _known_patients(session, list(by_id))
        for patient_id, record in by_id.items():
            patient = known.get(patient_id)
            if patient is None:
                session.add(Patient(clinic_patient_id=patient_id, last_name=record.last_name,
                                    first_name=record.first_name, phone_e164=record.phone_e164))
                created += 1
            elif _details(patient) == record:
                unchanged += 1
            else:
                patient.last_name = record.last_name
                patient.first_name = record.first_name
                patient.phone_e164 = record.phone_e164
                updated += 1
        session.flush()
    return RegistrationResult(created, updated, unchanged)


def _known_patients(session: Session, patient_ids: List[str]) -> Dict[str, Patient]:
    known: Dict[str, Patient] = {}
    for start in range(0, len(patient_ids), _LOOKUP_BATCH):
        batch = patient_ids[start:start + _LOOKUP_BATCH]
        rows = session.execute(select(Patient).where(Patient.clinic_patient_id.in_(batch)))
        known.update((p.clinic_patient_id, p) for p in rows.scalars())
    return known


def _details(patient: Patient) -> PatientRecord:
    return PatientRecord(clinic_patient_id=patient.clinic_patient_id,
                         last_name=patient.last_name, first_name=patient.first_name,
                         phone_e164=patient.phone_e164)

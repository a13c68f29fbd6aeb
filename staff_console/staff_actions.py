"""Booking, moving and cancelling on a patient's behalf, through the assistant's own
:class:`~clinic.operations.ClinicOperations` (same rules, same protection against
double booking), each change and its audit row written in one transaction.

Refusals are :class:`ActionRefused` with an HTTP status and a French reason for staff.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Dict, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinic.operations import (
    AppointmentNotFound,
    ClinicOperations,
    PatientAlreadyBooked,
    PatientDetails,
    PatientMismatch,
    PatientNotRegistered,
    SlotTaken,
    TooManyUpcoming,
)
from clinic.models import Appointment, Patient
from clinic.scheduling import SlotRejected
from spoken_french.numbers import normalize_phone
from staff_console import audit
from staff_console.passwords import StaffMember


NOT_REGISTERED = ("Ce numéro de dossier n'est pas enregistré au cabinet : enregistrez d'abord "
                  "le patient (Agenda, « Enregistrer un patient »).")


class ActionRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_SLOT_REASONS = {
    SlotRejected.PAST: "Ce créneau est déjà passé.",
    SlotRejected.TOO_FAR: "Ce créneau est au-delà de la période ouverte aux réservations.",
    SlotRejected.CLOSED_DAY: "Le médecin ne consulte pas ce jour-là.",
    SlotRejected.OUTSIDE_HOURS: "Cette heure est en dehors des heures de consultation.",
    SlotRejected.OFF_GRID: "Cette heure ne correspond à aucun créneau de la grille.",
    SlotRejected.UNKNOWN_DOCTOR: "Médecin inconnu.",
}


def _refusal(error: Exception) -> ActionRefused:
    if isinstance(error, SlotRejected):
        return ActionRefused(422, _SLOT_REASONS.get(error.reason, "Créneau impossible."))
    if isinstance(error, SlotTaken):
        return ActionRefused(409, "Ce créneau est déjà pris.")
    if isinstance(error, PatientMismatch):
        return ActionRefused(409, "Ce numéro de dossier existe avec un autre nom ou un autre "
                                  "téléphone : vérifiez la fiche du patient.")
    if isinstance(error, PatientNotRegistered):
        return ActionRefused(404, NOT_REGISTERED)
    if isinstance(error, PatientAlreadyBooked):
        return ActionRefused(409, "Ce patient a déjà un rendez-vous à cette heure-là.")
    if isinstance(error, TooManyUpcoming):
        return ActionRefused(409, f"Limite atteinte : {error.limit} rendez-vous à venir au plus "
                                  "par patient et par numéro de téléphone.")
    if isinstance(error, AppointmentNotFound):
        return ActionRefused(404, "Rendez-vous introuvable, passé ou déjà annulé.")
    raise error


def parse_start(operations: ClinicOperations, day: str, clock: str) -> datetime:
    """The aware start of ``day`` (AAAA-MM-JJ) at ``clock`` (HH:MM), or a 400."""
    try:
        return datetime.combine(date.fromisoformat((day or "").strip()),
                                time.fromisoformat((clock or "").strip()),
                                tzinfo=operations.config.timezone)
    except ValueError:
        raise ActionRefused(400, "Date (AAAA-MM-JJ) ou heure (HH:MM) invalide.") from None


def _doctor(operations: ClinicOperations, doctor_id: Optional[str]) -> Optional[str]:
    if not doctor_id:
        return None
    if doctor_id not in {d.id for d in operations.config.doctors}:
        raise ActionRefused(400, "Médecin inconnu.")
    return doctor_id


@dataclass(frozen=True)
class StaffActions:
    operations: ClinicOperations
    sessions: "sessionmaker[Session]"

    def book(self, member: StaffMember, form: Dict[str, str]) -> Dict:
        config = self.operations.config
        patient_id = (form.get("patient_id") or "").strip()
        if not config.is_valid_patient_id(patient_id):
            raise ActionRefused(400, f"Le numéro de dossier compte {config.patient_id_digits} chiffres.")
        start = parse_start(self.operations, form.get("date"), form.get("time"))
        doctor = _doctor(self.operations, form.get("doctor_id"))
        known = self.operations.find_patient(patient_id)
        if known is None and config.security.registered_patients_only:
            raise ActionRefused(404, NOT_REGISTERED)
        if known is None:
            first, last = (form.get("first_name") or "").strip(), (form.get("last_name") or "").strip()
            phone = normalize_phone(form.get("phone") or "")
            if not first or not last or len(first) > 100 or len(last) > 100:
                raise ActionRefused(400, "Nouveau patient : indiquez son prénom et son nom.")
            if phone is None:
                raise ActionRefused(400, "Nouveau patient : numéro de téléphone invalide.")
            known = PatientDetails(patient_id, first, last, phone)
        try:
            booked = self.operations.book(known, start, doctor,
                                          record=audit.recorder(member, "book", patient_id))
        except Exception as error:  # noqa: BLE001 (mapped or re-raised by _refusal)
            raise _refusal(error) from None
        return {"appointment_id": booked.id, **audit.summary(booked)}

    def move(self, member: StaffMember, appointment_id: int, form: Dict[str, str]) -> Dict:
        before, patient = self._appointment(appointment_id)
        start = parse_start(self.operations, form.get("date"), form.get("time"))
        doctor = _doctor(self.operations, form.get("doctor_id"))
        try:
            moved = self.operations.reschedule(
                appointment_id, patient.clinic_patient_id, patient.phone_e164, start, doctor,
                record=audit.recorder(member, "move", patient.clinic_patient_id, before))
        except Exception as error:  # noqa: BLE001
            raise _refusal(error) from None
        return {"appointment_id": moved.id, **audit.summary(moved)}

    def cancel(self, member: StaffMember, appointment_id: int) -> Dict:
        before, patient = self._appointment(appointment_id)
        try:
            cancelled = self.operations.cancel(
                appointment_id, patient.clinic_patient_id, patient.phone_e164,
                record=audit.recorder(member, "cancel", patient.clinic_patient_id, before))
        except Exception as error:  # noqa: BLE001
            raise _refusal(error) from None
        return {"appointment_id": cancelled.id, **audit.summary(cancelled)}

    def _appointment(self, appointment_id: int):
        with self.sessions() as session:
            row = session.execute(
                select(Appointment, Patient).join(Patient, Appointment.patient_id == Patient.id)
                .where(Appointment.id == appointment_id)).first()
        if row is None:
            raise ActionRefused(404, "Rendez-vous introuvable.")
        appointment, patient = row
        tz = self.operations.config.timezone
        start = appointment.start_at.replace(tzinfo=timezone.utc).astimezone(tz)
        return {"doctor_id": appointment.doctor_id, "start": start.isoformat(),
                "status": appointment.status}, patient

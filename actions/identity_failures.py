"""Failed identity checks, counted in the clinic database, and the lockout they cause.

Each failure is stored twice: against the patient ID that was tried and against the
caller who tried it (the channel's ``caller_key``), both as keyed hashes (HMAC-SHA-256
with ``VOICE_CHANNEL_SECRET``, which ``make run`` generates into ``var/``), never the
values: a plain hash of a 6-digit ID would be undone by trying the million IDs. A check is locked while either has ``identity_max_failures`` failures within
the last ``identity_lockout_minutes`` (clinic.yml ``security``), whatever the
conversation: a new conversation does not start again from zero. Successful checks
erase nothing. :meth:`IdentityFailures.purge` deletes what no longer counts.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.clinic_config import SecuritySettings
from actions.models import SUBJECT_CALLER, SUBJECT_PATIENT, IdentityFailure


@dataclass(frozen=True)
class FailureCount:
    """Failed checks within the lockout window, for one patient ID and one caller."""

    patient: int
    caller: int
    limit: int

    @property
    def locked(self) -> bool:
        return max(self.patient, self.caller) >= self.limit


# Without a secret (unit tests, a bare `python -m rasa_sdk`) the key is still not the
# value, only weaker; `make run` always provides one.
_FALLBACK_SECRET = b"allo-clinique identity failures"


def subject_key(value: str) -> str:
    """What is stored instead of a patient ID or a caller key: its HMAC-SHA-256, in hex."""
    secret = os.environ.get("VOICE_CHANNEL_SECRET", "").encode("utf-8") or _FALLBACK_SECRET
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


class IdentityFailures:
    """The failure counts of the clinic database (one short transaction per call)."""

    def __init__(
        self,
        session_factory: "sessionmaker[Session]",
        settings: SecuritySettings,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock

    def count(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Failures of this patient ID and of this caller within the window."""
        with self._sessions() as session:
            return self._count(session, clinic_patient_id, caller_key)

    def record(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Count one failed check against both; the counts including it."""
        now = self._now()
        with self._sessions() as session, session.begin():
            session.add_all(
                [
                    IdentityFailure(
                        subject_kind=SUBJECT_PATIENT,
                        subject_key=subject_key(clinic_patient_id),
                        failed_at=now,
                    ),
                    IdentityFailure(
                        subject_kind=SUBJECT_CALLER,
                        subject_key=subject_key(caller_key),
                        failed_at=now,
                    ),
                ]
            )
            session.flush()
            return self._count(session, clinic_patient_id, caller_key)

    def purge(self) -> int:
        """Delete the failures older than the window; how many rows went."""
        with self._sessions() as session, session.begin():
            result = session.execute(
                delete(IdentityFailure).where(IdentityFailure.failed_at < self._window_start())
            )
            return result.rowcount or 0

    def _count(self, session: Session, clinic_patient_id: str, caller_key: str) -> FailureCount:
        since = self._window_start()

        def failures(kind: str, value: str) -> int:
            return session.scalar(
                select(func.count())
                .select_from(IdentityFailure)
                .where(
                    IdentityFailure.subject_kind == kind,
                    IdentityFailure.subject_key == subject_key(value),
                    IdentityFailure.failed_at > since,
                )
            )

        return FailureCount(
            patient=failures(SUBJECT_PATIENT, clinic_patient_id),
            caller=failures(SUBJECT_CALLER, caller_key),
            limit=self._settings.identity_max_failures,
        )

    def _now(self) -> datetime:
        return self._clock().astimezone(timezone.utc).replace(tzinfo=None)

    def _window_start(self) -> datetime:
        return self._now() - self._settings.identity_lockout

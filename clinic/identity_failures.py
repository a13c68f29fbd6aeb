"""Failed identity checks, counted in the clinic database, and the lockout they cause.

Each failure is stored twice: against the patient ID that was tried and against the
caller who tried it (the channel's ``caller_key``), both as keyed hashes (HMAC-SHA-256
with ``VOICE_CHANNEL_SECRET``, which ``make run`` generates into ``var/``), never the
values: a plain hash of a 6-digit ID would be undone by trying the million IDs. There
is no weaker built-in key: without the secret, :func:`subject_key` raises
:class:`MissingSecret` (and the action server refuses to start, see
:mod:`actions.startup_checks`).

A check is locked while either has ``identity_max_failures`` failures within the last
``identity_lockout_minutes`` (clinic.yml ``security``), whatever the conversation: a new
conversation does not start again from zero. Successful checks erase nothing but their
own attempt. :meth:`IdentityFailures.purge` deletes what no longer counts.

A check is recorded *before* it is verified (:meth:`IdentityFailures.attempt`): its rows
are committed first, then counted with everyone else's, so that N guesses sent at once
cannot all pass a count taken before any of them was recorded; at most
``identity_max_failures`` of them are verified. A verified attempt then removes its own
rows (:meth:`Attempt.succeeded`); a refused one stays as the failure it is.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, List, Optional, Tuple

from sqlalchemy.orm import Session, sessionmaker

from clinic.config import SecuritySettings
from clinic.failure_ledger import FailureLedger
from clinic.models import SUBJECT_CALLER, SUBJECT_PATIENT, IdentityFailure
from clinic.settings import SECRET_VARIABLE, hash_secret


@dataclass(frozen=True)
class FailureCount:
    """Failed checks within the lockout window, for one patient ID and one caller."""

    patient: int
    caller: int
    limit: int

    @property
    def locked(self) -> bool:
        return max(self.patient, self.caller) >= self.limit

    @property
    def locked_before(self) -> bool:
        """Counting an attempt that is itself among them: the others already lock it."""
        return max(self.patient, self.caller) > self.limit


MIN_SECRET_LENGTH = 16


class MissingSecret(RuntimeError):
    """``VOICE_CHANNEL_SECRET`` is unset or too short: keyed hashes cannot be made."""


def required_secret() -> bytes:
    """The key of every stored hash; :class:`MissingSecret` without a usable one."""
    secret = hash_secret()
    if len(secret) < MIN_SECRET_LENGTH:
        raise MissingSecret(
            f"{SECRET_VARIABLE} is {'too short' if secret else 'not set'}: the hashes of "
            f"patient IDs need a secret key of {MIN_SECRET_LENGTH} characters or more "
            f"(`make run` generates one into var/voice_channel_secret)")
    return secret.encode("utf-8")


def subject_key(value: str, secret: Optional[str] = None) -> str:
    """What is stored instead of a patient ID or a caller key: its HMAC-SHA-256, in hex
    (keyed with ``VOICE_CHANNEL_SECRET``, or ``secret``: another process's, for a tool
    that reads its database)."""
    key = secret.encode("utf-8") if secret else required_secret()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One identity check, recorded before it is verified. ``count`` includes it:
    ``count.locked_before`` says whether earlier failures (anyone's) already lock it."""

    count: FailureCount
    row_ids: Tuple[int, ...]
    _failures: "IdentityFailures"

    @property
    def locked(self) -> bool:
        return self.count.locked_before

    @property
    def earlier(self) -> FailureCount:
        """The counts without this attempt."""
        return FailureCount(self.count.patient - 1, self.count.caller - 1, self.count.limit)

    def succeeded(self) -> None:
        """The check passed (or was never made): it is no failure."""
        self._failures._forget(self.row_ids)


class IdentityFailures:
    """The failure counts of the clinic database (one short transaction per call)."""

    def __init__(
        self,
        session_factory: "sessionmaker[Session]",
        settings: SecuritySettings,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._ledger = FailureLedger(session_factory, IdentityFailure,
                                     settings.identity_lockout, clock)
        self._limit = settings.identity_max_failures

    def count(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Failures of this patient ID and of this caller within the window."""
        return self._failure_count(self._ledger.counts(_subjects(clinic_patient_id, caller_key)))

    def record(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Count one failed check against both; the counts including it."""
        return self.attempt(clinic_patient_id, caller_key).count

    def attempt(self, clinic_patient_id: str, caller_key: str) -> Attempt:
        """Record a check as failed before verifying it (committed), then count.

        If :attr:`Attempt.locked`, do not verify (and call :meth:`Attempt.succeeded`:
        an attempt refused unverified does not lengthen the lockout). Otherwise verify,
        and call :meth:`Attempt.succeeded` when it passes.
        """
        row_ids, counts = self._ledger.record(_subjects(clinic_patient_id, caller_key))
        return Attempt(self._failure_count(counts), row_ids, self)

    def _forget(self, row_ids: Tuple[int, ...]) -> None:
        self._ledger.forget(row_ids)

    def purge(self) -> int:
        """Delete the failures older than the window; how many rows went."""
        return self._ledger.purge()

    def _failure_count(self, counts: List[int]) -> FailureCount:
        patient, caller = counts
        return FailureCount(patient=patient, caller=caller, limit=self._limit)


def _subjects(clinic_patient_id: str, caller_key: str) -> List[Tuple[str, str]]:
    return [(SUBJECT_PATIENT, subject_key(clinic_patient_id)),
            (SUBJECT_CALLER, subject_key(caller_key))]

"""Staff users and their passwords, hashed with argon2id (``argon2-cffi``).

A login with an unknown name costs the same hash verification as a wrong password, so
that timing tells nothing about which names exist; a disabled account is told so only
after its right password. Passwords are never logged, stored or passed on a command
line (``make staff-user`` prompts for them). The first account of a console is its
administrator (:mod:`.accounts` manages the others).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from staff_console.models import ROLE_ADMIN, ROLE_STAFF, StaffUser

MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 64
_HASHER = PasswordHasher()
# Verified against when the name is unknown (same cost as a real check).
_DUMMY_HASH = _HASHER.hash("pas un mot de passe de l'équipe")


class StaffUserError(ValueError):
    """A name or password that cannot be used; the message says why, in French."""


class AccountDisabled(Exception):
    """The password was right, but the account is disabled."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str = ROLE_STAFF

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @classmethod
    def of(cls, user: StaffUser) -> "StaffMember":
        return cls(user.id, user.name, user.role)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise StaffUserError(f"Le nom doit compter de 1 à {MAX_NAME_CHARS} caractères.")
    if not all(c.isalnum() or c in "._-" for c in name):
        raise StaffUserError("Le nom ne peut contenir que des lettres, des chiffres, « . », « _ » ou « - ».")
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise StaffUserError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères.")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of a password long enough (else :class:`StaffUserError`)."""
    return _HASHER.hash(check_password(password))


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return False


def create_user(sessions: "sessionmaker[Session]", name: str, password: str) -> StaffMember:
    """A new staff member, the administrator if there is none yet;
    :class:`StaffUserError` if the name is taken or bad."""
    name, password_hash = check_name(name), hash_password(password)
    try:
        with sessions() as session, session.begin():
            an_admin = session.scalars(
                select(StaffUser.id).where(StaffUser.role == ROLE_ADMIN).limit(1)).first()
            user = StaffUser(name=name, password_hash=password_hash,
                             role=ROLE_ADMIN if an_admin is None else ROLE_STAFF)
            session.add(user)
            session.flush()
            return StaffMember.of(user)
    except IntegrityError:
        raise StaffUserError(f"Un compte « {name} » existe déjà.") from None


def authenticate(sessions: "sessionmaker[Session]", name: str,
                 password: str) -> Optional[StaffMember]:
    """The staff member if ``password`` is theirs, else None (unknown name included);
    :class:`AccountDisabled` if it is theirs but their account is disabled."""
    with sessions() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.name == (name or "").strip())).first()
        stored = user.password_hash if user is not None else _DUMMY_HASH
        if not verify_password(stored, password) or user is None:
            return None
        if user.disabled_at is not None:
            raise AccountDisabled(user.name)
        if _HASHER.check_needs_rehash(stored):
            user.password_hash = _HASHER.hash(password)
            session.commit()
        return StaffMember.of(user)

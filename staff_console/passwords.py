"""Staff users and their passwords, hashed with argon2id (``argon2-cffi``).

A login with an unknown name costs the same hash verification as a wrong password, so
that timing tells nothing about which names exist. Passwords are never logged, stored
or passed on a command line (``make staff-user`` prompts for them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from staff_console.models import StaffUser

MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 64
_HASHER = PasswordHasher()
# Verified against when the name is unknown (same cost as a real check).
_DUMMY_HASH = _HASHER.hash("pas un mot de passe de l'équipe")


class StaffUserError(ValueError):
    """A name or password that cannot be used; the message says why, in French."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str


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


def create_user(sessions: "sessionmaker[Session]", name: str, password: str) -> StaffMember:
    """A new staff member; :class:`StaffUserError` if the name is taken or bad."""
    name, password = check_name(name), check_password(password)
    user = StaffUser(name=name, password_hash=_HASHER.hash(password))
    try:
        with sessions() as session, session.begin():
            session.add(user)
            session.flush()
            return StaffMember(user.id, user.name)
    except IntegrityError:
        raise StaffUserError(f"Un compte « {name} » existe déjà.") from None


def authenticate(sessions: "sessionmaker[Session]", name: str,
                 password: str) -> Optional[StaffMember]:
    """The staff member if ``password`` is theirs, else None (unknown name included)."""
    with sessions() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.name == (name or "").strip())).first()
        stored = user.password_hash if user is not None else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if _HASHER.check_needs_rehash(stored):
            user.password_hash = _HASHER.hash(password)
            session.commit()
        return StaffMember(user.id, user.name)

"""Staff accounts: the list, disabling and enabling one, ending someone's sessions, the
administrator role, and passwords changed by their owner or reset from the clinic's
machine.

Accounts are named by their id (the console) or their name (``make staff-user``). A
disabled account cannot log in and its sessions end in the same transaction. Changes
made from the console (``by`` a member) are written to the audit journal in their own
transaction; those of ``make staff-user`` are the machine administrator's, unaudited.
"""
from __future__ import annotations

from datetime import timezone
from typing import Dict, List, Optional, Union

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clinic.models import utc_now
from staff_console import audit
from staff_console.models import ROLES, StaffSession, StaffUser
from staff_console.passwords import (
    StaffMember,
    StaffUserError,
    check_password,
    hash_password,
    verify_password,
)
from staff_console.sessions import delete_sessions

AccountKey = Union[int, str]  # an id, or a name


class WrongPassword(StaffUserError):
    """The current password given to change it is not the member's."""


class AccountNotFound(StaffUserError):
    """No account has this id or name."""


def _account(session: Session, key: AccountKey) -> StaffUser:
    column = StaffUser.id if isinstance(key, int) else StaffUser.name
    user = session.scalars(select(StaffUser).where(column == key)).first()
    if user is None:
        raise AccountNotFound(f"Aucun compte « {key} ».")
    return user


def _audit(session: Session, by: Optional[StaffMember], action: str, user: StaffUser) -> None:
    if by is not None:
        audit.add(session, by, action, {"account": user.name})


def list_accounts(sessions: "sessionmaker[Session]", tz) -> List[Dict]:
    """Every account, by name: role, creation, disabled or not, live sessions."""
    live = (select(StaffSession.user_id, func.count().label("open"))
            .where(StaffSession.expires_at > utc_now()).group_by(StaffSession.user_id).subquery())
    with sessions() as session:
        rows = session.execute(select(StaffUser, live.c.open)
                               .outerjoin(live, live.c.user_id == StaffUser.id)
                               .order_by(StaffUser.name)).all()
    return [{"id": user.id, "name": user.name, "role": user.role,
             "created_at": _local(user.created_at, tz), "disabled": user.disabled_at is not None,
             "disabled_at": _local(user.disabled_at, tz) if user.disabled_at else None,
             "sessions": open_sessions or 0} for user, open_sessions in rows]


def _local(naive_utc, tz) -> str:
    return naive_utc.replace(tzinfo=timezone.utc).astimezone(tz).isoformat(timespec="seconds")


def set_disabled(sessions: "sessionmaker[Session]", key: AccountKey, disabled: bool,
                 by: Optional[StaffMember] = None) -> StaffMember:
    """Disable (ending its sessions) or enable an account."""
    with sessions() as session, session.begin():
        user = _account(session, key)
        if by is not None and disabled and user.id == by.id:
            raise StaffUserError("Vous ne pouvez pas désactiver votre propre compte.")
        user.disabled_at = (user.disabled_at or utc_now()) if disabled else None
        if disabled:
            delete_sessions(session, user.id)
        _audit(session, by, "disable" if disabled else "enable", user)
        return StaffMember.of(user)


def end_sessions(sessions: "sessionmaker[Session]", key: AccountKey,
                 by: Optional[StaffMember] = None) -> int:
    """End every session of an account (logged out everywhere); how many."""
    with sessions() as session, session.begin():
        user = _account(session, key)
        ended = delete_sessions(session, user.id)
        _audit(session, by, "end_sessions", user)
        return ended


def set_role(sessions: "sessionmaker[Session]", key: AccountKey, role: str) -> StaffMember:
    """Make an account an administrator or plain staff (``make staff-user DO=admin``)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with sessions() as session, session.begin():
        user = _account(session, key)
        user.role = role
        return StaffMember.of(user)


def reset_password(sessions: "sessionmaker[Session]", key: AccountKey, new: str) -> StaffMember:
    """A new password, set from the clinic's machine; every session of the account ends."""
    password_hash = hash_password(new)
    with sessions() as session, session.begin():
        user = _account(session, key)
        user.password_hash = password_hash
        delete_sessions(session, user.id)
        return StaffMember.of(user)


def check_new_password(current: str, new: str, confirm: Optional[str]) -> None:
    """:class:`StaffUserError` unless ``new`` can replace ``current`` (checked before the
    current password is)."""
    check_password(new)
    if confirm != new:
        raise StaffUserError("Les deux nouveaux mots de passe diffèrent.")
    if new == current:
        raise StaffUserError("Le nouveau mot de passe doit différer de l'actuel.")


def change_password(sessions: "sessionmaker[Session]", member: StaffMember, current: str,
                    new: str, keep_token: Optional[str] = None) -> None:
    """A member changes their own password (the current one required: else
    :class:`WrongPassword`); their other sessions end (the one of ``keep_token`` goes on)."""
    password_hash = hash_password(new)
    with sessions() as session, session.begin():
        user = _account(session, member.id)
        if not verify_password(user.password_hash, current):
            raise WrongPassword("Mot de passe actuel incorrect.")
        user.password_hash = password_hash
        delete_sessions(session, user.id, keep_token)
        _audit(session, member, "password", user)

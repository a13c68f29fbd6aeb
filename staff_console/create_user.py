"""``python -m staff_console.create_user NAME [ACTION]`` (``make staff-user NAME=…
[DO=…]``): staff accounts from the clinic's machine.

* no action (or ``create``): create the account (the first one is the administrator);
* ``password``: set a new password (its sessions end);
* ``disable`` / ``enable``: close the account (its sessions end) or open it again;
* ``logout``: end every session of the account;
* ``admin``: make the account an administrator.

Passwords are asked twice at the terminal, never taken from the command line or the
environment.
"""
from __future__ import annotations

import getpass
import sys
from typing import Callable, Dict, List, Optional

from clinic.database import make_engine, make_session_factory
from staff_console import accounts
from staff_console.models import ROLE_ADMIN
from staff_console.passwords import StaffUserError, check_password, create_user

USAGE = ("usage : make staff-user NAME=<nom> [DO=password|disable|enable|logout|admin] "
         "(sans DO : crée le compte)")


def _new_password(ask) -> str:
    password = check_password(ask("Mot de passe : "))
    if ask("Encore une fois : ") != password:
        raise StaffUserError("Les deux mots de passe diffèrent.")
    return password


def _create(sessions, name: str, ask) -> str:
    member = create_user(sessions, name, _new_password(ask))
    role = " (administrateur)" if member.is_admin else ""
    return f"Compte « {member.name} » créé{role}. Ouvrez http://127.0.0.1:5006/staff/"


def _password(sessions, name: str, ask) -> str:
    member = accounts.reset_password(sessions, name, _new_password(ask))
    return f"Mot de passe de « {member.name} » changé ; ses sessions sont fermées."


def _disable(sessions, name: str, _ask) -> str:
    member = accounts.set_disabled(sessions, name, True)
    return f"Compte « {member.name} » désactivé ; ses sessions sont fermées."


def _enable(sessions, name: str, _ask) -> str:
    return f"Compte « {accounts.set_disabled(sessions, name, False).name} » réactivé."


def _logout(sessions, name: str, _ask) -> str:
    return f"{accounts.end_sessions(sessions, name)} session(s) de « {name} » fermée(s)."


def _admin(sessions, name: str, _ask) -> str:
    return f"« {accounts.set_role(sessions, name, ROLE_ADMIN).name} » est administrateur."


ACTIONS: Dict[str, Callable[..., str]] = {
    "create": _create, "password": _password, "disable": _disable, "enable": _enable,
    "logout": _logout, "admin": _admin}


def main(argv: Optional[List[str]] = None, ask=getpass.getpass) -> int:
    argv = sys.argv[1:] if argv is None else argv
    action = (argv[1] if len(argv) == 2 else "") or "create"  # make passes DO, maybe empty
    if len(argv) not in (1, 2) or not argv[0] or action not in ACTIONS:
        print(USAGE, file=sys.stderr)
        return 2
    name = argv[0]
    try:
        engine = make_engine()
        try:
            done = ACTIONS[action](make_session_factory(engine), name, ask)
        finally:
            engine.dispose()
    except StaffUserError as error:
        print(f"erreur : {error}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nannulé", file=sys.stderr)
        return 1
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())

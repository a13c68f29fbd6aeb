"""``python -m staff_console.create_user NAME`` (``make staff-user NAME=…``): create a
staff account. The password is asked twice at the terminal, never taken from the
command line or the environment."""
from __future__ import annotations

import getpass
import sys
from typing import List, Optional

from actions.database import make_engine, make_session_factory
from staff_console.passwords import StaffUserError, check_password, create_user


def main(argv: Optional[List[str]] = None, ask=getpass.getpass) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage : make staff-user NAME=<nom>", file=sys.stderr)
        return 2
    try:
        password = check_password(ask("Mot de passe : "))
        if ask("Encore une fois : ") != password:
            raise StaffUserError("Les deux mots de passe diffèrent.")
        engine = make_engine()
        try:
            member = create_user(make_session_factory(engine), argv[0], password)
        finally:
            engine.dispose()
    except StaffUserError as error:
        print(f"erreur : {error}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nannulé", file=sys.stderr)
        return 1
    print(f"Compte « {member.name} » créé. Ouvrez http://127.0.0.1:5006/staff/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

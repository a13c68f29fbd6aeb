"""``python -m rasa_server run …``: ``rasa run …`` with :mod:`.action_result_schema` and
:mod:`.admin_token` (the API token from the environment, compared in constant time).
The environment is read where the rest of the process reads it:
:mod:`voice_channel.settings`.

Rasa's own entry point is imported first, as the ``rasa`` command does, so that
everything it sets up at import (logging, the event loop policy) is as under ``rasa``.
"""
from __future__ import annotations

import sys


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from rasa_server.action_result_schema import install
    from rasa_server.admin_token import (
        AdminTokenError, arguments_with_token, install_constant_time_check,
    )
    from voice_channel.settings import environment

    try:
        sys.argv = arguments_with_token(sys.argv, environment().variables())
    except AdminTokenError as problem:
        sys.exit(f"rasa_server: {problem}")
    install()
    install_constant_time_check()
    rasa_main()


if __name__ == "__main__":
    main()

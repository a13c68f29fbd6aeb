"""``python -m rasa_server run …``: ``rasa run …`` with :mod:`.action_result_schema`.

Rasa's own entry point is imported first, as the ``rasa`` command does, so that
everything it sets up at import (logging, the event loop policy) is as under ``rasa``.
"""
from __future__ import annotations


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from rasa_server.action_result_schema import install

    install()
    rasa_main()


if __name__ == "__main__":
    main()

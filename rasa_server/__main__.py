"""``python -m rasa_server run …``: ``rasa run …`` with :mod:`.action_result_schema`."""
from __future__ import annotations

from rasa_server.action_result_schema import install


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

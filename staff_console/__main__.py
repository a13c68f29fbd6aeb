"""``python -m staff_console [--host 127.0.0.1] [--port 5006]``: serve the staff console
(started by ``make run`` from the Procfile). Access logs are off: URLs can hold a searched
patient name or ID."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from clinic.config import ClinicConfigError
from clinic.identity_failures import MissingSecret, required_secret
from staff_console.settings import listen_address, settings_from_env


def main(argv: Optional[List[str]] = None) -> int:
    host, port = listen_address()
    parser = argparse.ArgumentParser(prog="python -m staff_console", description=__doc__)
    parser.add_argument("--host", default=host)
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        required_secret()  # failed logins are stored as keyed hashes: no key, no console
        settings = settings_from_env()
        from staff_console.app import create_app

        app = create_app(settings)
    except (ValueError, ClinicConfigError, MissingSecret) as error:
        logging.getLogger("staff_console").error("%s", error)
        return 2
    logging.getLogger("staff_console").info(
        "staff console on http://%s:%d/staff/", args.host, args.port)
    app.run(host=args.host, port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

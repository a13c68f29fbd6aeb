"""``python -m cluster write|check-database|drain N|undrain N|deploy-model [MODEL]|status``
(the Makefile's ``run-cluster``, ``drain``, ``undrain``, ``deploy-model``)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cluster import rollout, runtime_api
from cluster.haproxy_config import replica_name
from cluster.processes import write_configuration
from cluster.settings import cluster_settings

NEEDS_POSTGRES = (
    "the cluster keeps conversations and the clinic's data in PostgreSQL; DATABASE_URL is "
    "{url!r}. Create the database once (as the postgres user):\n"
    "  createuser --pwprompt clinic && createdb --owner clinic clinic\n"
    "then: export DATABASE_URL=postgresql://clinic:<password>@127.0.0.1:5432/clinic"
)


def _check_database(settings) -> int:
    if not settings.database_url.startswith("postgresql"):
        print("cluster: " + NEEDS_POSTGRES.format(url=settings.database_url.split("@")[-1]),
              file=sys.stderr)
        return 2
    from sqlalchemy import text

    from clinic.database import make_engine  # the clinic's timeouts: never a hang

    try:
        with make_engine(settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error: say it and how to fix it
        print(f"cluster: cannot reach the database ({type(error).__name__}). "
              + NEEDS_POSTGRES.format(url=settings.database_url.split("@")[-1]),
              file=sys.stderr)
        return 2
    return 0


def _status(settings) -> int:
    for index in range(len(settings.replicas)):
        server = replica_name(index)
        print(server, runtime_api.server_status(settings.runtime_socket, server),
              runtime_api.live_sessions(settings.runtime_socket, server))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster")
    parser.add_argument("command", choices=["write", "check-database", "drain", "undrain",
                                            "deploy-model", "status"])
    parser.add_argument("argument", nargs="?")
    parser.add_argument("--wait", action="store_true", help="drain: until its calls end")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="cluster: %(message)s")
    settings = cluster_settings()
    if args.command == "write":
        for path in write_configuration(settings):
            print(f"cluster: wrote {path}")
        return 0
    if args.command == "check-database":
        return _check_database(settings)
    if args.command == "status":
        return _status(settings)
    if args.command == "deploy-model":
        rollout.deploy_model(settings, Path(args.argument or "models/current.tar.gz"))
        return 0
    if not (args.argument or "").isdigit():
        parser.error(f"{args.command} needs the replica's number (REPLICA=n)")
    if args.command == "drain":
        rollout.drain(settings, int(args.argument), wait=args.wait)
    else:
        rollout.undrain(settings, int(args.argument))
    return 0


if __name__ == "__main__":
    sys.exit(main())

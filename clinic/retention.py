"""Deleting personal data that is kept no longer: old conversations, expired
identity-check failures, and the staff console's expired sessions and old failed logins.

Rasa's SQL tracker store (``TRACKER_STORE_URL``) keeps every event of every
conversation in its ``events`` table; a conversation (all rows of one
``sender_id``) whose latest event is older than the retention period (clinic.yml
``privacy.conversation_retention_days``, or ``--days``) is deleted whole. Failed
identity checks older than the lockout window leave the clinic database
(``DATABASE_URL``), and so do staff sessions past their expiry and failed staff logins
older than ``STAFF_LOCKOUT_MINUTES``. Only counts are logged: conversation ids can hold
numbers.

Usage::

    python -m clinic.retention [--days N] [--every SECONDS]

Once, or with ``--every`` at start and then every SECONDS until SIGINT/SIGTERM.
Without ``TRACKER_STORE_URL``, the tracker store is the one ``make run`` gives Rasa:
the PostgreSQL database of ``DATABASE_URL``, else ``var/tracker.db``.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List, Optional

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from clinic.config import ClinicConfig, ClinicConfigError, clinic_config
from clinic.database import (
    database_url,
    make_engine,
    make_external_engine,
    make_session_factory,
)
from clinic.identity_failures import IdentityFailures
from clinic.settings import DEFAULT_TRACKER_SQLITE_PATH, explicit_tracker_store_url

logger = logging.getLogger("clinic.retention")  # also when run as __main__

DAY_S = 24 * 3600
# The columns of Rasa's SQLTrackerStore table that the purge needs.
_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("timestamp", Float),
)


@dataclass(frozen=True)
class ConversationsPurged:
    conversations: int
    events: int


def tracker_store_url() -> str:
    """``TRACKER_STORE_URL``, else the Makefile's default for Rasa."""
    explicit = explicit_tracker_store_url()
    if explicit:
        return explicit
    clinic = database_url()
    if clinic.startswith("postgresql"):
        return clinic
    return f"sqlite:///{DEFAULT_TRACKER_SQLITE_PATH}"


def purge_conversations(url: str, days: int, now: Optional[float] = None) -> ConversationsPurged:
    """Delete every conversation whose latest event is more than ``days`` old."""
    if _missing_sqlite_file(url):
        logger.info("no conversations table yet (the tracker store has no database file)")
        return ConversationsPurged(0, 0)
    cutoff = (time.time() if now is None else now) - days * DAY_S
    engine = make_external_engine(url)
    try:
        if not inspect(engine).has_table(_EVENTS.name):
            logger.info("no conversations table yet (Rasa creates it on its first start)")
            return ConversationsPurged(0, 0)
        purged = _delete_old_conversations(engine, cutoff)
    finally:
        engine.dispose()
    logger.info(
        "purged %d conversation(s) (%d event(s)) idle for more than %d day(s)",
        purged.conversations, purged.events, days,
    )
    return purged


def _delete_old_conversations(engine: Engine, cutoff: float) -> ConversationsPurged:
    old = (
        select(_EVENTS.c.sender_id)
        .group_by(_EVENTS.c.sender_id)
        .having(func.max(_EVENTS.c.timestamp) < cutoff)
    )
    with engine.begin() as connection:
        conversations = connection.execute(
            select(func.count()).select_from(old.subquery())
        ).scalar_one()
        if not conversations:
            return ConversationsPurged(0, 0)
        # The DELETE selects the old conversations again: one that spoke since the
        # count is kept (the count is then one too high, never the deletion too wide).
        events = connection.execute(
            delete(_EVENTS).where(_EVENTS.c.sender_id.in_(old.scalar_subquery()))
        ).rowcount
    return ConversationsPurged(conversations, events or 0)


@contextmanager
def _clinic_sessions(url: str, table: str) -> Iterator[Optional["sessionmaker[Session]"]]:
    """Sessions of the clinic database, or None while it has no ``table`` (a missing
    SQLite file is not created)."""
    if _missing_sqlite_file(url):
        logger.info("no %s table yet (the clinic database has no file)", table)
        yield None
        return
    engine = make_engine(url)
    try:
        if inspect(engine).has_table(table):
            yield make_session_factory(engine)
        else:
            logger.info("no %s table yet (run the migrations)", table)
            yield None
    finally:
        engine.dispose()


def _clock(now: Optional[datetime]):
    return (lambda: now) if now is not None else (lambda: datetime.now(timezone.utc))


def purge_identity_failures(
    url: str, config: ClinicConfig, now: Optional[datetime] = None
) -> int:
    """Delete the failed identity checks that no longer count (older than the window)."""
    with _clinic_sessions(url, "identity_failures") as sessions:
        if sessions is None:
            return 0
        purged = IdentityFailures(sessions, config.security, _clock(now)).purge()
    logger.info("purged %d expired identity failure(s)", purged)
    return purged


def purge_staff_logins(url: str, now: Optional[datetime] = None) -> int:
    """Delete the staff console's expired sessions and the failed logins older than its
    lockout window (``STAFF_LOCKOUT_MINUTES``); how many rows went."""
    # Imported here: the console's settings import this module (tracker_store_url).
    from staff_console.housekeeping import purge_logins
    from staff_console.settings import settings_from_env

    lockout = settings_from_env().lockout
    with _clinic_sessions(url, "staff_sessions") as sessions:
        if sessions is None:
            return 0
        purged = purge_logins(sessions, lockout, _clock(now))
    logger.info("purged %d expired staff session(s) and %d old staff login failure(s)",
                purged.sessions, purged.login_failures)
    return purged.sessions + purged.login_failures


def purge_once(days: int, config: ClinicConfig) -> bool:
    """Every purge (each runs even if one before failed); whether all worked.

    A failure is logged, never raised: under ``--every`` the process keeps running
    (honcho would stop every service if it ended)."""
    ok = True
    for what, purge in (
        ("conversations", lambda: purge_conversations(tracker_store_url(), days)),
        ("identity failures", lambda: purge_identity_failures(database_url(), config)),
        ("staff logins", lambda: purge_staff_logins(database_url())),
    ):
        try:
            purge()
        except Exception:  # noqa: BLE001  (SQL parameters are hidden by the engines)
            logger.exception("purge of %s failed", what)
            ok = False
    return ok


def _missing_sqlite_file(url: str) -> bool:
    if not url.startswith("sqlite"):
        return False
    path = make_url(url).database
    return bool(path) and path != ":memory:" and not Path(path).exists()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clinic.retention",
        description="Delete old conversations, expired identity failures, and the staff "
                    "console's expired sessions and old failed logins.",
    )
    parser.add_argument(
        "--days", type=_positive_int, metavar="N",
        help="keep conversations active in the last N days "
             "(default: clinic.yml privacy.conversation_retention_days)",
    )
    parser.add_argument(
        "--every", type=_positive_seconds, metavar="SECONDS",
        help="keep running: purge at start, then every SECONDS, until SIGINT/SIGTERM",
    )
    args = parser.parse_args(argv)
    try:
        config = clinic_config()
    except ClinicConfigError as error:
        logger.error("%s", error)
        return 2
    days = args.days or config.privacy.conversation_retention_days
    if args.every is None:
        return 0 if purge_once(days, config) else 1

    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        logger.info("signal %d: stopping after the current purge", signum)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    logger.info("purging conversations idle for more than %d day(s) every %g s", days, args.every)
    while not stop.is_set():
        purge_once(days, config)  # a failure is logged; the next round tries again
        stop.wait(args.every)
    logger.info("retention purge stopped")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())

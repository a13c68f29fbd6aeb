"""The action server's single connection to the clinic: operations built on first use.

Database calls are blocking; :func:`run_blocking` runs them in a worker thread so
that one slow query never stalls the other callers served by the action server.
"""
from __future__ import annotations

import asyncio
from typing import Callable, Optional, TypeVar

from clinic.config import clinic_config
from clinic.operations import ClinicOperations
from clinic.database import make_engine, make_session_factory

T = TypeVar("T")
_operations: Optional[ClinicOperations] = None


def clinic_operations() -> ClinicOperations:
    """Operations on the database of ``DATABASE_URL`` (connects on first call)."""
    global _operations
    if _operations is None:
        _operations = ClinicOperations(make_session_factory(make_engine()), clinic_config())
    return _operations


def use_clinic_operations(operations: Optional[ClinicOperations]) -> None:
    """Replace the process-wide operations (tests use a database of their own)."""
    global _operations
    _operations = operations


async def run_blocking(function: Callable[..., T], *args, **kwargs) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)

"""Tests of :mod:`clinic`: the configuration, the operations, the registry and the purge, on SQLite and PostgreSQL."""

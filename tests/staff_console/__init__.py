"""Tests of :mod:`staff_console`: login, sessions, routes, queries and the audit."""

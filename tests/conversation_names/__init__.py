"""Tests of :mod:`conversation_names`."""

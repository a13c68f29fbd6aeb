"""Tests of ``scripts/``: the model downloads."""

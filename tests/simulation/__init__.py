"""Tests of :mod:`simulation`: the simulated callers and patients, and the benches' scoring."""

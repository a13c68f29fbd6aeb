"""Tests of :mod:`actions`: the forms, their validation and the actions, on real trackers."""

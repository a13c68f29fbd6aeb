"""Tests of what the assistant understands: :mod:`nlu_components` with the trained model, and :mod:`nlu_review`."""

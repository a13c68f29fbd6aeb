"""What the action server checks as it starts: ``rasa_sdk --actions actions`` imports
every module of this package, this one included, and stops (exit code 1) on an
ImportError.

Without ``VOICE_CHANNEL_SECRET`` the failed identity checks could not be stored as keyed
hashes (:mod:`clinic.identity_failures`): a plain hash of a 6-digit patient ID is undone
by trying the million IDs. The server refuses to start rather than store them weaker.
"""
from __future__ import annotations

from clinic.identity_failures import MissingSecret, required_secret

try:
    required_secret()
except MissingSecret as problem:
    raise ImportError(f"the action server cannot start: {problem}") from None

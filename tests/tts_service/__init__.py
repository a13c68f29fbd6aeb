"""Tests of :mod:`tts_service`: the Coqui TTS server, with a tiny model built here."""

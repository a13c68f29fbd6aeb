"""The Coqui TTS server: French speech over HTTP, for ``voice_channel.tts.coqui``.

It runs only in its own virtualenv, ``.venv-tts`` (``scripts/setup_tts_venv.sh``):
coqui-tts needs a newer NumPy than Rasa 3.6 allows, so the two cannot share
``.venv``. That is also why this is a top-level package and not part of
``voice_channel``: importing ``voice_channel`` would pull in Rasa. Nothing here
imports from the rest of the project; the HTTP contract, written down in
``voice_channel/tts/coqui.py``, is the only link between the two sides.

    .venv-tts/bin/python -m tts_service --model tts_models/fr/css10/vits

Modules: ``voice`` (loading a Coqui model once, text to samples), ``wav``
(samples to a 16-bit WAV), ``server`` (the HTTP routes), ``__main__`` (options).

Run by: its own process (``.venv-tts/bin/python -m tts_service``).

May import: nothing of the project.
"""

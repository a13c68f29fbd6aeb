"""Allô Clinique's voice channel: a Rasa input channel that adds speech to REST.

Run by: the Rasa server (``python -m rasa_server run``, the Procfile's ``rasa``), which
loads :mod:`.channel` and :mod:`.staff_chat` from ``credentials.yml``.

May import: Rasa, Sanic, the speech engines' libraries, :mod:`spoken_french` and
:mod:`conversation_names`; never :mod:`actions`, :mod:`clinic` nor :mod:`staff_console`
(``tests/test_layout.py`` checks it). The process reads its environment in one module:
:mod:`voice_channel.settings`.
"""

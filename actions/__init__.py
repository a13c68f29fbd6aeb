"""The action server's code: Rasa SDK actions, the three forms (book, move, cancel) and
their validation, read from what the caller said.

Run by: the action server (``python -m rasa_sdk --actions actions``, the Procfile's
``actions``), which imports every module of this package.

May import: rasa_sdk, :mod:`clinic` (the data layer: no SQL here), :mod:`spoken_french`
and :mod:`conversation_names`; never Rasa itself, :mod:`voice_channel` nor
:mod:`staff_console` (``tests/test_layout.py`` checks it). Each process reads its
environment in one module: here :mod:`actions.settings`.
"""

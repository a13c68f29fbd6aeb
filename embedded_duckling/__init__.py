"""Embedded Duckling: Duckling's HTTP API served from the native ``duckling`` wheel.

Run it with ``python -m embedded_duckling``; Rasa's ``DucklingEntityExtractor``
talks to it unchanged. Modules: ``params`` (request validation), ``parsing``
(native wrapper, imports the Haskell runtime) and ``server`` (aiohttp).
"""

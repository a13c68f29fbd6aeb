"""Embedded Duckling: Duckling's HTTP API served from the native ``duckling`` wheel.

Run it with ``python -m embedded_duckling``; Rasa's ``DucklingEntityExtractor``
talks to it unchanged. Modules: ``params`` (request validation), ``parsing``
(native wrapper, imports the Haskell runtime) and ``server`` (aiohttp).

Run by: the Duckling process (``python -m embedded_duckling``, the Procfile's
``duckling``), in development and tests; production points ``RASA_DUCKLING_HTTP_URL``
at the official server.

May import: nothing of the project.
"""

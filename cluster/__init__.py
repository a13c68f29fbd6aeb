"""Several Rasa replicas behind HAProxy, with Redis and PostgreSQL: the clinic group's
deployment (``make run-cluster``), built on existing engines only.

HAProxy balances typed turns (``leastconn``) and calls (a call's WebSocket stays on the
replica it reached; a replica with no free line or being drained gets no new call);
Redis holds Rasa's lock store (:mod:`rasa_server.lock_store`) and the voice channel's
shared state (used tickets, rate limits, the line count); PostgreSQL holds the tracker
store and the clinic's database. This package writes their configuration from the
environment (:mod:`cluster.settings`), and drives HAProxy's runtime API to drain a
replica or roll a new model out one replica at a time.

Run by: ``make run-cluster`` / ``make drain`` / ``make undrain`` / ``make deploy-model``
(``python -m cluster …``); the processes it starts are the ordinary ones of ``make run``.

May import: :mod:`clinic.settings` (the database's address), :mod:`clinic.database`
(its engine, to check the database at start), the standard library.
Never Rasa, the actions nor the voice channel: it runs beside them, not inside.
"""

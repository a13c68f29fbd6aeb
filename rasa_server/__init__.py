"""The Rasa server as ``make run`` starts it: Rasa's own command line, with the one
measured fix of :mod:`.action_result_schema` installed first.

``python -m rasa_server run …`` takes exactly ``rasa run``'s arguments
(``scripts/serve_rasa.sh``); ``rasa run`` itself keeps working, only slower per turn.

Run by: the Rasa server (``make run``, the Procfile's ``rasa``; each replica of
``make run-cluster``); Rasa loads :mod:`.tracker_store` by its name in ``endpoints.yml``,
and the cluster's replicas :mod:`.lock_store` (an atomic Redis lock store) by its name in
``endpoints.cluster.yml``.

May import: Rasa, redis, :mod:`clinic.database` (the tracker store's privacy settings) and
:mod:`voice_channel.settings`, where the process reads its environment.
"""

"""Tests of :mod:`rasa_server`: Rasa's HTTP API behind the token, the command line, the tracker store."""

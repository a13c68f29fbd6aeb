"""Benchmarks: speed, memory and accuracy, measured on this machine and written to
``bench/results/`` (median and p95), then quoted in the README. Each module is a command
(``python -m bench.<name>``, the Makefile's ``bench-*`` targets); the machinery they share
with the tests is in :mod:`simulation`.

Run by: the engineers, by hand (``make bench``, ``make bench-phone`` …); never by the
clinic's processes, never by the tests.

May import: :mod:`simulation`, the product packages it measures, and Rasa (the NLU
bench loads the trained model); never ``tests``.
"""

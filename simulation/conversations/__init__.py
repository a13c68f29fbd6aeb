"""The conversation benchmark's patients (``bench/conversations.py``), for the bench and
its tests alike:

* :mod:`.wishes`: when a patient wants to come, and whether a time fits;
* :mod:`.script`: a conversation of ``bench/data/conversations.yml`` made concrete for
  today (identity, words, wish, scripted events);
* :mod:`.patient`: the adaptive patient who answers whatever the bot asks;
* :mod:`.scoring`: what the bot asked, misunderstood turns, the database verdict, the figures;
* :mod:`.runner`: a conversation played on a stack and scored, and the report.
"""

"""Custom Rasa NLU components of Allô Clinique.

Run by: the Rasa server and ``rasa train`` (``config.yml`` names them), inside Rasa's
NLU pipeline.

May import: Rasa and :mod:`spoken_french`; never :mod:`actions`, :mod:`clinic` nor
:mod:`voice_channel`.
"""

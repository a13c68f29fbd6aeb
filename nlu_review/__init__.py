"""The ML team's loop: what callers said that the bot did not understand well, reviewed
by a person, then added to the training data.

* :mod:`.candidates` reads Rasa's SQL tracker store and picks the user messages of the
  last N days whose intent confidence was low, or that ended in a fallback or a handoff;
* :mod:`.masking` takes personal data out of them (numbers typed or said, e-mail
  addresses, names: :mod:`.number_runs`, :mod:`.names`, :mod:`.french_words`);
* :mod:`.review_file` writes them, de-duplicated, as Rasa NLU YAML with the predicted
  intent in a comment (``make review``), and appends what a person corrected to
  ``data/nlu/reviewed.yml`` (``make add-reviewed``); ``make train`` retrains.

``python -m nlu_review export|add`` is the command line (see ``__main__``).

Run by: the ML team's commands (``make review``, ``make add-reviewed``); the staff
console imports its masking and review file.

May import: SQLAlchemy, PyYAML and :mod:`spoken_french`; never Rasa, :mod:`actions`,
:mod:`clinic` nor :mod:`voice_channel`.
"""

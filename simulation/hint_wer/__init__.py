"""Recognition hints, measured (``bench/hint_wer.py``): does each hint lower the word
error rate, and cut nothing?

* :mod:`.answers`: the spoken answers of ``bench/data/spoken_answers.yml``, one group per
  hint the channel builds, asked as the bot asks;
* :mod:`.conditions`: each sentence heard under each prompting (the hint's, its prompt
  alone, none) by the stack's Whisper model, and scored;
* :mod:`.cuts`: when a transcript cut the sentence (words lost at its start or end);
* :mod:`.measure`: every group said in every voice and heard, and the figures per group,
  voice and condition;
* :mod:`.verdicts`: a condition is kept only if it lowers the WER in every voice and
  cuts nothing; per group and per kind, with a recommendation.

To measure from another bench (the recognizer loaded there):
:func:`.answers.load_spoken_answers`, :func:`.measure.measure_hint_wer` (or
:func:`.conditions.measure_sentence` on audio already made) and
:func:`.verdicts.verdicts`.
"""

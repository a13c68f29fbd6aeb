"""French as callers say it and as the assistant says it back, shared by both sides.

The action server (``actions``) and the Rasa server's voice channel (``voice_channel``)
both import this package, and it imports neither: no Rasa, no database, no clinic.yml.

* :mod:`.normalize`: text made comparable (case, accents, apostrophes, punctuation);
* :mod:`.numbers`: digits, phone numbers and patient IDs from what was typed or said,
  and their masks for logs;
* :mod:`.yes_no`: yes or no, from a chat message or from a recognised utterance;
* :mod:`.hesitations`: "euh", "hum"… that a caller puts around an answer;
* :mod:`.say`: dates, times, phone numbers and lists written to be read aloud.

Run by: every process that reads or says French (imported, never started).

May import: the standard library only.
"""

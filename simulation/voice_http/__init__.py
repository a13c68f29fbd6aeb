"""The voice benchmark's parts (``bench/voice_http.py``), French speech through
``POST /webhooks/voice/audio`` of the running stack:

* :mod:`.utterances`: the caller utterances, the question each answers, their speech;
* :mod:`.stack_client`: the stack over HTTP, each conversation brought by typed turns to
  the question an utterance answers, then the spoken turn, scored;
* :mod:`.recognition_steps`: what each recognition step brings, in process with the
  stack's own Whisper model;
* :mod:`.summary`: the figures of the measured rows.
"""

"""The clinic, simulated, for the tests and the benchmarks alike (never for production).

The stack and its callers:

* :mod:`.stack`: the real stack (Duckling, action server, Rasa) started on free ports;
* :mod:`.synthetic_audio`: French speech from espeak-ng, noise and silence, made on demand;
* :mod:`.phone_caller`: a simulated caller on the phone line (speaks, types, listens),
  made of :mod:`.line_audio`, :mod:`.call_turns`, :mod:`.caller_speaking` and
  :mod:`.caller_listening`;
* :mod:`.fake_phone_server`: a fake of the phone network's side of a media stream;
* :mod:`.patient_call`: a patient's call through the stack, timed;
* :mod:`.requirements`: a missing tool or service skips a test on a laptop, fails it in CI;
* :mod:`.databases`: PostgreSQL for a run, emptied and migrated.

What the benchmarks of ``bench/`` measure with, and their tests check:

* :mod:`.latency`, :mod:`.speech_scoring`: percentiles and latency summaries; word error
  rate and shares;
* :mod:`.understanding`, :mod:`.dialogue_checks`: the held-out phrases and the scripted
  conversations of the text bench;
* :mod:`.typed_bookings`, :mod:`.stage_timings` (and ``stage_probe/``): patients booking
  at once over the staff chat, and the cost of each stage of a turn;
* :mod:`.conversations`: the scripted patients of the conversation bench, and its scoring;
* :mod:`.booking_call`, :mod:`.phone_call_figures`, :mod:`.phone_line_stack`,
  :mod:`.cpu_meter`: simulated callers booking on the phone line, and the figures;
* :mod:`.hint_wer`, :mod:`.encoder_window`, :mod:`.voice_http`: recognition hints, the
  encoder window and spoken turns through the stack, measured;
* :mod:`.abuse`: malformed or hostile requests on every route.

Run by: the tests (``make test``) and the benches (``make bench-*``), never by a
production process.

May import: every product package it drives (:mod:`clinic`, :mod:`voice_channel`,
:mod:`spoken_french`, :mod:`conversation_names`), to start them or check what they wrote;
never :mod:`actions` (it talks to the action server over the stack), ``tests`` nor
``bench``: both import it.
"""

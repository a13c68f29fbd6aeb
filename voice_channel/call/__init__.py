"""One phone call, once the transport has admitted it: what the bot says and when.

* :mod:`.settings`: the call's settings (``credentials.yml`` ``phone:``);
* :mod:`.session`: the call's stages wired together, fed by the transport;
* :mod:`.worker`: the dialogue worker, one input at a time (greeting, turns, keys,
  silence), and the reception offered when the dialogue is too slow;
* :mod:`.voice`: the bot's voice: synthesis, playback, barge-in bookkeeping;
* :mod:`.keypad`: keypad entry (digits until ``#`` or a pause) and its offer;
* :mod:`.silence`: the silence policy and its prompts;
* :mod:`.metrics`: per-turn timings and the call's counters;
* :mod:`.lifetime`: how a call ends, and the tasks it supervises;
* :mod:`.clock`: time for timers and pacing (faster in tests).

The transport (:mod:`voice_channel.telephony`) feeds it audio and keys; it hears through
:mod:`voice_channel.listening` and talks to Rasa through :mod:`voice_channel.dialogue`.
Nothing here writes stream JSON or knows Twilio.
"""

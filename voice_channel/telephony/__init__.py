"""The phone line's transport: Twilio Media Streams over WebSocket, and its routes.

The protocol, as data:

* :mod:`.media_streams`: the WebSocket protocol's formats and inbound events, and what
  a client asks in ``start``'s custom parameters;
* :mod:`.frame_fields`: typed reads of a frame's JSON fields (:class:`ProtocolError`);
* :mod:`.outbound_frames`: the frames we send (the only place stream JSON is written);
* :mod:`.mulaw`: G.711 µ-law codec and 8 kHz ↔ 16 kHz streaming resampling;
* :mod:`.stream_audio`: a call's payloads to 16 kHz PCM, a reply to the stream's format,
  and the guard that keeps caller audio from running ahead of the clock;
* :mod:`.twiml`: the TwiML answering a call, the transfer TwiML, public URLs;
* :mod:`.twilio_signature`: ``X-Twilio-Signature`` checks.

A stream, served:

* :mod:`.phone_call`: one stream as one call (reads, dispatches, writes; the call's
  logic is :mod:`voice_channel.call`);
* :mod:`.frame_reader`: frames in, with an idle deadline and a budget for bad ones;
* :mod:`.stream_writer`: frames out; a failed send ends the call; a transfer to a person
  (Twilio's REST API or a ``transfer`` frame);
* :mod:`.playback`: the bot's audio paced out as ``media`` frames, ``mark`` and ``clear``;
* :mod:`.admission`: whether a stream may become a call, and the close codes;
* :mod:`.transfer`: redirect a live call through Twilio's REST API.

The routes, added to the voice channel's blueprint:

* :mod:`.incoming_call`: ``POST /twilio/incoming`` (TwiML);
* :mod:`.phone_routes`: the ticket route and the ``/stream`` WebSocket;
* :mod:`.stream_tickets`: one-call tickets and opaque conversation ids;
* :mod:`.phone_lines`: how many calls the process takes at once;
* :mod:`.shared_tickets`, :mod:`.shared_lines`: the same, shared in Redis by the
  replicas of a cluster (:mod:`voice_channel.shared_state`).

Modules are imported one by one (``from voice_channel.telephony.mulaw import …``),
so using the codec does not load ``twilio`` or Sanic.
"""

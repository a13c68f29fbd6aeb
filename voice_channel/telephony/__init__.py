"""The phone line: Twilio Media Streams over WebSocket, without the channel wiring.

* :mod:`.mulaw`: G.711 µ-law codec and 8 kHz ↔ 16 kHz streaming resampling;
* :mod:`.media_streams`: the WebSocket protocol as typed events and outbound frames;
* :mod:`.stream_audio`: a call's payloads to 16 kHz PCM, a reply to the stream's format;
* :mod:`.twiml`: the TwiML answering a call, the transfer TwiML, public URLs;
* :mod:`.twilio_signature`: ``X-Twilio-Signature`` checks;
* :mod:`.transfer`: redirect a live call to the reception (REST API);
* :mod:`.incoming_call`: the ``POST /twilio/incoming`` route for a Sanic blueprint.

Modules are imported one by one (``from voice_channel.telephony.mulaw import …``),
so using the codec does not load ``twilio`` or Sanic.
"""

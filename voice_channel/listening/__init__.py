"""Listening to a caller: 16 kHz audio in, turn events and transcripts out.

    pcm ─ listener.Preroll (audio kept from before a turn is noticed)
        ─ vad.VoiceActivityDetector ─► VadWindow (32 ms, p(speech))
        ─ turn_taking.TurnTaking ─► SpeechStarted / PauseStarted / SpeechResumed /
                                    BargeIn / EndOfTurn / Backchannel
        ─ recognition.RecognitionStage (worker thread, bounded by recognition_queue)
        ─► Transcript

:class:`listener.Listener` runs the chain for one call. Nothing here knows the
transport, the dialogue or what the bot says.
"""

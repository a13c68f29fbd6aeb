"""Tests of :mod:`voice_channel`: audio, speech engines, turn taking, the phone line and the channel's routes."""

"""Allô Clinique's voice channel: a Rasa input channel that adds speech to REST."""

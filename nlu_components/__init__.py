"""Custom Rasa NLU components of Allô Clinique."""

"""The dialogue stage (Rasa), as the voice channel sees it.

* :mod:`.rasa`: Rasa as a call's dialogue (words in, messages out);
* :mod:`.conversation`: one call's conversation: its sender, metadata, deadlines, its end;
* :mod:`.deadline`: every request bounded; a late one finishes in the background;
* :mod:`.hint`: what the bot has just asked: from the reply's ``metadata.expect``, or
  the tracker's last bot event for HTTP turns;
* :mod:`.prompts`: what the channel says by itself: the loaded domain's ``utter_voice_*``.
"""

"""The dialogue stage (Rasa), as the voice channel sees it.

* :mod:`.rasa`: Rasa as a call's dialogue (words in, messages out);
* :mod:`.conversation`: one call's conversation: its sender, metadata, deadlines, its end;
* :mod:`.deadline`: every request bounded; a late one finishes in the background;
* :mod:`.hint`: what the bot has just asked, from the tracker (the only module that
  knows slot names and reads the tracker store).
"""

"""Said or typed French made comparable: lower case, accents, apostrophes, punctuation."""
from __future__ import annotations

import re
import unicodedata


def without_accents(word: str) -> str:
    """Lower case without accents: "Février" -> "fevrier"."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def plain_words(text: str) -> str:
    """Lower case, no accents, apostrophes and punctuation as spaces: « C'est l'après-midi ! »
    -> "c est l apres midi", for the patterns that read what a caller said."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", without_accents(text.replace("’", "'"))).split())


def normalize_words(text: str) -> str:
    """Lower case, straight apostrophes, no punctuation except apostrophes and hyphens."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("`", "'")
    text = re.sub(r"[^\w'\- ]+", " ", text)
    text = re.sub(r"(?<!\w)['\-]|['\-](?!\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip()

"""Said or typed French made comparable: lower case, accents, apostrophes, punctuation."""
from __future__ import annotations

import re
import unicodedata


def without_accents(word: str) -> str:
    """Lower case without accents: "Février" -> "fevrier"."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_words(text: str) -> str:
    """Lower case, straight apostrophes, no punctuation except apostrophes and hyphens."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("`", "'")
    text = re.sub(r"[^\w'\- ]+", " ", text)
    text = re.sub(r"(?<!\w)['\-]|['\-](?!\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip()

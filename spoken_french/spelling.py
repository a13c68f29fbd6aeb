"""A name spelled letter by letter: « R, O, U, X » or « Roux, R O U X » is « Roux »."""
from __future__ import annotations

import re
from typing import Optional

_LEAD_IN = re.compile(
    r"^(?:(?:euh|alors|donc|oui|bon)\s+)*"
    r"(?:(?:ça|ca|cela)\s+s'[ée]crit|je\s+(?:vous\s+)?l'[ée]pelle|j'[ée]pelle|[ée]pel[ée])?\s*:?\s*",
    re.IGNORECASE,
)
_LETTER = r"[^\W\d_]"
# Two letters or more, each alone, between commas, dots, dashes or spaces.
_SPELLED = re.compile(rf"^(?:{_LETTER}[\s,.;\-]+)+{_LETTER}\.?$")


def spelled_word(text: str) -> Optional[str]:
    """The word spelled in ``text`` (a whole answer, or a word then its spelling after
    a comma), capitalised; None when the answer is not spelled. The spelling wins over
    the word said before it (a bad line mishears words, rarely letters)."""
    said = _LEAD_IN.sub("", (text or "").strip().replace("’", "'")).strip().rstrip("!?")
    for candidate in (said, said.partition(",")[2].strip()):
        if candidate and _SPELLED.match(candidate):
            word = "".join(re.findall(_LETTER, candidate))
            return word[:1].upper() + word[1:].lower()
    return None

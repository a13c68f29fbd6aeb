"""The hesitations and politeness a French caller puts around an answer ("euh", "merci").

Each reader skips a different set, on purpose (measured on its own data):

* :data:`IN_NUMBERS`: dropped before number words are read, so "zéro six euh douze"
  stays one number (:mod:`.numbers`);
* :data:`BEFORE_A_NAME`: lead-ins skipped before a name ("euh alors Martin"), for the
  name slots of the booking form;
* :data:`AROUND_YES_NO`: words that may surround a spoken yes or no ("oui merci
  madame") without making it something else (:mod:`.yes_no`).
"""
from __future__ import annotations

import re

IN_NUMBERS = re.compile(r"\b(?:e+u+h+|h+e+u+|h+u+m+|h*m{2,}|mmh+|bah|ben)\b")
BEFORE_A_NAME = r"(?:e+u+h+|h+u+m+|h+m+|alors|bon|oui|donc|ben(?=\s+(?:je|mon|c'est|moi|il)\b))"
AROUND_YES_NO = (
    "euh", "heu", "hum", "hmm", "mmh", "ah", "oh", "eh", "ben", "bah", "alors", "allô", "allo",
    "merci", "merci beaucoup", "madame", "monsieur", "docteur", "svp", "stp", "bon", "bien",
    "s'il vous plaît", "s'il te plaît", "je pense", "je crois", "eh bien", "et bien",
)

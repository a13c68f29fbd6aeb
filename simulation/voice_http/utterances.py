"""The caller utterances the voice benchmark says, and their synthetic speech."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]

import numpy as np
import yaml

from voice_channel.audio.decode import decode_audio
from voice_channel.audio.pcm import SAMPLE_RATE
from voice_channel.audio.wav import encode_wav
from spoken_french.normalize import normalize_words

LEAD_SILENCE_S, TAIL_SILENCE_S = 0.3, 0.5  # what endpointing leaves around a caller's turn


# --- the utterances ----------------------------------------------------------------------

@dataclass(frozen=True)
class Utterance:
    """One caller turn: what is said, the intent meant, and when in the call it is said.

    ``context`` is the question the bot has just asked (a key of ``CONTEXT_SLOTS``):
    "free" is the start of a call, the others are answers inside the booking form.
    ``intent`` is None for recordings without one (scored for WER only).
    """

    text: str
    intent: Optional[str]
    context: str = "free"
    source: str = "espeak-ng"
    audio_file: Optional[Path] = None


# Phrased like callers, near the training data (data/nlu/*.yml) but never one of its
# sentences: ``training_overlap`` checks it and the report lists any overlap.
UTTERANCES: Tuple[Utterance, ...] = (
    Utterance("allô bonjour, je suis bien au cabinet du docteur Martin ?", "greet"),
    Utterance("oui bonsoir madame", "greet"),
    Utterance("bonjour, je voudrais un rendez-vous avec le docteur Martin", "book_appointment"),
    Utterance("j'aimerais voir un médecin cette semaine si possible", "book_appointment"),
    Utterance("est-ce que je peux avoir une consultation pour mon fils", "book_appointment"),
    Utterance("je voudrais déplacer mon rendez-vous de jeudi", "reschedule_appointment"),
    Utterance("est-ce qu'on peut décaler ma consultation à la semaine prochaine",
              "reschedule_appointment"),
    Utterance("j'ai un empêchement, il faut changer la date de mon rendez-vous",
              "reschedule_appointment"),
    Utterance("je voudrais annuler mon rendez-vous de demain", "cancel_appointment"),
    Utterance("je ne pourrai pas venir lundi, vous pouvez l'annuler", "cancel_appointment"),
    Utterance("c'est pour annuler la consultation de ma fille", "cancel_appointment"),
    Utterance("à quelle heure ouvre le cabinet le samedi", "ask_opening_hours"),
    Utterance("quels sont vos horaires le mercredi", "ask_opening_hours"),
    Utterance("vous êtes ouverts jusqu'à quelle heure ce soir", "ask_opening_hours"),
    Utterance("je voudrais parler à la secrétaire s'il vous plaît", "ask_human"),
    Utterance("passez-moi une vraie personne", "ask_human"),
    Utterance("merci, au revoir et bonne journée", "goodbye"),
    Utterance("au revoir madame, à bientôt", "goodbye"),
    Utterance("oui c'est parfait", "affirm", "yes_no"),
    Utterance("oui tout à fait", "affirm", "yes_no"),
    Utterance("d'accord, je confirme", "affirm", "yes_no"),
    Utterance("non, ce n'est pas ça", "deny", "yes_no"),
    Utterance("non merci, pas ce jour-là", "deny", "yes_no"),
    Utterance("mardi prochain à dix heures", "inform", "date"),
    Utterance("jeudi après-midi vers quinze heures", "inform", "date"),
    Utterance("demain matin à neuf heures et demie", "inform", "date"),
    Utterance("le douze décembre à onze heures", "inform", "date"),
    Utterance("je m'appelle Lucas Bernard", "inform", "name"),
    Utterance("sept un neuf quatre zéro six", "inform", "patient_id"),
    Utterance("zéro sept quatre-vingt-un vingt-deux trente-trois quarante-quatre", "inform",
              "phone"),
)

# The booking form's slot the bot asks for in each context (None: no form running).
CONTEXT_SLOTS: Dict[str, Optional[str]] = {
    "free": None, "name": "last_name", "patient_id": "patient_id", "phone": "phone_number",
    "date": "booking_time", "yes_no": "booking_confirmed",
}
CONTEXT_ORDER = ("name", "patient_id", "phone", "date", "yes_no")
BOOKING_REQUEST = "je voudrais prendre un rendez-vous"
CALLER_LAST_NAME, CALLER_FIRST_NAME = "Lefebvre", "Camille"


def load_recordings(folder: Path) -> Tuple[Utterance, ...]:
    """Real recordings listed in ``folder/manifest.json``: a list of
    ``{"file": "a.wav", "text": "what is said", "intent": "greet" (optional),
    "context": "free" (optional)}``; any format the channel decodes."""
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        Utterance(entry["text"], entry.get("intent"), entry.get("context", "free"),
                  source="recording", audio_file=folder / entry["file"])
        for entry in entries
    )


def training_overlap(utterances: Sequence[Utterance]) -> List[str]:
    """Utterances that are, once normalised, one of the NLU training examples."""
    annotation = re.compile(r"\[([^\]]+)\]\([^)]*\)")
    examples = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.add(normalize_words(annotation.sub(r"\1", line[2:])))
    return [u.text for u in utterances if normalize_words(u.text) in examples]


# --- audio --------------------------------------------------------------------------------

@dataclass
class SpokenUtterance:
    """An utterance with its audio: the WAV uploaded and the 16 kHz samples it decodes to."""

    utterance: Utterance
    wav: bytes
    samples: np.ndarray

    @property
    def audio_seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def synthesize(utterances: Sequence[Utterance],
               voice: Optional[str] = None) -> List[SpokenUtterance]:
    """espeak-ng speech in ``voice`` (default: the tests' best French voice and rate)
    with silence around it, as a 16 kHz WAV; recordings are uploaded as they are."""
    from simulation.synthetic_audio import BEST_VOICE, speech_16k

    spoken = []
    for utterance in utterances:
        if utterance.audio_file is not None:
            wav = utterance.audio_file.read_bytes()
        else:
            wav = encode_wav(speech_16k(utterance.text, voice or BEST_VOICE,
                                        lead_silence=LEAD_SILENCE_S,
                                        tail_silence=TAIL_SILENCE_S), SAMPLE_RATE)
        spoken.append(SpokenUtterance(utterance, wav, decode_audio(wav).samples))
    return spoken

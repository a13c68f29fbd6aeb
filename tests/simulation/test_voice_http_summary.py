"""simulation/voice_http/summary.py: the per-hint figures of the voice bench, and what
counts as a sentence cut by a hint."""
from __future__ import annotations

from simulation.voice_http.summary import cut_short, summarize_by_hint


def row(text, transcript, hint="free", intent_ok=True, wer=0.0):
    return {"text": text, "transcript": transcript, "hint": {"expected": hint},
            "intent_ok": intent_ok, "wer": wer}


def test_a_transcript_that_lost_words_at_its_start_or_end_is_cut():
    assert cut_short(row("je souhaite annuler mon rendez-vous de demain", "de demain."))
    assert cut_short(row("au revoir et bonne journée", "au revoir"))
    assert not cut_short(row("au revoir et bonne journée", "Au revoir, et bonne journée !"))
    assert not cut_short(row("mardi à dix heures", "mardi à 10 h"))
    # a word heard wrong in place is the WER's business, not a cut
    assert not cut_short(row("jeudi après-midi vers quinze heures",
                             "Je dis après mes divers 15 heures."))
    assert not cut_short(row("passez-moi une vraie personne", "C'est moi une vraie personne."))


def test_refusals_short_answers_and_snapping_are_not_cuts():
    assert not cut_short(dict(row("je voudrais annuler mon rendez-vous", ""),
                              rejected="low_confidence"))
    assert not cut_short(row("oui", ""))
    assert not cut_short(row("non merci, pas ce jour-là", "non", "yes_no"))
    assert cut_short(row("non merci, pas ce jour-là", "non merci", "free"))
    assert not cut_short(row("sept un neuf quatre zéro six", "719406", "patient_id"))


def test_figures_per_hint():
    summary = summarize_by_hint([
        row("oui", "oui", "yes_no", True, 0.0),
        row("non merci, pas ce jour-là", "non merci", "yes_no", False, 0.5),
        row("je voudrais annuler mon rendez-vous", "je voudrais annuler mon rendez-vous"),
    ])
    assert summary["yes_no"] == {"turns": 2, "wer_mean": 0.25, "intent_share": 0.5,
                                 "cut": [("non merci, pas ce jour-là", "non merci")]}
    assert summary["free"]["cut"] == [] and summary["free"]["intent_share"] == 1.0

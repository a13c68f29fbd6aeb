"""bench/hint_wer.py (simulation/hint_wer/): what counts as a cut sentence, when a hint
is kept, the spoken answers it says (at least 40 per hint, none twice, asked as the bot
asks), and one small run on the real Whisper model and MBROLA voice."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simulation.hint_wer.answers import (
    MIN_SENTENCES, SPOKEN_ANSWERS, HintGroup, hint_for_question, load_spoken_answers,
)
from simulation.hint_wer.conditions import (
    BASELINE, HINT, NO_HINT, PROMPT_ONLY, conditions_for, hear, measure_sentence,
)
from simulation.hint_wer.cuts import cut_sides, dropped_words
from simulation.hint_wer.measure import measure_hint_wer
from simulation.hint_wer.verdicts import (
    DROP, KEEP, KEEP_PROMPT_DROP_HOTWORDS, group_verdict, is_kept, verdicts,
)
from tests.conftest import skip_or_fail
from voice_channel.stt.hints import (
    EXPECTED_KINDS, Prompting, RecognitionHint, candidate_prompting, prompting_for,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WHISPER_BASE = PROJECT_ROOT / "models" / "whisper-base"
CUT = "je souhaite annuler mon rendez-vous de demain"


# --- cuts ------------------------------------------------------------------------------------

def test_a_transcript_that_goes_on_after_the_hotword_is_cut_at_its_start():
    """The bug that made the rule: « de demain. » for a seven-word request."""
    assert dropped_words(CUT, "de demain.") == (6, 0)
    assert cut_sides(CUT, "de demain.", baseline="Je souhaite annuler mon rendez-vous demain.") \
        == ["start"]
    assert dropped_words(CUT, "Je souhaite annuler.") == (0, 5)
    assert cut_sides(CUT, "Je souhaite annuler.", baseline=CUT) == ["end"]
    assert cut_sides(CUT, "", baseline=CUT) == ["start", "end"]  # lost altogether


def test_misheard_or_shorter_words_are_not_cuts():
    # Words heard wrong in place are substitutions: the WER counts them, not the cut.
    assert dropped_words(CUT, "Jeux souhaitent annuler mon rendez-vous de demain") == (0, 0)
    assert cut_sides("Mardi prochain vers dix heures.", "Mardi proche un vert diseur.",
                     baseline="Mardi prochain vers 10 heures.") == []
    # One word lost at an edge is within what a synthetic voice loses anyway.
    assert cut_sides(CUT, "souhaite annuler mon rendez-vous de demain", baseline=CUT) == []
    # Words added before (a copied prompt) drop nothing.
    assert dropped_words(CUT, "Bonjour, " + CUT) == (0, 0)
    # Nothing in common: wrong, not cut.
    assert dropped_words(CUT, "merci au revoir") == (0, 0)
    # Numbers are compared as digits, however they were written.
    assert dropped_words("zéro six, douze, trente-quatre", "06 12 34") == (0, 0)


def test_a_refused_answer_is_not_a_cut():
    """A refusal is re-asked: no word is silently lost. Its WER counts it as nothing heard."""
    from voice_channel.stt.base import Transcript

    class RefusesWithTheHint:
        def transcribe(self, samples, hint):
            import voice_channel.stt.whisper as whisper_module

            prompted = whisper_module.prompting_for(hint) != Prompting()
            return Transcript(text="" if prompted else CUT, engine="fake", model="fake",
                              raw_text="de demain", rejected_reason="low_confidence"
                              if prompted else None)

    hint = hint_for_question("date", "Quel jour ?")
    heard = measure_sentence(RefusesWithTheHint(), None, CUT, hint)
    assert heard[HINT]["rejected"] == "low_confidence" and heard[HINT]["cut"] == []
    assert heard[HINT]["wer"] == 1.0 and heard[NO_HINT]["wer"] == 0.0


def test_a_cut_is_counted_against_what_no_hint_heard():
    # The no-hint transcript lost the start too: the hint did not cut it.
    assert cut_sides(CUT, "de demain.", baseline="De demain !") == []
    assert cut_sides(CUT, "de demain.", baseline="vous de demain") == []  # one word more
    assert cut_sides(CUT, "de demain.", baseline="mon rendez-vous de demain") == ["start"]
    # Short answers can be wrong, never cut.
    assert cut_sides("Le premier.", "", baseline="Le premier.") == []
    assert cut_sides("Jeudi après-midi.", "midi", baseline="Jeudi après-midi.") == ["start"]


# --- the verdict -----------------------------------------------------------------------------

def test_a_hint_is_kept_only_if_it_lowers_the_wer_in_every_voice_and_cuts_nothing():
    base = {"mb-fr1": 0.20, "mb-fr4": 0.30}
    assert is_kept({"mb-fr1": 0.10, "mb-fr4": 0.25}, base, cuts=0)
    assert not is_kept({"mb-fr1": 0.10, "mb-fr4": 0.25}, base, cuts=1)
    assert not is_kept({"mb-fr1": 0.10, "mb-fr4": 0.30}, base, cuts=0)  # equal is no gain
    assert not is_kept({"mb-fr1": 0.05, "mb-fr4": 0.31}, base, cuts=0)  # one voice worse
    assert not is_kept({"mb-fr1": 0.10}, base, cuts=0)  # a voice not measured
    assert not is_kept({}, {}, cuts=0)


def cell(wer: float, cuts: int = 0):
    return {"n": 40, "wer_mean": wer, "wer_median": wer, "wer_channel_mean": wer,
            "rejected": 0, "cut": [{"sentence": CUT, "sides": ["start"], "heard": "de demain",
                                    "no_hint_heard": CUT}] * cuts}


def voices(**per_voice):
    """voices(fr1={"hint": cell(…), …}, …) → results of one group."""
    return {f"mb-{voice}": cells for voice, cells in per_voice.items()}


def test_hotwords_are_kept_only_when_they_help_beyond_the_prompt():
    helps = voices(fr1={HINT: cell(0.10), PROMPT_ONLY: cell(0.15), NO_HINT: cell(0.20)},
                   fr4={HINT: cell(0.20), PROMPT_ONLY: cell(0.25), NO_HINT: cell(0.30)})
    assert group_verdict(helps)["recommendation"] == KEEP
    useless = voices(fr1={HINT: cell(0.15), PROMPT_ONLY: cell(0.10), NO_HINT: cell(0.20)},
                     fr4={HINT: cell(0.20), PROMPT_ONLY: cell(0.20), NO_HINT: cell(0.30)})
    verdict = group_verdict(useless)
    assert verdict[HINT]["kept"] and verdict[PROMPT_ONLY]["kept"]
    assert verdict["recommendation"] == KEEP_PROMPT_DROP_HOTWORDS
    cutting = voices(fr1={HINT: cell(0.05, cuts=1), PROMPT_ONLY: cell(0.10), NO_HINT: cell(0.20)},
                     fr4={HINT: cell(0.05), PROMPT_ONLY: cell(0.10), NO_HINT: cell(0.30)})
    verdict = group_verdict(cutting)
    assert not verdict[HINT]["kept"] and verdict[HINT]["cuts"] == 1
    assert verdict["recommendation"] == KEEP_PROMPT_DROP_HOTWORDS
    worse = voices(fr1={HINT: cell(0.25), PROMPT_ONLY: cell(0.22), NO_HINT: cell(0.20)},
                   fr4={HINT: cell(0.20), PROMPT_ONLY: cell(0.25), NO_HINT: cell(0.30)})
    assert group_verdict(worse)["recommendation"] == DROP


def test_a_prompt_without_hotwords_is_kept_or_dropped():
    kept = voices(fr1={HINT: cell(0.1), NO_HINT: cell(0.2)},
                  fr4={HINT: cell(0.1), NO_HINT: cell(0.2)})
    assert group_verdict(kept)["recommendation"] == KEEP and PROMPT_ONLY not in group_verdict(kept)
    dropped = voices(fr1={HINT: cell(0.1), NO_HINT: cell(0.2)},
                     fr4={HINT: cell(0.3), NO_HINT: cell(0.2)})
    assert group_verdict(dropped)["recommendation"] == DROP


def test_a_kind_is_kept_only_if_kept_for_each_of_its_questions():
    good = voices(fr1={HINT: cell(0.1), PROMPT_ONLY: cell(0.15), NO_HINT: cell(0.2)})
    bad = voices(fr1={HINT: cell(0.3), PROMPT_ONLY: cell(0.15), NO_HINT: cell(0.2)})
    result = verdicts({"date": good, "choices": bad, "phone": voices(
        fr1={HINT: cell(0.1), NO_HINT: cell(0.2)})},
        {"date": "date", "choices": "date", "phone": "phone"})
    assert result["by_group"]["date"]["recommendation"] == KEEP
    assert result["by_group"]["choices"]["recommendation"] == KEEP_PROMPT_DROP_HOTWORDS
    date = result["by_kind"]["date"]
    assert date["groups"] == ["date", "choices"]
    assert date["hint_kept"] is False and date["prompt_only_kept"] is True
    assert date["recommendation"] == KEEP_PROMPT_DROP_HOTWORDS
    assert result["by_kind"]["phone"]["recommendation"] == KEEP


# --- the spoken answers ----------------------------------------------------------------------

def test_every_hint_kind_has_40_different_answers_to_the_bots_own_question():
    groups = load_spoken_answers()
    by_name = {g.name: g for g in groups}
    assert {g.kind for g in groups} == set(EXPECTED_KINDS)
    assert by_name["choices"].kind == "date"  # the offer of slots expects a date
    for group in groups:
        assert len(group.sentences) >= MIN_SENTENCES, group.name
        assert len(set(s.lower() for s in group.sentences)) == len(group.sentences), group.name
        assert group.hint.question  # hint_from_reply keeps the bot's words
    assert by_name["patient_id"].hint.digits == 6  # as clinic.yml says, as in a call
    # The domain's questions, word for word (the others are written by the actions).
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    asked = {r["metadata"]["expect"]: r["text"] for responses in domain["responses"].values()
             for r in responses if (r.get("metadata") or {}).get("expect") in
             ("name", "first_name", "patient_id", "phone")}
    for kind, question in asked.items():
        assert by_name[kind].hint.question == question, kind
    assert by_name["free"].hint.question == domain["responses"]["utter_greet"][0]["text"]
    booking = (PROJECT_ROOT / "actions" / "booking.py").read_text(encoding="utf-8")
    assert f'"{by_name["date"].hint.question}"' in booking
    assert by_name["choices"].hint.question.startswith("Je peux vous proposer")
    assert by_name["yes_no"].hint.question.startswith("Je récapitule :")


def test_the_loader_refuses_too_few_or_repeated_sentences(tmp_path):
    def write(sentences, kind="date"):
        path = tmp_path / "answers.yml"
        path.write_text(yaml.safe_dump({"g": {"kind": kind, "question": "Quel jour ?",
                                              "sentences": sentences}}, allow_unicode=True),
                        encoding="utf-8")
        return path

    many = [f"Le {n} à {n} heures." for n in range(40)]
    assert len(load_spoken_answers(write(many))[0].sentences) == 40
    with pytest.raises(ValueError, match="at least 40"):
        load_spoken_answers(write(many[:39]))
    with pytest.raises(ValueError, match="said twice"):
        load_spoken_answers(write(many + ["le 3, à 3 heures"]))
    with pytest.raises(ValueError, match="kind"):
        load_spoken_answers(write(many, kind="choices"))


def test_the_conditions_differ_only_in_prompting():
    date = hint_for_question("date", "Quel jour et à quelle heure souhaitez-vous venir ?")
    conditions = conditions_for(date)
    assert list(conditions) == [HINT, PROMPT_ONLY, NO_HINT]
    assert conditions[HINT] == candidate_prompting(date) and conditions[HINT].hotwords
    assert conditions[PROMPT_ONLY] == Prompting(initial_prompt=date.question)
    assert conditions[NO_HINT] == Prompting()
    phone = hint_for_question("phone", "Quel est votre numéro de téléphone ?")
    assert list(conditions_for(phone)) == [HINT, NO_HINT]  # no hotwords: no prompt-only


def test_hear_swaps_the_prompting_and_keeps_the_text_before_snapping():
    """The recognizer gets the condition's prompting, and its snapping is left to the
    bench: what was heard is scored, the channel's text is reported beside it."""
    import voice_channel.stt.whisper as whisper_module
    from voice_channel.stt.base import Transcript

    class Recorder:
        def __init__(self):
            self.seen = []

        def transcribe(self, samples, hint):
            self.seen.append(whisper_module.prompting_for(hint))
            text, _ = whisper_module.postprocess("Oui, tout à fait.", hint)
            return Transcript(text=text, engine="fake", model="fake", raw_text=text)

    recorder, hint = Recorder(), RecognitionHint("yes_no", question="Je confirme ?")
    heard = hear(recorder, None, hint, Prompting())
    assert recorder.seen == [Prompting()]
    assert heard["heard"] == "Oui, tout à fait." and heard["channel"] == "oui"
    hear(recorder, None, hint, prompting_for(hint))
    assert recorder.seen[-1] == Prompting(initial_prompt="Je confirme ?")
    assert whisper_module.prompting_for is prompting_for  # restored


# --- a small real run ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def whisper():
    if not (WHISPER_BASE / "model.bin").is_file():
        skip_or_fail(f"{WHISPER_BASE}/model.bin is absent: "
                     "run `python scripts/fetch_whisper_base.py`")
    from voice_channel.stt.whisper import WhisperRecognizer

    recognizer = WhisperRecognizer(str(WHISPER_BASE))
    recognizer.load()
    return recognizer


def test_a_small_run_on_the_real_model(whisper):
    from simulation.synthetic_audio import CALLER_VOICE, require_caller_voice

    voice = require_caller_voice(CALLER_VOICE)
    date = next(g for g in load_spoken_answers(SPOKEN_ANSWERS) if g.name == "date")
    sentences = ("Jeudi après-midi.",
                 "Je voudrais venir jeudi matin avec ma fille, vers neuf heures.")
    assert set(sentences) <= set(date.sentences)
    measured = measure_hint_wer(whisper, [HintGroup("date", date.hint, sentences)], [voice])
    assert [(r["sentence"], r["voice"]) for r in measured["rows"]] == [
        (s, voice) for s in sentences]
    for row in measured["rows"]:
        assert set(row["conditions"]) == {HINT, PROMPT_ONLY, NO_HINT}
        for result in row["conditions"].values():
            assert 0 <= result["wer"] <= 2 and isinstance(result["cut"], list)
        assert row["conditions"][BASELINE]["heard"], row  # clear speech is heard at all
    cells = measured["results"]["date"][voice]
    assert {c: cells[c]["n"] for c in cells} == {HINT: 2, PROMPT_ONLY: 2, NO_HINT: 2}
    verdict = measured["verdicts"]["by_group"]["date"]
    assert verdict["recommendation"] in (KEEP, KEEP_PROMPT_DROP_HOTWORDS, DROP)
    assert measured["verdicts"]["by_kind"]["date"]["groups"] == ["date"]


def test_the_shipped_hints_are_the_ones_the_bench_kept():
    """voice_channel.stt.hints.PROMPTED_KINDS follows the last full run of the bench
    (bench/results/hint_wer.json): a kind is prompted only if its verdict was keep."""
    from voice_channel.stt.hints import PROMPTED_KINDS

    report = json.loads((PROJECT_ROOT / "bench" / "results" / "hint_wer.json").read_text())
    kept = {kind for kind, verdict in report["verdicts"]["by_kind"].items()
            if verdict["recommendation"] == KEEP}
    assert set(PROMPTED_KINDS) == kept

"""The voice benchmark's figures, summarised from its measured rows."""
from __future__ import annotations

import statistics
from typing import Any, Dict, List, Sequence

from simulation.latency import latency_summary
from simulation.speech_scoring import share
from simulation.voice_http.recognition_steps import RECOGNITION_CONFIGS

THREE_SECOND_CLASS = (2.5, 3.5)  # uploaded audio seconds, silences around the speech included
REPLY_READY_TARGET_MS = 1200.0  # the aim for a ~3 s utterance, p50, on 2 cores
INTENT_SHARE_TARGET = 0.9


# --- summary ------------------------------------------------------------------------------

def summarize_http(rows: Sequence[Dict[str, Any]], vad_ms: Sequence[float]) -> Dict[str, Any]:
    stages: Dict[str, Any] = {}
    for stage in ("decode", "stt", "rasa", "tts"):
        stages[stage] = latency_summary([r["timings_ms"][stage] for r in rows
                                         if stage in r["timings_ms"]])
    if vad_ms:
        stages["vad (in process, inside stt)"] = latency_summary(vad_ms)
    stages["server total"] = latency_summary([r["server_total_ms"] for r in rows])
    stages["reply audio ready (client)"] = latency_summary([r["reply_ready_ms"] for r in rows])
    low, high = THREE_SECOND_CLASS
    three = [r for r in rows if low <= r["audio_seconds"] <= high]
    # A rejected turn skips Rasa (the caller hears a re-prompt): the target is judged on
    # the turns that reached Rasa, the slower and the meaningful ones.
    three_accepted = [r for r in three if not r["rejected"]]
    three_ready = latency_summary([r["reply_ready_ms"] for r in three_accepted])
    scored = [r for r in rows if r["intent_ok"] is not None]
    by_intent: Dict[str, List[bool]] = {}
    for r in scored:
        by_intent.setdefault(r["intent"], []).append(r["intent_ok"])
    intent_share = share([r["intent_ok"] for r in scored])
    return {
        "turns": len(rows),
        "stages_ms": stages,
        "three_second_class": {
            "audio_seconds": list(THREE_SECOND_CLASS),
            "utterances": sorted({r["text"] for r in three}),
            "reply_ready_ms": three_ready,
            "reply_ready_ms_with_rejected_turns": latency_summary(
                [r["reply_ready_ms"] for r in three]),
            "server_total_ms": latency_summary([r["server_total_ms"] for r in three_accepted]),
            "stt_ms": latency_summary([r["timings_ms"]["stt"] for r in three_accepted]),
            "target_p50_ms": REPLY_READY_TARGET_MS,
            "target_met": bool(three_accepted) and three_ready["p50_ms"] < REPLY_READY_TARGET_MS,
        },
        "wer_mean_transcript": round(statistics.fmean(r["wer"] for r in rows), 3),
        "rejected_turns": sum(1 for r in rows if r["rejected"]),
        # Worse than a re-prompt: a transcript Rasa acts on with the wrong intent.
        "accepted_wrong_intent_turns": sum(1 for r in scored
                                           if not r["rejected"] and not r["intent_ok"]),
        "intent_share": intent_share,
        "intent_share_target": INTENT_SHARE_TARGET,
        "intent_target_met": intent_share is not None and intent_share >= INTENT_SHARE_TARGET,
        "intent_share_by_intent": {k: share(v) for k, v in sorted(by_intent.items())},
        "intent_misses": sorted({(r["text"], r["transcript"], r["predicted_intent"] or "")
                                 for r in scored if not r["intent_ok"]}),
        "contexts_not_reached": sorted({r["text"] for r in rows if not r["context_reached"]}),
    }


def summarize_by_hint(rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per hint the channel used (what the bot had just asked): turns, mean WER of the
    transcript, spoken intent share, and sentences whose transcript lost their first or
    last word (a hint that cuts)."""
    by_hint: Dict[str, List[Dict[str, Any]]] = {}
    for row in rows:
        by_hint.setdefault(row["hint"]["expected"], []).append(row)
    report = {}
    for hint, hinted in sorted(by_hint.items()):
        scored = [r["intent_ok"] for r in hinted if r["intent_ok"] is not None]
        report[hint] = {
            "turns": len(hinted),
            "wer_mean": round(statistics.fmean(r["wer"] for r in hinted), 3),
            "intent_share": share(scored),
            "cut": sorted({(r["text"], r["transcript"]) for r in hinted if cut_short(r)}),
        }
    return report


def cut_short(row: Dict[str, Any]) -> bool:
    """The accepted transcript lost words at the start or the end of what was said, as
    bench/hint_wer.py counts it (:func:`simulation.hint_wer.cuts.dropped_words`, at least
    ``EDGE_WORDS`` more than it heard there; sentences of ``MIN_CUT_WORDS`` words or
    more). A word heard wrong in place is not a cut, a refused turn is re-asked, and an
    answer snapped to « oui »/« non » or digits is the channel's doing, not a cut."""
    from simulation.hint_wer.cuts import EDGE_WORDS, MIN_CUT_WORDS, dropped_words
    from simulation.speech_scoring import wer_words

    said, heard = row["text"], row["transcript"] or ""
    if row.get("rejected") or not heard or len(wer_words(said)) < MIN_CUT_WORDS:
        return False
    if _snapped(row["hint"]["expected"], heard):
        return False
    return max(dropped_words(said, heard)) >= EDGE_WORDS


def _snapped(kind: str, transcript: str) -> bool:
    """Whether ``transcript`` is what the channel sends after snapping
    (voice_channel.stt.hints.postprocess): snapping it again changes nothing."""
    from voice_channel.stt.hints import RecognitionHint, postprocess

    text, snapped = postprocess(transcript, RecognitionHint(kind))
    return snapped is not None and text == transcript


def summarize_steps(steps: Dict[str, Any], http_rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per recognition config: WER, intent share, STT time; and the channel's snapping."""
    rows = steps["rows"]
    scored = [r for r in rows if r["intent"] is not None]
    contextual = [r for r in rows if r["hint"] != "free"]
    configs = {}
    for config in RECOGNITION_CONFIGS:
        results = [r["configs"][config.name] for r in rows]
        configs[config.name] = {
            "description": config.description,
            "wer_mean": round(statistics.fmean(c["wer"] for c in results), 3),
            "wer_mean_unsnapped": round(statistics.fmean(c["wer_unsnapped"] for c in results), 3),
            "intent_share": share([r["configs"][config.name]["intent"] == r["intent"]
                                   for r in scored]),
            "intent_share_in_form_answers": share(
                [r["configs"][config.name]["intent"] == r["intent"] for r in contextual
                 if r["intent"] is not None]),
            "rejected": sum(1 for c in results if c["rejected"]),
            "accepted_wrong_intent": sum(
                1 for r in scored
                if not r["configs"][config.name]["rejected"]
                and r["configs"][config.name]["intent"] != r["intent"]),
            "stt_ms": latency_summary([c["stt_ms"] for c in results]),
        }
    channel = [r["configs"]["channel"] for r in rows]
    # Two steps read off the channel's own recognitions: the text before yes/no and digit
    # snapping (turns the guard accepted), and the guard's rejected texts given to Rasa.
    unsnapped = [(r["intent"], None if c["rejected"] else c["intent_unsnapped"])
                 for r, c in ((r, r["configs"]["channel"]) for r in scored)]
    unguarded = [(r["intent"], c["intent_unsnapped"] if c["rejected"] else c["intent"])
                 for r, c in ((r, r["configs"]["channel"]) for r in scored)]
    for name, description, pairs in (
        ("channel_without_snapping", "the channel's recognition, Rasa given the text before "
         "yes/no and digit snapping", unsnapped),
        ("channel_without_guard", "the channel's recognition, Rasa also given the texts the "
         "guard rejected (low confidence, loops, hallucinations)", unguarded),
    ):
        configs[name] = {
            "description": description,
            "intent_share": share([intended == got for intended, got in pairs]),
            "accepted_wrong_intent": sum(1 for intended, got in pairs
                                         if got is not None and got != intended),
        }
    first_http = {r["index"]: r["transcript"] for r in http_rows if r["repeat"] == 0}
    same = sum(1 for r, c in zip(rows, channel) if first_http.get(r["index"]) == c["text"])
    return {
        "whisper_model": steps["whisper_model"],
        "utterances": len(rows),
        "form_answers": len(contextual),
        "configs": configs,
        "snapped": sum(1 for c in channel if c["snapped"]),
        "same_transcript_as_http": f"{same}/{len(rows)}",
        "audio_mean_seconds": round(statistics.fmean(r["audio_seconds"] for r in rows), 2),
        "speech_mean_seconds_found_by_vad": round(
            statistics.fmean(r["speech_seconds"] for r in rows), 2),
    }

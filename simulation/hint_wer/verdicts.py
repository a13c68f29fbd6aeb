"""The verdict on a recognition hint (:func:`is_kept`): a condition is *kept* only if
its mean WER is lower than the no-hint mean WER in every voice and it cuts no sentence.
Per group and per kind (a kind used by several groups — the date hint answers both
« quel jour ? » and the offer of slots — is kept only if kept in each), with a
recommendation: keep, keep the prompt but drop the hotwords, or drop.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from simulation.hint_wer.conditions import BASELINE, HINT, PROMPT_ONLY

KEEP = "keep"
KEEP_PROMPT_DROP_HOTWORDS = "keep the prompt, drop the hotwords"
DROP = "drop (no prompt, no hotwords)"


def is_kept(means: Mapping[str, float], baseline_means: Mapping[str, float], cuts: int) -> bool:
    """The rule: kept only if the mean WER is lower than the baseline's in every voice
    (the same voices, at least one) and no sentence was cut."""
    if not means or set(means) != set(baseline_means):
        return False
    return cuts == 0 and all(means[v] < baseline_means[v] for v in means)


def _condition_verdict(by_voice: Mapping[str, Mapping[str, Any]], condition: str,
                       baseline: str = BASELINE) -> Optional[Dict[str, Any]]:
    if not all(condition in c for c in by_voice.values()):
        return None
    means = {v: c[condition]["wer_mean"] for v, c in by_voice.items()}
    base = {v: c[baseline]["wer_mean"] for v, c in by_voice.items()}
    cuts = sum(len(c[condition]["cut"]) for c in by_voice.values())
    return {"wer_mean": means, f"{baseline}_wer_mean": base, "cuts": cuts,
            "lower_in_every_voice": bool(means) and all(means[v] < base[v] for v in means),
            "kept": is_kept(means, base, cuts)}


def recommend(hint: Optional[Mapping[str, Any]], prompt_only: Optional[Mapping[str, Any]],
              hotwords_help: bool) -> str:
    """keep / keep the prompt but drop the hotwords / drop, from the condition verdicts
    (``hotwords_help``: the hint's mean WER is lower than the prompt alone's in every
    voice)."""
    hint_kept = bool(hint and hint["kept"])
    if prompt_only is None:  # no hotwords: the hint is its prompt
        return KEEP if hint_kept else DROP
    if hint_kept and hotwords_help:
        return KEEP
    if prompt_only["kept"]:
        return KEEP_PROMPT_DROP_HOTWORDS
    return KEEP if hint_kept else DROP


def group_verdict(by_voice: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The verdict of each condition against no hint, and the recommendation."""
    hint = _condition_verdict(by_voice, HINT)
    prompt_only = _condition_verdict(by_voice, PROMPT_ONLY)
    hotwords_help = False
    if prompt_only is not None:
        hotwords = _condition_verdict(by_voice, HINT, baseline=PROMPT_ONLY)
        hotwords_help = bool(hotwords and hotwords["lower_in_every_voice"])
    verdict = {HINT: hint, "recommendation": recommend(hint, prompt_only, hotwords_help)}
    if prompt_only is not None:
        verdict[PROMPT_ONLY] = prompt_only
        verdict["hotwords_lower_wer_than_prompt_alone"] = hotwords_help
    return verdict


def verdicts(results: Mapping[str, Any], kinds: Mapping[str, str]) -> Dict[str, Any]:
    """Per group (:func:`group_verdict`) and per kind: a kind's condition is kept only if
    kept in each of its groups, and so is its recommendation."""
    by_group = {group: group_verdict(by_voice) for group, by_voice in results.items()}
    by_kind: Dict[str, Any] = {}
    for kind in sorted(set(kinds[g] for g in by_group)):
        names = [g for g in by_group if kinds[g] == kind]
        entry: Dict[str, Any] = {"groups": names}
        for condition in (HINT, PROMPT_ONLY):
            found = [by_group[g].get(condition) for g in names]
            if all(found):
                entry[f"{condition}_kept"] = all(f["kept"] for f in found)
        recommendations = {by_group[g]["recommendation"] for g in names}
        if len(recommendations) == 1:
            entry["recommendation"] = recommendations.pop()
        elif entry.get(f"{PROMPT_ONLY}_kept"):
            entry["recommendation"] = KEEP_PROMPT_DROP_HOTWORDS
        elif entry.get(f"{HINT}_kept"):
            entry["recommendation"] = KEEP
        else:
            entry["recommendation"] = (
                "differs by question: " + "; ".join(
                    f"{g}: {by_group[g]['recommendation']}" for g in names))
        by_kind[kind] = entry
    return {"by_group": by_group, "by_kind": by_kind}

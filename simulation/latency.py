"""Latency figures of the benchmarks: the nearest-rank percentile, and the summaries of
measured times built on it (count, p50, p95, max in milliseconds)."""
from __future__ import annotations

import math
import statistics
from typing import Any, Dict, Sequence


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency(seconds: Sequence[float]) -> Dict[str, Any]:
    """count/p50/p95/max in milliseconds of times measured in seconds (at least one)."""
    ms = sorted(s * 1000 for s in seconds)
    return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(ms[-1], 1)}


def latency_summary(values_ms: Sequence[float]) -> Dict[str, Any]:
    """count/mean/p50/p95/max in milliseconds (nearest-rank percentiles)."""
    ordered = sorted(values_ms)
    if not ordered:
        return {"count": 0}
    return {"count": len(ordered), "mean_ms": round(statistics.fmean(ordered), 1),
            "p50_ms": round(percentile(ordered, 50), 1),
            "p95_ms": round(percentile(ordered, 95), 1), "max_ms": round(ordered[-1], 1)}

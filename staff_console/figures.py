"""Today's figures for the console's header: calls, chats, bookings, transfers,
emergencies, average call length, and conversations per hour as a small inline SVG
bar chart (drawn here: no chart library, no CDN)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Dict, List

from staff_console.conversations import Summary

FIRST_HOUR, LAST_HOUR = 7, 20  # the chart's span, in the clinic's time zone


def today_figures(today: List[Summary], tz) -> Dict:
    calls = [s for s in today if s.channel == "phone"]
    lengths = [s.end - s.start for s in calls]
    per_hour = [0] * (LAST_HOUR - FIRST_HOUR)
    for summary in today:
        hour = datetime.fromtimestamp(summary.start, tz).hour
        if FIRST_HOUR <= hour < LAST_HOUR:
            per_hour[hour - FIRST_HOUR] += 1
    return {
        "calls": len(calls),
        "chats": len(today) - len(calls),
        "bookings": sum("booked" in s.outcomes for s in today),
        "moves": sum("moved" in s.outcomes for s in today),
        "cancellations": sum("cancelled" in s.outcomes for s in today),
        "transfers": sum("transferred" in s.outcomes for s in today),
        "emergencies": sum("emergency" in s.outcomes for s in today),
        "average_call_s": round(sum(lengths) / len(lengths)) if lengths else None,
        "per_hour": per_hour,
        "chart_svg": hourly_chart(per_hour),
    }


def day_bounds(now: datetime) -> tuple:
    """Start and end of ``now``'s day (aware), as Unix times."""
    start = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def hourly_chart(per_hour: List[int], width: int = 390, height: int = 120) -> str:
    """Bars of conversations per hour, with hour labels; only numbers go into the SVG."""
    top = max(per_hour) if per_hour and max(per_hour) else 1
    bar_w = width / max(len(per_hour), 1)
    plot_h = height - 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="Conversations par heure" class="chart">']
    for index, count in enumerate(per_hour):
        x = index * bar_w
        h = round(plot_h * count / top, 1)
        parts.append(f'<rect x="{x + 2:.1f}" y="{plot_h - h:.1f}" width="{bar_w - 4:.1f}" '
                     f'height="{h}" class="bar"><title>{FIRST_HOUR + index} h : {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{plot_h - h - 2:.1f}" '
                         f'text-anchor="middle" class="count">{count}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                     f'class="hour">{FIRST_HOUR + index}h</text>')
    parts.append("</svg>")
    return "".join(parts)

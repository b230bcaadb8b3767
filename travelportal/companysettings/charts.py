"""The provisioning activity chart, drawn on the server as inline SVG.

No chart library and no external service: stacked bars per hour or per day, with a
labelled y axis, a handful of time labels, a tooltip (``<title>``) per bar and a
``role="img"`` description for screen readers. The legend and a data table are HTML in
the template, so they stay readable and selectable.
"""

from __future__ import annotations

import math

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from travelportal.companies.models import Company
from travelportal.provisioning.activity import SERIES, Bucket, activity_buckets

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = {"creates": "#0072B2", "updates": "#009E73", "deactivations": "#CC79A7", "errors": "#D55E00"}

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 44
MAX_X_LABELS = 8


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 4, so the four grid
    lines fall on whole numbers)."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            candidate = step * magnitude
            return candidate if candidate % 4 == 0 else math.ceil(candidate / 4) * 4
    return 10 * magnitude  # pragma: no cover - the loop always returns


def bucket_label(bucket: Bucket, resolution: str, *, long: bool = False) -> str:
    if resolution == "day":
        return bucket.start.strftime("%a %d %b" if long else "%d %b")
    return bucket.start.strftime("%d %b %H:%M" if long else "%H:%M")


def activity_chart_svg(buckets: list[Bucket], resolution: str, *, chart_id: str = "activity-chart") -> SafeString:
    """Stacked bars of creates, updates, deactivations and errors for each bucket."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((b.total for b in buckets), default=0)
    y_max = nice_ceiling(peak)
    slot = plot_w / max(len(buckets), 1)
    bar_w = max(slot * 0.8, 1.0)
    unit = "hour" if resolution == "hour" else "day"
    total = sum(b.total for b in buckets)
    summary = ", ".join(f"{sum(b.counts[key] for b in buckets)} {label.lower()}" for key, label, _ in SERIES)
    desc = (
        f"{len(buckets)} bars, one per {unit}, from {bucket_label(buckets[0], resolution, long=True)} "
        f"to {bucket_label(buckets[-1], resolution, long=True)} UTC. In total: {summary}."
        if buckets
        else "No data."
    )

    parts: list[str] = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
            'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-title">Provisioning activity per {}</title>', chart_id, unit),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, desc),
    ]
    # Horizontal grid lines with their values.
    for i in range(5):
        value = y_max * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
                '<text x="{}" y="{}" class="axis" text-anchor="end" dominant-baseline="middle">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _f(y),
                _f(y),
                LEFT - 6,
                _f(y),
                value,
            )
        )
    # Bars, stacked bottom-up in the legend's order.
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot + (slot - bar_w) / 2
        base = TOP + plot_h
        rects = []
        for key, _, _ in SERIES:
            count = bucket.counts[key]
            if not count:
                continue
            h = plot_h * count / y_max
            base -= h
            rects.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" class="bar-{}"/>',
                    _f(x),
                    _f(base),
                    _f(bar_w),
                    _f(h),
                    COLOURS[key],
                    key,
                )
            )
        if rects:
            tooltip = "; ".join(f"{bucket.counts[key]} {label.lower()}" for key, label, _ in SERIES)
            parts.append(
                format_html(
                    '<g class="bar" data-total="{}"><title>{}: {}</title>{}</g>',
                    bucket.total,
                    bucket_label(bucket, resolution, long=True),
                    tooltip,
                    mark_safe("".join(rects)),  # noqa: S308 - built with format_html above
                )
            )
    # Time labels: at most MAX_X_LABELS, evenly spread.
    every = max(1, math.ceil(len(buckets) / MAX_X_LABELS))
    last_date = None
    for index in range(0, len(buckets), every):
        x = LEFT + index * slot + slot / 2
        start = buckets[index].start
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                _f(x),
                HEIGHT - BOTTOM + 18,
                bucket_label(buckets[index], resolution),
            )
        )
        # Hourly labels also name the day, under the first label of each date.
        if resolution == "hour" and start.date() != last_date:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="axis date" text-anchor="middle">{}</text>',
                    _f(x),
                    HEIGHT - BOTTOM + 34,
                    start.strftime("%d %b"),
                )
            )
        last_date = start.date()
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="baseline"/>',
            LEFT,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
        )
    )
    if total == 0:
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="empty" text-anchor="middle">{}</text>',
                LEFT + plot_w / 2,
                TOP + plot_h / 2,
                escape("No provisioning activity in this period"),
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


def activity_chart(*, company: Company, days: int, resolution: str) -> dict:
    """What the Provisioning activity page shows of the company's last ``days`` days per
    ``resolution`` (hour or day): the SVG chart, the legend's totals and, for screen
    readers and copying, a table of the buckets that had activity."""
    buckets = activity_buckets(company=company, days=days, bucket=resolution)
    return {
        "chart": activity_chart_svg(buckets, resolution),
        "totals": [
            {"key": key, "label": label, "total": sum(b.counts[key] for b in buckets)} for key, label, _ in SERIES
        ],
        "table": [
            {"label": bucket_label(b, resolution, long=True), "counts": [b.counts[key] for key, _, _ in SERIES]}
            for b in buckets
            if b.total
        ],
        "series": SERIES,
        "bucket": resolution,
    }


def _f(value: float) -> str:
    return f"{value:.1f}"

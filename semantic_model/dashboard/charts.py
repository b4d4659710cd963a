"""Inline SVG charts drawn in Python: no chart library, no script, nothing fetched by the browser.

Each bar is a `<rect>` carrying the raw value (`data-value`) and its category (`data-label`), so a test reads the
chart the way it reads a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from semantic_model.dashboard.formats import raw

BAR_HEIGHT = 26
BAR_GAP = 10
LABEL_WIDTH = 150
VALUE_WIDTH = 110
WIDTH = 720


def bar_chart(testid: str, title: str, bars: Sequence[tuple[str, object]], display: Callable[[object], str],
              colour: str = "var(--accent)") -> str:
    """A horizontal bar chart: one bar per (label, value), in the order given, scaled to the largest value."""
    if not bars:
        return (f'<figure class="chart" data-testid="{escape(testid)}"><figcaption>{escape(title)}</figcaption>'
                '<p class="empty">No data</p></figure>')
    largest = max((_number(value) for _, value in bars), default=0.0)
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest if largest > 0 else 0.0
    height = len(bars) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'height="{height}" role="img" aria-label="{escape(title)}">']
    for index, (label, value) in enumerate(bars):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        width = max(_number(value), 0.0) * scale
        text = display(value)
        parts.append(
            f'<g class="bar"><title>{escape(str(label))}: {escape(text)}</title>'
            f'<text class="bar-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT / 2}" text-anchor="end" '
            f'dominant-baseline="central">{escape(str(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.2f}" height="{BAR_HEIGHT}" rx="3" fill="{colour}" '
            f'data-label="{escape(str(label))}" data-value="{escape(raw(value))}"/>'
            f'<text class="bar-value" x="{LABEL_WIDTH + width + 6:.2f}" y="{y + BAR_HEIGHT / 2}" '
            f'dominant-baseline="central">{escape(text)}</text></g>')
    parts.append("</svg>")
    return (f'<figure class="chart" data-testid="{escape(testid)}"><figcaption>{escape(title)}</figcaption>'
            f'{"".join(parts)}</figure>')


def _number(value: object) -> float:
    return 0.0 if value is None else float(value)  # type: ignore[arg-type]

"""Server-rendered SVG charts for the reports: no script, no CDN, printable.

Colours are SVG presentation attributes (allowed by the Content-Security-Policy, unlike inline
style attributes), so a chart looks the same on screen, on paper and without the stylesheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from trainer.vocabulary import DIMENSIONS
from trainer.web.terms import SERVICE_LEVEL_NAMES, scale_title

#: One colour per rubric dimension (colour-blind safe: blue, orange, green of Okabe-Ito).
SERIES_COLOURS = {"empathy": "#0072b2", "validation": "#e69f00", "solution": "#009e73"}
#: The service-level colours of trainer.css (.level-0 ... .level-4).
LEVEL_COLOURS = {0: "#cf222e", 1: "#bc4c00", 2: "#9a6700", 3: "#1a7f37", 4: "#8250df"}
DASHES = {"empathy": "", "validation": "6 3", "solution": "2 3"}


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    ident: str,
    title: str,
    names: Mapping[str, str] | None = None,
    y_max: float = 3,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """A line per series over the labels (a gap where a value is None), y from 0 to y_max; each
    series shown by its name in ``names`` (else its key, capitalised)."""
    shown = {key: (names or {}).get(key) or key.capitalize() for key in series}
    left, right, top, bottom = 34, 28, 14, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(labels)

    def x(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def y(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-title">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    for level in range(int(y_max) + 1):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_n(y(level))}" y2="{_n(y(level))}" '
            f'stroke="#d9e0e7" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{_n(y(level) + 4)}" text-anchor="end" font-size="11" '
            f'fill="#5d6b7a">{level}</text>'
        )
    step = max(1, -(-count // 8))  # at most about eight labels under the axis
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1:
            parts.append(
                f'<text x="{_n(x(i))}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="10" fill="#5d6b7a">{escape(label)}</text>'
            )
    for name, values in series.items():
        colour = SERIES_COLOURS.get(name, "#1d2733")
        dash = f' stroke-dasharray="{DASHES[name]}"' if DASHES.get(name) else ""
        run: list[str] = []
        for i, value in enumerate([*values, None]):
            if value is not None:
                run.append(f"{_n(x(i))},{_n(y(value))}")
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
                run = []
        for i, value in enumerate(values):
            if value is not None:
                tip = f"{shown[name]}, {labels[i]}: {value:.2f}"
                parts.append(
                    f'<circle cx="{_n(x(i))}" cy="{_n(y(value))}" r="3" fill="{colour}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    legend_y = height - 14
    for i, name in enumerate(series):
        colour = SERIES_COLOURS.get(name, "#1d2733")
        lx = left + i * 130
        parts.append(
            f'<line x1="{lx}" x2="{lx + 22}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="3"'
            + (f' stroke-dasharray="{DASHES[name]}"' if DASHES.get(name) else "")
            + f'/><text x="{lx + 28}" y="{legend_y}" font-size="12" fill="#1d2733">'
            f"{escape(shown[name])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def level_bars(counts: Mapping[int, int], *, ident: str, title: str, width: int = 420) -> Markup:
    """Horizontal bars, one per service level 0-4, with the count and share beside each."""
    row, label_w, value_w = 24, 170, 78
    height = row * len(SERVICE_LEVEL_NAMES) + 8
    total = sum(counts.values())
    widest = max(counts.values(), default=0) or 1
    bar_w = width - label_w - value_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart level-bars" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-title">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    for i, (level, lazy_name) in enumerate(SERVICE_LEVEL_NAMES.items()):
        name = str(lazy_name)  # in the reader's language, escaped below as plain text
        n = counts.get(level, 0)
        top = 4 + i * row
        share = f"{100 * n / total:.0f}%" if total else "-"
        parts.append(
            f'<text x="0" y="{top + 15}" font-size="12" fill="#1d2733">'
            f"{level} · {escape(name)}</text>"
            f'<rect x="{label_w}" y="{top + 3}" width="{_n(bar_w * n / widest)}" height="16" '
            f'rx="3" fill="{LEVEL_COLOURS[level]}"><title>{escape(name)}: {n}</title></rect>'
            f'<text x="{width - value_w + 6}" y="{top + 15}" font-size="12" fill="#1d2733">'
            f"{n} ({share})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(points: Sequence, *, ident: str, title: str) -> Markup | None:
    """The weekly trend of the rubric dimensions (TrendPoint list), or None without data."""
    if not points:
        return None
    labels = [p.week.strftime("%d %b") for p in points]
    series = {name: [p.levels[name] for p in points] for name in DIMENSIONS}
    names = {name: scale_title(name) for name in DIMENSIONS}
    return line_chart(labels, series, ident=ident, title=title, names=names)

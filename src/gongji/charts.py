"""Charts drawn on the server as SVG: bar and line charts of (label, int) pairs.

Pure functions from numbers to markup: no JavaScript, nothing fetched, no chart library. Each
chart has a <title> and a <desc> (read by screen readers; the desc lists every value), axes
with labelled ticks, and the values written as text beside the marks, so nothing is told by
colour alone. Values are integers (counts, or fen formatted by `value_text`); coordinates are
floats, rounded to two decimals.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

Data = Sequence[tuple[str, int]]
Format = Callable[[int], str]

WIDTH = 480
HEIGHT = 260
RIGHT, TOP, BOTTOM = 16, 28, 56
MAX_LABELS = 12
"""At most this many category labels under the axis; the rest are thinned (all are in desc)."""
MAX_VALUE_TEXTS = 16
"""Write every value beside its mark up to this many; past it, the thinned labels' only."""
LABEL_SIZE = 13
VALUE_SIZE = 11
CHAR_WIDTH = 7.6
"""About how wide a digit is at font-size 13, to leave room for the tick labels."""


def nice_step(span: int, ticks: int = 4, unit: int = 1) -> int:
    """A round tick step (1, 2 or 5 times a power of ten, at least `unit`) giving about
    `ticks` intervals."""
    raw = max(span / ticks, float(unit))
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return int(m * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True, slots=True)
class Scale:
    """The value axis: from `lo` to `hi` (both multiples of `step`, zero included)."""

    lo: int
    hi: int
    step: int
    top: float
    height: float

    @classmethod
    def of(cls, values: Sequence[int], top: float, height: float, unit: int = 1) -> Scale:
        """`unit`: the smallest step worth a tick (100 for fen: whole yuan)."""
        lo, hi = min(0, *values), max(0, *values)
        if lo == hi:
            hi = lo + unit
        step = nice_step(hi - lo, unit=unit)
        return cls(step * math.floor(lo / step), step * math.ceil(hi / step), step, top, height)

    def y(self, value: int) -> float:
        return self.top + (self.hi - value) * self.height / (self.hi - self.lo)

    def ticks(self) -> list[int]:
        return list(range(self.lo, self.hi + 1, self.step))


def _r(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _frame(uid: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-title {uid}-desc" class="chart-svg" '
        f'font-size="13" font-family="inherit">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]


def _describe(data: Data, value_text: Format, desc: str) -> str:
    listed = "; ".join(f"{label}: {value_text(v)}" for label, v in data)
    return f"{desc} {listed}".strip()


def _empty(uid: str, title: str, desc: str, empty_text: str, width: int) -> str:
    height = 80
    parts = _frame(uid, title, f"{desc} {empty_text}".strip(), width, height)
    parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
                 f'class="empty">{escape(empty_text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _left(scale: Scale, value_text: Format) -> int:
    """Room left of the plot for the longest tick label."""
    longest = max(len(value_text(v)) for v in scale.ticks())
    return max(40, math.ceil(longest * CHAR_WIDTH) + 12)


def _axes(scale: Scale, value_text: Format, left: int, width: int) -> list[str]:
    parts = ['<g class="axis y">']
    for v in scale.ticks():
        y = _r(scale.y(v))
        parts.append(f'<line x1="{left}" x2="{width - RIGHT}" y1="{y}" y2="{y}" '
                     f'stroke="#d0d7de" stroke-width="1"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y}" dy="0.32em" '
                     f'text-anchor="end">{escape(value_text(v))}</text>')
    parts.append("</g>")
    zero = _r(scale.y(0))
    parts.append(f'<line class="axis x" x1="{left}" x2="{width - RIGHT}" y1="{zero}" '
                 f'y2="{zero}" stroke="#57606a" stroke-width="1.5"/>')
    parts.append(f'<line class="axis y" x1="{left}" x2="{left}" y1="{_r(scale.top)}" '
                 f'y2="{_r(scale.top + scale.height)}" stroke="#57606a" stroke-width="1.5"/>')
    return parts


def _text_width(text: str, size: float) -> float:
    """About how wide a text is: a CJK character is square, a Latin one about 0.6 of that."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6
               for ch in text)


@dataclass(frozen=True, slots=True)
class _Labels:
    every: int
    """Label every n-th category."""
    rotated: bool
    """Too wide to sit side by side: written at a slant."""
    bottom: int
    """Room under the plot."""


def _label_layout(data: Data, room: float) -> _Labels:
    every = max(1, math.ceil(len(data) / MAX_LABELS))
    widest = max(_text_width(label, LABEL_SIZE) for label, _ in data)
    if widest <= room * every - 4:
        return _Labels(every, False, BOTTOM)
    return _Labels(every, True, min(160, math.ceil(widest * 0.58 + 28)))


def _labels(data: Data, centre: Callable[[int], float], layout: _Labels, base: float
            ) -> list[str]:
    parts = ['<g class="axis x-labels">']
    y = _r(base + 18)
    for i, (label, _) in enumerate(data):
        if i % layout.every:
            continue
        x = _r(centre(i))
        if layout.rotated:
            parts.append(f'<text class="label" x="{x}" y="{y}" text-anchor="end" '
                         f'transform="rotate(-35 {x} {y})">{escape(label)}</text>')
        else:
            parts.append(f'<text class="label" x="{x}" y="{y}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    parts.append("</g>")
    return parts


def bar_chart(data: Data, *, title: str, desc: str = "", value_text: Format = str,
              empty_text: str = "no data", uid: str = "chart", unit: int = 1,
              width: int = WIDTH, height: int = HEIGHT) -> str:
    """Vertical bars, one per (label, value); negative values hang below the zero line."""
    if not data:
        return _empty(uid, title, desc, empty_text, width)
    scale = Scale.of([v for _, v in data], TOP, height - TOP - BOTTOM, unit)
    left = _left(scale, value_text)
    band = (width - left - RIGHT) / len(data)
    bar_w = band * 0.7

    def centre(i: int) -> float:
        return left + band * i + band / 2

    layout = _label_layout(data, band)
    base = TOP + scale.height
    parts = _frame(uid, title, _describe(data, value_text, desc), width,
                   math.ceil(base + layout.bottom))
    parts += _axes(scale, value_text, left, width)
    size = 12 if len(data) <= 8 else 10
    show_values = len(data) <= MAX_VALUE_TEXTS and max(
        _text_width(value_text(v), size) for _, v in data) <= band * 1.05
    parts.append('<g class="bars">')
    for i, (label, v) in enumerate(data):
        y0, y1 = scale.y(max(v, 0)), scale.y(min(v, 0))
        x = centre(i) - bar_w / 2
        parts.append(f'<rect class="bar" x="{_r(x)}" y="{_r(y0)}" width="{_r(bar_w)}" '
                     f'height="{_r(y1 - y0)}" fill="#0b5cad" data-value="{v}">'
                     f'<title>{escape(label)}: {escape(value_text(v))}</title></rect>')
        if show_values:
            ty = y0 - 4 if v >= 0 else y1 + size + 2
            parts.append(f'<text class="value" x="{_r(centre(i))}" y="{_r(ty)}" '
                         f'text-anchor="middle" font-size="{size}">'
                         f'{escape(value_text(v))}</text>')
    parts.append("</g>")
    parts += _labels(data, centre, layout, base)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(data: Data, *, title: str, desc: str = "", value_text: Format = str,
               empty_text: str = "no data", uid: str = "chart", unit: int = 1,
               width: int = WIDTH, height: int = HEIGHT) -> str:
    """A line through (label, value) points, each point marked; values are written where
    they fit (all of them are in the desc and in each point's title)."""
    if not data:
        return _empty(uid, title, desc, empty_text, width)
    scale = Scale.of([v for _, v in data], TOP, height - TOP - BOTTOM, unit)
    left = _left(scale, value_text)
    plot_w = width - left - RIGHT - 12  # the last point's value text needs a little room
    gap = plot_w / max(len(data) - 1, 1)

    def centre(i: int) -> float:
        return left + 6 + (gap * i if len(data) > 1 else plot_w / 2)

    layout = _label_layout(data, gap)
    base = TOP + scale.height
    parts = _frame(uid, title, _describe(data, value_text, desc), width,
                   math.ceil(base + layout.bottom))
    parts += _axes(scale, value_text, left, width)
    points = " ".join(f"{_r(centre(i))},{_r(scale.y(v))}" for i, (_, v) in enumerate(data))
    parts.append(f'<polyline class="line" points={quoteattr(points)} fill="none" '
                 f'stroke="#0b5cad" stroke-width="2"/>')
    widest = max(_text_width(value_text(v), VALUE_SIZE) for _, v in data)
    every = max(1, math.ceil((widest + 4) / gap)) if len(data) > 1 else 1
    parts.append('<g class="points">')
    for i, (label, v) in enumerate(data):
        x, y = _r(centre(i)), _r(scale.y(v))
        parts.append(f'<circle class="point" cx="{x}" cy="{y}" r="3.5" fill="#fff" '
                     f'stroke="#0b5cad" stroke-width="2" data-value="{v}">'
                     f'<title>{escape(label)}: {escape(value_text(v))}</title></circle>')
        if i % every == 0:
            parts.append(f'<text class="value" x="{x}" y="{_r(scale.y(v) - 8)}" '
                         f'text-anchor="middle" font-size="{VALUE_SIZE}">'
                         f'{escape(value_text(v))}</text>')
    parts.append("</g>")
    parts += _labels(data, centre, layout, base)
    parts.append("</svg>")
    return "".join(parts)

"""Small SVG charts, written by hand so that the same data gives the same bytes.

Coordinates are written with one decimal, there are no ids, no random numbers and no
timestamps; every text is escaped. The charts are inline in the HTML (no file, no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from pipeline.dossier import i18n

CORE = "#1f4e79"
SUPPORTING = "#6a9fcf"
MISSING = "#e3e8ee"
LINE = "#1f4e79"
AXIS = "#8a94a0"
TEXT = "#2b323a"
FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, \'Noto Sans\', \'DejaVu Sans\', \'Liberation Sans\', Arial, sans-serif"'


def coord(x: float) -> str:
    """A coordinate with one decimal, never ``-0.0``."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def svg_text(x: float, y: float, content: str, anchor: str = "start", size: int = 11, weight: str | None = None,
          fill: str = TEXT) -> str:
    w = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{coord(x)}" y="{coord(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{w}>'
            f"{escape(content)}</text>")


@dataclass(frozen=True)
class Bar:
    label: str
    core_reported: int
    core_defined: int
    supporting_reported: int
    supporting_defined: int

    @property
    def defined(self) -> int:
        return self.core_defined + self.supporting_defined

    @property
    def reported(self) -> int:
        return self.core_reported + self.supporting_reported


LABEL_CHARS = 40
"""The longest theme name the coverage chart's label column holds at 12 px."""


def coverage_chart(bars: list[Bar], title: str, legend: tuple[str, str, str]) -> Markup:
    """Horizontal bars, one per theme: the share of its indicators reported, core and supporting."""
    label_w, bar_w, count_w, row_h, top = 270.0, 400.0, 60.0, 22.0, 34.0
    width = label_w + bar_w + count_w
    height = top + row_h * len(bars) + 8
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {coord(width)} {coord(height)}" width="{coord(width)}" '
            f'height="{coord(height)}" role="img" class="chart coverage-chart" {FONT}>'),
           f"<title>{escape(title)}</title>"]
    # legend
    x = label_w
    for colour, text in zip((CORE, SUPPORTING, MISSING), legend):
        if not text:
            continue  # a standard without tiers has no second segment
        out.append(f'<rect x="{coord(x)}" y="6" width="10" height="10" fill="{colour}" stroke="{AXIS}" stroke-width="0.5"/>')
        out.append(svg_text(x + 14, 15, text, size=10))
        x += 14 + 6.2 * len(text) + 16
    for n, b in enumerate(bars):
        y = top + n * row_h
        # a long theme name is shortened to fit its column (the table below gives it whole)
        label = b.label if len(b.label) <= LABEL_CHARS else b.label[:LABEL_CHARS - 1].rstrip() + "…"
        out.append(svg_text(label_w - 8, y + 15, label, anchor="end", size=12))
        if b.defined == 0:
            continue
        unit = bar_w / b.defined
        out.append(f'<rect x="{coord(label_w)}" y="{coord(y + 3)}" width="{coord(bar_w)}" height="{coord(row_h - 6)}" fill="{MISSING}"/>')
        if b.core_reported:
            out.append(f'<rect x="{coord(label_w)}" y="{coord(y + 3)}" width="{coord(unit * b.core_reported)}" height="{coord(row_h - 6)}" fill="{CORE}"/>')
        if b.supporting_reported:
            out.append(f'<rect x="{coord(label_w + unit * b.core_reported)}" y="{coord(y + 3)}" width="{coord(unit * b.supporting_reported)}" '
                       f'height="{coord(row_h - 6)}" fill="{SUPPORTING}"/>')
        out.append(svg_text(label_w + bar_w + 6, y + 15, f"{b.reported}/{b.defined}", size=12))
    out.append("</svg>")
    return Markup("".join(out))


def trend_chart(points: list[tuple[int, Decimal | None]], decimals: int, lang: str, title: str,
                carried: set[int] = frozenset()) -> Markup | None:
    """A small line chart of the reported values by year, with a point on each value and a gap
    where a year has none; None when no year has a value. The years in ``carried`` (a series
    continued from another standard) get a hollow point."""
    values = [(y, v) for y, v in points if v is not None]
    if not values:
        return None
    width, height = 340.0, 120.0
    left, right, top, bottom = 62.0, 14.0, 12.0, 22.0
    years = [y for y, _ in points]
    lo, hi = min(v for _, v in values), max(v for _, v in values)
    span_y = float(hi - lo)
    span_x = max(years[-1] - years[0], 1)

    def px(year: int) -> float:
        if len(years) == 1:
            return left + (width - left - right) / 2
        return left + (year - years[0]) / span_x * (width - left - right)

    def py(v: Decimal) -> float:
        if not span_y:
            return top + (height - top - bottom) / 2
        return top + (float(hi - v) / span_y) * (height - top - bottom)

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {coord(width)} {coord(height)}" width="{coord(width)}" '
            f'height="{coord(height)}" role="img" class="chart trend-chart" {FONT}>'),
           f"<title>{escape(title)}</title>",
           f'<line x1="{coord(left)}" y1="{coord(height - bottom)}" x2="{coord(width - right)}" y2="{coord(height - bottom)}" stroke="{AXIS}" stroke-width="1"/>',
           f'<line x1="{coord(left)}" y1="{coord(top)}" x2="{coord(left)}" y2="{coord(height - bottom)}" stroke="{AXIS}" stroke-width="1"/>',
           ]
    if span_y:
        out.append(svg_text(left - 5, top + 4, i18n.number(hi, lang, decimals), anchor="end", size=10))
        out.append(svg_text(left - 5, height - bottom, i18n.number(lo, lang, decimals), anchor="end", size=10))
    else:
        out.append(svg_text(left - 5, py(lo) + 4, i18n.number(lo, lang, decimals), anchor="end", size=10))
    step = 1 if len(years) <= 8 else 2
    for n, y in enumerate(years):
        if n % step == 0 or n == len(years) - 1:
            out.append(svg_text(px(y), height - 6, str(y), anchor="middle", size=10))
    # the line, broken where a year has no value
    segment: list[str] = []
    segments = []
    for y, v in points:
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{coord(px(y))},{coord(py(v))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}" stroke-width="1.6"/>')
    for y, v in values:
        fill = f'fill="#ffffff" stroke="{LINE}" stroke-width="1.4"' if y in carried else f'fill="{LINE}"'
        out.append(f'<circle cx="{coord(px(y))}" cy="{coord(py(v))}" r="3" {fill}>'
                   f"<title>{escape(f'{y}: {i18n.number(v, lang, decimals)}')}</title></circle>")
    out.append("</svg>")
    return Markup("".join(out))

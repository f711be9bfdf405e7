"""The site's charts across cities, as inline SVG written by hand (same data, same bytes): the
spread of an indicator in the latest year, and its median and quartiles over the years."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from pipeline.dossier import i18n
from pipeline.dossier.charts import AXIS, FONT, LINE, SUPPORTING, coord, svg_text
from pipeline.site.data import Quartiles

BINS = 20


def _open(width: float, height: float, cls: str, title: str) -> list[str]:
    return [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {coord(width)} {coord(height)}" width="{coord(width)}" '
             f'height="{coord(height)}" role="img" class="chart {cls}" {FONT}>'), f"<title>{escape(title)}</title>"]


def _axes(out: list[str], left: float, top: float, right: float, bottom: float) -> None:
    out.append(f'<line x1="{coord(left)}" y1="{coord(bottom)}" x2="{coord(right)}" y2="{coord(bottom)}" stroke="{AXIS}" stroke-width="1"/>')
    out.append(f'<line x1="{coord(left)}" y1="{coord(top)}" x2="{coord(left)}" y2="{coord(bottom)}" stroke="{AXIS}" stroke-width="1"/>')


def distribution_chart(values: list[Decimal], decimals: int, lang: str, title: str, cities_label: str) -> Markup | None:
    """A histogram of the values of one year across cities, in :data:`BINS` equal bins from the
    lowest to the highest value; None without values."""
    if not values:
        return None
    lo, hi = min(values), max(values)
    span = float(hi - lo)
    bins = BINS if span else 1
    counts = [0] * bins
    for v in values:
        k = min(int(float(v - lo) / span * bins), bins - 1) if span else 0
        counts[k] += 1
    width, height, left, right, top, bottom = 640.0, 200.0, 48.0, 16.0, 14.0, 36.0
    top_count = max(counts)
    out = _open(width, height, "distribution-chart", title)
    _axes(out, left, top, width - right, height - bottom)
    bar_w = (width - left - right) / bins
    for k, n in enumerate(counts):
        if not n:
            continue
        h = n / top_count * (height - top - bottom)
        x, y = left + k * bar_w, height - bottom - h
        b_lo = float(lo) + span * k / bins
        b_hi = float(lo) + span * (k + 1) / bins
        tip = f"{i18n.number(Decimal(repr(b_lo)), lang, decimals)} – {i18n.number(Decimal(repr(b_hi)), lang, decimals)}: {n}"
        out.append(f'<rect x="{coord(x + 1)}" y="{coord(y)}" width="{coord(max(bar_w - 2, 1))}" height="{coord(h)}" '
                   f'fill="{SUPPORTING}"><title>{escape(tip)}</title></rect>')
    out.append(svg_text(left - 6, top + 8, str(top_count), anchor="end", size=10))
    out.append(svg_text(left - 6, height - bottom, "0", anchor="end", size=10))
    out.append(svg_text(left, height - bottom + 14, i18n.number(lo, lang, decimals), size=10))
    out.append(svg_text(width - right, height - bottom + 14, i18n.number(hi, lang, decimals), anchor="end", size=10))
    out.append(svg_text(left, height - 4, cities_label, size=10, fill=AXIS))
    out.append("</svg>")
    return Markup("".join(out))


def quartile_chart(years: list[Quartiles], decimals: int, lang: str, title: str) -> Markup | None:
    """The median by year as a line, the band between the first and third quartile, and the
    lowest and highest value as thin marks; None without values."""
    pts = [q for q in years if q.median is not None]
    if not pts:
        return None
    width, height, left, right, top, bottom = 640.0, 220.0, 70.0, 16.0, 14.0, 26.0
    lo = min(q.min for q in pts if q.min is not None)
    hi = max(q.max for q in pts if q.max is not None)
    span_y = float(hi - lo)
    first, last = pts[0].year, pts[-1].year
    span_x = max(last - first, 1)

    def px(year: int) -> float:
        return left + (width - left - right) / 2 if first == last else left + (year - first) / span_x * (width - left - right)

    def py(v: Decimal) -> float:
        return top + (height - top - bottom) / 2 if not span_y else top + float(hi - v) / span_y * (height - top - bottom)

    out = _open(width, height, "quartile-chart", title)
    _axes(out, left, top, width - right, height - bottom)
    out.append(svg_text(left - 6, top + 8, i18n.number(hi, lang, decimals), anchor="end", size=10))
    out.append(svg_text(left - 6, height - bottom, i18n.number(lo, lang, decimals), anchor="end", size=10))
    band = [f"{coord(px(q.year))},{coord(py(q.p75))}" for q in pts] + [f"{coord(px(q.year))},{coord(py(q.p25))}" for q in reversed(pts)]
    if len(pts) > 1:
        out.append(f'<polygon points="{" ".join(band)}" fill="{SUPPORTING}" fill-opacity="0.35" stroke="none"/>')
        out.append(f'<polyline points="{" ".join(f"{coord(px(q.year))},{coord(py(q.median))}" for q in pts)}" '
                   f'fill="none" stroke="{LINE}" stroke-width="1.8"/>')
    step = 1 if len(pts) <= 10 else 2
    for n, q in enumerate(pts):
        x = px(q.year)
        out.append(f'<line x1="{coord(x)}" y1="{coord(py(q.max))}" x2="{coord(x)}" y2="{coord(py(q.min))}" stroke="{AXIS}" '
                   f'stroke-width="1" stroke-dasharray="2 2"/>')
        tip = (f"{q.year}: {i18n.number(q.min, lang, q.min_decimals)} · {i18n.number(q.p25, lang, q.decimals)} · "
               f"{i18n.number(q.median, lang, q.decimals)} · {i18n.number(q.p75, lang, q.decimals)} · "
               f"{i18n.number(q.max, lang, q.max_decimals)}")
        out.append(f'<circle cx="{coord(x)}" cy="{coord(py(q.median))}" r="3.2" fill="{LINE}"><title>{escape(tip)}</title></circle>')
        if n % step == 0 or n == len(pts) - 1:
            out.append(svg_text(x, height - 8, str(q.year), anchor="middle", size=10))
    out.append("</svg>")
    return Markup("".join(out))

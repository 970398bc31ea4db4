"""A small hand-written SVG line chart (no plotting library): log-scaled axes, one line per series."""

from __future__ import annotations

import math
from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
Series = dict[str, list[tuple[float, float]]]


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:  # decades around the data, not a decade more for a value just past a power of ten
        return [10.0**e for e in range(math.floor(math.log10(lo) + 0.02), math.ceil(math.log10(hi) - 0.02) + 1)]
    step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9)))
    if (hi - lo) / step < 3:
        step /= 2
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 2)]


def _fmt(v: float) -> str:
    if v >= 1000:
        return f"{v / 1000:g}k" if v < 1_000_000 else f"{v / 1_000_000:g}M"
    return f"{v:g}"


def panel(series: Series, title: str, xlabel: str, ylabel: str, x0: float, y0: float, width: float,
          height: float, logx: bool = True, logy: bool = True, floor: float | None = None) -> str:
    """SVG elements of one chart at (x0, y0); ``floor`` draws a dashed horizontal reference line."""
    points = [(x, y) for pts in series.values() for x, y in pts if x > 0 and y > 0]
    if floor:
        points.append((points[0][0] if points else 1.0, floor))
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    f = (lambda v: math.log10(v)) if logx else (lambda v: v)
    g = (lambda v: math.log10(v)) if logy else (lambda v: v)
    xt, yt = _ticks(min(xs), max(xs), logx), _ticks(min(ys), max(ys), logy)
    xlo, xhi = f(min(xt[0], min(xs))), f(max(xt[-1], max(xs)))
    ylo, yhi = g(min(yt[0], min(ys))), g(max(yt[-1], max(ys)))
    left, right, top, bottom = x0 + 60, x0 + width - 150, y0 + 30, y0 + height - 45

    def px(v: float) -> float:
        return left + (f(v) - xlo) / ((xhi - xlo) or 1) * (right - left)

    def py(v: float) -> float:
        return bottom - (g(v) - ylo) / ((yhi - ylo) or 1) * (bottom - top)

    out = [f'<text x="{x0 + width / 2 - 75:.0f}" y="{y0 + 18}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>']
    for t in xt:
        if xlo <= f(t) <= xhi:
            out.append(f'<line x1="{px(t):.1f}" y1="{top}" x2="{px(t):.1f}" y2="{bottom}" stroke="#eee"/>')
            out.append(f'<text x="{px(t):.1f}" y="{bottom + 15}" text-anchor="middle" font-size="11">{_fmt(t)}</text>')
    for t in yt:
        if ylo <= g(t) <= yhi:
            out.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{right}" y2="{py(t):.1f}" stroke="#eee"/>')
            out.append(f'<text x="{left - 5}" y="{py(t) + 4:.1f}" text-anchor="end" font-size="11">{_fmt(t)}</text>')
    out.append(f'<text x="{(left + right) / 2:.0f}" y="{bottom + 35}" text-anchor="middle" font-size="12">{escape(xlabel)}</text>')
    out.append(f'<text x="{x0 + 14}" y="{(top + bottom) / 2:.0f}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 {x0 + 14} {(top + bottom) / 2:.0f})">{escape(ylabel)}</text>')
    legend_y = top + 5
    if floor:
        out.append(f'<line x1="{left}" y1="{py(floor):.1f}" x2="{right}" y2="{py(floor):.1f}" stroke="#555" '
                   'stroke-dasharray="5,4"/>')
        out.append(f'<line x1="{right + 10}" y1="{legend_y:.0f}" x2="{right + 30}" y2="{legend_y:.0f}" stroke="#555" '
                   f'stroke-dasharray="5,4"/><text x="{right + 35}" y="{legend_y + 4:.0f}" font-size="11">floor (real index)</text>')
        legend_y += 16
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        pts = sorted((x, y) for x, y in pts if x > 0 and y > 0)
        if not pts:
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts)
        out.append(f'<line x1="{right + 10}" y1="{legend_y:.0f}" x2="{right + 30}" y2="{legend_y:.0f}" stroke="{colour}" '
                   f'stroke-width="2"/><text x="{right + 35}" y="{legend_y + 4:.0f}" font-size="11">{escape(name)}</text>')
        legend_y += 16
    return "\n".join(out)


def figure(panels: list[str], width: float, height: float, caption: str = "") -> str:
    body = "\n".join(panels)
    cap = f'<text x="10" y="{height - 8}" font-size="11" fill="#555">{escape(caption)}</text>' if caption else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n{cap}\n</svg>\n')

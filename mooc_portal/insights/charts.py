"""Charts as accessible SVG drawn on the server with leather.

Leather writes plain SVG with presentation attributes only (no ``<script>``, no ``<style>``,
no ``style=""``), so a chart is inlined in the page under the strict Content Security Policy
as it comes. This module adds what a screen reader needs (``role="img"``, a ``<title>`` and a
``<desc>`` named by ``aria-labelledby``), makes the drawing scale with its box (``viewBox``),
and sets the portal's font and text colour (leather's grey labels are below AA contrast).
Every chart stands beside a table with the same figures (the template's ``figure`` macro).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import leather
from markupsafe import Markup

SVG = "http://www.w3.org/2000/svg"
PALETTE = ("#1d4f91", "#b4461b", "#2e6b30", "#6b2d8c", "#8a5a00")
"""Series colours, each at least 3:1 against the white plot (WCAG's non-text contrast)."""
TEXT_COLOUR = "#2b2b2b"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
WIDTH = 720


@dataclass(frozen=True)
class Chart:
    """What to draw: ``bars`` (one series, a horizontal bar per label) or ``lines`` (one line
    per series over months ``YYYY-MM``)."""

    kind: Literal["bars", "lines"]
    labels: list[str]
    series: list[tuple[str, Sequence[float]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for _name, values in self.series for v in values)


def render_svg(chart: Chart, *, ident: str, title: str, description: str) -> Markup:
    """The chart as an inline ``<svg>`` element named by its title and description."""
    drawing = leather.Chart()
    if chart.kind == "lines":
        months = [date(int(m[:4]), int(m[5:7]), 1) for m in chart.labels]
        for position, (name, values) in enumerate(chart.series):
            drawing.add_line(
                list(zip(months, values, strict=True)),
                name=name,
                stroke_color=PALETTE[position % len(PALETTE)],
                width=2,
            )
        drawing.add_x_axis(tick_formatter=lambda d, _i, _n: d.strftime("%Y-%m"))
        height = 320
    else:
        name, values = chart.series[0]
        rows = list(zip(values, chart.labels, strict=True))
        drawing.add_bars(list(reversed(rows)), name=name, fill_color=PALETTE[0])
        height = max(140, 26 * len(rows) + 70)
    tree = ET.fromstring(drawing.to_svg(width=WIDTH, height=height))
    for text in tree.iter(f"{{{SVG}}}text"):
        text.set("font-family", FONT)
        text.set("fill", TEXT_COLOUR)
    for rect in tree.iter(f"{{{SVG}}}rect"):
        if rect.get("fill") == "#f9f9f9":
            rect.set("fill", "#ffffff")
    svg = ET.Element(
        f"{{{SVG}}}svg",
        {
            "viewBox": f"0 0 {WIDTH} {height}",
            "class": "mooc-chart",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "focusable": "false",
        },
    )
    ET.SubElement(svg, f"{{{SVG}}}title", {"id": f"{ident}-title"}).text = title
    ET.SubElement(svg, f"{{{SVG}}}desc", {"id": f"{ident}-desc"}).text = description
    svg.extend(list(tree))
    ET.register_namespace("", SVG)
    return Markup(ET.tostring(svg, encoding="unicode"))  # ElementTree escaped the text


def cached_svg(chart: Chart, *, ident: str, title: str, description: str) -> Markup:
    """:func:`render_svg`, kept in the portal's cache under a hash of everything drawn (the
    figures, the names, the title): the same figures are drawn once."""
    from mooc_portal.caching import portal_cache

    drawn = repr((chart, ident, title, description))
    key = "insights-svg:" + hashlib.sha256(drawn.encode()).hexdigest()[:40]
    cache = portal_cache()
    svg = cache.get(key)
    if svg is None:
        svg = str(render_svg(chart, ident=ident, title=title, description=description))
        cache.set(key, svg, timeout=24 * 3600)
    return Markup(svg)  # drawn by render_svg, which escaped every text

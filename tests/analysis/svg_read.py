"""Reading numbers back out of the report's SVG files (matplotlib's SVG, text kept as text).

An axis is recovered from its tick marks: each ``<g id="ytick_N">`` holds the tick's
``<use ... y="...">`` and its label's ``<text>``; two labelled ticks give the map from SVG
coordinates to data (through log10 on a logarithmic axis).
Marks carry ids ``<kind>:<method>:<column>`` (see ``c2kd_analyze.analysis.plots``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

NS = {"svg": "http://www.w3.org/2000/svg"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _groups(root: ET.Element, prefix: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{{{NS['svg']}}}g") if g.get("id", "").startswith(prefix)]


def axis_map(svg: str, axis: str = "y", *, log: bool = False) -> Callable[[float], float]:
    """SVG coordinate -> data value along the (single) ``axis`` ("x" or "y") of ``svg``, linear or
    logarithmic, from its labelled ticks (unlabelled minor ticks are skipped)."""
    import math

    root = ET.fromstring(svg)
    ticks = []
    for tick in _groups(root, f"{axis}tick_"):
        text = next(tick.iter(f"{{{NS['svg']}}}text"), None)
        label = "".join(text.itertext()).replace("−", "-").strip() if text is not None else ""
        if label:
            use = next(tick.iter(f"{{{NS['svg']}}}use"))
            value = float(label)
            ticks.append((float(use.get(axis, "nan")), math.log10(value) if log else value))
    assert len(ticks) >= 2 and ticks[0][0] != ticks[-1][0], ticks
    (c0, v0), (c1, v1) = ticks[0], ticks[-1]

    def to_data(c: float) -> float:
        v = v0 + (c - c0) * (v1 - v0) / (c1 - c0)
        return 10**v if log else v

    return to_data


def marks(svg: str, kind: str) -> dict[tuple[str, str], ET.Element]:
    """``(method, column) -> the <g>`` of every mark ``<kind>:<method>:<column>``."""
    root = ET.fromstring(svg)
    found = {}
    for g in _groups(root, f"{kind}:"):
        method, column = g.get("id", "").split(":", 1)[1].rsplit(":", 1)
        found[(method, column)] = g
    return found


def path_points(g: ET.Element) -> list[tuple[float, float]]:
    """The vertices of the first ``<path d="M x y L x y ...">`` inside ``g``."""
    d = next(g.iter(f"{{{NS['svg']}}}path")).get("d", "")
    values = [float(v) for v in _NUMBER.findall(d)]
    return list(zip(values[0::2], values[1::2], strict=True))


def style(element: ET.Element, prop: str) -> str | None:
    """One property of the first ``style`` attribute at or under ``element``."""
    for e in element.iter():
        found = re.search(rf"(?:^|;)\s*{prop}:\s*([^;]+)", e.get("style", ""))
        if found:
            return found.group(1).strip()
    return None


def use_y(g: ET.Element) -> float:
    """The y of the first ``<use>`` (a scatter point's position) inside ``g``."""
    return float(next(g.iter(f"{{{NS['svg']}}}use")).get("y", "nan"))

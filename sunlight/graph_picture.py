"""An evidence graph as a PNG picture, drawn on the server (no browser), for reports.

The same colours, shapes and masked names as the app's interactive drawing
(:mod:`sunlight.drawing`): a node's fill says what it is, its border its risk, a star the
entities the alert names; personal values shown as nodes are masked. Positions come from
networkx's spring layout with a fixed seed, so the same graph is drawn the same way every
time. Text uses the font shipped with the package (:data:`sunlight.fonts.REPORT_FONT`), so the
picture looks the same on a machine without any Chinese font.

Drawn with Pillow at twice the size and scaled down, which smooths lines and text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping

import networkx as nx
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from detectors.base import HIGH, MEDIUM
from sunlight.drawing import (
    _DEFAULT_STYLE,
    _HIGH_BORDER,
    _MEDIUM_BORDER,
    NODE_STYLES,
    NodeStyle,
    _display_name,
    _short,
)
from sunlight.fonts import REPORT_FONT
from sunlight.ui.labels import label_name, relation_name, t

__all__ = ["graph_png"]

_SCALE = 2  # drawn at twice the size, then scaled down (anti-aliasing)
_EDGE = (160, 164, 171)
_TEXT = (38, 39, 48)
_MUTED = (95, 99, 104)


def _rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as a tuple.

    >>> _rgb("#4E79A7")
    (78, 121, 167)
    """
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(REPORT_FONT), size * _SCALE)


def _shape(
    draw: ImageDraw.ImageDraw,
    shape: str,
    x: float,
    y: float,
    r: float,
    fill: tuple,
    outline: tuple,
    width: int,
) -> None:
    box = (x - r, y - r, x + r, y + r)
    if shape == "dot":
        draw.ellipse(box, fill=fill, outline=outline, width=width)
    elif shape in ("box", "square"):
        draw.rectangle(box, fill=fill, outline=outline, width=width)
    elif shape in ("triangle", "triangleDown", "diamond", "star"):
        sides = {"triangle": 3, "triangleDown": 3, "diamond": 4, "star": 5}[shape]
        rotation = {"triangle": 90, "triangleDown": 270, "diamond": 45, "star": 90}[shape]
        if shape == "star":
            points = []
            for i in range(10):
                radius = r if i % 2 == 0 else r * 0.45
                angle = math.radians(rotation + 36 * i)
                points.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
            draw.polygon(points, fill=fill, outline=outline, width=width)
        else:
            draw.regular_polygon((x, y, r), sides, rotation=rotation, fill=fill, outline=outline, width=width)
    else:
        draw.ellipse(box, fill=fill, outline=outline, width=width)


def graph_png(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    lang: str = "zh",
    risk: Mapping[str, float] | None = None,
    focus: Iterable[str] = (),
    width: int = 1200,
    height: int = 760,
) -> bytes:
    """``nodes`` (key, label, id, name) and ``edges`` (src, dst, type) drawn as a PNG, with a legend."""
    risk = dict(risk or {})
    focus_keys = set(focus)
    W, H = width * _SCALE, height * _SCALE
    legend_h = 60 * _SCALE
    image = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    label_font, edge_font, legend_font = _font(19), _font(14), _font(17)

    graph = nx.DiGraph()
    rows = nodes.drop_duplicates("key") if not nodes.empty else nodes
    for row in rows.itertuples(index=False):
        graph.add_node(str(row.key), label=str(row.label), id=str(row.id), name=getattr(row, "name", None))
    for row in edges.itertuples(index=False):
        if str(row.src) in graph and str(row.dst) in graph:
            graph.add_edge(str(row.src), str(row.dst), type=str(row.type))
    if graph.number_of_nodes() == 0:
        draw.text(
            (W // 2, (H - legend_h) // 2), t("graph_empty", lang), font=legend_font, fill=_MUTED, anchor="mm"
        )
    else:
        layout = nx.spring_layout(graph.to_undirected(), seed=7, k=1.6 / math.sqrt(graph.number_of_nodes()))
        xs = [p[0] for p in layout.values()]
        ys = [p[1] for p in layout.values()]
        margin = 110 * _SCALE
        box_w, box_h = W - 2 * margin, H - legend_h - 2 * margin
        # one scale for both axes (the layout's shape kept), and a few nodes kept close together
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        scale = min(box_w, box_h) / span * (0.6 if graph.number_of_nodes() <= 4 else 1.0)
        mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        scale = min(scale, box_w / max(max(xs) - min(xs), 1e-9), box_h / max(max(ys) - min(ys), 1e-9))

        def place(key: str) -> tuple[float, float]:
            px, py = layout[key]
            return W / 2 + (px - mid_x) * scale, margin + box_h / 2 + (py - mid_y) * scale

        where = {key: place(key) for key in graph.nodes}
        for src, dst, data in graph.edges(data=True):
            (x1, y1), (x2, y2) = where[src], where[dst]
            draw.line((x1, y1, x2, y2), fill=_EDGE, width=2 * _SCALE)
            # an arrowhead short of the target node
            angle = math.atan2(y2 - y1, x2 - x1)
            tip = (x2 - math.cos(angle) * 26 * _SCALE, y2 - math.sin(angle) * 26 * _SCALE)
            wing = 11 * _SCALE
            left = (tip[0] - wing * math.cos(angle - 0.45), tip[1] - wing * math.sin(angle - 0.45))
            right = (tip[0] - wing * math.cos(angle + 0.45), tip[1] - wing * math.sin(angle + 0.45))
            draw.polygon([tip, left, right], fill=_EDGE)
            draw.text(
                ((x1 + x2) / 2, (y1 + y2) / 2),
                relation_name(str(data["type"]), lang),
                font=edge_font,
                fill=_MUTED,
                anchor="mm",
                stroke_width=3 * _SCALE,
                stroke_fill=(255, 255, 255),
            )
        for key, data in graph.nodes(data=True):
            x, y = where[key]
            style = NODE_STYLES.get(data["label"], _DEFAULT_STYLE)
            node_risk = risk.get(key)
            if node_risk is not None and not pd.isna(node_risk) and node_risk > HIGH:
                outline, ring = _rgb(_HIGH_BORDER), 4
            elif node_risk is not None and not pd.isna(node_risk) and node_risk > MEDIUM:
                outline, ring = _rgb(_MEDIUM_BORDER), 3
            else:
                outline, ring = (255, 255, 255), 1
            r = (24 if key in focus_keys else 16) * _SCALE
            _shape(draw, style.shape, x, y, r, _rgb(style.colour), outline, ring * _SCALE)
            shown = _short(_display_name(data["label"], data["id"], data["name"]))
            text = ("★ " if key in focus_keys else "") + shown
            draw.text(
                (x, y + r + 4 * _SCALE),
                text,
                font=label_font,
                fill=_TEXT,
                anchor="ma",
                stroke_width=3 * _SCALE,
                stroke_fill=(255, 255, 255),
            )
    # legend: the types present, then what the borders mean
    present = list(dict.fromkeys(str(d["label"]) for _, d in graph.nodes(data=True)))
    x, y = 24 * _SCALE, H - legend_h + 18 * _SCALE
    draw.line((0, H - legend_h, W, H - legend_h), fill=(228, 230, 235), width=_SCALE)
    draw.text((x, y), t("legend", lang), font=legend_font, fill=_TEXT)
    x += draw.textlength(t("legend", lang), font=legend_font) + 20 * _SCALE
    entries: list[tuple[NodeStyle, str, tuple[int, int, int] | None]] = [
        (NODE_STYLES.get(label, _DEFAULT_STYLE), label_name(label, lang), None) for label in present
    ]
    entries += [
        (NODE_STYLES["Employee"], t("legend_high", lang), _rgb(_HIGH_BORDER)),
        (NODE_STYLES["Employee"], t("legend_medium", lang), _rgb(_MEDIUM_BORDER)),
    ]
    for style, name, ring_colour in entries:
        cy = y + 10 * _SCALE
        if ring_colour is None:
            _shape(
                draw, style.shape, x + 8 * _SCALE, cy, 8 * _SCALE, _rgb(style.colour), (255, 255, 255), _SCALE
            )
        else:
            draw.ellipse(
                (x, cy - 8 * _SCALE, x + 16 * _SCALE, cy + 8 * _SCALE), outline=ring_colour, width=3 * _SCALE
            )
        x += 22 * _SCALE
        draw.text((x, y), name, font=legend_font, fill=_TEXT)
        x += draw.textlength(name, font=legend_font) + 18 * _SCALE
    picture = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()

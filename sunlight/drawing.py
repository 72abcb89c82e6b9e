"""Graphs drawn with pyvis as one self-contained HTML page that asks nothing of the internet.

pyvis builds the nodes, edges and vis-network options; the page itself comes from
the template below, not from pyvis's own, because pyvis 0.3.2 links Bootstrap
from a public CDN even with ``cdn_resources="in_line"`` — on an intranet without
internet that request hangs or leaks that someone opened a case. The vis-network
script is read from the files pyvis ships and written into the page; of its
stylesheet only the tooltip rules are taken (the rest styles the editing and
navigation widgets, which these graphs do not use, and is 200 KB of images).

Colours: in ``"type"`` mode a node's fill says what it is (employee, supplier,
contract ...) and its border says its risk (red high, orange medium); in
``"heat"`` mode the fill is the risk itself, pale to dark red. Personal values
shown as nodes (a shared phone, account, identity number or address) are masked.

The page runs two scripts, both fixed (vis-network and a starter that reads the data from a JSON
block), and says so in its own Content-Security-Policy by their SHA-256 (:func:`graph_policy`); the
app's policy allows the same two hashes (``sunlight.ui.http``), so nothing else runs in a graph frame.

This module does not import Streamlit: the app embeds the returned HTML, and any
other reader (a report, a notebook) can use it as it is.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup
from pyvis.network import Network

from detectors.base import HIGH, MEDIUM
from sunlight.masking import PIVOT_KINDS, mask_node_id, mask_text
from sunlight.ui.labels import label_name, relation_name, t

__all__ = [
    "NODE_STYLES",
    "NodeStyle",
    "draw_graph",
    "graph_policy",
    "graph_script_hashes",
    "heat_colour",
    "vis_network_script",
]


@dataclass(frozen=True)
class NodeStyle:
    colour: str
    shape: str


#: Fill colour and shape per node label. No fill is red or orange: those mean risk (the border).
NODE_STYLES: dict[str, NodeStyle] = {
    "Employee": NodeStyle("#4E79A7", "dot"),
    "Supplier": NodeStyle("#59A14F", "dot"),
    "Person": NodeStyle("#76B7B2", "dot"),
    "Department": NodeStyle("#9C755F", "box"),
    "Contract": NodeStyle("#B07AA1", "square"),
    "Tender": NodeStyle("#EDC948", "triangle"),
    "Payment": NodeStyle("#A0CBE8", "triangleDown"),
    "Phone": NodeStyle("#8C8C8C", "diamond"),
    "BankAccount": NodeStyle("#8C8C8C", "diamond"),
    "Address": NodeStyle("#8C8C8C", "diamond"),
    "IdNumber": NodeStyle("#8C8C8C", "diamond"),
    "Alert": NodeStyle("#D62728", "star"),
}
_DEFAULT_STYLE = NodeStyle("#BAB0AC", "dot")
_NO_RISK = "#D9D9D9"
_HIGH_BORDER = "#C62828"
_MEDIUM_BORDER = "#EF8A00"
_HEAT_STOPS = ((0.0, (254, 240, 217)), (0.4, (253, 187, 132)), (0.7, (227, 74, 51)), (1.0, (153, 0, 0)))
_GLYPHS = {
    "dot": "●",
    "box": "▬",
    "square": "■",
    "triangle": "▲",
    "triangleDown": "▼",
    "diamond": "◆",
    "star": "★",
}
_LABEL_CHARS = 14
#: Characters of a name or id a tooltip shows: a 10,000-character name would fill the screen.
_TIP_CHARS = 60
_FONT_FACE = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, Source Han Sans SC, sans-serif"


def heat_colour(risk: float | None) -> str:
    """The fill for a risk in 0..1: pale orange at 0, dark red at 1; grey when there is none.

    >>> heat_colour(0.0), heat_colour(1.0), heat_colour(None)
    ('#fef0d9', '#990000', '#D9D9D9')
    """
    if risk is None or pd.isna(risk):
        return _NO_RISK
    value = min(max(float(risk), 0.0), 1.0)
    for (lo, lo_rgb), (hi, hi_rgb) in pairwise(_HEAT_STOPS):
        if value <= hi:
            part = (value - lo) / (hi - lo)
            rgb = (round(a + (b - a) * part) for a, b in zip(lo_rgb, hi_rgb, strict=True))
            return "#" + "".join(f"{c:02x}" for c in rgb)
    return "#990000"


@cache
def _pyvis_lib() -> Path:
    import pyvis

    return Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"


@cache
def vis_network_script() -> str:
    """The vis-network script pyvis ships (read once)."""
    return (_pyvis_lib() / "vis-network.min.js").read_text(encoding="utf-8")


@cache
def _tooltip_css() -> str:
    css = (_pyvis_lib() / "vis-network.css").read_text(encoding="utf-8")
    rules = (rule.strip() + "}" for rule in css.split("}"))
    return "\n".join(rule for rule in rules if "vis-tooltip" in rule.partition("{")[0])


def _script_json(value: Any) -> Markup:
    """JSON that is safe inside a <script> element: names from the data cannot close the tag."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ html_lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ policy }}">
<title>{{ aria }}</title>
<style>
{{ tooltip_css }}
html, body { margin: 0; padding: 0; background: #ffffff;
  font-family: {{ font_face }}; color: #262730; }
#graph { width: 100%; height: {{ height }}px; border: 1px solid #e4e6eb; border-radius: 6px;
  box-sizing: border-box; }
div.vis-tooltip { font-family: {{ font_face }}; white-space: pre-line; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; padding: 6px 2px 0;
  font-size: 13px; }
.legend b { margin-right: 2px; }
.chip { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.glyph { font-size: 15px; line-height: 1; }
.ring { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: #ffffff; }
.heat { display: inline-block; width: 90px; height: 10px; border-radius: 3px;
  background: linear-gradient(90deg, {{ heat_gradient }}); }
.empty { padding: 24px; color: #6b6f76; }
</style>
<script>{{ vis_js }}</script>
</head>
<body>
{% if nodes_count %}
<div id="graph" role="img" aria-label="{{ aria }}"></div>
{% else %}
<div class="empty">{{ empty_text }}</div>
{% endif %}
<div class="legend">
  <b>{{ legend_title }}</b>
  {% for item in legend_types %}
  <span class="chip"><span class="glyph" style="color: {{ item.colour }}">{{ item.glyph }}</span>{{ item.name }}</span>
  {% endfor %}
  {% if mode == "heat" %}
  <span class="chip"><span class="heat"></span>{{ heat_text }}</span>
  {% else %}
  <span class="chip"><span class="ring" style="border: 3px solid {{ high_border }}"></span>{{ high_text }}</span>
  <span class="chip"><span class="ring" style="border: 3px solid {{ medium_border }}"></span>{{ medium_text }}</span>
  {% endif %}
  {% if has_focus %}<span class="chip">★ {{ focus_text }}</span>{% endif %}
</div>
{% if nodes_count %}
<script type="application/json" id="graph-data">{{ graph_json }}</script>
{% endif %}
<script>{{ init_js }}</script>
</body>
</html>
"""

# The page's scripts never change: the data travels as JSON in a script element that is not run
# (type application/json), so a Content-Security-Policy can allow exactly these two scripts by their
# hashes and nothing else -- a name from the data cannot become code, even if it escaped the JSON.
_INIT_SCRIPT = """
const graphData = document.getElementById("graph-data");
const given = graphData ? JSON.parse(graphData.textContent) : null;
const network = given && new vis.Network(
  document.getElementById("graph"),
  { nodes: new vis.DataSet(given.nodes), edges: new vis.DataSet(given.edges) },
  given.options);
if (network) {
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    network.fit();
    document.body.dataset.ready = "1";
  });
} else {
  document.body.dataset.ready = "1";
}
"""


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


@cache
def graph_script_hashes() -> tuple[str, ...]:
    """The CSP source expressions (``sha256-…``) of the only scripts a graph page runs."""
    return (_script_hash(vis_network_script()), _script_hash(_INIT_SCRIPT))


@cache
def graph_policy() -> str:
    """The graph page's own Content-Security-Policy: its two scripts, inline styles, nothing fetched."""
    scripts = " ".join(f"'{h}'" for h in graph_script_hashes())
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:; "
        "font-src data:; base-uri 'none'; form-action 'none'"
    )


_ENV = Environment(autoescape=True)
_PAGE = _ENV.from_string(_TEMPLATE)


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display_name(label: str, node_id: str, name: Any) -> str:
    if label in PIVOT_KINDS:
        return mask_node_id(label, node_id)
    if isinstance(name, str) and name and name != node_id:
        return mask_text(name)
    return str(node_id)


def _options(node_count: int) -> dict[str, Any]:
    return {
        "layout": {"randomSeed": 7, "improvedLayout": node_count <= 150},
        "physics": {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -70,
                "centralGravity": 0.012,
                "springLength": 130,
                "springConstant": 0.06,
                "avoidOverlap": 0.4,
            },
            "stabilization": {"enabled": True, "iterations": 300, "fit": True},
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "multiselect": False},
        "nodes": {"font": {"face": _FONT_FACE, "size": 15, "color": "#262730"}, "borderWidth": 1},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
            "color": {"color": "#A0A4AB", "highlight": "#4C4F56", "hover": "#4C4F56"},
            "font": {
                "face": _FONT_FACE,
                "size": 11,
                "color": "#5F6368",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
                "align": "horizontal",
            },
            "smooth": {"enabled": True, "type": "continuous", "roundness": 0.3},
            "width": 1.2,
        },
    }


def draw_graph(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    lang: str = "zh",
    risk: Mapping[str, float] | None = None,
    focus: Iterable[str] = (),
    mode: str = "type",
    height: int = 520,
) -> str:
    """A self-contained HTML page drawing ``nodes`` (key, label, id, name) and ``edges`` (src, dst, type).

    ``risk`` maps node keys to a risk in 0..1; ``focus`` names the keys an alert flags
    (drawn larger, with a star). ``mode`` is ``"type"`` (fill by entity type, border by
    risk) or ``"heat"`` (fill by risk). Labels and the legend are in ``lang``.
    """
    if mode not in ("type", "heat"):
        raise ValueError(f"unknown drawing mode {mode!r}; expected 'type' or 'heat'")
    risk = dict(risk or {})
    focus_keys = set(focus)
    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="in_line")
    present_labels: list[str] = []
    # Entity keys of pivots carry the raw value ("phone:138..."): the page numbers nodes instead.
    page_ids: dict[str, int] = {}
    for row in nodes.itertuples(index=False):
        key, label, node_id = str(row.key), str(row.label), str(row.id)
        if key in page_ids:
            continue
        page_ids[key] = len(page_ids)
        style = NODE_STYLES.get(label, _DEFAULT_STYLE)
        if label not in present_labels:
            present_labels.append(label)
        shown = _display_name(label, node_id, getattr(row, "name", None))
        node_risk = risk.get(key)
        is_focus = key in focus_keys
        tip_name, tip_id = _short(shown, _TIP_CHARS), _short(node_id, _TIP_CHARS)
        tip = [
            f"{label_name(label, lang)}：{tip_name}"
            if lang != "en"
            else f"{label_name(label, lang)}: {tip_name}"
        ]
        if label not in PIVOT_KINDS and shown != node_id:
            tip.append(f"{t('tip_id', lang)}{'：' if lang != 'en' else ': '}{tip_id}")
        if node_risk is not None and not pd.isna(node_risk):
            tip.append(f"{t('tip_risk', lang)}{'：' if lang != 'en' else ': '}{float(node_risk):.2f}")
        if mode == "heat":
            fill = heat_colour(node_risk)
            border = "#7F0000" if is_focus else "#8C8C8C"
            border_width = 3 if is_focus else 1
        else:
            fill = style.colour
            if node_risk is not None and node_risk > HIGH:
                border, border_width = _HIGH_BORDER, 4
            elif node_risk is not None and node_risk > MEDIUM:
                border, border_width = _MEDIUM_BORDER, 3
            else:
                border, border_width = "#FFFFFF", 1
        size = 20 if is_focus else 13
        if node_risk is not None and not pd.isna(node_risk):
            size += round(8 * float(node_risk))
        net.add_node(
            page_ids[key],
            label=("★ " if is_focus else "") + _short(shown),
            title="\n".join(tip),
            shape=style.shape,
            size=size,
            color={
                "background": fill,
                "border": border,
                "highlight": {"background": fill, "border": "#262730"},
                "hover": {"background": fill, "border": "#262730"},
            },
            borderWidth=border_width,
            borderWidthSelected=border_width + 1,
            font={"color": "#ffffff" if style.shape == "box" else "#262730"},
        )
    for row in edges.itertuples(index=False):
        src, dst, rel = str(row.src), str(row.dst), str(row.type)
        if src in page_ids and dst in page_ids:
            name = relation_name(rel, lang)
            net.add_edge(page_ids[src], page_ids[dst], label=name, title=name)
    net_nodes, net_edges, _heading, _height, _width, _options_json = net.get_network_data()
    legend_types = [
        {
            "name": label_name(label, lang),
            "glyph": _GLYPHS.get(NODE_STYLES.get(label, _DEFAULT_STYLE).shape, "●"),
            # in heat mode the fill means risk, so the legend names types by shape alone
            "colour": NODE_STYLES.get(label, _DEFAULT_STYLE).colour if mode == "type" else "#6B6F76",
        }
        for label in present_labels
    ]
    gradient = ", ".join(heat_colour(stop) for stop, _ in _HEAT_STOPS)
    return _PAGE.render(
        html_lang="en" if lang == "en" else "zh-CN",
        aria=t("graph_aria", lang, n=len(net_nodes), m=len(net_edges)),
        tooltip_css=Markup(_tooltip_css()),
        font_face=Markup(_FONT_FACE),
        height=int(height),
        heat_gradient=Markup(gradient),
        vis_js=Markup(vis_network_script()),
        init_js=Markup(_INIT_SCRIPT),
        policy=graph_policy(),
        nodes_count=len(net_nodes),
        graph_json=_script_json(
            {"nodes": net_nodes, "edges": net_edges, "options": _options(len(net_nodes))}
        ),
        empty_text=t("graph_empty", lang),
        legend_title=t("legend", lang),
        legend_types=legend_types,
        mode=mode,
        heat_text=t("legend_heat", lang),
        high_text=t("legend_high", lang),
        medium_text=t("legend_medium", lang),
        high_border=_HIGH_BORDER,
        medium_border=_MEDIUM_BORDER,
        has_focus=bool(focus_keys & set(page_ids)),
        focus_text=t("legend_focus", lang),
    )

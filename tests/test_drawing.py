"""Graph drawing: a self-contained page (no request leaves it), masked pivots, safe names, both languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from e2e.browser import CHROMIUM, CHROMIUM_ARGS

from sunlight.drawing import draw_graph, heat_colour, vis_network_script

NODES = pd.DataFrame(
    {
        "key": [
            "employee:E1",
            "supplier:S1",
            "contract:C1",
            "phone:13800138000",
            "id_number:420102199001011234",
        ],
        "label": ["Employee", "Supplier", "Contract", "Phone", "IdNumber"],
        "id": ["E1", "S1", "C1", "13800138000", "420102199001011234"],
        "name": ["张伟", "华信科技</script><script>window.pwned=1</script>", "C1", "", ""],
    }
)
EDGES = pd.DataFrame(
    {
        "src": ["employee:E1", "contract:C1", "employee:E1", "supplier:S1", "employee:E1"],
        "dst": [
            "contract:C1",
            "supplier:S1",
            "phone:13800138000",
            "phone:13800138000",
            "id_number:420102199001011234",
        ],
        "type": ["APPROVED", "AWARDED_TO", "HAS_PHONE", "HAS_PHONE", "HAS_ID_NUMBER"],
    }
)
RISK = {"employee:E1": 0.86, "supplier:S1": 0.55}


def page(**kwargs) -> str:
    return draw_graph(NODES, EDGES, risk=RISK, focus=["employee:E1", "supplier:S1"], **kwargs)


class _LinkedResources(HTMLParser):
    """Every src, href and srcset attribute of the page's elements."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("src", "href", "srcset")]


def test_the_page_links_nothing_outside_itself():
    html = page()
    parser = _LinkedResources()
    parser.feed(html)
    assert parser.links == []
    assert "cdn" not in html.lower().replace("cdn_resources", "")
    assert "bootstrap" not in html.lower()
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "@import" not in html
    # the vis-network script that pyvis ships is in the page itself
    assert vis_network_script()[:2000] in html


def test_personal_values_never_reach_the_page():
    html = page()
    assert "13800138000" not in html and "420102199001011234" not in html
    assert "138****8000" in html and "4201**********1234" in html


def test_a_name_cannot_close_the_script_element():
    html = page()
    assert "window.pwned=1</script>" not in html
    # the vis-network script, the data (JSON, not run) and the fixed script that draws it
    assert html.count("</script>") == 3


def test_legend_and_edge_labels_follow_the_language():
    zh, en = page(lang="zh"), page(lang="en")
    for text in ("图例", "员工", "供应商", "合同", "电话", "高风险", "审批", "授予"):
        assert text in zh
    for text in (
        "Legend",
        "Employee",
        "Supplier",
        "Contract",
        "Phone",
        "High risk",
        "approved",
        "awarded to",
    ):
        assert text in en
    assert "图例" not in en


def test_heat_mode_colours_nodes_by_risk():
    html = page(mode="heat")
    assert heat_colour(0.86).lower() in html.lower() and heat_colour(0.55).lower() in html.lower()
    assert heat_colour(0.0) == "#fef0d9" and heat_colour(1.0) == "#990000"
    with pytest.raises(ValueError, match="unknown drawing mode"):
        page(mode="rainbow")


def test_an_empty_graph_says_so():
    html = draw_graph(NODES.iloc[0:0], EDGES.iloc[0:0], lang="en")
    assert "Nothing to draw." in html and 'id="graph-data"' not in html


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_chromium_draws_every_node_and_edge_without_any_request(tmp_path):
    from playwright.sync_api import sync_playwright

    target = tmp_path / "graph.html"
    target.write_text(page(lang="zh"), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 900, "height": 650})
            tab.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.goto(target.as_uri())
            tab.wait_for_function("document.body.dataset.ready === '1'", timeout=20_000)
            drawn = tab.evaluate(
                "() => ({nodes: network.body.data.nodes.length, edges: network.body.data.edges.length,"
                " labels: network.body.data.nodes.get().map(n => n.label), pwned: window.pwned === 1})"
            )
            tab.screenshot(path=str(tmp_path / "graph.png"))
        finally:
            browser.close()
    assert errors == []
    assert drawn["nodes"] == 5 and drawn["edges"] == 5
    assert "★ 张伟" in drawn["labels"] and "138****8000" in drawn["labels"]
    assert drawn["pwned"] is False
    assert [url for url in requests if not url.startswith("file://")] == []
    assert (tmp_path / "graph.png").stat().st_size > 5_000


def test_a_name_longer_than_any_real_one_is_cut_in_its_label_and_its_tooltip():
    long_name = "超长名称有限公司" * 1250
    nodes = NODES.copy()
    nodes.loc[nodes["key"] == "supplier:S1", "name"] = long_name
    html = draw_graph(nodes, EDGES)
    data = json.loads(html.split('id="graph-data">')[1].split("</script>")[0])
    shown = next(n for n in data["nodes"] if n["label"].lstrip("★ ").startswith("超长"))
    assert len(shown["label"]) <= 16 and shown["label"].endswith("…")
    assert len(shown["title"]) < 100 and "…" in shown["title"]

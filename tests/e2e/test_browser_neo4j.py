"""End to end on a real Neo4j server: ``sunlight demo --neo4j`` loads and detects into the test
server, ``streamlit run app.py`` runs with ``NEO4J_URI`` set (as a user would point the app at
their server), and real headless Chromium walks it: an investigator signs in, reads the overview,
opens the queue, opens the case of a planted favoured supplier and moves it to 核查中. The test
then reads the server: the alert and every alert of its case moved, and the trail says who did it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SIGN_IN_NAME,
    choose,
    press,
    running_app,
    settled,
    sign_in,
)

from graph.neo4j_store import Neo4jStore
from sunlight.audit import AuditLog
from sunlight.auth import Role, User, UserStore
from sunlight.cases import assign

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INVESTIGATOR = "审计员乙"
LEADER = "组长李"
PASSWORD = "阳光演示口令-neo4j-staple"

if not CHROMIUM.exists():
    pytest.skip(
        "needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )


@dataclass(frozen=True)
class Demo:
    audit: Path
    settings: dict[str, str]  # the app's environment: the server and the trail
    supplier_name: str
    alert_id: str


def _open(server: Any) -> Neo4jStore:
    return Neo4jStore(server.uri, auth=server.auth)


@pytest.fixture(scope="module")
def demo(neo4j_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    neo4j_server.clear()
    folder = tmp_path_factory.mktemp("e2e-neo4j")
    audit = folder / "audit"
    settings = {**neo4j_server.env(), "SUNLIGHT_AUDIT_DIR": str(audit)}
    command = ["demo", "--neo4j", neo4j_server.uri, "--store", str(folder / "demo")]
    done = subprocess.run(
        [sys.executable, "-m", "sunlight.cli", "--lang", "zh", *command],
        cwd=ROOT,
        env={**_environment(), **settings},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = folder / "demo" / "demo-data"
    with (data / "labels.csv").open(encoding="utf-8") as handle:
        planted = [r["entity_id"] for r in csv.DictReader(handle) if r["scheme"] == "favoritism"]
    with (data / "suppliers.csv").open(encoding="utf-8-sig") as handle:
        names = {row["supplier_id"]: row["name"] for row in csv.DictReader(handle)}
    with _open(neo4j_server) as store:
        alerts = store.alerts()
        flagged = alerts[(alerts["entity_type"] == "supplier") & alerts["entity_id"].isin(planted)]
        assert not flagged.empty, "the demo on Neo4j flagged none of the suppliers it planted as favoured"
        best = flagged.sort_values(["score", "alert_id"], ascending=[False, True]).iloc[0]
        users = UserStore(audit)
        users.add(INVESTIGATOR, Role.INVESTIGATOR, PASSWORD)
        users.add(LEADER, Role.ADMIN, PASSWORD)
        assign(store, AuditLog(audit), str(best["alert_id"]), INVESTIGATOR, User(LEADER, Role.ADMIN))
    return Demo(audit, settings, names[str(best["entity_id"])], str(best["alert_id"]))


def _environment() -> dict[str, str]:
    """This process's environment without a Neo4j or trail setting of its own."""
    names = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE", "SUNLIGHT_AUDIT_DIR")
    return {k: v for k, v in os.environ.items() if k not in names}


@pytest.fixture(scope="module")
def app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("app-neo4j")
    # SUNLIGHT_STORE names a folder with no store in it: every read must go to the server
    with running_app(folder / "no-store-here", folder / "streamlit.log", **demo.settings) as base:
        yield base


def test_an_investigator_works_a_case_in_the_browser_on_neo4j(
    demo: Demo, app: str, neo4j_server: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # sign in; the overview's figures and heatmap come from the server
            page.goto(app + "/")
            sign_in(page, INVESTIGATOR, PASSWORD)
            page.get_by_text("预警总数").wait_for(timeout=120_000)
            page.get_by_text("当前用户：审计员乙（调查人员）").wait_for(timeout=60_000)
            page.get_by_text("风险热力图：部门 × 风险类别").wait_for(timeout=60_000)
            page.get_by_text(f"数据来源：{neo4j_server.uri}").wait_for(timeout=60_000)
            settled(page)
            page.screenshot(path=str(tmp_path / "overview-neo4j.png"))

            # the queue lists cases with their alerts
            page.goto(app + "/queue")
            settled(page)
            assert page.get_by_label(SIGN_IN_NAME).count() == 0, "the queue asked to sign in again"
            caption = page.get_by_text("条预警（总计").first.inner_text()
            cases, shown, total = (int(n) for n in re.findall(r"\d+", caption))
            assert 0 < cases <= shown <= total

            # the case of the planted favoured supplier, and a case action on it
            page.goto(f"{app}/case?alert={demo.alert_id}")
            settled(page)
            page.get_by_text("当前状态：待处理").wait_for(timeout=60_000)
            # the case names the supplier (in its title or its tables, whose cells the grid draws)
            assert demo.supplier_name in page.content()
            choose(page, "变更状态为", "核查中")
            press(page, page.get_by_role("button", name="确认变更"), page.get_by_text("状态已变更为：核查中"))
            settled(page)
            page.get_by_text("当前状态：核查中").wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "case-neo4j.png"))
        finally:
            browser.close()
    assert errors == []

    # the action reached the server: the alert and every alert of its case
    with _open(neo4j_server) as store:
        rows = store.alerts()
    mine = rows[rows["alert_id"] == demo.alert_id]
    assert set(mine["status"]) == {"reviewing"}
    case_id = str(mine["case_id"].iloc[0])
    assert set(rows.loc[rows["case_id"] == case_id, "status"]) == {"reviewing"}
    assert (rows["status"] == "open").any()  # and nothing else moved
    trail = AuditLog(demo.audit)
    about_the_case = [
        (e["action"], e["actor"])
        for e in trail.entries()
        if e["action"].startswith("case.")
        and e["action"] != "case.request"
        and case_id in json.dumps(e["details"])
    ]
    assert about_the_case == [("case.assign", LEADER), ("case.status", INVESTIGATOR)]
    assert trail.verify() is None

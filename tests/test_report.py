"""The case report (线索核查报告): written by ``sunlight report`` as PDF and Word, read back with
poppler's pdftotext / pdffonts / pdftoppm and python-docx; masked unless the reader may unmask."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from e2e.fixture_store import (
    ADMIN,
    INVESTIGATOR,
    PHONE_ALERT,
    SHARED_PHONE,
    VIEWER,
    add_accounts,
    build_fixture_store,
)
from e2e.fixture_store import copy_store as copy_fixture
from PIL import Image

from sunlight.audit import AuditLog
from sunlight.auth import Role, User
from sunlight.cases import assign
from sunlight.fonts import REPORT_FONT

ROOT = Path(__file__).resolve().parents[1]
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (scripts/test.sh installs it)")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    store = build_fixture_store(tmp_path_factory.mktemp("report") / "store")
    add_accounts(store)
    return store


@pytest.fixture
def store(template, tmp_path) -> Path:
    return copy_fixture(template, tmp_path / "store")  # the accounts come along


def sunlight(*args: str, store: Path, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUNLIGHT_STORE": str(store)}
    env.pop("SUNLIGHT_AUDIT_DIR", None)
    if actor:
        env["SUNLIGHT_ACTOR"] = actor
    return subprocess.run(
        [sys.executable, "-m", "sunlight.cli", *args],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@needs_poppler
def test_a_pdf_report_reads_back_masked_in_its_own_font_and_looks_like_a_report(store, tmp_path):
    out = tmp_path / "report.pdf"
    done = sunlight("report", PHONE_ALERT, "--out", str(out), store=store)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    text = pdf_text(out)
    for words in (
        "线索核查报告",
        "一级 · 审批人与供应商反复配对、员工与供应商共用标识",  # the case the alert belongs to
        "线索编号",
        "一、基本情况",
        "待处理",  # status
        "信息中心",  # department
        "三、阈值与本案数值",
        "min_shared",
        "四、证据关系图",
        "七、处置记录（痕迹）",
        "已脱敏",
    ):
        assert words in text, words
    assert "138****8000" in text and SHARED_PHONE not in text
    # the only font is the shipped one, embedded: nothing depends on the reader's fonts
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all("NotoSansCJKSC" in r and " yes yes " in r for r in rows), fonts
    # as a picture: pages of ink, and the evidence graph among them
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    with Image.open(pages[0]) as first:
        grey = first.convert("L")
        dark = sum(grey.histogram()[:128])
    assert dark > 2000, "the first page looks blank"
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=False)
    if images.returncode == 0:
        assert len(images.stdout.splitlines()) >= 3  # header, rule, one picture at least


def test_a_case_id_and_one_of_its_alerts_give_the_report_of_that_case_that_alert_first(store):
    from graph.cases import read_cases
    from graph.ladybug_store import LadybugStore
    from sunlight.report import report_from_store

    opened = LadybugStore(store, read_only=True)
    try:
        case_id = str(opened.alert(PHONE_ALERT).iloc[0]["case_id"])
        assert case_id in set(read_cases(opened)["case_id"])
        by_case = report_from_store(opened, AuditLog(store), case_id)
        by_alert = report_from_store(opened, AuditLog(store), PHONE_ALERT)
    finally:
        opened.close()
    assert by_case.case_id == by_alert.case_id == case_id
    assert by_case.alert_ids == ("AL-pair-zhangwei-huaxin", PHONE_ALERT)  # riskiest first
    assert by_alert.alert_ids == (PHONE_ALERT, "AL-pair-zhangwei-huaxin")  # the one asked for first
    text = by_alert.text()
    assert text.index(PHONE_ALERT) < text.index("AL-pair-zhangwei-huaxin · ")
    assert "138****8000" in text and SHARED_PHONE not in text


def test_a_word_report_reads_back_with_its_tables_and_picture(store, tmp_path):
    out = tmp_path / "report.docx"
    done = sunlight("report", PHONE_ALERT, "--format", "docx", "--out", str(out), "--lang", "en", store=store)
    assert done.returncode == 0, done.stderr
    document = Document(str(out))
    text = docx_text(out)
    assert "Lead verification report" in text and "1. Summary" in text and "7. Case history (trail)" in text
    assert "138****8000" in text and SHARED_PHONE not in text
    assert document.inline_shapes and document.inline_shapes[0].width > 0  # the evidence graph
    east_asia = document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert east_asia == "Noto Sans CJK SC"


@needs_poppler
def test_the_assignee_may_unmask_and_the_report_names_its_trail_entry_and_the_chain(store, tmp_path):
    trail = AuditLog(store)
    from graph.ladybug_store import LadybugStore

    writer = LadybugStore(store)
    try:
        assign(writer, trail, PHONE_ALERT, INVESTIGATOR, User(ADMIN, Role.ADMIN))
    finally:
        writer.close()
    assigned = trail.entries()[-1]
    out = tmp_path / "unmasked.pdf"
    done = sunlight("report", PHONE_ALERT, "--out", str(out), "--unmask", "--user", INVESTIGATOR, store=store)
    assert done.returncode == 0, done.stderr
    text = pdf_text(out)
    view = trail.entries()[-1]
    assert view["action"] == "privacy.unmask" and view["details"]["page"] == "report"
    assert view["actor"] == INVESTIGATOR
    assert SHARED_PHONE in text and f"第 {view['seq']} 条" in text
    # the assignment's place in the hash chain: its sequence number and hash prefix, as in the trail
    line = next(line for line in text.splitlines() if assigned["hash"][:12] in line)
    assert re.match(rf"\s*{assigned['seq']}\s", line), line
    assert trail.verify() is None


def test_who_may_not_unmask_gets_a_clear_refusal_recorded_in_the_trail(store, tmp_path):
    out = tmp_path / "refused.pdf"
    done = sunlight("report", PHONE_ALERT, "--out", str(out), "--unmask", "--user", VIEWER, store=store)
    assert done.returncode == 1
    assert VIEWER in done.stderr and PHONE_ALERT in done.stderr and not out.exists()
    assert AuditLog(store).entries()[-1]["action"] == "privacy.unmask_denied"
    nobody = sunlight("report", PHONE_ALERT, "--out", str(out), "--unmask", "--user", "无此人", store=store)
    assert nobody.returncode == 1 and "无此人" in nobody.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["AL-no-such-alert", "--out", "{tmp}/x.pdf"], 1, "找不到案件或预警 AL-no-such-alert"),
        ([PHONE_ALERT, "--out", "{tmp}/no/such/folder/x.pdf"], 1, "无法写入报告文件"),
        ([PHONE_ALERT, "--out", "{tmp}"], 1, "无法写入报告文件"),
        ([PHONE_ALERT, "--out", "{tmp}/x.pdf", "--format", "odt"], 2, "invalid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code(store, tmp_path, args, code, message):
    done = sunlight("report", *(a.replace("{tmp}", str(tmp_path)) for a in args), "--lang", "zh", store=store)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr


def test_the_shipped_font_is_an_open_font_small_enough_to_ship():
    licence = (REPORT_FONT.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert REPORT_FONT.stat().st_size < 4_000_000
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(REPORT_FONT), lazy=True).getBestCmap()
    assert all(ord(ch) in cmap for ch in "线索核查报告张伟华信科技有限公司（）：、0123456789ABCxyz★→")


def test_the_case_page_offers_the_report_download(store, monkeypatch):
    from e2e.app_session import CASE, open_app

    monkeypatch.setenv("SUNLIGHT_STORE", str(store))
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    monkeypatch.delenv("SUNLIGHT_AUTH_CONFIG", raising=False)
    at = open_app(INVESTIGATOR, CASE, alert=PHONE_ALERT)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["下载核查报告"]
    assert not at.exception


def test_the_report_shows_the_learned_score_beside_the_rule_score_and_why_it_moved(store):
    import pandas as pd

    from graph.ladybug_store import LadybugStore
    from graph.learned import write_learned_scores
    from sunlight.report import report_from_store

    reasons = [
        {
            "code": "kind_dismissed",
            "weight": -1.2,
            "zh": "同类已排除案件 7 件：正常业务",
            "en": "7 dismissed cases of the same kind: 正常业务",
        }
    ]
    writer = LadybugStore(store)
    try:
        case_id = str(writer.alert(PHONE_ALERT).iloc[0]["case_id"])
        rule = float(writer.alert(PHONE_ALERT).iloc[0]["score"])
        write_learned_scores(
            writer,
            pd.DataFrame(
                {
                    "id": [PHONE_ALERT],
                    "learned_score": [0.35],
                    "learned_level": ["low"],
                    "learned_reasons": [reasons],
                    "learned_model": ["LM-1"],
                }
            ),
            pd.DataFrame(
                {
                    "id": [case_id],
                    "learned_score": [0.35],
                    "learned_level": ["low"],
                    "learned_reasons": [reasons],
                }
            ),
        )
        zh = report_from_store(writer, AuditLog(store), case_id).text()
        en = report_from_store(writer, AuditLog(store), case_id, lang="en").text()
    finally:
        writer.close()
    assert "学习分数" in zh and "0.35（规则分数 " in zh and "同类已排除案件 7 件：正常业务" in zh
    assert "Learned score" in en and "0.35 (rule score " in en and "7 dismissed cases of the same kind" in en
    assert rule > 0.35

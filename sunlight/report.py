"""线索核查报告: a case written out as a PDF or Word file, Chinese first (English on request).

A report is of a case (``CASE-…``) or of the case an alert belongs to (that alert first). What
the case page shows, in the order an investigator files it: the header (grade, level, score,
status, assignee, departments, corroborating families, its alerts), each alert's explanation,
each threshold beside the value measured here, the evidence graph as a picture (drawn on the server, :mod:`sunlight.graph_picture`),
the evidence records, the timeline of contracts, approvals and payments, and the workflow
history from the trail with each entry's place in the hash chain (sequence number and hash
prefix), so that a reader can check the history against ``sunlight audit verify``.

Personal identifiers are masked unless the reader may unmask this case (the rules of
:mod:`sunlight.auth`: an investigator or admin on an active case assigned to them) *and* asks
to; the unmasked report is then recorded in the trail first (``privacy.unmask``, page
``report``), and the report names that entry. The evidence graph is always masked, as in the app.

Both files are set in the font shipped with the package (:mod:`sunlight.fonts`): the PDF embeds
the glyphs it uses, so it reads the same on a machine without any Chinese font. Libraries:
fpdf2 writes the PDF (pure Python, embeds and subsets OpenType fonts, has tables), python-docx
the Word file; the picture is drawn with Pillow, which Streamlit already brings.

The tables come from the app's own view models (:mod:`sunlight.ui.viewmodels`), so the report and
the case page cannot disagree on what a threshold, a timeline event or a history entry says.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pandas as pd

from graph.store import Store, Subgraph
from sunlight.audit import AuditLog
from sunlight.auth import User, record_unmasked_view
from sunlight.cases import case_history, history_frame
from sunlight.fonts import REPORT_FONT, REPORT_FONT_FAMILY
from sunlight.masking import mask_text
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, level_name, status_name, t

__all__ = [
    "FORMATS",
    "MAX_TABLE_ROWS",
    "CaseReport",
    "ReportTable",
    "Section",
    "build_report",
    "chain_positions",
    "evidence_keys",
    "history_aliases",
    "missing_glyphs",
    "render",
    "render_docx",
    "render_pdf",
    "report_from_store",
    "resolve_target",
]

#: File formats and their media types.
FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: Rows of one table written out (count); the rest are counted, not listed.
MAX_TABLE_ROWS = 300
#: Hex digits of an entry's hash shown beside it.
HASH_PREFIX = 12


@dataclass(frozen=True)
class ReportTable:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    omitted: int = 0
    widths: tuple[float, ...] = ()  # relative column widths; equal when empty
    title: str = ""  # a line above the table (which alert it is about)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    picture: bytes | None = None
    caption: str = ""
    empty: str = ""  # said when the section has nothing else


@dataclass(frozen=True)
class CaseReport:
    """A report's content, already in its language and masked as it must be."""

    lang: str
    case_id: str
    alert_ids: tuple[str, ...]
    title: str
    subtitle: str
    notice: str
    generated: str
    sections: tuple[Section, ...]
    unmasked: bool = False
    trail_seq: int | None = None  # the privacy.unmask entry of an unmasked report

    def text(self) -> str:
        """Every word of the report, in order (what a reader of the file reads)."""
        parts = [self.title, self.subtitle, self.notice, self.generated]
        for section in self.sections:
            parts += [section.heading, *section.paragraphs, section.caption, section.empty]
            for table in section.tables:
                parts += [table.title, " ".join(table.columns), *(" ".join(r) for r in table.rows)]
        return "\n".join(p for p in parts if p)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _table(frame: pd.DataFrame, widths: Sequence[float] = (), title: str = "") -> ReportTable:
    shown = frame.head(MAX_TABLE_ROWS)
    return ReportTable(
        title=title,
        columns=tuple(str(c) for c in frame.columns),
        rows=tuple(tuple(_cell(v) for v in row) for row in shown.itertuples(index=False)),
        omitted=max(len(frame) - len(shown), 0),
        widths=tuple(widths),
    )


def resolve_target(book: vm.AlertBook, target: str) -> tuple[pd.Series, list[str]]:
    """The case ``target`` names — a case id (a merged-away one leads to where its work went) or
    the id of one of its alerts — and its alert ids, the named alert first, then riskiest first.
    Raises ``KeyError`` when it names neither."""
    from graph.cases import resolve_case
    from sunlight.ui import case_views as cv

    cases = cv.case_frame(book)
    wanted = target
    if not book.cases.empty and target in set(book.cases["case_id"]):
        wanted = resolve_case(book.cases, target)
    found = cases[cases["case_id"] == wanted]
    if found.empty:
        found = cases[cases["alert_ids"].map(lambda ids: target in ids)]
    if found.empty:
        raise KeyError(target)
    case = found.iloc[0]
    alert_ids = list(case["alert_ids"])
    if target in alert_ids:
        alert_ids.remove(target)
        alert_ids.insert(0, target)
    return case, alert_ids


def history_aliases(book: vm.AlertBook, case: pd.Series) -> list[str]:
    """The ids whose trail entries belong to ``case``: its alerts and the cases merged into it."""
    from sunlight.ui import case_views as cv

    return [*case["alert_ids"], *cv.merged_into(book, str(case["case_id"]))]


def chain_positions(
    audit: AuditLog, case_id: str, aliases: Sequence[str] = ()
) -> list[tuple[int | None, str]]:
    """(sequence number, hash) in the trail of each entry of the case's history, in its order.

    An entry is found by its content (time, actor, action, details): the history is read from
    the trail, so each has one; identical entries are matched in order."""
    positions: dict[str, list[tuple[int, str]]] = defaultdict(list)

    def key(at: Any, actor: Any, action: Any, details: Any) -> str:
        return json.dumps([str(at), str(actor), str(action), details], sort_keys=True, default=str)

    for entry in audit.entries():
        positions[
            key(entry.get("at"), entry.get("actor"), entry.get("action"), entry.get("details") or {})
        ].append((int(entry["seq"]), str(entry["hash"])))
    out: list[tuple[int | None, str]] = []
    for action in case_history(audit, case_id, aliases):
        found = positions.get(key(action.at, action.actor, action.action, dict(action.details)))
        out.append(found.pop(0) if found else (None, ""))
    return out


def evidence_keys(book: vm.AlertBook, alert_ids: Sequence[str]) -> list[str]:
    """The entities the evidence graph starts from: each alert's evidence subgraph, else its entities
    (as the case page draws it)."""
    alerts = book.alerts.set_index("alert_id")
    keys: list[str] = []
    for alert_id in alert_ids:
        subgraph = book.evidence.get(alert_id, {}).get("subgraph") or alerts.loc[alert_id, "entities"]
        keys += [k for k in subgraph if isinstance(k, str)]
    return list(dict.fromkeys(keys))


def _learned_rows(case: pd.Series, lang: str) -> list[tuple[str, str]]:
    """The learned score beside the rule score and why it moved, as the case page shows them;
    nothing while no learned model has scored the case."""
    learned = case.get("learned_score")
    if learned is None or pd.isna(learned):
        return []
    beside = t("case_learned_beside", lang, rule=f"{float(case['score']):.2f}")
    rows = [
        (
            t("case_learned_score", lang),
            f"{float(learned):.2f}（{beside}）" if lang != "en" else f"{float(learned):.2f} ({beside})",
        )
    ]
    reasons = [str(r.get("en" if lang == "en" else "zh", "")) for r in case.get("learned_reasons") or []]
    if reasons:
        rows.append((t("case_learned_why", lang), "\n".join(r for r in reasons if r)))
    return rows


def build_report(
    book: vm.AlertBook,
    graph: Subgraph,
    audit: AuditLog,
    target: str,
    *,
    lang: str = "zh",
    reader: User | None = None,
    unmask: bool = False,
    store_label: str = "",
    graph_picture: bytes | None = None,
) -> CaseReport:
    """The report on the case ``target`` names (a case id, or one of its alerts' ids: that alert
    first) for ``reader``; ``graph`` is the evidence subgraph to draw (:func:`evidence_keys`).

    ``unmask`` asks for personal identifiers unmasked: allowed only by the rules of
    :func:`sunlight.auth.record_unmasked_view`, which records the view first and raises
    :class:`sunlight.auth.AccessDenied` otherwise. Raises ``KeyError`` for an unknown id.
    ``graph_picture`` is the drawing to use when the caller has one already.
    """
    from sunlight.graph_picture import graph_png
    from sunlight.ui import case_views as cv

    case, alert_ids = resolve_target(book, target)
    case_id = str(case["case_id"])
    members = book.alerts.set_index("alert_id", drop=False).loc[alert_ids]
    aliases = history_aliases(book, case)
    history = history_frame(audit, case_id, aliases=aliases)
    trail_seq = None
    if unmask:
        if reader is None:
            raise ValueError("an unmasked report needs the reader who asks for it")
        fields = list(dict.fromkeys(f for a in alert_ids for f in vm.case_personal_fields(book, a, history)))
        entry = record_unmasked_view(audit, reader, case_id, book.rows, fields=fields, page="report")
        trail_seq = int(entry["seq"])
    shown = (lambda text: text) if unmask else mask_text
    sep = "：" if lang != "en" else ": "
    joiner = "、" if lang != "en" else ", "

    def stamp(value: Any) -> str:
        return _cell(pd.Timestamp(value)) if value is not None and not pd.isna(value) else ""

    def level_text(grade: str, level: str) -> str:
        g, lv = grade_name(grade, lang), level_name(level, lang)
        return f"{g}（{lv}）" if lang != "en" else f"{g} ({lv})"

    def alert_line(alert: pd.Series) -> str:
        title = alert["title_en"] if lang == "en" else alert["title_zh"]
        return f"{alert['alert_id']} · {grade_name(alert['grade'], lang)} · {float(alert['score']):.2f} · {title}"

    basics = pd.DataFrame(
        [
            (t("col_case_id", lang), case_id),
            (t("col_grade", lang), level_text(case["grade"], case["level"])),
            (t("col_case_score", lang), f"{float(case['score']):.2f}"),
            *_learned_rows(case, lang),
            (t("col_status", lang), status_name(str(case["status"]), lang)),
            (t("col_assignee", lang), case["assignee"] or t("unassigned", lang)),
            (
                t("col_department", lang),
                joiner.join(book.department_label(d, lang) for d in case["departments"]),
            ),
            (t("case_facts_corroboration", lang), cv.corroboration_text(case["families"], lang)),
            (t("report_detector", lang), joiner.join(case["detectors"])),
            (t("col_first_seen", lang), stamp(case["first_seen"])),
            (t("col_last_seen", lang), stamp(case["last_seen"])),
            (t("report_alerts", lang), "\n".join(alert_line(members.loc[a]) for a in alert_ids)),
            (t("report_entities", lang), shown(vm.entity_names(book, case["entities"], lang))),
        ],
        columns=[t("prop", lang), t("value", lang)],
    )
    explained: list[str] = []
    threshold_tables: list[ReportTable] = []
    row_tables: list[ReportTable] = []
    for alert_id in alert_ids:
        alert = members.loc[alert_id]
        explanations = [
            ("explanation_zh", alert["explanation_zh"]),
            ("explanation_en", alert["explanation_en"]),
        ]
        if lang == "en":
            explanations.reverse()
        explained.append(alert_line(alert))
        explained += [f"{t(k, lang)}{sep}{shown(text)}" for k, text in explanations]
        view = vm.evidence_view(book.evidence.get(alert_id, {}), lang, unmasked=unmask)
        threshold_tables += [
            _table(f, title=alert_line(alert) if i == 0 else "")
            for i, f in enumerate(x for x in (view.thresholds, view.metrics) if not x.empty)
        ]
        if not view.rows.empty:
            row_tables.append(_table(view.rows, title=alert_line(alert)))

    picture = graph_picture or graph_png(
        graph.nodes, graph.edges, lang=lang, risk=vm.key_risk(book), focus=case["entities"]
    )
    contracts = list(dict.fromkeys(c for a in alert_ids for c in members.loc[a, "contracts"]))
    events = vm.timeline(book.snapshot, contracts, lang, unmasked=unmask)
    timeline = (
        events.drop(columns=["stage"])
        .assign(
            when=[_cell(pd.Timestamp(w)) for w in events["when"]],
            amount=["" if pd.isna(v) else f"{v:,.2f}" for v in events["amount"]],
        )
        .rename(
            columns={
                "when": t("ev_time", lang),
                "kind": t("ev_kind", lang),
                "contract": t("ev_contract", lang),
                "party": t("ev_party", lang),
                "amount": t("ev_amount", lang),
                "detail": t("ev_detail", lang),
            }
        )
    )
    trail = vm.history_table(history, lang, unmasked=unmask)
    positions = chain_positions(audit, case_id, aliases)
    trail.insert(0, t("report_chain_hash", lang), [h[:HASH_PREFIX] for _, h in positions])
    trail.insert(0, t("report_chain_seq", lang), ["" if s is None else str(s) for s, _ in positions])

    sections = (
        Section(t("report_basics", lang), tables=(_table(basics, (1, 3)),)),
        Section(t("report_explanation", lang), paragraphs=tuple(explained)),
        Section(
            t("report_thresholds", lang),
            tables=tuple(threshold_tables),
            empty="" if threshold_tables else "—",
        ),
        Section(
            t("report_graph", lang),
            picture=picture,
            caption=t("report_graph_caption", lang, nodes=len(graph.nodes), edges=len(graph.edges))
            + (" " + t("graph_truncated", lang, shown=len(graph.nodes)) if graph.truncated else ""),
        ),
        Section(
            t("report_rows", lang),
            tables=tuple(row_tables),
            empty="" if row_tables else t("no_evidence_rows", lang),
        ),
        Section(
            t("report_timeline", lang),
            tables=(_table(timeline, (2.2, 1.8, 1.4, 2.4, 1.6, 2.4)),) if not timeline.empty else (),
            empty=t("no_timeline", lang) if timeline.empty else "",
        ),
        Section(
            t("report_history", lang),
            paragraphs=(t("report_chain", lang),),
            tables=(_table(trail),) if not trail.empty else (),
            empty=t("no_history", lang) if trail.empty else "",
        ),
    )
    who = reader.name if reader is not None else ""
    return CaseReport(
        lang=lang,
        case_id=case_id,
        alert_ids=tuple(alert_ids),
        title=t("report_title", lang),
        subtitle=f"{grade_name(case['grade'], lang)} · {shown(cv.case_title(book, case, lang))}",
        notice=t("report_unmasked", lang, seq=trail_seq) if unmask else t("report_masked", lang),
        generated=t(
            "report_generated", lang, at=f"{datetime.now():%Y-%m-%d %H:%M}", who=who or "—", store=store_label
        ),
        sections=sections,
        unmasked=unmask,
        trail_seq=trail_seq,
    )


def report_from_store(
    store: Store,
    audit: AuditLog,
    target: str,
    *,
    lang: str = "zh",
    reader: User | None = None,
    unmask: bool = False,
    store_label: str = "",
) -> CaseReport:
    """:func:`build_report` from the store itself (the command line; the app has its data cached)."""
    book = vm.read_alert_book(store)
    _, alert_ids = resolve_target(book, target)
    keys = evidence_keys(book, alert_ids)
    graph = store.subgraph(keys, hops=1, limit=len(keys))
    return build_report(
        book, graph, audit, target, lang=lang, reader=reader, unmask=unmask, store_label=store_label
    )


# ---- writing it out --------------------------------------------------------------------------
@cache
def _font_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(REPORT_FONT), lazy=True).getBestCmap())


def missing_glyphs(report: CaseReport) -> list[str]:
    """Characters of the report that the shipped font cannot draw (a rare hanzi in a name)."""
    chars = _font_chars()
    return sorted({ch for ch in report.text() if ord(ch) not in chars and not ch.isspace()})


_INK = (38, 39, 48)
_MUTED = (107, 111, 118)
_ACCENT = (31, 73, 125)
_HEAD_FILL = (232, 236, 242)


def _picture_ratio(png: bytes) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        return float(picture.height / picture.width)


def render_pdf(report: CaseReport) -> bytes:
    """The report as a PDF (A4), its glyphs embedded from the shipped font."""
    import logging

    from fpdf import FPDF
    from fpdf.fonts import FontFace

    # fpdf2 logs every glyph the font lacks; missing_glyphs() says so once, to the person
    logging.getLogger("fpdf").setLevel(logging.ERROR)

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font("cjk", size=8)
            self.set_text_color(*_MUTED)
            self.cell(self.epw / 2, 5, f"{report.title} · {report.case_id}", align="L")
            self.cell(
                self.epw / 2,
                5,
                t("report_confidential", report.lang),
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.set_draw_color(210, 214, 220)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.set_text_color(*_MUTED)
            self.cell(0, 5, t("report_page", report.lang, page=self.page_no(), pages="{nb}"), align="C")

    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{report.title} {report.case_id}")
    pdf.set_creator("Sunlight")
    pdf.set_lang("en" if report.lang == "en" else "zh-CN")
    pdf.add_font("cjk", "", str(REPORT_FONT))
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 12, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=12)
    pdf.multi_cell(0, 7, report.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=9)
    pdf.set_fill_color(*((253, 236, 234) if report.unmasked else (240, 244, 248)))
    pdf.multi_cell(0, 5.5, report.notice, fill=True, padding=2, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(0, 5, report.generated, new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.ln(4)
        # a heading stays with what follows it: the picture whole, else the first lines
        keep = 30 + (pdf.epw * _picture_ratio(section.picture) if section.picture else 0)
        if pdf.will_page_break(keep):
            pdf.add_page()
        pdf.set_font("cjk", size=13)
        pdf.set_text_color(*_ACCENT)
        pdf.cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*_ACCENT)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        pdf.set_text_color(*_INK)
        pdf.set_font("cjk", size=10)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 5.8, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        for table in section.tables:
            if table.title:
                pdf.set_font("cjk", size=9.5)
                pdf.set_text_color(*_ACCENT)
                pdf.multi_cell(0, 5.5, table.title, new_x="LMARGIN", new_y="NEXT")
                pdf.set_text_color(*_INK)
            size = 8 if len(table.columns) > 4 else 9
            pdf.set_font("cjk", size=size)
            with pdf.table(
                col_widths=table.widths or None,
                text_align="LEFT",
                line_height=size * 0.5,
                padding=1.2,
                headings_style=FontFace(emphasis=None, fill_color=_HEAD_FILL, color=_INK),
                borders_layout="HORIZONTAL_LINES",
            ) as grid:
                grid.row(list(table.columns))
                for values in table.rows:
                    grid.row(list(values))
            if table.omitted:
                pdf.set_text_color(*_MUTED)
                pdf.cell(
                    0, 6, t("report_more_rows", report.lang, n=table.omitted), new_x="LMARGIN", new_y="NEXT"
                )
                pdf.set_text_color(*_INK)
            pdf.ln(2)
        if section.picture:
            pdf.image(io.BytesIO(section.picture), w=pdf.epw)
        if section.caption:
            pdf.set_font("cjk", size=8.5)
            pdf.set_text_color(*_MUTED)
            pdf.multi_cell(0, 5, section.caption, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*_INK)
        if section.empty and not section.tables:
            pdf.set_font("cjk", size=10)
            pdf.set_text_color(*_MUTED)
            pdf.multi_cell(0, 6, section.empty, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*_INK)
    return bytes(pdf.output())


def render_docx(report: CaseReport) -> bytes:
    """The report as a Word file; text in the shipped font's family (East Asian text too)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    for name in ("Normal", "Title", "Heading 1", "Caption"):
        style = document.styles[name]
        style.font.name = REPORT_FONT_FAMILY
        # Word takes Chinese text's font from eastAsia, not from the font name
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), REPORT_FONT_FAMILY)
    document.styles["Normal"].font.size = Pt(10.5)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    header = section.header.paragraphs[0]
    header.text = f"{report.title} · {report.case_id}　　{t('report_confidential', report.lang)}"
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        else:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = text
        run._r.append(node)

    title = document.add_paragraph(report.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = document.add_paragraph(report.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    notice = document.add_paragraph(report.notice)
    notice.runs[0].font.color.rgb = (
        RGBColor(0xB7, 0x1C, 0x1C) if report.unmasked else RGBColor(0x1F, 0x49, 0x7D)
    )
    generated = document.add_paragraph(report.generated)
    generated.runs[0].font.size = Pt(8.5)
    for part in report.sections:
        document.add_heading(part.heading, level=1)
        for paragraph in part.paragraphs:
            document.add_paragraph(paragraph)
        for table in part.tables:
            if table.title:
                document.add_paragraph(table.title, style="Caption")
            grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
            grid.style = "Table Grid"
            cells = grid._cells  # one pass over the cells: python-docx's per-cell lookups are slow
            width = len(table.columns)
            for i, name in enumerate(table.columns):
                cells[i].text = name
                shading = OxmlElement("w:shd")
                shading.set(qn("w:fill"), "E8ECF2")
                cells[i]._tc.get_or_add_tcPr().append(shading)
            for r, values in enumerate(table.rows, start=1):
                for c, value in enumerate(values):
                    cells[r * width + c].text = value
            for cell in cells:
                for paragraph in cell.paragraphs:
                    for text_run in paragraph.runs:
                        text_run.font.size = Pt(8 if width > 4 else 9)
            if table.omitted:
                document.add_paragraph(t("report_more_rows", report.lang, n=table.omitted))
        if part.picture:
            document.add_picture(io.BytesIO(part.picture), width=Cm(17.0))
        if part.caption:
            document.add_paragraph(part.caption, style="Caption")
        if part.empty and not part.tables:
            document.add_paragraph(part.empty)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render(report: CaseReport, fmt: str) -> bytes:
    """The report in ``fmt`` (``pdf`` or ``docx``)."""
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "docx":
        return render_docx(report)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")

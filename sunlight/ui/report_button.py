"""The case page's "download report" control: the 线索核查报告 of the case on screen (sunlight.report).

The file is made only when the button is pressed (Streamlit runs the maker on a thread of its
own), in the page's language, masked as the page is: while the page shows the case unmasked the
report is unmasked too, and :func:`sunlight.report.build_report` records that in the trail before
it writes anything.
"""

from __future__ import annotations

import streamlit as st

from sunlight.auth import User
from sunlight.report import FORMATS, build_report, evidence_keys, render, resolve_target
from sunlight.ui import common
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import t

__all__ = ["offer_report"]


def offer_report(book: vm.AlertBook, case_id: str, user: User, unmasked: bool) -> None:
    """A format choice and the download button, for the case ``case_id`` as ``user`` sees it now."""
    language = common.lang()
    data = common.source()
    _, case_ids = resolve_target(book, case_id)
    keys = evidence_keys(book, case_ids)
    graph = common.subgraph(keys, hops=1, limit=len(keys))
    choice, button = st.columns([1, 2], vertical_alignment="bottom")
    fmt = choice.selectbox(
        t("report_format", language),
        options=list(FORMATS),
        format_func=lambda f: "PDF" if f == "pdf" else "Word (.docx)",
        key=f"report_format_{case_id}",
    )

    def make() -> bytes:
        report = build_report(
            book,
            graph,
            data.audit(),
            case_id,
            lang=language,
            reader=user,
            unmask=unmasked,
            store_label=data.label,
        )
        return render(report, str(fmt))

    button.download_button(
        t("report_download", language),
        data=make,
        file_name=f"{t('report_title', language)}-{case_id}.{fmt}",
        mime=FORMATS[str(fmt)],
        help=t("report_download_help", language),
        icon=":material/download:",
        on_click="ignore",
        key=f"report_{case_id}_{fmt}_{'unmasked' if unmasked else 'masked'}",
    )

"""Every table of the app cuts long text from the data as the rest of the screen does: the grid
shows a cell's whole text when the pointer rests on it, so a 10,000-character supplier name must
never reach it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page() -> None:
    import pandas as pd

    from sunlight.ui import common

    frame = pd.DataFrame(
        {"name": ["超长名称有限公司" * 1250, "华信科技有限公司"], "contracts": [3, 4]},
        index=pd.Index(["很长的部门" * 40, "信息中心"], name="department"),
    )
    common.table(frame)


def test_a_table_cuts_long_names_and_keeps_short_ones_and_numbers():
    at = AppTest.from_function(_page).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown.loc[:, "name"].iloc[0]) == 60 and shown["name"].iloc[0].endswith("…")
    assert shown["name"].iloc[1] == "华信科技有限公司"
    assert shown["contracts"].tolist() == [3, 4]
    assert max(len(name) for name in shown.index) <= 60 and shown.index.name == "department"

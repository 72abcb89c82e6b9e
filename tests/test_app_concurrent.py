"""Several investigators at once while a detector run writes the store: no error, the right data.

Real Chromium on a freshly started app (``sunlight bench --sessions`` with three sessions and one
round each); ``sunlight detect`` runs on the same store meanwhile, in a process of its own. Every
page is checked against the store: the queue's counts, the case's id and title, the search's hits.
The page times it measures are figures for docs/app.md, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sunlight.app_bench import CHROMIUM, prepared_store, run_sessions

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium"),
]


def test_three_sessions_work_the_queue_cases_and_search_while_detect_writes(tmp_path: Path) -> None:
    store = prepared_store(800, seed=11, cache=tmp_path / "data", folder=tmp_path)
    result = run_sessions(store, sessions=3, rounds=1, seed=11, log_dir=tmp_path)

    assert result["errors"] == []
    assert result["wrong"] == []
    assert {page: figures["count"] for page, figures in result["pages"].items()} == {
        "overview (first paint after sign-in)": 3,
        "queue": 3,
        "case": 3,
        "search": 3,
    }
    # the sessions ran while sunlight detect was writing: it started first and ran to its end
    assert result["detect_runs"] and all(run["exit_code"] == 0 for run in result["detect_runs"])

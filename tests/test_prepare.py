"""The prepare step: tables built once per run, shared without changing what any detector finds."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pandas as pd
import pytest

from detectors import approval_communities, bid_rigging, communities
from detectors.prepare import PreparedSnapshot, prepare
from detectors.prepare.parties import pivot_links, split_hubs
from detectors.registry import _MODULES, all_detectors
from detectors.runner import run_detectors
from graph.snapshot import GraphSnapshot


@pytest.fixture(scope="module")
def generated_source(tmp_path_factory: pytest.TempPathFactory):
    """A generated organisation in an embedded store (snapshots are read from it afresh)."""
    from graph.stores import open_store
    from loaders import load_source
    from loaders.generator import generate

    folder: Path = tmp_path_factory.mktemp("generated")
    generate(folder / "data", scale=2000, seed=7)
    store = open_store(folder / "store")
    store.write(load_source(folder / "data").data)
    yield store
    store.close()


def _fresh(store) -> GraphSnapshot:
    """A new snapshot of the same store: nothing computed on another one is shared with it."""
    return store.snapshot()


def _alerts(result) -> list[tuple[str, float, str, str, str]]:
    return sorted((a.id, a.score, a.level, a.explanation_en, a.explanation_zh) for a in result.alerts)


@pytest.mark.slow
def test_a_shared_run_finds_what_each_detector_finds_alone_in_any_order(generated_source):
    # a detector that modified a shared table would change what the ones after it find
    shared = run_detectors(_fresh(generated_source))
    assert not shared.failed
    backwards = run_detectors(_fresh(generated_source), detectors=all_detectors()[::-1])
    alone = [run_detectors(_fresh(generated_source), only=[d.id]) for d in all_detectors()]
    separately = sorted(a for result in alone for a in _alerts(result))
    assert _alerts(shared) == _alerts(backwards) == separately
    assert len(shared.alerts) > 50


def test_the_tender_screens_follow_the_users_bid_rigging_settings(generated_source):
    snapshot = _fresh(generated_source)
    strict = bid_rigging.Params(min_bids=99, max_event_share=0.0, cover_max_gap=0.0, min_peer_tenders=10**6)
    default = prepare(snapshot, {}).tender_screens()
    user = prepare(snapshot, {"bid_rigging": strict}).tender_screens()
    assert user["flagged"].sum() < default["flagged"].sum()
    pd.testing.assert_frame_equal(user, bid_rigging.tender_screens(snapshot, strict))
    # the community detectors read the screens of the run's settings, not the defaults
    rows_default = approval_communities.approval_community_table(
        prepare(snapshot, {}), approval_communities.Params(null_rounds=0)
    )[1]
    rows_user = approval_communities.approval_community_table(
        prepare(snapshot, {"bid_rigging": strict}), approval_communities.Params(null_rounds=0)
    )[1]
    assert rows_user["red_flag"].sum() < rows_default["red_flag"].sum()
    table_user = communities.community_table(prepare(snapshot, {"bid_rigging": strict}), communities.Params())
    table_default = communities.community_table(prepare(snapshot, {}), communities.Params())
    assert not table_user.communities["score"].equals(table_default.communities["score"])


def test_a_snapshot_is_prepared_once_per_settings_and_a_prepared_one_is_kept():
    snapshot = _empty()
    first = prepare(snapshot)
    assert isinstance(first, PreparedSnapshot)
    assert prepare(snapshot) is first
    assert prepare(first) is first
    other = prepare(snapshot, {"bid_rigging": bid_rigging.Params(min_bids=6)})
    assert other is not first
    assert other.screen_params.min_bids == 6
    assert first.tender_screens().empty


def _empty() -> GraphSnapshot:
    from graph.snapshot import empty_snapshot

    return empty_snapshot()


def test_each_detector_keeps_its_own_hub_thresholds_on_one_pivot_table(generated_source):
    snapshot = prepare(_fresh(generated_source))
    links = pivot_links(snapshot)
    assert {"party", "kind", "value", "pivot", "parties", "employees"} <= set(links.columns)
    assert (links["parties"] >= 2).all()
    loose_links, loose_hubs = snapshot.shared_pivots(max_parties=1000, max_employees=1000)
    tight_links, tight_hubs = snapshot.shared_pivots(max_parties=2, max_employees=0)
    assert loose_hubs.empty and len(loose_links) == len(links)
    assert len(tight_hubs) > 0 and len(tight_links) + len(tight_hubs) == len(links)
    assert snapshot.shared_pivots(2, 0)[1] is tight_hubs  # computed once
    split = split_hubs(links, 2, 0)
    pd.testing.assert_frame_equal(split[1], tight_hubs)


def test_no_detector_imports_another():
    detector_modules = set(_MODULES)
    for name in _MODULES:
        module = importlib.import_module(name)
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
        assert not (imported & detector_modules) - {name}, f"{name} imports {imported & detector_modules}"

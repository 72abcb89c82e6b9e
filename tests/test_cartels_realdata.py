"""The labelled cartel markets: reading them through the loader, and how the detectors rank them.

These tests read ``../shared/data`` (the García Rodríguez et al. 2022 markets and the
named Ohio school-milk file). They are skipped, saying why, where that folder is absent.
Large markets are sampled to keep the run short.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loaders.cartels import GARCIA_MARKETS, OHIO, load_cartel_markets, market_graph_data
from sunlight.cartel_eval import (
    average_precision,
    evaluate_cartels,
    evaluate_market,
    market_snapshot,
    roc_auc,
    snapshot_via_store,
)

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (DATA / "garcia-collusion").is_dir() or not (DATA / "ohio-school-milk").is_dir(),
        reason=f"labelled cartel data not found under {DATA} (garcia-collusion/, ohio-school-milk/)",
    ),
]

#: bids, tenders and bidder ids per market, as counted in garcia-collusion/SOURCE.md
SOURCE_COUNTS = {
    "brazil": (683, 101, 272),
    "italy": (20_286, 278, 821),
    "japan": (13_515, 1_080, 1_665),
    "usa": (7_004, 3_754, 120),
    "switzerland_ticino": (1_629, 224, None),
    "switzerland_gr_see_gaster": (21_231, 4_344, None),
}
#: collusive tenders and cartel firms, from the same table
LABEL_COUNTS = {"brazil": (33, 65), "italy": (143, 98), "japan": (123, 145), "usa": (487, 3)}


@pytest.fixture(scope="module")
def markets():
    return {m.key: m for m in load_cartel_markets(DATA)}


def test_every_market_reads_with_the_counts_its_source_states(markets):
    assert set(markets) == {*GARCIA_MARKETS, OHIO}
    for key, (bids, tenders, firms) in SOURCE_COUNTS.items():
        market = markets[key]
        duplicates = 5 if key == "japan" else 0  # five repeated (tender, bidder) rows keep their lowest bid
        assert len(market.tables["bids"]) == bids - duplicates
        assert market.tables["bids"]["tender_id"].nunique() == tenders == len(market.tender_labels)
        if firms is not None:
            assert market.tables["suppliers"]["supplier_id"].nunique() == firms
    for key, (collusive, cartel_firms) in LABEL_COUNTS.items():
        assert int(markets[key].tender_labels.sum()) == collusive
        assert int(markets[key].firm_labels.sum()) == cartel_firms
    ohio = markets[OHIO]
    assert set(ohio.firm_labels[ohio.firm_labels == 1].index) == {"H.MEYER", "LOUISTRAUTH", "COORSBROTHERS"}
    assert int(ohio.tender_labels.sum()) == 487  # the same tenders as García's thresholded 'usa' label


def test_labels_never_reach_the_tables_the_detectors_see(markets):
    for market in markets.values():
        for frame in market.tables.values():
            leaked = [c for c in frame.columns if "collusive" in c.lower() or "cartel" in c.lower()]
            assert not leaked, f"{market.key}: {leaked}"


def test_markets_go_through_the_data_contract_loader(markets):
    ohio = markets[OHIO]
    data = market_graph_data(ohio)
    assert len(data.nodes["Supplier"]) == 120 and len(data.nodes["Contract"]) == 3_754
    snapshot = snapshot_via_store(data)
    assert len(snapshot.bids) == 7_004
    assert snapshot.policy["currency"] == "USD"
    assert snapshot.contracts["department_id"].str.startswith("district-").all()
    assert snapshot.contracts["signed_date"].dt.month.eq(9).all()
    # markets without calendar dates carry bids only
    assert markets["italy"].tables["contracts"].empty
    assert len(market_snapshot(markets["switzerland_ticino"]).bids) == 1_629


def test_auc_and_average_precision_agree_with_their_definitions():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = rng.normal(size=300) + labels
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert roc_auc(labels, scores) == pytest.approx(pairs)
    order = np.argsort(-scores)
    hits = labels[order]
    precision_at_hit = np.cumsum(hits)[hits == 1] / (np.flatnonzero(hits) + 1)
    assert average_precision(labels, scores) == pytest.approx(precision_at_hit.mean())
    assert roc_auc([1, 1], [0.2, 0.3]) is None


def test_bid_screens_rank_the_collusive_tenders_of_brazil_and_ticino_first(markets):
    """Markets where cartels left the classic cover-bid signature in the bids."""
    for key in ("brazil", "switzerland_ticino"):
        result = evaluate_market(markets[key])
        assert result["tender_roc_auc"] > 0.8, (key, result["tender_roc_auc"])
        assert result["tender_pr_auc"] > result["tender_base_rate"]


def test_the_convicted_ohio_dairies_share_one_co_bidding_community(markets):
    result = evaluate_market(markets[OHIO])
    ranks = result["cartel_firm_ranks"]
    assert set(ranks) == {"H.MEYER", "LOUISTRAUTH", "COORSBROTHERS"}
    communities = {tuple(entry["community_members"]) for entry in ranks.values()}
    assert len(communities) == 1  # the three are grouped together, unsupervised
    assert all(entry["supplier_rank"] <= 60 for entry in ranks.values())  # the upper half of 120 dairies
    assert result["firm_roc_auc"] > 0.6


def test_evaluate_cartels_writes_the_documented_keys_for_sampled_markets():
    results = evaluate_cartels(DATA, markets=["italy", "switzerland_gr_see_gaster"], max_tenders=120, seed=1)
    assert set(results) == {"italy", "switzerland_gr_see_gaster"}
    for result in results.values():
        assert {"tenders", "tender_roc_auc", "tender_pr_auc", "firm_recall_at_k", "k"} <= set(result)
        assert result["tenders"] == 120
        assert 0.0 <= result["tender_roc_auc"] <= 1.0
        assert result["reference"]["thr_roc_auc"] > 50
        assert any("sampled 120" in note for note in result["notes"])
    assert results["switzerland_gr_see_gaster"]["firm_recall_at_k"] is None  # no bidder ids there
    assert 0.0 <= results["italy"]["firm_recall_at_k"] <= 1.0
    for result in results.values():
        assert (
            0.0 <= result["learned_tender_roc_auc"] <= 1.0 and 0.0 <= result["learned_tender_pr_auc"] <= 1.0
        )


def test_learning_from_japans_labels_ranks_its_held_out_tenders_well_beyond_the_screens(markets):
    """The learner of sunlight learn, trained within the market on 80 % of the tenders' labels:
    the held-out tenders' bidders met in collusive tenders before (the shared-bidder graph)."""
    result = evaluate_market(markets["japan"])
    assert result["learned_tender_roc_auc"] > 0.9 > result["tender_roc_auc"] + 0.1
    assert result["learned_tender_pr_auc"] > 2 * result["tender_pr_auc"]


def test_the_learned_figures_come_from_the_cases_decided_in_the_store(markets, tmp_path):
    """eval-cartels' learned figures go through the store: the training tenders are cases an admin
    decides through the case workflow, and sunlight learn's code trains on those decisions."""
    from detectors import bid_rigging
    from graph.cases import read_cases
    from graph.stores import open_store
    from sunlight.audit import AuditLog
    from sunlight.cartel_eval import decide_tenders, learned_tender_scores, tender_store

    market = markets["brazil"]
    screens = bid_rigging.tender_screens(market_snapshot(market))
    tender_store(market, screens, tmp_path / "store")
    store, audit = open_store(tmp_path / "store"), AuditLog(tmp_path / "store")
    try:
        # no dispositions in the store: the rules stand alone and there is no learned figure
        assert learned_tender_scores(store, audit) is None
        labels = market.tender_labels.astype(int)
        labels.index = labels.index.astype(str)
        rng = np.random.default_rng(3)
        train = labels.index[rng.random(len(labels)) < 0.8]
        decide_tenders(store, audit, labels.loc[train])
        statuses = read_cases(store)["status"].value_counts().to_dict()
        assert statuses == {
            "confirmed": int(labels.loc[train].sum()),
            "dismissed": int((labels.loc[train] == 0).sum()),
            "open": len(labels) - len(train),
        }
        scored = learned_tender_scores(store, audit)
    finally:
        store.close()
    assert scored is not None and set(scored.index) == set(labels.index) - set(train)
    held = labels.loc[scored.index]
    assert roc_auc(held, scored) > 0.75
    learned = [e for e in audit.entries() if e["action"] == "learn"]
    assert learned[-1]["details"]["status"] == "trained"
    assert learned[-1]["details"]["positive"] == int(labels.loc[train].sum())
    assert audit.verify() is None


def test_italys_average_bid_auctions_are_read_from_who_wins_and_ranked_by_their_regulars(markets):
    """In Italy the bid nearest a trimmed average wins, never the lowest: the screens read the
    format from the data (no label) and build the tender score on the bidders' regularity."""
    from detectors import bid_rigging

    screens = bid_rigging.tender_screens(market_snapshot(markets["italy"]))
    assert set(screens["auction_format"]) == {"average_bid"}
    for key in ("brazil", "japan", "switzerland_ticino"):  # first-price markets keep their screens
        other = bid_rigging.tender_screens(market_snapshot(markets[key]))
        assert set(other["auction_format"]) == {"first_price"}, key
    result = evaluate_market(markets["italy"], learned=False)
    assert result["tender_roc_auc"] > 0.8
    assert result["screen_roc_auc_3plus_bids"] < 0.7  # the bids' dispersion alone says little there


def test_the_pair_test_finds_the_ohio_cartel_whose_ring_outsiders_win_too_often(markets):
    """The three convicted dairies are the market's most significant closed pairs (Coors Brothers
    bid 131 times, always beside another of the three): the co-bidding look of ``bid_rigging``
    holds the cartel. Their ring (with five dairies that met them often) is dropped because its
    members win 87 % of its tenders, under ``min_member_win_share`` (evaluation.md says why
    that bar is left where it is)."""
    from detectors import bid_rigging

    snapshot = market_snapshot(markets[OHIO])
    params = bid_rigging.Params()
    frame = bid_rigging.tender_screens(snapshot, params)
    pairs, _tested = bid_rigging._pair_tests(snapshot, frame, params)
    closed = pairs[pairs["closed"]].sort_values("cobid_q").reset_index(drop=True)
    cartel = {"H.MEYER", "LOUISTRAUTH", "COORSBROTHERS"}
    inside = closed[closed["a"].isin(cartel) & closed["b"].isin(cartel)]
    assert len(inside) == 3  # every pair of the three meets far more often than chance
    assert inside.index.max() < 4  # ... and they are three of the four strongest closed pairs
    rings = bid_rigging._rings(pairs[pairs["suspicious"]])
    (ring,) = [r for r in rings if cartel & r]
    assert cartel <= ring and len(ring) < 10
    seen = {t for m in ring for t in snapshot.bids.loc[snapshot.bids["supplier_id"] == m, "tender_id"]}
    joint = [
        t
        for t in seen
        if snapshot.bids.loc[snapshot.bids["tender_id"] == t, "supplier_id"].isin(ring).sum() >= 2
    ]
    member_wins = frame.loc[joint, "winner_id"].isin(ring).mean()
    assert 0.8 < member_wins < params.min_member_win_share  # why no ring alert names them


def test_the_pre_tender_estimate_travels_through_the_store_to_the_award_ratio(markets):
    """Brazil's and Japan's estimates reach the screens as the contracts' ``estimate``; the Ohio
    file has none, and its tenders keep the bids' screen score as their basis."""
    from detectors import bid_rigging

    for key in ("brazil", "japan"):
        screens = bid_rigging.tender_screens(market_snapshot(markets[key]))
        assert screens["award_ratio"].notna().mean() > 0.9, key  # tenders without a dated contract have none
        assert 0.5 < screens["award_ratio"].median() < 1.1, key
    usa = bid_rigging.tender_screens(market_snapshot(markets["usa"]))
    assert usa["award_ratio"].isna().all()
    assert (usa["score_basis"] == usa["screen_score"]).all()

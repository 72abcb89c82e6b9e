"""Bid-rigging screens: the statistics, the fences, the event screens, the findings."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from detector_snapshots import snapshot_of
from scipy import stats

from detectors import bid_rigging
from detectors.base import level_of
from detectors.bid_rigging import Params, run, tender_screens

FIRMS = [f"S{i:02d}" for i in range(1, 21)]


def _market(seed: int = 3, tenders: int = 40, spread: float = 0.14, method: str = "open"):
    """A competitive category: 4–6 bids per tender, uniform ±``spread`` around an estimate, lowest wins."""
    rng = np.random.default_rng(seed)
    bids, contracts = [], []
    for t in range(tenders):
        k = int(rng.integers(4, 7))
        who = rng.choice(len(FIRMS), k, replace=False)
        est = float(rng.uniform(4e5, 3e6))
        amounts = np.round(est * rng.uniform(1 - spread, 1 + spread, k), -2)
        _add(
            bids,
            contracts,
            f"T{t:03d}",
            [(FIRMS[w], float(a)) for w, a in zip(who, amounts, strict=True)],
            method,
        )
    return bids, contracts


def _add(bids, contracts, tender, entries, method="open", category="电缆"):
    winner = min(entries, key=lambda e: e[1])[0]
    for supplier, amount in entries:
        bids.append(
            {
                "tender_id": tender,
                "supplier_id": supplier,
                "bid_amount": amount,
                "is_winner": supplier == winner,
            }
        )
    contracts.append(
        {
            "contract_id": f"C{tender}",
            "supplier_id": winner,
            "amount": min(a for _, a in entries),
            "signed_date": "2024-05-01",
            "category": category,
            "method": method,
            "tender_id": tender,
        }
    )


def _snapshot(bids, contracts, **policy):
    suppliers = [{"supplier_id": s, "name": f"{s}电缆有限公司"} for s in FIRMS]
    return snapshot_of(contracts=contracts, bids=bids, suppliers=suppliers, policy=policy or None)


RIGGED = [
    ("S01", 1_000_000.0),
    ("S02", 1_031_000.0),
    ("S03", 1_032_500.0),
    ("S04", 1_033_800.0),
    ("S05", 1_034_600.0),
]


def test_screen_statistics_follow_their_definitions():
    bids, contracts = _market(tenders=5)
    frame = tender_screens(_snapshot(bids, contracts))
    per_tender = pd.DataFrame(bids).groupby("tender_id")["bid_amount"]
    for tender, amounts in per_tender:
        b = np.sort(amounts.to_numpy())
        row = frame.loc[tender]
        assert row["cv"] == pytest.approx(b.std(ddof=1) / b.mean())
        assert row["spread"] == pytest.approx((b[-1] - b[0]) / b[0])
        assert row["diffp"] == pytest.approx((b[1] - b[0]) / b[0])
        assert row["rd"] == pytest.approx((b[1] - b[0]) / b[1:].std(ddof=1))
        assert row["skew"] == pytest.approx(stats.skew(b, bias=False))
        assert row["kurt"] == pytest.approx(stats.kurtosis(b, bias=False))


def test_statistics_need_enough_bids():
    bids, contracts = [], []
    _add(bids, contracts, "T2", [("S01", 100.0), ("S02", 110.0)])
    _add(bids, contracts, "T3", [("S01", 100.0), ("S02", 110.0), ("S03", 115.0)])
    frame = tender_screens(_snapshot(bids, contracts))
    assert np.isnan(frame.loc["T2", "rd"]) and np.isnan(frame.loc["T2", "skew"])
    assert not np.isnan(frame.loc["T3", "skew"]) and np.isnan(frame.loc["T3", "kurt"])


def test_a_rigged_tender_among_competitive_ones_is_flagged_high_and_explained():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED)
    alone = run(_snapshot(bids, contracts), Params())
    # one bunched tender is a screen, not proof: it is reported, at most medium
    assert [f.subject for f in alone] == ["T900"] and level_of(alone[0].score) == "medium"
    assert alone[0].evidence["metrics"]["repeated_pair_tenders"] == 1
    # the same bidders bunched again in another tender: the pattern repeats, both are high
    _add(bids, contracts, "T901", RIGGED)
    findings = run(_snapshot(bids, contracts), Params())
    assert sorted(f.subject for f in findings) == ["T900", "T901"]
    finding = next(f for f in findings if f.subject == "T900")
    assert level_of(finding.score) == "high"
    assert finding.evidence["metrics"]["repeated_pair_tenders"] == 2
    assert finding.entities[0] == "tender:T900" and finding.entities[1] == "supplier:S01"
    assert set(finding.evidence["metrics"]["fired"]) >= {"cv", "rd", "cover"}
    assert "T900" in finding.explanation_zh and "S01电缆有限公司" in finding.explanation_zh
    assert "100.00万元" in finding.explanation_zh and "CNY 1,031,000" in finding.explanation_en
    fence = finding.evidence["thresholds"]["fences"]["cv"]
    assert f"{fence:.2%}" in finding.explanation_en  # the fence computed from the data is printed
    json.dumps(finding.evidence)  # evidence must be JSON: no NaN or infinity


def test_a_competitive_market_raises_nothing():
    bids, contracts = _market()
    assert run(_snapshot(bids, contracts), Params()) == []


def test_evenly_spaced_tight_bids_are_a_near_miss():
    bids, contracts = _market()
    _add(bids, contracts, "T900", [(f"S0{i + 1}", 1_000_000.0 + 22_000 * i) for i in range(5)])
    assert run(_snapshot(bids, contracts), Params()) == []


def test_identical_bids_fire_where_they_are_rare_but_not_where_they_are_the_norm():
    bids, contracts = _market()
    _add(
        bids,
        contracts,
        "T900",
        [("S01", 900_000.0), ("S02", 950_000.0), ("S03", 950_000.0), ("S04", 1_200_000.0)],
    )
    findings = run(_snapshot(bids, contracts), Params())
    assert [f.subject for f in findings] == ["T900"]
    assert "identical" in findings[0].evidence["metrics"]["fired"]
    assert findings[0].score >= bid_rigging.IDENTICAL_FLOOR

    # a market where every tender has a tie at the published floor price: a tie is no news
    bids, contracts = [], []
    for t in range(20):
        _add(
            bids,
            contracts,
            f"F{t}",
            [("S01", 500.0), ("S02", 500.0), ("S03", 520.0 + 10 * t), ("S04", 700.0)],
        )
    frame = tender_screens(_snapshot(bids, contracts))
    assert frame["has_identical"].all() and not frame["identical"].any()


def test_single_bid_fires_in_a_competitive_tender_only():
    bids, contracts = _market()
    _add(bids, contracts, "T900", [("S01", 1_000_000.0)], method="open")
    _add(bids, contracts, "T901", [("S02", 1_000_000.0)], method="single_source")
    subjects = {f.subject for f in run(_snapshot(bids, contracts), Params())}
    assert subjects == {"T900"}


def test_cover_bids_need_the_winner_lowest_and_a_tight_cluster():
    bids, contracts = _market()
    _add(bids, contracts, "T900", [("S01", 1_000_000.0), ("S02", 1_020_000.0), ("S03", 1_020_500.0)])
    frame = tender_screens(_snapshot(bids, contracts))
    assert frame.loc["T900", "cover"]
    assert not frame.drop(index="T900")["cover"].any()


def test_amounts_in_another_currency_are_written_with_it():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED)
    finding = run(_snapshot(bids, contracts, currency="USD"), Params())[0]
    assert "USD 1,031,000" in finding.explanation_en and "USD 1,031,000" in finding.explanation_zh


def test_subjects_are_stable_when_unrelated_tenders_arrive():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED)
    before = {f.subject for f in run(_snapshot(bids, contracts), Params())}
    more_bids, more_contracts = _market(seed=9, tenders=10)
    more_bids = [dict(b, tender_id="N" + b["tender_id"]) for b in more_bids]
    more_contracts = [
        dict(c, tender_id="N" + c["tender_id"], contract_id="N" + c["contract_id"]) for c in more_contracts
    ]
    after = {f.subject for f in run(_snapshot(bids + more_bids, contracts + more_contracts), Params())}
    assert before == {"T900"} and "T900" in after


def test_a_small_category_is_compared_with_all_tenders():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED, category="稀有类别")
    frame = tender_screens(_snapshot(bids, contracts))
    assert frame.loc["T900", "peer_group"] == bid_rigging.ALL_PEERS
    assert frame.loc["T000", "peer_group"] == "电缆"


def test_vectorised_screens_match_a_loop_over_tenders_on_random_markets():
    rng = np.random.default_rng(0)
    bids = [
        {"tender_id": f"R{t}", "supplier_id": s, "bid_amount": float(a), "is_winner": False}
        for t in range(200)
        for s, a in zip(
            rng.choice(FIRMS, int(rng.integers(1, 9)), replace=False),
            np.round(rng.lognormal(12, 0.4, 8), 0),
            strict=False,
        )
    ]
    frame = tender_screens(snapshot_of(bids=bids))
    for tender, group in pd.DataFrame(bids).groupby("tender_id"):
        b = np.sort(group["bid_amount"].to_numpy())
        row = frame.loc[tender]
        assert row["n_bids"] == len(b)
        if len(b) >= 2:
            assert row["cv"] == pytest.approx(b.std(ddof=1) / b.mean())
        if len(b) >= 4 and b.std() > 0:
            assert row["kurt"] == pytest.approx(stats.kurtosis(b, bias=False))


def test_empty_snapshot_gives_no_findings():
    assert run(snapshot_of(), Params()) == []
    assert tender_screens(snapshot_of()).empty

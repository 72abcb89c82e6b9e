"""Bid-rigging screens: the statistics, the fences, the event screens, the findings."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from detector_snapshots import snapshot_of
from scipy import stats

from detectors.base import level_of
from detectors.bid_rigging import Params, run, tender_screens
from detectors.calibration import calibrate
from detectors.prepare.screens import ALL_PEERS

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


def _snapshot(bids, contracts, phones=None, relations=(), **policy):
    listed = dict.fromkeys((*FIRMS, "K1", "K2", "K3", "K4", *(b["supplier_id"] for b in bids)))
    suppliers = [{"supplier_id": s, "name": f"{s}电缆有限公司"} for s in listed]
    return snapshot_of(
        contracts=contracts,
        bids=bids,
        suppliers=suppliers,
        policy=policy or None,
        supplier_phones=phones,
        relations=relations,
    )


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


RING = ("K1", "K2", "K3", "K4")


def _ring(bids, contracts, tenders=5, members=RING, prefix="R"):
    """A ring taking turns: the designated winner bids low, the others cover 3.1–3.5 % above it."""
    for t in range(tenders):
        winner = members[t % len(members)]
        base = 800_000.0 + 50_000 * t
        covers = [m for m in members if m != winner]
        _add(
            bids,
            contracts,
            f"{prefix}{t}",
            [(winner, base), *((m, base * (1.031 + 0.0015 * i)) for i, m in enumerate(covers))],
        )


def test_a_buyers_note_lists_equally_scored_tenders_in_tender_order_whatever_the_input_order():
    """Re-runs must not see a changed alert: ties keep one order (the rows came in hash order before)."""
    orders = []
    for names in (("T903", "T901", "T902"), ("T902", "T903", "T901")):
        bids, contracts = _market()
        for name in names:
            # the same bunched shape from different firms each time: three lone leads of one buyer
            firms = [(f"L{name}{j}", amount) for j, (_, amount) in enumerate(RIGGED)]
            _add(bids, contracts, name, firms)
        notes = [f for f in run(_snapshot(bids, contracts), Params()) if f.subject.startswith("buyer|")]
        assert len(notes) == 1
        tenders = tuple(e for e in notes[0].entities if e.startswith("tender:"))
        orders.append((tenders, [r["tender_id"] for r in notes[0].evidence["rows"]]))
    assert orders[0] == orders[1]
    assert orders[0][0] == ("tender:T901", "tender:T902", "tender:T903")


def test_one_rigged_looking_tender_is_a_low_note_of_its_buyer():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED)
    findings = run(_snapshot(bids, contracts), Params())
    # one bunched tender is a screen, not proof: it is gathered per buyer, low
    assert [f.subject for f in findings] == ["buyer|?"]
    note = findings[0]
    assert level_of(note.score) == "low" and note.entities == ("tender:T900",)
    assert note.evidence["rows"][0]["tender_id"] == "T900"
    assert set(note.evidence["rows"][0]["fired"]) >= {"cv", "rd", "cover"}
    assert "T900" in note.explanation_zh and "no ring stands out" in note.explanation_en
    json.dumps(note.evidence)  # evidence must be JSON: no NaN or infinity


def test_a_ring_taking_turns_is_one_high_alert_with_its_tenders():
    bids, contracts = _market()
    _ring(bids, contracts)
    findings = run(_snapshot(bids, contracts), Params())
    assert [f.subject for f in findings] == ["ring|K1|K2|K3|K4"]
    ring = findings[0]
    assert level_of(ring.score) == "high"
    assert set(ring.entities[:4]) == {"supplier:K1", "supplier:K2", "supplier:K3", "supplier:K4"}
    assert {e for e in ring.entities if e.startswith("tender:")} == {f"tender:R{t}" for t in range(5)}
    metrics = ring.evidence["metrics"]
    assert metrics["tenders"] == 5 and metrics["member_win_share"] == 1.0
    assert sorted(metrics["wins"].values()) == [1, 1, 1, 2]
    assert metrics["pairs"][0]["q_value"] <= Params().alpha
    assert "K1电缆有限公司" in ring.explanation_zh and "轮流中标" in ring.explanation_zh
    assert "in turn" in ring.explanation_en
    json.dumps(ring.evidence)


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
    assert [f.subject for f in findings] == ["buyer|?"]
    assert "identical" in findings[0].evidence["rows"][0]["fired"]
    assert findings[0].evidence["metrics"]["identical"] == 1
    assert level_of(findings[0].score) == "medium"

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
    findings = run(_snapshot(bids, contracts), Params())
    assert [f.subject for f in findings] == ["buyer|?"]
    assert [r["tender_id"] for r in findings[0].evidence["rows"]] == ["T900"]


def test_cover_bids_need_the_winner_lowest_and_a_tight_cluster():
    bids, contracts = _market()
    _add(bids, contracts, "T900", [("S01", 1_000_000.0), ("S02", 1_020_000.0), ("S03", 1_020_500.0)])
    frame = tender_screens(_snapshot(bids, contracts))
    assert frame.loc["T900", "cover"]
    assert not frame.drop(index="T900")["cover"].any()


def test_amounts_in_another_currency_are_written_with_it():
    bids, contracts = _market()
    _ring(bids, contracts)
    finding = run(_snapshot(bids, contracts, currency="USD"), Params())[0]
    assert "USD 4,500,000" in finding.explanation_en and "USD 4,500,000" in finding.explanation_zh


def test_subjects_are_stable_when_unrelated_tenders_arrive():
    bids, contracts = _market()
    _ring(bids, contracts)
    before = {f.subject for f in run(_snapshot(bids, contracts), Params())}
    more_bids, more_contracts = _market(seed=9, tenders=10)
    more_bids = [dict(b, tender_id="N" + b["tender_id"]) for b in more_bids]
    more_contracts = [
        dict(c, tender_id="N" + c["tender_id"], contract_id="N" + c["contract_id"]) for c in more_contracts
    ]
    after = {f.subject for f in run(_snapshot(bids + more_bids, contracts + more_contracts), Params())}
    assert before == {"ring|K1|K2|K3|K4"} and before <= after


def test_ring_members_who_also_compete_elsewhere_are_still_one_ring():
    bids, contracts = _market()
    _ring(bids, contracts, tenders=6, members=("S01", "S02", "S03"))
    findings = run(_snapshot(bids, contracts), Params())
    rings = [f for f in findings if f.subject.startswith("ring|")]
    assert [f.subject for f in rings] == ["ring|S01|S02|S03"]
    # the ring's rigged tenders come first in its evidence, its ordinary meetings after
    assert {r["tender_id"] for r in rings[0].evidence["rows"][:6]} == {f"R{t}" for t in range(6)}


def test_a_small_category_is_compared_with_all_tenders():
    bids, contracts = _market()
    _add(bids, contracts, "T900", RIGGED, category="稀有类别")
    frame = tender_screens(_snapshot(bids, contracts))
    assert frame.loc["T900", "peer_group"] == ALL_PEERS
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


def test_co_bidders_sharing_a_phone_are_a_ring_and_a_group_sharing_it_without_bidding_is_not():
    bids, contracts = _market()
    for t in range(3):  # ordinary-looking tenders, but S01 and S02 answer the same phone
        _add(bids, contracts, f"P{t}", [("S01", 1_000_000.0 + t), ("S02", 1_100_000.0), ("S03", 1_180_000.0)])
    shared = {"S01": "13900000001", "S02": "13900000001"}
    rings = [
        f for f in run(_snapshot(bids, contracts, phones=shared), Params()) if f.subject.startswith("ring|")
    ]
    assert [f.subject for f in rings] == ["ring|S01|S02"]
    assert rings[0].evidence["metrics"]["pairs"][0]["shared_contact"] == "Phone"
    assert "电话" in rings[0].explanation_zh and "share contact details" in rings[0].explanation_en
    # K1 and K2, one group's companies at the same number, never meet in a tender: nothing
    group = {"K1": "13900000009", "K2": "13900000009"}
    assert not [
        f for f in run(_snapshot(bids, contracts, phones=group), Params()) if f.subject.startswith("ring|")
    ]


def _closed_group(bids, contracts, members, tenders, outsider_wins=(), prefix="G"):
    """Members who bid together in every one of their tenders at ordinary, competitive-looking prices."""
    rng = np.random.default_rng(11)
    for t in range(tenders):
        base = float(rng.uniform(5e5, 2e6))
        amounts = base * rng.uniform(0.9, 1.1, len(members) + 1)
        entries = [(m, float(round(a, -2))) for m, a in zip(members, amounts, strict=False)]
        # an outsider bids too; in ``outsider_wins`` it bids lowest
        low = min(a for _, a in entries)
        entries.append(("S20", low * (0.97 if t in outsider_wins else 1.08)))
        _add(bids, contracts, f"{prefix}{t}", entries)


def test_firms_that_always_bid_together_and_keep_outsiders_out_are_a_ring_without_a_price_signal():
    bids, contracts = _market()
    _closed_group(bids, contracts, ["K1", "K2", "K3"], tenders=10)
    rings = [f for f in run(_snapshot(bids, contracts), Params()) if f.subject.startswith("ring|")]
    assert [f.subject for f in rings] == ["ring|K1|K2|K3"]
    pair = rings[0].evidence["metrics"]["pairs"][0]
    assert pair["closed"] and not pair["screened"] and pair["closure"] == 1.0
    assert rings[0].evidence["metrics"]["member_win_share"] == 1.0
    assert "报价分布本身未见异常" in rings[0].explanation_zh and "look ordinary" in rings[0].explanation_en


def test_competitors_who_always_meet_but_lose_to_outsiders_are_not_a_ring():
    """The look-alike: frequent meetings, ordinary dispersion, the lowest bid wins, sometimes an outsider."""
    bids, contracts = _market()
    _closed_group(bids, contracts, ["K1", "K2", "K3"], tenders=10, outsider_wins=(1, 4, 7))
    assert not [f for f in run(_snapshot(bids, contracts), Params()) if f.subject.startswith("ring|")]


BRANCHES = {"D7": ("L1", "L2", "L3"), "D8": ("L4", "L5", "L6"), "D9": ("K1", "K2", "K3")}


def _local_markets(bids, contracts, cover=None, tenders=12):
    """Three branches each buying property management from its own city's only firms, who all bid
    every time: independent bids ±10 % around the estimate, the lowest wins. With ``cover``, D9's
    firms take turns instead, the others bidding ``cover`` above the designated winner."""
    rng = np.random.default_rng(17)
    for buyer, firms in BRANCHES.items():
        for t in range(tenders):
            base = float(rng.uniform(2e5, 6e5))
            if cover is None or buyer != "D9":
                entries = [(f, float(round(base * rng.uniform(0.9, 1.1), -2))) for f in firms]
            else:
                winner = firms[t % len(firms)]
                others = [f for f in firms if f != winner]
                entries = [
                    (winner, base),
                    *((f, base * (1 + cover + 0.002 * i)) for i, f in enumerate(others)),
                ]
            _add(bids, contracts, f"{buyer}-{t:02d}", entries, category="物业服务")
            contracts[-1]["department_id"] = buyer


def _held(finding) -> bool:
    return (finding.evidence.get("ceiling") or {}).get("reason") == "buyers_market"


def _local_rings(bids, contracts):
    snapshot = _snapshot(bids, contracts)
    return {f.subject: calibrate(f) for f in run(snapshot, Params()) if f.subject.startswith("ring|")}


def test_a_branchs_few_local_firms_that_meet_every_time_are_its_market_held_at_medium():
    """The look-alike: a city's firms are all the bidders its branch has, so they always meet
    (far more often than if they chose among all the category's tenders), and win every time."""
    bids, contracts = _market()
    _local_markets(bids, contracts)
    rings = _local_rings(bids, contracts)
    assert sorted(rings) == ["ring|K1|K2|K3", "ring|L1|L2|L3", "ring|L4|L5|L6"]
    for ring in rings.values():
        assert ring.evidence["metrics"]["pairs"][0]["closed"]
        assert _held(ring) and level_of(ring.score) == "medium"
    market = rings["ring|K1|K2|K3"].evidence["ceiling"]
    assert market["member_bid_share"] == 1.0 and market["other_suppliers"] == 0 and market["buyers"] == 1
    assert market["market_tenders"] == 12
    assert market["mean_cv_percentile"] <= Params().market_max_cv_percentile
    ring = rings["ring|K1|K2|K3"]
    assert ring.explanation_zh.startswith("本地市场") and ring.explanation_en.startswith(
        "The buyers' own market"
    )
    assert "没有其他供应商" in ring.explanation_zh and "(no other supplier)" in ring.explanation_en
    json.dumps(ring.evidence)


def test_a_ring_of_a_branchs_local_firms_bidding_a_tight_cover_band_stays_high():
    bids, contracts = _market()
    _local_markets(bids, contracts, cover=0.03)
    ring = _local_rings(bids, contracts)["ring|K1|K2|K3"]
    assert not _held(ring) and level_of(ring.score) == "high"


def test_a_branchs_local_firms_under_one_owner_are_not_its_independent_market():
    """K1 owns K2: the branch's three bidders are not three independent firms, so nothing is held."""
    bids, contracts = _market()
    _local_markets(bids, contracts)
    owned = [("Supplier", "K1", "OWNS", "Supplier", "K2")]
    snapshot = _snapshot(bids, contracts, relations=owned)
    rings = {f.subject: calibrate(f) for f in run(snapshot, Params()) if f.subject.startswith("ring|")}
    assert not _held(rings["ring|K1|K2|K3"]) and level_of(rings["ring|K1|K2|K3"].score) == "high"
    assert _held(rings["ring|L1|L2|L3"])


def test_local_firms_that_meet_every_time_while_their_buyer_also_invites_others_stay_a_ring():
    """Other firms bid in the branch's other tenders of the category: the three keep them out of theirs."""
    bids, contracts = _market()
    _local_markets(bids, contracts)
    rng = np.random.default_rng(23)
    for t in range(12):
        entries = [(f, float(round(4e5 * rng.uniform(0.9, 1.1), -2))) for f in FIRMS[:4]]
        _add(bids, contracts, f"D9-X{t:02d}", entries, category="物业服务")
        contracts[-1]["department_id"] = "D9"
    rings = _local_rings(bids, contracts)
    assert not _held(rings["ring|K1|K2|K3"]) and level_of(rings["ring|K1|K2|K3"].score) == "high"
    assert _held(rings["ring|L1|L2|L3"])


def _average_bid_market(seed: int = 5, tenders: int = 30):
    """Average-bid auctions: the bid nearest the mean wins, not the lowest. Regulars K1-K4 (the
    ring) bid in every third tender; the others are drawn from the twenty firms."""
    rng = np.random.default_rng(seed)
    bids, contracts = [], []
    for t in range(tenders):
        who = [FIRMS[w] for w in rng.choice(len(FIRMS), 5, replace=False)]
        if t % 3 == 0:
            who = ["K1", "K2", "K3", "K4", *who[:2]]
        est = float(rng.uniform(4e5, 3e6))
        amounts = np.round(est * rng.uniform(0.9, 1.1, len(who)), -2)
        nearest = who[int(np.argmin(np.abs(amounts - amounts.mean())))]
        if nearest == who[int(np.argmin(amounts))]:
            amounts[int(np.argmin(amounts))] *= 0.97  # the lowest bid is not the one nearest the mean
        tender = f"A{t:03d}"
        for supplier, amount in zip(who, amounts, strict=True):
            bids.append(
                {
                    "tender_id": tender,
                    "supplier_id": supplier,
                    "bid_amount": float(amount),
                    "is_winner": supplier == nearest,
                }
            )
        contracts.append(
            {
                "contract_id": f"C{tender}",
                "supplier_id": nearest,
                "amount": float(amounts[who.index(nearest)]),
                "signed_date": "2024-05-01",
                "category": "道路",
                "method": "open",
                "tender_id": tender,
            }
        )
    return bids, contracts


def test_in_average_bid_auctions_the_tenders_of_the_markets_regulars_rank_first():
    bids, contracts = _average_bid_market()
    first_bids, first_contracts = _market(tenders=30)
    screens = tender_screens(_snapshot(bids + first_bids, contracts + first_contracts))
    average = screens[screens["category"] == "道路"]
    assert set(average["auction_format"]) == {"average_bid"}
    assert set(screens.loc[screens["category"] == "电缆", "auction_format"]) == {"first_price"}
    # there the score is built on the regulars' percentile: the ring's tenders come first
    assert (average["score_basis"] == average["p_regulars"]).all()
    ring = average.index.str[1:].astype(int) % 3 == 0
    assert average.loc[ring, "score_basis"].min() > average.loc[~ring, "score_basis"].max()
    assert average.loc[ring, "score"].mean() > average.loc[~ring, "score"].mean()
    # the screen score stays the bids' dispersion and shape everywhere (rings and communities pool it)
    p_cols = ["p_cv", "p_spread", "p_rd", "p_skew", "p_kurt"]
    assert np.allclose(screens["screen_score"], screens[p_cols].mean(axis=1, skipna=True).fillna(0.0))
    first = screens[screens["category"] == "电缆"]
    assert (first["score_basis"] == first["screen_score"]).all()


def test_a_tender_won_near_its_estimate_ranks_above_the_same_bids_won_well_below_it():
    """Award near the estimate (P03): where the contract carries the buyer's estimate, the
    winning bid's ratio to it is a second family of evidence beside the bids' distribution."""
    bids, contracts = _market(tenders=40)
    for i, contract in enumerate(contracts):
        contract["estimate"] = contract["amount"] / (0.99 if i % 2 == 0 else 0.85)
    screens = tender_screens(_snapshot(bids, contracts))
    assert np.allclose(screens["award_ratio"], screens["winning_amount"] / screens["estimate"])
    near = screens.index.str[1:].astype(int) % 2 == 0
    assert screens.loc[near, "award_ratio"].round(6).eq(0.99).all()
    assert screens.loc[near, "p_award"].min() > screens.loc[~near, "p_award"].max()
    # the bids' screens are untouched; the basis counts them and the award ratio alike
    assert np.allclose(screens["score_basis"], (screens["screen_score"] + screens["p_award"]) / 2)
    assert screens.loc[near, "score"].mean() > screens.loc[~near, "score"].mean()
    assert not screens["flagged"].any()  # a generous estimate alone flags nothing
    # without an estimate nothing changes: the basis is the screen score
    plain = tender_screens(_snapshot(*_market(tenders=40)))
    assert plain["award_ratio"].isna().all()
    assert (plain["score_basis"] == plain["screen_score"]).all()
    assert np.allclose(plain["screen_score"], screens["screen_score"])

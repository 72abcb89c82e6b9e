"""price_anomalies: unit-price outliers against the item's robust spread, value fences, and price drift."""

from __future__ import annotations

import math

import numpy as np
import pytest
from detector_snapshots import snapshot_of

from detectors.base import level_of
from detectors.price_anomalies import Params, run

MARKET_PRICES = [84, 85, 86, 86, 87, 88, 85, 86, 87, 84, 86, 85]


def line(
    cid,
    supplier,
    price,
    date="2024-05-10",
    item="电力电缆",
    quantity=1000,
    method="inquiry",
    category="物资材料",
):
    return {
        "contract_id": cid,
        "supplier_id": supplier,
        "amount": price * quantity,
        "signed_date": date,
        "department_id": "D1",
        "category": category,
        "item": item,
        "quantity": quantity,
        "unit_price": price,
        "method": method,
    }


def market(item="电力电缆", date="2024-05-10", prices=MARKET_PRICES):
    """Other suppliers' contracts for ``item``, in quantities from 100 to 6,000 so that values spread."""
    return [
        line(f"M{item}{date}{i}", f"S{i % 4}", p, date, item, quantity=100 * (1 + (7 * i) % 60))
        for i, p in enumerate(prices)
    ]


def findings_of(contracts, params=None, policy=None, bids=(), approvals=()):
    snapshot = snapshot_of(
        contracts=contracts,
        approvals=approvals,
        employees=[{"employee_id": "E7", "name": "周立"}, {"employee_id": "E8", "name": "吴敏"}],
        suppliers=[{"supplier_id": "S9", "name": "华信物资有限公司"}],
        policy=policy or {},
        bids=bids,
    )
    return {f.subject: f for f in run(snapshot, params or Params())}


def test_a_supplier_charging_twice_the_market_price():
    inflated = [line("C1", "S9", 200, method="negotiation"), line("C2", "S9", 190, method="single_source")]
    found = findings_of(market() + inflated)
    assert list(found) == ["unit_price|S9|电力电缆|high"]
    finding = found["unit_price|S9|电力电缆|high"]
    prices = np.log(np.array([*MARKET_PRICES, 200, 190], dtype=float))
    median = np.median(prices)
    mad = np.median(np.abs(prices - median))
    assert finding.evidence["metrics"]["median_unit_price"] == pytest.approx(math.exp(median), rel=1e-6)
    assert finding.evidence["thresholds"]["fence_upper"] == pytest.approx(
        math.exp(median + 3.5 * mad / 0.6745), rel=1e-6
    )
    z = 0.6745 * (math.log(200) - median) / mad
    assert finding.evidence["metrics"]["max_abs_z"] == pytest.approx(z, abs=1e-3)
    # overpayment at the median price: (200 - 86) * 1000 + (190 - 86) * 1000
    assert finding.evidence["metrics"]["paid_above_median"] == pytest.approx(
        (390 - 2 * math.exp(median)) * 1000, rel=1e-6
    )
    assert finding.score == pytest.approx(0.45 + 0.25 * min(1, (z - 3.5) / 10) + 0.15 * 0.25 + 0.15 * 0.5)
    assert level_of(finding.score) == "high"
    assert finding.entities == ("supplier:S9", "contract:C1", "contract:C2")
    assert "华信物资有限公司" in finding.explanation_zh and "电力电缆" in finding.explanation_zh
    assert "上限" in finding.explanation_zh and "Iglewicz" in finding.explanation_en


def test_prices_within_the_spread_and_tariffs_are_quiet():
    assert findings_of([*market(), line("C1", "S9", 89)]) == {}
    # 110 is far outside this tight market (z ≈ 16) but only 28 % above the median: not material
    assert findings_of([*market(), line("C1", "S9", 110)]) == {}
    assert list(findings_of([*market(), line("C1", "S9", 110)], params=Params(min_price_ratio=1.2))) == [
        "unit_price|S9|电力电缆|high"
    ]
    tariff = [line(f"T{i}", "S8", 0.65, item="电费", category="电力") for i in range(12)]
    assert findings_of([*tariff, line("T99", "S9", 0.65, item="电费", category="电力")]) == {}


def test_items_without_a_comparable_unit_price_are_skipped():
    jobs = [
        line(f"J{i}", f"S{i}", p, item="软件开发服务", quantity=1)
        for i, p in enumerate([80000, 150000, 300000, 60000, 500000, 220000, 90000, 410000, 130000, 700000])
    ]
    assert findings_of([*jobs, line("J99", "S9", 5_000_000, item="软件开发服务", quantity=1)]) == {}


def test_a_small_year_falls_back_to_the_item_over_all_years():
    found = findings_of([*market(date="2023-05-10"), line("C1", "S9", 200, date="2024-05-10")])
    finding = found["unit_price|S9|电力电缆|high"]
    assert finding.evidence["thresholds"]["group"] == "item"


def test_low_prices_are_a_low_level_lead():
    found = findings_of([*market(), line("C1", "S9", 20)])
    assert list(found) == ["unit_price|S9|电力电缆|low"]
    assert level_of(found["unit_price|S9|电力电缆|low"].score) == "low"


def value_contract(cid, amount, method="inquiry"):
    return {
        "contract_id": cid,
        "supplier_id": "S9",
        "amount": amount,
        "signed_date": "2024-03-01",
        "department_id": "D1",
        "category": "技术服务",
        "method": method,
    }


def test_a_non_competitive_contract_far_above_its_category():
    category = [value_contract(f"V{i}", 100000 * 1.1**i) for i in range(20)]
    found = findings_of([*category, value_contract("BIG", 90_000_000, method="single_source")])
    assert list(found) == ["contract_value|BIG"]
    finding = found["contract_value|BIG"]
    logs = np.log10([100000 * 1.1**i for i in range(20)] + [90_000_000])
    q1, q3 = np.quantile(logs, [0.25, 0.75])
    assert finding.evidence["thresholds"]["upper_fence_amount"] == pytest.approx(
        10 ** (q3 + 3 * (q3 - q1)), rel=1e-6
    )
    assert finding.entities == ("contract:BIG", "supplier:S9")
    assert level_of(finding.score) == "medium"
    tendered = findings_of([*category, value_contract("BIG", 90_000_000, method="open")])
    assert tendered == {}
    fixed = findings_of(category, params=Params(fixed_upper_fence=400_000))
    assert set(fixed) == {f"contract_value|V{i}" for i in range(15, 20)}
    assert fixed["contract_value|V19"].evidence["thresholds"]["fixed_upper_fence"] == 400_000


def test_a_supplier_whose_price_creeps_up_against_the_market():
    months = [f"2024-{m:02d}-15" for m in range(1, 10)]
    contracts = [
        c
        for date in months
        for c in market(item="轴承", date=date, prices=[640, 650, 645, 655, 660, 635, 650, 648])
    ]
    creeping = [
        line(f"D{i}", "S9", price, date, item="轴承")
        for i, (date, price) in enumerate(
            zip(months, [645, 650, 648, 700, 720, 740, 830, 850, 870], strict=True)
        )
    ]
    found = findings_of(contracts + creeping)
    assert "drift|S9|轴承" in found
    drift = found["drift|S9|轴承"].evidence["metrics"]
    assert drift["drift"] >= 1.3 and drift["late_relative_price"] >= 1.15
    assert level_of(found["drift|S9|轴承"].score) == "medium"


def steady_market(item, year, sellers=5, contracts_each=4, base=100.0):
    """Ordinary sellers of ``item`` in ``year``: each at its own level within ±4 % of ``base``, ±3 % a contract."""
    out = []
    for s in range(sellers):
        level = 1 + 0.02 * (s - sellers // 2)
        for i in range(contracts_each):
            price = round(base * level * (1 + 0.015 * ((i % 3) - 1)), 2)
            out.append(line(f"K{item}{year}{s}{i}", f"M{s}", price, f"{year}-0{1 + 2 * i}-15", item))
    return out


def premium_contracts():
    """Five ordinary sellers of three items, and S9 at ×1.3 on four contracts of each."""
    contracts, premium = [], []
    for item, base in (("电力电缆", 100.0), ("控制电缆", 40.0), ("电缆桥架", 250.0)):
        contracts += steady_market(item, 2024, base=base)
        for i in range(4):
            cid = f"X{item}{i}"
            premium.append(cid)
            contracts.append(
                line(
                    cid,
                    "S9",
                    round(base * 1.3 * (1 + 0.01 * (i % 2)), 2),
                    f"2024-0{2 + 2 * i}-10",
                    item,
                    method="negotiation",
                )
            )
    return contracts, premium


def test_a_steady_premium_on_items_others_also_sell():
    """×1.3 on every contract, three items, never 1.5× the median: no single price is an outlier, the habit is."""
    contracts, premium = premium_contracts()
    findings = findings_of(contracts)
    assert not [s for s in findings if s.startswith("unit_price|S9")], "no single price is 1.5× the median"
    steady = findings["steady_premium|S9"]
    metrics = steady.evidence["metrics"]
    assert metrics["contracts"] == 12 and metrics["above_market"] == 12 and metrics["items"] == 3
    assert metrics["median_premium"] == pytest.approx(1.3, abs=0.02)
    assert metrics["sign_test_tail"] == pytest.approx(0.5**12)
    assert steady.entities[0] == "supplier:S9" and f"contract:{premium[0]}" in steady.entities
    assert f"中位溢价{metrics['median_premium'] - 1:.0%}" in steady.explanation_zh
    assert "华信物资有限公司" in steady.explanation_zh
    assert "12 of its 12" in steady.explanation_en
    premium, tail = metrics["median_premium"], metrics["sign_test_tail"]
    # negotiated, not single-source or direct: no credit for the method
    expected = 0.55 + 0.15 * min(1, (premium - 1.2) / 0.3) + 0.1 * min(1, -math.log10(tail) / 6)
    assert steady.score == pytest.approx(expected, abs=1e-3)


def test_a_steady_premium_names_the_approver_who_signed_most_of_it():
    """Who let the mark-up through is half the story: one approver first-approved 9 of the 12."""
    contracts, premium = premium_contracts()
    signed = [
        {
            "contract_id": cid,
            "step": 1,
            "approver_id": "E7" if i < 9 else "E8",
            "approved_at": "2024-06-01T10:00:00",
        }
        for i, cid in enumerate(premium)
    ]
    steady = findings_of(contracts, approvals=signed)["steady_premium|S9"]
    assert steady.entities[:2] == ("supplier:S9", "employee:E7")
    assert steady.evidence["metrics"]["main_approver"] == "E7"
    assert steady.evidence["metrics"]["main_approver_contracts"] == 9
    assert "其中9份由审批人周立（E7）首级审批" in steady.explanation_zh
    assert "9 of them were first approved by 周立 (E7)" in steady.explanation_en
    # signed half each: nobody is named
    shared = [{**a, "approver_id": "E7" if i % 2 else "E8"} for i, a in enumerate(signed)]
    steady = findings_of(contracts, approvals=shared)["steady_premium|S9"]
    assert "employee:E7" not in steady.entities and steady.evidence["metrics"]["main_approver"] is None


def test_ordinary_sellers_at_their_own_level_have_no_steady_premium():
    """Sellers 4 % apart, and one 12 % dearer on every contract, are a market's spread, not inflation."""
    contracts = []
    for item, base in (("电力电缆", 100.0), ("控制电缆", 40.0), ("电缆桥架", 250.0)):
        contracts += steady_market(item, 2024, base=base)
        contracts += [
            line(f"Y{item}{i}", "S9", round(base * 1.12, 2), f"2024-0{2 + 2 * i}-10", item) for i in range(4)
        ]
    assert [s for s in findings_of(contracts) if s.startswith("steady_premium")] == []


def test_a_supplier_that_sells_an_item_alone_has_no_market_to_compare():
    """Where fewer than three other suppliers sell the item, a higher price has no market behind it."""
    contracts = []
    for item, base in (("电力电缆", 100.0), ("控制电缆", 40.0), ("电缆桥架", 250.0)):
        contracts += steady_market(item, 2024, sellers=2, base=base)
        contracts += [
            line(f"Z{item}{i}", "S9", round(base * 1.3, 2), f"2024-0{2 + 2 * i}-10", item) for i in range(4)
        ]
    assert [s for s in findings_of(contracts) if s.startswith("steady_premium")] == []


def test_a_dear_price_won_as_the_lowest_of_three_bids_is_the_competitions_not_a_mark_up():
    """The same ×1.3, each contract won in its own tender with two dearer rivals: the tender set the price."""
    contracts, bids = [], []
    for item, base in (("电力电缆", 100.0), ("控制电缆", 40.0), ("电缆桥架", 250.0)):
        contracts += steady_market(item, 2024, base=base)
        for i in range(4):
            tender, price = f"T{item}{i}", round(base * 1.3, 2)
            contracts.append(
                {
                    **line(f"X{item}{i}", "S9", price, f"2024-0{2 + 2 * i}-10", item, method="open"),
                    "tender_id": tender,
                }
            )
            bids += [
                {
                    "tender_id": tender,
                    "supplier_id": s,
                    "bid_amount": price * 1000 * f,
                    "is_winner": s == "S9",
                }
                for s, f in (("S9", 1.0), ("M1", 1.04 + 0.01 * i), ("M2", 1.09 + 0.02 * i))
            ]
    assert [s for s in findings_of(contracts, bids=bids) if s.startswith("steady_premium")] == []

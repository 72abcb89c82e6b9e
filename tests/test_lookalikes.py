"""Legitimate look-alikes: recognised from the data's structure, and only where the structure is there."""

from __future__ import annotations

from detector_snapshots import snapshot_of

from detectors import direct_awards, split_purchase
from detectors.base import level_of
from detectors.prepare.lookalikes import (
    LOOKALIKE_SCORE,
    contract_patterns,
    frameworks,
    natural_monopolies,
    recognise,
    sole_sources,
)

DEPARTMENTS = [
    {"department_id": f"D{i}", "name": n}
    for i, n in enumerate(("后勤保障部", "信息中心", "基建部", "生产运营部"), 1)
]
POLICY = {"open_tender_threshold": 2000000}


def bills(supplier="U1", departments=("D1", "D2", "D3"), category="电力", item="电费", amount=300000):
    """Monthly single-source bills of 2024, each department's signed by its own manager."""
    contracts, approvals = [], []
    for d in departments:
        for month in range(1, 13):
            cid = f"{d}-{supplier}-{month:02d}"
            contracts.append(
                {
                    "contract_id": cid,
                    "supplier_id": supplier,
                    "amount": amount,
                    "signed_date": f"2024-{month:02d}-05",
                    "department_id": d,
                    "requester_id": f"R{d}",
                    "category": category,
                    "item": item,
                    "method": "single_source",
                }
            )
            approvals.append(
                {
                    "contract_id": cid,
                    "step": 1,
                    "approver_id": f"M{d}",
                    "approved_at": f"2024-{month:02d}-05T09:00:00",
                }
            )
    return contracts, approvals


def snap(contracts, approvals, bids=()):
    return snapshot_of(
        contracts=contracts,
        approvals=approvals,
        bids=bids,
        departments=DEPARTMENTS,
        suppliers=[
            {"supplier_id": s, "name": n}
            for s, n in (
                ("U1", "国网某市供电公司"),
                ("S1", "鼎力工程咨询有限公司"),
                ("S5", "鼎盛物资有限公司"),
            )
        ],
        policy=POLICY,
    )


def test_the_grid_company_billing_most_departments_is_a_natural_monopoly():
    contracts, approvals = bills()
    s = snap(contracts, approvals)
    monopoly = natural_monopolies(s)
    assert list(monopoly.index) == [("电力", "U1")]
    row = monopoly.loc[("电力", "U1")]
    assert (row["departments"], row["buying_departments"], row["approvers"]) == (3, 3, 3)
    recognition, covered, of = recognise(s, [c["contract_id"] for c in contracts[:12]])
    assert recognition is not None and recognition.pattern == "natural_monopoly"
    assert (covered, of) == (12, 12)
    assert recognition.zh.startswith("自然垄断：") and "全公司4个部门中的3个" in recognition.zh
    assert "3个部门中有3个各自只向一家供应商采购" in recognition.zh
    assert (
        recognition.en.startswith("Natural monopoly:")
        and "3 of the organisation's 4 departments" in recognition.en
    )
    assert recognition.facts["value_share"] == 1.0 and recognition.facts["competed_share"] == 0.0


def test_regional_utilities_one_per_department_are_each_a_natural_monopoly():
    """Each branch buys its electricity from its own region's grid company."""
    contracts, approvals = [], []
    for d, utility in (("D1", "U1"), ("D2", "S1"), ("D3", "S5")):
        c, a = bills(supplier=utility, departments=(d,))
        contracts += c
        approvals += a
    monopoly = natural_monopolies(snap(contracts, approvals))
    assert sorted(monopoly.index) == [("电力", "S1"), ("电力", "S5"), ("电力", "U1")]
    assert set(monopoly["single_sourcing_departments"]) == {3} and set(monopoly["category_suppliers"]) == {3}


def test_one_department_choosing_a_supplier_is_not_a_monopoly_and_stays_high():
    """The near miss of the pattern: the same bills, but only one department and one approver buy them."""
    contracts, approvals = bills(supplier="S1", departments=("D1",), category="技术服务", item="运维服务")
    # the other departments buy the category from several suppliers
    others, other_approvals = bills(
        supplier="S5", departments=("D2", "D3"), category="技术服务", item="运维服务", amount=10000
    )
    for row in others[::2]:
        row["supplier_id"] = "U1"
    s = snap(contracts + others, approvals + other_approvals)
    assert natural_monopolies(s).empty and sole_sources(s).empty
    findings = direct_awards.run(s, direct_awards.Params(min_department_contracts=1000))
    repeat = [f for f in findings if f.subject.startswith("repeat|D1|S1")]
    assert len(repeat) == 1 and level_of(repeat[0].score) == "high"
    assert "lookalike" not in repeat[0].evidence


def test_direct_awards_merges_a_monopolys_departments_into_one_low_note():
    contracts, approvals = bills()
    findings = direct_awards.run(
        snap(contracts, approvals), direct_awards.Params(min_department_contracts=1000)
    )
    assert [f.subject for f in findings] == ["lookalike|natural_monopoly|U1|电力"]
    note = findings[0]
    assert note.score == LOOKALIKE_SCORE and level_of(note.score) == "low"
    assert note.entities[0] == "supplier:U1"
    assert note.evidence["lookalike"]["merged"] == 3
    assert note.evidence["score_before"] > 0.7
    assert note.explanation_zh.startswith("自然垄断：") and note.explanation_en.startswith(
        "Natural monopoly:"
    )


def test_a_department_share_of_direct_awards_leaves_out_monopoly_bills():
    contracts, approvals = bills()
    findings = direct_awards.run(snap(contracts, approvals), direct_awards.Params(min_department_contracts=5))
    assert not [f for f in findings if f.subject.startswith("share|")]


def test_one_plants_maker_parts_signed_by_several_approvers_are_a_sole_source():
    """One department runs the maker's machines: three of its managers each order the maker's parts,
    nobody else sells them. The near miss: the same parts ordered by one manager stay a choice."""
    contracts, approvals = bills(
        supplier="S1", departments=("D1",), category="备品备件", item="FANUC控制模块"
    )
    for i, row in enumerate(approvals):
        row["approver_id"] = f"M{i % 3}"
    assert list(sole_sources(snap(contracts, approvals)).index) == [("FANUC控制模块", "S1")]
    for row in approvals:
        row["approver_id"] = "M0"
    assert sole_sources(snap(contracts, approvals)).empty


def framework(calloffs=8, bidders=("S5", "S1", "U1")):
    bids = [
        {"tender_id": "T1", "supplier_id": s, "bid_amount": 1800000 + 100000 * i, "is_winner": i == 0}
        for i, s in enumerate(bidders)
    ]
    contracts = [
        {
            "contract_id": f"F{i}",
            "supplier_id": "S5",
            "amount": 48000 - 500 * i,
            "signed_date": f"2024-05-{6 + i // 3:02d}",
            "department_id": "D1",
            "requester_id": "R1",
            "category": "办公用品",
            "method": "open",
            "tender_id": "T1",
        }
        for i in range(calloffs)
    ]
    approvals = [
        {
            "contract_id": c["contract_id"],
            "step": 1,
            "approver_id": "M1",
            "approved_at": "2024-05-06T09:00:00",
        }
        for c in contracts
    ]
    return contracts, approvals, bids


def test_call_offs_under_a_competed_agreement_are_not_a_split_purchase():
    contracts, approvals, bids = framework()
    s = snap(contracts, approvals, bids)
    assert frameworks(s).loc["T1", "bidders"] == 3
    assert set(contract_patterns(s)["pattern"]) == {"framework_agreement"}
    findings = split_purchase.run(s, split_purchase.Params())
    assert findings and all(level_of(f.score) == "low" for f in findings)
    assert findings[0].explanation_zh.startswith("框架协议：")
    assert findings[0].evidence["lookalike"]["facts"]["calloffs"] == 8


def test_orders_under_a_tender_nobody_competed_for_are_a_split_purchase():
    contracts, approvals, _bids = framework(bidders=("S5",))
    for c in contracts:
        c["method"] = "direct"
    s = snap(
        contracts,
        approvals,
        [{"tender_id": "T1", "supplier_id": "S5", "bid_amount": 1800000, "is_winner": True}],
    )
    assert frameworks(s).empty
    findings = split_purchase.run(s, split_purchase.Params())
    assert findings and max(level_of(f.score) == "high" for f in findings)
    assert all("lookalike" not in f.evidence for f in findings)


def test_an_incumbent_winning_each_years_tender_with_the_lowest_bid_is_not_a_favourite():
    from detectors import concentration

    contracts, approvals, bids = [], [], []
    for year in (2023, 2024, 2025):
        for k in range(6):  # the facility manager's yearly tenders: four bidders, lowest wins
            tid, cid = f"T{year}{k}", f"C{year}{k}"
            for i, s in enumerate(("S5", "S1", "U1", "X9")):
                bids.append(
                    {
                        "tender_id": tid,
                        "supplier_id": s,
                        "bid_amount": 300000 * (1 + 0.07 * i),
                        "is_winner": i == 0,
                    }
                )
            contracts.append(
                {
                    "contract_id": cid,
                    "supplier_id": "S5",
                    "amount": 300000,
                    "signed_date": f"{year}-0{k + 1}-10",
                    "department_id": "D1",
                    "requester_id": "R1",
                    "category": "后勤物业",
                    "method": "open",
                    "tender_id": tid,
                }
            )
            approvals.append(
                {
                    "contract_id": cid,
                    "step": 1,
                    "approver_id": "M1",
                    "approved_at": f"{year}-0{k + 1}-09T10:00:00",
                }
            )
    # everybody else buys the category from many suppliers
    for i in range(30):
        cid = f"O{i}"
        contracts.append(
            {
                "contract_id": cid,
                "supplier_id": f"Z{i % 10}",
                "amount": 50000,
                "signed_date": "2024-05-01",
                "department_id": f"D{2 + i % 3}",
                "requester_id": "R2",
                "category": "后勤物业",
                "method": "inquiry",
            }
        )
        approvals.append(
            {
                "contract_id": cid,
                "step": 1,
                "approver_id": f"M{2 + i % 3}",
                "approved_at": "2024-05-01T10:00:00",
            }
        )
    s = snap(contracts, approvals, bids)
    assert set(contract_patterns(s).loc[[c["contract_id"] for c in contracts[:18]], "pattern"]) == {
        "competed"
    }
    findings = concentration.run(s, concentration.Params())
    market = [f for f in findings if f.evidence.get("rule") == "market" or "market" in f.subject]
    assert market and all(level_of(f.score) == "low" for f in market)
    assert all(f.explanation_zh.startswith("竞争中标：") for f in market)
    # the same contracts with no competition on record: the department's capture stands
    unchallenged = concentration.run(snap(contracts, approvals), concentration.Params())
    assert any(level_of(f.score) == "high" and "lookalike" not in f.evidence for f in unchallenged)


def test_a_makers_parts_sold_by_it_and_its_agent_are_a_sole_source_of_each():
    """Only the maker (S1) and its authorised agent (S5) ever sell the item: both are its sole sources.
    A third seller of the same item makes it an ordinary market again."""
    contracts, approvals = bills(
        supplier="S1", departments=("D1", "D2"), category="备品备件", item="东汽控制模块"
    )
    for row in contracts[::3]:
        row["supplier_id"] = "S5"
    found = sole_sources(snap(contracts, approvals))
    assert sorted(found.index) == [("东汽控制模块", "S1"), ("东汽控制模块", "S5")]
    assert set(found["item_suppliers"]) == {2}
    for row in contracts[1::6]:
        row["supplier_id"] = "U1"
    assert sole_sources(snap(contracts, approvals)).empty

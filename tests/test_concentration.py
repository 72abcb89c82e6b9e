"""concentration: a department's captured category against the other departments, monopolies, and gatekeepers."""

from __future__ import annotations

import pytest
from detector_snapshots import snapshot_of
from scipy.stats import binom

from detectors.base import level_of
from detectors.concentration import Params, run

POLICY = {"direct_award_exempt_categories": ["电力"]}


def contract(cid, department, supplier, amount=100000, category="IT设备", date="2024-04-01"):
    return {
        "contract_id": cid,
        "supplier_id": supplier,
        "amount": amount,
        "signed_date": date,
        "department_id": department,
        "category": category,
    }


def open_market(category="IT设备", departments=("D2", "D3", "D4"), suppliers=("S2", "S3", "S4", "S5", "S6")):
    """Other departments spreading their orders over several suppliers."""
    return [
        contract(f"{d}-{category}-{i}", d, suppliers[i % len(suppliers)], category=category)
        for d in departments
        for i in range(10)
    ]


def findings_of(contracts, approvals=(), params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        approvals=approvals,
        employees=[{"employee_id": "A", "name": "赵敏", "department_id": "D1"}],
        departments=[{"department_id": "D1", "name": "信息中心"}],
        suppliers=[{"supplier_id": "S1", "name": "远景数码有限公司"}],
        policy=policy,
    )
    return {f.subject: f for f in run(snapshot, params or Params())}


def test_a_department_that_buys_a_category_from_one_supplier():
    captured = [contract(f"C{i}", "D1", "S1", 200000) for i in range(8)] + [contract("C9", "D1", "S2", 50000)]
    found = findings_of(captured + open_market())
    assert list(found) == ["market|D1|IT设备|2024"]
    finding = found["market|D1|IT设备|2024"]
    metrics = finding.evidence["metrics"]
    assert (metrics["contracts"], metrics["top_supplier_contracts"]) == (9, 8)
    share = 1600000 / 1650000
    assert metrics["top_share"] == pytest.approx(share, abs=1e-4)
    assert metrics["hhi"] == pytest.approx((100 * share) ** 2 + (100 * 50000 / 1650000) ** 2, abs=0.1)
    # S1 sells nothing to the 30 other contracts; add-one smoothing over the 6 suppliers of the category
    baseline = 1 / (30 + 6)
    assert metrics["baseline"] == pytest.approx(baseline, abs=1e-6)
    assert metrics["lift"] == pytest.approx(8 / 9 / baseline, abs=1e-3)
    assert metrics["p_value"] == pytest.approx(binom.sf(7, 9, baseline))
    assert level_of(finding.score) == "high"
    assert finding.entities == ("department:D1", "supplier:S1")
    assert "信息中心" in finding.explanation_zh and "远景数码有限公司" in finding.explanation_zh
    assert "赫芬达尔指数" in finding.explanation_zh and "HHI" in finding.explanation_en


def test_a_supplier_that_is_the_market_for_everybody_is_not_flagged():
    # S1 also wins most of the other departments' orders: it is the market
    everyone = [
        contract(f"{d}-{i}", d, "S1" if i < 7 else "S2") for d in ("D2", "D3", "D4") for i in range(10)
    ]
    captured = [contract(f"C{i}", "D1", "S1") for i in range(8)]
    assert findings_of(captured + everyone) == {}


def test_exempt_and_natural_monopoly_categories_are_left_out():
    bills = [contract(f"E{i}", "D1", "S1", category="电力") for i in range(8)] + open_market(category="电力")
    assert findings_of(bills) == {}
    water = [contract(f"W{i}", "D1", "S1", category="供水") for i in range(8)] + open_market(category="供水")
    assert list(findings_of(water)) == ["market|D1|供水|2024"]
    assert findings_of(water, params=Params(natural_monopoly_categories=("供水",))) == {}


def test_small_cells_are_not_significant():
    captured = [contract(f"C{i}", "D1", "S1") for i in range(3)]
    assert findings_of(captured + open_market()) == {}


def step(cid, approver):
    return {"contract_id": cid, "step": 1, "approver_id": approver, "approved_at": "2024-04-01T10:00:00"}


def test_a_supplier_whose_orders_all_pass_one_signer():
    others = [contract(f"O{i}", "D1", f"S{2 + i % 5}", category=f"类{(i // 2) % 4}") for i in range(40)]
    favoured = [contract(f"F{i}", "D1", "S1", 20000, category=f"类{i % 4}") for i in range(12)]
    approvals = [step(c["contract_id"], "A" if i % 2 else "B") for i, c in enumerate(others)]
    approvals += [step(c["contract_id"], "A") for c in favoured]
    found = findings_of(others + favoured, approvals)
    assert list(found) == ["gatekeeper|S1|A"]
    finding = found["gatekeeper|S1|A"]
    # in each category A signs 5 of the department's 10 other first steps; add-one smoothed over 2 signers
    p0 = (5 + 1) / (10 + 2)
    assert finding.evidence["metrics"]["expected_share"] == pytest.approx(p0, abs=1e-6)
    assert finding.evidence["metrics"]["p_value"] == pytest.approx(binom.sf(11, 12, p0))
    assert finding.entities == ("employee:A", "supplier:S1")
    assert "赵敏" in finding.explanation_zh and "12份" in finding.explanation_zh
    # the same orders split between the two signers like everything else: quiet
    approvals_split = approvals[:40] + [
        step(c["contract_id"], "A" if i % 2 else "B") for i, c in enumerate(favoured)
    ]
    assert findings_of(others + favoured, approvals_split) == {}


def test_one_buyer_signing_all_of_a_category_is_the_job_not_a_gatekeeper():
    """The small-market look-alike: A signs every IT order of the department, B everything else."""
    it = [contract(f"I{i}", "D1", f"S{2 + i % 3}", category="IT设备") for i in range(20)]
    rest = [contract(f"O{i}", "D1", f"S{5 + i % 3}", category="办公用品") for i in range(40)]
    favoured = [contract(f"F{i}", "D1", "S1", 20000, category="IT设备") for i in range(12)]
    approvals = [step(c["contract_id"], "A") for c in it + favoured] + [
        step(c["contract_id"], "B") for c in rest
    ]
    assert not [k for k in findings_of(it + rest + favoured, approvals) if k.startswith("gatekeeper|")]


def test_the_only_firm_a_branch_buys_a_service_from_is_not_a_gatekeeper_of_it():
    """Small market: all but one of the branch's inspection orders go to the local firm, signed by the
    branch manager A; with one other order there is no usual split to compare A's signatures with."""
    local = [contract(f"L{i}", "D1", "S1", 20000, category="特种设备检验") for i in range(30)]
    stray = [contract("X1", "D1", "S2", 20000, category="特种设备检验")]
    rest = [contract(f"O{i}", "D1", f"S{3 + i % 3}", category="办公用品") for i in range(40)]
    approvals = [step(c["contract_id"], "A") for c in local]
    approvals += [step("X1", "B")] + [
        step(c["contract_id"], "A" if i % 2 else "B") for i, c in enumerate(rest)
    ]
    assert not [k for k in findings_of(local + stray + rest, approvals) if k.startswith("gatekeeper|")]
    # the near miss: the branch buys inspections from others too, signed by B — then A holding S1 stands out
    others = [contract(f"I{i}", "D1", f"S{2 + i % 2}", 20000, category="特种设备检验") for i in range(10)]
    approvals += [step(c["contract_id"], "B") for c in others]
    assert "gatekeeper|S1|A" in findings_of(local + stray + rest + others, approvals)


def test_branches_that_each_buy_from_their_own_regions_few_suppliers_are_their_market():
    """The regional look-alike: every branch gives about 60 % to its local supplier; only one goes far beyond."""
    contracts = []
    for b in range(6):
        local, others = f"L{b}", [f"M{b}{i}" for i in range(4)]
        for i in range(10):
            supplier = local if i < 6 else others[i % 4]
            contracts.append(contract(f"B{b}-{i}", f"D{b}", supplier, category="物资材料"))
    assert not [k for k in findings_of(contracts, []) if k.startswith("market|")]
    # one branch gives all ten orders to one firm where the others spread theirs
    captured = [contract(f"C-{i}", "D9", "F1", category="物资材料") for i in range(10)]
    spread = []
    for b in range(6):
        spread += [contract(f"S{b}-{i}", f"D{b}", f"M{b}{i % 5}", category="物资材料") for i in range(10)]
    assert [k for k in findings_of(captured + spread, []) if k.startswith("market|")] == [
        "market|D9|物资材料|2024"
    ]


def priced(row, method="inquiry", unit_price=100.0):
    category = row["category"]
    return {
        **row,
        "method": method,
        "item": f"{category}用品",
        "quantity": row["amount"] / unit_price,
        "unit_price": unit_price,
    }


def test_a_branch_buying_small_routine_orders_from_its_local_firm_stays_below_high():
    """Habitual local buying: small orders, the category's usual inquiry, the other departments' price."""
    from detectors.calibration import calibrate

    others = [
        priced(contract(f"O{i}", "D1", f"S{2 + i % 5}", category=f"类{(i // 2) % 4}")) for i in range(40)
    ]
    others = [{**c, "amount": 20000.0, "quantity": 200.0} for c in others]
    elsewhere = [
        priced(contract(f"E{i}", "D2", f"S{2 + i % 5}", 20000, category=f"类{i % 4}")) for i in range(16)
    ]
    approvals = [step(c["contract_id"], "A" if i % 2 else "B") for i, c in enumerate(others)]

    def gatekeeper(favoured):
        found = findings_of(
            others + elsewhere + favoured, approvals + [step(c["contract_id"], "A") for c in favoured]
        )
        return calibrate(found["gatekeeper|S1|A"])

    routine = [priced(contract(f"F{i}", "D1", "S1", 20000, category=f"类{i % 4}")) for i in range(12)]
    lowered = gatekeeper(routine)
    ceiling = lowered.evidence["ceiling"]
    assert ceiling["reason"] == "routine_buying" and ceiling["median_price_ratio"] == pytest.approx(1.0)
    assert lowered.score <= 0.6 and level_of(lowered.score) != "high"
    assert lowered.explanation_zh.startswith("日常本地采购") and "没有溢价" in lowered.explanation_zh
    assert lowered.explanation_en.startswith("Routine local buying")
    # a premium over the other departments' price, or one award without competition: not routine
    dearer = [{**c, "unit_price": 130.0} for c in routine]
    assert "ceiling" not in gatekeeper(dearer).evidence
    # a tenth of everybody's price is not the same item bought at the same price
    other_item = [{**c, "unit_price": 10.0} for c in routine]
    assert "ceiling" not in gatekeeper(other_item).evidence
    single = [{**c, "method": "single_source"} if i == 0 else c for i, c in enumerate(routine)]
    assert "ceiling" not in gatekeeper(single).evidence
    large = [{**c, "amount": 80000.0} if i == 0 else c for i, c in enumerate(routine)]
    assert "ceiling" not in gatekeeper(large).evidence

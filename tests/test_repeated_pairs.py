"""repeated_pairs: an approver against the colleagues who buy in the same market."""

from __future__ import annotations

from detector_snapshots import snapshot_of

from detectors.base import level_of
from detectors.calibration import calibrate
from detectors.repeated_pairs import Params, run


def orders(
    department, approver, suppliers, n, start=0, category="物资材料", method=None, second=None, tender=None
):
    """``n`` orders of ``department`` signed by ``approver`` (and by ``second`` at step 2), cycling through
    ``suppliers``."""
    contracts, approvals = [], []
    for i in range(n):
        cid = f"{department}-{approver}-{start + i}"
        contracts.append(
            {
                "contract_id": cid,
                "supplier_id": suppliers[i % len(suppliers)],
                "amount": 20000.0,
                "signed_date": f"2024-{1 + i % 12:02d}-10",
                "department_id": department,
                "category": category,
                **({"method": method} if method else {}),
                **({"tender_id": tender} if tender else {}),
            }
        )
        approvals.append(
            {"contract_id": cid, "step": 1, "approver_id": approver, "approved_at": "2024-01-10T10:00:00"}
        )
        if second:
            approvals.append(
                {"contract_id": cid, "step": 2, "approver_id": second, "approved_at": "2024-01-11T10:00:00"}
            )
    return contracts, approvals


def snap(*parts):
    contracts = [c for part in parts for c in part[0]]
    approvals = [a for part in parts for a in part[1]]
    return snapshot_of(
        contracts=contracts,
        approvals=approvals,
        departments=[
            {"department_id": "HQ", "name": "采购部"},
            {"department_id": "XJ", "name": "新疆分公司"},
        ],
    )


HQ_MARKET = [f"H{i}" for i in range(8)]
XJ_MARKET = ["X1", "X2", "X3"]


def test_an_approver_steering_to_a_supplier_colleagues_do_not_use_is_flagged():
    world = snap(
        orders("HQ", "A1", HQ_MARKET, 40),
        orders("HQ", "A2", HQ_MARKET, 40),
        orders("HQ", "A3", ["F1"], 12),  # A3 gives a dozen orders to F1, whom A1 and A2 never use
        orders("HQ", "A3", HQ_MARKET, 12, start=100),
    )
    findings = {f.subject: f for f in run(world, Params())}
    assert list(findings) == ["A3|F1"]
    finding = findings["A3|F1"]
    assert level_of(finding.score) == "high"
    assert finding.evidence["metrics"]["department"] == "HQ"
    assert "采购部" in finding.explanation_zh and "本部门其他审批人" in finding.explanation_zh


def test_a_branch_buying_from_its_own_regions_suppliers_is_its_market_not_a_favour():
    """The look-alike: the Xinjiang branch's approvers all use Xinjiang suppliers, head office never."""
    world = snap(
        orders("HQ", "A1", HQ_MARKET, 60),
        orders("HQ", "A2", HQ_MARKET, 60),
        orders("XJ", "B1", XJ_MARKET, 30),
        orders("XJ", "B2", XJ_MARKET, 30),
    )
    assert run(world, Params()) == []


def test_a_branch_with_one_approver_has_no_baseline_at_approver_level():
    world = snap(
        orders("HQ", "A1", HQ_MARKET, 60), orders("HQ", "A2", HQ_MARKET, 60), orders("XJ", "B1", ["X1"], 30)
    )
    assert run(world, Params()) == []


def test_a_supplier_with_half_of_the_colleagues_orders_too_is_the_markets():
    """The branch's inspection firm: A3 gives it all of his orders, but it has 60 % of A1's and A2's
    too (lift 1.6), so signing it is what everybody does. At 10 % with the colleagues it stands out."""
    colleagues = [orders("XJ", a, ["S1", "S1", "S1", "S2", "S3"], 30) for a in ("A1", "A2")]
    world = snap(*colleagues, orders("XJ", "A3", ["S1"], 40))
    assert [f.subject for f in run(world, Params())] == []
    sparse = [orders("XJ", a, ["S1", *[f"S{i}" for i in range(2, 11)]], 30) for a in ("A1", "A2")]
    assert [f.subject for f in run(snap(*sparse, orders("XJ", "A3", ["S1"], 40)), Params())] == ["A3|S1"]


def test_a_habitual_supplier_the_colleagues_use_less_is_held_at_medium():
    """A3 gives S1 most of his orders; A1 and A2 give it a fifth of theirs: a habit, not a favourite."""
    from detectors.calibration import calibrate

    colleagues = [orders("XJ", a, ["S1", "S2", "S3", "S4", "S5"], 40) for a in ("A1", "A2")]
    world = snap(*colleagues, orders("XJ", "A3", ["S1", "S1", "S1", "S2"], 40))
    findings = {f.subject: f for f in run(world, Params())}
    habit = findings["A3|S1"]
    assert habit.evidence["ceiling"]["reason"] == "habitual_supplier"
    assert habit.explanation_zh.startswith("惯用供应商") and "Habitual supplier" in habit.explanation_en
    assert level_of(calibrate(habit).score) != "high"
    # the favourite the colleagues hardly use (F1 in the first test) carries no ceiling
    steered = snap(
        orders("HQ", "A1", HQ_MARKET, 40),
        orders("HQ", "A2", HQ_MARKET, 40),
        orders("HQ", "A3", ["F1"], 12),
        orders("HQ", "A3", HQ_MARKET, 12, start=100),
    )
    favourite = {f.subject: f for f in run(steered, Params())}["A3|F1"]
    assert "ceiling" not in favourite.evidence and level_of(calibrate(favourite).score) == "high"


def test_a_department_head_steering_one_firm_past_competition_is_flagged():
    """The head signs every order of the department, so there are no colleagues to compare with: the
    department competes its orders by inquiry, but one firm gets a run of direct and single-source awards."""
    world = snap(
        orders("XJ", "B1", XJ_MARKET, 45, method="inquiry"),
        orders("XJ", "B1", ["F1"], 8, start=100, method="direct"),
        orders("XJ", "B1", ["F1"], 6, start=200, method="single_source"),
    )
    findings = {f.subject: f for f in run(world, Params())}
    assert list(findings) == ["B1|F1"]
    finding = findings["B1|F1"]
    assert finding.evidence["rule"] == "steered"
    metrics = finding.evidence["metrics"]
    assert (metrics["n"], metrics["buyer_chosen"], metrics["others_buyer_chosen"]) == (14, 14, 0)
    assert level_of(calibrate(finding).score) == "high"
    assert "定向选商" in finding.explanation_zh and "Steered awards" in finding.explanation_en


def test_a_department_that_buys_everything_directly_steers_nothing():
    """The look-alike: a department whose whole market is bought directly (small local firms, no contests),
    a habitual supplier that wins its share through inquiries like everyone else, and the direct call-offs of
    a framework agreement, which carry the framework's tender id."""
    world = snap(
        orders("XJ", "B2", XJ_MARKET, 45, category="轨道材料", method="inquiry"),
        orders("XJ", "B2", ["F3"], 14, start=100, category="轨道材料", method="direct", tender="T-2024-01"),
        orders("XJ", "B1", XJ_MARKET, 45, method="direct"),
        orders("XJ", "B1", ["F1"], 14, start=100, method="direct"),
        orders("HQ", "A1", HQ_MARKET, 30, method="inquiry"),
        orders("HQ", "A1", ["F2"], 30, start=100, method="inquiry"),
    )
    assert run(world, Params()) == []

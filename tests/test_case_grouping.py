"""Cases from alerts (detectors.case_grouping): which alerts merge, the corroboration score,
and ids that stay put across runs while alerts join, leave, merge and split."""

from __future__ import annotations

import pandas as pd
import pytest

from detectors.case_grouping import (
    GroupingParams,
    PriorCase,
    case_score,
    derived_case_id,
    group_alerts,
)

FAMILY = {
    "repeated_pairs": "concentration",
    "concentration": "concentration",
    "conflict_paths": "relationship",
    "price_anomalies": "price",
    "approval_controls": "approval",
    "bid_rigging": "bidding",
}


def rows(*alerts: tuple, case_of: dict[str, str] | None = None, status: dict[str, str] | None = None):
    """``(alert_id, detector, score, level, [entity keys])`` -> Store.alerts() rows."""
    out = []
    for alert_id, detector, score, level, keys in alerts:
        for key in keys:
            entity_type, _, entity_id = key.partition(":")
            out.append(
                {
                    "alert_id": alert_id,
                    "detector": detector,
                    "score": score,
                    "level": level,
                    "status": (status or {}).get(alert_id, "open"),
                    "assignee": None,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "case_id": (case_of or {}).get(alert_id),
                    "first_seen": pd.Timestamp("2026-01-01"),
                    "last_seen": pd.Timestamp("2026-01-02"),
                }
            )
    return pd.DataFrame(out)


def cases_by_alerts(plan) -> dict[tuple[str, ...], str]:
    return {tuple(sorted(c.alert_ids)): c.id for c in plan.cases}


def test_alerts_sharing_a_supplier_are_one_case_and_a_department_links_nothing():
    plan = group_alerts(
        rows(
            ("A1", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1", "department:D1"]),
            ("A2", "conflict_paths", 0.6, "medium", ["employee:E2", "supplier:S1"]),
            ("A3", "price_anomalies", 0.5, "medium", ["contract:C9", "department:D1"]),
        ),
        FAMILY,
    )
    assert set(cases_by_alerts(plan)) == {("A1", "A2"), ("A3",)}


def test_corroboration_across_families_outranks_one_screen_firing_three_times():
    plan = group_alerts(
        rows(
            # one supplier, three independent families at 0.6 each
            ("P1", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1"]),
            ("P2", "conflict_paths", 0.6, "medium", ["supplier:S1", "person:P1"]),
            ("P3", "price_anomalies", 0.6, "medium", ["supplier:S1", "contract:C1"]),
            # another supplier, one price screen three times at a higher score
            ("Q1", "price_anomalies", 0.9, "high", ["supplier:S2", "contract:C2"]),
            ("Q2", "price_anomalies", 0.9, "high", ["supplier:S2", "contract:C3"]),
            ("Q3", "price_anomalies", 0.9, "high", ["supplier:S2", "contract:C4"]),
        ),
        FAMILY,
    )
    first, second = plan.cases
    assert sorted(first.alert_ids) == ["P1", "P2", "P3"]
    assert first.score == pytest.approx(0.936)
    assert first.corroboration == 3 and first.level == "high"
    # three alerts of one family count as its best alert, not three times
    assert second.score == pytest.approx(0.9) and second.corroboration == 1


def test_a_hard_flag_makes_its_case_high_whatever_the_score():
    plan = group_alerts(rows(("H1", "approval_controls", 0.3, "high", ["employee:E1"])), FAMILY)
    assert plan.cases[0].level == "high"
    assert plan.cases[0].score >= 0.7


def test_a_hub_entity_links_none_of_its_alerts():
    # one supplier named by the findings of many approvers (a utility every department buys from)
    hub = [
        (f"U{i}", "price_anomalies", 0.5, "medium", ["supplier:UTIL", f"employee:E{i}", f"contract:C{i}"])
        for i in range(5)
    ]
    plan = group_alerts(rows(*hub), FAMILY, params=GroupingParams(max_findings_per_entity=4))
    assert len(plan.cases) == 5
    plan = group_alerts(rows(*hub), FAMILY, params=GroupingParams(max_findings_per_entity=5))
    assert len(plan.cases) == 1


def test_many_alerts_of_one_finding_about_the_same_parties_are_not_a_hub():
    # ten payments of one supplier into one approver's account, and the path that explains them
    payments = [
        (f"P{i:02d}", "approval_controls", 1.0, "high", ["employee:E1", "supplier:S1", f"contract:C{i}"])
        for i in range(10)
    ]
    path = ("R1", "conflict_paths", 0.95, "high", ["employee:E1", "supplier:S1", "person:P1"])
    plan = group_alerts(rows(*payments, path), FAMILY, params=GroupingParams(max_findings_per_entity=4))
    assert len(plan.cases) == 1 and len(plan.cases[0].alert_ids) == 11


def test_a_broad_alert_joins_one_case_and_never_links_two():
    community = [f"employee:E{i}" for i in range(1, 6)] + [f"supplier:S{i}" for i in range(1, 6)]
    plan = group_alerts(
        rows(
            # a self-approval by E1, and (elsewhere) a ring in which S5 bids
            ("A1", "approval_controls", 1.0, "high", ["employee:E1", "contract:C1"]),
            ("A2", "approval_controls", 1.0, "high", ["employee:E1", "contract:C2"]),
            ("B1", "bid_rigging", 0.9, "high", ["supplier:S5", "supplier:S9", "tender:T1"]),
            # an approval community naming both, and ten parties in all
            ("C1", "approval_communities", 0.4, "medium", community),
            # E2 favours S2: the community's story
            ("R1", "repeated_pairs", 0.6, "medium", ["employee:E2", "supplier:S2"]),
        ),
        {**FAMILY, "approval_communities": "network"},
    )
    # one approver in common is not enough to join: the community joins the pair inside it
    assert set(cases_by_alerts(plan)) == {("A1", "A2"), ("B1",), ("C1", "R1")}


def test_a_low_note_naming_two_stories_links_neither_and_joins_the_one_it_shares_most_with():
    plan = group_alerts(
        rows(
            ("S1", "split_purchase", 0.9, "high", ["employee:E1", "supplier:S1", "contract:C1"]),
            ("S2", "split_purchase", 0.9, "high", ["employee:E2", "supplier:S2", "contract:C2"]),
            # the department's low note of its small episodes names both requesters and firms
            (
                "N1",
                "split_purchase",
                0.1,
                "low",
                ["employee:E1", "supplier:S1", "employee:E2", "supplier:S3"],
            ),
        ),
        {**FAMILY, "split_purchase": "approval"},
    )
    assert set(cases_by_alerts(plan)) == {("N1", "S1"), ("S2",)}


def test_a_low_note_joins_the_case_of_the_party_it_names_and_low_notes_of_one_tender_are_one_case():
    plan = group_alerts(
        rows(
            ("H1", "repeated_pairs", 0.8, "high", ["employee:E1", "supplier:S1"]),
            ("L1", "concentration", 0.1, "low", ["supplier:S1", "department:D1"]),
            ("L2", "price_anomalies", 0.1, "low", ["contract:C9"]),
            # two low screens of one tender are one case even though neither names a party
            ("T1", "bid_rigging", 0.2, "low", ["tender:T7"]),
            ("T2", "price_anomalies", 0.3, "low", ["tender:T7"]),
        ),
        FAMILY,
    )
    assert set(cases_by_alerts(plan)) == {("H1", "L1"), ("L2",), ("T1", "T2")}


def test_two_broad_alerts_about_mostly_the_same_parties_are_one_case():
    ring = [f"supplier:S{i}" for i in range(1, 10)]
    plan = group_alerts(
        rows(
            ("B1", "bid_rigging", 0.9, "high", ring),
            ("B2", "bid_rigging", 0.8, "high", [*ring[1:], "supplier:S10"]),
            ("B3", "bid_rigging", 0.8, "high", [*(f"supplier:X{i}" for i in range(1, 10)), *ring[:1]]),
        ),
        FAMILY,
    )
    assert set(cases_by_alerts(plan)) == {("B1", "B2"), ("B3",)}


def test_no_case_grows_past_the_size_cap_and_the_tightest_ties_merge_first():
    chain = [
        (f"A{i}", "price_anomalies", 0.5, "medium", [f"supplier:S{i}", f"supplier:S{i + 1}"])
        for i in range(6)
    ]
    plan = group_alerts(rows(*chain), FAMILY, params=GroupingParams(max_case_alerts=3))
    assert max(len(c.alert_ids) for c in plan.cases) == 3
    assert sum(len(c.alert_ids) for c in plan.cases) == 6


def test_grouping_does_not_depend_on_the_order_of_the_rows():
    alerts = rows(
        ("A1", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1"]),
        ("A2", "conflict_paths", 0.7, "medium", ["supplier:S1", "person:P1"]),
        ("A3", "price_anomalies", 0.5, "medium", ["person:P1", "supplier:S3"]),
        ("A4", "price_anomalies", 0.5, "medium", ["supplier:S4"]),
    )
    shuffled = alerts.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert cases_by_alerts(group_alerts(alerts, FAMILY)) == cases_by_alerts(group_alerts(shuffled, FAMILY))


def test_a_new_case_id_derives_from_its_alerts():
    plan = group_alerts(rows(("A2", "price_anomalies", 0.5, "medium", ["supplier:S1"])), FAMILY)
    assert plan.cases[0].id == derived_case_id(["A2"])
    assert derived_case_id(["A2", "A1"]) == derived_case_id(["A1", "A9"])
    assert derived_case_id(["A1"], taken=[derived_case_id(["A1"])]) != derived_case_id(["A1"])
    assert [e.kind for e in plan.events] == ["new"]


def test_a_case_keeps_its_id_when_an_alert_joins_it_and_when_one_leaves_it():
    first = group_alerts(
        rows(("A5", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1"])), FAMILY
    )
    case_id = first.cases[0].id
    prior = {case_id: PriorCase(case_id, status="reviewing", assignee="甲")}
    # an alert with a smaller id joins: the id is kept (it is not re-derived)
    joined = group_alerts(
        rows(
            ("A5", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1"]),
            ("A1", "price_anomalies", 0.5, "medium", ["supplier:S1", "contract:C1"]),
            case_of={"A5": case_id},
        ),
        FAMILY,
        prior,
    )
    assert [(c.id, c.status, c.assignee, sorted(c.alert_ids)) for c in joined.cases] == [
        (case_id, "reviewing", "甲", ["A1", "A5"])
    ]
    # the first alert is gone (its finding was not re-detected and it was removed): the id stays
    left = group_alerts(
        rows(
            ("A1", "price_anomalies", 0.5, "medium", ["supplier:S1", "contract:C1"]), case_of={"A1": case_id}
        ),
        FAMILY,
        prior,
    )
    assert [c.id for c in left.cases] == [case_id]
    assert left.events == []


def test_when_two_cases_merge_the_more_advanced_one_keeps_its_id_and_the_merge_is_recorded():
    prior = {
        "CS-open": PriorCase("CS-open", status="open", history=5),
        "CS-work": PriorCase("CS-work", status="reviewing", assignee="甲", history=1),
    }
    plan = group_alerts(
        rows(
            ("A1", "repeated_pairs", 0.6, "medium", ["employee:E1", "supplier:S1"]),
            ("A2", "conflict_paths", 0.6, "medium", ["employee:E2", "supplier:S2"]),
            # a new alert ties the two together
            ("A3", "price_anomalies", 0.6, "medium", ["supplier:S1", "supplier:S2"]),
            case_of={"A1": "CS-open", "A2": "CS-work"},
        ),
        FAMILY,
        prior,
    )
    (case,) = plan.cases
    assert (case.id, case.status, case.assignee) == ("CS-work", "reviewing", "甲")
    assert plan.merged_into == {"CS-open": "CS-work"}
    assert [(m.id, m.status, m.alert_ids) for m in plan.merged] == [("CS-open", "open", ())]
    merge = [e for e in plan.events if e.kind == "merge"]
    assert merge and merge[0].details["merged"] == "CS-open" and merge[0].details["alerts"] == ["A1"]


def test_between_equal_statuses_the_longer_trail_keeps_its_id():
    prior = {"CS-a": PriorCase("CS-a", history=1), "CS-b": PriorCase("CS-b", history=4)}
    plan = group_alerts(
        rows(
            ("A1", "repeated_pairs", 0.6, "medium", ["supplier:S1"]),
            ("A2", "conflict_paths", 0.6, "medium", ["supplier:S1"]),
            case_of={"A1": "CS-a", "A2": "CS-b"},
        ),
        FAMILY,
        prior,
    )
    assert [c.id for c in plan.cases] == ["CS-b"] and plan.merged_into == {"CS-a": "CS-b"}


def test_a_case_that_falls_apart_keeps_its_id_on_the_larger_part_and_the_other_carries_its_work():
    prior = {"CS-x": PriorCase("CS-x", status="reviewing", assignee="甲")}
    plan = group_alerts(
        rows(
            ("A1", "repeated_pairs", 0.6, "medium", ["supplier:S1"]),
            ("A2", "conflict_paths", 0.6, "medium", ["supplier:S1"]),
            ("A3", "price_anomalies", 0.6, "medium", ["supplier:S9"]),
            case_of={"A1": "CS-x", "A2": "CS-x", "A3": "CS-x"},
        ),
        FAMILY,
        prior,
    )
    by_alerts = {tuple(sorted(c.alert_ids)): c for c in plan.cases}
    assert by_alerts[("A1", "A2")].id == "CS-x"
    split_off = by_alerts[("A3",)]
    assert split_off.id != "CS-x" and (split_off.status, split_off.assignee) == ("reviewing", "甲")
    (event,) = plan.events
    assert (event.kind, event.details["split_from"]) == ("split", "CS-x")


@pytest.mark.parametrize("status", ["dismissed", "remediated"])
def test_a_new_alert_reopens_a_closed_case(status):
    prior = {"CS-x": PriorCase("CS-x", status=status)}
    plan = group_alerts(
        rows(
            ("A1", "repeated_pairs", 0.6, "medium", ["supplier:S1"]),
            ("A2", "price_anomalies", 0.6, "medium", ["supplier:S1"]),
            case_of={"A1": "CS-x"},
            status={"A1": status},
        ),
        FAMILY,
        prior,
    )
    assert plan.cases[0].status == "open"
    reopen = [e for e in plan.events if e.kind == "reopen"]
    assert reopen and reopen[0].details["from"] == status and reopen[0].details["alerts"] == ["A2"]


def test_a_dismissed_case_seen_again_unchanged_stays_dismissed():
    prior = {"CS-x": PriorCase("CS-x", status="dismissed")}
    plan = group_alerts(
        rows(("A1", "repeated_pairs", 0.6, "medium", ["supplier:S1"]), case_of={"A1": "CS-x"}),
        FAMILY,
        prior,
    )
    assert plan.cases[0].status == "dismissed" and plan.events == []
    renewed = group_alerts(
        rows(("A1", "repeated_pairs", 0.6, "medium", ["supplier:S1"]), case_of={"A1": "CS-x"}),
        FAMILY,
        prior,
        renewed=["A1"],
    )
    assert renewed.cases[0].status == "open"


def test_case_score_is_a_noisy_or_of_independent_families():
    assert case_score([0.5, 0.5]) == pytest.approx(0.75)
    assert case_score([1.0, 0.2]) == 1.0

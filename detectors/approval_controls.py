"""Approval controls: contracts whose approval broke a rule of the organisation's own process.

Summary
-------
Checks every contract's approval chain against the controls an internal
auditor tests first: nobody approves their own request, nobody is paid on a
contract they approved, one person does not sign two levels, every amount is
signed off by someone entitled to it, steps come in order, and a contract is
signed only after its last approval.

Methodology
-----------
Per contract, from ``approvals`` (decision ``reject`` rows are kept for the
order and rejection checks and ignored otherwise) and ``contracts``:

* ``self_approval`` — the requester approved a step of their own contract
  (hard flag, score 0.9).
* ``staff_is_payee`` — a payment of the contract went to a bank account of an
  employee who requested or approved it, or of their declared spouse or
  relative (``SPOUSE_OF`` / ``RELATIVE_OF``); normalised account numbers; hard
  flag, score 0.95.
* ``same_approver_steps`` — one employee signed two or more steps (the four-eyes
  principle is void; score 0.6).
* ``approval_limit`` — nobody in the chain holds the authority the amount needs.
  ``policy.yaml`` ``approval_limits`` gives the largest amount each level may
  sign off alone; a contract of amount *A* needs level
  ``1 + #{levels whose max_amount < A}`` (above the last limit, one level more).
  An approver's level is the level of their job title in ``approval_roles``
  when the policy names roles, else the number of the step they signed. Score
  0.5 + 0.1·log2(*A* / the limit of the highest level reached), capped at 0.85;
  a contract with no approval at all scores 0.6.
* ``missing_step`` — the steps are not 1, 2, …, k without gaps (score 0.5).
* ``out_of_order`` — a later step carries an earlier timestamp than the step
  before it (score 0.45).
* ``signed_before_approval`` — ``signed_date`` precedes the day of the last
  approval by more than ``tolerance_days``; score 0.5 + 0.3·min(1, days / 30).
* ``signed_despite_rejection`` — the last decision of some step is ``reject``
  and the contract was signed anyway (score 0.75).

Each (rule, contract) is one finding; the subject is ``rule|contract`` (plus the
employee for ``staff_is_payee``), so the same breach is the same alert next run.

Example
-------
李强 (采购员, 生产运营部) raises contract HT-0815 for 干式变压器 with 华能电气, 68万元,
and signs step 1 himself → ``self_approval``, high. A 32万元 contract approved
only by the department manager (level 1, limit 5万元) while 20万元–100万元 needs
the 总经理 (level 3) → ``approval_limit``, medium.

Why is this a red flag?
-----------------------
Self-approval and payments into an approver's own account are the control
overrides behind most procurement frauds the ACFE surveys; approving above
one's authority, skipping or back-dating steps and signing before approval
defeat the approval chain the organisation relies on (内控制度).

Based on
--------
INDICATORS A05 (self-approval), A06 (segregation of duties), A07 (approval limit
breach), A08 (after-the-fact purchase order); IDEA / ACL audit tests for
purchase orders and vendor masters; the data contract's ``policy.yaml``
(``approval_limits``, ``approval_roles``).

Output
------
Entities: the employee concerned (requester or approver), the contract, the
payments and the relative for ``staff_is_payee``, and the department; the
requester when no single signer is at fault (missing or disordered steps,
signing before approval, no approval at all). The supplier and the requester
are drawn in the subgraph but not otherwise flagged: a breach of the buyer's
own controls is not the supplier's doing. Evidence: ``rule``, ``metrics`` (amount, levels,
days, steps), ``rows`` (the approval steps), ``thresholds`` (the limit or
tolerance applied and its source) and ``subgraph``.

Configuration
-------------
``tolerance_days`` (days), ``use_role_levels`` (flag), ``max_rows`` (count).
Approval limits, roles and the tolerance come from ``policy.yaml`` when present;
without a policy the data contract's example limits (5万/20万/100万元) apply.

Exclusions
----------
Contracts without any approval row are only checked by ``approval_limit`` and
only when the dataset has approvals at all (an extract without approvals.csv
proves nothing). Payments without a contract are not checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.policy_rules import approval_limits, approval_roles, required_level
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "RULES", "Params", "run"]


@dataclass(frozen=True)
class Params:
    tolerance_days: int = param(0, "days", "days a contract may be signed before its last approval")
    use_role_levels: bool = param(
        True, "flag", "take an approver's level from their job title when policy.yaml names approval_roles"
    )
    max_rows: int = param(20, "count", "approval rows listed in the evidence")


#: rule -> (中文名, English name, base score, hard flag)
RULES: dict[str, tuple[str, str, float, bool]] = {
    "self_approval": ("自批自审", "self-approval", 0.9, True),
    "staff_is_payee": ("经办或审批人收款", "payment to the requester's or approver's account", 0.95, True),
    "same_approver_steps": ("一人多级审批", "one person signed several steps", 0.6, False),
    "approval_limit": ("越权审批", "approved beyond delegated authority", 0.5, False),
    "missing_step": ("审批步骤缺失", "missing approval step", 0.5, False),
    "out_of_order": ("审批顺序颠倒", "approval steps out of order", 0.45, False),
    "signed_before_approval": ("先签后批", "signed before the last approval", 0.5, False),
    "signed_despite_rejection": ("审批否决后仍签约", "signed although a step was rejected", 0.75, False),
}


#: Ties through which a payment into a relative's account counts as a payment to the employee.
KIN_RELATIONS = ("SPOUSE_OF", "RELATIVE_OF")

#: A signed contract with no approval on record at all, in a dataset that records approvals.
NO_APPROVAL_SCORE = 0.6


def _contracts(snapshot: GraphSnapshot) -> pd.DataFrame:
    cols = ["id", "amount", "signed_date", "supplier_id", "department_id", "requester_id", "category"]
    return snapshot.contracts[cols].rename(columns={"id": "contract_id"})


def _approvals(snapshot: GraphSnapshot) -> pd.DataFrame:
    approvals = snapshot.approvals[["contract_id", "step", "approver_id", "approved_at", "decision"]].copy()
    approvals["rejected"] = approvals["decision"].fillna("approve").astype(str).str.lower().eq("reject")
    return approvals


def _self_approval(approvals: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    ok = approvals[~approvals["rejected"]].merge(contracts[["contract_id", "requester_id"]], on="contract_id")
    hits = ok[ok["approver_id"] == ok["requester_id"]]
    hits = hits.sort_values("step").drop_duplicates("contract_id")
    return pd.DataFrame(
        {
            "rule": "self_approval",
            "contract_id": hits["contract_id"],
            "employee_id": hits["approver_id"],
            "step": hits["step"],
        }
    )


def _staff_accounts(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Normalised accounts of employees and of their declared spouses and relatives.

    Columns: ``employee_id``, ``account`` and ``relative_id`` (empty for the employee's own account).
    """
    ids = snapshot.identifiers
    accounts = ids[ids["kind"] == "BankAccount"]
    own = accounts[accounts["label"] == "Employee"][["party_id", "value"]].rename(
        columns={"party_id": "employee_id", "value": "account"}
    )
    rel = snapshot.relations
    kin = rel[rel["relation"].isin(KIN_RELATIONS)]
    ties = pd.concat(
        [
            kin[(kin["src_label"] == "Person") & (kin["dst_label"] == "Employee")][
                ["src_id", "dst_id"]
            ].set_axis(["relative_id", "employee_id"], axis=1),
            kin[(kin["src_label"] == "Employee") & (kin["dst_label"] == "Person")][
                ["dst_id", "src_id"]
            ].set_axis(["relative_id", "employee_id"], axis=1),
        ],
        ignore_index=True,
    )
    person_accounts = accounts[accounts["label"] == "Person"][["party_id", "value"]].rename(
        columns={"party_id": "relative_id", "value": "account"}
    )
    relatives = ties.merge(person_accounts, on="relative_id")[["employee_id", "account", "relative_id"]]
    return pd.concat([own.assign(relative_id=None), relatives], ignore_index=True).drop_duplicates()


def _staff_is_payee(
    snapshot: GraphSnapshot, approvals: pd.DataFrame, contracts: pd.DataFrame
) -> pd.DataFrame:
    payments = snapshot.payments
    staff_accounts = _staff_accounts(snapshot)
    if payments.empty or staff_accounts.empty:
        return pd.DataFrame()
    paid = payments[["id", "contract_id", "account", "amount", "paid_at"]].dropna(
        subset=["contract_id", "account"]
    )
    paid = paid.merge(staff_accounts, on="account").rename(
        columns={"id": "payment_id", "amount": "paid_amount"}
    )
    if paid.empty:
        return pd.DataFrame()
    roles = pd.concat(
        [
            approvals.loc[~approvals["rejected"], ["contract_id", "approver_id"]]
            .rename(columns={"approver_id": "employee_id"})
            .assign(role="approver"),
            contracts[["contract_id", "requester_id"]]
            .dropna()
            .rename(columns={"requester_id": "employee_id"})
            .assign(role="requester"),
        ],
        ignore_index=True,
    ).drop_duplicates(["contract_id", "employee_id", "role"])
    hits = paid.merge(roles, on=["contract_id", "employee_id"])
    if hits.empty:
        return pd.DataFrame()
    hits["relative_id"] = hits["relative_id"].fillna("")
    keys = ["contract_id", "employee_id", "relative_id"]
    grouped = (
        hits.groupby(keys, sort=True)
        .agg(
            roles=("role", lambda r: ",".join(sorted(set(r)))),
            payments=("payment_id", lambda p: ",".join(sorted(set(p)))),
        )
        .reset_index()
    )
    # one payment is counted once even when the employee holds two roles
    per_payment = hits.drop_duplicates([*keys, "payment_id"])
    grouped["paid_amount"] = per_payment.groupby(keys, sort=True)["paid_amount"].sum().to_numpy()
    return grouped.assign(rule="staff_is_payee")


def _same_approver_steps(approvals: pd.DataFrame) -> pd.DataFrame:
    ok = approvals[~approvals["rejected"]]
    steps = ok.groupby(["contract_id", "approver_id"], sort=False)["step"].nunique()
    hits = (
        steps[steps >= 2].reset_index().rename(columns={"approver_id": "employee_id", "step": "steps_signed"})
    )
    hits = hits.drop_duplicates("contract_id")
    return hits.assign(rule="same_approver_steps")


def _approval_limit(
    snapshot: GraphSnapshot, approvals: pd.DataFrame, contracts: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, dict[str, Any]]:
    limits, source = approval_limits(snapshot.policy)
    max_amounts = np.array([limit.max_amount for limit in limits], dtype=float)
    roles = approval_roles(snapshot.policy) if params.use_role_levels else {}
    ok = approvals[~approvals["rejected"]][["contract_id", "step", "approver_id"]].copy()
    ok["level"] = ok["step"].astype("float64")
    if roles:
        positions = snapshot.employees.set_index("id")["position"].dropna().astype(str).str.strip()
        role_level = ok["approver_id"].map(positions).map(roles)
        ok["level"] = role_level.fillna(ok["level"]).astype("float64")
    # the approver who holds the highest level reached answers for the amount
    top = ok.sort_values(["contract_id", "level", "step"]).drop_duplicates("contract_id", keep="last")
    reached = top.set_index("contract_id")[["level", "approver_id"]].rename(
        columns={"level": "reached", "approver_id": "top_approver"}
    )
    table = contracts[["contract_id", "amount"]].dropna(subset=["amount"]).join(reached, on="contract_id")
    # a contract whose every row is a rejection is left to signed_despite_rejection
    table = table[table["reached"].notna() | ~table["contract_id"].isin(approvals["contract_id"])]
    table["reached"] = table["reached"].fillna(0.0)
    table["required"] = required_level(table["amount"].to_numpy(dtype=float), max_amounts)
    hits = table[table["reached"] < table["required"]].copy()
    if hits.empty:
        return pd.DataFrame(), {"approval_limits": source}
    reached_level = hits["reached"].astype(int)
    # the amount the highest level reached may sign off alone; nothing when nobody signed
    limit_of_level = np.concatenate([[0.0], max_amounts, [np.inf]])
    hits["reached_limit"] = limit_of_level[reached_level.clip(upper=len(max_amounts) + 1)]
    hits["required_level"] = hits["required"].astype(int)
    hits["reached_level"] = reached_level
    ratio = hits["amount"] / hits["reached_limit"].where(hits["reached_limit"] > 0)
    hits["score"] = (0.5 + 0.1 * np.log2(ratio.clip(lower=1.0))).fillna(NO_APPROVAL_SCORE).clip(upper=0.85)
    hits = hits.rename(columns={"top_approver": "employee_id"})
    thresholds = {
        "approval_limits": {str(limit.level): limit.max_amount for limit in limits},
        "approval_limits_source": source,
        "approval_levels_from": "approval_roles" if roles else "step",
    }
    return hits.drop(columns=["required", "reached"]).assign(rule="approval_limit"), thresholds


def _missing_step(approvals: pd.DataFrame) -> pd.DataFrame:
    steps = approvals.dropna(subset=["step"]).groupby("contract_id", sort=False)["step"]
    table = pd.DataFrame({"max_step": steps.max(), "distinct": steps.nunique(), "min_step": steps.min()})
    hits = table[(table["max_step"] > table["distinct"]) | (table["min_step"] != 1)]
    return hits.reset_index().assign(rule="missing_step")


def _out_of_order(approvals: pd.DataFrame) -> pd.DataFrame:
    ordered = approvals.dropna(subset=["step", "approved_at"]).sort_values(
        ["contract_id", "step", "approved_at"]
    )
    previous = ordered.groupby("contract_id", sort=False)["approved_at"].shift()
    previous_step = ordered.groupby("contract_id", sort=False)["step"].shift()
    back = ordered[(ordered["approved_at"] < previous) & (ordered["step"] > previous_step)]
    back = back.drop_duplicates("contract_id")
    return pd.DataFrame(
        {"rule": "out_of_order", "contract_id": back["contract_id"], "step": back["step"]}
    ).reset_index(drop=True)


def _signed_before_approval(approvals: pd.DataFrame, contracts: pd.DataFrame, params: Params) -> pd.DataFrame:
    ok = approvals[~approvals["rejected"]].dropna(subset=["approved_at"])
    last = ok.groupby("contract_id", sort=False)["approved_at"].max().dt.normalize().rename("last_approval")
    table = contracts[["contract_id", "signed_date"]].dropna().join(last, on="contract_id", how="inner")
    table["days_early"] = (table["last_approval"] - table["signed_date"]).dt.days
    hits = table[table["days_early"] > params.tolerance_days].copy()
    hits["score"] = 0.5 + 0.3 * (hits["days_early"] / 30).clip(upper=1.0)
    return hits.assign(rule="signed_before_approval")


def _signed_despite_rejection(approvals: pd.DataFrame) -> pd.DataFrame:
    ordered = approvals.dropna(subset=["step"]).sort_values(["contract_id", "step", "approved_at"])
    last = ordered.drop_duplicates(["contract_id", "step"], keep="last")
    hits = last[last["rejected"]].drop_duplicates("contract_id")
    return pd.DataFrame(
        {
            "rule": "signed_despite_rejection",
            "contract_id": hits["contract_id"],
            "employee_id": hits["approver_id"],
            "step": hits["step"],
        }
    ).reset_index(drop=True)


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _contracts(snapshot)
    approvals = _approvals(snapshot)
    if contracts.empty:
        return []
    parts = [_staff_is_payee(snapshot, approvals, contracts)]
    thresholds: dict[str, Any] = {}
    if not approvals.empty:
        limit_hits, thresholds = _approval_limit(snapshot, approvals, contracts, params)
        parts += [
            _self_approval(approvals, contracts),
            _same_approver_steps(approvals),
            limit_hits,
            _missing_step(approvals),
            _out_of_order(approvals),
            _signed_before_approval(approvals, contracts, params),
            _signed_despite_rejection(approvals),
        ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return []
    hits = pd.concat(parts, ignore_index=True)
    hits = hits[hits["contract_id"].isin(contracts["contract_id"])]
    if hits.empty:
        return []
    base = hits["rule"].map({rule: spec[2] for rule, spec in RULES.items()})
    hits["score"] = hits["score"].fillna(base) if "score" in hits.columns else base
    hits = hits.merge(contracts.drop(columns=["amount"]), on="contract_id", how="left", suffixes=("", "_c"))
    amounts = contracts.set_index("contract_id")["amount"]
    hits["contract_amount"] = hits["contract_id"].map(amounts)
    steps = approvals.sort_values(["contract_id", "step", "approved_at"])
    wanted = set(hits["contract_id"])
    steps = steps[steps["contract_id"].isin(wanted)]
    steps_by_contract = dict(tuple(steps.groupby("contract_id", sort=False)))
    limits_threshold = thresholds or {"approval_limits_source": approval_limits(snapshot.policy)[1]}
    findings = [
        _finding(snapshot, row, steps_by_contract.get(row["contract_id"]), limits_threshold, params)
        for row in hits.sort_values(["rule", "contract_id"]).to_dict("records")
    ]
    findings.sort(key=lambda f: -f.score)
    return findings


def _value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return value


def _finding(
    snapshot: GraphSnapshot,
    row: Mapping[str, Any],
    steps: pd.DataFrame | None,
    limit_thresholds: Mapping[str, Any],
    params: Params,
) -> Finding:
    rule = row["rule"]
    rule_zh, rule_en, _, hard = RULES[rule]
    contract = row["contract_id"]
    supplier = _value(row, "supplier_id")
    department = _value(row, "department_id")
    requester = _value(row, "requester_id")
    employee = _value(row, "employee_id")
    amount = float(row["contract_amount"]) if _value(row, "contract_amount") is not None else 0.0
    sup = f"{snapshot.name('Supplier', supplier)}（{supplier}）" if supplier else "未知供应商"
    sup_en = f"{snapshot.name('Supplier', supplier)} ({supplier})" if supplier else "an unknown supplier"
    emp_zh = f"{snapshot.name('Employee', employee)}（{employee}）" if employee else ""
    emp_en = f"{snapshot.name('Employee', employee)} ({employee})" if employee else ""
    head_zh = f"合同{contract}（供应商{sup}，{wan(amount)}）"
    head_en = f"Contract {contract} with {sup_en}, {yuan(amount)},"
    metrics: dict[str, Any] = {"amount": amount}
    thresholds: dict[str, Any] = {"rule": rule}
    if rule == "self_approval":
        step = int(row["step"])
        zh = f"{head_zh}由{emp_zh}申请，又由其本人审批第{step}步，违反不相容岗位分离（规则：申请人不得审批本人申请）。"
        en = f"{head_en} was requested by {emp_en} who also approved step {step} of it (rule: a requester may not approve their own request)."
        metrics["step"] = step
        thresholds["requester_may_approve"] = False
    elif rule == "staff_is_payee":
        role_zh = {"approver": "审批人", "requester": "申请人", "approver,requester": "申请人兼审批人"}[
            row["roles"]
        ]
        role_en = {
            "approver": "approver",
            "requester": "requester",
            "approver,requester": "requester and approver",
        }[row["roles"]]
        paid = float(row["paid_amount"])
        relative = row.get("relative_id") or None
        holder_zh = f"其亲属{snapshot.name('Person', relative)}（{relative}）" if relative else "本人"
        holder_en = f"their relative {snapshot.name('Person', relative)} ({relative})" if relative else "them"
        zh = (
            f"{head_zh}的付款{row['payments']}共{wan(paid)}汇入该合同{role_zh}{emp_zh}{holder_zh}的银行账户"
            f"（规则：合同款不得支付给经办或审批人员及其亲属）。"
        )
        en = (
            f"{head_en} had payment(s) {row['payments']} of {yuan(paid)} paid into a bank account of its "
            f"{role_en} {emp_en}, held by {holder_en} (rule: no payment to staff who requested or approved the "
            f"contract, nor to their relatives)."
        )
        metrics.update(
            {
                "paid_amount": paid,
                "payments": row["payments"].split(","),
                "roles": row["roles"],
                "relative_id": relative,
            }
        )
        thresholds["staff_may_be_payee"] = False
    elif rule == "same_approver_steps":
        n = int(row["steps_signed"])
        zh = f"{head_zh}的{n}个审批步骤均由{emp_zh}一人签批，多级审批形同虚设（规则：每一级由不同人员审批）。"
        en = f"{head_en} had {n} of its approval steps signed by the same person, {emp_en} (rule: each step by a different person)."
        metrics["steps_signed"] = n
        thresholds["max_steps_per_person"] = 1
    elif rule == "approval_limit":
        need, got = int(row["required_level"]), int(row["reached_level"])
        limit = float(row["reached_limit"])
        thresholds.update(limit_thresholds)
        metrics.update({"required_level": need, "reached_level": got, "reached_limit": limit})
        if got == 0:
            zh = f"{head_zh}没有任何通过的审批记录，按审批权限需至少第{need}级审批（规则：policy.yaml approval_limits）。"
            en = f"{head_en} has no approval on record although its amount needs approval level {need} (rule: policy.yaml approval_limits)."
        else:
            zh = (
                f"{head_zh}审批链最高只到第{got}级（最后由{emp_zh}签批），该级单独审批上限为{wan(limit)}，"
                f"而该金额需第{need}级审批（规则：policy.yaml approval_limits）。"
            )
            en = (
                f"{head_en} was approved up to level {got} only (last by {emp_en}), whose limit is {yuan(limit)}, "
                f"while its amount needs level {need} (rule: policy.yaml approval_limits)."
            )
    elif rule == "missing_step":
        got = int(row["distinct"])
        top = int(row["max_step"])
        zh = f"{head_zh}的审批记录到第{top}步，但只有{got}个不同步骤，存在缺失的审批步骤（规则：步骤须从1起连续）。"
        en = f"{head_en} has approval steps up to {top} but only {got} distinct steps: a step is missing (rule: steps run 1, 2, … without gaps)."
        metrics.update({"max_step": top, "distinct_steps": got})
        thresholds["steps_contiguous_from"] = 1
    elif rule == "out_of_order":
        step = int(row["step"])
        zh = f"{head_zh}的第{step}步审批时间早于前一步，审批顺序颠倒（规则：后一级审批不得早于前一级）。"
        en = f"{head_en} has step {step} approved before the step preceding it (rule: steps are signed in order)."
        metrics["step"] = step
        thresholds["steps_in_time_order"] = True
    elif rule == "signed_before_approval":
        days = int(row["days_early"])
        zh = (
            f"{head_zh}于{row['signed_date']:%Y-%m-%d}签订，比最后一步审批（{row['last_approval']:%Y-%m-%d}）早{days}天，"
            f"属先签后批（容差{params.tolerance_days}天）。"
        )
        en = (
            f"{head_en} was signed on {row['signed_date']:%Y-%m-%d}, {days} days before its last approval "
            f"({row['last_approval']:%Y-%m-%d}) (tolerance {params.tolerance_days} days)."
        )
        metrics["days_early"] = days
        thresholds["tolerance_days"] = params.tolerance_days
    else:  # signed_despite_rejection
        step = int(row["step"])
        zh = f"{head_zh}第{step}步被{emp_zh}否决，但合同仍然签订（规则：任一步骤否决即终止）。"
        en = f"{head_en} was signed although {emp_en} rejected step {step} (rule: a rejection stops the contract)."
        metrics["step"] = step
        thresholds["rejection_stops_contract"] = True
    rows = []
    if steps is not None:
        for r in steps.head(params.max_rows).itertuples(index=False):
            rows.append(
                {
                    "contract_id": contract,
                    "step": None if pd.isna(r.step) else int(r.step),
                    "approver_id": r.approver_id,
                    "approved_at": None if pd.isna(r.approved_at) else f"{r.approved_at:%Y-%m-%dT%H:%M:%S}",
                    "decision": "reject" if r.rejected else "approve",
                }
            )
    # the supplier is drawn but not flagged: a breach of the buyer's own controls is not the supplier's doing
    entities = [entity_key("Employee", employee)] if employee else []
    entities.append(entity_key("Contract", contract))
    if rule == "staff_is_payee":
        entities += [entity_key("Payment", p) for p in metrics["payments"]]
        if metrics["relative_id"]:
            entities.append(entity_key("Person", metrics["relative_id"]))
    if department:
        entities.append(entity_key("Department", department))
    # the requester answers for the paperwork when no single signer is at fault
    if requester and not employee:
        entities.append(entity_key("Employee", requester))
    subject = f"{rule}|{contract}"
    if rule == "staff_is_payee":
        subject += f"|{employee}" + (f"|{metrics['relative_id']}" if metrics["relative_id"] else "")
    drawn = [entity_key("Supplier", supplier)] if supplier else []
    if requester:
        drawn.append(entity_key("Employee", requester))
    subgraph = list(
        dict.fromkeys([*entities, *drawn, *(entity_key("Employee", r["approver_id"]) for r in rows)])
    )
    return Finding(
        detector=DETECTOR.id,
        subject=subject,
        score=float(min(1.0, max(0.0, row["score"]))),
        entities=tuple(entities),
        explanation_zh=f"【{rule_zh}】{zh}",
        explanation_en=f"[{rule_en}] {en}",
        evidence={
            "rule": rule,
            "metrics": metrics,
            "thresholds": thresholds,
            "rows": rows,
            "subgraph": subgraph,
        },
        hard=hard,
    )


DETECTOR = Detector(
    id="approval_controls",
    title_zh="审批控制缺陷",
    title_en="Approval control breaches",
    family="approval",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

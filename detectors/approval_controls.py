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
payments and the relative for ``staff_is_payee`` (and the supplier when the
account is one the supplier registered as its own); the requester when no
single signer is at fault (missing or disordered steps, signing before
approval, no approval at all). The supplier, the requester and the department
are drawn in the subgraph but not named: a breach of the buyer's own controls
is not the supplier's doing, nor the department's other staff's. Evidence: ``rule``, ``metrics`` (amount, levels,
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
    return snapshot.contracts[cols].rename(columns={"id": "contract_id"}).reset_index(drop=True)


@dataclass(frozen=True)
class _Chains:
    """Every approval row of a known contract as arrays, sorted by (contract, step, time).

    ``contract`` is the row number of the contract in the contracts frame, so that
    every per-contract question is an integer group-by rather than a string one.
    """

    contract: np.ndarray
    step: np.ndarray  # float, NaN where the export has no step
    approver: np.ndarray
    approver_code: np.ndarray  # the approver as an integer, for group-bys
    time: np.ndarray  # datetime64, NaT where missing
    rejected: np.ndarray

    def __len__(self) -> int:
        return len(self.contract)

    def where(self, mask: np.ndarray) -> _Chains:
        return _Chains(
            self.contract[mask],
            self.step[mask],
            self.approver[mask],
            self.approver_code[mask],
            self.time[mask],
            self.rejected[mask],
        )


def _is_rejection(decision: pd.Series) -> np.ndarray:
    """``reject`` in any letter case; the few distinct values are looked at once, not every row."""
    rejecting = [value for value in decision.dropna().unique() if str(value).strip().lower() == "reject"]
    return decision.isin(rejecting).to_numpy()


def _chains(snapshot: GraphSnapshot, index: pd.Index) -> _Chains:
    approvals = snapshot.approvals
    code = index.get_indexer(approvals["contract_id"])
    step = approvals["step"].astype("float64").to_numpy()
    time = approvals["approved_at"].to_numpy()
    rejected = _is_rejection(approvals["decision"])
    approver_code, approver_names = pd.factorize(approvals["approver_id"])
    known = code >= 0
    order = np.lexsort((time.astype("int64")[known], np.nan_to_num(step[known], nan=-1.0), code[known]))
    approver_code = approver_code[known][order]
    return _Chains(
        contract=code[known][order],
        step=step[known][order],
        # code -1 (no approver given) picks the None appended at the end
        approver=np.concatenate([np.asarray(approver_names, dtype=object), [None]])[approver_code],
        approver_code=approver_code,
        time=time[known][order],
        rejected=rejected[known][order],
    )


def _first_per_contract(contract: np.ndarray) -> np.ndarray:
    """Positions of the first row of each contract in rows sorted by contract."""
    return (
        np.flatnonzero(np.concatenate([[True], contract[1:] != contract[:-1]])) if len(contract) else contract
    )


def _self_approval(chains: _Chains, contracts: pd.DataFrame) -> pd.DataFrame:
    requester = contracts["requester_id"].to_numpy(dtype=object)[chains.contract]
    hits = chains.where(~chains.rejected & (chains.approver == requester))
    first = _first_per_contract(hits.contract)
    return pd.DataFrame(
        {
            "rule": "self_approval",
            "contract_id": contracts["contract_id"].to_numpy()[hits.contract[first]],
            "employee_id": hits.approver[first],
            "step": hits.step[first],
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
    snapshot: GraphSnapshot, chains: _Chains, contracts: pd.DataFrame, index: pd.Index
) -> pd.DataFrame:
    payments = snapshot.payments
    staff_accounts = _staff_accounts(snapshot)
    if payments.empty or staff_accounts.empty:
        return pd.DataFrame()
    paid = payments[payments["account"].isin(staff_accounts["account"]) & payments["contract_id"].notna()]
    paid = paid[["id", "contract_id", "account", "amount"]].merge(staff_accounts, on="account")
    paid = paid.rename(columns={"id": "payment_id", "amount": "paid_amount"})
    if paid.empty:
        return pd.DataFrame()
    # the roles each paid employee held on the contracts they were paid on
    codes = index.get_indexer(paid["contract_id"])
    paid = paid[codes >= 0].assign(code=codes[codes >= 0])
    ok = chains.where(~chains.rejected & np.isin(chains.contract, paid["code"].to_numpy()))
    roles = pd.concat(
        [
            pd.DataFrame({"code": ok.contract, "employee_id": ok.approver, "role": "approver"}),
            pd.DataFrame(
                {
                    "code": paid["code"].to_numpy(),
                    "employee_id": contracts["requester_id"].to_numpy(dtype=object)[paid["code"].to_numpy()],
                    "role": "requester",
                }
            ).dropna(),
        ],
        ignore_index=True,
    ).drop_duplicates()
    hits = paid.merge(roles, on=["code", "employee_id"])
    if hits.empty:
        return pd.DataFrame()
    hits["relative_id"] = hits["relative_id"].fillna("")
    # an account the supplier itself registered: the staff member stands behind the supplier
    ids = snapshot.identifiers
    supplier_accounts = ids[(ids["label"] == "Supplier") & (ids["kind"] == "BankAccount")]
    registered = set(zip(supplier_accounts["party_id"], supplier_accounts["value"], strict=True))
    suppliers = contracts["supplier_id"].to_numpy(dtype=object)[hits["code"].to_numpy()]
    hits["supplier_account"] = [
        (supplier, account) in registered
        for supplier, account in zip(suppliers, hits["account"], strict=True)
    ]
    keys = ["contract_id", "employee_id", "relative_id"]
    grouped = (
        hits.groupby(keys, sort=True)
        .agg(
            roles=("role", lambda r: ",".join(sorted(set(r)))),
            payments=("payment_id", lambda p: ",".join(sorted(set(p)))),
            supplier_account=("supplier_account", "any"),
        )
        .reset_index()
    )
    # one payment is counted once even when the employee holds two roles
    per_payment = hits.drop_duplicates([*keys, "payment_id"])
    grouped["paid_amount"] = per_payment.groupby(keys, sort=True)["paid_amount"].sum().to_numpy()
    return grouped.assign(rule="staff_is_payee")


def _same_approver_steps(chains: _Chains, contracts: pd.DataFrame) -> pd.DataFrame:
    ok = chains.where(~chains.rejected & ~np.isnan(chains.step) & (chains.approver_code >= 0))
    # one (contract, approver) pair seen with two different steps
    pair = ok.contract.astype(np.int64) * (int(ok.approver_code.max(initial=0)) + 1) + ok.approver_code
    order = np.lexsort((ok.step, pair))
    pair, step = pair[order], ok.step[order]
    new_step = (
        np.concatenate([[True], (pair[1:] != pair[:-1]) | (step[1:] != step[:-1])]) if len(pair) else pair
    )
    distinct = pd.Series(new_step).groupby(pair).sum()
    repeated = distinct[distinct >= 2]
    first_row = pd.Series(np.arange(len(pair))).groupby(pair).first()[repeated.index]
    rows = order[first_row.to_numpy()]
    found = pd.DataFrame(
        {
            "rule": "same_approver_steps",
            "contract_id": contracts["contract_id"].to_numpy()[ok.contract[rows]],
            "employee_id": ok.approver[rows],
            "steps_signed": repeated.to_numpy(),
        }
    )
    return found.drop_duplicates("contract_id")


def _approval_limit(
    snapshot: GraphSnapshot, chains: _Chains, contracts: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, dict[str, Any]]:
    limits, source = approval_limits(snapshot.policy)
    max_amounts = np.array([limit.max_amount for limit in limits], dtype=float)
    roles = approval_roles(snapshot.policy) if params.use_role_levels else {}
    ok = chains.where(~chains.rejected)
    level = ok.step.copy()
    if roles and len(ok):
        positions = snapshot.employees.set_index("id")["position"].dropna().astype(str).str.strip()
        names = pd.Series(ok.approver).groupby(ok.approver_code).first()
        level_of_approver = np.full(int(ok.approver_code.max()) + 1, np.nan)
        level_of_approver[names.index.to_numpy()] = names.map(positions).map(roles).to_numpy(dtype=float)
        role_level = level_of_approver[ok.approver_code]
        level = np.where(np.isnan(role_level), level, role_level)
    level = np.nan_to_num(level, nan=0.0)
    # the approver who holds the highest level reached answers for the amount
    order = np.lexsort((np.nan_to_num(ok.step, nan=-1.0), level, ok.contract))
    by_contract = ok.contract[order]
    last = (
        np.flatnonzero(np.concatenate([by_contract[1:] != by_contract[:-1], [True]])) if len(order) else order
    )
    reached = np.zeros(len(contracts))
    top_approver = np.full(len(contracts), None, dtype=object)
    reached[by_contract[last]] = level[order][last]
    top_approver[by_contract[last]] = ok.approver[order][last]
    has_rows = np.zeros(len(contracts), dtype=bool)
    has_rows[chains.contract] = True
    amount = contracts["amount"].to_numpy(dtype=float)
    required = required_level(np.nan_to_num(amount, nan=0.0), max_amounts)
    # a contract whose every row is a rejection is left to signed_despite_rejection
    signed_by_nobody = has_rows & pd.isna(top_approver)
    breach = ~np.isnan(amount) & (reached < required) & ~signed_by_nobody
    rows = np.flatnonzero(breach)
    if len(rows) == 0 or (len(chains) == 0):
        return pd.DataFrame(), {"approval_limits": source}
    reached_level = reached[rows].astype(int)
    # the amount the highest level reached may sign off alone; nothing when nobody signed
    limit_of_level = np.concatenate([[0.0], max_amounts, [np.inf]])
    reached_limit = limit_of_level[reached_level.clip(max=len(max_amounts) + 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached_limit > 0, amount[rows] / reached_limit, np.nan)
    score = np.where(np.isnan(ratio), NO_APPROVAL_SCORE, 0.5 + 0.1 * np.log2(np.clip(ratio, 1.0, None)))
    hits = pd.DataFrame(
        {
            "rule": "approval_limit",
            "contract_id": contracts["contract_id"].to_numpy()[rows],
            "employee_id": top_approver[rows],
            "required_level": required[rows].astype(int),
            "reached_level": reached_level,
            "reached_limit": reached_limit,
            "score": np.clip(score, None, 0.85),
        }
    )
    thresholds = {
        "approval_limits": {str(limit.level): limit.max_amount for limit in limits},
        "approval_limits_source": source,
        "approval_levels_from": "approval_roles" if roles else "step",
    }
    return hits, thresholds


def _missing_step(chains: _Chains, contracts: pd.DataFrame) -> pd.DataFrame:
    stepped = chains.where(~np.isnan(chains.step))
    table = (
        pd.DataFrame({"contract": stepped.contract, "step": stepped.step})
        .drop_duplicates()
        .groupby("contract", sort=True)["step"]
        .agg(max_step="max", distinct="size", min_step="min")
    )
    hits = table[(table["max_step"] > table["distinct"]) | (table["min_step"] != 1)]
    return pd.DataFrame(
        {
            "rule": "missing_step",
            "contract_id": contracts["contract_id"].to_numpy()[hits.index.to_numpy()],
            "max_step": hits["max_step"].to_numpy(),
            "distinct": hits["distinct"].to_numpy(),
        }
    )


def _out_of_order(chains: _Chains, contracts: pd.DataFrame) -> pd.DataFrame:
    rows = chains.where(~np.isnan(chains.step) & ~np.isnat(chains.time))
    same = rows.contract[1:] == rows.contract[:-1]
    back = same & (rows.time[1:] < rows.time[:-1]) & (rows.step[1:] > rows.step[:-1])
    positions = np.flatnonzero(back) + 1
    first = positions[_first_per_contract(rows.contract[positions])] if len(positions) else positions
    return pd.DataFrame(
        {
            "rule": "out_of_order",
            "contract_id": contracts["contract_id"].to_numpy()[rows.contract[first]],
            "step": rows.step[first],
        }
    )


def _signed_before_approval(chains: _Chains, contracts: pd.DataFrame, params: Params) -> pd.DataFrame:
    ok = chains.where(~chains.rejected & ~np.isnat(chains.time))
    if len(ok) == 0:
        return pd.DataFrame()
    last = pd.Series(ok.time).groupby(ok.contract, sort=True).max().dt.normalize()
    signed = contracts["signed_date"].to_numpy()[last.index.to_numpy()]
    days_early = (last.to_numpy() - signed).astype("timedelta64[D]").astype("int64")
    hit = ~np.isnat(signed) & (days_early > params.tolerance_days)
    codes = last.index.to_numpy()[hit]
    days = days_early[hit]
    return pd.DataFrame(
        {
            "rule": "signed_before_approval",
            "contract_id": contracts["contract_id"].to_numpy()[codes],
            "last_approval": last.to_numpy()[hit],
            "days_early": days,
            "score": 0.5 + 0.3 * np.clip(days / 30, None, 1.0),
        }
    )


def _signed_despite_rejection(chains: _Chains, contracts: pd.DataFrame) -> pd.DataFrame:
    rows = chains.where(~np.isnan(chains.step))
    # the last decision of each (contract, step): the row before the key changes
    changes = (rows.contract[1:] != rows.contract[:-1]) | (rows.step[1:] != rows.step[:-1])
    last = np.flatnonzero(np.concatenate([changes, [True]])) if len(rows) else np.zeros(0, dtype=int)
    rejected = last[rows.rejected[last]]
    first = rejected[_first_per_contract(rows.contract[rejected])] if len(rejected) else rejected
    return pd.DataFrame(
        {
            "rule": "signed_despite_rejection",
            "contract_id": contracts["contract_id"].to_numpy()[rows.contract[first]],
            "employee_id": rows.approver[first],
            "step": rows.step[first],
        }
    )


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _contracts(snapshot)
    if contracts.empty:
        return []
    index = pd.Index(contracts["contract_id"])
    chains = _chains(snapshot, index)
    parts = [_staff_is_payee(snapshot, chains, contracts, index)]
    thresholds: dict[str, Any] = {}
    if len(chains):
        limit_hits, thresholds = _approval_limit(snapshot, chains, contracts, params)
        parts += [
            _self_approval(chains, contracts),
            _same_approver_steps(chains, contracts),
            limit_hits,
            _missing_step(chains, contracts),
            _out_of_order(chains, contracts),
            _signed_before_approval(chains, contracts, params),
            _signed_despite_rejection(chains, contracts),
        ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return []
    hits = pd.concat(parts, ignore_index=True)
    base = hits["rule"].map({rule: spec[2] for rule, spec in RULES.items()})
    hits["score"] = hits["score"].fillna(base) if "score" in hits.columns else base
    codes = index.get_indexer(hits["contract_id"])
    for col in ("signed_date", "supplier_id", "department_id", "requester_id", "category"):
        hits[col] = contracts[col].to_numpy()[codes]
    hits["contract_amount"] = contracts["amount"].to_numpy()[codes]
    steps_by_contract = _steps_of(chains, contracts, np.unique(codes), params.max_rows)
    limits_threshold = thresholds or {"approval_limits_source": approval_limits(snapshot.policy)[1]}
    findings = [
        _finding(snapshot, row, steps_by_contract.get(row["contract_id"], []), limits_threshold, params)
        for row in hits.sort_values(["rule", "contract_id"]).to_dict("records")
    ]
    findings.sort(key=lambda f: -f.score)
    return findings


def _steps_of(
    chains: _Chains, contracts: pd.DataFrame, codes: np.ndarray, limit: int
) -> dict[str, list[dict[str, Any]]]:
    """The approval rows of the flagged contracts, ready for the evidence."""
    rows = chains.where(np.isin(chains.contract, codes))
    ids = contracts["contract_id"].to_numpy()[rows.contract]
    out: dict[str, list[dict[str, Any]]] = {}
    for cid, step, approver, time, rejected in zip(
        ids, rows.step, rows.approver, rows.time, rows.rejected, strict=True
    ):
        listed = out.setdefault(cid, [])
        if len(listed) < limit:
            listed.append(
                {
                    "contract_id": cid,
                    "step": None if np.isnan(step) else int(step),
                    "approver_id": approver,
                    "approved_at": None if np.isnat(time) else str(np.datetime_as_string(time, unit="s")),
                    "decision": "reject" if rejected else "approve",
                }
            )
    return out


def _value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return value


def _finding(
    snapshot: GraphSnapshot,
    row: Mapping[str, Any],
    steps: list[dict[str, Any]],
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
        shared = bool(row.get("supplier_account"))
        shared_zh = "；该账户同时是供应商登记的收款账户" if shared else ""
        shared_en = "; the account is also the one the supplier registered" if shared else ""
        zh = (
            f"{head_zh}的付款{row['payments']}共{wan(paid)}汇入该合同{role_zh}{emp_zh}{holder_zh}的银行账户"
            f"{shared_zh}（规则：合同款不得支付给经办或审批人员及其亲属）。"
        )
        en = (
            f"{head_en} had payment(s) {row['payments']} of {yuan(paid)} paid into a bank account of its "
            f"{role_en} {emp_en}, held by {holder_en}{shared_en} (rule: no payment to staff who requested or "
            f"approved the contract, nor to their relatives)."
        )
        metrics.update(
            {
                "paid_amount": paid,
                "payments": row["payments"].split(","),
                "roles": row["roles"],
                "relative_id": relative,
                "supplier_account": shared,
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
    rows = list(steps)
    # the supplier is drawn but not flagged: a breach of the buyer's own controls is not the supplier's doing
    entities = [entity_key("Employee", employee)] if employee else []
    entities.append(entity_key("Contract", contract))
    if rule == "staff_is_payee":
        entities += [entity_key("Payment", p) for p in metrics["payments"]]
        if metrics["relative_id"]:
            entities.append(entity_key("Person", metrics["relative_id"]))
        if metrics["supplier_account"] and supplier:
            entities.append(entity_key("Supplier", supplier))
    # the department is where it happened, drawn but not named: its other staff did nothing
    # the requester answers for the paperwork when no single signer is at fault
    if requester and not employee:
        entities.append(entity_key("Employee", requester))
    subject = f"{rule}|{contract}"
    if rule == "staff_is_payee":
        subject += f"|{employee}" + (f"|{metrics['relative_id']}" if metrics["relative_id"] else "")
    drawn = [entity_key("Supplier", supplier)] if supplier else []
    if department:
        drawn.append(entity_key("Department", department))
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

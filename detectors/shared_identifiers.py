"""Shared identifiers between staff and suppliers: one ID number, account, phone, address or name.

Summary
-------
Flags an employee — or a declared relative of one — who shares a normalised identity
number, bank account, phone or address with a supplier or with a person who owns,
represents or directs it, or whose name is the supplier's 法定代表人; scores it higher
when that employee also approved or requested the supplier's contracts, and proposes
``SAME_AS`` links between records that are probably one person. Records are never merged.

Methodology
-----------
*Staff side*: every employee, and every party declared ``RELATIVE_OF`` or ``SPOUSE_OF``
an employee. *Supplier side*: every supplier (with the legal representative's name written
on it) and every party that ``OWNS``, is ``LEGAL_REP_OF`` or ``DIRECTOR_OF`` a supplier.
A staff-side party is compared with the supplier-side parties; each agreement is a signal
with a weight *w* in 0..1:

* **same pivot** — the loaders' normalised value, shared through a pivot node:
  identity number 0.98, bank account 0.9, phone 0.8, address 0.6. A pivot held by more
  than ``max_pivot_parties`` parties, or written for more than ``max_pivot_employees``
  employees, is a *hub* (a switchboard, a head-office address — a personal number is not
  written for a crowd of staff): it matches nothing and is reported instead (see Output);
* **similar address** — normalised addresses with the same numbers in the same order
  (house, building, unit, room: two flats of one building are not one address) and a
  rapidfuzz ``ratio`` ≥ ``address_min_similarity``: *w* = 0.5 × similarity; an address
  similar to more than ``max_pivot_parties`` parties is a hub;
* **name** — Chinese names by their characters and by their pypinyin reading without tones
  (a traditional form, a homophone or a romanisation reads the same), Latin names by their
  letters in either order: same characters similarity 1, same reading 0.55 (a homophone
  is more often another person than a variant form of the name);
  *w* = 0.5 × similarity × rarity, rarity = min(1, 2 / parties bearing the reading in the
  dataset). A reading borne by more than ``max_name_frequency`` parties is not compared; a
  match on the name alone is kept only when the employee dealt with the supplier, and a
  same reading alone (*w* ≤ 0.275) stays below the default ``min_probability``: it only
  corroborates other signals.

Pairs of parties already joined by a declared tie (the relative *is* the declared owner)
are left to the conflict-path detector. For each (employee, supplier), the probability of
a hidden tie is the noisy-OR of its distinct signals, *p* = 1 − Π(1 − *w*) (a pivot shared
by three parties counts once). *n* = the supplier's contracts the employee approved
(decision not ``reject``) or requested.
Score = *p* × (0.75 + 0.25 · min(1, *n* / ``full_engagement_contracts``)) when *n* ≥ 1,
else 0.6 × *p* (a supplier the employee never requests, approves or pays: a lead that
stays medium at most); a pair is reported when *p* ≥ ``min_probability``, and is a
hard flag (at least high) when *p* ≥ ``hard_probability`` and *n* ≥ 1.
Between two person records (employee or person on both sides) whose own *p* ≥
``same_as_min_probability``, a ``SAME_AS`` link is proposed (see Output).

Example
-------
Employee 张伟 (E1) and supplier 华信科技 (S1) share bank account 6222…1234 and phone
138…8000: *p* = 1 − 0.1 × 0.2 = 0.98; 张伟 approved 3 of its contracts → score 0.98, hard, high.
A group switchboard 010-8888 8888 written for 300 suppliers and 40 staff is a hub: no
match, one low informational finding naming it.

Why is this a red flag?
-----------------------
A supplier that gives an employee's phone, account or home address, or whose legal
representative is the employee or their relative, is very often a company the employee
controls or profits from — the "shell vendor" and undisclosed-interest schemes of the
ACFE; 20 % of occupational fraudsters had an unusually close association with a vendor.

Based on
--------
INDICATORS R01 (employee–supplier match, OCP R043; Follow the Money ``compare`` weights),
R06 (shared-identifier ring, the Neo4j fraud-detection example's shared identifiers),
cardinal R044 (shared contact details); INDICATORS 4.7 (match ≥ 0.9 is a hard flag).

Output
------
One finding per (employee, supplier): subject ``<employee id>|<supplier id>``; entities the
employee, the supplier, then the relatives and owners/representatives involved. Evidence:
``metrics`` (probability, contracts, value, engaged, hubs_skipped), ``matches`` (each signal:
staff party, supplier party, kind, weight, masked value, pivot key), ``same_as`` (proposed
links: ``src``, ``dst`` entity keys, ``probability``, ``method``; turn them into ``SAME_AS``
relationships with :func:`same_as_graphdata`), ``rows`` (the contracts), ``thresholds``,
``subgraph``. One informational finding per hub pivot that joins staff-side and
supplier-side parties: subject ``hub|<kind>|<digest>``, score 0.1 (low), evidence ``hub``
(kind, masked value, parties by label).

Configuration
-------------
See the parameter table: ``max_pivot_parties``, ``max_pivot_employees`` (count),
``address_min_similarity`` (ratio),
``max_name_frequency`` (count), ``min_probability``, ``hard_probability``,
``same_as_min_probability`` (probability), ``full_engagement_contracts`` (count),
``max_block_comparisons``, ``max_hub_entities``, ``max_rows`` (count).

Exclusions
----------
Hub pivots (reported, not matched); matches between two records of one party or between
parties already joined by a declared tie; staff–staff and supplier–supplier matches;
company names (a company is compared through its identifiers and its legal
representative's name); address blocks needing more than ``max_block_comparisons``
comparisons (counted in the metrics); rejected approvals.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.prepare import prepare
from detectors.prepare.parties import PIVOT_WEIGHTS, engaged_contracts, keys_of, party_phrase, pivot_phrase
from graph.dataset import GraphData
from graph.schema import PARTY_LABELS, entity_key, split_entity_key
from graph.snapshot import GraphSnapshot
from sunlight.masking import mask_node_id

__all__ = ["DETECTOR", "Params", "name_keys", "run", "same_as_graphdata"]

ROLE_WORDS: dict[str, tuple[str, str]] = {
    "OWNS": ("股东", "owner"),
    "LEGAL_REP_OF": ("法定代表人", "legal representative"),
    "DIRECTOR_OF": ("董事/高管", "director"),
    "SPOUSE_OF": ("配偶", "spouse"),
    "RELATIVE_OF": ("亲属", "relative"),
}
SIMILAR_ADDRESS_WEIGHT = 0.5
NAME_WEIGHT = 0.5
SAME_READING_SIMILARITY = 0.55
UNENGAGED_FACTOR = 0.6
HUB_SCORE = 0.1
_PERSON_TYPES = ("employee", "person")


@dataclass(frozen=True)
class Params:
    max_pivot_parties: int = param(
        20, "count", "an identifier held by more parties than this is a hub: skipped and reported"
    )
    max_pivot_employees: int = param(
        5, "count", "an identifier written for more employees than this is an office's, a hub"
    )
    address_min_similarity: float = param(
        0.9, "ratio", "rapidfuzz ratio of two normalised addresses counted as similar"
    )
    max_name_frequency: int = param(
        10, "count", "a name reading borne by more parties than this is too common to compare"
    )
    min_probability: float = param(0.3, "probability", "weakest match reported")
    hard_probability: float = param(0.9, "probability", "match from which the finding is a hard flag")
    same_as_min_probability: float = param(
        0.7, "probability", "match between two person records from which SAME_AS is proposed"
    )
    full_engagement_contracts: int = param(
        3, "count", "contracts approved or requested by the employee at which the engagement term is full"
    )
    max_block_comparisons: int = param(
        200_000, "count", "address comparisons allowed in one block; larger blocks are skipped"
    )
    max_hub_entities: int = param(50, "count", "parties named by a hub's informational finding")
    max_rows: int = param(50, "count", "contracts listed in the evidence")


# ---- names -------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_TOKEN = re.compile(r"[a-z]+")


@lru_cache(maxsize=65536)
def _reading(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0]


def name_keys(name: object) -> tuple[str, list[str]]:
    """A person's name as ``(characters, readings)``: what two names are compared on.

    Chinese names are read with pypinyin, one character at a time (so every record of
    a name reads the same way); Latin names are read by their letters, in both orders.

    >>> name_keys("张 伟")
    ('张伟', ['zhangwei'])
    >>> name_keys("張偉")
    ('張偉', ['zhangwei'])
    >>> name_keys("Wei ZHANG")
    ('wei zhang', ['weizhang', 'zhangwei'])
    """
    if not isinstance(name, str):
        return "", []
    text = re.sub(r"[\s·•.\-]+", "", name) if _CJK.search(name) else name.strip().lower()
    if not text:
        return "", []
    if _CJK.search(text):
        return text, ["".join(_reading(ch) for ch in text if _CJK.match(ch))]
    tokens = _LATIN_TOKEN.findall(text)
    if not tokens:
        return text, []
    readings = {"".join(tokens), "".join(reversed(tokens))}
    return " ".join(tokens), sorted(readings)


def _name_table(names: pd.DataFrame) -> pd.DataFrame:
    """``names`` (any columns plus ``name``) exploded to one row per reading: adds ``chars, reading``."""
    unique = pd.Series(names["name"].dropna().unique())
    keyed = {n: name_keys(n) for n in unique}
    out = names[names["name"].isin(keyed)].copy()
    out["chars"] = out["name"].map(lambda n: keyed[n][0])
    out["reading"] = out["name"].map(lambda n: keyed[n][1])
    out = out.explode("reading")
    return out[out["reading"].notna() & (out["reading"] != "")]


# ---- the detector ----------------------------------------------------------------------------

_SIGNAL_COLS = [
    "employee_id",
    "supplier_id",
    "staff_party",
    "via",
    "supplier_party",
    "role",
    "kind",
    "signal",
    "weight",
    "pivot",
    "detail_zh",
    "detail_en",
]


def _without_declared_ties(signals: pd.DataFrame, snapshot: GraphSnapshot) -> pd.DataFrame:
    """Drop signals between two parties joined by a declared tie, or whose staff party controls the supplier."""
    rel = snapshot.relations
    if rel.empty or signals.empty:
        return signals
    src = keys_of(rel["src_label"], rel["src_id"])
    dst = keys_of(rel["dst_label"], rel["dst_id"])
    declared = pd.DataFrame({"a": pd.concat([src, dst]), "b": pd.concat([dst, src])}).drop_duplicates()
    tied = np.zeros(len(signals), dtype=bool)
    supplier_keys = "supplier:" + signals["supplier_id"].astype(str)
    for other in (signals["supplier_party"], supplier_keys):
        probe = pd.DataFrame({"a": signals["staff_party"].to_numpy(), "b": other.to_numpy()})
        hit = probe.merge(declared.assign(tied=True), on=["a", "b"], how="left")["tied"]
        tied |= hit.fillna(False).to_numpy(dtype=bool)
    return signals[~tied]


def _pair_table(signals: pd.DataFrame) -> pd.DataFrame:
    """Per (employee, supplier): probability (noisy-OR of distinct signals) and whether only names agree."""
    distinct = signals.sort_values("weight", ascending=False, kind="stable").drop_duplicates(
        ["employee_id", "supplier_id", "signal"]
    )
    distinct = distinct.assign(
        log_rest=np.log1p(-distinct["weight"].astype(float).clip(upper=1 - 1e-12)),
        not_name=(distinct["kind"] != "Name").astype(int),
    )
    pairs = distinct.groupby(["employee_id", "supplier_id"]).agg(
        log_rest=("log_rest", "sum"), not_name=("not_name", "sum")
    )
    pairs["probability"] = 1.0 - np.exp(pairs["log_rest"])
    pairs["name_only"] = pairs["not_name"] == 0
    return pairs[["probability", "name_only"]].reset_index()


def _pivot_signals(staff: pd.DataFrame, supp: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    left = staff.rename(columns={"party": "staff_party"}).merge(
        links, left_on="staff_party", right_on="party"
    )
    right = supp.rename(columns={"party": "supplier_party"}).merge(
        links, left_on="supplier_party", right_on="party"
    )
    pairs = left.drop(columns="party").merge(
        right.drop(columns=["party", "kind", "value", "parties"]), on="pivot"
    )
    if pairs.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    pairs["weight"] = pairs["kind"].map(PIVOT_WEIGHTS)
    pairs["signal"] = pairs["pivot"]
    phrases = {p: pivot_phrase(p) for p in pairs["pivot"].unique()}
    pairs["detail_zh"] = pairs["pivot"].map(lambda p: "共用" + phrases[p][0])
    pairs["detail_en"] = pairs["pivot"].map(lambda p: "share " + phrases[p][1])
    return pairs[_SIGNAL_COLS]


def _block_of(address: str) -> str | None:
    """The block an address is compared in: all its numbers, in order.

    Two writings of one address differ in words (弄/号, a missing 室 or province), not
    in numbers; two flats of one building differ in a number and are not one address.

    >>> _block_of("上海市浦东新区张江路100弄5号302室")
    '100|5|302'
    >>> _block_of("北京市西城区金融大街") is None
    True
    """
    numbers = re.findall(r"\d+", address)
    return "|".join(numbers) if numbers else None


def _address_signals(
    staff: pd.DataFrame,
    supp: pd.DataFrame,
    snapshot: GraphSnapshot,
    hub_values: set[str],
    params: Params,
    counters: dict[str, int],
) -> pd.DataFrame:
    ident = snapshot.identifiers
    addresses = ident[(ident["kind"] == "Address") & ~ident["value"].isin(hub_values)]
    if addresses.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    addresses = pd.DataFrame(
        {"party": keys_of(addresses["label"], addresses["party_id"]), "value": addresses["value"].astype(str)}
    ).drop_duplicates()
    blocks = {v: _block_of(v) for v in addresses["value"].unique()}
    addresses["block"] = addresses["value"].map(blocks)
    addresses = addresses[addresses["block"].notna()]
    left = staff.rename(columns={"party": "staff_party"}).merge(
        addresses.rename(columns={"party": "staff_party", "value": "staff_value"}), on="staff_party"
    )
    right = supp.rename(columns={"party": "supplier_party"}).merge(
        addresses.rename(columns={"party": "supplier_party", "value": "supplier_value"}), on="supplier_party"
    )
    if left.empty or right.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    sizes = (
        left.groupby("block")
        .size()
        .to_frame("n_staff")
        .join(right.groupby("block").size().rename("n_supp"), how="inner")
    )
    too_big = sizes[sizes["n_staff"] * sizes["n_supp"] > params.max_block_comparisons].index
    counters["address_blocks_skipped"] = len(too_big)
    pairs = left[~left["block"].isin(too_big)].merge(right, on="block")
    pairs = pairs[pairs["staff_value"] != pairs["supplier_value"]]
    if pairs.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    unique = pairs[["staff_value", "supplier_value"]].drop_duplicates()
    scores = process.cpdist(
        unique["staff_value"].tolist(), unique["supplier_value"].tolist(), scorer=fuzz.ratio
    )
    unique = unique.assign(similarity=(np.asarray(scores, dtype=float) / 100.0).round(4))
    unique = unique[unique["similarity"] >= params.address_min_similarity]
    pairs = pairs.merge(unique, on=["staff_value", "supplier_value"])
    if pairs.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    # an address similar to many parties' is a building or a campus, not a home: a hub
    reach = pd.concat(
        [
            pairs.groupby("staff_value")["supplier_party"].nunique(),
            pairs.groupby("supplier_value")["staff_party"].nunique(),
        ]
    )
    crowded = set(reach[reach > params.max_pivot_parties].index)
    counters["similar_address_hubs"] = len(crowded)
    pairs = pairs[~pairs["staff_value"].isin(crowded) & ~pairs["supplier_value"].isin(crowded)].copy()
    pairs["kind"] = "AddressSimilar"
    pairs["weight"] = SIMILAR_ADDRESS_WEIGHT * pairs["similarity"]
    pairs["signal"] = "address~" + pairs["staff_value"] + "~" + pairs["supplier_value"]
    pairs["pivot"] = "address:" + pairs["staff_value"] + "|address:" + pairs["supplier_value"]
    masked = {
        v: mask_node_id("Address", v)
        for v in pd.concat([pairs["staff_value"], pairs["supplier_value"]]).unique()
    }
    pairs["detail_zh"] = [
        f"地址相似（{masked[a]}与{masked[b]}，相似度{s:.0%}）"
        for a, b, s in zip(pairs["staff_value"], pairs["supplier_value"], pairs["similarity"], strict=True)
    ]
    pairs["detail_en"] = [
        f"have similar addresses ({masked[a]} and {masked[b]}, similarity {s:.0%})"
        for a, b, s in zip(pairs["staff_value"], pairs["supplier_value"], pairs["similarity"], strict=True)
    ]
    return pairs[_SIGNAL_COLS]


def _name_signals(
    staff: pd.DataFrame, supp: pd.DataFrame, snapshot: GraphSnapshot, params: Params, counters: dict[str, int]
) -> pd.DataFrame:
    people = pd.concat(
        [
            pd.DataFrame(
                {
                    "party": "employee:" + snapshot.employees["id"].astype(str),
                    "name": snapshot.employees["name"],
                }
            ),
            pd.DataFrame(
                {"party": "person:" + snapshot.persons["id"].astype(str), "name": snapshot.persons["name"]}
            ),
        ],
        ignore_index=True,
    )
    # the 法定代表人 written on a supplier stands for a person, named by the supplier's key
    legal_reps = pd.DataFrame(
        {"party": "supplier:" + snapshot.suppliers["id"].astype(str), "name": snapshot.suppliers["legal_rep"]}
    ).dropna()
    people_read = _name_table(people)
    reps_read = _name_table(legal_reps)
    # a legal representative also recorded as a person counts once in the name's frequency
    declared_reps = supp[supp["role"] == "LEGAL_REP_OF"][["supplier_id", "party"]].merge(
        people_read[["party", "reading"]], on="party"
    )
    reps_read = reps_read.assign(supplier_id=reps_read["party"].str.slice(len("supplier:")))
    duplicate = reps_read.merge(
        declared_reps[["supplier_id", "reading"]].drop_duplicates(),
        on=["supplier_id", "reading"],
        how="left",
        indicator=True,
    )
    reps_read = reps_read[(duplicate["_merge"] == "left_only").to_numpy()].drop(columns="supplier_id")
    everyone = pd.concat([people_read, reps_read], ignore_index=True)
    if everyone.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    frequency = everyone.groupby("reading")["party"].nunique()
    common = frequency[frequency > params.max_name_frequency]
    counters["common_names_skipped"] = len(common)

    left = staff.rename(columns={"party": "staff_party"}).merge(
        people_read.rename(columns={"party": "staff_party"}), on="staff_party"
    )
    supplier_people = (
        supp[supp["role"] != "self"]
        .rename(columns={"party": "supplier_party"})
        .merge(people_read.rename(columns={"party": "supplier_party"}), on="supplier_party")
    )
    supplier_reps = (
        supp[supp["role"] == "self"]
        .rename(columns={"party": "supplier_party"})
        .merge(reps_read.rename(columns={"party": "supplier_party"}), on="supplier_party")
    )
    supplier_reps["role"] = "legal_rep_name"
    right = pd.concat([supplier_people, supplier_reps], ignore_index=True)
    left = left[~left["reading"].isin(common.index)]
    pairs = left.merge(right, on="reading", suffixes=("_staff", "_supplier"))
    if pairs.empty:
        return pd.DataFrame(columns=_SIGNAL_COLS)
    same_chars = pairs["chars_staff"] == pairs["chars_supplier"]
    similarity = np.where(same_chars, 1.0, SAME_READING_SIMILARITY)
    rarity = (2.0 / pairs["reading"].map(frequency)).clip(upper=1.0)
    pairs["kind"] = "Name"
    pairs["weight"] = NAME_WEIGHT * similarity * rarity
    pairs["signal"] = "name~" + pairs["staff_party"] + "~" + pairs["reading"]
    pairs["pivot"] = None
    pairs["detail_zh"] = [
        f"同名（{a}）" if same else f"姓名读音相同（{a} / {b}）"
        for a, b, same in zip(pairs["name_staff"], pairs["name_supplier"], same_chars, strict=True)
    ]
    pairs["detail_en"] = [
        f"have the same name ({a})" if same else f"have names read the same ({a} / {b})"
        for a, b, same in zip(pairs["name_staff"], pairs["name_supplier"], same_chars, strict=True)
    ]
    return pairs[_SIGNAL_COLS]


def _noisy_or(weights: Iterable[float]) -> float:
    """1 − Π(1 − w).

    >>> round(_noisy_or([0.9, 0.8]), 3)
    0.98
    """
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - float(w)
    return 1.0 - remaining


def _hub_findings(
    snapshot: GraphSnapshot,
    hubs: pd.DataFrame,
    staff: pd.DataFrame,
    supp: pd.DataFrame,
    params: Params,
) -> list[Finding]:
    if hubs.empty:
        return []
    staff_keys = set(staff["party"])
    supplier_keys = set(supp["party"])
    findings = []
    for pivot, group in hubs.groupby("pivot", sort=True):
        parties = sorted(set(group["party"]))
        on_staff = [p for p in parties if p in staff_keys]
        on_supplier = [p for p in parties if p in supplier_keys]
        if not on_staff or not on_supplier:
            continue
        kind = str(group["kind"].iloc[0])
        by_label = pd.Series([split_entity_key(p)[0] for p in parties]).value_counts().sort_index()
        counts = {str(k): int(v) for k, v in by_label.items()}
        employees = [p for p in parties if p.startswith("employee:")]
        suppliers = [p for p in parties if p.startswith("supplier:")]
        others = [p for p in parties if p not in set(employees) | set(suppliers)]
        named = (employees + suppliers + others)[: params.max_hub_entities]
        what_zh, what_en = pivot_phrase(str(pivot))
        zh = (
            f"{what_zh}被{len(parties)}个主体共用（员工{counts.get('Employee', 0)}名、供应商"
            f"{counts.get('Supplier', 0)}家、其他自然人{counts.get('Person', 0)}名），超过上限（"
            f"{params.max_pivot_parties}个主体或{params.max_pivot_employees}名员工），视为总机、集团地址等枢纽标识，"
            f"未用于员工与供应商的关联匹配，仅作提示。"
        )
        en = (
            f"The {what_en} is held by {len(parties)} parties ({counts.get('Employee', 0)} employees, "
            f"{counts.get('Supplier', 0)} suppliers, {counts.get('Person', 0)} other persons), more than the limit "
            f"({params.max_pivot_parties} parties or {params.max_pivot_employees} employees), so it is treated as "
            f"a hub (a switchboard or a group address) and not used to match staff with suppliers; listed for "
            f"information."
        )
        digest = hashlib.sha256(str(pivot).encode()).hexdigest()[:12]
        findings.append(
            Finding(
                detector=DETECTOR.id,
                subject=f"hub|{kind}|{digest}",
                score=HUB_SCORE,
                entities=tuple(named),
                explanation_zh=zh,
                explanation_en=en,
                evidence={
                    "hub": {
                        "kind": kind,
                        "value_masked": mask_node_id(kind, split_entity_key(str(pivot))[1]),
                        "pivot": str(pivot),
                        "parties": len(parties),
                        "by_label": counts,
                        "staff_side": len(on_staff),
                        "supplier_side": len(on_supplier),
                    },
                    "thresholds": {
                        "max_pivot_parties": params.max_pivot_parties,
                        "max_pivot_employees": params.max_pivot_employees,
                    },
                    "subgraph": [str(pivot), *named[:20]],
                },
            )
        )
    return findings


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    prepared = prepare(snapshot)
    staff = prepared.staff_parties
    supp = prepared.supplier_parties
    links, hubs = prepared.shared_pivots(params.max_pivot_parties, params.max_pivot_employees)
    counters: dict[str, int] = {"hubs_skipped": int(hubs["pivot"].nunique()) if not hubs.empty else 0}
    hub_values = set(hubs.loc[hubs["kind"] == "Address", "value"]) if not hubs.empty else set()
    signals = pd.concat(
        [
            frame
            for frame in (
                _pivot_signals(staff, supp, links),
                _address_signals(staff, supp, snapshot, hub_values, params, counters),
                _name_signals(staff, supp, snapshot, params, counters),
            )
            if not frame.empty
        ]
        or [pd.DataFrame(columns=_SIGNAL_COLS)],
        ignore_index=True,
    )
    findings = _hub_findings(snapshot, hubs, staff, supp, params)
    if signals.empty:
        return findings
    signals = signals[signals["staff_party"] != signals["supplier_party"]]
    signals = _without_declared_ties(signals, snapshot)
    pairs = _pair_table(signals)
    pairs = pairs[pairs["probability"] >= params.min_probability]
    if pairs.empty:
        return findings
    engaged = engaged_contracts(snapshot, pairs)
    dealings = engaged.groupby(["employee_id", "supplier_id"]).agg(
        n=("contract_id", "nunique"), value=("amount", "sum")
    )
    pairs = pairs.join(dealings, on=["employee_id", "supplier_id"])
    pairs["n"] = pairs["n"].fillna(0).astype(int)
    pairs["value"] = pairs["value"].fillna(0.0)
    # a name alone, with no dealings, is a namesake
    pairs = pairs[~(pairs["name_only"] & (pairs["n"] == 0))]
    signals = signals.merge(pairs[["employee_id", "supplier_id"]], on=["employee_id", "supplier_id"])
    engaged_by_pair = dict(tuple(engaged.groupby(["employee_id", "supplier_id"], sort=False)))
    no_contracts = engaged.iloc[0:0]
    thresholds = {
        "min_probability": params.min_probability,
        "hard_probability": params.hard_probability,
        "same_as_min_probability": params.same_as_min_probability,
        "max_pivot_parties": params.max_pivot_parties,
        "max_pivot_employees": params.max_pivot_employees,
        "address_min_similarity": params.address_min_similarity,
        "max_name_frequency": params.max_name_frequency,
    }
    measured = pairs.set_index(["employee_id", "supplier_id"])
    for (employee, supplier), group in signals.groupby(["employee_id", "supplier_id"], sort=True):
        pair = measured.loc[(employee, supplier)]
        n, value, probability = int(pair["n"]), float(pair["value"]), float(pair["probability"])
        distinct = group.sort_values("weight", ascending=False, kind="stable").drop_duplicates("signal")
        contracts = engaged_by_pair.get((employee, supplier), no_contracts)
        findings.append(
            _finding(
                snapshot,
                str(employee),
                str(supplier),
                distinct,
                group,
                probability,
                n,
                value,
                contracts,
                params,
                thresholds,
                counters,
            )
        )
    return findings


def _same_as(group: pd.DataFrame, params: Params) -> list[dict[str, Any]]:
    """Links between two person records of one (employee, supplier) finding, strongest first."""
    out = []
    people = group[
        group["staff_party"].str.split(":").str[0].isin(_PERSON_TYPES)
        & group["supplier_party"].str.split(":").str[0].isin(_PERSON_TYPES)
    ]
    for (a, b), pair in people.groupby(["staff_party", "supplier_party"], sort=True):
        distinct = pair.sort_values("weight", ascending=False).drop_duplicates("signal")
        probability = _noisy_or(distinct["weight"])
        if probability >= params.same_as_min_probability:
            src, dst = sorted((str(a), str(b)))
            method = "+".join(sorted({_METHODS[k] for k in distinct["kind"]}))
            out.append({"src": src, "dst": dst, "probability": round(probability, 4), "method": method})
    return sorted(out, key=lambda link: -float(link["probability"]))


_METHODS = {
    "IdNumber": "id_number",
    "BankAccount": "bank_account",
    "Phone": "phone",
    "Address": "address",
    "AddressSimilar": "address_similar",
    "Name": "name",
}


def _side_phrase(snapshot: GraphSnapshot, party: str, via: str) -> tuple[str, str]:
    if via == "self":
        return "本人", "the employee"
    word_zh, word_en = ROLE_WORDS[via]
    rel_zh, rel_en = party_phrase(snapshot, party)
    return f"其{word_zh}{rel_zh}", f"their {word_en} {rel_en}"


def _supplier_side_phrase(snapshot: GraphSnapshot, party: str, role: str) -> tuple[str, str]:
    if role == "self":
        return "该供应商", "the supplier"
    if role == "legal_rep_name":
        return "该供应商登记的法定代表人", "the supplier's registered legal representative"
    word_zh, word_en = ROLE_WORDS[role]
    p_zh, p_en = party_phrase(snapshot, party)
    return f"该供应商的{word_zh}{p_zh}", f"the supplier's {word_en} {p_en}"


def _match_phrases(snapshot: GraphSnapshot, distinct: pd.DataFrame, most: int = 3) -> tuple[str, str]:
    """The signals grouped by pair of parties, strongest pair first: what the sentence says was shared."""
    parts_zh, parts_en = [], []
    pairs = distinct.groupby(["staff_party", "via", "supplier_party", "role"], sort=False)
    for shown, ((staff_party, via, supplier_party, role), pair) in enumerate(pairs):
        if shown == most:
            parts_zh.append(f"等{pairs.ngroups}组")
            parts_en.append(f"and {pairs.ngroups - most} more pairs")
            break
        a_zh, a_en = _side_phrase(snapshot, str(staff_party), str(via))
        b_zh, b_en = _supplier_side_phrase(snapshot, str(supplier_party), str(role))
        parts_zh.append(f"{a_zh}与{b_zh}{'、'.join(pair['detail_zh'])}")
        parts_en.append(f"{a_en} and {b_en} {', '.join(pair['detail_en'])}")
    return "；".join(parts_zh), "; ".join(parts_en)


def _finding(
    snapshot: GraphSnapshot,
    employee: str,
    supplier: str,
    distinct: pd.DataFrame,
    group: pd.DataFrame,
    probability: float,
    n: int,
    value: float,
    contracts: pd.DataFrame,
    params: Params,
    thresholds: dict[str, float],
    counters: dict[str, int],
) -> Finding:
    if n > 0:
        score = probability * (0.75 + 0.25 * min(1.0, n / max(params.full_engagement_contracts, 1)))
    else:
        score = UNENGAGED_FACTOR * probability
    # a hidden tie to a supplier the employee never deals with is a lead, not hard evidence
    hard = n > 0 and probability >= params.hard_probability
    emp_zh, emp_en = party_phrase(snapshot, f"employee:{employee}")
    sup_zh, sup_en = party_phrase(snapshot, f"supplier:{supplier}")
    matches_zh, matches_en = _match_phrases(snapshot, distinct)
    if n > 0:
        deal_zh = f"本人审批或申请了该供应商{n}份合同，合计{wan(value)}"
        deal_en = f"the employee approved or requested {n} of its contracts worth {yuan(value)}"
    else:
        deal_zh = "本人未审批或申请该供应商的合同"
        deal_en = "the employee has not approved or requested any of its contracts"
    hard_zh = f"，达到硬性预警阈值{params.hard_probability:g}" if hard else ""
    hard_en = f", at or above the hard-flag threshold {params.hard_probability:g}" if hard else ""
    zh = (
        f"员工{emp_zh}与供应商{sup_zh}存在共用标识：{matches_zh}；关联概率{probability:.2f}"
        f"（报告阈值{params.min_probability:g}{hard_zh}；共用主体超过{params.max_pivot_parties}个或员工超过"
        f"{params.max_pivot_employees}名的标识视为枢纽不予匹配），"
        f"{deal_zh}。"
    )
    en = (
        f"Employee {emp_en} and supplier {sup_en} share identifiers: {matches_en}; "
        f"match probability {probability:.2f} (reported from {params.min_probability:g}{hard_en}; identifiers "
        f"held by more than {params.max_pivot_parties} parties or {params.max_pivot_employees} employees are hubs "
        f"and not matched), and {deal_en}."
    )
    listed = contracts.head(params.max_rows)
    staff_keys = [p for p in dict.fromkeys(group["staff_party"]) if p != f"employee:{employee}"]
    supplier_keys = [p for p in dict.fromkeys(group["supplier_party"]) if p != f"supplier:{supplier}"]
    pivots = [p for p in dict.fromkeys(distinct["pivot"].dropna()) if "|" not in p]
    entities = (
        entity_key("Employee", employee),
        entity_key("Supplier", supplier),
        *staff_keys,
        *supplier_keys,
    )
    evidence = {
        "metrics": {
            "probability": round(probability, 4),
            "signals": len(distinct),
            "contracts": n,
            "value": value,
            "engaged": n > 0,
            "hubs_skipped": counters.get("hubs_skipped", 0),
            "address_blocks_skipped": counters.get("address_blocks_skipped", 0),
            "common_names_skipped": counters.get("common_names_skipped", 0),
        },
        "matches": [
            {
                "staff_party": row.staff_party,
                "via": row.via,
                "supplier_party": row.supplier_party,
                "role": row.role,
                "kind": row.kind,
                "weight": round(float(row.weight), 4),
                "pivot": row.pivot if isinstance(row.pivot, str) and "|" not in row.pivot else None,
                "detail_zh": row.detail_zh,
                "detail_en": row.detail_en,
            }
            for row in distinct.itertuples(index=False)
        ],
        "same_as": _same_as(group, params),
        "thresholds": thresholds,
        "rows": [
            {
                "contract_id": r.contract_id,
                "signed_date": None if pd.isna(r.signed_date) else f"{r.signed_date:%Y-%m-%d}",
                "amount": float(r.amount),
                "role": r.role,
            }
            for r in listed.itertuples(index=False)
        ],
        "subgraph": list(
            dict.fromkeys(
                [*entities, *pivots, *(entity_key("Contract", c) for c in listed["contract_id"].head(20))]
            )
        ),
    }
    return Finding(
        detector=DETECTOR.id,
        subject=f"{employee}|{supplier}",
        score=float(min(1.0, max(0.0, score))),
        entities=tuple(dict.fromkeys(entities)),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
        hard=hard,
    )


def same_as_graphdata(findings: Sequence[Finding]) -> GraphData:
    """The ``SAME_AS`` links proposed by ``findings`` as relationships a store can write.

    Each (src, dst) pair appears once, with its highest probability; nothing is merged.
    Findings of other detectors, and findings without proposals, are ignored.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in findings:
        if finding.detector != DETECTOR.id:
            continue
        for link in finding.evidence.get("same_as", []) or []:
            pair = (str(link["src"]), str(link["dst"]))
            if pair not in rows or float(link["probability"]) > float(rows[pair]["probability"]):
                rows[pair] = dict(link)
    data = GraphData()
    by_labels: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (src, dst), link in sorted(rows.items()):
        src_label, src_id = split_entity_key(src)
        dst_label, dst_id = split_entity_key(dst)
        if src_label not in PARTY_LABELS or dst_label not in PARTY_LABELS:
            continue
        by_labels.setdefault((src_label, dst_label), []).append(
            {
                "src": src_id,
                "dst": dst_id,
                "probability": float(link["probability"]),
                "method": str(link["method"]),
            }
        )
    for (src_label, dst_label), links in by_labels.items():
        data.add_rels("SAME_AS", src_label, dst_label, pd.DataFrame(links))
    return data


DETECTOR = Detector(
    id="shared_identifiers",
    title_zh="员工与供应商共用标识",
    title_en="Shared identifiers between staff and suppliers",
    family="relationship",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

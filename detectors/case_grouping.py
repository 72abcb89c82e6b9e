"""Cases (线索): alerts that share entities merged into one case, scored by corroboration.

An investigator works a case, not an alert: the approver who always picks one supplier,
the relative behind that supplier and the prices it charges are one story, told by
three detectors. This module decides which alerts belong together, what the case
scores, and which id each case keeps from one run to the next. It is pure: it reads
alert rows (``Store.alerts()``) and the cases of the previous run, and returns a plan
that :mod:`graph.cases` writes.

Which alerts merge
------------------
Two alerts are in one case when they name a common *linking* entity: an employee, a
supplier, a person, a tender, a contract or a payment. Departments do not link (every
alert of a department would become one case), nor do pivots (phones, addresses), which
are not flagged entities. Two caps keep hubs from gluing unrelated alerts together:

* an entity named in more than ``max_findings_per_entity`` findings (a department head who
  signs everything, a utility every department buys from) links nothing; alerts of one
  detector about the same parties are one finding (ten payments of one supplier into one
  approver's account are one story, not a hub);
* a merge that would make a case larger than ``max_case_alerts`` alerts is not made.

Entities are taken in order of how few alerts name them (the most specific tie first),
so the caps cut the loosest ties and the result does not depend on the input order.

A *broad* alert — one naming more than ``max_bridge_parties`` parties (an approval
community of ten approvers and suppliers, a ring of nine bidders, a department's direct
awards to thirty firms) — says something about each of them but is not one story about
all of them. It joins the one case whose own alerts share most of its entities (at least
``broad_min_shared``, 2) and never joins two cases together: otherwise a community holding one approver who approved her own
request and another supplier in a bid ring makes the self-approval and the ring one case,
and the investigator opens a case of unrelated stories. A broad alert that shares nothing
with a narrow case joins an earlier broad one naming mostly the same parties (the same
ring seen by two screens), or stands alone.

A *low* alert (scored below ``min_bridge_score``, the medium cut-off) joins cases the same
way: a department's note gathering its small split episodes, or two firms' weak price
screen, is a lead about each party it names, not a tie strong enough to make the stories of
two requesters one case. One shared entity is enough for a low note naming at most
``max_bridge_parties`` parties; low notes about one tender or contract alone are one case.

The case score
--------------
Per detector family the case takes its *best* alert score (a hard flag counts at least
at the high cut-off); families combine as a noisy-OR,

    score = 1 − Π_f (1 − best_f),

so three screens of one family do not add up (they see the same thing), while
independent families corroborate each other: a supplier flagged by repeated pairs
(0.6), a relationship path (0.6) and prices (0.6) scores 0.94, one flagged three times
by one price screen at 0.6 scores 0.6. With calibrated alert scores (an estimate of how
often an investigator confirms such a finding) the case score estimates how often at
least one of its independent findings is confirmed. Level and grade use the alerts'
cut-offs; a case holding a hard flag is at least high. The queue ranks by score as shown (two
decimals) and, at the same shown score, puts the case more families corroborate first.

Stable ids
----------
* A case keeps its id when alerts join it or leave it.
* When two or more cases of the previous run are now one, the one with the most
  advanced status keeps its id (then: the longer trail, an assignee, the earlier first
  sighting, the smaller id); the others are *merged into* it, which the trail records.
* When a case of the previous run falls apart, the part holding most of its alerts keeps
  the id; each other part becomes a new case that inherits its status and assignee, and
  the trail records the split.
* A new case's id derives from its smallest alert id (``CS-`` and 12 hex digits), so a
  fresh store given the same alerts names its cases alike.
* A dismissed or remediated case into which a new alert comes (or one of whose alerts
  shows new evidence) is re-opened, as a dismissed alert is (:mod:`sunlight.realert`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from detectors.base import FAMILIES, HIGH, MEDIUM, grade_of, level_of, param

__all__ = [
    "LINKING_ENTITY_TYPES",
    "RANK_DECIMALS",
    "STATUS_RANK",
    "Case",
    "CaseEvent",
    "CasePlan",
    "GroupingParams",
    "PriorCase",
    "case_score",
    "derived_case_id",
    "group_alerts",
    "rank_key",
]

#: Entity types that tie alerts into one case (departments and pivots do not).
LINKING_ENTITY_TYPES: tuple[str, ...] = ("employee", "supplier", "person", "tender", "contract", "payment")

#: How far along the workflow a status is: the most advanced case keeps its id in a merge.
STATUS_RANK: dict[str, int] = {"open": 0, "dismissed": 1, "reviewing": 2, "confirmed": 3, "remediated": 4}

_PARTIES = ("employee", "supplier", "person")
#: Statuses that a new alert or new evidence re-opens.
_REOPENED_BY_NEW_EVIDENCE = ("dismissed", "remediated")


@dataclass(frozen=True)
class GroupingParams:
    """How alerts merge into cases."""

    max_findings_per_entity: int = param(
        12,
        "count",
        "an entity named in more findings than this (alerts of one detector about the same parties count once) "
        "is a hub and links none of them",
    )
    max_case_alerts: int = param(40, "count", "a merge that would make a case larger than this is not made")
    max_bridge_parties: int = param(
        6, "count", "an alert naming more parties than this joins one case and never links two"
    )
    min_bridge_score: float = param(
        MEDIUM, "score", "an alert scored below this (a low note) joins one case and never links two"
    )
    broad_min_shared: int = param(
        2,
        "count",
        "a broad alert joins a case only when that case's alerts name at least this many of its entities",
    )
    broad_overlap: float = param(
        0.5, "share", "two broad alerts sharing at least this share of their parties (Jaccard) are one case"
    )


@dataclass(frozen=True)
class PriorCase:
    """A case as the previous run left it."""

    id: str
    status: str = "open"
    assignee: str | None = None
    first_seen: Any = None
    history: int = 0  # entries about it in the trail


@dataclass(frozen=True)
class Case:
    """One case of this run: its alerts riskiest first, the best score per family, the combined score."""

    id: str
    alert_ids: tuple[str, ...]
    families: Mapping[str, float]
    score: float
    level: str
    grade: str
    status: str
    assignee: str | None
    entities: tuple[str, ...]  # the linking entities its alerts name, most named first
    first_seen: Any = None
    last_seen: Any = None

    @property
    def corroboration(self) -> int:
        """How many detector families found something here."""
        return len(self.families)


@dataclass(frozen=True)
class CaseEvent:
    """Something the trail should record about a case: ``new``, ``merge``, ``split`` or ``reopen``."""

    kind: str
    case_id: str
    details: Mapping[str, Any]


@dataclass
class CasePlan:
    """This run's cases (riskiest first), the cases merged away (no alerts now; ``merged_into``
    says where each one's work went: old id -> new id) and what to record in the trail."""

    cases: list[Case]
    merged: list[Case] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)
    events: list[CaseEvent] = field(default_factory=list)

    def case_of(self) -> dict[str, str]:
        """Alert id -> case id."""
        return {a: c.id for c in self.cases for a in c.alert_ids}


def case_score(best_per_family: Iterable[float]) -> float:
    """Noisy-OR of the best score of each family.

    >>> case_score([0.6, 0.6, 0.6]), case_score([0.6]), case_score([])
    (0.936, 0.6, 0.0)
    """
    survival = 1.0
    for score in best_per_family:
        survival *= 1.0 - min(max(float(score), 0.0), 1.0)
    return round(1.0 - survival, 4)


def derived_case_id(alert_ids: Iterable[str], taken: Iterable[str] = ()) -> str:
    """The id of a new case: from its smallest alert id, salted until it is not ``taken``.

    >>> derived_case_id(["AL-2", "AL-1"]) == derived_case_id(["AL-1"])
    True
    >>> derived_case_id(["AL-1"]).startswith("CS-"), len(derived_case_id(["AL-1"]))
    (True, 15)
    """
    seed = min(alert_ids)
    used = set(taken)
    salt = 0
    while True:
        text = f"case\x1f{seed}" + (f"\x1f{salt}" if salt else "")
        candidate = "CS-" + hashlib.sha256(text.encode()).hexdigest()[:12]
        if candidate not in used:
            return candidate
        salt += 1


@dataclass(frozen=True)
class _Alert:
    id: str
    detector: str
    family: str
    score: float  # effective: a hard flag counts at least at the high cut-off
    hard: bool
    entities: tuple[str, ...]
    first_seen: Any
    last_seen: Any
    previous_case: str | None
    status: str
    assignee: str | None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _alerts(rows: pd.DataFrame, family_of: Mapping[str, str]) -> list[_Alert]:
    """One record per alert, in alert id order (one pass over the rows: a run has thousands)."""
    if rows.empty:
        return []
    keys: dict[str, dict[str, None]] = {}
    for alert_id, entity_type, entity_id in zip(
        rows["alert_id"], rows["entity_type"], rows["entity_id"], strict=True
    ):
        named = keys.setdefault(str(alert_id), {})
        if isinstance(entity_type, str) and isinstance(entity_id, str):
            named[f"{entity_type}:{entity_id}"] = None
    columns = ["alert_id", "detector", "level", "score"]
    optional = [c for c in ("case_id", "status", "assignee", "first_seen", "last_seen") if c in rows.columns]
    firsts = rows.drop_duplicates("alert_id")[columns + optional].sort_values("alert_id")
    out = []
    for record in firsts.to_dict("records"):
        level, score = str(record["level"]), float(record["score"])
        out.append(
            _Alert(
                id=str(record["alert_id"]),
                detector=str(record["detector"]),
                family=family_of.get(str(record["detector"]), "other"),
                # a hard flag is stored at level high whatever its score
                score=max(score, HIGH + 1e-6) if level == "high" else score,
                hard=level == "high" and score <= HIGH,
                entities=tuple(keys[str(record["alert_id"])]),
                first_seen=record.get("first_seen"),
                last_seen=record.get("last_seen"),
                previous_case=_text(record.get("case_id")),
                status=str(record.get("status") or "open"),
                assignee=_text(record.get("assignee")),
            )
        )
    return out


def _parties(alert: _Alert) -> set[str]:
    return {k for k in alert.entities if k.partition(":")[0] in _PARTIES}


def _components(alerts: Sequence[_Alert], params: GroupingParams) -> list[list[int]]:
    """Indices of alerts, one list per case: narrow alerts by shared linking entities under the
    two caps, then each broad alert into the one case it shares most with (module docstring)."""
    parent = list(range(len(alerts)))
    size = [1] * len(alerts)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        a, b = root(a), root(b)
        if a > b:
            a, b = b, a
        parent[b] = a
        size[a] += size[b]

    broad = {
        i
        for i, alert in enumerate(alerts)
        if len(_parties(alert)) > params.max_bridge_parties or alert.score < params.min_bridge_score
    }
    named_by: dict[str, list[int]] = {}
    for index, alert in enumerate(alerts):
        for key in alert.entities:
            if key.partition(":")[0] in LINKING_ENTITY_TYPES:
                named_by.setdefault(key, []).append(index)
    findings = [(alerts[i].detector, frozenset(_parties(alerts[i]))) for i in range(len(alerts))]
    hubs = {
        key
        for key, members in named_by.items()
        if len({findings[i] for i in members}) > params.max_findings_per_entity
    }
    ties = sorted(
        (
            (key, [i for i in members if i not in broad])
            for key, members in named_by.items()
            if key not in hubs
        ),
        key=lambda item: (len(item[1]), item[0]),
    )
    for _key, members in ties:
        for other in members[1:]:
            a, b = root(members[0]), root(other)
            if a != b and size[a] + size[b] <= params.max_case_alerts:
                join(a, b)

    # the entities each narrow case names, for the broad alerts to find their case
    narrow_of: dict[str, set[int]] = {}
    for index, alert in enumerate(alerts):
        if index in broad:
            continue
        for key in alert.entities:
            if key.partition(":")[0] in LINKING_ENTITY_TYPES and key not in hubs:
                narrow_of.setdefault(key, set()).add(index)
    broad_cases: list[tuple[int, set[str]]] = []  # (a member, the parties of its first broad alert)
    for index in sorted(broad, key=lambda i: alerts[i].id):
        alert = alerts[index]
        shared: dict[int, int] = {}
        for key in alert.entities:
            for member in {root(m) for m in narrow_of.get(key, ())}:
                shared[member] = shared.get(member, 0) + 1
        parties = _parties(alert)
        # many parties need two in common with a case; a low note about a pair needs one
        min_shared = params.broad_min_shared if len(parties) > params.max_bridge_parties else 1
        fitting = [
            r
            for r in shared
            if shared[r] >= min_shared and size[r] + size[root(index)] <= params.max_case_alerts
        ]
        if fitting:
            best = min(fitting, key=lambda r: (-shared[r], alerts[r].id))
            join(best, index)
            continue
        if not parties:  # a note about a tender or contract alone: the same one is the same case
            parties = {k for k in alert.entities if k.partition(":")[0] in LINKING_ENTITY_TYPES}
            if not parties:
                continue
        for member, first_parties in broad_cases:
            overlap = len(parties & first_parties) / len(parties | first_parties)
            if overlap >= params.broad_overlap and size[root(member)] < params.max_case_alerts:
                join(member, index)
                break
        else:
            broad_cases.append((index, parties))

    groups: dict[int, list[int]] = {}
    for index in range(len(alerts)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _merge_rank(prior: PriorCase) -> tuple[Any, ...]:
    """Sort key: the first keeps its id in a merge."""
    first = pd.Timestamp(prior.first_seen) if prior.first_seen is not None else pd.Timestamp.max
    if pd.isna(first):
        first = pd.Timestamp.max
    return (-STATUS_RANK.get(prior.status, 0), -prior.history, prior.assignee is None, first, prior.id)


def group_alerts(
    rows: pd.DataFrame,
    family_of: Mapping[str, str],
    prior: Mapping[str, PriorCase] | None = None,
    params: GroupingParams | None = None,
    renewed: Iterable[str] = (),
) -> CasePlan:
    """Merge the alerts in ``rows`` (``Store.alerts()``, with the ``case_id`` the previous run gave
    each) into cases, keeping the ids of ``prior`` cases as the module docstring says.

    ``renewed`` are alert ids whose evidence is new this run (:func:`sunlight.realert.plan_changes`).
    """
    params = params or GroupingParams()
    prior = dict(prior or {})
    alerts = _alerts(rows, family_of)
    renewed_ids = set(renewed)
    components = [sorted(c, key=lambda i: alerts[i].id) for c in _components(alerts, params)]
    components.sort(key=lambda c: alerts[c[0]].id)

    # Each previous case goes to the component holding most of its alerts (ties: the smaller alert id).
    overlap: dict[str, dict[int, int]] = {}
    for number, members in enumerate(components):
        for i in members:
            previous = alerts[i].previous_case
            if previous is not None:
                overlap.setdefault(previous, {}).setdefault(number, 0)
                overlap[previous][number] += 1
    home = {
        case_id: min(counts, key=lambda n: (-counts[n], alerts[components[n][0]].id))
        for case_id, counts in overlap.items()
    }
    homed: dict[int, list[str]] = {}
    for case_id, number in sorted(home.items()):
        homed.setdefault(number, []).append(case_id)

    taken = set(prior) | set(overlap)
    plan = CasePlan(cases=[])
    for number, members in enumerate(components):
        member_alerts = [alerts[i] for i in members]
        ids = [a.id for a in member_alerts]
        claimants = [prior.get(c, PriorCase(c)) for c in homed.get(number, [])]
        inherited: PriorCase | None = None
        if claimants:
            claimants.sort(key=_merge_rank)
            keeper = claimants[0]
            case_id = keeper.id
            for loser in claimants[1:]:
                plan.merged_into[loser.id] = case_id
                plan.merged.append(
                    Case(
                        id=loser.id,
                        alert_ids=(),
                        families={},
                        score=0.0,
                        level="low",
                        grade=grade_of("low"),
                        status=loser.status,
                        assignee=loser.assignee,
                        entities=(),
                        first_seen=loser.first_seen,
                    )
                )
                plan.events.append(
                    CaseEvent(
                        "merge",
                        case_id,
                        {
                            "case_id": case_id,
                            "merged": loser.id,
                            "merged_status": loser.status,
                            "merged_assignee": loser.assignee,
                            "alerts": sorted(a.id for a in member_alerts if a.previous_case == loser.id),
                        },
                    )
                )
            status, assignee, first_seen = keeper.status, keeper.assignee, keeper.first_seen
        else:
            case_id = derived_case_id(ids, taken)
            taken.add(case_id)
            parents = sorted({a.previous_case for a in member_alerts if a.previous_case})
            if parents:
                # a part split off a case it was in: it carries on that case's work
                inherited = min((prior.get(p, PriorCase(p)) for p in parents), key=_merge_rank)
                status, assignee = inherited.status, inherited.assignee
                plan.events.append(
                    CaseEvent(
                        "split",
                        case_id,
                        {"case_id": case_id, "split_from": inherited.id, "status": status, "alerts": ids},
                    )
                )
            else:
                # alerts worked one by one before they had a case: the case carries on the furthest one
                furthest = min(
                    member_alerts, key=lambda a: (-STATUS_RANK.get(a.status, 0), a.assignee is None, a.id)
                )
                status, assignee = furthest.status, furthest.assignee
                plan.events.append(CaseEvent("new", case_id, {"case_id": case_id, "alerts": ids}))
            first_seen = None
        # alerts that bring something new: never seen before, or from a case still being worked
        joined = [
            a.id
            for a in member_alerts
            if a.previous_case != case_id
            and (
                a.previous_case is None
                or prior.get(a.previous_case, PriorCase(a.previous_case)).status
                not in _REOPENED_BY_NEW_EVIDENCE
            )
        ]
        renewed_here = sorted(a.id for a in member_alerts if a.id in renewed_ids)
        if status in _REOPENED_BY_NEW_EVIDENCE and (renewed_here or (claimants and joined)):
            plan.events.append(
                CaseEvent(
                    "reopen",
                    case_id,
                    {
                        "case_id": case_id,
                        "from": status,
                        "to": "open",
                        "alerts": sorted(joined) or renewed_here,
                    },
                )
            )
            status = "open"
        plan.cases.append(_case(case_id, member_alerts, status, assignee, first_seen))
    plan.cases.sort(key=lambda c: rank_key(c.score, c.corroboration, c.id))
    return plan


#: Case scores that agree to this many decimals (as the queue shows them) rank as equal, and
#: then the case more detector families corroborate comes first.
RANK_DECIMALS = 2


def rank_key(score: float, corroboration: int, case_id: str) -> tuple[float, int, float, str]:
    """Sort key of the queue: riskiest first; at the same shown score, more families first.

    >>> sorted([("one screen", 1.0, 1), ("three families", 0.9995, 3)], key=lambda c: rank_key(c[1], c[2], c[0]))[0][0]
    'three families'
    """
    return (-round(score, RANK_DECIMALS), -corroboration, -score, case_id)


def _case(
    case_id: str, members: Sequence[_Alert], status: str, assignee: str | None, first_seen: Any
) -> Case:
    best: dict[str, float] = {}
    for alert in members:
        best[alert.family] = max(best.get(alert.family, 0.0), min(alert.score, 1.0))
    score = case_score(best.values())
    level = level_of(score, hard=any(a.hard for a in members))
    counts: dict[str, int] = {}
    for alert in members:
        for key in alert.entities:
            if key.partition(":")[0] in LINKING_ENTITY_TYPES:
                counts[key] = counts.get(key, 0) + 1
    # the parties first (who the case is about), then the records, most named first
    entities = tuple(sorted(counts, key=lambda k: (k.partition(":")[0] not in _PARTIES, -counts[k], k)))
    ordered = sorted(members, key=lambda a: (-a.score, a.id))
    seen_first = [a.first_seen for a in members if a.first_seen is not None and not pd.isna(a.first_seen)]
    seen_last = [a.last_seen for a in members if a.last_seen is not None and not pd.isna(a.last_seen)]
    if first_seen is None or pd.isna(first_seen):
        first_seen = min(seen_first) if seen_first else None
    family_order = list(FAMILIES)
    return Case(
        id=case_id,
        alert_ids=tuple(a.id for a in ordered),
        families=dict(
            sorted(
                ((f, round(s, 4)) for f, s in best.items()),
                key=lambda fs: family_order.index(fs[0]) if fs[0] in family_order else len(family_order),
            )
        ),
        score=score,
        level=level,
        grade=grade_of(level),
        status=status,
        assignee=assignee,
        entities=entities,
        first_seen=first_seen,
        last_seen=max(seen_last) if seen_last else None,
    )

"""The organisation's rules from ``policy.yaml`` as the detectors use them.

``policy.yaml`` (see the data contract) names the approval limits of each level
and the working hours; it may also name the amount from which an open procedure
is required. Each reader here returns plain numbers and says where they came
from, so that a finding can print the rule it applied. A value set in the
detector settings wins over the policy; the policy wins over a built-in default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors.china_calendar import makeup_workdays, statutory_holidays

__all__ = [
    "DEFAULT_APPROVAL_LIMITS",
    "DEFAULT_WORKING_HOURS",
    "ApprovalLimit",
    "PolicyError",
    "approval_limits",
    "approval_roles",
    "built_in_holidays",
    "exempt_categories",
    "exempt_contracts",
    "holidays",
    "open_procedure_threshold",
    "require_names",
    "required_level",
    "workdays",
    "working_hours",
]


class PolicyError(ValueError):
    """``policy.yaml`` holds a value the detectors cannot use."""


@dataclass(frozen=True)
class ApprovalLimit:
    """The largest amount (CNY) that approval level ``level`` may sign off alone."""

    level: int
    max_amount: float


#: Used when the dataset has no policy: the example of the data contract.
DEFAULT_APPROVAL_LIMITS: tuple[ApprovalLimit, ...] = (
    ApprovalLimit(1, 50_000.0),
    ApprovalLimit(2, 200_000.0),
    ApprovalLimit(3, 1_000_000.0),
)
DEFAULT_WORKING_HOURS: tuple[str, str] = ("08:00", "19:00")

#: Keys under which a policy may name the open-procedure threshold, most specific first.
_OPEN_THRESHOLD_KEYS = ("open_procedure_threshold", "open_tender_threshold", "tender_threshold")


def approval_limits(policy: Mapping[str, Any]) -> tuple[tuple[ApprovalLimit, ...], str]:
    """The approval limits, sorted by level, and their source (``policy`` or ``default``).

    >>> approval_limits({"approval_limits": [{"level": 2, "max_amount": 200000},
    ...                                      {"level": 1, "max_amount": 50000}]})[0]
    (ApprovalLimit(level=1, max_amount=50000.0), ApprovalLimit(level=2, max_amount=200000.0))
    >>> approval_limits({})[1]
    'default'
    """
    raw = policy.get("approval_limits")
    if not raw:
        return DEFAULT_APPROVAL_LIMITS, "default"
    limits = []
    for entry in raw:
        try:
            limits.append(ApprovalLimit(int(entry["level"]), float(entry["max_amount"])))
        except (KeyError, TypeError, ValueError):
            raise PolicyError(
                f"policy.yaml approval_limits: each entry needs a level and a max_amount, got {entry!r}"
            ) from None
    limits.sort(key=lambda limit: limit.level)
    amounts = [limit.max_amount for limit in limits]
    if amounts != sorted(amounts):
        raise PolicyError(
            f"policy.yaml approval_limits: a higher level must have a higher max_amount: {raw!r}"
        )
    return tuple(limits), "policy"


def _minutes(text: str, where: str) -> int:
    try:
        hours, minutes = str(text).strip().split(":")[:2]
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise PolicyError(f"policy.yaml {where}: expected HH:MM, got {text!r}") from None
    if not 0 <= value <= 24 * 60:
        raise PolicyError(f"policy.yaml {where}: {text!r} is not a time of day")
    return value


def working_hours(policy: Mapping[str, Any]) -> tuple[int, int, str]:
    """Start and end of the working day in minutes after midnight, and their source.

    >>> working_hours({"working_hours": {"start": "08:30", "end": "18:00"}})
    (510, 1080, 'policy')
    >>> working_hours({})
    (480, 1140, 'default')
    """
    raw = policy.get("working_hours")
    source = "policy"
    if not raw:
        raw, source = {"start": DEFAULT_WORKING_HOURS[0], "end": DEFAULT_WORKING_HOURS[1]}, "default"
    if not isinstance(raw, Mapping) or "start" not in raw or "end" not in raw:
        raise PolicyError(f"policy.yaml working_hours: expected {{start: HH:MM, end: HH:MM}}, got {raw!r}")
    start = _minutes(raw["start"], "working_hours.start")
    end = _minutes(raw["end"], "working_hours.end")
    if end <= start:
        raise PolicyError(f"policy.yaml working_hours: end {raw['end']} is not after start {raw['start']}")
    return start, end, source


def open_procedure_threshold(policy: Mapping[str, Any], setting: float, fallback: float) -> tuple[float, str]:
    """The amount (CNY) from which an open procedure is required, and where it came from.

    ``setting`` (the detector's parameter) wins when it is positive; then the
    policy; then ``fallback``. A policy may give one number or one per category
    or method (a mapping); with several the lowest applies, as agreed for OCP R055.

    >>> open_procedure_threshold({"open_procedure_threshold": 2000000}, 0, 1000000)
    (2000000.0, 'policy')
    >>> open_procedure_threshold({"open_procedure_threshold": {"goods": 2e6, "services": 1e6}}, 0, 5e5)
    (1000000.0, 'policy')
    >>> open_procedure_threshold({}, 300000, 1000000)
    (300000.0, 'settings')
    """
    if setting > 0:
        return float(setting), "settings"
    for key in _OPEN_THRESHOLD_KEYS:
        raw = policy.get(key)
        if raw is None:
            continue
        values = list(raw.values()) if isinstance(raw, Mapping) else [raw]
        try:
            amounts = [float(v) for v in values]
        except (TypeError, ValueError):
            raise PolicyError(
                f"policy.yaml {key}: expected an amount or a mapping of amounts, got {raw!r}"
            ) from None
        if amounts:
            return min(amounts), "policy"
    return float(fallback), "default"


def approval_roles(policy: Mapping[str, Any]) -> dict[str, int]:
    """Job title -> approval level, from the policy's ``approval_roles`` (empty when absent).

    >>> approval_roles({"approval_roles": [{"level": 1, "role": "部门经理"}, {"level": 2, "role": "分管副总"}]})
    {'部门经理': 1, '分管副总': 2}
    """
    roles: dict[str, int] = {}
    for entry in policy.get("approval_roles") or ():
        try:
            roles[str(entry["role"]).strip()] = int(entry["level"])
        except (KeyError, TypeError, ValueError):
            raise PolicyError(
                f"policy.yaml approval_roles: each entry needs a level and a role, got {entry!r}"
            ) from None
    return roles


def holidays(policy: Mapping[str, Any]) -> frozenset[str]:
    """Non-working days besides weekends (ISO dates): the built-in calendar's and the policy's.

    ``holiday_calendar`` (default ``mainland_china``: the State Council's statutory
    holidays, :mod:`detectors.china_calendar`; ``none``: no built-in calendar) gives the
    public holidays; ``holidays`` adds the organisation's own. A day listed under
    ``workdays`` is never a holiday.

    >>> sorted(holidays({"holiday_calendar": "none", "holidays": ["2024-10-01", "2024-10-02"]}))
    ['2024-10-01', '2024-10-02']
    >>> "2024-10-03" in holidays({}), "2024-10-03" in holidays({"workdays": ["2024-10-03"]})
    (True, False)
    """
    own = frozenset(str(day)[:10] for day in policy.get("holidays") or ())
    return (_calendar(policy)[0] | own) - workdays(policy)


def built_in_holidays(policy: Mapping[str, Any]) -> frozenset[str]:
    """The holidays that come from the built-in calendar alone (not named by the policy).

    >>> sorted(built_in_holidays({"holidays": ["2024-10-01"]}) & {"2024-10-01", "2024-10-02"})
    ['2024-10-02']
    """
    own = frozenset(str(day)[:10] for day in policy.get("holidays") or ())
    return holidays(policy) - own


def workdays(policy: Mapping[str, Any]) -> frozenset[str]:
    """Saturdays and Sundays worked as ordinary days (调休 make-up days; ISO dates).

    The built-in calendar's make-up days and the policy's ``workdays`` list, less
    any day the policy names a holiday.

    >>> "2024-02-04" in workdays({}), "2024-02-04" in workdays({"holiday_calendar": "none"})
    (True, False)
    >>> sorted(workdays({"holiday_calendar": "none", "workdays": ["2031-02-08"]}))
    ['2031-02-08']
    """
    own = frozenset(str(day)[:10] for day in policy.get("workdays") or ())
    named_off = frozenset(str(day)[:10] for day in policy.get("holidays") or ())
    return (_calendar(policy)[1] - named_off) | own


def _calendar(policy: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(holidays, make-up working days) of the built-in calendar the policy names."""
    name = str(policy.get("holiday_calendar") or "mainland_china")
    if name == "none":
        return frozenset(), frozenset()
    if name != "mainland_china":
        raise PolicyError(f"policy.yaml holiday_calendar: expected mainland_china or none, got {name!r}")
    return statutory_holidays(), makeup_workdays()


def exempt_categories(policy: Mapping[str, Any]) -> frozenset[str]:
    """Categories the policy exempts from competition (natural monopolies such as 电力).

    >>> exempt_categories({"direct_award_exempt_categories": ["电力"]})
    frozenset({'电力'})
    """
    return frozenset(str(c) for c in policy.get("direct_award_exempt_categories") or ())


def required_level(amounts: np.ndarray, max_amounts: np.ndarray) -> np.ndarray:
    """The approval level each amount needs: 1 + the number of limits it exceeds.

    Above the last limit one more level signs (the level after the last one listed).

    >>> required_level(np.array([50000, 50001, 300000, 2e6]), np.array([5e4, 2e5, 1e6])).tolist()
    [1, 2, 3, 4]
    """
    return np.searchsorted(max_amounts, amounts, side="left") + 1


def require_names(values: tuple[str, ...], name: str) -> None:
    """Refuse a list setting that arrived as one word split into characters.

    A settings file that writes ``categories: 供水`` instead of ``categories: [供水]``
    reaches a tuple parameter as ``('供', '水')``; a silent wrong filter is worse
    than an error.

    >>> require_names(("single_source", "direct"), "methods")
    >>> require_names(("供", "水"), "categories")
    Traceback (most recent call last):
    ...
    ValueError: categories must be a list of names, e.g. [供水], not one name split into characters
    """
    if len(values) > 1 and all(isinstance(v, str) and len(v) == 1 for v in values):
        joined = "".join(values)
        raise ValueError(
            f"{name} must be a list of names, e.g. [{joined}], not one name split into characters"
        )


def exempt_contracts(
    contracts: pd.DataFrame, exempt: frozenset[str], supplier_share: float = 0.9
) -> pd.Series:
    """Contracts in an exempt category, or without a category from a supplier that sells (almost) nothing else.

    Exports lose a category now and then; a utility's bill without one is still a utility bill.

    >>> c = pd.DataFrame({"supplier_id": ["U", "U", "U", "S", "S"],
    ...                   "category": ["电力", "电力", None, "IT设备", None]})
    >>> exempt_contracts(c, frozenset({"电力"})).tolist()
    [True, True, True, False, False]
    """
    category = contracts["category"]
    in_exempt = category.isin(exempt)
    if not exempt or not category.isna().any():
        return in_exempt
    known = category.notna()
    share = in_exempt[known].groupby(contracts.loc[known, "supplier_id"]).mean()
    utility_like = contracts["supplier_id"].map(share).fillna(0.0) >= supplier_share
    return in_exempt | (~known & utility_like)

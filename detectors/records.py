"""Rows of a frame as plain records grouped by key: building many findings without a pandas call per finding.

A detector that flags thousands of groups should not slice a DataFrame once per
group (each slice costs about a millisecond); it converts the flagged rows to
records once and groups them in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["records_by"]


def records_by(frame: pd.DataFrame, keys: str | Sequence[str]) -> dict[Any, list[dict[str, Any]]]:
    """``frame``'s rows as dicts, grouped by ``keys`` (a tuple key for several columns), in frame order.

    >>> f = pd.DataFrame({"s": ["a", "b", "a"], "x": [1, 2, 3]})
    >>> records_by(f, "s")
    {'a': [{'s': 'a', 'x': 1}, {'s': 'a', 'x': 3}], 'b': [{'s': 'b', 'x': 2}]}
    >>> list(records_by(f, ["s", "x"]))[:2]
    [('a', 1), ('b', 2)]
    """
    columns = [keys] if isinstance(keys, str) else list(keys)
    out: dict[Any, list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        key = record[columns[0]] if isinstance(keys, str) else tuple(record[c] for c in columns)
        out.setdefault(key, []).append(record)
    return out

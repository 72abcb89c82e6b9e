"""Outlier fences computed from the data, the way cardinal-rs computes them.

Two families of fence, both vectorised over groups so that a million rows cost
one ``groupby``:

* **Tukey fences** ``Q1 − k·IQR`` and ``Q3 + k·IQR`` (``k = 1.5``: the inner
  fences). A group whose IQR is 0 gets no fence, so that a group where most
  values are equal does not flag a quarter of its members; a group smaller than
  the minimum sample gets none either.
* **Robust z-scores** (Iglewicz & Hoaglin 1993): ``z = 0.6745·(x − median)/MAD``
  with ``MAD = median(|x − median|)``; ``|z| > 3.5`` marks an outlier. A group
  whose MAD is 0 gets no score.

A fixed threshold from the settings always wins over a fence computed here: the
detectors pass it in and only fall back to the data when it is unset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAD_TO_Z", "group_fences", "group_robust_z", "tukey_fences"]

#: 0.6745 = Φ⁻¹(0.75): scales the MAD of a normal sample to its standard deviation.
MAD_TO_Z = 0.6745


def tukey_fences(
    values: pd.Series | np.ndarray, k: float = 1.5, min_sample: int = 2
) -> dict[str, float] | None:
    """Q1, Q3 and the fences of ``values``; ``None`` when the sample is too small or IQR = 0.

    >>> tukey_fences([1, 2, 3, 4, 100])
    {'n': 5, 'q1': 2.0, 'q3': 4.0, 'iqr': 2.0, 'lower': -1.0, 'upper': 7.0}
    >>> tukey_fences([5, 5, 5, 5, 9]) is None
    True
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if len(data) < min_sample:
        return None
    q1, q3 = np.quantile(data, [0.25, 0.75])
    iqr = q3 - q1
    if iqr <= 0:
        return None
    return {
        "n": len(data),
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(iqr),
        "lower": float(q1 - k * iqr),
        "upper": float(q3 + k * iqr),
    }


def group_fences(
    frame: pd.DataFrame, by: str | list[str], column: str, k: float = 1.5, min_sample: int = 2
) -> pd.DataFrame:
    """Tukey fences of ``column`` per group: one row per group that has a fence.

    Columns: the group keys, ``n``, ``q1``, ``q3``, ``iqr``, ``lower``, ``upper``.
    Groups below ``min_sample`` rows or with IQR = 0 are left out.

    >>> f = pd.DataFrame({"g": list("aaaaabbb"), "x": [1, 2, 3, 4, 100, 7, 7, 7]})
    >>> group_fences(f, "g", "x").to_dict("records")
    [{'g': 'a', 'n': 5, 'q1': 2.0, 'q3': 4.0, 'iqr': 2.0, 'lower': -1.0, 'upper': 7.0}]
    """
    keys = [by] if isinstance(by, str) else list(by)
    data = frame[[*keys, column]].dropna(subset=[column])
    grouped = data.groupby(keys, observed=True, sort=True)[column]
    stats = pd.DataFrame(
        {
            "n": grouped.size(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
        }
    )
    stats["iqr"] = stats["q3"] - stats["q1"]
    stats = stats[(stats["n"] >= min_sample) & (stats["iqr"] > 0)].copy()
    stats["lower"] = stats["q1"] - k * stats["iqr"]
    stats["upper"] = stats["q3"] + k * stats["iqr"]
    stats["n"] = stats["n"].astype(int)
    return stats.reset_index()


def group_robust_z(
    frame: pd.DataFrame, by: str | list[str], column: str, min_sample: int = 5
) -> pd.DataFrame:
    """Median, MAD and robust z-score of ``column`` for every row, within its group.

    Returns a frame aligned with ``frame`` with columns ``group_n``, ``median``,
    ``mad`` and ``z``; ``z`` is NaN where the group is smaller than ``min_sample``
    or its MAD is 0.

    >>> f = pd.DataFrame({"g": ["a"] * 7, "x": [10, 11, 9, 10, 12, 30, 10]})
    >>> group_robust_z(f, "g", "x")["z"].round(2).tolist()
    [0.0, 0.67, -0.67, 0.0, 1.35, 13.49, 0.0]
    """
    keys = [by] if isinstance(by, str) else list(by)
    values = frame[column].astype(float)
    grouped = values.groupby([frame[k] for k in keys], observed=True, sort=False)
    size = grouped.transform("count")
    median = grouped.transform("median")
    deviation = (values - median).abs()
    mad = deviation.groupby([frame[k] for k in keys], observed=True, sort=False).transform("median")
    usable = (size >= min_sample) & (mad > 0)
    z = (MAD_TO_Z * (values - median) / mad.where(usable)).where(usable)
    return pd.DataFrame({"group_n": size, "median": median, "mad": mad, "z": z}, index=frame.index)

"""Rolling windows over dated records, vectorised: the episodes in which a group's total reaches a threshold.

Split purchases, repeated direct awards and after-hours spates all ask the
same question of sorted records: within ``window`` days, do a group's records
number at least ``min_count`` and sum to at least ``threshold``? One
``searchsorted`` over a composite (group, day) key answers it for every record
at once; overlapping windows of one group merge into one *episode*.
"""

from __future__ import annotations

import numpy as np

__all__ = ["window_episodes"]


def window_episodes(
    keys: np.ndarray,
    days: np.ndarray,
    values: np.ndarray,
    threshold: float,
    window: int,
    min_count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Episodes of records whose ``window``-day total reaches ``threshold``.

    ``keys`` (integer group codes), ``days`` (integer day numbers) and
    ``values`` must be sorted by (key, day). A record's window holds the
    records of its group dated from ``day − window + 1`` to its own day.
    Returns, per record, the episode number (``-1`` outside any episode) and
    the total of the window that ends at it.

    >>> keys = np.array([0, 0, 0, 1, 1])
    >>> days = np.array([0, 3, 40, 0, 30])
    >>> values = np.array([30.0, 30.0, 30.0, 30.0, 30.0])
    >>> window_episodes(keys, days, values, 50.0, 14, 2)[0].tolist()
    [0, 0, -1, -1, -1]
    """
    n = len(keys)
    if n == 0:
        return np.full(0, -1), np.zeros(0)
    span = int(days.max() - days.min()) + window + 1
    composite = keys.astype(np.int64) * span + (days - days.min()).astype(np.int64)
    start = np.searchsorted(composite, composite - (window - 1), side="left")
    cumulative = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
    index = np.arange(n)
    window_total = cumulative[index + 1] - cumulative[start]
    count = index - start + 1
    fired = np.flatnonzero((count >= min_count) & (window_total >= threshold))
    episode = np.full(n, -1)
    if len(fired) == 0:
        return episode, window_total
    # windows [start, end] of one group overlap when one starts at or before the previous one's end
    starts = start[fired]
    previous_end = np.concatenate([[-1], fired[:-1]])
    first_of_episode = np.flatnonzero(starts > previous_end)
    lows = np.minimum.reduceat(starts, first_of_episode)
    highs = np.maximum.reduceat(fired, first_of_episode)
    lengths = highs - lows + 1
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    episode[np.repeat(lows, lengths) + offsets] = np.repeat(np.arange(len(lows)), lengths)
    return episode, window_total

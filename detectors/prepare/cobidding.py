"""Co-bidding: who bid against whom in which tender, the rows the bidding detectors share.

The bid-rigging rings and the co-bidding communities both start from the same
three facts: the usable bids (a positive amount, one per supplier and tender, in
tenders of two to ``max_bidders`` bids), each tender's winner, and every pair of
suppliers that met in a tender. They are computed here, once, vectorised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.snapshot import GraphSnapshot

__all__ = ["tender_pairs", "tender_winners", "usable_bids"]


def usable_bids(snapshot: GraphSnapshot, max_bidders: int) -> pd.DataFrame:
    """Bids with a positive amount, one per (tender, supplier), in tenders of 2..``max_bidders`` bids.

    Built once per snapshot and ``max_bidders`` and shared (callers must not modify it): the
    bid-rigging rings read it twice and the co-bidding communities once, and each build sorts out
    duplicates among every bid.
    """

    def compute() -> pd.DataFrame:
        bids = snapshot.bids[["tender_id", "supplier_id", "amount", "is_winner"]]
        bids = bids[bids["amount"].notna() & (bids["amount"] > 0) & bids["tender_id"].notna()]
        bids = bids.drop_duplicates(["tender_id", "supplier_id"])
        size = bids.groupby("tender_id")["supplier_id"].transform("size")
        return bids[(size >= 2) & (size <= max_bidders)].reset_index(drop=True)

    return snapshot.derived(("cobidding:usable_bids", max_bidders), compute)


def tender_winners(bids: pd.DataFrame) -> pd.Series:
    """Winner per tender: the recorded winner (the lowest when several), else the lowest bid."""
    ranked = bids.assign(_won=~bids["is_winner"].fillna(False).astype(bool))
    ranked = ranked.sort_values(["tender_id", "_won", "amount", "supplier_id"])
    return ranked.drop_duplicates("tender_id").set_index("tender_id")["supplier_id"]


def tender_pairs(
    tender_codes: np.ndarray, supplier_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of suppliers in the same tender: (tender, lower supplier, higher supplier) codes.

    >>> t, a, b = tender_pairs(np.array([0, 0, 0, 1, 1]), np.array([2, 0, 1, 0, 1]))
    >>> list(zip(t.tolist(), a.tolist(), b.tolist()))
    [(0, 0, 1), (0, 0, 2), (0, 1, 2), (1, 0, 1)]
    """
    order = np.lexsort((supplier_codes, tender_codes))
    tenders, suppliers = tender_codes[order], supplier_codes[order]
    sizes = np.bincount(tenders)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(len(tenders)) - start[tenders]
    partners = sizes[tenders] - 1 - position  # later rows of the same tender
    first = np.repeat(np.arange(len(tenders)), partners)
    block_start = np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + (np.arange(len(first)) - block_start)
    return tenders[first], suppliers[first], suppliers[second]

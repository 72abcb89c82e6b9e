"""Tender screens: the bid-distribution statistics of every tender, against its peers.

The method is the ``bid_rigging`` detector's (its documentation page says it in
full): per tender the dispersion and shape of its bids (cv, spread, rd, skew,
kurt), each ranked and fenced within the tender's peer group, the event screens
(identical, cover and single bids), a score and a flag. The table is shared: the
co-bidding and approval community detectors read which tenders are flagged, so it
is computed once, with the user's ``bid_rigging`` settings (:class:`ScreenParams`
are the part of them that the screens read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import param
from detectors.prepare.approvals import UNCATEGORISED
from graph.snapshot import GraphSnapshot

__all__ = [
    "ALL_PEERS",
    "CONFIRMING_SCREENS",
    "SCREENS",
    "TUKEY_SCREENS",
    "ScreenParams",
    "screen_params_of",
    "tender_screens",
]

ALL_PEERS = "*"

#: screen -> (collusive direction, fewest bids it needs)
SCREENS: dict[str, tuple[str, int]] = {
    "cv": ("low", 2),
    "spread": ("low", 2),
    "rd": ("high", 3),
    "skew": ("low", 3),
    "kurt": ("high", 4),
}
# spread moves with cv almost one for one, so it is reported but does not confirm cv
CONFIRMING_SCREENS = ("rd", "skew", "kurt")
#: dispersion screens: Tukey fences on a log scale; the shape screens (rd, skew, kurt) of a
#: handful of bids scatter too widely for a Tukey fence and use a percentile instead
TUKEY_SCREENS = {"cv", "spread"}
_LOG_SCALE = {"cv", "spread", "loser_cv"}

#: Tenders (≥ 3 bids, a recorded winner) a peer group needs before its auction format is read from them.
MIN_FORMAT_TENDERS = 10
AVERAGE_BID = "average_bid"
FIRST_PRICE = "first_price"

IDENTICAL_FLOOR = 0.75
SINGLE_BID_FLOOR = 0.6
COVER_FLOOR = 0.55


@dataclass(frozen=True)
class ScreenParams:
    """The screens' thresholds: the first parameters of ``bid_rigging``'s settings section."""

    min_bids: int = param(
        4, "count", "fewest bids for the distribution screens to flag a tender (all five need four)"
    )
    min_peer_tenders: int = param(
        30, "count", "fewest tenders (≥ 2 bids) in a category for it to be its own peer group"
    )
    fence_iqr: float = param(1.5, "ratio", "Tukey fence width k in Q1 − k·IQR for cv, spread, losers' cv")
    shape_percentile: float = param(
        90.0, "percent", "rd, kurt fire at or above this percentile of the peers, skew at or below 100 − it"
    )
    min_confirming: int = param(1, "count", "screens among rd, skew, kurt that must fire with low cv")
    cover_max_gap: float = param(
        0.05, "ratio", "largest (lowest losing bid − winner) / winner for cover bids"
    )
    cover_max_loser_cv: float = param(
        0.01, "ratio", "largest coefficient of variation of the losing bids for cover bids"
    )
    competitive_methods: tuple[str, ...] = param(
        ("open", "invited"), "list", "contract methods where one bid is a red flag"
    )
    max_event_share: float = param(
        0.1, "ratio", "identical or single bids in more of the peer group's tenders are its norm, not a flag"
    )
    average_bid_lowest_share: float = param(
        0.5,
        "ratio",
        "a peer group whose lowest bid wins fewer of its tenders (≥ 3 bids) than this holds average-bid auctions",
    )


def screen_params_of(params: Any) -> ScreenParams:
    """The screen thresholds of ``params`` (a ``bid_rigging`` ``Params`` or a :class:`ScreenParams`).

    >>> screen_params_of(ScreenParams(min_bids=5)) == ScreenParams(min_bids=5)
    True
    """
    return ScreenParams(**{f.name: getattr(params, f.name) for f in fields(ScreenParams)})


def _per_tender_context(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Category, method, department and estimate of each tender, from the first contract that
    came from it (the estimate is NaN where the data has none)."""
    contracts = snapshot.contracts
    linked = contracts[contracts["tender_id"].notna()]
    if "estimate" not in linked.columns:
        linked = linked.assign(estimate=np.nan)
    cols = ["tender_id", "category", "method", "department_id", "estimate"]
    return linked[cols].drop_duplicates("tender_id").set_index("tender_id")


def _bid_moments(bids: pd.DataFrame) -> pd.DataFrame:
    """Dispersion, gap and shape statistics of each tender's bids, in one vectorised pass."""
    codes, tenders = pd.factorize(bids["tender_id"], sort=False)
    amount = bids["amount"].to_numpy(dtype=float)
    order = np.lexsort((amount, codes))
    codes, amount = codes[order], amount[order]
    n_groups = len(tenders)
    n = np.bincount(codes, minlength=n_groups).astype(float)
    start = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    position = np.arange(len(codes)) - start[codes]

    mean = np.bincount(codes, amount, n_groups) / n
    dev = amount - mean[codes]
    m2 = np.bincount(codes, dev**2, n_groups) / n
    m3 = np.bincount(codes, dev**3, n_groups) / n
    m4 = np.bincount(codes, dev**4, n_groups) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.sqrt(m2 * n / (n - 1))
        lowest = amount[start]
        highest = amount[start + n.astype(np.int64) - 1]
        second = np.where(n >= 2, amount[np.minimum(start + 1, len(amount) - 1)], np.nan)

        loser = position > 0
        n_losers = n - 1
        loser_mean = np.bincount(codes[loser], amount[loser], n_groups) / n_losers
        loser_dev = amount[loser] - loser_mean[codes[loser]]
        loser_std = np.sqrt(np.bincount(codes[loser], loser_dev**2, n_groups) / (n_losers - 1))

        cv = np.where(n >= 2, std / mean, np.nan)
        spread = np.where(n >= 2, (highest - lowest) / lowest, np.nan)
        diffp = np.where(n >= 2, (second - lowest) / lowest, np.nan)
        rd = np.where(n >= 3, (second - lowest) / loser_std, np.nan)
        rd = np.where((n >= 3) & (second == lowest), np.nan, rd)  # 0/0: all bids at the bottom tie
        loser_cv = np.where(n >= 3, loser_std / loser_mean, np.nan)
        degenerate = m2 <= 0
        skew = np.where((n >= 3) & ~degenerate, np.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5, np.nan)
        excess = m4 / m2**2 - 3.0
        kurt = np.where(
            (n >= 4) & ~degenerate, (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * excess + 6.0), np.nan
        )

    # identical bids: equal neighbours in the sorted bids of one tender
    same_tender = codes[1:] == codes[:-1]
    equal = same_tender & np.isclose(amount[1:], amount[:-1], rtol=1e-9, atol=0.0)
    has_identical = np.zeros(n_groups, dtype=bool)
    has_identical[codes[1:][equal]] = True

    return pd.DataFrame(
        {
            "n_bids": n.astype(np.int64),
            "mean": mean,
            "lowest": lowest,
            "second": second,
            "cv": cv,
            "spread": spread,
            "diffp": diffp,
            "rd": rd,
            "skew": skew,
            "kurt": kurt,
            "loser_cv": loser_cv,
            "has_identical": has_identical,
        },
        index=pd.Index(tenders, name="tender_id"),
    )


def _winners(bids: pd.DataFrame) -> pd.DataFrame:
    """The recorded winner of each tender (a tender with several winners keeps the lowest)."""
    won = bids[bids["is_winner"].fillna(False).astype(bool)]
    won = won.sort_values(["tender_id", "amount"])
    first = won.drop_duplicates("tender_id").set_index("tender_id")
    out = pd.DataFrame(
        {
            "winner_id": first["supplier_id"],
            "winning_amount": first["amount"],
            "n_winners": won.groupby("tender_id").size(),
        }
    )
    return out


def _peer_stat(
    frame: pd.DataFrame, own_group: pd.Series, values: pd.Series, stat: Callable[[Any], Any]
) -> pd.Series:
    """``stat`` of ``values`` over each tender's peer group: its category, or all tenders."""
    by_category = frame["category"].map(stat(values.groupby(frame["category"])))
    return by_category.where(own_group, stat(values))


def _tukey_fence(
    frame: pd.DataFrame, own_group: pd.Series, values: pd.Series, direction: str, k: float
) -> tuple[pd.Series, pd.Series]:
    """The peer group's Tukey fence of ``values`` (Q1 − k·IQR or Q3 + k·IQR) and whether it is usable.

    Positive ratios are fenced on a log scale, where their spread is symmetric; a
    peer group whose IQR is 0 gets no fence (cardinal's rule, so that a market where
    most bids tie does not flag a quarter of its tenders).
    """
    logged = values.name in _LOG_SCALE
    scale = np.log(values.where(values > 0)) if logged else values
    q1 = _peer_stat(frame, own_group, scale, lambda v: v.quantile(0.25))
    q3 = _peer_stat(frame, own_group, scale, lambda v: v.quantile(0.75))
    iqr = q3 - q1
    fence = q1 - k * iqr if direction == "low" else q3 + k * iqr
    return (np.exp(fence) if logged else fence), (iqr > 0).fillna(False)


def _quantile(q: float) -> Callable[[Any], Any]:
    """``q``-th quantile of a Series or of each group of a GroupBy."""
    return lambda values: values.quantile(q)


def _peer_percentiles(frame: pd.DataFrame, params: ScreenParams) -> pd.DataFrame:
    """Collusive-direction percentile, fence and firing of each screen within its peer group."""
    scored = frame["n_bids"] >= 2
    sizes = frame.loc[scored].groupby("category").size()
    own_group = frame["category"].map(sizes).fillna(0) >= params.min_peer_tenders
    frame["peer_group"] = np.where(own_group, frame["category"], ALL_PEERS)
    for screen, (direction, _needs) in SCREENS.items():
        values = frame[screen].rename(screen)
        ascending = direction == "high"
        by_category = values.groupby(frame["category"]).rank(pct=True, ascending=ascending)
        overall = values.rank(pct=True, ascending=ascending)
        frame[f"p_{screen}"] = by_category.where(own_group, overall)
        if screen in TUKEY_SCREENS:
            fence, usable = _tukey_fence(frame, own_group, values, direction, params.fence_iqr)
        else:
            share = params.shape_percentile / 100
            fence = _peer_stat(
                frame, own_group, values, _quantile(1 - share if direction == "low" else share)
            )
            median = _peer_stat(frame, own_group, values, lambda v: v.median())
            usable = (fence != median).fillna(False)
        frame[f"fence_{screen}"] = fence
        beyond = values <= fence if direction == "low" else values >= fence
        frame[f"fires_{screen}"] = (beyond & usable).fillna(False).astype(bool)
    p_cols = [f"p_{s}" for s in SCREENS]
    frame["screen_score"] = frame[p_cols].mean(axis=1, skipna=True).fillna(0.0)

    fence, usable = _tukey_fence(
        frame, own_group, frame["loser_cv"].rename("loser_cv"), "low", params.fence_iqr
    )
    frame["fence_loser_cv"] = fence
    frame["loser_cv_fence_usable"] = usable
    identical = frame["has_identical"].where(scored).astype(float)
    frame["identical_share"] = _peer_stat(frame, own_group, identical, lambda v: v.mean())
    frame["single_share"] = _peer_stat(frame, own_group, frame["is_single"].astype(float), lambda v: v.mean())
    return frame


def _auction_format(frame: pd.DataFrame, bids: pd.DataFrame, params: ScreenParams) -> pd.DataFrame:
    """The auction format of each peer group, read from who wins, and the regulars screen.

    In a first-price auction the lowest bid wins; in an average-bid auction (Italian public works)
    the bid nearest a trimmed average does, so every bidder aims at the same average and a
    tender's bids bunch by design: their dispersion and shape say little there. A ring in such
    auctions works by entering en masse, its members placing coordinated bids in most of the
    market's auctions to move the average (Conley & Decarolis 2016): the sign is a tender whose
    bidders are the market's regulars. ``p_regulars`` is the tender's percentile, within its
    peer group, of its bidders' mean number of the peer group's tenders; in an average-bid peer
    group the tender's score is built on it (``score_basis``) instead of the bids' ``screen_score``,
    which stays as it is for the detectors that pool the bids' evidence (rings, communities)."""
    contested = (frame["n_bids"] >= 3) & (frame["n_winners"] > 0)
    lowest_won = pd.Series(
        np.isclose(frame["winning_amount"], frame["lowest"], rtol=1e-9, atol=0.0), index=frame.index
    )
    per_group = lowest_won[contested].groupby(frame.loc[contested, "peer_group"]).agg(["mean", "size"])
    average_bid = per_group.index[
        (per_group["size"] >= MIN_FORMAT_TENDERS) & (per_group["mean"] < params.average_bid_lowest_share)
    ]
    frame["auction_format"] = np.where(frame["peer_group"].isin(average_bid), AVERAGE_BID, FIRST_PRICE)
    group_of = bids["tender_id"].map(frame["peer_group"])
    tenders_of = bids.groupby([group_of, bids["supplier_id"]]).size()
    bidder_tenders = pd.Series(
        tenders_of.reindex(pd.MultiIndex.from_arrays([group_of, bids["supplier_id"]])).to_numpy(),
        index=bids.index,
    )
    frame["regulars"] = bidder_tenders.groupby(bids["tender_id"]).mean().reindex(frame.index)
    frame["p_regulars"] = frame["regulars"].groupby(frame["peer_group"]).rank(pct=True)
    frame["p_award"] = frame["award_ratio"].groupby(frame["peer_group"]).rank(pct=True)
    aba = frame["auction_format"] == AVERAGE_BID
    # award near the estimate (P03): in a first-price auction a ring's winner bids up to the buyer's
    # estimate, which competitors undercut; the price level against the estimate is a second family
    # of evidence beside the bids' distribution, so the two count alike where the estimate is known
    bids_and_award = ((frame["screen_score"] + frame["p_award"]) / 2).where(
        frame["p_award"].notna(), frame["screen_score"]
    )
    frame["score_basis"] = bids_and_award.where(~aba, frame["p_regulars"].fillna(0.0))
    return frame


def tender_screens(snapshot: GraphSnapshot, params: ScreenParams) -> pd.DataFrame:
    """Every tender with bids, its screens, percentiles, fences, flags and score (index: tender id).

    Computed once per run by :class:`detectors.prepare.PreparedSnapshot` with the
    user's ``bid_rigging`` settings; ``bid_rigging`` turns it into findings and the
    community detectors read its flags.
    """
    bids = snapshot.bids[["tender_id", "supplier_id", "amount", "is_winner"]]
    bids = bids[bids["amount"].notna() & (bids["amount"] > 0) & bids["tender_id"].notna()]
    bids = bids.drop_duplicates(["tender_id", "supplier_id"])
    if bids.empty:
        return pd.DataFrame()
    frame = _bid_moments(bids)
    context = _per_tender_context(snapshot)
    frame["category"] = frame.index.map(context["category"]).astype(object).fillna(UNCATEGORISED)
    frame["method"] = frame.index.map(context["method"])
    frame["department_id"] = frame.index.map(context["department_id"])
    frame = frame.join(_winners(bids))
    frame["n_winners"] = frame["n_winners"].fillna(0).astype(np.int64)
    frame["winning_amount"] = frame["winning_amount"].fillna(frame["lowest"])
    estimate = pd.to_numeric(frame.index.map(context["estimate"]), errors="coerce")
    frame["estimate"] = np.where(estimate > 0, estimate, np.nan)
    frame["award_ratio"] = frame["winning_amount"] / frame["estimate"]
    competitive = {m.strip().lower() for m in params.competitive_methods if m.strip()}
    method = frame["method"].astype(object).where(frame["method"].notna(), None)
    method_ok = method.map(lambda m: m is None or str(m).strip().lower() in competitive)
    frame["is_single"] = (frame["n_bids"] == 1) & method_ok.astype(bool)
    frame = _peer_percentiles(frame, params)
    frame = _auction_format(frame, bids, params)

    # an event that a large share of the peers show is that market's norm (a published
    # floor price everyone bids, a rural market with one dairy), not a sign of collusion
    frame["identical"] = frame["has_identical"] & (frame["identical_share"] <= params.max_event_share)
    frame["single_bid"] = frame["is_single"] & (frame["single_share"] <= params.max_event_share)
    winner_lowest = np.isclose(frame["winning_amount"], frame["lowest"], rtol=1e-9, atol=0.0)
    frame["cover"] = (
        (frame["n_bids"] >= 3)
        & winner_lowest
        & (frame["diffp"] <= params.cover_max_gap)
        & (frame["loser_cv"] <= params.cover_max_loser_cv)
        & (frame["loser_cv"] <= frame["fence_loser_cv"])
        & frame["loser_cv_fence_usable"]
        & (frame["rd"] > 1.0)  # the losers are closer to each other than to the winner
    ).fillna(False)
    confirming = frame[[f"fires_{s}" for s in CONFIRMING_SCREENS]].sum(axis=1)
    frame["distribution"] = (
        (frame["n_bids"] >= params.min_bids) & frame["fires_cv"] & (confirming >= params.min_confirming)
    )
    # Imhof's two signs must agree: bids bunched (dispersion) and the winner set apart from the
    # bunch (shape); rd, skew and kurt all measure the second, so they count once together
    dispersion = frame[["fires_cv", "fires_spread"]].any(axis=1)
    separation = frame[[f"fires_{s}" for s in CONFIRMING_SCREENS]].any(axis=1)
    agreement = 0.5 * dispersion.astype(float) + 0.5 * separation.astype(float)
    frame["agreement"] = agreement.where(frame["n_bids"] >= params.min_bids, 0.0)
    score = (frame["score_basis"] * (0.4 + 0.6 * frame["agreement"])).to_numpy(dtype=float)
    score = np.where(frame["identical"], np.maximum(score, IDENTICAL_FLOOR), score)
    score = np.where(frame["single_bid"], np.maximum(score, SINGLE_BID_FLOOR), score)
    score = np.where(frame["cover"], np.maximum(score, COVER_FLOOR), score)
    frame["score"] = np.clip(score, 0.0, 1.0)
    frame["flagged"] = frame["distribution"] | frame["identical"] | frame["cover"] | frame["single_bid"]
    return frame

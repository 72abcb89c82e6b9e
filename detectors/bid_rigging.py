"""Bid-rigging screens per tender: bids too close together, cover bids, identical and single bids.

Summary
-------
Scores every tender by the shape of its bids against the other tenders of its
category and flags the tenders whose bids look arranged: dispersion far below
what the category shows, a winner set apart from a tight cluster of cover bids,
identical prices from different companies, or one bid in a competitive tender.

Methodology
-----------
Per tender, from its bids (one per supplier; bids without a positive amount are
left out), with ``b1 ≤ b2 ≤ …`` the sorted bids, ``μ``/``σ`` their mean and
sample standard deviation and *losers* every bid but the lowest:

* ``cv = σ / μ`` — coefficient of variation (≥ 2 bids);
* ``spread = (max − b1) / b1`` (≥ 2 bids); ``diffp = (b2 − b1) / b1`` is reported;
* ``rd = (b2 − b1) / σ(losers)`` — relative distance (Imhof 2017, ≥ 3 bids);
* ``skew`` — bias-corrected sample skewness (≥ 3 bids); ``kurt`` — bias-corrected
  excess kurtosis (≥ 4 bids).

Each screen is ranked within the tender's **peer group**: its category (from the
contract that came from the tender), or all tenders when the category has fewer
than ``min_peer_tenders`` tenders with two bids or more. The collusive direction
is low ``cv``, low ``spread``, high ``rd``, low (negative) ``skew`` and high
``kurt``. ``p`` is the tender's percentile in that direction (1 = the most
suspicious of its peers); the **screen score** is the mean ``p`` over the screens
the tender has. A screen *fires* when the value crosses the peer group's fence:

* ``cv`` and ``spread`` — the Tukey fence ``Q1 − k·IQR`` (``k = fence_iqr``) on a
  log scale, where ratios spread symmetrically; a peer group whose IQR is 0 gets
  no fence (cardinal's rule). Only outliers fire, so a competitive market does not
  see its most extreme tenth flagged;
* ``rd``, ``skew``, ``kurt`` — shape statistics of a handful of bids scatter too
  widely for a Tukey fence; they fire in the peers' most suspicious
  ``100 − shape_percentile`` percent (``rd``, ``kurt`` at or above the
  ``shape_percentile``-th percentile, ``skew`` at or below the complementary one),
  unless that percentile equals the median.

Event screens:

* **identical bids** (C05) — two suppliers bid the same amount (to 1e-9 relative);
* **cover bids** — ≥ 3 bids, the winner is the lowest bid, the lowest losing bid
  is at most ``cover_max_gap`` above the winner, the losing bids' coefficient of
  variation is at most ``cover_max_loser_cv`` *and* at or below the peer group's
  lower Tukey fence of it, and ``rd > 1`` (the losers are closer to each other
  than to the winner);
* **single bid** (C01) — one bid in a tender whose contract method is competitive
  (``competitive_methods``) or unknown.

Identical and single bids fire only where they are rare: when more than
``max_event_share`` of the peer group's tenders show them, they are that market's
norm (a published floor price every bidder hits, a district with one dairy) and
only reported in the metrics — in the spirit of cardinal, which skips a fence
rather than flag a quarter of all processes.

A tender is flagged when (``n ≥ min_bids``, the low-``cv`` screen fires and at
least ``min_confirming`` of ``rd``, ``skew``, ``kurt`` fire too) or an event screen
fires. ``spread`` moves with ``cv`` almost one for one, so it counts in the score
and is reported, but does not confirm ``cv``.

Score = ``screen score · (0.4 + 0.6 · agreement)``: ``agreement`` is 0.5 when a
dispersion screen fires (``cv`` or ``spread``) plus 0.5 when a separation screen
fires (``rd``, ``skew`` or ``kurt``, which all measure the winner standing apart
from the bunch and so count once), and 0 below ``min_bids`` bids. A tender reaches
*high* (> 0.7) only when both signs agree, as Imhof's screens are meant to be read. Event screens raise it to at least 0.75 (identical bids),
0.6 (single bid) or 0.55 (cover bids). The winner, when not recorded, is taken to
be the lowest bid.

One tender's bids are a screen, not proof: in any large market a few honest tenders
look bunched by chance. So a flagged tender stays at most *medium* (score capped at
0.7) unless two of its bidders also meet in at least ``repeat_for_high`` − 1 other
flagged tenders — a pattern that repeats is what a cartel leaves — or it has
identical bids. ``repeated_pair_tenders`` in the evidence counts those tenders.

Example
-------
Tender T900 (category 电缆, 40 other tenders): 华信电缆 wins at CNY 1,000,000;
东方线缆, 北方电工, 远大电线 and 金桥电气 bid 1,031,000 – 1,034,600. ``cv`` = 1.44 %
(the category's lower fence is 3.29 %), ``spread`` = 3.46 % (fence 7.60 %), ``rd`` =
19.7 (P90 2.98), ``skew`` = −2.19 (P10 −1.20), ``kurt`` = 4.83 (P90 2.93), and the
losers sit 3.1 % above the winner with a ``cv`` of 0.15 %: all five screens and the
cover-bid screen fire, score 1.0 → high. Five bids evenly spaced from 1,000,000 to
1,088,000 have ``cv`` = 3.33 %, just above the fence, and no other screen fires:
not flagged.

Why is this a red flag?
-----------------------
Companies that agree who wins submit "cover" bids just above the chosen winner:
the bids bunch together (low dispersion) while the winner stands apart from the
bunch (high relative distance, negative skew, high kurtosis). Swiss competition
authorities found a road-construction cartel with these screens before any
complaint (Imhof, Karagök & Rutz 2018). Identical prices rarely happen by chance,
and under the PRC Bidding Law (招标投标法 第二十八条) a tender with fewer than three
bidders must be re-tendered, so a single bid awarded is a process breach too.

Based on
--------
INDICATORS C14 (bid-distribution screens: Imhof 2017; Huber & Imhof 2019, IJIO
65), C05 (identical bid prices, cardinal R028), C01 (single bid, cardinal R018),
C03 (price close to the winner, cardinal R024) for the cover-bid gap. Dispersion
fences are cardinal's Tukey fences of the peer group (INDICATORS 4.7); INDICATORS
C14 proposes P10/P90, which for the dispersion screens would flag a tenth of a
competitive market, and which the shape screens keep as their confirmation.

Output
------
One finding per flagged tender. Entities: the tender, then its bidders (winner
first). Evidence: ``metrics`` (n_bids, category, peer_group, winner, cv, spread,
diffp, rd, skew, kurt, loser_cv, screen_score, percentiles, fired screens),
``thresholds`` (the peer group's fences and the parameters), ``rows`` (the bids)
and ``subgraph`` (tender, bidders, contracts). Subject: the tender id.

Configuration
-------------
See the parameter table: ``min_bids`` (count), ``min_peer_tenders`` (count),
``fence_iqr`` (ratio), ``shape_percentile`` (percent), ``min_confirming`` (count),
``cover_max_gap``, ``cover_max_loser_cv`` and ``max_event_share`` (ratio),
``competitive_methods`` (list), ``repeat_for_high`` (count), ``max_rows`` (count).

Exclusions
----------
Bids without a positive amount. Tenders whose contract method is known and not
competitive for the single-bid screen. Distribution screens on tenders with too
few bids for them (see Methodology); peer groups whose IQR is 0 or whose percentile fence equals the median;
identical and single bids in peer groups where they are common (``max_event_share``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import Detector, Finding, money, param
from detectors.prepare import prepare
from detectors.prepare.screens import ALL_PEERS, IDENTICAL_FLOOR, SCREENS, TUKEY_SCREENS, ScreenParams
from detectors.records import records_by
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

# the score floor of identical bids is part of what this detector promises (its page, its tests)
__all__ = ["DETECTOR", "IDENTICAL_FLOOR", "Params", "run", "tender_screens"]

LONE_TENDER_CAP = 0.7  # a flagged tender whose bidders meet in no other flagged tender stays medium

_SCREEN_NAMES = {
    "cv": ("变异系数CV", "coefficient of variation"),
    "spread": ("极差率", "spread"),
    "rd": ("相对距离RD", "relative distance RD"),
    "skew": ("偏度", "skewness"),
    "kurt": ("峰度", "kurtosis"),
}


@dataclass(frozen=True)
class Params(ScreenParams):
    """The screens' thresholds (:class:`~detectors.prepare.screens.ScreenParams`), then the findings'."""

    repeat_for_high: int = param(
        2, "count", "flagged tenders two bidders must share before one tender's screens can be high"
    )
    max_rows: int = param(30, "count", "bids listed in the evidence")


def tender_screens(snapshot: GraphSnapshot, params: Params | None = None) -> pd.DataFrame:
    """Every tender with bids, its screens, percentiles, fences, flags and score (index: tender id).

    This is the table :func:`run` turns into findings; evaluations rank tenders by
    its ``score`` column. It is built by the prepare step
    (:func:`detectors.prepare.screens.tender_screens`), once per snapshot and parameters.
    """
    return prepare(snapshot).tender_screens(params or Params())


# ---- findings ---------------------------------------------------------------------------
def _fmt(screen: str, value: float) -> str:
    if screen in {"cv", "spread", "diffp", "loser_cv"}:
        return f"{value:.2%}"
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}"


def _num(value: Any) -> float | None:
    """A JSON-safe number: NaN and infinity become None."""
    if value is None or pd.isna(value):
        return None
    as_float = float(value)
    return None if math.isinf(as_float) else round(as_float, 6)


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    frame = prepare(snapshot).tender_screens(params)
    if frame.empty:
        return []
    flagged = frame[frame["flagged"]].sort_values("score", ascending=False)
    if flagged.empty:
        return []
    bids = snapshot.bids
    bids = bids[bids["tender_id"].isin(flagged.index)].sort_values(["tender_id", "amount"])
    flagged = flagged.copy()
    flagged["repeated_pair_tenders"] = flagged.index.map(_repeated_pair_tenders(bids)).fillna(1).astype(int)
    alone = (flagged["repeated_pair_tenders"] < params.repeat_for_high) & ~flagged["identical"]
    flagged.loc[alone, "score"] = flagged.loc[alone, "score"].clip(upper=LONE_TENDER_CAP)
    flagged = flagged.sort_values("score", ascending=False)
    # bids as plain records per tender: slicing a frame once per finding was most of the run
    bids_of = records_by(bids[["tender_id", "supplier_id", "amount"]], "tender_id")
    contracts = snapshot.contracts
    contracts_of = (
        contracts[contracts["tender_id"].isin(flagged.index)].groupby("tender_id")["id"].apply(list).to_dict()
    )
    currency = str(snapshot.policy.get("currency") or "CNY")
    return [
        _finding(
            snapshot, tender_id, row, bids_of[tender_id], contracts_of.get(tender_id, []), params, currency
        )
        for tender_id, row in flagged.iterrows()
    ]


def _repeated_pair_tenders(bids: pd.DataFrame) -> pd.Series:
    """Per flagged tender: the most flagged tenders any two of its bidders share (1 = only this one)."""
    members = bids[["tender_id", "supplier_id"]].drop_duplicates()
    pairs = members.merge(members, on="tender_id")
    pairs = pairs[pairs["supplier_id_x"] < pairs["supplier_id_y"]]
    if pairs.empty:
        return pd.Series(dtype=np.int64)
    shared = pairs.groupby(["supplier_id_x", "supplier_id_y"])["tender_id"].transform("nunique")
    return shared.groupby(pairs["tender_id"]).max()


def _fired(row: pd.Series) -> list[str]:
    return [s for s in SCREENS if bool(row[f"fires_{s}"])]


def _finding(
    snapshot: GraphSnapshot,
    tender_id: str,
    row: pd.Series,
    bids: list[dict[str, Any]],
    contracts: list[str],
    params: Params,
    currency: str,
) -> Finding:
    winner = row["winner_id"] if isinstance(row["winner_id"], str) else bids[0]["supplier_id"]
    ordered = [b for b in bids if b["supplier_id"] == winner] + [
        b for b in bids if b["supplier_id"] != winner
    ]
    listed = ordered[: params.max_rows]
    fired = _fired(row)

    def bidders(lang: str) -> str:
        parts = []
        for b in listed[:8]:
            name = snapshot.name("Supplier", b["supplier_id"])
            won = ("（中标）" if lang == "zh" else " (won)") if b["supplier_id"] == winner else ""
            parts.append(f"{name} {money(float(b['amount']), currency, lang)}{won}")
        more = len(ordered) - 8
        if more > 0:
            parts.append(f"另{more}家" if lang == "zh" else f"{more} more")
        return ("、" if lang == "zh" else ", ").join(parts)

    def screen_text(lang: str) -> list[str]:
        out = []
        for screen in fired:
            direction = SCREENS[screen][0]
            zh_name, en_name = _SCREEN_NAMES[screen]
            value, fence = _fmt(screen, row[screen]), _fmt(screen, row[f"fence_{screen}"])
            if screen in TUKEY_SCREENS:
                bar_zh, bar_en = "同类下限（Q1−1.5·IQR）", "the peers' lower fence (Q1 − k·IQR)"
            else:
                q = params.shape_percentile if direction == "high" else 100 - params.shape_percentile
                bar_zh, bar_en = f"同类P{q:g}", f"the peers' P{q:g}"
            rel = "≤" if direction == "low" else "≥"
            if lang == "zh":
                out.append(f"{zh_name}{value}{rel}{bar_zh}（{fence}）")
            else:
                out.append(f"{en_name} {value} {rel} {bar_en} {fence}")
        if row["cover"]:
            gap, lcv = _fmt("diffp", row["diffp"]), _fmt("loser_cv", row["loser_cv"])
            out.append(
                f"陪标特征：落标报价均紧贴中标价之上（最低落标价高出{gap}，落标报价变异系数{lcv}）"
                if lang == "zh"
                else f"cover bids: the losing bids sit just above the winner ({gap} gap, losers' CV {lcv})"
            )
        if row["identical"]:
            out.append(
                "不同供应商报价完全相同" if lang == "zh" else "different suppliers bid identical amounts"
            )
        if row["single_bid"]:
            out.append(
                "竞争性招标仅一家投标（少于三家应重新招标）"
                if lang == "zh"
                else "only one bid in a competitive tender (fewer than three bidders requires re-tendering)"
            )
        return out

    category = str(row["category"])
    peer_zh = f"“{category}”类" if row["peer_group"] != ALL_PEERS else "全部招标"
    peer_en = f"category '{category}'" if row["peer_group"] != ALL_PEERS else "all tenders"
    zh = (
        f"招标{tender_id}（{category}）共{int(row['n_bids'])}家投标：{bidders('zh')}。"
        f"{'；'.join(screen_text('zh'))}（比较基准：{peer_zh}；综合筛查分{row['screen_score']:.2f}）。"
    )
    en = (
        f"Tender {tender_id} ({category}) drew {int(row['n_bids'])} bids: {bidders('en')}. "
        f"{'; '.join(screen_text('en'))} (peers: {peer_en}; screen score {row['screen_score']:.2f})."
    )
    thresholds: dict[str, Any] = {
        "peer_group": row["peer_group"],
        "fence_iqr": params.fence_iqr,
        "shape_percentile": params.shape_percentile,
        "min_bids": params.min_bids,
        "min_confirming": params.min_confirming,
        "cover_max_gap": params.cover_max_gap,
        "cover_max_loser_cv": params.cover_max_loser_cv,
        "fences": {s: _num(row[f"fence_{s}"]) for s in SCREENS},
    }
    metrics = {
        "n_bids": int(row["n_bids"]),
        "category": category,
        "winner": winner,
        "winning_amount": _num(row["winning_amount"]),
        **{k: _num(row[k]) for k in ("cv", "spread", "diffp", "rd", "skew", "kurt", "loser_cv")},
        "screen_score": round(float(row["screen_score"]), 4),
        "percentiles": {s: _num(row[f"p_{s}"]) for s in SCREENS},
        "fired": fired + [name for name in ("cover", "identical", "single_bid") if bool(row[name])],
        "repeated_pair_tenders": int(row["repeated_pair_tenders"]),
    }
    suppliers = [b["supplier_id"] for b in ordered]
    evidence = {
        "metrics": metrics,
        "thresholds": thresholds,
        "rows": [
            {
                "supplier_id": b["supplier_id"],
                "supplier": snapshot.name("Supplier", b["supplier_id"]),
                "amount": float(b["amount"]),
                "is_winner": b["supplier_id"] == winner,
            }
            for b in listed
        ],
        "subgraph": [
            entity_key("Tender", tender_id),
            *(entity_key("Supplier", s) for s in suppliers[:20]),
            *(entity_key("Contract", c) for c in contracts[:5]),
        ],
    }
    return Finding(
        detector=DETECTOR.id,
        subject=str(tender_id),
        score=float(row["score"]),
        entities=(entity_key("Tender", tender_id), *(entity_key("Supplier", s) for s in suppliers)),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


DETECTOR = Detector(
    id="bid_rigging",
    title_zh="围标串标筛查（报价分布）",
    title_en="Bid-rigging screens per tender",
    family="bidding",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

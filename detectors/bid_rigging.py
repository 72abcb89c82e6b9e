"""Bid-rigging rings: suppliers whose joint tenders carry rigged-looking bids far more often than chance.

Summary
-------
Screens every tender's bids against the other tenders of its category (dispersion
far below what the category shows, a winner set apart from a tight cluster of cover
bids, identical prices, one bid in a competitive tender), then looks for the
pattern a cartel leaves: pairs of suppliers whose *joint* tenders are screened
suspicious far more often than their peers', joined into rings. One alert per ring,
its tenders in the evidence; the flagged tenders no ring explains are gathered into
one low note per buying department — one tender's screens are a lead, not a finding.

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

**Auction format.** Where the lowest bid wins fewer than ``average_bid_lowest_share`` of a
peer group's tenders (at least 10 with three bids or more), the peer group holds average-bid
auctions: the bid nearest a (trimmed) average wins, so every bidder aims at the same average
and a tender's bids bunch by design. A ring there works by entering en masse, its members
placing coordinated bids in most of the market's auctions to move the average (Conley &
Decarolis 2016), so the tender's score is built on ``p_regulars`` instead of the screen score: its
percentile, among the peer group's tenders, of its bidders' mean number of the peer group's
tenders (a tender bid by the market's regulars first). The screen score, fences and flags stay
as they are (rings and communities pool the bids' evidence, not the bidders' regularity).

**Award near the estimate** (P03). Where the data gives the tender's estimate (the contract's
``estimate``: the buyer's budget or ceiling price), ``award_ratio`` = winning bid / estimate and
``p_award`` its percentile among the peer group's tenders with an estimate (high = suspicious):
a ring's designated winner bids up to the buyer's estimate, which competitors undercut. In a
first-price auction the price level against the estimate is a second family of evidence beside
the bids' distribution, so the basis there is the mean of the screen score and ``p_award``; it
does not fire a flag on its own (an estimate may be set generously).

Score = ``basis · (0.4 + 0.6 · agreement)``, the basis being the screen score, averaged with
``p_award`` where the estimate is known (first-price auctions), or ``p_regulars`` (average-bid
auctions): ``agreement`` is 0.5 when a
dispersion screen fires (``cv`` or ``spread``) plus 0.5 when a separation screen
fires (``rd``, ``skew`` or ``kurt``, which all measure the winner standing apart
from the bunch and so count once), and 0 below ``min_bids`` bids. A tender reaches
*high* (> 0.7) only when both signs agree, as Imhof's screens are meant to be read. Event screens raise it to at least 0.75 (identical bids),
0.6 (single bid) or 0.55 (cover bids). The winner, when not recorded, is taken to
be the lowest bid.

**Rings** (coalition screens in the spirit of Imhof & Wallimann: the evidence is
pooled over the tenders a group shares, not read tender by tender). For every pair
of suppliers that bid together in at least ``min_joint_tenders`` tenders (of at most
``max_bidders`` bids), over those joint tenders:

* flagged joint tenders *f* against *λ*, the number expected at the flag rate of
  each tender's peer group — counted without the pair's own joint tenders and
  add-one smoothed, ``(F − f + 1) / (N − m + 2)``, so a ring does not raise the bar
  it is measured against; Poisson tail ``P(X ≥ f | λ)``;
* the screen scores' excess over the peer group's mean, summed and divided by the
  square root of the summed peer variances: ``z``, normal tail;
* both tails combined by Fisher's method, Benjamini–Hochberg adjusted over every
  pair tested (read q as a screen: the two looks share their tenders).

A pair is *suspicious* when one of three looks says so:

* **screened** — ``q ≤ alpha`` and ``f ≥ min_flagged_joint`` (its tenders' bids look rigged);
* **closed** — the two meet in at least ``min_closure`` of the less active one's tenders,
  and far more often than chance: if each bid at random among its peer groups'
  tenders, they would meet ``n_a·n_b / T`` times (the hypergeometric mean, ``T`` the
  peer groups' tenders); Poisson tail of the joint tenders, Benjamini–Hochberg
  adjusted over the pairs. Firms that bid nearly always together are the footprint
  of a ring even when its cover bids look like anybody's;
* **shared contact** — the two co-bidders hold the same phone, address or bank account
  (cardinal's R044; an identifier held by more than ``max_contact_parties`` parties is a
  hub and ties nothing).

Suspicious pairs that share a member form one ring (connected components). A ring
that only the co-bidding look found (no price screen, no shared contact) must also
keep outsiders out — its members win at least ``min_member_win_share`` of its
tenders — or it is a set of competitors that meet often, with ordinary bids, the
lowest winning and outsiders winning sometimes, and is not reported. A group's
companies that share their headquarters' address but never bid against each other
are not co-bidders, so they form no ring.

The ring's *tenders* are every tender in which two or more members bid; over them,
``member_win_share`` (won by a member), each member's wins and their Gini coefficient
(turn-taking: 0 = even), and the value the members won. Score = 0.4 + 0.15·closure
(of its closest closed pair, 0 if none) + 0.25·min(1, −log10 q / 10) (q of its
strongest screened pair, 0 if none) + 0.1·rotation + 0.1·(members share a contact),
where rotation = member_win_share · (1 − Gini).

**Buyers.** Flagged tenders that belong to no ring are one low note per buying
department (score 0.3; 0.45 when one of them has identical bids from different
companies, which rarely happens by chance), listing the most suspicious first.

Example
-------
Tender T900 (category 电缆, 40 other tenders): 华信电缆 wins at CNY 1,000,000;
东方线缆, 北方电工, 远大电线 and 金桥电气 bid 1,031,000 – 1,034,600. ``cv`` = 1.44 %
(the category's lower fence is 3.29 %), ``spread`` = 3.46 % (fence 7.60 %), ``rd`` =
19.7 (P90 2.98), ``skew`` = −2.19 (P10 −1.20), ``kurt`` = 4.83 (P90 2.93), and the
losers sit 3.1 % above the winner with a ``cv`` of 0.15 %: all five screens and the
cover-bid screen fire, tender score 1.0. Alone it is one line of 基建部's buyer note
(low). When the same five firms meet in four such tenders, each of them won by
another member, every pair of them has 4 flagged joint tenders where its peers'
rate predicts about 0.3: one ring of five, high. Five bids evenly spaced from
1,000,000 to 1,088,000 have ``cv`` = 3.33 %, just above the fence, and no other
screen fires: not flagged.

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
65), P03 (award near the estimate, OCP R031), C05 (identical bid prices, cardinal R028), C01 (single bid, cardinal R018),
C03 (price close to the winner, cardinal R024) for the cover-bid gap. Dispersion
fences are cardinal's Tukey fences of the peer group (INDICATORS 4.7); INDICATORS
C14 proposes P10/P90, which for the dispersion screens would flag a tenth of a
competitive market, and which the shape screens keep as their confirmation.

Output
------
Per ring (subject ``ring|`` + the members' ids): entities the members (most wins
first), then its tenders (flagged first). Evidence: ``rule`` = ``ring``,
``metrics`` (members, tenders, flagged_tenders, member_win_share, value_won, wins,
gini, rotation, departments, categories, and the ring's pairs with joint, flagged,
expected, z, q), ``thresholds`` (the parameters and how many pairs were tested),
``rows`` (per tender: category, department, bids, winner, cv, diffp, rd, the award ratio
where the estimate is known, screen score, the screens that fired) and ``subgraph``. Per buyer (subject ``buyer|`` +
the department id, ``?`` when unknown): the department and its flagged tenders, with
the same rows. :func:`tender_screens` is the per-tender table (the evaluation on
labelled cartel markets ranks tenders by its ``score``).

Configuration
-------------
See the parameter table: ``min_bids`` (count), ``min_peer_tenders`` (count),
``fence_iqr`` (ratio), ``shape_percentile`` (percent), ``min_confirming`` (count),
``cover_max_gap``, ``cover_max_loser_cv`` and ``max_event_share`` (ratio),
``competitive_methods`` (list); for the rings ``min_joint_tenders``,
``min_flagged_joint`` (count), ``alpha`` (false discovery rate), ``max_bidders``
(count), ``min_closure`` and ``min_member_win_share`` (ratio),
``max_contact_parties`` (count); for the buyers' own market ``market_min_member_share`` and
``market_max_cv_percentile`` (ratio); ``max_rows`` (count).

Exclusions
----------
Bids without a positive amount. Tenders whose contract method is known and not
competitive for the single-bid screen. Distribution screens on tenders with too
few bids for them (see Methodology); peer groups whose IQR is 0 or whose percentile fence equals the median;
identical and single bids in peer groups where they are common (``max_event_share``). Pairs that met in fewer than ``min_joint_tenders`` tenders
(their tenders stay in the buyer notes).

Legitimate look-alikes
----------------------
The buyers' own market: a branch that buys a local service (property management,
building works, vehicle repair) can only invite the few firms of its city, and a
category that two or three firms make has nobody else to invite; such firms meet in
every tender because they are the whole market, not by arrangement, so the
co-bidding look finds them "closed" and, with no outsider ever bidding, winning all
of their tenders. When a ring that only the co-bidding look found (no screened pair,
no shared contact) places at least ``market_min_member_share`` of the bids in its
buyers' tenders of its categories (every tender of a buying department and category
in which the ring's tenders are; the other suppliers there are few or none) and its
tenders' bids are as dispersed as their peers' (the mean of their ``cv`` percentiles
``p`` at most ``market_max_cv_percentile``, the peer group's typical tender being 0.5:
no tight cover band), and no two of them are under one control (one owns the other,
or one person owns, directs or represents both: such firms do not bid independently),
the finding says so first (本地市场 / The buyers' own market),
with the share, the other suppliers, that mean and how often the lowest bid won,
and carries ``evidence["ceiling"]``: its calibrated score is held at 0.6, medium at
most. A ring whose buyers also invite other firms, or whose bids bunch above the
winner, is not held: keeping outsiders out, or cover bids, is what a ring does.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import chi2, norm, poisson

from detectors.base import Detector, Finding, money, param
from detectors.prepare import prepare
from detectors.prepare.cobidding import tender_pairs, usable_bids
from detectors.prepare.parties import PIVOT_WORDS, supplier_parties
from detectors.prepare.screens import IDENTICAL_FLOOR, SCREENS, ScreenParams
from detectors.significance import benjamini_hochberg
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

# the score floor of identical bids is part of what this detector promises (its page, its tests)
__all__ = ["DETECTOR", "IDENTICAL_FLOOR", "Params", "run", "tender_screens"]

#: a buyer's flagged tenders whose bidders form no ring: a low note, medium with identical bids
LONE_SCORE = 0.3
LONE_IDENTICAL_SCORE = 0.45
UNKNOWN_BUYER = "?"
#: The calibrated score a closed group that is its buyers' whole market is held at: medium.
MARKET_CEILING = 0.6

_EVENT_NAMES = {
    "distribution": ("报价分布异常", "bunched bid distributions"),
    "cover": ("陪标特征", "cover-bid patterns"),
    "identical": ("报价相同", "identical bids"),
    "single_bid": ("仅一家投标", "single bids"),
}


@dataclass(frozen=True)
class Params(ScreenParams):
    """The screens' thresholds (:class:`~detectors.prepare.screens.ScreenParams`), then the findings'."""

    min_joint_tenders: int = param(
        3, "count", "fewest tenders two suppliers bid in together before their pair is tested"
    )
    min_flagged_joint: int = param(2, "count", "fewest flagged tenders of a suspicious pair")
    alpha: float = param(0.01, "ratio", "false discovery rate (Benjamini–Hochberg) of the pair test")
    max_bidders: int = param(100, "count", "tenders with more bidders are left out of the pair test")
    min_closure: float = param(
        0.5, "ratio", "share of the less active one's tenders a pair must meet in to be a closed pair"
    )
    min_member_win_share: float = param(
        0.9,
        "ratio",
        "share of a closed group's tenders its members must win when no price screen confirms it",
    )
    max_contact_parties: int = param(
        5,
        "count",
        "a phone, address or account co-bidders share ties them when at most this many parties hold it",
    )
    market_min_member_share: float = param(
        0.8,
        "ratio",
        "share of the bids in its buyers' tenders of its categories a closed group places: their whole market",
    )
    market_max_cv_percentile: float = param(
        0.7,
        "ratio",
        "highest mean cv percentile of a closed group's tenders whose bids are as dispersed as their peers' "
        "(typical 0.5)",
    )
    max_rows: int = param(30, "count", "tenders listed in the evidence")


def tender_screens(snapshot: GraphSnapshot, params: Params | None = None) -> pd.DataFrame:
    """Every tender with bids, its screens, percentiles, fences, flags and score (index: tender id).

    This is the table :func:`run` turns into findings; evaluations rank tenders by
    its ``score`` column. It is built by the prepare step
    (:func:`detectors.prepare.screens.tender_screens`), once per snapshot and parameters.
    """
    return prepare(snapshot).tender_screens(params or Params())


# ---- findings ---------------------------------------------------------------------------
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
    pairs, tested = _pair_tests(snapshot, frame, params)
    rings = _rings(pairs[pairs["suspicious"]]) if not pairs.empty else []
    bids = usable_bids(snapshot, params.max_bidders)
    bids = bids[bids["tender_id"].isin(frame.index)]
    tenders_of = bids.groupby("supplier_id")["tender_id"].agg(list).to_dict()
    currency = str(snapshot.policy.get("currency") or "CNY")
    cells = _buyer_cells(frame) if rings else pd.Series(dtype=object)
    parties = supplier_parties(snapshot) if rings else pd.DataFrame(columns=["supplier_id", "party"])
    findings, in_rings = [], set()
    for members in rings:
        seen = Counter(t for m in members for t in tenders_of.get(m, ()))
        ring_tenders = sorted(t for t, k in seen.items() if k >= 2)
        finding = _ring_finding(
            snapshot, frame, pairs, members, ring_tenders, bids, cells, parties, tested, params, currency
        )
        if finding is not None:
            in_rings.update(ring_tenders)
            findings.append(finding)
    lone = frame[frame["flagged"] & ~frame.index.isin(in_rings)]
    findings += _buyer_findings(snapshot, lone, params, currency)
    findings.sort(key=lambda f: (-f.score, f.subject))
    return findings


def _pair_tests(snapshot: GraphSnapshot, frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, int]:
    """Every pair of suppliers that met in ``min_joint_tenders`` tenders or more, with its screen test.

    Per joint tender, its peer group's flag rate and its screen score against the peer
    group's mean and variance; per pair, the Poisson tail of its flagged joint tenders
    and the normal tail of its summed screen scores, the smaller one doubled (two looks),
    Benjamini–Hochberg adjusted over the pairs tested. Returns the pairs and how many were tested.
    """
    bids = usable_bids(snapshot, params.max_bidders)
    bids = bids[bids["tender_id"].isin(frame.index)]
    if bids.empty:
        return pd.DataFrame(), 0
    tender_codes, tenders = pd.factorize(bids["tender_id"])
    supplier_codes, suppliers = pd.factorize(bids["supplier_id"], sort=True)
    pair_tender, a, b = tender_pairs(tender_codes, supplier_codes)
    screens = frame.reindex(tenders)
    scored = frame[frame["n_bids"] >= 2]
    score_mean = scored.groupby("peer_group")["screen_score"].mean()
    score_var = scored.groupby("peer_group")["screen_score"].var().fillna(0.0)
    group = screens["peer_group"]
    group_codes, _groups = pd.factorize(group)
    flagged = screens["flagged"].to_numpy(dtype=bool)
    excess = (screens["screen_score"] - group.map(score_mean)).fillna(0.0).to_numpy(dtype=float)
    variance = group.map(score_var).fillna(0.0).to_numpy(dtype=float)

    n_sup = len(suppliers)
    key = a.astype(np.int64) * n_sup + b
    keys, inverse, joint = np.unique(key, return_inverse=True, return_counts=True)
    n_keys = len(keys)
    flagged_joint = np.bincount(inverse, flagged[pair_tender].astype(float), n_keys)
    expected = _expected_flags(inverse, group_codes[pair_tender], flagged[pair_tender], group_codes, flagged)
    excess_sum = np.bincount(inverse, excess[pair_tender], n_keys)
    variance_sum = np.bincount(inverse, variance[pair_tender], n_keys)
    # how often each pair would meet if the two chose their tenders at random among their
    # peer groups' tenders: the hypergeometric mean n_a·n_b / T, T the groups' tenders
    bids_of = np.bincount(supplier_codes, minlength=n_sup)
    group_size = np.bincount(group_codes)[group_codes]
    market = np.bincount(inverse, group_size[pair_tender].astype(float), n_keys) / joint
    n_a, n_b = bids_of[keys // n_sup], bids_of[keys % n_sup]
    pairs = pd.DataFrame(
        {
            "a": np.asarray(suppliers)[keys // n_sup],
            "b": np.asarray(suppliers)[keys % n_sup],
            "joint": joint,
            "flagged": flagged_joint.astype(np.int64),
            "expected": expected,
            "closure": joint / np.minimum(n_a, n_b),
            "expected_joint": n_a * n_b / market,
        }
    )
    pairs = pairs[pairs["joint"] >= params.min_joint_tenders].reset_index(drop=True)
    keep = joint >= params.min_joint_tenders
    if pairs.empty:
        return pairs.assign(suspicious=pd.Series(dtype=bool)), 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance_sum[keep] > 0, excess_sum[keep] / np.sqrt(variance_sum[keep]), 0.0)
    p_flag = poisson.sf(pairs["flagged"] - 1, pairs["expected"].clip(lower=1e-12))
    p_score = norm.sf(z)
    pairs["z"] = z
    # Fisher's method: the flags and the scores of the same tenders are two looks, not independent,
    # so the combined tail is conservative only up to that dependence (read q as a screen)
    fisher = -2 * (np.log(np.clip(p_flag, 1e-300, 1.0)) + np.log(np.clip(p_score, 1e-300, 1.0)))
    pairs["p_value"] = chi2.sf(fisher, 4)
    pairs["q_value"] = benjamini_hochberg(pairs["p_value"].to_numpy(dtype=float))
    pairs["shared_contact"] = _shared_contacts(snapshot, pairs, params.max_contact_parties)
    pairs["screened"] = (pairs["q_value"] <= params.alpha) & (pairs["flagged"] >= params.min_flagged_joint)
    # a closed pair: the two meet in most of their tenders, far more often than chance
    cobid_p = poisson.sf(pairs["joint"] - 1, pairs["expected_joint"].clip(lower=1e-12))
    pairs["cobid_q"] = benjamini_hochberg(np.asarray(cobid_p, dtype=float))
    pairs["closed"] = (pairs["cobid_q"] <= params.alpha) & (pairs["closure"] >= params.min_closure)
    pairs["suspicious"] = pairs["screened"] | pairs["closed"] | (pairs["shared_contact"] != "")
    return pairs, len(pairs)


def _shared_contacts(snapshot: GraphSnapshot, pairs: pd.DataFrame, max_parties: int) -> pd.Series:
    """Per pair of co-bidders, the identifiers both hold (``"Phone,Address"``; empty when none).

    Two bidders of one tender with the same phone, address or account are the red flag
    of cardinal's R044; a pivot held by more than ``max_parties`` parties is a hub (a
    business park's address, a switchboard) and ties nothing.
    """
    links = prepare(snapshot).pivot_links
    links = links[links["party"].str.startswith("supplier:") & (links["parties"] <= max_parties)]
    if links.empty or pairs.empty:
        return pd.Series("", index=pairs.index, dtype=object)
    held = links.assign(supplier=links["party"].str.slice(len("supplier:")))[["supplier", "pivot", "kind"]]
    both = held.merge(held, on=["pivot", "kind"])
    both = both[both["supplier_x"] < both["supplier_y"]]
    kinds = both.groupby(["supplier_x", "supplier_y"])["kind"].agg(lambda k: ",".join(sorted(set(k))))
    index = pd.MultiIndex.from_arrays([pairs["a"], pairs["b"]])
    return pd.Series(kinds.reindex(index).fillna("").to_numpy(), index=pairs.index, dtype=object)


def _expected_flags(
    pair: np.ndarray,
    pair_group: np.ndarray,
    pair_flagged: np.ndarray,
    groups: np.ndarray,
    flagged: np.ndarray,
) -> np.ndarray:
    """Flagged joint tenders each pair would have at its peer groups' flag rate, leaving its own tenders out.

    A ring's own rigged tenders would raise the rate it is compared with (in a small
    market, by much), so the rate of each peer group is taken over the tenders the pair
    did not bid in together, add-one smoothed: ``(F − f + 1) / (N − m + 2)``.
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    tenders_in = np.bincount(groups, minlength=n_groups)
    flagged_in = np.bincount(groups, flagged.astype(float), minlength=n_groups)
    cell = pair.astype(np.int64) * n_groups + pair_group
    cells, cell_index, m = np.unique(cell, return_inverse=True, return_counts=True)
    f = np.bincount(cell_index, pair_flagged.astype(float), len(cells))
    g = cells % n_groups
    rate = (flagged_in[g] - f + 1) / (tenders_in[g] - m + 2)
    return np.bincount(cells // n_groups, m * rate, int(pair.max()) + 1 if len(pair) else 0)


def _rings(suspicious: pd.DataFrame) -> list[frozenset[str]]:
    """Connected groups of suspicious pairs, largest first (ties by their first member)."""
    graph = nx.Graph()
    graph.add_edges_from(zip(suspicious["a"], suspicious["b"], strict=True))
    rings = [frozenset(c) for c in nx.connected_components(graph)]
    return sorted(rings, key=lambda c: (-len(c), min(c)))


def _kinds_zh(kinds: str) -> str:
    """Pivot kinds in Chinese: ``"Phone,Address"`` -> ``"电话、地址"``."""
    return "、".join(PIVOT_WORDS.get(k, (k, k))[0] for k in kinds.split(","))


def _gini(values: list[int]) -> float:
    """Gini coefficient of non-negative counts (0 = all equal).

    >>> _gini([3, 3, 3]), round(_gini([9, 0, 0]), 3)
    (0.0, 0.667)
    """
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return float((2 * weighted) / (n * total) - (n + 1) / n)


def _buyer_cells(frame: pd.DataFrame) -> pd.Series:
    """Tender id -> its buying department and category (tenders of a known department only)."""
    known = frame[frame["department_id"].notna()]
    return known["department_id"].astype(str) + "\x1f" + known["category"].astype(str)


def _under_one_control(parties: pd.DataFrame, members: frozenset[str]) -> bool:
    """Whether two members are under one control: one owns the other, or one party owns,
    directs or represents both (:func:`~detectors.prepare.parties.supplier_parties`)."""
    held = parties[parties["supplier_id"].isin(members)]
    return bool(held.groupby("party")["supplier_id"].nunique().ge(2).any())


def _buyers_market(
    frame: pd.DataFrame,
    bids: pd.DataFrame,
    cells: pd.Series,
    members: frozenset[str],
    ring_tenders: list[str],
    winner_of: dict[str, Any],
    params: Params,
) -> dict[str, Any] | None:
    """The facts that show a closed group is its buyers' whole market at ordinary prices, else None.

    The market is every tender of a buying department and category in which the group's
    tenders are (and the group's tenders of unknown buyers); the group must place at least
    ``market_min_member_share`` of its bids, and the mean percentile of its tenders' ``cv``
    among their peers must be at most ``market_max_cv_percentile`` (the peers' typical
    tender is at 0.5, the most bunched at 1): their bids are as dispersed as everybody's.
    """
    rows = frame.loc[ring_tenders]
    scored = rows[rows["n_bids"] >= 2]
    if scored.empty:
        return None
    dispersion = float(scored["p_cv"].mean())
    if dispersion > params.market_max_cv_percentile:
        return None
    ring_cells = set(cells.reindex(ring_tenders).dropna())
    market = set(ring_tenders).union(cells.index[cells.isin(ring_cells)])
    market_bids = bids[bids["tender_id"].isin(market)]
    if market_bids.empty:
        return None
    theirs = market_bids["supplier_id"].isin(members)
    member_share = float(theirs.mean())
    if member_share < params.market_min_member_share:
        return None
    lowest = market_bids.sort_values(["tender_id", "amount"]).drop_duplicates("tender_id")
    lowest_of = dict(zip(lowest["tender_id"], lowest["supplier_id"], strict=True))
    lowest_won = sum(winner_of.get(t) == lowest_of.get(t) for t in ring_tenders) / len(ring_tenders)
    return {
        "buyers": int(rows["department_id"].dropna().nunique()),
        "market_tenders": len(market),
        "member_bid_share": round(member_share, 4),
        "other_suppliers": int(market_bids.loc[~theirs, "supplier_id"].nunique()),
        "mean_cv_percentile": round(dispersion, 4),
        "lowest_won_share": round(lowest_won, 4),
        "min_member_bid_share": params.market_min_member_share,
        "max_mean_cv_percentile": params.market_max_cv_percentile,
    }


def _as_buyers_market(finding: Finding, market: dict[str, Any], members: int) -> Finding:
    """``finding`` said to be its buyers' whole market first, in both languages, and held at medium."""
    others = market["other_suppliers"]
    others_zh = f"其他供应商{others}家" if others else "没有其他供应商"
    others_en = f"{others} other supplier{'s' if others != 1 else ''}" if others else "no other supplier"
    zh = (
        f"本地市场：这{members}家就是其买方在这些类别中的全部投标人——{market['buyers']}个采购部门在这些类别的"
        f"{market['market_tenders']}次招标中，{market['member_bid_share']:.0%}的报价来自这几家（{others_zh}）"
        f"，每次同场是这样的市场本来的样子；报价离散程度与同类招标相当（离散度在同类中的平均"
        f"百分位{market['mean_cv_percentile']:.2f}，典型招标为0.5，最集中为1），没有紧贴中标价的陪标，最低价中标"
        f"{market['lowest_won_share']:.0%}。单凭同场频繁不列为高风险（上限为中风险）。"
    )
    en = (
        f"The buyers' own market: these {members} firms are all the bidders their buyers have in these categories — "
        f"{market['member_bid_share']:.0%} of the bids in the {market['market_tenders']} tenders of these categories "
        f"of the {market['buyers']} buying departments are theirs ({others_en}), so "
        f"meeting every time is what such a market gives. Their bids are as dispersed as their peers' (mean cv "
        f"percentile {market['mean_cv_percentile']:.2f}, the peers' typical tender 0.5, the most bunched 1), with no cover band just above the "
        f"winner, and the lowest bid won {market['lowest_won_share']:.0%}. Meeting often alone is held at medium."
    )
    return replace(
        finding,
        explanation_zh=f"{zh}{finding.explanation_zh}",
        explanation_en=f"{en} {finding.explanation_en}",
        evidence={
            **finding.evidence,
            "ceiling": {"score": MARKET_CEILING, "reason": "buyers_market", **market},
        },
    )


def _ring_finding(
    snapshot: GraphSnapshot,
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    members: frozenset[str],
    ring_tenders: list[str],
    bids: pd.DataFrame,
    cells: pd.Series,
    parties: pd.DataFrame,
    tested: int,
    params: Params,
    currency: str,
) -> Finding | None:
    """The ring's finding, or None for a closed group whose outsiders win (competitive co-bidders)."""
    inside = pairs[pairs["a"].isin(members) & pairs["b"].isin(members)]
    screened = inside[inside["screened"]].sort_values("q_value")
    closed = inside[inside["closed"]].sort_values(["cobid_q", "closure"], ascending=[True, False])
    sharing = inside[inside["shared_contact"] != ""]
    rows = frame.loc[ring_tenders]
    winners = rows["winner_id"].where(rows["winner_id"].notna(), None)
    lowest = bids[bids["tender_id"].isin(ring_tenders)].sort_values(["tender_id", "amount"])
    lowest = lowest.drop_duplicates("tender_id").set_index("tender_id")["supplier_id"]
    winner_of = {t: (w if isinstance(w, str) else lowest.get(t)) for t, w in winners.items()}
    wins = dict.fromkeys(members, 0)
    for w in winner_of.values():
        if w in wins:
            wins[w] += 1
    n_tenders, n_flagged = len(ring_tenders), int(rows["flagged"].sum())
    member_win_share = sum(wins.values()) / n_tenders if n_tenders else 0.0
    if screened.empty and sharing.empty and member_win_share < params.min_member_win_share:
        # firms that always meet but whose tenders outsiders win too, at ordinary prices: competitors
        return None
    won_value = float(
        sum(
            float(rows.at[t, "winning_amount"])
            for t, w in winner_of.items()
            if w in wins and pd.notna(rows.at[t, "winning_amount"])
        )
    )
    gini = _gini(list(wins.values()))
    rotation = member_win_share * (1 - gini)
    screen_q = float(screened["q_value"].iloc[0]) if not screened.empty else None
    closure = float(closed["closure"].iloc[0]) if not closed.empty else 0.0
    score = (
        0.4
        + 0.15 * closure
        + 0.25 * (min(1.0, -math.log10(max(screen_q, 1e-300)) / 10) if screen_q is not None else 0.0)
        + 0.1 * rotation
        + 0.1 * (not sharing.empty)
    )
    ordered_members = sorted(members, key=lambda m: (-wins[m], m))
    # ties in tender id order: the same data lists the same tenders in the same order on every run
    listed = (
        rows.assign(_flag=~rows["flagged"])
        .sort_index()
        .sort_values(["_flag", "score"], ascending=[True, False], kind="stable")
    )
    listed = listed.head(params.max_rows)
    departments = rows["department_id"].dropna().astype(str).value_counts()
    categories = rows["category"].astype(str).value_counts()
    evidence_zh, evidence_en = [], []
    if not closed.empty:
        c = closed.iloc[0]
        evidence_zh.append(
            f"最紧密的一对{c['a']}与{c['b']}同场{int(c['joint'])}次，占其中投标较少一方的{float(c['closure']):.0%}，"
            f"若各自随机参与同类招标预计仅{float(c['expected_joint']):.1f}次（同场检验校正后q={float(c['cobid_q']):.1e}）"
        )
        evidence_en.append(
            f"the closest pair, {c['a']} and {c['b']}, met {int(c['joint'])} times, in {float(c['closure']):.0%} of "
            f"the tenders of the less active one, where bidding at random in their peers' tenders gives "
            f"{float(c['expected_joint']):.1f} (co-bidding test, BH-adjusted q = {float(c['cobid_q']):.1e})"
        )
    if not screened.empty:
        t = screened.iloc[0]
        evidence_zh.append(
            f"其中{n_flagged}次报价筛查异常（陪标、报价过于接近或相同）；最可疑的一对{t['a']}与{t['b']}异常"
            f"{int(t['flagged'])}次，按同类招标的异常率预计仅{float(t['expected']):.1f}次（配对检验，{tested}对中"
            f"校正后q={screen_q:.1e}）"
        )
        evidence_en.append(
            f"{n_flagged} of them with rigged-looking bids (cover bids, bids too close or identical); the most "
            f"suspicious pair, {t['a']} and {t['b']}, had {int(t['flagged'])} flagged where their peers' flag rate "
            f"predicts {float(t['expected']):.1f} (pair test, BH-adjusted q = {screen_q:.1e} over {tested} pairs)"
        )
    else:
        evidence_zh.append("报价分布本身未见异常")
        evidence_en.append("the bids themselves look ordinary")
    if not sharing.empty:
        evidence_zh.append(
            "成员之间共用联系方式："
            + "、".join(f"{r.a}与{r.b}（{_kinds_zh(r.shared_contact)}）" for r in sharing.itertuples())
        )
        evidence_en.append(
            "members share contact details: "
            + ", ".join(
                f"{r.a} and {r.b} ({r.shared_contact.replace(',', ', ').lower()})"
                for r in sharing.itertuples()
            )
        )

    def names(lang: str) -> str:
        sep = "、" if lang == "zh" else ", "
        return sep.join(
            f"{snapshot.name('Supplier', m)}（{m}）"
            if lang == "zh"
            else f"{snapshot.name('Supplier', m)} ({m})"
            for m in ordered_members
        )

    def win_text(lang: str) -> str:
        if lang == "zh":
            return "、".join(f"{snapshot.name('Supplier', m)}{wins[m]}次" for m in ordered_members)
        return ", ".join(f"{snapshot.name('Supplier', m)} {wins[m]}" for m in ordered_members)

    zh = (
        f"供应商{names('zh')}（{len(members)}家）在{n_tenders}次招标中至少两家同场投标：{'；'.join(evidence_zh)}。"
        f"成员中标{sum(wins.values())}次（占{member_win_share:.0%}，合计{money(won_value, currency, 'zh')}），"
        f"轮流中标：{win_text('zh')}（基尼系数{gini:.2f}）。主要涉及"
        f"{'、'.join(snapshot.name('Department', d) for d in departments.index[:3]) or '未知部门'}，"
        f"类别{'、'.join(categories.index[:3])}。"
    )
    en = (
        f"Suppliers {names('en')} ({len(members)} firms) bid together, two or more at a time, in {n_tenders} "
        f"tenders: {'; '.join(evidence_en)}. Members won {sum(wins.values())} of them ({member_win_share:.0%}, "
        f"{money(won_value, currency, 'en')} in all), in turn: {win_text('en')} (Gini {gini:.2f}). Buyers: "
        f"{', '.join(snapshot.name('Department', d) for d in departments.index[:3]) or 'unknown'}; "
        f"categories {', '.join(categories.index[:3])}."
    )
    tender_keys = [entity_key("Tender", t) for t in listed.index]
    member_keys = [entity_key("Supplier", m) for m in ordered_members]
    finding = Finding(
        detector=DETECTOR.id,
        subject="ring|" + "|".join(sorted(members)),
        score=float(min(1.0, score)),
        entities=(*member_keys, *tender_keys),
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "ring",
            "metrics": {
                "members": len(members),
                "tenders": n_tenders,
                "flagged_tenders": n_flagged,
                "member_win_share": round(member_win_share, 4),
                "value_won": won_value,
                "wins": {m: wins[m] for m in ordered_members},
                "gini": round(gini, 4),
                "rotation": round(rotation, 4),
                "departments": departments.head(10).to_dict(),
                "categories": categories.head(10).to_dict(),
                "pairs": [
                    {
                        "a": r.a,
                        "b": r.b,
                        "joint": int(r.joint),
                        "flagged": int(r.flagged),
                        "expected": round(float(r.expected), 3),
                        "z": round(float(r.z), 3),
                        "q_value": float(r.q_value),
                        "closure": round(float(r.closure), 4),
                        "expected_joint": round(float(r.expected_joint), 4),
                        "cobid_q": float(r.cobid_q),
                        "screened": bool(r.screened),
                        "closed": bool(r.closed),
                        "shared_contact": r.shared_contact,
                    }
                    for r in inside.sort_values(["q_value", "cobid_q"])
                    .head(params.max_rows)
                    .itertuples(index=False)
                ],
            },
            "thresholds": _thresholds(params, tested),
            "rows": [_tender_row(t, r, winner_of.get(t), currency) for t, r in listed.iterrows()],
            "subgraph": [*member_keys, *tender_keys[:20]],
        },
    )
    # only the co-bidding look found it: meeting every time may be all a small market can do
    market = (
        _buyers_market(frame, bids, cells, members, ring_tenders, winner_of, params)
        if screened.empty and sharing.empty and not _under_one_control(parties, members)
        else None
    )
    return finding if market is None else _as_buyers_market(finding, market, len(members))


def _buyer_findings(
    snapshot: GraphSnapshot, lone: pd.DataFrame, params: Params, currency: str
) -> list[Finding]:
    """Flagged tenders whose bidders form no ring: one low note per buying department."""
    if lone.empty:
        return []
    lone = lone.assign(_buyer=lone["department_id"].astype(object).where(lone["department_id"].notna(), None))
    out = []
    for buyer, rows in lone.groupby(lone["_buyer"].fillna(UNKNOWN_BUYER), sort=True):
        rows = rows.sort_index().sort_values("score", ascending=False, kind="stable")
        identical = int(rows["identical"].sum())
        score = LONE_IDENTICAL_SCORE if identical else LONE_SCORE
        listed = rows.head(params.max_rows)
        dept = snapshot.name("Department", str(buyer)) if buyer != UNKNOWN_BUYER else "未知部门"
        dept_en = dept if buyer != UNKNOWN_BUYER else "an unknown buyer"
        kinds = {k: int(rows[k].sum()) for k in ("distribution", "cover", "identical", "single_bid")}
        kinds_zh = "、".join(f"{_EVENT_NAMES[k][0]}{v}次" for k, v in kinds.items() if v)
        kinds_en = ", ".join(f"{v} {_EVENT_NAMES[k][1]}" for k, v in kinds.items() if v)
        zh = (
            f"部门{dept}的{len(rows)}次招标报价筛查异常（{kinds_zh}），但这些招标的投标人并未在其他异常招标中反复同场，"
            f"不构成围标团伙：单次招标的筛查只是线索，按采购部门汇总为一条低风险提示。"
            f"最可疑：{'、'.join(str(t) for t in listed.index[:5])}。"
        )
        en = (
            f"{len(rows)} tenders of {dept_en} have rigged-looking bids ({kinds_en}), but their bidders do not meet "
            f"again in other flagged tenders, so no ring stands out: one tender's screens are a lead, gathered here "
            f"per buyer as one low-risk note. Most suspicious: {', '.join(str(t) for t in listed.index[:5])}."
        )
        tender_keys = [entity_key("Tender", t) for t in listed.index]
        lead = [entity_key("Department", str(buyer))] if buyer != UNKNOWN_BUYER else []
        out.append(
            Finding(
                detector=DETECTOR.id,
                subject=f"buyer|{buyer}",
                score=score,
                entities=(*lead, *tender_keys),
                explanation_zh=zh,
                explanation_en=en,
                evidence={
                    "rule": "buyer",
                    "metrics": {"tenders": len(rows), **kinds},
                    "thresholds": _thresholds(params, None),
                    "rows": [_tender_row(t, r, r["winner_id"], currency) for t, r in listed.iterrows()],
                    "subgraph": [*lead, *tender_keys[:20]],
                },
            )
        )
    return out


def _thresholds(params: Params, tested: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "min_joint_tenders": params.min_joint_tenders,
        "min_flagged_joint": params.min_flagged_joint,
        "alpha": params.alpha,
        "fence_iqr": params.fence_iqr,
        "shape_percentile": params.shape_percentile,
        "min_bids": params.min_bids,
        "cover_max_gap": params.cover_max_gap,
        "cover_max_loser_cv": params.cover_max_loser_cv,
    }
    if tested is not None:
        out["pairs_tested"] = tested
    return out


def _tender_row(tender_id: str, row: pd.Series, winner: Any, currency: str) -> dict[str, Any]:
    """One tender of the evidence: its bids' shape and the screens that fired."""
    return {
        "tender_id": str(tender_id),
        "category": str(row["category"]),
        "department_id": None if pd.isna(row["department_id"]) else str(row["department_id"]),
        "n_bids": int(row["n_bids"]),
        "winner": winner if isinstance(winner, str) else None,
        "winning_amount": _num(row["winning_amount"]),
        "currency": currency,
        "cv": _num(row["cv"]),
        "diffp": _num(row["diffp"]),
        "rd": _num(row["rd"]),
        "award_ratio": _num(row["award_ratio"]),
        "screen_score": round(float(row["screen_score"]), 4),
        "score": round(float(row["score"]), 4),
        "flagged": bool(row["flagged"]),
        "fired": _fired(row) + [name for name in ("cover", "identical", "single_bid") if bool(row[name])],
    }


def _fired(row: pd.Series) -> list[str]:
    return [s for s in SCREENS if bool(row[f"fires_{s}"])]


DETECTOR = Detector(
    id="bid_rigging",
    title_zh="围标串标团伙（报价筛查）",
    title_en="Bid-rigging rings from bid screens",
    family="bidding",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

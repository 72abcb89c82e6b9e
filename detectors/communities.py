"""Co-bidding communities: groups of suppliers that keep bidding together and take turns winning.

Summary
-------
Builds the network of suppliers that bid in the same tenders, finds its Louvain
communities and flags the groups that are cohesive and exclusive (Wachs &
Kertész 2019) *and* behave like a cartel inside: winners rotate, one member
keeps beating the same partner, or the group's tenders carry bid-rigging screens.

Methodology
-----------
**Graph.** One node per supplier; an edge joins two suppliers with weight = the
tenders both bid in. Pairs that met fewer than ``min_edge_weight`` times and
tenders with more than ``max_bidders`` bidders (whose pairs say little and grow
quadratically) are left out. Louvain (see :mod:`detectors.community_engines`;
``engine``, ``seed``, ``resolution``; by default its Leiden refinement, which keeps
every community connected) splits the graph into communities. Louvain
cannot resolve a small tight group inside a larger trade (its resolution limit),
so every community whose density is below ``refine_below`` (by default every one
that is not a clique) is split again by Louvain on its own edges, up to three
times — and the split is kept only where one of the pieces scores higher than the
whole: each group is judged at the level where it is most suspicious (a large
cartel stays whole, a rotating trio inside a trade of fifteen comes out on its own).

**Structure** of a community *S* with ``|S| ≥ min_members``:

* *community tenders* ``T`` — tenders where at least two members bid;
* ``exclusivity = W_in / (W_in + W_out)`` — the share of the members' co-bidding
  that stays inside *S* (``W_in``: shared tenders of member pairs, ``W_out``: shared
  tenders of a member with a non-member; here every pair counts, also those
  lighter than ``min_edge_weight``);
* ``cohesion`` — the density of *S* in the graph: the share of member pairs that
  bid together at least ``min_edge_weight`` times (1: every pair meets repeatedly);
* ``structure = √(cohesion · exclusivity)``.

**Conduct** inside *S*, over its community tenders:

* ``member_win_share`` — share of community tenders won by a member; ``gini`` —
  Gini coefficient of the members' wins. *Bid rotation* (N03) fires when
  ``|T| ≥ min_tenders``, ``gini ≤ rotation_max_gini`` and ``member_win_share ≥ 0.5``;
  ``rotation = member_win_share · (1 − gini)``;
* *recurrent winner* (N02) — an internal pair with at least ``recurrent_min_cobids``
  joint tenders in which one of the two won at least ``recurrent_min_share`` of
  them; ``recurrent`` = the share of such pairs among the group's pairs with at
  least ``recurrent_min_cobids`` joint tenders (one such pair turns up by chance
  in any large group; most pairs of a group do not);
* ``screens`` — the mean bid-rigging screen score
  (:func:`detectors.bid_rigging.tender_screens`) of the community tenders, and the
  share of them that the bid-rigging detector flags.

``score = structure · (0.6 · screen_term + 0.4 · max(rotation, recurrent))`` with
``screen_term = clip((screens − 0.5) / 0.3, 0, 1)`` (0.5 is a typical tender; 0.8
and above counts in full). Co-bidding and turn-taking alone therefore reach at most
0.4, the default reporting bar: competitors who often meet and each win their share
look the same as a rotation until their prices say otherwise. A community is reported when its score is above
``min_score``; communities are ranked by score, then by the value its members won
in flagged tenders (``flagged_value``).

Example
-------
宏远电工, 天成电缆, 顺达电线 and 海川电气 bid together in 10 tenders and with nobody
else (cohesion 1.00, exclusivity 1.00); each wins two or three of them (Gini 0.10)
while the other three bid 1.2–2 % above the winner (mean screen score 0.88, every
one of the 10 tenders flagged by the bid-rigging screens) → score 0.96, high. The
same four firms meeting as often with ordinary, scattered prices and the lowest
bid winning score 0.28: not reported.

Why is this a red flag?
-----------------------
A cartel needs its members to meet again and again and to keep outsiders out:
groups with high cohesion and exclusivity are the ones that can sustain collusion
(Wachs & Kertész 2019 find the Hungarian school-milk cartel this way). Inside such a
group, bid rotation — each member winning in turn while the others submit cover
bids — is the textbook scheme of the OECD bid-rigging checklist.

Based on
--------
INDICATORS N01 (co-bid communities: Wachs & Kertész 2019, Sci. Rep. 9:10818; Louvain
as in Lyra et al. 2021), N02 (recurrent winner among co-bidding pairs, OCP R053),
N03 (bid rotation, OCP R057; OECD Guidelines for Fighting Bid Rigging), C14 for
the screens.

Output
------
One finding per reported community. Entities: its suppliers, the strongest first.
Evidence: ``metrics`` (members, size, tenders, cohesion, exclusivity, structure,
member_win_share, gini, rotation, recurrent, screen_score, flagged_share, value,
flagged_value, engine, modularity, rank), ``thresholds``, ``rows`` (the members with
their co-bids and wins, and the strongest pairs) and ``subgraph`` (members and up
to 20 community tenders). Subject: the ids of the (up to) three members with the
most internal co-bidding weight, so the alert survives peripheral members joining
or leaving.

Configuration
-------------
See the parameter table: ``engine`` (leiden, igraph, python-louvain, networkx, gds on a
Neo4j server with GDS, or auto),
``seed``, ``resolution`` and ``refine_below`` (ratio), ``min_edge_weight``, ``max_bidders``,
``min_members``, ``min_tenders``, ``recurrent_min_cobids`` (count),
``rotation_max_gini``, ``recurrent_min_share``, ``min_score`` (ratio), ``max_rows`` (count).

Exclusions
----------
Bids without a positive amount; tenders with one bidder or more than
``max_bidders``; pairs that met fewer than ``min_edge_weight`` times; communities
smaller than ``min_members`` or with fewer than two community tenders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from detectors.base import Detector, Finding, money, param
from detectors.community_engines import (
    DEFAULT_ENGINE,
    Partition,
    WeightedGraph,
    canonical_membership,
    louvain,
    modularity,
)
from detectors.prepare import prepare
from detectors.prepare.cobidding import tender_pairs as _pairs
from detectors.prepare.cobidding import tender_winners as _tender_winners
from detectors.prepare.cobidding import usable_bids as _usable_bids
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = [
    "DETECTOR",
    "CoBidding",
    "CommunityTable",
    "Params",
    "cobidding_graph",
    "community_table",
    "gini_by_group",
    "run",
]


@dataclass(frozen=True)
class Params:
    engine: str = param(
        DEFAULT_ENGINE,
        "name",
        "community engine: leiden, igraph, python-louvain (the reference), networkx, gds or auto",
    )
    seed: int = param(42, "seed", "random seed of the Louvain run")
    resolution: float = param(1.0, "ratio", "Louvain resolution (above 1: smaller communities)")
    min_edge_weight: int = param(2, "count", "fewest shared tenders for two suppliers to be linked")
    max_bidders: int = param(100, "count", "tenders with more bidders are left out of the graph")
    min_members: int = param(3, "count", "fewest suppliers in a reported community")
    refine_below: float = param(
        1.0, "ratio", "communities with a lower density are tried again on their own edges (0: never)"
    )
    min_tenders: int = param(6, "count", "fewest community tenders for bid rotation to fire")
    rotation_max_gini: float = param(0.2, "ratio", "largest Gini of the members' wins for bid rotation")
    recurrent_min_cobids: int = param(3, "count", "fewest joint tenders of a pair for a recurrent winner")
    recurrent_min_share: float = param(0.9, "ratio", "share of joint tenders one of the pair must win")
    min_score: float = param(0.4, "ratio", "communities scoring above this are reported")
    max_rows: int = param(30, "count", "members and pairs listed in the evidence")


@dataclass(frozen=True)
class CoBidding:
    """The co-bidding graph and the bids behind it."""

    graph: WeightedGraph
    bids: pd.DataFrame  # tender_id, supplier_id, node (index in graph.labels or -1), amount, is_winner
    pair_wins: pd.DataFrame  # src, dst, weight, wins_src, wins_dst (node indices)
    strength_all: np.ndarray  # per node: shared tenders with anyone, light pairs included
    light_pairs: pd.DataFrame  # src, dst, weight: pairs of graph nodes below min_edge_weight
    winners: pd.Series | None = None  # winner per tender (sorting the bids for it is costly: once)


def cobidding_graph(snapshot: GraphSnapshot, params: Params) -> CoBidding:
    """The weighted co-bidding graph of suppliers, built without a Python loop over tenders."""
    bids = _usable_bids(snapshot, params.max_bidders)
    empty = WeightedGraph((), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if bids.empty:
        no_pairs = pd.DataFrame({"src": [], "dst": [], "weight": []})
        return CoBidding(
            empty,
            bids.assign(node=pd.Series(dtype=np.int64)),
            pd.DataFrame(),
            np.zeros(0),
            no_pairs,
            _tender_winners(bids),
        )
    tender_codes, tenders = pd.factorize(bids["tender_id"])
    supplier_codes, suppliers = pd.factorize(bids["supplier_id"], sort=True)
    pair_tender, a, b = _pairs(tender_codes, supplier_codes)
    n_sup = len(suppliers)
    key = a.astype(np.int64) * n_sup + b
    unique_keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)

    winners = _tender_winners(bids)
    winner_code = pd.Index(suppliers).get_indexer(winners.reindex(tenders).to_numpy())
    pair_winner = winner_code[pair_tender]
    wins_a = np.bincount(inverse, (pair_winner == a).astype(float), len(unique_keys))
    wins_b = np.bincount(inverse, (pair_winner == b).astype(float), len(unique_keys))

    keep = counts >= params.min_edge_weight
    ea, eb = unique_keys[keep] // n_sup, unique_keys[keep] % n_sup
    used = np.unique(np.concatenate([ea, eb]))
    node_of = np.full(n_sup, -1, dtype=np.int64)
    node_of[used] = np.arange(len(used))
    graph = WeightedGraph(
        tuple(str(s) for s in suppliers[used]), node_of[ea], node_of[eb], counts[keep].astype(float)
    )
    # exclusivity counts all co-bidding, also the pairs too light to be edges of the graph
    all_a, all_b = unique_keys // n_sup, unique_keys % n_sup
    strength_all = np.bincount(node_of[all_a][node_of[all_a] >= 0], counts[node_of[all_a] >= 0], len(used))
    strength_all += np.bincount(node_of[all_b][node_of[all_b] >= 0], counts[node_of[all_b] >= 0], len(used))
    light = ~keep & (node_of[all_a] >= 0) & (node_of[all_b] >= 0)
    light_pairs = pd.DataFrame(
        {"src": node_of[all_a[light]], "dst": node_of[all_b[light]], "weight": counts[light]}
    )
    pair_wins = pd.DataFrame(
        {
            "src": node_of[ea],
            "dst": node_of[eb],
            "weight": counts[keep],
            "wins_src": wins_a[keep],
            "wins_dst": wins_b[keep],
        }
    )
    return CoBidding(
        graph,
        bids.assign(node=node_of[supplier_codes]),
        pair_wins,
        strength_all.astype(float),
        light_pairs,
        winners,
    )


def refine(graph: WeightedGraph, partition: Partition, params: Params) -> Partition:
    """Split loose communities again, by Louvain on their own edges, until each is dense or indivisible.

    Louvain cannot resolve a small tight group inside a larger market (its
    resolution limit): a rotating trio among fifteen firms of one trade comes out as
    one loose community of fifteen. A community whose density (share of member pairs
    linked) is below ``refine_below`` is therefore split on its internal edges, up to
    three times; the pieces keep the engine and the seed.
    """
    if params.refine_below <= 0 or graph.n_edges == 0:
        return partition
    membership = partition.membership.copy()
    seconds = partition.seconds
    for _depth in range(3):
        n_comm = int(membership.max()) + 1
        size = np.bincount(membership, minlength=n_comm)
        inside = membership[graph.src] == membership[graph.dst]
        links = np.bincount(membership[graph.src][inside], minlength=n_comm)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(size > 1, links / (size * (size - 1) / 2), 1.0)
        loose = np.flatnonzero((density < params.refine_below) & (size > params.min_members))
        split_any = False
        for community in loose.tolist():
            nodes = np.flatnonzero(membership == community)
            local = np.full(graph.n_nodes, -1, dtype=np.int64)
            local[nodes] = np.arange(len(nodes))
            keep = (local[graph.src] >= 0) & (local[graph.dst] >= 0)
            sub = WeightedGraph(
                tuple(graph.labels[i] for i in nodes.tolist()),
                local[graph.src[keep]],
                local[graph.dst[keep]],
                graph.weight[keep],
            )
            pieces = louvain(sub, partition.engine, seed=partition.seed, resolution=params.resolution)
            seconds += pieces.seconds
            if pieces.n_communities < 2:
                continue
            split_any = True
            # the largest piece keeps the number, the others are appended
            membership[nodes] = np.where(
                pieces.membership == 0, community, int(membership.max()) + pieces.membership
            )
        if not split_any:
            break
    membership = canonical_membership(pd.factorize(membership)[0], graph.labels)
    return Partition(
        engine=partition.engine,
        seed=partition.seed,
        membership=membership,
        modularity=modularity(graph, membership, params.resolution),
        seconds=seconds,
    )


def gini_by_group(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Gini coefficient of ``values`` within each group (NaN for a group whose values sum to 0).

    >>> gini_by_group(np.array([0, 0, 0, 1, 1]), np.array([5.0, 5, 5, 0, 10]), 2).round(3).tolist()
    [0.0, 0.5]
    """
    order = np.lexsort((values, groups))
    g, x = groups[order], values[order].astype(float)
    n = np.bincount(g, minlength=n_groups).astype(float)
    start = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    rank = np.arange(len(g)) - start[g] + 1
    total = np.bincount(g, x, n_groups)
    weighted = np.bincount(g, rank * x, n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 2 * weighted / (n * total) - (n + 1) / n, np.nan)


class CommunityTable(NamedTuple):
    """Everything :func:`community_table` finds.

    ``communities``: one row per community, indexed by its number, sorted by rank;
    ``members``: one row per supplier of the graph (its community, co-bidding, wins);
    ``tenders``: one row per (tender, community) where at least two members bid.
    """

    communities: pd.DataFrame
    members: pd.DataFrame
    partition: Partition
    cobidding: CoBidding
    tenders: pd.DataFrame


def community_table(
    snapshot: GraphSnapshot, params: Params, screens: pd.DataFrame | None = None
) -> CommunityTable:
    """Every community with its structure, conduct and score, and every member with its community.

    ``screens`` is the tender screens table of the same snapshot (the prepare step's,
    with the run's ``bid_rigging`` settings) when not given.
    """
    cob = cobidding_graph(snapshot, params)
    graph = cob.graph
    screens = prepare(snapshot).tender_screens() if screens is None else screens
    partition = louvain(graph, params.engine, seed=params.seed, resolution=params.resolution)
    if graph.n_nodes == 0:
        empty = pd.DataFrame(columns=["size", "score", "rank"])
        no_tenders = pd.DataFrame(columns=["tender_id", "community"])
        return CommunityTable(
            empty, pd.DataFrame(columns=["community", "strength_in"]), partition, cob, no_tenders
        )
    table, members, tenders = _score(cob, partition, screens, params)
    refined = refine(graph, partition, params)
    if refined.n_communities > partition.n_communities:
        partition = _judged_at_best_level(
            graph, partition, table, refined, _score(cob, refined, screens, params)[0]
        )
        table, members, tenders = _score(cob, partition, screens, params)
    return CommunityTable(table, members, partition, cob, tenders)


def _judged_at_best_level(
    graph: WeightedGraph,
    coarse: Partition,
    coarse_table: pd.DataFrame,
    fine: Partition,
    fine_table: pd.DataFrame,
) -> Partition:
    """Keep each Louvain community whole unless one of its refined pieces scores higher than it."""
    best_piece = (
        pd.Series(fine_table["score"].reindex(fine.membership).to_numpy()).groupby(coarse.membership).max()
    )
    split = best_piece > coarse_table["score"].reindex(best_piece.index)
    use_fine = split.reindex(coarse.membership).to_numpy()
    # pieces of split communities get numbers after the whole ones
    membership = np.where(use_fine, coarse.membership.max() + 1 + fine.membership, coarse.membership)
    membership = canonical_membership(pd.factorize(membership)[0], graph.labels)
    return Partition(
        engine=coarse.engine,
        seed=coarse.seed,
        membership=membership,
        modularity=modularity(graph, membership),
        seconds=coarse.seconds + fine.seconds,
    )


def _score(
    cob: CoBidding, partition: Partition, screens: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Structure, conduct and score of every community of ``partition``, and its members."""
    graph = cob.graph
    m = partition.membership
    n_comm = partition.n_communities
    size = np.bincount(m, minlength=n_comm)
    inside = m[graph.src] == m[graph.dst]
    w = graph.weight
    w_in = np.bincount(m[graph.src][inside], w[inside], n_comm)
    light = cob.light_pairs
    light_inside = m[light["src"].to_numpy()] == m[light["dst"].to_numpy()]
    light_in = np.bincount(
        m[light["src"].to_numpy()][light_inside], light["weight"].to_numpy()[light_inside], n_comm
    )
    # every shared tender of a member counts: w_out = members' total co-bidding minus inside pairs
    w_all_in = w_in + light_in
    w_out = np.bincount(m, cob.strength_all, n_comm) - 2 * w_all_in
    strength_in = np.bincount(graph.src[inside], w[inside], graph.n_nodes) + np.bincount(
        graph.dst[inside], w[inside], graph.n_nodes
    )

    # community tenders: at least two members bid
    in_graph = cob.bids[cob.bids["node"] >= 0]
    # bids per (tender, community) on one integer key, tenders coded in sorted order so the rows
    # come out as a group-by on the two columns gives them: that group-by on string tender ids
    # was a tenth of this detector at 1 M contracts
    tender_code, tender_ids = pd.factorize(in_graph["tender_id"], sort=True)
    key = tender_code.astype(np.int64) * max(n_comm, 1) + m[in_graph["node"].to_numpy()]
    keys, members_bidding = np.unique(key, return_counts=True)
    keys = keys[members_bidding >= 2]
    community_tenders = pd.DataFrame(
        {
            "tender_id": np.asarray(tender_ids, dtype=object)[keys // max(n_comm, 1)],
            "community": keys % max(n_comm, 1),
        }
    )
    n_tenders = np.bincount(community_tenders["community"], minlength=n_comm)

    winners = cob.winners if cob.winners is not None else _tender_winners(cob.bids)
    node_index = pd.Index(graph.labels)
    community_tenders["winner"] = community_tenders["tender_id"].map(winners)
    winner_node = node_index.get_indexer(community_tenders["winner"].to_numpy())
    won_inside = (winner_node >= 0) & (m[np.maximum(winner_node, 0)] == community_tenders["community"])
    community_tenders["member_won"] = won_inside
    member_wins = np.bincount(winner_node[won_inside], minlength=graph.n_nodes).astype(float)
    inside_wins = np.bincount(community_tenders["community"][won_inside], minlength=n_comm)

    if screens.empty:
        community_tenders["screen_score"] = np.nan
        community_tenders["screen_flagged"] = False
        community_tenders["value"] = 0.0
    else:
        ct_index = community_tenders["tender_id"]
        community_tenders["screen_score"] = ct_index.map(screens["screen_score"]).to_numpy()
        community_tenders["screen_flagged"] = ct_index.map(screens["flagged"]).fillna(False).astype(bool)
        community_tenders["value"] = ct_index.map(screens["winning_amount"]).fillna(0.0).to_numpy()
    won_value = community_tenders["value"].where(community_tenders["member_won"], 0.0)
    grouped = community_tenders.assign(won_value=won_value).groupby("community")
    screen_mean = grouped["screen_score"].mean().reindex(range(n_comm)).to_numpy()
    flagged_share = grouped["screen_flagged"].mean().reindex(range(n_comm)).fillna(0.0).to_numpy()
    value = grouped["won_value"].sum().reindex(range(n_comm)).fillna(0.0).to_numpy()
    flagged_value = (
        community_tenders[community_tenders["screen_flagged"]]
        .assign(won_value=won_value)
        .groupby("community")["won_value"]
        .sum()
        .reindex(range(n_comm))
        .fillna(0.0)
        .to_numpy()
    )

    with np.errstate(divide="ignore", invalid="ignore"):
        pairs_possible = size * (size - 1) / 2
        links_in = np.bincount(m[graph.src][inside], minlength=n_comm)
        cohesion = np.where(pairs_possible > 0, links_in / pairs_possible, 0.0)
        exclusivity = np.where(w_all_in + w_out > 0, w_all_in / (w_all_in + w_out), 0.0)
        member_win_share = np.where(n_tenders > 0, inside_wins / n_tenders, 0.0)
    gini = gini_by_group(m, member_wins, n_comm)
    structure = np.sqrt(cohesion * exclusivity)
    enough = n_tenders >= params.min_tenders
    rotation = np.where(enough, member_win_share * (1 - np.nan_to_num(gini, nan=1.0)), 0.0)
    rotation_fires = enough & (gini <= params.rotation_max_gini) & (member_win_share >= 0.5)

    pw = cob.pair_wins
    internal = pw[m[pw["src"].to_numpy()] == m[pw["dst"].to_numpy()]]
    qualifying = internal[internal["weight"] >= params.recurrent_min_cobids]
    share = np.maximum(qualifying["wins_src"], qualifying["wins_dst"]) / qualifying["weight"]
    # the share of the group's regular pairs where one side keeps winning: one such pair
    # turns up by chance in any large group, most pairs of a group do not
    pair_is_recurrent = pd.Series(
        (share >= params.recurrent_min_share).to_numpy(dtype=float), index=m[qualifying["src"].to_numpy()]
    )
    recurrent = pair_is_recurrent.groupby(level=0).mean().reindex(range(n_comm)).fillna(0.0).to_numpy()
    recurrent_pairs = pair_is_recurrent.groupby(level=0).sum().reindex(range(n_comm)).fillna(0).to_numpy()
    recurrent_fires = recurrent_pairs > 0

    screen_term = np.clip((np.nan_to_num(screen_mean, nan=0.5) - 0.5) / 0.3, 0.0, 1.0)
    pattern = np.maximum(rotation, recurrent)
    eligible = (size >= params.min_members) & (n_tenders >= 2)
    score = np.where(eligible, structure * (0.6 * screen_term + 0.4 * pattern), 0.0)

    communities = pd.DataFrame(
        {
            "size": size,
            "tenders": n_tenders,
            "w_in": w_in,
            "w_out": w_out,
            "cohesion": cohesion,
            "exclusivity": exclusivity,
            "structure": structure,
            "member_win_share": member_win_share,
            "gini": gini,
            "rotation": rotation,
            "rotation_fires": rotation_fires,
            "recurrent": recurrent,
            "recurrent_pairs": recurrent_pairs.astype(np.int64),
            "recurrent_fires": recurrent_fires,
            "screen_score": screen_mean,
            "flagged_share": flagged_share,
            "value": value,
            "flagged_value": flagged_value,
            "eligible": eligible,
            "score": np.clip(score, 0.0, 1.0),
        },
        index=pd.RangeIndex(n_comm, name="community"),
    )
    communities = communities.sort_values(
        ["score", "flagged_value", "size"], ascending=[False, False, False], kind="stable"
    )
    communities["rank"] = np.arange(1, n_comm + 1)
    members = pd.DataFrame(
        {
            "community": m,
            "strength_in": strength_in,
            "strength": np.bincount(graph.src, w, graph.n_nodes) + np.bincount(graph.dst, w, graph.n_nodes),
            "wins": member_wins,
        },
        index=pd.Index(graph.labels, name="supplier_id"),
    )
    members["community_score"] = members["community"].map(communities["score"])
    members["community_rank"] = members["community"].map(communities["rank"])
    members = members.sort_values(["community_rank", "strength_in"], ascending=[True, False], kind="stable")
    return communities, members, community_tenders


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    communities, members, partition, cob, community_tenders = community_table(snapshot, params)
    if communities.empty:
        return []
    reported = communities[communities["eligible"] & (communities["score"] > params.min_score)]
    tenders_of = dict(tuple(community_tenders.groupby("community")))
    graph = cob.graph
    pw = cob.pair_wins
    labels = np.asarray(graph.labels, dtype=object)
    findings = []
    for community, row in reported.iterrows():
        member_rows = members[members["community"] == community]
        pairs = pw[
            (partition.membership[pw["src"].to_numpy()] == community)
            & (partition.membership[pw["dst"].to_numpy()] == community)
        ].sort_values("weight", ascending=False)
        findings.append(
            _finding(
                snapshot,
                row,
                member_rows,
                pairs.assign(a=labels[pairs["src"].to_numpy()], b=labels[pairs["dst"].to_numpy()]),
                tenders_of.get(community, pd.DataFrame()),
                partition,
                params,
            )
        )
    return findings


def _finding(
    snapshot: GraphSnapshot,
    row: pd.Series,
    member_rows: pd.DataFrame,
    pairs: pd.DataFrame,
    tenders: pd.DataFrame,
    partition: Partition,
    params: Params,
) -> Finding:
    ids = member_rows.index.tolist()
    names = [snapshot.name("Supplier", s) for s in ids]
    shown_zh = "、".join(names[:6]) + (f"等{len(ids)}家" if len(ids) > 6 else f"（共{len(ids)}家）")
    shown_en = ", ".join(names[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
    n_t = int(row["tenders"])
    gini = float(row["gini"]) if pd.notna(row["gini"]) else float("nan")
    screen = float(row["screen_score"]) if pd.notna(row["screen_score"]) else float("nan")
    currency = str(snapshot.policy.get("currency") or "CNY")
    conduct_zh, conduct_en = [], []
    if row["rotation_fires"]:
        conduct_zh.append(
            f"成员轮流中标（成员中标{row['member_win_share']:.0%}，中标次数基尼系数{gini:.2f}≤{params.rotation_max_gini:g}）"
        )
        conduct_en.append(
            f"members take turns winning (members won {row['member_win_share']:.0%}, Gini of wins "
            f"{gini:.2f} ≤ {params.rotation_max_gini:g})"
        )
    if row["recurrent_fires"]:
        top = pairs[pairs["weight"] >= params.recurrent_min_cobids]
        best = (
            top.assign(share=np.maximum(top["wins_src"], top["wins_dst"]) / top["weight"])
            .sort_values(["share", "weight"], ascending=False)
            .iloc[0]
        )
        winner, other = (
            (best["a"], best["b"]) if best["wins_src"] >= best["wins_dst"] else (best["b"], best["a"])
        )
        wn, on = snapshot.name("Supplier", winner), snapshot.name("Supplier", other)
        conduct_zh.append(f"{wn}在与{on}共同投标的{int(best['weight'])}次中胜出{best['share']:.0%}")
        conduct_en.append(
            f"{wn} won {best['share']:.0%} of the {int(best['weight'])} tenders it shared with {on}"
        )
    if pd.notna(screen):
        conduct_zh.append(f"组内招标报价筛查平均分{screen:.2f}，{row['flagged_share']:.0%}被围标串标筛查标记")
        conduct_en.append(
            f"their tenders' mean bid-screen score is {screen:.2f} and {row['flagged_share']:.0%} are flagged by "
            "the bid-rigging screens"
        )
    value_zh = money(float(row["value"]), currency, "zh")
    value_en = money(float(row["value"]), currency, "en")
    zh = (
        f"供应商{shown_zh}构成共同投标群体（第{int(row['rank'])}名）：在{n_t}次招标中至少两家同时投标，"
        f"内聚度{row['cohesion']:.2f}、排他性{row['exclusivity']:.2f}；{'；'.join(conduct_zh)}；"
        f"成员在这些招标中中标合计{value_zh}（{partition.method}社区，{partition.engine}，种子{partition.seed}）。"
    )
    en = (
        f"Suppliers {shown_en} form a co-bidding group (rank {int(row['rank'])}): at least two of them bid in "
        f"{n_t} tenders, cohesion {row['cohesion']:.2f}, exclusivity {row['exclusivity']:.2f}; "
        f"{'; '.join(conduct_en)}; members won {value_en} in these tenders "
        f"({partition.method} community, {partition.engine}, seed {partition.seed})."
    )
    core = sorted(ids[:3])
    listed_tenders = tenders.sort_values("value", ascending=False).head(20) if not tenders.empty else tenders

    def num(v: Any) -> float | None:
        return None if v is None or pd.isna(v) else round(float(v), 4)

    evidence = {
        "metrics": {
            "members": ids,
            "size": int(row["size"]),
            "tenders": n_t,
            **{
                k: num(row[k])
                for k in (
                    "cohesion",
                    "exclusivity",
                    "structure",
                    "member_win_share",
                    "gini",
                    "rotation",
                    "recurrent",
                    "screen_score",
                    "flagged_share",
                )
            },
            "value": float(row["value"]),
            "flagged_value": float(row["flagged_value"]),
            "rotation_fires": bool(row["rotation_fires"]),
            "recurrent_fires": bool(row["recurrent_fires"]),
            "rank": int(row["rank"]),
            "engine": partition.engine,
            "seed": partition.seed,
            "modularity": round(partition.modularity, 4),
        },
        "thresholds": {
            "min_edge_weight": params.min_edge_weight,
            "min_members": params.min_members,
            "min_tenders": params.min_tenders,
            "rotation_max_gini": params.rotation_max_gini,
            "recurrent_min_cobids": params.recurrent_min_cobids,
            "recurrent_min_share": params.recurrent_min_share,
            "min_score": params.min_score,
        },
        "rows": {
            "members": [
                {
                    "supplier_id": s,
                    "supplier": snapshot.name("Supplier", s),
                    "cobids_inside": float(r.strength_in),
                    "cobids_all": float(r.strength),
                    "wins": int(r.wins),
                }
                for s, r in member_rows.head(params.max_rows).iterrows()
            ],
            "pairs": [
                {
                    "a": p.a,
                    "b": p.b,
                    "shared_tenders": int(p.weight),
                    "wins_a": int(p.wins_src),
                    "wins_b": int(p.wins_dst),
                }
                for p in pairs.head(params.max_rows).itertuples(index=False)
            ],
            "tenders": listed_tenders["tender_id"].tolist() if not tenders.empty else [],
        },
        "subgraph": [
            *(entity_key("Supplier", s) for s in ids[:30]),
            *(entity_key("Tender", t) for t in (listed_tenders["tender_id"] if not tenders.empty else [])),
        ],
    }
    return Finding(
        detector=DETECTOR.id,
        subject="|".join(core),
        score=float(row["score"]),
        entities=tuple(entity_key("Supplier", s) for s in ids),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


def with_engine(params: Params, engine: str) -> Params:
    """The same parameters on another engine (for comparisons and benchmarks)."""
    return replace(params, engine=engine)


DETECTOR = Detector(
    id="cobid_communities",
    title_zh="共同投标社区（轮流中标）",
    title_en="Co-bidding communities and bid rotation",
    family="network",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

"""How well do the unsupervised bid-rigging and co-bidding detectors find known cartels?

For each labelled market of :mod:`loaders.cartels` the market's tables go through
the data-contract loader and a temporary embedded store, exactly like a customer's
data, and the detectors run on the resulting snapshot with their default parameters. Nothing is fitted on the labels;
they are only read afterwards to score the rankings:

* **tender level** — ROC-AUC and PR-AUC (average precision) of the bid-rigging
  score (:func:`detectors.bid_rigging.tender_screens`, column ``score``) against
  the market's collusive-tender label; the same for the co-bidding score of a
  tender (the score of the community whose members, two or more, bid in it);
* **firm level** — recall of the known cartel firms among the top *K* suppliers
  ranked by their community's score (then by their co-bidding inside it), with
  *K* = the number of known cartel firms (so recall@K = precision@K), and the
  ROC-AUC of that ranking.

Next to each market stands the supervised reference of
``garcia-collusion/SOURCE.md``: an ExtraTrees classifier trained on 80 % of the
tenders with the labels and tested on the rest (bid level, García's protocol).
It is an upper reference for the unsupervised figures, which use no labels at all.

The learned figures (``learned_tender_roc_auc``, ``learned_tender_pr_auc``) are those of the
learner of ``sunlight learn`` (:mod:`sunlight.learning`), trained within each market on its
labels: 10 stratified 80/20 splits of the tenders, the bid screens and graph features relative
to the training split's collusive tenders (:func:`learned_market_figures`). Those stand beside
the supervised reference (which is bid-level, ours tender-level).

``evaluate_cartels(data_dir)`` returns ``{MARKET: {"tenders", "tender_roc_auc",
"tender_pr_auc", "firm_recall_at_k", "k", ...}}``; ``sunlight eval-cartels --data
DIR --out FILE`` writes it as JSON.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from detectors import bid_rigging, communities
from graph.dataset import GraphData
from graph.snapshot import GraphSnapshot
from loaders.cartels import OHIO, CartelMarket, load_cartel_markets, market_graph_data

__all__ = [
    "REFERENCE",
    "average_precision",
    "evaluate_cartels",
    "evaluate_market",
    "market_snapshot",
    "roc_auc",
    "snapshot_via_store",
]

#: Supervised reference (ExtraTrees, García protocol, 10 tender-grouped 80/20 splits) from
#: shared/data/garcia-collusion/SOURCE.md, in %: bid-level ROC-AUC and F1 on the thresholded
#: label with common features + screens, and ROC-AUC on the original (firm) label, all features.
REFERENCE: dict[str, dict[str, float | None]] = {
    "brazil": {"thr_roc_auc": 94.1, "thr_f1": 76.0, "orig_roc_auc": 95.3},
    "italy": {"thr_roc_auc": 92.3, "thr_f1": 82.5, "orig_roc_auc": 98.0},
    "japan": {"thr_roc_auc": 92.7, "thr_f1": 65.9, "orig_roc_auc": 94.8},
    "usa": {"thr_roc_auc": 76.0, "thr_f1": 40.4, "orig_roc_auc": 76.9},
    "switzerland_ticino": {"thr_roc_auc": 96.0, "thr_f1": 93.8, "orig_roc_auc": None},
    "switzerland_gr_see_gaster": {"thr_roc_auc": 78.6, "thr_f1": 88.9, "orig_roc_auc": 86.8},
    OHIO: {"thr_roc_auc": 76.0, "thr_f1": 40.4, "orig_roc_auc": 76.9},
}


def roc_auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """Area under the ROC curve (Mann–Whitney; ties count one half); None without both classes.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> float | None:
    """PR-AUC as average precision: Σ (recall_n − recall_{n−1}) · precision_n over distinct scores.

    >>> average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    n_pos = int(y.sum())
    if n_pos == 0:
        return None
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    true_pos = np.cumsum(y)[last_of_tie]
    precision = true_pos / (last_of_tie + 1)
    recall = true_pos / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def market_snapshot(market: CartelMarket) -> GraphSnapshot:
    """The market through the data-contract loader and a temporary embedded store, as a
    snapshot: the round trip ``sunlight load`` makes, so the detectors see what they would
    see on a customer's store."""
    return snapshot_via_store(market_graph_data(market), prefix=f"sunlight-{market.key}-")


def snapshot_via_store(data: GraphData, prefix: str = "sunlight-") -> GraphSnapshot:
    """``data`` written to a fresh embedded store in a temporary folder and read back."""
    from graph.stores import open_store

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        store = open_store(Path(tmp) / "store")
        try:
            store.write(data)
            return store.snapshot()
        finally:
            store.close()


def _sample_tenders(market: CartelMarket, max_tenders: int | None, seed: int) -> CartelMarket:
    """The market cut to ``max_tenders`` tenders drawn at random (seeded), bids and contracts with them."""
    tenders = market.tender_labels.index
    if max_tenders is None or len(tenders) <= max_tenders:
        return market
    keep = set(pd.Series(tenders).sample(max_tenders, random_state=seed))
    tables = dict(market.tables)
    tables["bids"] = tables["bids"][tables["bids"]["tender_id"].isin(keep)]
    tables["contracts"] = tables["contracts"][tables["contracts"]["tender_id"].isin(keep)]
    bidders = set(tables["bids"]["supplier_id"])
    tables["suppliers"] = tables["suppliers"][tables["suppliers"]["supplier_id"].isin(bidders)]
    firm_labels = market.firm_labels
    if firm_labels is not None:
        firm_labels = firm_labels[firm_labels.index.isin(bidders)]
    return CartelMarket(
        key=market.key,
        title=market.title,
        currency=market.currency,
        tables=tables,
        tender_labels=market.tender_labels[market.tender_labels.index.isin(keep)],
        firm_labels=firm_labels,
        source=market.source,
        notes=[*market.notes, f"sampled {max_tenders} of {len(tenders)} tenders (seed {seed})"],
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)


def _community_tender_scores(found: communities.CommunityTable, tender_ids: pd.Index) -> pd.Series:
    """Per tender: the best score of a community with at least two members bidding in it."""
    per_tender = found.tenders
    if per_tender.empty:
        return pd.Series(0.0, index=tender_ids)
    scored = per_tender.assign(score=per_tender["community"].map(found.communities["score"]))
    return scored.groupby("tender_id")["score"].max().reindex(tender_ids).fillna(0.0)


def _firm_ranking(members: pd.DataFrame, all_suppliers: pd.Index) -> pd.DataFrame:
    """Suppliers ordered by community score, then co-bidding inside it; suppliers off the graph last."""
    ranked = members[["community", "community_score", "community_rank", "strength_in"]].copy()
    missing = all_suppliers.difference(ranked.index)
    off_graph = pd.DataFrame(
        {"community": -1, "community_score": 0.0, "community_rank": np.nan, "strength_in": 0.0},
        index=missing,
    )
    ranked = pd.concat([ranked, off_graph]) if len(off_graph) else ranked
    ranked = ranked.sort_values(["community_score", "strength_in"], ascending=[False, False], kind="stable")
    ranked["supplier_rank"] = np.arange(1, len(ranked) + 1)
    return ranked


def evaluate_market(
    market: CartelMarket,
    engine: str | None = None,
    snapshot: GraphSnapshot | None = None,
    learned: bool = True,
) -> dict[str, Any]:
    """Tender- and firm-level figures of one labelled market (see the module docstring); with
    ``learned``, the learner's figures too (:func:`learned_market_figures`)."""
    started = time.perf_counter()
    snap = snapshot if snapshot is not None else market_snapshot(market)
    loaded = time.perf_counter()
    screens = bid_rigging.tender_screens(snap, bid_rigging.Params())
    labels = market.tender_labels.reindex(screens.index).fillna(0).astype(int)
    cparams = (
        communities.Params() if engine is None else communities.with_engine(communities.Params(), engine)
    )
    out: dict[str, Any] = {
        "title": market.title,
        "currency": market.currency,
        "tenders": len(screens),
        "bids": len(market.tables["bids"]),
        "collusive_tenders": int(labels.sum()),
        "tender_base_rate": _round(labels.mean()),
        "tender_roc_auc": _round(roc_auc(labels, screens["score"])),
        "tender_pr_auc": _round(average_precision(labels, screens["score"])),
    }
    multi = screens["n_bids"] >= 3
    out["screen_roc_auc_3plus_bids"] = _round(roc_auc(labels[multi], screens.loc[multi, "screen_score"]))
    flagged = screens["flagged"]
    out["flagged_tenders"] = int(flagged.sum())
    out["flagged_precision"] = _round(labels[flagged].mean()) if flagged.any() else None
    out["flagged_recall"] = _round(labels[flagged].sum() / labels.sum()) if labels.sum() else None
    if learned:
        out.update(learned_market_figures(snap, screens, labels))
    screened = time.perf_counter()

    if market.has_firm_ids:
        found = communities.community_table(snap, cparams, screens=screens)
        table, members, partition, cob = found.communities, found.members, found.partition, found.cobidding
        tender_community = _community_tender_scores(found, screens.index)
        out["community_tender_roc_auc"] = _round(roc_auc(labels, tender_community))
        out["community_tender_pr_auc"] = _round(average_precision(labels, tender_community))
        firm_labels = market.firm_labels
        assert firm_labels is not None
        ranking = _firm_ranking(members, pd.Index(firm_labels.index))
        truth = firm_labels.reindex(ranking.index).fillna(0).astype(int)
        k = int(truth.sum())
        out["k"] = k
        out["firm_recall_at_k"] = _round(truth.iloc[:k].sum() / k) if k else None
        out["firm_recall_at_2k"] = _round(truth.iloc[: 2 * k].sum() / k) if k else None
        out["firm_roc_auc"] = _round(roc_auc(truth, -ranking["supplier_rank"]))
        out["cartel_firms"] = k
        out["suppliers"] = len(ranking)
        out["communities"] = int((table["size"] >= cparams.min_members).sum())
        out["reported_communities"] = int((table["eligible"] & (table["score"] > cparams.min_score)).sum())
        out["graph_edges"] = int(cob.graph.n_edges)
        out["modularity"] = _round(partition.modularity)
        out["engine"] = partition.engine
        out["louvain_seconds"] = _round(partition.seconds, 3)
        if market.key == OHIO:
            out["cartel_firm_ranks"] = _cartel_ranks(truth, ranking, table, members)
    else:
        out.update(
            {
                "k": None,
                "firm_recall_at_k": None,
                "community_tender_roc_auc": None,
                "community_tender_pr_auc": None,
                "note_firms": "no bidder ids in the source: co-bidding and firm figures are not defined",
            }
        )
    out["reference"] = REFERENCE.get(market.key, {})
    out["notes"] = market.notes
    out["seconds"] = {
        "load": _round(loaded - started, 2),
        "screens": _round(screened - loaded, 2),
        "total": _round(time.perf_counter() - started, 2),
    }
    return out


def _cartel_ranks(
    truth: pd.Series, ranking: pd.DataFrame, table: pd.DataFrame, members: pd.DataFrame
) -> dict[str, Any]:
    """Where each known cartel firm stands: supplier rank, its community's rank, size and score."""
    out = {}
    for firm in truth[truth == 1].index:
        row = ranking.loc[firm]
        community = int(row["community"])
        entry: dict[str, Any] = {"supplier_rank": int(row["supplier_rank"]), "of_suppliers": len(ranking)}
        if community >= 0:
            crow = table.loc[community]
            fellow = members[members["community"] == community].index.tolist()
            entry.update(
                {
                    "community_rank": int(crow["rank"]),
                    "of_communities": int((table["size"] >= 2).sum()),
                    "community_size": int(crow["size"]),
                    "community_score": _round(crow["score"]),
                    "cohesion": _round(crow["cohesion"]),
                    "exclusivity": _round(crow["exclusivity"]),
                    "community_members": fellow[:12],
                }
            )
        out[str(firm)] = entry
    return out


def evaluate_cartels(
    data_dir: Path,
    markets: Sequence[str] | None = None,
    engine: str | None = None,
    max_tenders: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    learned: bool = True,
) -> dict[str, dict[str, Any]]:
    """Evaluate the detectors on every labelled market under ``data_dir`` (``../shared/data``).

    ``markets`` limits the run (keys of :data:`loaders.cartels.GARCIA_MARKETS` and
    ``ohio_school_milk``); ``max_tenders`` samples large markets (seeded by ``seed``);
    ``engine`` overrides the Louvain engine of the co-bidding detector; ``learned`` adds the
    learner's figures (trained within each market on its labels).
    """
    results: dict[str, dict[str, Any]] = {}
    for market in load_cartel_markets(Path(data_dir), list(markets) if markets else None):
        if progress:
            progress(market.key)
        results[market.key] = evaluate_market(
            _sample_tenders(market, max_tenders, seed), engine=engine, learned=learned
        )
    return results


# ---- the learner on the labelled markets ---------------------------------------------------------
#: Repetitions of the tender-grouped 80/20 split (García's protocol, as the reference re-run).
LEARN_REPETITIONS = 10
LEARN_TEST_SHARE = 0.2
#: The tender screens the learner reads (every market has them; no label, no market extra).
_SCREEN_FEATURES = (
    "n_bids",
    "cv",
    "spread",
    "diffp",
    "rd",
    "skew",
    "kurt",
    "loser_cv",
    "p_cv",
    "p_spread",
    "p_rd",
    "p_skew",
    "p_kurt",
    "screen_score",
    "agreement",
    "score",
    "n_winners",
)
_LOGGED = ("n_bids", "mean", "lowest", "second", "winning_amount")


def tender_items(screens: pd.DataFrame, labels: pd.Series) -> Any:
    """The tenders of a market as the learner's items (:class:`sunlight.learning.Items`): their
    screens (amounts on a log scale), the tender as the entity it names (its bidders are one hop
    away in the bid graph), each tender its own group."""
    from sunlight.learning import Items

    features = pd.DataFrame(index=pd.Index(screens.index.astype(str), name="id"))
    for column in _SCREEN_FEATURES:
        if column in screens:
            features[column] = pd.to_numeric(screens[column], errors="coerce").to_numpy(dtype=float)
    # the bid-rigging score is the tenders' rule score, as an alert's is (sunlight.learning.PRIOR_FEATURES)
    features["rule_score"] = pd.to_numeric(screens["score"], errors="coerce").to_numpy(dtype=float)
    for column in _LOGGED:
        if column in screens:
            features[f"log_{column}"] = np.log1p(
                pd.to_numeric(screens[column], errors="coerce").clip(lower=0)
            ).to_numpy()
    for column in ("has_identical", "is_single", "cover", "distribution"):
        if column in screens:
            features[column] = screens[column].astype(float).to_numpy()
    features = features.replace([np.inf, -np.inf], np.nan).fillna(0.0)
    ids = list(features.index)
    return Items(
        features=features,
        entities={t: frozenset({f"tender:{t}"}) for t in ids},
        groups=pd.Series(ids, index=ids),
        labels=pd.Series(labels.reindex(screens.index).fillna(0).astype(int).to_numpy(), index=ids),
    )


def learned_market_figures(
    snapshot: GraphSnapshot, screens: pd.DataFrame, labels: pd.Series
) -> dict[str, Any]:
    """The learner of ``sunlight learn`` trained within the market: over
    :data:`LEARN_REPETITIONS` stratified, tender-grouped 80/20 splits, the held-out tenders'
    ROC-AUC and PR-AUC (mean and standard deviation), with the bid screens and the graph
    features relative to the training split's collusive tenders (shared bidders, personalised
    PageRank over the bid graph, the bidders' collusive rate)."""
    from sklearn.model_selection import StratifiedShuffleSplit

    from sunlight.learning import entity_graph, fit_and_score, party_circles, snapshot_pairs

    items = tender_items(screens, labels)
    graph = entity_graph(snapshot_pairs(snapshot))
    circles = party_circles(items, graph)
    ids = np.asarray(items.ids)
    y = items.labels.reindex(ids).to_numpy()
    if y.sum() < 5 or (1 - y).sum() < 5:
        return {
            "learned_tender_roc_auc": None,
            "learned_tender_pr_auc": None,
            "learned_note": "too few of a class",
        }
    splitter = StratifiedShuffleSplit(n_splits=LEARN_REPETITIONS, test_size=LEARN_TEST_SHARE, random_state=0)
    rocs, prs = [], []
    for train, test in splitter.split(ids, y):
        scored = fit_and_score(items, graph, circles, list(ids[train]), list(ids[test]))
        truth = items.labels.loc[scored.index].to_numpy()
        rocs.append(roc_auc(truth, scored.to_numpy()))
        prs.append(average_precision(truth, scored.to_numpy()))
    rocs_f = [r for r in rocs if r is not None]
    prs_f = [p for p in prs if p is not None]
    return {
        "learned_tender_roc_auc": _round(float(np.mean(rocs_f))) if rocs_f else None,
        "learned_tender_roc_auc_sd": _round(float(np.std(rocs_f))) if rocs_f else None,
        "learned_tender_pr_auc": _round(float(np.mean(prs_f))) if prs_f else None,
        "learned_tender_pr_auc_sd": _round(float(np.std(prs_f))) if prs_f else None,
        "learned_protocol": f"{LEARN_REPETITIONS} stratified tender splits {1 - LEARN_TEST_SHARE:.0%}/{LEARN_TEST_SHARE:.0%}",
    }

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

The learned figures (``learned_tender_roc_auc``, ``learned_tender_pr_auc``) go through the
same code as a customer's decisions (:func:`learned_market_figures`): each tender is a case in a
store (one ``bid_rigging`` alert naming it, scored by its screens); over 10 stratified 80/20
splits of the tenders the training tenders are confirmed or dismissed through the case workflow
(:func:`sunlight.cases.change_statuses`), ``sunlight learn``'s code (:mod:`sunlight.relearn`)
trains on the store's dispositions and writes the learned scores, and the held-out tenders' learned
scores are read back from the store. They stand beside the supervised reference (which is
bid-level, ours tender-level).

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
        out.update(learned_market_figures(market, screens, labels))
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
#: The tender screens an alert's evidence carries (every market has them; no label, no market extra).
_SCREEN_METRICS = (
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
    "n_winners",
    "mean",
    "lowest",
    "second",
    "winning_amount",
    "has_identical",
    "is_single",
    "cover",
    "distribution",
)
#: The reason the simulated investigator gives when dismissing a tender found competitive.
DISMISSAL_REASON = "核查未见串通：竞争性投标"
#: Who decides the training tenders (an admin, through the case workflow).
EVALUATOR = "评估员"


def tender_alerts(screens: pd.DataFrame, currency: str) -> list[Any]:
    """One ``bid_rigging`` alert per tender, naming the tender, scored by its screens (the
    ``score`` column): the queue of an organisation that reviews every tender's bids, each
    tender its own case. The evidence's metrics are the tender's screens, as the learner reads
    an alert's measured values."""
    from detectors.base import Finding, to_alert
    from detectors.registry import get_detector

    detector = get_detector("bid_rigging")
    alerts = []
    for tender_id, row in screens.iterrows():
        metrics: dict[str, Any] = {}
        for column in _SCREEN_METRICS:
            value = row.get(column)
            if isinstance(value, bool | np.bool_):
                metrics[column] = bool(value)
            elif value is not None and pd.notna(value) and np.isfinite(float(value)):
                metrics[column] = round(float(value), 6)
        score = float(row["score"])
        text = f"投标 {tender_id} 报价筛查分 {score:.2f}"
        finding = Finding(
            detector="bid_rigging",
            subject=f"tender|{tender_id}",
            score=score,
            entities=(f"tender:{tender_id}",),
            explanation_zh=text,
            explanation_en=f"tender {tender_id}: bid screens score {score:.2f} ({currency})",
            evidence={"rule": "tender", "metrics": metrics},
        )
        alerts.append(to_alert(finding, detector))
    return alerts


def tender_store(market: CartelMarket, screens: pd.DataFrame, folder: Path) -> None:
    """A store in ``folder`` with the market (through the loader, as :func:`market_snapshot`), its
    tenders as alerts (:func:`tender_alerts`) grouped into cases as ``sunlight detect`` groups
    them, and the trail beside it."""
    from detectors.registry import all_detectors
    from graph.stores import open_store
    from sunlight.audit import AuditLog
    from sunlight.cases import update_cases

    store = open_store(folder)
    try:
        store.write(market_graph_data(market))
        seen_at = pd.Timestamp("2026-01-01").to_pydatetime()
        store.save_alerts(tender_alerts(screens, market.currency), seen_at)
        update_cases(store, AuditLog(folder), {d.id: d.family for d in all_detectors()}, seen_at)
    finally:
        store.close()


def tender_cases(store: Any) -> pd.Series:
    """Tender id -> the id of the case its alert is in."""
    alerts = store.alerts().drop_duplicates("alert_id")
    tenders = alerts[alerts["entity_type"] == "tender"]
    return pd.Series(tenders["case_id"].to_numpy(), index=tenders["entity_id"].astype(str).to_numpy())


def decide_tenders(store: Any, audit: Any, labels: pd.Series) -> None:
    """Record the investigators' decisions on the tenders of ``labels`` (tender id -> 1 collusive,
    0 not) through the case workflow, as an admin would: collusive ones reviewed and confirmed,
    the others dismissed with a reason."""
    from sunlight.auth import Role, User
    from sunlight.cases import change_statuses

    actor = User(EVALUATOR, Role.ADMIN)
    case_of = tender_cases(store)
    positive = [case_of[t] for t in labels.index[labels == 1] if t in case_of.index]
    negative = [case_of[t] for t in labels.index[labels == 0] if t in case_of.index]
    change_statuses(store, audit, negative, "dismissed", actor, reason=DISMISSAL_REASON)
    change_statuses(store, audit, positive, "reviewing", actor)
    change_statuses(store, audit, positive, "confirmed", actor)


def learned_tender_scores(store: Any, audit: Any) -> pd.Series | None:
    """``sunlight learn`` on the store (train on its dispositions, write the learned scores), then
    the learned score of every tender nobody decided; None while the rules stand alone (too few
    decisions)."""
    from sunlight.relearn import apply_plan, plan_learning

    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan, actor=EVALUATOR)
    if plan.status == "rules_only":
        return None
    alerts = store.alerts().drop_duplicates("alert_id")
    open_tenders = alerts[(alerts["entity_type"] == "tender") & alerts["learned_score"].notna()]
    return pd.Series(
        open_tenders["learned_score"].astype(float).to_numpy(),
        index=open_tenders["entity_id"].astype(str).to_numpy(),
    )


def learned_market_figures(market: CartelMarket, screens: pd.DataFrame, labels: pd.Series) -> dict[str, Any]:
    """The held-out tenders' ROC-AUC and PR-AUC (mean and standard deviation) over
    :data:`LEARN_REPETITIONS` stratified 80/20 splits of the tenders (each tender its own case):
    per split, a copy of the market's store (:func:`tender_store`) gets the training tenders'
    decisions through the case workflow (:func:`decide_tenders`), ``sunlight learn``'s code
    trains on them and scores the rest (:func:`learned_tender_scores`)."""
    import shutil

    from sklearn.model_selection import StratifiedShuffleSplit

    from graph.stores import open_store
    from sunlight.audit import AuditLog

    ids = np.asarray([str(t) for t in screens.index])
    y = labels.reindex(screens.index).fillna(0).astype(int).to_numpy()
    if y.sum() < 5 or (1 - y).sum() < 5:
        return {
            "learned_tender_roc_auc": None,
            "learned_tender_pr_auc": None,
            "learned_note": "too few of a class",
        }
    truth = pd.Series(y, index=ids)
    splitter = StratifiedShuffleSplit(n_splits=LEARN_REPETITIONS, test_size=LEARN_TEST_SHARE, random_state=0)
    rocs, prs, statuses = [], [], []
    with tempfile.TemporaryDirectory(prefix=f"sunlight-learn-{market.key}-") as tmp:
        base = Path(tmp) / "base"
        tender_store(market, screens, base)
        for repetition, (train, test) in enumerate(splitter.split(ids, y)):
            folder = Path(tmp) / f"split-{repetition}"
            shutil.copytree(base, folder)
            store, audit = open_store(folder), AuditLog(folder)
            try:
                decide_tenders(store, audit, truth.iloc[train])
                scored = learned_tender_scores(store, audit)
            finally:
                store.close()
            shutil.rmtree(folder, ignore_errors=True)
            statuses.append("trained" if scored is not None else "rules_only")
            if scored is None:
                continue
            held = truth.iloc[test]
            scores = scored.reindex(held.index)
            rocs.append(roc_auc(held.to_numpy(), scores.to_numpy()))
            prs.append(average_precision(held.to_numpy(), scores.to_numpy()))
    rocs_f = [r for r in rocs if r is not None]
    prs_f = [p for p in prs if p is not None]
    return {
        "learned_tender_roc_auc": _round(float(np.mean(rocs_f))) if rocs_f else None,
        "learned_tender_roc_auc_sd": _round(float(np.std(rocs_f))) if rocs_f else None,
        "learned_tender_pr_auc": _round(float(np.mean(prs_f))) if prs_f else None,
        "learned_tender_pr_auc_sd": _round(float(np.std(prs_f))) if prs_f else None,
        "learned_models": statuses.count("trained"),
        "learned_protocol": (
            f"{LEARN_REPETITIONS} stratified tender splits {1 - LEARN_TEST_SHARE:.0%}/{LEARN_TEST_SHARE:.0%}; "
            "the training tenders decided as cases in a store, sunlight learn trains on the store"
        ),
    }

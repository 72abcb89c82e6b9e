"""The prepare step: tables several detectors need, built once per run.

A detector run starts with :func:`prepare`, which wraps the snapshot in a
:class:`PreparedSnapshot`: the same frames, plus tables derived from them that
more than one detector reads, each computed the first time it is asked for and
then shared:

* parties — the staff side (employees and their declared relatives) and the
  supplier side (suppliers and who owns, represents or directs them), and the
  identifier pivots two parties share with how many parties and employees hold
  each (:mod:`detectors.prepare.parties`);
* tender screens — every tender's bid-distribution screens and flag, with the
  user's ``bid_rigging`` settings (:mod:`detectors.prepare.screens`);
* approved contracts — approvals joined to the contracts they signed off
  (:mod:`detectors.prepare.approvals`);
* legitimate look-alikes — natural monopolies, sole sources and competed framework
  agreements, with the contracts each explains (:mod:`detectors.prepare.lookalikes`:
  one definition of each pattern, whichever detector asks).

Detectors keep their anatomy: ``run(snapshot, params)`` takes a snapshot, prepared
or not, and asks :func:`prepare` for what it needs (a plain snapshot is prepared
once and the result cached on it), so a detector never imports another one.
Callers must not modify a shared table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import pandas as pd

from detectors.prepare import approvals, parties, screens
from detectors.prepare.screens import ScreenParams, screen_params_of
from graph.snapshot import GraphSnapshot

__all__ = ["SCREEN_SETTINGS", "PreparedSnapshot", "prepare"]

#: The settings section whose parameters the tender screens read.
SCREEN_SETTINGS = "bid_rigging"


@dataclasses.dataclass
class PreparedSnapshot(GraphSnapshot):
    """A snapshot and the tables its detectors share (see the module docstring)."""

    screen_params: ScreenParams = dataclasses.field(default_factory=ScreenParams)

    @cached_property
    def staff_parties(self) -> pd.DataFrame:
        """:func:`detectors.prepare.parties.staff_parties`."""
        return parties.staff_parties(self)

    @cached_property
    def supplier_parties(self) -> pd.DataFrame:
        """:func:`detectors.prepare.parties.supplier_parties`."""
        return parties.supplier_parties(self)

    @cached_property
    def pivot_links(self) -> pd.DataFrame:
        """:func:`detectors.prepare.parties.pivot_links`: every shared pivot with its holders' counts."""
        return parties.pivot_links(self)

    def shared_pivots(self, max_parties: int, max_employees: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(links, hubs)``: :attr:`pivot_links` parted by a detector's hub thresholds."""
        return self.derived(
            ("shared_pivots", max_parties, max_employees),
            lambda: parties.split_hubs(self.pivot_links, max_parties, max_employees),
        )

    @cached_property
    def approved(self) -> pd.DataFrame:
        """:func:`detectors.prepare.approvals.approved_contracts`."""
        return approvals.approved_contracts(self)

    def tender_screens(self, params: Any = None) -> pd.DataFrame:
        """:func:`detectors.prepare.screens.tender_screens` with the run's ``bid_rigging`` settings,
        or with ``params`` (``bid_rigging`` parameters or :class:`ScreenParams`) when given."""
        chosen = self.screen_params if params is None else screen_params_of(params)
        return self.derived(("tender_screens", chosen), lambda: screens.tender_screens(self, chosen))


def prepare(snapshot: GraphSnapshot, settings: Mapping[str, Any] | None = None) -> PreparedSnapshot:
    """``snapshot`` prepared for a run with ``settings`` (parameters by detector id).

    A prepared snapshot given without settings is returned as it is; a plain one is
    prepared once per set of screen parameters and cached on it.
    """
    if isinstance(snapshot, PreparedSnapshot) and settings is None:
        return snapshot
    section = (settings or {}).get(SCREEN_SETTINGS)
    chosen = screen_params_of(section) if section is not None else ScreenParams()
    if isinstance(snapshot, PreparedSnapshot) and snapshot.screen_params == chosen:
        return snapshot

    def build() -> PreparedSnapshot:
        frames = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(GraphSnapshot)}
        prepared = PreparedSnapshot(**frames, screen_params=chosen)
        # the names and networkx views already computed on the snapshot are shared, not rebuilt
        for name in ("names", "approval_graph", "relationship_graph"):
            if name in snapshot.__dict__:
                prepared.__dict__[name] = snapshot.__dict__[name]
        return prepared

    return snapshot.derived(("prepared", chosen), build)

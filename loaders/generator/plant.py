"""Planting: the schemes, the classic decoys and the profile's look-alikes, in order."""

from __future__ import annotations

from .lookalikes import plant_look_alikes
from .schemes import (
    DECOY_PLANTERS,
    SCHEME_PLANTERS,
    decoy_instances,
    no_accidental_splits,
    requesters_on_payroll,
)
from .styles import restyle
from .world import World

__all__ = ["plant_all"]


def plant_all(w: World) -> dict[str, int]:
    """Plant every scheme and decoy; returns the number of instances of each."""
    counts: dict[str, int] = {}
    for name, planter in SCHEME_PLANTERS.items():
        counts[name] = w.sizes.instances
        for n in range(1, counts[name] + 1):
            planter(w, n)
    requesters_on_payroll(w)
    for name, planter in DECOY_PLANTERS.items():
        if name == "decoy_relative_no_approval" and not w.profile.is_classic:
            # the look-alikes take orders too: plant them before the relative's company is chosen,
            # so that none of them hands its orders to somebody else
            counts.update(plant_look_alikes(w))
        instances = decoy_instances(w, name)
        counts[name] = max(counts.get(name, 0), instances)
        for n in range(1, instances + 1):
            planter(w, n)
    if not w.profile.is_classic:
        restyle(w)
    no_accidental_splits(w)
    return counts

"""``GraphData``: the typed nodes and relationships a loader hands to a store.

Loaders turn source files into ``GraphData``; a store writes it. Frames are
already validated and typed: node frames have an ``id`` column and one column
per schema property they carry (a property absent from the frame is left alone
on existing nodes); relationship frames have ``src`` and ``dst`` ids and their
properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graph.schema import node_type, rel_type

__all__ = ["GraphData", "RelKey"]

#: (relationship type, source label, target label)
RelKey = tuple[str, str, str]


@dataclass
class GraphData:
    nodes: dict[str, pd.DataFrame] = field(default_factory=dict)
    rels: dict[RelKey, pd.DataFrame] = field(default_factory=dict)
    policy: dict[str, Any] | None = None

    def add_nodes(self, label: str, frame: pd.DataFrame, unique: bool = False) -> None:
        """Add nodes of ``label``; rows with an id already added are merged, last wins.

        ``unique``: the frame's ids are distinct already (a key the loader has checked), so a
        first frame of ``label`` is taken as it is rather than searched for repeats."""
        known = set(node_type(label).prop_names)
        unknown = [c for c in frame.columns if c not in known]
        if unknown:
            raise ValueError(f"{label} has no properties {unknown}")
        if frame.empty:
            return
        if label in self.nodes:
            frame = pd.concat([self.nodes[label], frame], ignore_index=True)
        elif unique:
            self.nodes[label] = frame.reset_index(drop=True)
            return
        self.nodes[label] = frame.drop_duplicates("id", keep="last").reset_index(drop=True)

    def add_rels(
        self, rel: str, src_label: str, dst_label: str, frame: pd.DataFrame, unique: bool = False
    ) -> None:
        """Add relationships; duplicates of (src, dst, key properties) are merged, last wins.

        ``unique``: as for :meth:`add_nodes`, the rows are distinct on that identity already."""
        spec = rel_type(rel)
        if (src_label, dst_label) not in spec.ends:
            raise ValueError(f"{rel} does not join {src_label} to {dst_label}")
        allowed = {"src", "dst", *spec.prop_names}
        unknown = [c for c in frame.columns if c not in allowed]
        if unknown:
            raise ValueError(f"{rel} has no properties {unknown}")
        if frame.empty:
            return
        key = (rel, src_label, dst_label)
        if key in self.rels:
            frame = pd.concat([self.rels[key], frame], ignore_index=True)
        elif unique:
            self.rels[key] = frame.reset_index(drop=True)
            return
        identity = ["src", "dst", *[k for k in spec.key_props if k in frame.columns]]
        self.rels[key] = frame.drop_duplicates(identity, keep="last").reset_index(drop=True)

    def iter_rels(self) -> Iterator[tuple[RelKey, pd.DataFrame]]:
        yield from self.rels.items()

    def counts(self) -> dict[str, int]:
        """Rows per label and per relationship type (summed over label pairs)."""
        out: dict[str, int] = {label: len(f) for label, f in self.nodes.items()}
        for (rel, _, _), frame in self.rels.items():
            out[rel] = out.get(rel, 0) + len(frame)
        return out

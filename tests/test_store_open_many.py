"""Many embedded stores open side by side in one process.

LadybugDB reserves address space for the largest size a database may grow to when it opens
one; at its default (8 TiB) the sixteenth open store in a process fails. A long-lived process
(the test suite, the app beside a scheduler) opens more than that.
"""

from __future__ import annotations

from graph.ladybug_store import LadybugStore


def test_twenty_stores_open_side_by_side_in_one_process(tmp_path):
    stores = [LadybugStore(tmp_path / f"store{i}") for i in range(20)]
    try:
        for store in stores:
            assert store.counts() is not None
    finally:
        for store in stores:
            store.close()


def test_a_store_reopened_read_only_beside_many_others(tmp_path):
    writers = [LadybugStore(tmp_path / f"store{i}") for i in range(17)]
    for store in writers:
        store.close()
    readers = [LadybugStore(tmp_path / f"store{i}", read_only=True) for i in range(17)]
    try:
        assert all(reader.read_only for reader in readers)
    finally:
        for reader in readers:
            reader.close()

"""Crash safety and concurrency of the embedded store, with real processes.

A load and a detector run are killed with SIGKILL at several points; the store
must then open and hold either the state before or the state after — nothing in
between — and a re-run must complete. A reader process keeps reading while a
writer process loads and detects.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.ladybug_store import LadybugStore
from loaders.generator import generate

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import sys
    from graph.ladybug_store import LadybugStore
    from loaders import load_source
    from sunlight.pipeline import detect_and_save

    store_dir, data_dir, what = sys.argv[1:4]
    store = LadybugStore(store_dir)
    if what == "load":
        data = load_source(data_dir).data
        print("writing", flush=True)
        store.write(data)
    else:
        print("writing", flush=True)
        detect_and_save(store)
    print("done", flush=True)
    store.close()
    """
)


def counts(store_dir: Path) -> dict:
    store = LadybugStore(store_dir)
    try:
        c = store.counts()
        alert_ids = sorted(set(store.alerts()["alert_id"]))
        return {"nodes": c["nodes"], "relationships": c["relationships"], "alert_ids": alert_ids}
    finally:
        store.close()


def start(store_dir: Path, data_dir: Path, what: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_dir), str(data_dir), what],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SUNLIGHT_BUFFER_POOL_MB": "256"},
    )


def finish(store_dir: Path, data_dir: Path, what: str) -> None:
    proc = start(store_dir, data_dir, what)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    old, new = root / "old", root / "new"
    generate(old, scale=600, seed=11)
    generate(new, scale=3000, seed=12)
    reference = root / "reference"
    finish(reference / "before", old, "load")
    before = counts(reference / "before")
    finish(reference / "after", old, "load")
    finish(reference / "after", new, "load")
    after = counts(reference / "after")
    assert before["nodes"] != after["nodes"]
    return root, old, new, before, after


@pytest.mark.parametrize("delay", [0.05, 0.5])
def test_a_killed_load_leaves_the_old_or_the_new_state(datasets, delay, tmp_path):
    _, old, new, before, after = datasets
    store_dir = tmp_path / "store"
    finish(store_dir, old, "load")
    proc = start(store_dir, new, "load")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    state = counts(store_dir)
    assert (state["nodes"], state["relationships"]) in (
        (before["nodes"], before["relationships"]),
        (after["nodes"], after["relationships"]),
    ), f"half-written store after a kill {delay}s into the write"
    finish(store_dir, new, "load")
    again = counts(store_dir)
    assert (again["nodes"], again["relationships"]) == (after["nodes"], after["relationships"])


@pytest.mark.parametrize("delay", [0.3])
def test_a_killed_detector_run_leaves_no_partial_alerts(datasets, delay, tmp_path):
    new = datasets[2]
    store_dir = tmp_path / "store"
    finish(store_dir, new, "load")
    reference = tmp_path / "reference"
    finish(reference, new, "load")
    finish(reference, new, "detect")
    expected_ids = counts(reference)["alert_ids"]
    proc = start(store_dir, new, "detect")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert counts(store_dir)["alert_ids"] in ([], expected_ids)
    finish(store_dir, new, "detect")
    assert counts(store_dir)["alert_ids"] == expected_ids


READER = textwrap.dedent(
    """
    import json, sys, time
    from graph.ladybug_store import LadybugStore
    store_dir, seconds = sys.argv[1], float(sys.argv[2])
    reads, errors, seen = 0, [], set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            store = LadybugStore(store_dir, read_only=True)
            contracts = store.counts()["nodes"]["Contract"]
            alerts = len(store.alerts())
            store.close()
            seen.add(contracts)
            reads += 1
        except Exception as exc:
            errors.append(repr(exc)[:300])
    print(json.dumps({"reads": reads, "errors": errors, "seen": sorted(seen)}))
    """
)


def test_a_reader_keeps_working_while_a_writer_loads_and_detects(datasets, tmp_path):
    _, old, new, before, after = datasets
    store_dir = tmp_path / "store"
    finish(store_dir, old, "load")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store_dir), "12"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    finish(store_dir, new, "load")
    finish(store_dir, new, "detect")
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == [] and report["reads"] > 0
    # every read saw a whole state: the old contract count or the new one
    assert set(report["seen"]) <= {before["nodes"]["Contract"], after["nodes"]["Contract"]}

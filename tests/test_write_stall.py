"""A load never hangs: a write that stops making progress, or runs out of buffer pool, ends
in bounded time with a clear message and leaves the store as it was.

The stall is real, not simulated: the process that does the write is stopped with SIGSTOP
while it writes, exactly as stuck as the engine's deadlock leaves it (no CPU, no I/O, no
step finished). The pressure is real too: a buffer pool too small for the extract.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.ladybug_store import STAGING_PREFIX, LadybugStore
from loaders.generator import generate

pytestmark = pytest.mark.slow

#: Long enough for any of these loads (seconds): a hang fails the test instead of the suite.
BOUND = 240


def contents(store_dir: Path) -> dict:
    store = LadybugStore(store_dir, read_only=True)
    try:
        counts = store.counts()
        amounts = store.query("MATCH (c:Contract) RETURN sum(c.amount) AS total")["total"].iloc[0]
        return {**counts, "contract_amounts": float(amounts)}
    finally:
        store.close()


def load(store_dir: Path, data_dir: Path, env: dict[str, str], lang: str = "en") -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sunlight.cli",
            "--lang",
            lang,
            "--store",
            str(store_dir),
            "load",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    root = tmp_path_factory.mktemp("stall")
    old, new = root / "old", root / "new"
    generate(old, scale=600, seed=21)
    generate(new, scale=4000, seed=22)
    return old, new


@pytest.fixture
def loaded_store(extracts, tmp_path):
    old, _ = extracts
    store_dir = tmp_path / "store"
    proc = load(store_dir, old, {})
    _, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 0, err
    return store_dir


def stop_first_writer(proc: subprocess.Popen) -> int:
    """SIGSTOP the load's first write process (the write runs in a child of the load); its pid."""
    deadline = time.monotonic() + BOUND
    while proc.poll() is None and time.monotonic() < deadline:
        writers = children(proc.pid)
        if writers:
            os.kill(writers[0], signal.SIGSTOP)
            return writers[0]
        time.sleep(0.01)
    raise AssertionError("the load finished before its write process could be stopped")


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the write process in /proc"
)


@needs_proc
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_write_that_makes_no_progress_is_stopped_and_the_store_kept(extracts, loaded_store, lang):
    _, new = extracts
    before = contents(loaded_store)
    env = {"SUNLIGHT_WRITE_STALL_SECONDS": "3", "SUNLIGHT_WRITE_ATTEMPTS": "1"}
    proc = load(loaded_store, new, env, lang=lang)
    stopped = stop_first_writer(proc)
    _, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 1
    if lang == "en":
        assert "the write stalled: no progress for 3 s while writing" in err
        assert "the store is unchanged" in err and "SUNLIGHT_BUFFER_POOL_MB" in err
    else:
        assert "写入停滞" in err and "数据库保持原样" in err
    assert not Path(f"/proc/{stopped}").exists(), "the stalled write process was left behind"
    assert contents(loaded_store) == before
    assert not list(loaded_store.glob(f"{STAGING_PREFIX}*")), "the staging copy was left behind"
    # nothing is wedged: the same load, not stopped, completes
    again = load(loaded_store, new, {})
    _, err = again.communicate(timeout=BOUND)
    assert again.returncode == 0, err
    assert contents(loaded_store)["nodes"]["Contract"] > before["nodes"]["Contract"]


@needs_proc
def test_a_stalled_write_is_done_again_and_completes(extracts, loaded_store, tmp_path):
    _, new = extracts
    reference = tmp_path / "reference"
    for source in extracts:
        proc = load(reference, source, {})
        _, err = proc.communicate(timeout=BOUND)
        assert proc.returncode == 0, err
    proc = load(loaded_store, new, {"SUNLIGHT_WRITE_STALL_SECONDS": "3", "SUNLIGHT_WRITE_ATTEMPTS": "2"})
    stopped = stop_first_writer(proc)
    _, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 0, err
    assert "trying again (attempt 2 of 2)" in err
    assert not Path(f"/proc/{stopped}").exists()
    assert contents(loaded_store) == contents(reference)


def test_a_buffer_pool_too_small_fails_clearly_and_keeps_the_store(extracts, loaded_store):
    _, new = extracts
    before = contents(loaded_store)
    proc = load(loaded_store, new, {"SUNLIGHT_BUFFER_POOL_MB": "32"})
    _, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 1, err
    assert "the buffer pool (32 MB) ran full while writing" in err
    assert "SUNLIGHT_BUFFER_POOL_MB=64" in err
    assert contents(loaded_store) == before
    assert not list(loaded_store.glob(f"{STAGING_PREFIX}*"))

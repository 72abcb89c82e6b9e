"""Many threads on one embedded store (graph.access): reads side by side, writes alone, fresh data."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from e2e.fixture_store import PAIR_ALERT, build_fixture_store, copy_store

from graph.access import ReadWriteLock, StoreAccess
from graph.errors import StoreUnavailable

READERS = 6


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_fixture_store(tmp_path_factory.mktemp("access") / "store")


@pytest.fixture
def store(template, tmp_path) -> Path:
    return copy_store(template, tmp_path / "store")


def _status(store, alert_id: str = PAIR_ALERT) -> str:
    return str(store.alert(alert_id).iloc[0]["status"])


def test_reads_from_many_threads_run_at_the_same_time_on_one_engine(store):
    access = StoreAccess(str(store))
    # every reader waits inside its read until all are inside: only concurrent reads get through
    inside = threading.Barrier(READERS, timeout=60)
    seen: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def work(s):
        inside.wait()
        return len(s.alerts()), _status(s)

    def reader():
        try:
            seen.append(access.read(work))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    expected = access.read(lambda s: (len(s.alerts()), _status(s)))
    assert seen == [expected] * READERS and expected[0] > 0
    assert access.engines_opened == 1


def test_a_write_waits_for_reads_under_way_and_new_reads_wait_for_it(store):
    access = StoreAccess(str(store))
    reading, release = threading.Event(), threading.Event()
    order: list[str] = []

    def long_read(s):
        reading.set()
        release.wait(timeout=60)
        order.append(f"read saw {_status(s)}")

    def write(s):
        order.append("write")
        s.set_alert_status(PAIR_ALERT, "reviewing", "审计员甲")

    first = threading.Thread(target=access.read, args=(long_read,))
    first.start()
    assert reading.wait(timeout=60)
    writer = threading.Thread(target=access.write, args=(write,))
    writer.start()
    while access.lock._writers_waiting == 0:  # the writer is queued behind the read
        time.sleep(0.01)
    later = threading.Thread(target=lambda: order.append(f"later read saw {access.read(_status)}"))
    later.start()
    time.sleep(0.3)
    assert order == []  # neither the write nor the later read got in while the first read ran
    release.set()
    for t in (first, writer, later):
        t.join(timeout=120)
    assert order == ["read saw open", "write", "later read saw reviewing"]
    assert access.engines_opened == 2  # the write made the shared engine stale


def test_a_write_from_another_process_is_seen_by_the_next_read(store):
    access = StoreAccess(str(store))
    assert access.read(_status) == "open"
    code = (
        "import sys; from graph.ladybug_store import LadybugStore; s = LadybugStore(sys.argv[1]); "
        f"s.set_alert_status({PAIR_ALERT!r}, 'reviewing'); s.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(store)], check=True, cwd=Path(__file__).parents[1])
    assert access.read(_status) == "reviewing"
    assert access.engines_opened == 2


def test_a_read_that_cannot_start_fails_clearly_instead_of_hanging():
    lock = ReadWriteLock()
    with lock.writing(1.0), pytest.raises(StoreUnavailable, match=r"busy for 0\.2 s"), lock.reading(0.2):
        pass
    with lock.reading(1.0), pytest.raises(StoreUnavailable, match="still reading"), lock.writing(0.2):
        pass

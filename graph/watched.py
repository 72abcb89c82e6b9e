"""Work that cannot hang: run it in a child process and stop it when it makes no progress.

LadybugDB's bulk insert (``COPY``) can deadlock: every thread of the engine waits on a lock
that nobody holds any more, the process uses no CPU, and the call never returns (seen at
one million contracts in one load out of two, in the primary-key index builder of a node
``COPY``; docs/benchmarks.md, "Never hang"). A thread stuck inside the engine cannot be
stopped, so the work runs in a child process instead. The child is forked: it inherits the
frames to write as they are, nothing is serialised. It reports each step it starts and
finishes over a pipe; the parent also reads the child's CPU time and storage I/O from
``/proc``. When for ``stall_seconds`` no step finished, no byte was read or written and the
child used less than 2 % of a core, the parent kills it and raises :class:`WorkStalled`
naming the step it was on. Any error in the child is raised again in the parent; a child
that dies (the kernel's out-of-memory killer) is reported as such.

Only a child that shares nothing the parent needs afterwards can be killed safely: the
caller points the child at its own files (:meth:`graph.ladybug_store.LadybugStore.write`
gives it a staging copy of the database) and decides what to keep once it has finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["DEFAULT_STALL_SECONDS", "StepReport", "WorkDied", "WorkStalled", "run_watched", "stall_seconds"]

T = TypeVar("T")

#: How long a child may make no progress at all before it is stopped (SUNLIGHT_WRITE_STALL_SECONDS).
#: The deadlock makes no progress for ever; a write that works finishes a step, reads, writes
#: or computes every few seconds even on a busy machine.
DEFAULT_STALL_SECONDS = 60.0
#: Less CPU than this share of one core since the last sign of progress does not count as
#: progress: an engine thread that wakes now and then to find its lock still taken is stuck.
_BUSY_SHARE = 0.02
_POLL_SECONDS = 0.5
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PR_SET_PDEATHSIG = 1


def stall_seconds() -> float:
    """The stall timeout in force: ``SUNLIGHT_WRITE_STALL_SECONDS``, else :data:`DEFAULT_STALL_SECONDS`."""
    text = os.environ.get("SUNLIGHT_WRITE_STALL_SECONDS", "").strip()
    if not text:
        return DEFAULT_STALL_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"SUNLIGHT_WRITE_STALL_SECONDS must be a number of seconds, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"SUNLIGHT_WRITE_STALL_SECONDS must be positive, not {text!r}")
    return value


class WorkStalled(RuntimeError):
    """The child made no progress for ``seconds`` while on ``step`` and was stopped."""

    def __init__(self, step: str, done: int, total: int, seconds: float) -> None:
        super().__init__(f"no progress for {seconds:g} s at {step} (step {done + 1} of {total})")
        self.step, self.done, self.total, self.seconds = step, done, total, seconds


class WorkDied(RuntimeError):
    """The child ended without an answer (killed by a signal, or exited)."""


@dataclass
class StepReport:
    """What the child calls to say where it is; each call is a sign of progress."""

    _pipe: Connection

    def starting(self, step: str, done: int, total: int) -> None:
        self._pipe.send(("starting", step, done, total))

    def finished(self, step: str, done: int, total: int) -> None:
        self._pipe.send(("finished", step, done, total))


def run_watched(
    work: Callable[[StepReport], T],
    stall_after: float,
    on_finished: Callable[[str, int, int], None] | None = None,
) -> T:
    """Run ``work(report)`` in a forked child and return its (picklable) result.

    ``on_finished(step, done, total)`` is called in this process for each step the child
    finishes. Raises :class:`WorkStalled` after ``stall_after`` seconds without progress, the
    child's own exception if it raised one, :class:`WorkDied` if it ended without answering."""
    _return_free_memory()
    ours, theirs = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        ours.close()
        _child(work, theirs)
    theirs.close()
    child = _Child(pid)
    try:
        return _watch(child, ours, stall_after, on_finished)
    finally:
        ours.close()
        child.stop()


def _return_free_memory() -> None:
    """Give memory that is free but still held (garbage, Arrow's and the C library's free lists)
    back to the system: the child starts out holding every page the parent holds."""
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).malloc_trim(0)  # glibc


def _child(work: Callable[[StepReport], Any], pipe: Connection) -> None:
    code = 0
    try:
        _die_with_parent()
        # Ctrl-C goes to the whole process group; the parent stops the child itself
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        result = work(StepReport(pipe))
        pipe.send(("result", result))
    except BaseException as exc:
        code = 1
        with contextlib.suppress(BaseException):
            pipe.send(("error", _portable(exc)))
    finally:
        with contextlib.suppress(BaseException):
            pipe.close()
        # no interpreter shutdown: the parent's engine threads do not exist in this process,
        # and finalising objects that refer to them would wait for them for ever
        os._exit(code)


def _die_with_parent() -> None:
    """Have the kernel kill this child when its parent dies (Linux), so a killed load leaves no
    orphan writing on."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _activity(pid: int) -> tuple[int, int] | None:
    """The child's CPU time (clock ticks, all threads) and bytes read and written to storage, or
    None where ``/proc`` cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    io = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("read_bytes", "write_bytes"):
                io += int(value)
    return ticks, io


@dataclass
class _Child:
    pid: int
    status: int | None = None  # once waited for

    def stop(self) -> int:
        """Kill the child unless it has been waited for, wait for it, and return its status."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait()
        return self.status or 0

    def wait(self) -> int:
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                self.status = 0
        return self.status

    def how_it_ended(self) -> str:
        status = self.wait()
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            hint = " (the system ran out of memory?)" if number == signal.SIGKILL else ""
            return f"the write process was killed by signal {number}{hint}"
        return f"the write process exited with status {os.WEXITSTATUS(status)} without an answer"


def _watch(
    child: _Child, pipe: Connection, stall_after: float, on_finished: Callable[[str, int, int], None] | None
) -> Any:
    pid = child.pid
    step, done, total = "start", 0, 1
    since = time.monotonic()  # the last sign of progress
    mark = _activity(pid)
    while True:
        if pipe.poll(_POLL_SECONDS):
            try:
                message = pipe.recv()
            except EOFError:
                raise WorkDied(child.how_it_ended()) from None
            kind = message[0]
            if kind == "result":
                return message[1]
            if kind == "error":
                raise message[1]
            _, step, done, total = message
            if kind == "finished" and on_finished is not None:
                on_finished(step, done, total)
            since, mark = time.monotonic(), _activity(pid)
            continue
        now, seen = time.monotonic(), _activity(pid)
        if seen is not None and mark is not None:
            ticks, io = seen[0] - mark[0], seen[1] - mark[1]
            if io > 0 or (ticks > 0 and ticks >= _BUSY_SHARE * _CLOCK_TICKS * (now - since)):
                since, mark = now, seen
        if now - since >= stall_after:
            child.stop()
            raise WorkStalled(step, done, total, stall_after)

"""Errors raised by the stores."""

from __future__ import annotations

__all__ = [
    "AlertStatusConflict",
    "CaseStatusConflict",
    "PartialWriteError",
    "StoreBufferPoolFull",
    "StoreError",
    "StoreQueryError",
    "StoreUnavailable",
    "StoreWriteStalled",
]


class StoreError(RuntimeError):
    """A store operation failed; the message says which and why."""

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``zh`` or ``en``) where the error has one in both."""
        return str(self)


class StoreQueryError(StoreError):
    """A Cypher statement failed. Carries the statement so it can be reported."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(f"{message}\n-- query:\n{query.strip()}")
        self.message = message
        self.query = query

    def __reduce__(self) -> tuple[object, ...]:  # raised again in the process that started the write
        return (type(self), (self.message, self.query))


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached (locked folder, server down, bad credentials)."""


class StoreWriteStalled(StoreError):
    """A write made no progress for ``seconds`` at ``step`` (``done`` steps of ``total`` were
    finished) and was stopped; the store is as it was before the write."""

    def __init__(self, step: str, done: int, total: int, seconds: float, pool_mb: int) -> None:
        self.step, self.done, self.total, self.seconds, self.pool_mb = step, done, total, seconds, pool_mb
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        where = f"{self.step} ({self.done + 1}/{self.total})"
        if lang == "en":
            return (
                f"the write stalled: no progress for {self.seconds:g} s while writing {where}; it was "
                "stopped and the store is unchanged. LadybugDB's bulk insert (COPY) can deadlock at "
                "random, so running the same load again usually completes (SUNLIGHT_WRITE_ATTEMPTS "
                "tries it more often by itself). If it stalls again, try another buffer pool "
                f"(SUNLIGHT_BUFFER_POOL_MB, now {self.pool_mb}) or, on a very slow machine, a longer "
                "SUNLIGHT_WRITE_STALL_SECONDS."
            )
        return (
            f"写入停滞：写入 {where} 时 {self.seconds:g} 秒没有任何进展，已中止，数据库保持原样。"
            "LadybugDB 的批量写入（COPY）偶尔会死锁，重新运行同一次载入通常即可完成"
            "（SUNLIGHT_WRITE_ATTEMPTS 可让它自动多试几次）；若再次停滞，"
            f"可换一个缓冲池大小（SUNLIGHT_BUFFER_POOL_MB，当前 {self.pool_mb}），"
            "机器很慢时也可加大 SUNLIGHT_WRITE_STALL_SECONDS。"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.step, self.done, self.total, self.seconds, self.pool_mb))


class PartialWriteError(StoreError):
    """A write too large for one transaction failed after some of its transactions had
    committed: ``committed`` of ``total`` rows are in the store. Every write is an upsert, so
    writing the same data again completes it."""

    def __init__(self, committed: int, total: int, cause: str) -> None:
        self.committed, self.total, self.cause = committed, total, cause
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return (
                f"the write failed after {self.committed:,} of {self.total:,} rows had been committed "
                f"(it was too large for one transaction): {self.cause}. Loading the same extract "
                "again completes it; nothing already written is changed twice."
            )
        return (
            f"写入失败：数据量超过单个事务，已提交 {self.committed:,} / {self.total:,} 行后出错：{self.cause}。"
            "重新载入同一份数据即可补全，已写入的内容不会重复。"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.committed, self.total, self.cause))


class StoreBufferPoolFull(StoreError):
    """The engine's buffer pool (``pool_mb``) could not hold what writing ``step`` needed; the
    store is as it was before the write."""

    def __init__(self, step: str, pool_mb: int) -> None:
        self.step, self.pool_mb = step, pool_mb
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return (
                f"the buffer pool ({self.pool_mb} MB) ran full while writing {self.step}; nothing was "
                f"changed. Give it more memory, e.g. SUNLIGHT_BUFFER_POOL_MB={self.pool_mb * 2}."
            )
        return (
            f"写入 {self.step} 时缓冲池（{self.pool_mb} MB）已满，未做任何更改。"
            f"请加大缓冲池，例如 SUNLIGHT_BUFFER_POOL_MB={self.pool_mb * 2}。"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.step, self.pool_mb))


class AlertStatusConflict(StoreError):
    """A status change named the status it expected, and the alert had moved on meanwhile."""

    def __init__(self, alert_id: str, expected: str, actual: str) -> None:
        super().__init__(
            f"alert {alert_id} is {actual!r} now, not {expected!r}: another change got there first"
        )
        self.alert_id = alert_id
        self.expected = expected
        self.actual = actual


class CaseStatusConflict(AlertStatusConflict):
    """A case's status change named the status it expected, and the case had moved on meanwhile."""

    def __init__(self, case_id: str, expected: str, actual: str) -> None:
        super().__init__(case_id, expected, actual)
        self.args = (f"case {case_id} is {actual!r} now, not {expected!r}: another change got there first",)
        self.case_id = case_id

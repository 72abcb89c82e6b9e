"""What an OCDS load read, loaded and skipped, per publisher, in Chinese and English.

Every OCDS object the loader looks at is counted once as *seen* and then either as
*loaded* or as *skipped* with one reason, so for each kind of object

    seen == loaded + sum(skipped reasons)

holds per publisher (:meth:`PublisherReport.check` asserts it). *Notes* count
things that were loaded but changed or flagged on the way: amounts converted,
amounts in another currency kept out of money-based checks, dates taken from a
fallback field, joint awards split. Nothing is dropped without a count here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["KINDS", "NOTES", "SKIP_REASONS", "OcdsReport", "PublisherReport", "markdown_tables"]

#: Objects counted as seen / loaded / skipped, with their names (en, zh).
KINDS: dict[str, tuple[str, str]] = {
    "processes": ("processes", "个采购流程"),
    "awards": ("awards", "个授标"),
    "contracts": ("OCDS contracts", "个 OCDS 合同"),
    "bids": ("bids", "个投标"),
    "tenderers": ("tenderers", "个投标人"),
}

#: Why an object was not loaded: code -> (en, zh).
SKIP_REASONS: dict[str, tuple[str, str]] = {
    "linked_releases_only": (
        "record lists only linked releases, and the input holds none of them",
        "记录只有外部发布链接，输入中没有其内容",
    ),
    "ocid_missing": ("no ocid (or not a string)", "缺少 ocid（或不是字符串）"),
    "not_ocds": (
        "JSON that is neither a release, a record nor a package",
        "不是 OCDS 发布、记录或数据包的 JSON",
    ),
    "tender_cancelled": ("tender cancelled", "招标已取消"),
    "award_not_active": ("award cancelled or unsuccessful", "授标已取消或未成功"),
    "award_pending": ("award pending and no contract", "授标待定且无合同"),
    "contracts_not_loaded": ("none of the award's contracts could be loaded", "该授标的合同均未能载入"),
    "award_skipped": ("its award was skipped", "所属授标未载入"),
    "contract_cancelled": ("contract cancelled", "合同已取消"),
    "contract_amendment": (
        "amendment of another contract (extendsContractID)",
        "对另一合同的变更（extendsContractID）",
    ),
    "contract_without_award": ("contract names no award of its process", "合同未对应本流程的任何授标"),
    "no_supplier": ("no identifiable supplier", "没有可识别的供应商"),
    "amount_missing": ("amount missing or not a number", "金额缺失或不是数字"),
    "date_missing": (
        "no date (dateSigned, award date, contract start or release date)",
        "没有日期（签订日期、授标日期、合同开始日期或发布日期）",
    ),
    "bid_not_submitted": ("bid invited or withdrawn, not submitted", "投标为邀请或已撤回，未实际提交"),
    "bid_without_tenderer": ("bid names no identifiable tenderer", "投标未写明可识别的投标人"),
    "tenderer_unidentified": (
        "tenderer with neither id, identifier nor name",
        "投标人既无编号、标识也无名称",
    ),
}

#: Things loaded but changed or flagged: code -> (en, zh); ``{detail}`` is filled in.
NOTES: dict[str, tuple[str, str]] = {
    "other_currency": (
        "amounts in {detail} with no conversion rate: kept in {detail}, excluded from money-based checks",
        "以 {detail} 计价且无汇率的金额：按原币种保留，不参与金额类检测",
    ),
    "converted": ("amounts converted from {detail}", "金额已按汇率从 {detail} 换算"),
    "currency_missing": (
        "amounts without a currency, taken as {detail}",
        "未注明币种的金额，按 {detail} 处理",
    ),
    "bid_amount_dropped": (
        "bid amounts in {detail} with no conversion rate: bid kept without an amount",
        "以 {detail} 计价且无汇率的投标金额：保留投标，不记金额",
    ),
    "date_from": ("contract dates taken from {detail}", "合同日期取自 {detail}"),
    "joint_award_split": (
        "awards to several suppliers without one contract each: amount split equally",
        "授予多个供应商且无分别合同的授标：金额平均分摊",
    ),
    "bids_folded": (
        "tenderers with several bids in one process (lots): one bid row, amounts summed",
        "同一流程中多次投标（分标段）的投标人：合并为一条，金额相加",
    ),
    "joint_bid": (
        "bids by several tenderers together: each gets the bid's amount",
        "联合投标：每个投标人记整笔投标金额",
    ),
    "tenderer_without_amount": (
        "bid rows without an amount (tenderers only)",
        "无金额的投标记录（仅有投标人名单）",
    ),
    "bid_rows_left_out": (
        "bid rows without an amount left out: the data contract requires bid_amount",
        "无金额的投标记录未载入：数据契约要求投标金额必填",
    ),
    "method_not_in_codelist": (
        "procurement methods not in the OCDS codelist, kept in extra: {detail}",
        "不在 OCDS 代码表中的采购方式，保存在附加属性中：{detail}",
    ),
    "awards_not_a_list": (
        "processes whose awards are not a list (not OCDS); their awards were not read",
        "授标不是列表（不符合 OCDS）的流程；其授标未读取",
    ),
    "no_buyer": ("contract rows without a buyer or procuring entity", "没有采购人或采购单位的合同记录"),
    "supplier_unnamed": ("suppliers without a name, named by their id", "没有名称的供应商，以编号代替名称"),
    "without_award_or_bid": (
        "processes that gave no contract row and no bid (notices, plans, or every award skipped)",
        "既未产生合同记录也无投标的流程（公告、计划，或授标均未载入）",
    ),
}

#: Loaded objects that are not "seen" kinds: code -> (en, zh).
OUTPUTS: dict[str, tuple[str, str]] = {
    "contract_rows": ("contract rows", "条合同记录"),
    "bid_rows": ("bid rows", "条投标记录"),
    "suppliers": ("suppliers", "个供应商"),
    "departments": ("departments", "个部门"),
}

#: What was read, before mapping: code -> (en, zh).
READ: dict[str, tuple[str, str]] = {
    "files": ("files", "个文件"),
    "release_packages": ("release packages", "个发布数据包"),
    "record_packages": ("record packages", "个记录数据包"),
    "records": ("records", "条记录"),
    "releases": ("releases", "个发布"),
    "compiled_releases": ("compiled releases", "个汇编发布"),
    "linked_releases": ("linked releases", "个外部发布链接"),
    "duplicate_releases": ("releases read twice (counted once)", "个重复读取的发布（只计一次）"),
}


@dataclass
class PublisherReport:
    """Counts for one publisher."""

    publisher: str
    read: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    loaded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, reason)
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, detail)
    compiled_by: Counter[str] = field(default_factory=Counter)  # publisher / merge / single

    def see(self, kind: str, n: int = 1) -> None:
        self.seen[kind] += n

    def load(self, kind: str, n: int = 1) -> None:
        self.loaded[kind] += n

    def skip(self, kind: str, reason: str, n: int = 1) -> None:
        if reason not in SKIP_REASONS:
            raise KeyError(f"unknown skip reason {reason!r}")
        if n:
            self.skipped[(kind, reason)] += n

    def note(self, code: str, detail: str = "", n: int = 1) -> None:
        if code not in NOTES:
            raise KeyError(f"unknown note {code!r}")
        self.notes[(code, detail)] += n

    def skipped_of(self, kind: str) -> int:
        return sum(n for (k, _), n in self.skipped.items() if k == kind)

    def check(self) -> None:
        """Raise ``AssertionError`` unless seen = loaded + skipped for every kind."""
        for kind in KINDS:
            if self.seen[kind] != self.loaded[kind] + self.skipped_of(kind):
                raise AssertionError(
                    f"{self.publisher}: {kind} seen {self.seen[kind]} != loaded {self.loaded[kind]}"
                    f" + skipped {self.skipped_of(kind)}"
                )

    def lines(self, lang: str = "zh") -> list[str]:
        en = lang == "en"

        def name(table: dict[str, tuple[str, str]], code: str) -> str:
            return table[code][0] if en else table[code][1]

        def counted(table: dict[str, tuple[str, str]], counts: Counter[str]) -> str:
            sep = ", " if en else "，"
            return sep.join(f"{counts[c]} {name(table, c)}" for c in table if counts[c])

        out = [f"{self.publisher}"]
        read = counted(READ, self.read)
        out.append(f"    read: {read}" if en else f"    读取：{read}")
        loaded = counted({**KINDS, **OUTPUTS}, self.loaded)
        out.append(f"    loaded: {loaded or 'nothing'}" if en else f"    载入：{loaded or '无'}")
        for (kind, reason), n in sorted(self.skipped.items()):
            text = SKIP_REASONS[reason][0 if en else 1]
            what = name(KINDS, kind) if kind in KINDS else kind
            out.append(f"    skipped {n} {what}: {text}" if en else f"    未载入 {n} {what}：{text}")
        for (code, detail), n in sorted(self.notes.items()):
            text = NOTES[code][0 if en else 1].format(detail=detail)
            out.append(f"    note: {n} {text}" if en else f"    说明：{text}（{n}）")
        return out


class OcdsReport:
    """The per-publisher account of one OCDS load.

    ``currency`` is the dataset's main currency (configured, else the most frequent
    one in the data); ``rates`` the conversion rates that were applied.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.currency: str | None = None
        self.rates: dict[str, float] = {}
        self.publishers: dict[str, PublisherReport] = {}
        self.policy_kept = False  # the store's policy was kept, so its currency may differ
        self.suppliers = 0  # distinct over all publishers (a supplier may serve several)
        self.departments = 0

    def publisher(self, name: str) -> PublisherReport:
        if name not in self.publishers:
            self.publishers[name] = PublisherReport(name)
        return self.publishers[name]

    def check(self) -> None:
        for report in self.publishers.values():
            report.check()

    def total(self, what: str) -> int:
        """``loaded`` count of ``what`` summed over publishers."""
        return sum(r.loaded[what] for r in self.publishers.values())

    def frame(self) -> pd.DataFrame:
        """One row per publisher: what was read, loaded and skipped (for tables and tests)."""
        rows = []
        for report in self.publishers.values():
            row: dict[str, object] = {"publisher": report.publisher}
            row.update({f"read_{k}": report.read[k] for k in READ})
            for kind in KINDS:
                row[f"{kind}_seen"] = report.seen[kind]
                row[f"{kind}_loaded"] = report.loaded[kind]
                row[f"{kind}_skipped"] = report.skipped_of(kind)
            row.update({k: report.loaded[k] for k in OUTPUTS})
            row["skipped"] = "; ".join(f"{k}:{r}={n}" for (k, r), n in sorted(report.skipped.items()))
            row["notes"] = "; ".join(
                f"{c}{'[' + d + ']' if d else ''}={n}" for (c, d), n in sorted(report.notes.items())
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def render(self, lang: str = "zh") -> str:
        """The report as text, for the command line after a load."""
        en = lang == "en"
        processes = sum(r.loaded["processes"] for r in self.publishers.values())
        currency = self.currency or ("none" if en else "无")
        if en:
            head = (
                f"OCDS load report for {self.source}: {len(self.publishers)} publisher(s), "
                f"{processes} process(es) loaded, {self.suppliers} supplier(s), "
                f"{self.departments} department(s); main currency {currency}"
            )
        else:
            head = (
                f"OCDS 载入报告（{self.source}）：{len(self.publishers)} 个发布方，"
                f"载入 {processes} 个采购流程，{self.suppliers} 个供应商，{self.departments} 个部门；"
                f"主币种 {currency}"
            )
        if self.rates:
            rates = ", ".join(
                f"1 {cur} = {rate:g} {self.currency}" for cur, rate in sorted(self.rates.items())
            )
            head += f"; rates {rates}" if en else f"；汇率 {rates}"
        if self.policy_kept:
            head += (
                "; the store already has a policy, kept as it is: check that its currency is this one"
                if en
                else "；库中已有制度参数，保持不变：请核对其币种与此一致"
            )
        lines = [head]
        for report in self.publishers.values():
            lines.extend("  " + line for line in report.lines(lang))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render("en")


def markdown_tables(reports: list[tuple[str, OcdsReport]]) -> str:
    """Two Markdown tables over ``(source label, report)`` pairs, one row per publisher:
    what was read and loaded, then what was skipped and noted (in English)."""

    def ratio(pub: PublisherReport, kind: str) -> str:
        return f"{pub.loaded[kind]} / {pub.seen[kind]}"

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    counts = [
        "| source | publisher | files | processes loaded / seen | awards | OCDS contracts | contract rows"
        " | bids (bids.details) | tenderers | bid rows | suppliers | departments | currency |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    skips = ["| publisher | skipped (what: why = count) | notes (count) |", "|---|---|---|"]
    for label, report in reports:
        for pub in report.publishers.values():
            counts.append(
                f"| {label} | {cell(pub.publisher)} | {pub.read['files']} | {ratio(pub, 'processes')}"
                f" | {ratio(pub, 'awards')} | {ratio(pub, 'contracts')} | {pub.loaded['contract_rows']}"
                f" | {ratio(pub, 'bids')} | {ratio(pub, 'tenderers')} | {pub.loaded['bid_rows']}"
                f" | {pub.loaded['suppliers']} | {pub.loaded['departments']} | {report.currency or '-'} |"
            )
            skipped = "; ".join(
                f"{KINDS[kind][0] if kind in KINDS else kind}: {SKIP_REASONS[reason][0]} = {n}"
                for (kind, reason), n in sorted(pub.skipped.items())
            )
            notes = "; ".join(
                f"{NOTES[code][0].format(detail=detail)} ({n})"
                for (code, detail), n in sorted(pub.notes.items())
            )
            skips.append(f"| {cell(pub.publisher)} | {cell(skipped) or '-'} | {cell(notes) or '-'} |")
    return "\n".join(counts) + "\n\n" + "\n".join(skips) + "\n"

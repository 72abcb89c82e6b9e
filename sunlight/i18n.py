"""Messages of the command line in Chinese and English.

The language comes from ``--lang``, else from the locale (``LC_ALL``, ``LC_MESSAGES``,
``LANG``): English when it starts with ``en``, Chinese otherwise — Chinese is the
default because most users read it first.
"""

from __future__ import annotations

import os

__all__ = ["LANGS", "default_lang", "t"]

LANGS = ("zh", "en")

_MESSAGES: dict[str, tuple[str, str]] = {
    "generated": (
        "已生成演示数据：{path}（{contracts}份合同，{schemes}类植入线索）",
        "Generated a dataset in {path} ({contracts} contracts, {schemes} planted schemes)",
    ),
    "loading": ("正在读取 {source} …", "Reading {source} …"),
    "progress": ("  {what}：{done}/{total}", "  {what}: {done}/{total}"),
    "loaded": ("已载入 {source}：\n{summary}", "Loaded {source}:\n{summary}"),
    "load_warnings": (
        "数据质量提示 {n} 条（已载入，建议核实）：",
        "{n} data-quality warnings (loaded; worth checking):",
    ),
    "detecting": ("正在运行 {n} 个检测器 …", "Running {n} detectors …"),
    "detector_failed": ("检测器 {id} 运行失败：{error}", "Detector {id} failed: {error}"),
    "alerts_saved": (
        "预警：新增 {new}，更新 {updated}，未变 {unchanged}",
        "Alerts: {new} new, {updated} updated, {unchanged} unchanged",
    ),
    "summary_header": ("检测器", "Detector"),
    "level_high": ("高", "high"),
    "level_medium": ("中", "medium"),
    "level_low": ("低", "low"),
    "total": ("合计", "total"),
    "seconds": ("耗时(秒)", "seconds"),
    "top_alerts": ("风险最高的预警：", "Highest-risk alerts:"),
    "open_app": (
        "打开调查界面：\n  SUNLIGHT_STORE={store} {streamlit} run {app}\n"
        "然后在浏览器中访问 http://localhost:8501 ，用演示账户登录：用户名 {user}，密码 {password}\n"
        "（更多账户：sunlight user add 姓名 --role investigator --store {store}）",
        "Open the investigator app:\n  SUNLIGHT_STORE={store} {streamlit} run {app}\n"
        "then browse to http://localhost:8501 and sign in with the demo account: user {user}, password {password}\n"
        "(more accounts: sunlight user add NAME --role investigator --store {store})",
    ),
    "exported": ("已导出 {n} 行到 {path}", "Exported {n} rows to {path}"),
    "store_error": ("图数据库出错：{error}", "Store error: {error}"),
    "settings_error": ("检测器参数有误：{error}", "Detector settings error: {error}"),
    "not_found": ("找不到：{path}", "Not found: {path}"),
    "audit_ok": ("审计日志完整：{path}（{n}条记录）", "The trail is intact: {path} ({n} entries)"),
    "audit_broken": ("审计日志被篡改或损坏：{path}，{problem}", "The trail is broken: {path}, {problem}"),
    "demo_store_in_use": ("演示数据写入：{store}", "Demo store: {store}"),
    "report_written": ("已生成线索核查报告：{path}（{pages}）", "Wrote the report to {path} ({pages})"),
    "report_unknown": (
        "找不到案件或预警 {id}（数据来源：{store}）；可用 sunlight alerts --by case 查看编号",
        "No case or alert {id} in {store}; sunlight alerts --by case lists the ids",
    ),
    "report_cannot_write": ("无法写入报告文件 {path}：{error}", "Cannot write the report to {path}: {error}"),
    "report_no_account": (
        "未脱敏报告须以启用的账户生成，找不到账户 {user}（sunlight user list）",
        "An unmasked report needs an enabled account; there is none named {user} (sunlight user list)",
    ),
    "report_denied": (
        "{user} 不能生成 {id} 的未脱敏报告（仅限本人经办、尚在办理中的案件），本次请求已记入痕迹",
        "{user} may not make an unmasked report of {id} (only active cases assigned to them); "
        "the request is recorded in the trail",
    ),
    "report_missing_glyphs": (
        "提示：随附字体缺少以下字符，PDF 中不显示：{chars}",
        "Note: the shipped font lacks these characters, which the PDF leaves out: {chars}",
    ),
}


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def t(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``.

    >>> t("exported", "en", n=3, path="a.csv")
    'Exported 3 rows to a.csv'
    """
    zh, en = _MESSAGES[key]
    return (en if lang == "en" else zh).format(**values)

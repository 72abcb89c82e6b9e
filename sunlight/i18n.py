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

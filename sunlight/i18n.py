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
    "learn_rules_only": (
        "处置尚不足以学习：已确认/销号 {positive} 条预警，已排除 {negative} 条（每类至少 {minimum} 条）；队列仍只按规则分数排序",
        "Not enough decisions to learn from: {positive} confirmed/remediated alerts, {negative} dismissed "
        "(at least {minimum} of each); the queue stays ranked by the rule score alone",
    ),
    "learn_trained": (
        "{verb}模型 {version}：{positive} 条已确认、{negative} 条已排除；交叉验证 ROC-AUC {roc}（规则分数 {rule_roc}），"
        "PR-AUC {pr}（规则分数 {rule_pr}）",
        "{verb} model {version}: {positive} confirmed, {negative} dismissed; cross-validated ROC-AUC {roc} "
        "(rule score {rule_roc}), PR-AUC {pr} (rule score {rule_pr})",
    ),
    "learn_verb_trained": ("已训练", "Trained"),
    "learn_verb_would": ("将训练", "Would train"),
    "learn_verb_active": ("沿用", "Kept"),
    "learn_rescored": (
        "{verb}重新评分 {n} 条未处置预警：上调 {raised}，下调 {lowered}（规则分数不变）",
        "{verb} {n} open alerts: {raised} raised, {lowered} lowered (rule scores unchanged)",
    ),
    "learn_verb_rescored": ("已", "Re-scored"),
    "learn_verb_would_rescore": ("将", "Would re-score"),
    "learn_moves": ("变化最大的预警：", "Alerts that move most:"),
    "learn_dry_run": ("（试运行：未写入任何内容）", "(dry run: nothing written)"),
    "learn_restored": (
        "已恢复模型 {version}，重新评分 {n} 条预警（此前为 {replaced}）",
        "Restored model {version} and re-scored {n} alerts (was {replaced})",
    ),
    "learn_no_models": ("库中尚无学习模型", "No learned model in the store yet"),
    "learn_unknown": (
        "找不到模型 {version}（sunlight learn --list 列出已有模型）",
        "No model {version} (sunlight learn --list lists them)",
    ),
    "learn_suggestion": (
        "排除理由「{reason}」已用于 {cases} 个案件（{detectors}）。可考虑在 policy.yaml 中加入：\n    {yaml}",
        'The dismissal reason "{reason}" was given to {cases} cases ({detectors}). Consider adding to policy.yaml:\n    {yaml}',
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

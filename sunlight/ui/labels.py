"""Every word the investigator app shows, in Chinese and English.

Chinese is the default; English is one switch away. Names of detector families,
entity types and relationship types come from where they are defined
(``detectors.base.FAMILIES`` and ``graph.schema``) so that they cannot drift.
"""

from __future__ import annotations

from detectors.base import FAMILIES
from graph.schema import NODE_TYPES, REL_TYPES
from graph.store import ALERT_STATUSES

__all__ = [
    "COLUMN_NAMES",
    "LABELS",
    "LANGS",
    "column_name",
    "entity_type_name",
    "family_name",
    "grade_name",
    "label_name",
    "level_name",
    "relation_name",
    "status_name",
    "t",
]

LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # ---- frame -----------------------------------------------------------------------
    "app_title": ("阳光 · 采购廉洁风险预警", "Sunlight · procurement integrity alerts"),
    "app_tagline": ("阳光是最好的防腐剂", "Sunlight is the best disinfectant"),
    "language": ("语言 / Language", "语言 / Language"),
    "signed_in_as": ("当前用户：{name}（{role}）", "Signed in: {name} ({role})"),
    "signed_in_via_proxy": ("经单位统一认证登录", "Signed in through your organisation's sign-in"),
    "sign_out": ("退出登录", "Sign out"),
    "store_in_use": ("数据来源：{store}", "Data: {store}"),
    "store_missing": (
        "找不到数据：{error}。请先运行 `sunlight demo`，或 `sunlight load` 与 `sunlight detect`。",
        "No data: {error}. Run `sunlight demo`, or `sunlight load` and `sunlight detect`, first.",
    ),
    "no_alerts": (
        "暂无预警。请先运行 `sunlight detect`（或 `sunlight demo`）。",
        "No alerts yet. Run `sunlight detect` (or `sunlight demo`) first.",
    ),
    "refresh": ("刷新数据", "Reload data"),
    "data_as_of": ("数据读取于 {at}", "Data read at {at}"),
    "masked_note": (
        "身份证号、电话、银行账号及个人住址已脱敏显示。",
        "Identity numbers, phones, bank accounts and home addresses are masked.",
    ),
    # ---- signing in ------------------------------------------------------------------
    "sign_in_title": ("登录", "Sign in"),
    "sign_in_intro": (
        "请使用阳光系统账户登录。所有登录、处置和查看未脱敏信息的操作均记入痕迹。",
        "Sign in with your Sunlight account. Sign-ins, case actions and unmasked views are all recorded.",
    ),
    "account_name": ("账户名", "Account name"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "signed_out": ("已退出登录。", "Signed out."),
    "role_viewer": ("查看人员", "viewer"),
    "role_investigator": ("调查人员", "investigator"),
    "role_admin": ("管理员", "administrator"),
    "auth_bad_credentials": ("账户名或密码错误。", "Wrong account name or password."),
    "auth_bad_credentials_wait": (
        "账户名或密码错误。请{wait}后再试。",
        "Wrong account name or password. Try again in {wait}.",
    ),
    "auth_throttled": (
        "登录尝试过于频繁，请{wait}后再试。",
        "Too many sign-in attempts: try again in {wait}.",
    ),
    "auth_locked": (
        "登录失败次数过多，已临时锁定。请{wait}后再试，或请管理员解锁。",
        "Too many failed sign-ins: sign-in is locked for now. Try again in {wait}, or ask an administrator to unlock it.",
    ),
    "sign_in_intro_oidc": (
        "请使用单位统一身份认证登录。所有登录、处置和查看未脱敏信息的操作均记入痕迹。",
        "Sign in with your organisation's account. Sign-ins, case actions and unmasked views are all recorded.",
    ),
    "sign_in_oidc": ("统一身份认证登录", "Sign in with your organisation's account"),
    "auth_provider_again": (
        "请重新通过统一身份认证登录。",
        "Sign in again with your organisation's account.",
    ),
    "wait_seconds": ("{n} 秒", "{n} s"),
    "wait_minutes": ("{n} 分钟", "{n} min"),
    "auth_session_expired": (
        "长时间未操作，已自动退出登录。请重新登录。",
        "You were signed out after a time without activity. Sign in again.",
    ),
    "auth_signed_out_elsewhere": (
        "此次登录已结束（已在其他页面退出，或被管理员结束）。请重新登录。",
        "This sign-in has ended (signed out in another tab, or ended by an administrator). Sign in again.",
    ),
    "auth_account_closed": (
        "您的账户已被停用或删除，已退出登录。",
        "Your account has been disabled or removed; you are signed out.",
    ),
    "auth_not_from_proxy": (
        "此请求未经过单位统一认证入口，已拒绝。请从统一认证入口打开本系统。",
        "This request did not come through your organisation's sign-in; open the app through it.",
    ),
    "auth_no_identity": (
        "统一认证入口未提供您的身份，无法登录。请联系系统管理员。",
        "The sign-in in front of the app did not say who you are. Contact the administrator.",
    ),
    "auth_no_role": (
        "您的账户尚未分配本系统的角色，无法登录。请联系系统管理员。",
        "Your account has no role in Sunlight. Contact the administrator.",
    ),
    "auth_failed": ("登录未成功（{code}）。", "Sign-in failed ({code})."),
    "auth_config_error": (
        "账户配置有误，系统暂不能使用：{error}",
        "The account settings are wrong; the app cannot be used until they are fixed: {error}",
    ),
    "auth_trail_unwritable": (
        "痕迹文件无法写入，登录未完成：{error}",
        "The trail cannot be written, so the sign-in did not complete: {error}",
    ),
    "no_accounts": (
        "尚未创建任何账户，系统暂不能使用。请在服务器上创建第一个账户（将提示输入两次密码，至少 {n} 个字符），然后刷新本页：",
        "There are no accounts yet, so the app cannot be used. Create the first one on the server "
        "(it asks for the password twice, at least {n} characters), then reload this page:",
    ),
    # ---- pages -----------------------------------------------------------------------
    "page_overview": ("风险总览", "Overview"),
    "page_queue": ("预警队列", "Alert queue"),
    "page_case": ("案件核查", "Case"),
    "page_search": ("对象查询", "Entity search"),
    "page_console": ("分析查询", "Query console"),
    # ---- overview ----------------------------------------------------------------------
    "kpi_alerts": ("预警总数", "Alerts"),
    "kpi_high": ("一级（高风险）", "Grade 1 (high)"),
    "kpi_medium": ("二级（中风险）", "Grade 2 (medium)"),
    "kpi_open": ("待处理", "Open"),
    "kpi_flagged_value": ("涉及合同金额", "Contract value involved"),
    "kpi_flagged_share": ("占合同总额 {share}", "{share} of all contract value"),
    "kpi_entities": ("涉及对象", "Entities flagged"),
    "heatmap_title": ("风险热力图：部门 × 风险类别", "Risk heatmap: department × detector family"),
    "heatmap_metric": ("单元格显示", "Cells show"),
    "metric_risk": ("最高风险分", "Highest risk score"),
    "metric_value_share": ("涉险金额占比", "Flagged value share"),
    "metric_count": ("预警数", "Alert count"),
    "heatmap_help": (
        "点击一个单元格，即在预警队列中按该部门和风险类别筛选。",
        "Select a cell to filter the alert queue to that department and family.",
    ),
    "heatmap_selected": ("已选：{department} × {family}", "Selected: {department} × {family}"),
    "open_filtered_queue": ("查看这些预警", "Show these alerts"),
    "department": ("部门", "Department"),
    "no_department": ("（未归属部门）", "(no department)"),
    "trend_title": ("风险趋势（按合同签订月份）", "Risk over time (by contract signing month)"),
    "trend_month": ("月份", "Month"),
    "trend_value": ("涉险合同金额（万元）", "Flagged contract value (10k CNY)"),
    "trend_empty": ("预警中没有可按时间展示的合同。", "No contracts in the alerts to show over time."),
    "hot_graph_title": ("最高风险关系网络", "Highest-risk network"),
    "hot_graph_caption": (
        "风险最高的{n}条预警所涉对象；颜色越深风险越高。",
        "Entities of the {n} highest-risk alerts; the darker, the riskier.",
    ),
    # ---- queue -------------------------------------------------------------------------
    "filters": ("筛选", "Filters"),
    "any": ("全部", "Any"),
    "f_detector": ("检测器", "Detector"),
    "f_family": ("风险类别", "Family"),
    "f_level": ("风险等级", "Level"),
    "f_grade": ("预警级别", "Grade"),
    "f_department": ("部门", "Department"),
    "f_status": ("状态", "Status"),
    "f_assignee": ("经办人", "Assignee"),
    "f_period": ("时间范围", "Period"),
    "f_text": ("关键词（名称、编号、说明）", "Keyword (name, id, explanation)"),
    "unassigned": ("（未分配）", "(unassigned)"),
    "sort_by": ("排序", "Sort by"),
    "sort_score": ("风险分（高→低）", "Risk score (high → low)"),
    "sort_learned": ("学习分数（高→低）", "Learned score (high → low)"),
    "sort_newest": ("最近发现", "Most recently seen"),
    "sort_grade": ("预警级别", "Grade"),
    "sort_status": ("状态", "Status"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "queue_count": ("共 {n} 条预警（总计 {total} 条）", "{n} alerts (of {total})"),
    "queue_help": ("选中一行后点击“打开案件”。", "Select a row, then “Open case”."),
    "open_case": ("打开案件", "Open case"),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_sheet": ("预警清单", "alerts"),
    "col_alert_id": ("预警编号", "Alert id"),
    "col_grade": ("级别", "Grade"),
    "col_level": ("等级", "Level"),
    "col_score": ("风险分", "Score"),
    "col_learned_score": ("学习分数", "Learned score"),
    "col_learned_why": ("学习分数变化原因", "Why the learned score moved"),
    "case_learned_score": ("学习分数", "Learned score"),
    "case_learned_rules_only": (
        "尚无学习模型：仅按规则分数排序（见 sunlight learn）",
        "No learned model yet: ranked by the rule score alone (see sunlight learn)",
    ),
    "case_learned_why": ("学习分数为何变化", "Why the learned score moved"),
    "case_learned_beside": ("规则分数 {rule}", "rule score {rule}"),
    "col_detector": ("检测器", "Detector"),
    "col_family": ("风险类别", "Family"),
    "col_department": ("部门", "Department"),
    "col_entities": ("涉及对象", "Entities"),
    "col_status": ("状态", "Status"),
    "col_assignee": ("经办人", "Assignee"),
    "col_period": ("涉及期间", "Period"),
    "col_first_seen": ("首次发现", "First seen"),
    "col_last_seen": ("最近发现", "Last seen"),
    "col_explanation": ("说明", "Explanation"),
    "col_explanation_zh": ("说明（中文）", "Explanation (Chinese)"),
    "col_explanation_en": ("说明（英文）", "Explanation (English)"),
    # ---- case --------------------------------------------------------------------------
    "choose_alert": ("选择案件（线索）", "Choose a case"),
    "no_case_selected": (
        "请在预警队列中选择一条预警，或在上方选择。",
        "Pick an alert in the queue, or choose one above.",
    ),
    "case_header": ("{grade} · {title}", "{grade} · {title}"),
    "explanation_zh": ("说明（中文）", "Explanation (Chinese)"),
    "explanation_en": ("说明（英文）", "Explanation (English)"),
    "threshold_fired": ("触发的阈值", "Threshold that fired"),
    "threshold_name": ("参数", "Parameter"),
    "threshold_value": ("阈值", "Threshold"),
    "measured_value": ("本案数值", "Measured here"),
    "metrics": ("指标", "Measures"),
    "evidence_graph": ("证据关系图", "Evidence graph"),
    "hops": ("展开层数", "Hops"),
    "show_more": ("显示更多邻居（+{n}）", "Show {n} more neighbours"),
    "show_fewer": ("只看证据对象", "Evidence only"),
    "graph_truncated": (
        "已显示 {shown} 个对象；还有更多邻居未显示。",
        "Showing {shown} entities; more neighbours are not shown.",
    ),
    "graph_complete": ("已显示 {shown} 个对象。", "Showing {shown} entities."),
    "evidence_rows": ("证据明细", "Evidence records"),
    "no_evidence_rows": ("该预警没有明细记录。", "This alert has no evidence records."),
    "timeline": ("时间线：合同、审批、付款", "Timeline: contracts, approvals, payments"),
    "no_timeline": ("没有可展示的合同、审批或付款记录。", "No contracts, approvals or payments to show."),
    "ev_time": ("时间", "When"),
    "ev_kind": ("事项", "Event"),
    "ev_contract": ("合同", "Contract"),
    "ev_party": ("相关方", "Party"),
    "ev_amount": ("金额（元）", "Amount (CNY)"),
    "ev_detail": ("说明", "Detail"),
    "ev_signed": ("签订合同", "Contract signed"),
    "ev_approved": ("审批（第{step}步）", "Approval (step {step})"),
    "ev_rejected": ("驳回（第{step}步）", "Rejected (step {step})"),
    "ev_paid": ("付款", "Payment"),
    "ev_approval": ("审批", "Approval"),
    "workflow": ("处置", "Case handling"),
    "status_now": ("当前状态：{status}", "Status: {status}"),
    "assignee_now": ("经办人：{who}", "Assignee: {who}"),
    "new_status": ("变更状态为", "Move to"),
    "reason": ("排除理由（必填）", "Reason for dismissal (required)"),
    "remediation_note": ("整改说明（必填）", "What was done (required to close)"),
    "status_note": ("备注（可选）", "Note (optional)"),
    "apply_status": ("确认变更", "Change status"),
    "assign_to": ("指派给", "Assign to"),
    "apply_assign": ("指派", "Assign"),
    "assign_pick": ("选择账户", "Choose an account"),
    "add_note": ("添加备注", "Add note"),
    "note_text": ("备注内容", "Note"),
    "final_status": ("已销号，流程结束。", "Remediated (closed); nothing further to do."),
    "status_changed": ("状态已变更为：{status}", "Status changed to {status}"),
    "assigned": ("已指派给：{who}", "Assigned to {who}"),
    "note_added": ("备注已记录", "Note recorded"),
    "need_user": ("请先登录。", "Sign in first."),
    "err_access": (
        "您的角色不能执行此操作，本次尝试已记入痕迹。",
        "Your role does not allow this; the attempt is recorded in the trail.",
    ),
    "case_read_only_viewer": (
        "查看人员可以阅读案件，不能处置。",
        "Viewers read cases; they do not act on them.",
    ),
    "case_read_only_other": (
        "只有本案经办人（{who}）或管理员可以处置本案。",
        "Only this case's assignee ({who}) or an administrator can act on it.",
    ),
    "case_read_only_unassigned": (
        "本案尚未指派经办人；指派后由经办人处置，管理员可处置任何案件。",
        "This case has no assignee yet; once assigned, the assignee acts on it (administrators on any case).",
    ),
    "assign_admin_only": ("只有管理员可以指派案件。", "Only an administrator assigns cases."),
    "show_unmasked": ("显示未脱敏信息", "Show unmasked"),
    "show_unmasked_help": (
        "本次查看将记入痕迹（查看人、时间、案件、字段）。",
        "The view is recorded in the trail: who, when, which case, which fields.",
    ),
    "unmasked_banner": (
        "正在显示未脱敏的个人信息（{fields}），本次查看已记入痕迹。页面上的任何操作都会恢复脱敏显示。",
        "Personal information is shown unmasked ({fields}); this view is recorded in the trail. "
        "Any action on the page masks it again.",
    ),
    "mask_again": ("恢复脱敏", "Mask again"),
    "unmask_denied": (
        "您不能查看这里的未脱敏信息，本次请求已记入痕迹。",
        "You may not see this unmasked; the request is recorded in the trail.",
    ),
    "unmask_trail_failed": (
        "痕迹文件无法写入，因此不显示未脱敏信息：{error}",
        "The trail cannot be written, so nothing is shown unmasked: {error}",
    ),
    "unmask_hint": (
        "未脱敏信息只对本人经办、尚在办理中的案件开放；管理员须先将案件指派给自己。",
        "Unmasked details are open only on active cases assigned to you; "
        "an administrator assigns the case to themselves first.",
    ),
    "store_busy": (
        "数据库正被其他任务写入（如夜间检测），请稍后重试：{error}",
        "The store is being written by another job (such as the nightly run); try again shortly: {error}",
    ),
    "history": ("处置记录（痕迹）", "Case history (trail)"),
    "no_history": ("尚无处置记录。", "No actions recorded yet."),
    "h_at": ("时间", "When"),
    "h_actor": ("操作人", "Who"),
    "h_action": ("操作", "Action"),
    "h_detail": ("内容", "Detail"),
    "act_status": ("变更状态", "Status change"),
    "act_assign": ("指派", "Assignment"),
    "act_note": ("备注", "Note"),
    "act_merge": ("合并线索", "Cases merged"),
    "act_split": ("拆分线索", "Case split"),
    "act_reopen": ("因新证据重新打开", "Re-opened by new evidence"),
    "act_refused": ("未生效（状态已变）", "Not applied (the case had moved)"),
    "state_pending": ("（待生效）", " (pending)"),
    "detail_merge": ("线索 {case} 并入本案", "Case {case} merged into this one"),
    "detail_split": ("自线索 {case} 拆出", "Split from case {case}"),
    "err_no_case": (
        "预警 {alert_id} 尚未归入线索：请先运行 sunlight detect。",
        "Alert {alert_id} is in no case yet: run sunlight detect first.",
    ),
    "err_merged": (
        "线索 {case_id} 已并入 {into}（当前状态“{status}”），请在该线索上重新操作。",
        "Case {case_id} was merged into {into} (now “{status}”); act on that case instead.",
    ),
    "action_pending": (
        "已记录，待生效：数据库正被夜间检测等任务写入，该任务在检测器之间及结束时按顺序应用您的操作。",
        "Recorded, pending: the store is being written by another job (such as the nightly run), "
        "which applies your action, in order, between its detectors and when it ends.",
    ),
    "pending_here": (
        "本案有 {n} 项操作待生效（数据库忙）：{actions}",
        "{n} action(s) on this case are pending (the store is busy): {actions}",
    ),
    "action_refused_later": (
        "您此前提交的操作未生效：{reason}",
        "An action you asked for earlier was not applied: {reason}",
    ),
    "col_case_id": ("线索编号", "Case id"),
    "col_case_score": ("线索风险分", "Case score"),
    "col_case_level": ("线索等级", "Case level"),
    "col_case_status": ("线索状态", "Case status"),
    "col_corroboration": ("佐证（风险类别 最高分）", "Corroboration (family best score)"),
    "col_alerts": ("预警数", "Alerts"),
    "case_alerts": ("本线索的预警", "Alerts in this case"),
    "choose_case_alert": ("查看预警", "Alert shown"),
    "case_facts_corroboration": ("佐证", "Corroboration"),
    "kpi_cases": ("线索数", "Cases"),
    "kpi_corroborated": ("多类佐证线索", "Corroborated cases"),
    "top_cases": ("风险最高的线索", "Riskiest cases"),
    "case_count": (
        "共 {n} 条线索、{alerts} 条预警（总计 {total} 条预警）",
        "{n} cases, {alerts} alerts (of {total} alerts)",
    ),
    "case_help": (
        "每行是一条线索（共享对象的预警合并而成，多类检测器相互佐证者居前）；选中一行查看其预警，再点击“打开案件”。",
        "Each row is a case (alerts that share entities; cases corroborated by several kinds of "
        "detector come first); select a row to see its alerts, then “Open case”.",
    ),
    "err_transition": (
        "不能从“{from_}”变更为“{to}”；可选：{allowed}",
        "Cannot move from “{from_}” to “{to}”; allowed: {allowed}",
    ),
    "err_reason": ("排除预警必须填写理由。", "A dismissal needs a reason."),
    "err_remediation": ("销号必须填写整改说明。", "Remediation needs a note of what was done."),
    "err_note": ("备注不能为空。", "A note cannot be empty."),
    "err_assignee": ("请填写经办人。", "Enter an assignee."),
    "err_unknown_alert": ("找不到预警 {alert_id}。", "No alert {alert_id}."),
    "err_changed": (
        "该案件已被他人变更为“{status}”，请刷新后重试。",
        "Someone else moved this case to “{status}”; reload and try again.",
    ),
    # ---- case report (线索核查报告) ----------------------------------------------------------
    "report_title": ("线索核查报告", "Lead verification report"),
    "report_confidential": ("内部资料 · 注意保密", "Internal · confidential"),
    "report_page": ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}"),
    "report_generated": (
        "生成时间：{at}　生成人：{who}　数据来源：{store}",
        "Generated {at} by {who} · data: {store}",
    ),
    "report_masked": (
        "本报告中的个人信息（电话、账号、身份证号、住址）已脱敏。",
        "Personal identifiers (phones, accounts, identity numbers, addresses) in this report are masked.",
    ),
    "report_unmasked": (
        "本报告含未脱敏的个人信息，仅供本案经办使用；本次生成已记入痕迹（第 {seq} 条）。",
        "This report shows personal identifiers unmasked, for this case's work only; "
        "its making is recorded in the trail (entry {seq}).",
    ),
    "report_basics": ("一、基本情况", "1. Summary"),
    "report_entities": ("涉及对象", "Entities named"),
    "report_alerts": ("所含预警", "Its alerts"),
    "report_detector": ("检测规则", "Detector"),
    "report_explanation": ("二、预警说明", "2. What was found"),
    "report_thresholds": ("三、阈值与本案数值", "3. Thresholds and measured values"),
    "report_graph": ("四、证据关系图", "4. Evidence graph"),
    "report_rows": ("五、证据明细", "5. Evidence records"),
    "report_timeline": ("六、时间线", "6. Timeline"),
    "report_history": ("七、处置记录（痕迹）", "7. Case history (trail)"),
    "report_chain": (
        "每条记录标明其在痕迹哈希链中的位置（序号与哈希前缀），可用 sunlight audit verify 核验。",
        "Each entry gives its place in the trail's hash chain (sequence number and hash prefix); "
        "check it with sunlight audit verify.",
    ),
    "report_chain_seq": ("序号", "Seq"),
    "report_chain_hash": ("哈希前缀", "Hash prefix"),
    "report_graph_caption": (
        "图中 {nodes} 个对象、{edges} 条关系；★ 为本预警涉及的对象，个人标识已脱敏。",
        "{nodes} entities and {edges} relationships; ★ marks the entities this alert names; "
        "personal identifiers are masked.",
    ),
    "report_more_rows": ("（另有 {n} 行未列出）", "({n} more rows not listed)"),
    "report_download": ("下载核查报告", "Download report"),
    "report_download_help": (
        "生成线索核查报告（PDF 或 Word）；当前为未脱敏显示时报告同样不脱敏，并记入痕迹。",
        "Make the lead verification report (PDF or Word); while the page is unmasked the report is too, "
        "and that is recorded in the trail.",
    ),
    "report_format": ("报告格式", "Report format"),
    "report_trail_failed": (
        "痕迹文件无法写入，因此不能生成未脱敏报告：{error}",
        "The trail cannot be written, so no unmasked report is made: {error}",
    ),
    # ---- search ------------------------------------------------------------------------
    "search_box": (
        "姓名或名称（汉字或拼音）、编号、手机号或身份证号",
        "Name (characters or pinyin), id, phone or identity number",
    ),
    "search_help": (
        "拼音可输全拼或首字母，如 zhangwei 或 zw；电话和证件号须输入完整号码。",
        "Pinyin may be full or initials (zhangwei, zw); phones and identity numbers must be complete.",
    ),
    "search_types": ("查找范围", "Look in"),
    "search_none": ("没有找到匹配的对象。", "Nothing matches."),
    "search_results": ("找到 {n} 个对象", "{n} matches"),
    "search_pick": ("选择一个对象查看其关系", "Select one to see its neighbourhood"),
    "matched_on": ("匹配", "Matched on"),
    "match_name": ("名称", "name"),
    "match_pinyin": ("拼音", "pinyin"),
    "match_id": ("编号", "id"),
    "match_phone": ("电话", "phone"),
    "match_id_number": ("证件号", "identity number"),
    "match_credit_code": ("信用代码", "credit code"),
    "neighbourhood": ("关系网络：{name}", "Neighbourhood: {name}"),
    "entity_alerts": ("涉及该对象的预警", "Alerts about this entity"),
    "entity_props": ("基本信息", "Details"),
    "entity_risk": ("综合风险", "Combined risk"),
    "no_entity_alerts": ("该对象没有预警。", "No alerts about this entity."),
    "col_type": ("类型", "Type"),
    "col_id": ("编号", "Id"),
    "col_name": ("名称", "Name"),
    "col_extra": ("部门 / 信用代码", "Department / credit code"),
    "col_phone": ("电话", "Phone"),
    "col_risk": ("综合风险", "Risk"),
    "prop": ("属性", "Property"),
    "value": ("值", "Value"),
    # ---- console -----------------------------------------------------------------------
    "console_intro": (
        "从分析查询库中选择一条查询，填写参数后只读运行。",
        "Choose a query from the library, fill in its parameters and run it read-only.",
    ),
    "console_empty": ("查询库中还没有查询。", "The query library is empty."),
    "console_query": ("查询", "Query"),
    "console_params": ("参数", "Parameters"),
    "console_run": ("运行（只读）", "Run (read-only)"),
    "console_rows": ("返回 {n} 行", "{n} rows"),
    "console_error": ("查询失败：{error}", "The query failed: {error}"),
    "console_graph": ("结果中的对象及其关系", "Entities in the result and their ties"),
    "console_no_graph": ("结果中没有可绘制的对象。", "No entities in the result to draw."),
    "console_cypher": ("查看 Cypher", "Show the Cypher"),
    # ---- graph legend ------------------------------------------------------------------
    "legend": ("图例", "Legend"),
    "legend_high": ("高风险", "High risk"),
    "legend_medium": ("中风险", "Medium risk"),
    "legend_focus": ("预警对象", "Flagged"),
    "legend_heat": ("风险：低 → 高", "Risk: low → high"),
    "tip_type": ("类型", "Type"),
    "tip_id": ("编号", "Id"),
    "tip_risk": ("风险", "Risk"),
    "graph_aria": ("关系图：{n} 个对象，{m} 条关系", "Graph: {n} entities, {m} ties"),
    "graph_empty": ("没有可绘制的对象。", "Nothing to draw."),
    # ---- values ------------------------------------------------------------------------
    "level_high": ("高", "High"),
    "level_medium": ("中", "Medium"),
    "level_low": ("低", "Low"),
    "grade_一级": ("一级", "Grade 1"),
    "grade_二级": ("二级", "Grade 2"),
    "grade_三级": ("三级", "Grade 3"),
    "status_open": ("待处理", "Open"),
    "status_reviewing": ("核查中", "Reviewing"),
    "status_confirmed": ("已确认", "Confirmed"),
    "status_dismissed": ("已排除", "Dismissed"),
    "status_remediated": ("已销号", "Remediated"),
}

_STATUS_KEYS = {status: f"status_{status}" for status in ALERT_STATUSES}

#: Names of properties, evidence fields and query columns that recur; others are shown as written.
COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "type": ("类型", "Type"),
    "id": ("编号", "Id"),
    "name": ("名称", "Name"),
    "position": ("职务", "Position"),
    "hire_date": ("入职日期", "Hired"),
    "leave_date": ("离职日期", "Left"),
    "phone": ("电话", "Phone"),
    "id_number": ("证件号码", "Identity number"),
    "bank_account": ("银行账户", "Bank account"),
    "address": ("地址", "Address"),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "legal_rep": ("法定代表人", "Legal representative"),
    "registered_date": ("注册日期", "Registered"),
    "registered_capital": ("注册资本", "Registered capital"),
    "blacklisted": ("黑名单", "Blacklisted"),
    "department_id": ("部门编号", "Department id"),
    "department_name": ("部门", "Department"),
    "amount": ("金额", "Amount"),
    "total_amount": ("合计金额", "Total amount"),
    "signed_date": ("签订日期", "Signed"),
    "category": ("品类", "Category"),
    "item": ("标的", "Item"),
    "quantity": ("数量", "Quantity"),
    "unit_price": ("单价", "Unit price"),
    "method": ("采购方式", "Method"),
    "paid_at": ("付款时间", "Paid at"),
    "payee_name": ("收款人", "Payee"),
    "payee_account": ("收款账户", "Payee account"),
    "contract_id": ("合同编号", "Contract"),
    "contract_ids": ("合同编号", "Contracts"),
    "contracts": ("合同数", "Contracts"),
    "supplier_id": ("供应商编号", "Supplier"),
    "supplier_name": ("供应商", "Supplier name"),
    "employee_id": ("员工编号", "Employee"),
    "employee_name": ("员工", "Employee name"),
    "approver_id": ("审批人编号", "Approver"),
    "approver_name": ("审批人", "Approver name"),
    "requester_id": ("申请人编号", "Requester"),
    "tender_id": ("招标编号", "Tender"),
    "payment_id": ("付款编号", "Payment"),
    "bid_amount": ("投标报价", "Bid"),
    "step": ("审批步骤", "Step"),
    "approved_at": ("审批时间", "Approved at"),
    "decision": ("审批意见", "Decision"),
    "kind": ("标识类型", "Identifier"),
    "value": ("值", "Value"),
    "shared": ("共用标识", "Shared"),
    "share": ("占比", "Share"),
    "hops": ("跳数", "Hops"),
    "label": ("类型", "Type"),
    "role": ("角色", "Role"),
    "date": ("日期", "Date"),
    "reason": ("原因", "Reason"),
    "explanation": ("预警说明", "Explanation"),
    "notes": ("处置记录", "Case notes"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (Chinese unless ``"en"``), formatted with ``values``.

    >>> t("queue_count", "en", n=3, total=10), t("queue_count", "zh", n=3, total=10)
    ('3 alerts (of 10)', '共 3 条预警（总计 10 条）')
    """
    zh, en = LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def column_name(name: str, lang: str) -> str:
    """A property or column as people call it; unknown names as written.

    >>> column_name("signed_date", "zh"), column_name("lift", "zh")
    ('签订日期', 'lift')
    """
    zh, en = COLUMN_NAMES.get(name, (name, name))
    return en if lang == "en" else zh


def family_name(family: str, lang: str) -> str:
    """A detector family as people call it.

    >>> family_name("bidding", "zh"), family_name("bidding", "en")
    ('围标串标', 'Bid rigging')
    """
    zh, en = FAMILIES.get(family, (family, family))
    return en if lang == "en" else zh


def status_name(status: str, lang: str) -> str:
    key = _STATUS_KEYS.get(status)
    return t(key, lang) if key else str(status)


def level_name(level: str, lang: str) -> str:
    key = f"level_{level}"
    return t(key, lang) if key in LABELS else str(level)


def grade_name(grade: str, lang: str) -> str:
    key = f"grade_{grade}"
    return t(key, lang) if key in LABELS else str(grade)


_NODE_NAMES = {spec.label: (spec.doc_zh, spec.doc_en) for spec in NODE_TYPES}
_TYPE_NAMES = {spec.entity_type: (spec.doc_zh, spec.doc_en) for spec in NODE_TYPES}
_REL_NAMES = {rel.type: (rel.doc_zh, rel.doc_en) for rel in REL_TYPES}


def label_name(label: str, lang: str) -> str:
    """A node label as people call it: ``Supplier`` -> 供应商 / Supplier."""
    zh, en = _NODE_NAMES.get(label, (label, label))
    return en if lang == "en" else zh


def entity_type_name(entity_type: str, lang: str) -> str:
    """An entity type as people call it: ``supplier`` -> 供应商 / Supplier."""
    zh, en = _TYPE_NAMES.get(entity_type, (entity_type, entity_type))
    return en if lang == "en" else zh


def relation_name(rel: str, lang: str) -> str:
    """A relationship type as people call it: ``APPROVED`` -> 审批 / approved."""
    zh, en = _REL_NAMES.get(rel, (rel, rel))
    return en if lang == "en" else zh

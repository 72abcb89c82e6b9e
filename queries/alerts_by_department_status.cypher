// name: alerts_by_department_status
// title_zh: 各部门预警数量（按状态与等级）
// title_en: Alerts by department, status and level
// description_zh: 预警所涉员工的所属部门或合同的采购部门，按处置状态和风险等级统计预警数量，用于跟踪线索处置进度。
// description_en: Alerts counted by the department of the employees or contracts they flag, by case status
//   and risk level: how far each department's cases have got.
// param: status: string = "" | 只看某一状态（open/reviewing/confirmed/dismissed/remediated），留空为全部 / one status only; empty for all
// returns: department_id, department_name, status, level, alerts
MATCH (a:Alert)-[:FLAGS]->(x)-[:WORKS_IN|ORDERED_BY]->(d:Department)
WHERE $status = '' OR a.status = $status
RETURN d.id AS department_id, d.name AS department_name, a.status AS status, a.level AS level,
       count(DISTINCT a) AS alerts
ORDER BY alerts DESC, department_id, status, level

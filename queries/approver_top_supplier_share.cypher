// name: approver_top_supplier_share
// title_zh: 审批集中于单一供应商的审批人
// title_en: Approvers whose approvals go mostly to one supplier
// description_zh: 审批人所审批的合同中，某一家供应商所占的比例。审批量不小而高度集中于一家时，需要解释。
// description_en: For each approver, the share of their approved contracts that went to one supplier. A busy
//   approver whose approvals go mostly to one company has something to explain.
// param: min_approved: int = 5 | 审批人最少审批合同数 / fewest contracts an approver approved
// param: min_share: float = 0.5 | 最低占比（0–1）/ smallest share, 0 to 1
// returns: approver_id, approver_name, supplier_id, supplier_name, with_supplier, approved, share
MATCH (e:Employee)-[:APPROVED]->(c:Contract)-[:AWARDED_TO]->(s:Supplier)
WITH e, s, count(DISTINCT c) AS with_supplier
MATCH (e)-[:APPROVED]->(c2:Contract)
WITH e, s, with_supplier, count(DISTINCT c2) AS approved
WHERE approved >= $min_approved AND 1.0 * with_supplier / approved >= $min_share
RETURN e.id AS approver_id, e.name AS approver_name, s.id AS supplier_id, s.name AS supplier_name,
       with_supplier, approved, 1.0 * with_supplier / approved AS share
ORDER BY share DESC, approved DESC, approver_id

// name: approvals_out_of_order
// title_zh: 审批顺序倒置
// title_en: Approval steps out of order
// description_zh: 后一级审批早于前一级审批完成的合同，说明审批流程可能被绕过或事后补签。
// description_en: Contracts where a later approval step was given before an earlier one: the process was
//   bypassed or signed after the fact.
// returns: contract_id, earlier_step, earlier_approver, earlier_at, later_step, later_approver, later_at
MATCH (e1:Employee)-[a1:APPROVED]->(c:Contract)<-[a2:APPROVED]-(e2:Employee)
WHERE a2.step > a1.step AND a2.approved_at < a1.approved_at
RETURN c.id AS contract_id, a1.step AS earlier_step, e1.id AS earlier_approver, a1.approved_at AS earlier_at,
       a2.step AS later_step, e2.id AS later_approver, a2.approved_at AS later_at
ORDER BY contract_id, earlier_step, later_step

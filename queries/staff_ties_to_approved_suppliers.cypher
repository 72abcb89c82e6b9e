// name: staff_ties_to_approved_suppliers
// title_zh: 审批人与其审批的供应商之间存在亲属或股权关联
// title_en: Approvers tied to the suppliers they approve
// description_zh: 员工审批过某供应商的合同，同时通过亲属、配偶、持股、法定代表人、董事高管、曾任职或疑似同一人关系
//   在 3 跳以内与该供应商相连。给出最短的关联距离。
// description_en: Employees who approved contracts of a supplier and are also linked to it within three
//   hops of kinship, marriage, ownership, legal representation, directorship, former employment or
//   probable identity; with the shortest such distance.
// returns: employee_id, employee_name, supplier_id, supplier_name, hops
MATCH (e:Employee)-[:APPROVED]->(:Contract)-[:AWARDED_TO]->(s:Supplier)
WITH DISTINCT e, s
MATCH p = (e)-[:RELATIVE_OF|SPOUSE_OF|OWNS|LEGAL_REP_OF|DIRECTOR_OF|FORMER_EMPLOYEE_OF|SAME_AS*1..3]-(s)
RETURN e.id AS employee_id, e.name AS employee_name, s.id AS supplier_id, s.name AS supplier_name,
       min(length(p)) AS hops
ORDER BY hops, employee_id, supplier_id

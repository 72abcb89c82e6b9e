// name: former_employee_approvals
// title_zh: 员工审批其原任职公司的合同
// title_en: Employees approving contracts of their former employer
// description_zh: 员工曾在某供应商任职，如今审批该供应商的合同。
// description_en: Employees who once worked for a supplier and now approve its contracts.
// returns: employee_id, employee_name, supplier_id, supplier_name, contract_id, amount, step
MATCH (e:Employee)-[:FORMER_EMPLOYEE_OF]->(s:Supplier)<-[:AWARDED_TO]-(c:Contract)<-[ap:APPROVED]-(e)
RETURN e.id AS employee_id, e.name AS employee_name, s.id AS supplier_id, s.name AS supplier_name,
       c.id AS contract_id, c.amount AS amount, ap.step AS step
ORDER BY employee_id, contract_id

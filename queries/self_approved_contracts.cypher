// name: self_approved_contracts
// title_zh: 自己申请、自己审批的合同
// title_en: Self-approved contracts
// description_zh: 申请人同时是该合同的审批人，违反不相容职务分离原则。
// description_en: Contracts whose requester also approved them: a breach of the segregation of duties.
// returns: employee_id, employee_name, contract_id, amount, step, supplier_id, supplier_name
MATCH (e:Employee)-[:REQUESTED]->(c:Contract)<-[ap:APPROVED]-(e)
OPTIONAL MATCH (c)-[:AWARDED_TO]->(s:Supplier)
RETURN e.id AS employee_id, e.name AS employee_name, c.id AS contract_id, c.amount AS amount, ap.step AS step,
       s.id AS supplier_id, s.name AS supplier_name
ORDER BY amount DESC, contract_id

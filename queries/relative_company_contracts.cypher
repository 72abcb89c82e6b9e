// name: relative_company_contracts
// title_zh: 员工审批其亲属所控制公司的合同
// title_en: Contracts approved for a relative's company
// description_zh: 员工的亲属或配偶持有、代表或担任董事高管的供应商，其合同恰由该员工审批。应当回避而未回避。
// description_en: Contracts of a supplier that an employee's relative or spouse owns, represents or
//   directs, approved by that employee: a conflict of interest that called for recusal.
// returns: employee_id, employee_name, relative_id, relative_name, supplier_id, supplier_name, contracts, total_amount
MATCH (e:Employee)-[:RELATIVE_OF|SPOUSE_OF]-(relative)-[:OWNS|LEGAL_REP_OF|DIRECTOR_OF]->(s:Supplier)
MATCH (e)-[:APPROVED]->(c:Contract)-[:AWARDED_TO]->(s)
WITH DISTINCT e, relative, s, c
RETURN e.id AS employee_id, e.name AS employee_name, relative.id AS relative_id, relative.name AS relative_name,
       s.id AS supplier_id, s.name AS supplier_name, count(c) AS contracts, sum(c.amount) AS total_amount
ORDER BY total_amount DESC, employee_id, supplier_id

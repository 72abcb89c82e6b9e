// name: department_supplier_concentration
// title_zh: 部门采购额集中于单一供应商
// title_en: Departments whose spend goes mostly to one supplier
// description_zh: 各部门采购总额中，某一家供应商所占的比例。
// description_en: For each department, the share of its total contract value that went to one supplier.
// param: min_share: float = 0.5 | 最低占比（0–1）/ smallest share, 0 to 1
// param: min_total: float = 0 | 部门最低采购总额（元）/ smallest department total, in yuan
// returns: department_id, department_name, supplier_id, supplier_name, supplier_amount, department_amount, share
MATCH (d:Department)<-[:ORDERED_BY]-(c:Contract)-[:AWARDED_TO]->(s:Supplier)
WITH d, s, sum(c.amount) AS supplier_amount
MATCH (d)<-[:ORDERED_BY]-(c2:Contract)
WITH d, s, supplier_amount, sum(c2.amount) AS department_amount
WHERE department_amount > 0 AND department_amount >= $min_total
  AND supplier_amount / department_amount >= $min_share
RETURN d.id AS department_id, d.name AS department_name, s.id AS supplier_id, s.name AS supplier_name,
       supplier_amount, department_amount, supplier_amount / department_amount AS share
ORDER BY share DESC, department_id

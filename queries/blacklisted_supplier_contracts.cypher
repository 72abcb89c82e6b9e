// name: blacklisted_supplier_contracts
// title_zh: 黑名单供应商的合同
// title_en: Contracts with blacklisted suppliers
// description_zh: 授予列入黑名单的供应商的合同，以及审批这些合同的员工。
// description_en: Contracts awarded to suppliers on the organisation's blacklist, and who approved them.
// param: start_date: date = 1900-01-01 | 起始签订日期 / first signing date counted
// returns: contract_id, signed_date, amount, supplier_id, supplier_name, approvers
MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE s.blacklisted AND c.signed_date >= $start_date
OPTIONAL MATCH (e:Employee)-[:APPROVED]->(c)
RETURN c.id AS contract_id, c.signed_date AS signed_date, c.amount AS amount, s.id AS supplier_id,
       s.name AS supplier_name, collect(DISTINCT e.id) AS approvers
ORDER BY signed_date, contract_id

// name: contracts_without_approval
// title_zh: 无审批记录的合同
// title_en: Contracts without any approval
// description_zh: 金额不低于某一数值、却没有任何审批记录的合同。
// description_en: Contracts above an amount that carry no approval at all.
// param: min_amount: float = 0 | 最低合同金额（元）/ smallest contract amount, in yuan
// returns: contract_id, amount, signed_date, supplier_id, supplier_name
MATCH (c:Contract)
WHERE c.amount >= $min_amount AND NOT EXISTS { MATCH (:Employee)-[:APPROVED]->(c) }
OPTIONAL MATCH (c)-[:AWARDED_TO]->(s:Supplier)
RETURN c.id AS contract_id, c.amount AS amount, c.signed_date AS signed_date, s.id AS supplier_id,
       s.name AS supplier_name
ORDER BY amount DESC, contract_id

// name: payments_exceeding_contract
// title_zh: 付款超过合同金额
// title_en: Payments exceeding the contract amount
// description_zh: 累计付款超过合同金额（乘以容差系数）的合同。
// description_en: Contracts whose payments add up to more than the contract amount (times a tolerance).
// param: tolerance: float = 1.0 | 容差系数，1.0 表示不容差 / tolerance factor; 1.0 allows nothing over
// returns: contract_id, supplier_id, supplier_name, contract_amount, paid, payments, overpaid
MATCH (pay:Payment)-[:PAYS_FOR]->(c:Contract)
WITH c, sum(pay.amount) AS paid, count(pay) AS payments
WHERE paid > c.amount * $tolerance
OPTIONAL MATCH (c)-[:AWARDED_TO]->(s:Supplier)
RETURN c.id AS contract_id, s.id AS supplier_id, s.name AS supplier_name, c.amount AS contract_amount, paid,
       payments, paid - c.amount AS overpaid
ORDER BY overpaid DESC, contract_id

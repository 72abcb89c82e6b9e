// name: top_suppliers_in_period
// title_zh: 期间内中标金额最高的供应商
// title_en: Suppliers with the largest awards in a period
// description_zh: 按合同总金额排列供应商，并给出合同数量，用于观察采购是否集中于少数供应商。
// description_en: Suppliers ranked by the total value of the contracts awarded to them in a period,
//   with the number of contracts: where the spend concentrates.
// param: start_date: date = 1900-01-01 | 起始签订日期 / first signing date counted
// param: end_date: date = 2999-12-31 | 截止签订日期 / last signing date counted
// param: top: int = 20 | 返回行数 / rows to return
// returns: supplier_id, supplier_name, contracts, total_amount
MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE c.signed_date >= $start_date AND c.signed_date <= $end_date
RETURN s.id AS supplier_id, s.name AS supplier_name, count(c) AS contracts, sum(c.amount) AS total_amount
ORDER BY total_amount DESC, supplier_id
LIMIT $top

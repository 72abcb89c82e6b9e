// name: approver_supplier_pairs
// title_zh: 审批人与供应商的高频组合
// title_en: Top approver–supplier pairs in a period
// description_zh: 在一段时间内，某员工审批同一供应商合同的次数与金额。个别组合远高于其他组合时，可能存在利益输送。
// description_en: How many contracts of one supplier each employee approved in a period, and their value.
//   A pair that recurs far more often than the others is where favouritism shows.
// param: start_date: date = 1900-01-01 | 起始签订日期 / first signing date counted
// param: end_date: date = 2999-12-31 | 截止签订日期 / last signing date counted
// param: min_contracts: int = 2 | 最少合同数 / fewest contracts for a pair to be listed
// param: top: int = 20 | 返回行数 / rows to return
// returns: approver_id, approver_name, supplier_id, supplier_name, contracts, total_amount
MATCH (e:Employee)-[:APPROVED]->(c:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE c.signed_date >= $start_date AND c.signed_date <= $end_date
WITH DISTINCT e, c, s
WITH e, s, count(c) AS contracts, sum(c.amount) AS total_amount
WHERE contracts >= $min_contracts
RETURN e.id AS approver_id, e.name AS approver_name, s.id AS supplier_id, s.name AS supplier_name,
       contracts, total_amount
ORDER BY contracts DESC, total_amount DESC, approver_id, supplier_id
LIMIT $top

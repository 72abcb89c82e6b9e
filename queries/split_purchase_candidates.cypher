// name: split_purchase_candidates
// title_zh: 疑似拆分采购
// title_en: Split-purchase candidates
// description_zh: 同一部门向同一供应商在短时间内签订多份均低于审批限额的合同，合计却超过限额，可能是为规避审批或招标而拆分。
// description_en: Several contracts of one department with one supplier, each under an approval limit but
//   together over it, signed within a few days: possibly split to avoid a higher approval or a tender.
// param: limit: float = 50000 | 审批限额（元）/ the approval limit, in yuan
// param: window_days: int = 30 | 时间窗口（天）/ days from the first contract of a window
// param: min_contracts: int = 2 | 窗口内最少合同数 / fewest contracts in a window
// returns: department_id, department_name, supplier_id, supplier_name, first_contract, window_start, contracts, total_amount, contract_ids
MATCH (d:Department)<-[:ORDERED_BY]-(c1:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE c1.amount < $limit
MATCH (d)<-[:ORDERED_BY]-(c2:Contract)-[:AWARDED_TO]->(s)
WHERE c2.amount < $limit
  AND c2.signed_date >= c1.signed_date
  AND c2.signed_date <= c1.signed_date + duration({days: $window_days})
WITH d, s, c1, count(c2) AS contracts, sum(c2.amount) AS total_amount, collect(c2.id) AS contract_ids
WHERE contracts >= $min_contracts AND total_amount > $limit
RETURN d.id AS department_id, d.name AS department_name, s.id AS supplier_id, s.name AS supplier_name,
       c1.id AS first_contract, c1.signed_date AS window_start, contracts, total_amount, contract_ids
ORDER BY total_amount DESC, first_contract
// variant: ladybug
MATCH (d:Department)<-[:ORDERED_BY]-(c1:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE c1.amount < $limit
MATCH (d)<-[:ORDERED_BY]-(c2:Contract)-[:AWARDED_TO]->(s)
WHERE c2.amount < $limit
  AND c2.signed_date >= c1.signed_date
  AND c2.signed_date <= c1.signed_date + $window_days
WITH d, s, c1, count(c2) AS contracts, sum(c2.amount) AS total_amount, collect(c2.id) AS contract_ids
WHERE contracts >= $min_contracts AND total_amount > $limit
RETURN d.id AS department_id, d.name AS department_name, s.id AS supplier_id, s.name AS supplier_name,
       c1.id AS first_contract, c1.signed_date AS window_start, contracts, total_amount, contract_ids
ORDER BY total_amount DESC, first_contract

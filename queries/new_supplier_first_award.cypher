// name: new_supplier_first_award
// title_zh: 成立不久即中标的供应商
// title_en: Suppliers registered shortly before their first award
// description_zh: 供应商注册（成立）日期距其第一份合同签订日不足若干天。为某个项目临时设立的公司往往如此。
// description_en: Suppliers whose first contract was signed within a few days of their registration: the
//   mark of a company set up for one deal.
// param: max_days: int = 90 | 注册至首次中标的最长天数 / most days from registration to first award
// returns: supplier_id, supplier_name, registered_date, first_award, days_registered, contracts, total_amount
MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE s.registered_date IS NOT NULL
WITH s, min(c.signed_date) AS first_award, count(c) AS contracts, sum(c.amount) AS total_amount
WITH s, first_award, contracts, total_amount,
     duration.inDays(s.registered_date, first_award).days AS days_registered
WHERE days_registered >= 0 AND days_registered <= $max_days
RETURN s.id AS supplier_id, s.name AS supplier_name, s.registered_date AS registered_date, first_award,
       days_registered, contracts, total_amount
ORDER BY days_registered, supplier_id
// variant: ladybug
MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier)
WHERE s.registered_date IS NOT NULL
WITH s, min(c.signed_date) AS first_award, count(c) AS contracts, sum(c.amount) AS total_amount
WITH s, first_award, contracts, total_amount, first_award - s.registered_date AS days_registered
WHERE days_registered >= 0 AND days_registered <= $max_days
RETURN s.id AS supplier_id, s.name AS supplier_name, s.registered_date AS registered_date, first_award,
       days_registered, contracts, total_amount
ORDER BY days_registered, supplier_id

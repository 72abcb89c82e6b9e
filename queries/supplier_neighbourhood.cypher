// name: supplier_neighbourhood
// title_zh: 供应商周边 N 跳内的全部关联
// title_en: Everything within N hops of a supplier
// description_zh: 从一个供应商出发，沿审批、中标、投标、持股、亲属、任职及共用电话/账户/地址/证件等关系，
//   列出 N 跳以内的所有对象及其最短距离（最多 3 跳）。预警节点不计入。
// description_en: Every entity within N hops of a supplier (at most 3) along approvals, awards, bids,
//   ownership, kinship, directorships and shared phones, accounts, addresses and identity numbers,
//   with its shortest distance. Alerts are left out.
// param: supplier_id: string | 供应商编号 / the supplier's id
// param: hops: int = 2 | 最大跳数（1–3）/ largest distance, 1 to 3
// returns: hops, label, id, name
MATCH p = SHORTEST 1 (s:Supplier {id: $supplier_id})-[:AWARDED_TO|APPROVED|REQUESTED|BID_ON|FROM_TENDER|OWNS|LEGAL_REP_OF|DIRECTOR_OF|RELATIVE_OF|SPOUSE_OF|FORMER_EMPLOYEE_OF|SAME_AS|HAS_PHONE|HAS_ACCOUNT|HAS_ADDRESS|HAS_ID_NUMBER*1..3]-(m)
WHERE length(p) <= $hops
RETURN length(p) AS hops, labels(m)[0] AS label, m.id AS id, m.name AS name
ORDER BY hops, label, id
// variant: ladybug
MATCH p = (s:Supplier {id: $supplier_id})-[:AWARDED_TO|APPROVED|REQUESTED|BID_ON|FROM_TENDER|OWNS|LEGAL_REP_OF|DIRECTOR_OF|RELATIVE_OF|SPOUSE_OF|FORMER_EMPLOYEE_OF|SAME_AS|HAS_PHONE|HAS_ACCOUNT|HAS_ADDRESS|HAS_ID_NUMBER* SHORTEST 1..3]-(m)
WHERE length(p) <= $hops
RETURN length(p) AS hops, label(m) AS label, m.id AS id, m.name AS name
ORDER BY hops, label, id

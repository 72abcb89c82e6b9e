// name: shortest_connection
// title_zh: 员工与供应商之间的最短关联路径
// title_en: Shortest connection between an employee and a supplier
// description_zh: 一名员工与一家供应商之间（同样短的路径全部列出）经由审批、中标、投标、持股、亲属、任职、共用标识等关系的最短路径（最多 6 跳）。
// description_en: The shortest paths (every one of the same length), of at most six hops, between an employee and a supplier along
//   approvals, awards, bids, ownership, kinship, directorships and shared identifiers.
// param: employee_id: string | 员工编号 / the employee's id
// param: supplier_id: string | 供应商编号 / the supplier's id
// returns: hops, path_labels, path_ids
MATCH p = ALL SHORTEST (e:Employee {id: $employee_id})-[:AWARDED_TO|APPROVED|REQUESTED|BID_ON|FROM_TENDER|WORKS_IN|ORDERED_BY|OWNS|LEGAL_REP_OF|DIRECTOR_OF|RELATIVE_OF|SPOUSE_OF|FORMER_EMPLOYEE_OF|SAME_AS|HAS_PHONE|HAS_ACCOUNT|HAS_ADDRESS|HAS_ID_NUMBER*1..6]-(s:Supplier {id: $supplier_id})
RETURN length(p) AS hops, [n IN nodes(p) | labels(n)[0]] AS path_labels, [n IN nodes(p) | n.id] AS path_ids
// variant: ladybug
MATCH p = (e:Employee {id: $employee_id})-[:AWARDED_TO|APPROVED|REQUESTED|BID_ON|FROM_TENDER|WORKS_IN|ORDERED_BY|OWNS|LEGAL_REP_OF|DIRECTOR_OF|RELATIVE_OF|SPOUSE_OF|FORMER_EMPLOYEE_OF|SAME_AS|HAS_PHONE|HAS_ACCOUNT|HAS_ADDRESS|HAS_ID_NUMBER* ALL SHORTEST 1..6]-(s:Supplier {id: $supplier_id})
RETURN length(p) AS hops, list_transform(nodes(p), n -> label(n)) AS path_labels,
       properties(nodes(p), 'id') AS path_ids

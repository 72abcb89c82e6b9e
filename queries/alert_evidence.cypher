// name: alert_evidence
// title_zh: 预警的证据子图
// title_en: An alert's evidence subgraph
// description_zh: 一条预警所指向的对象，以及每个对象的直接关联（合同、审批、持股、共用标识等），用于核查线索。
// description_en: The entities an alert flags and each one's direct relationships (contracts, approvals,
//   ownership, shared identifiers ...), to check the lead.
// param: alert_id: string | 预警编号 / the alert's id
// returns: entity_label, entity_id, entity_name, relationship, neighbour_label, neighbour_id, neighbour_name
MATCH (a:Alert {id: $alert_id})-[:FLAGS]->(x)
OPTIONAL MATCH (x)-[r]-(y)
WHERE NOT y:Alert
RETURN labels(x)[0] AS entity_label, x.id AS entity_id, x.name AS entity_name, type(r) AS relationship,
       labels(y)[0] AS neighbour_label, y.id AS neighbour_id, y.name AS neighbour_name
ORDER BY entity_label, entity_id, relationship, neighbour_id
// variant: ladybug
MATCH (a:Alert {id: $alert_id})-[:FLAGS]->(x)
OPTIONAL MATCH (x)-[r]-(y)
WHERE label(y) <> 'Alert'
RETURN label(x) AS entity_label, x.id AS entity_id, x.name AS entity_name, label(r) AS relationship,
       label(y) AS neighbour_label, y.id AS neighbour_id, y.name AS neighbour_name
ORDER BY entity_label, entity_id, relationship, neighbour_id

// name: ownership_chains
// title_zh: 供应商的股权与控制链
// title_en: Ownership and control chains into a supplier
// description_zh: 通过持股、法定代表人、董事高管关系（最多 4 层）控制某供应商的个人和公司，以及每条链上的各个节点。
// description_en: The people and companies that own, represent or direct a supplier through up to four
//   links of ownership, legal representation or directorship, with each chain spelled out.
// param: supplier_id: string | 供应商编号 / the supplier's id
// returns: owner_label, owner_id, owner_name, hops, chain
MATCH p = (owner)-[:OWNS|LEGAL_REP_OF|DIRECTOR_OF*1..4]->(s:Supplier {id: $supplier_id})
RETURN labels(owner)[0] AS owner_label, owner.id AS owner_id, owner.name AS owner_name, length(p) AS hops,
       [n IN nodes(p) | n.id] AS chain
ORDER BY hops, owner_id
// variant: ladybug
MATCH p = (owner)-[:OWNS|LEGAL_REP_OF|DIRECTOR_OF*1..4]->(s:Supplier {id: $supplier_id})
RETURN label(owner) AS owner_label, owner.id AS owner_id, owner.name AS owner_name, length(p) AS hops,
       properties(nodes(p), 'id') AS chain
ORDER BY hops, owner_id

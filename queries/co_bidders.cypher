// name: co_bidders
// title_zh: 与某供应商共同投标的公司
// title_en: Companies that co-bid with a supplier
// description_zh: 与指定供应商出现在同一招标中的其他投标人，共同投标的次数，以及对方在这些招标中中标的次数。
//   总是一起出现、轮流中标的公司值得关注。
// description_en: The other bidders in the tenders a supplier bid on: how often they bid together and how
//   often the other company won. Companies that always appear together and take turns winning stand out.
// param: supplier_id: string | 供应商编号 / the supplier's id
// returns: supplier_id, supplier_name, tenders_together, other_won
MATCH (s:Supplier {id: $supplier_id})-[:BID_ON]->(t:Tender)<-[b:BID_ON]-(o:Supplier)
WHERE o.id <> s.id
WITH o, count(DISTINCT t) AS tenders_together, sum(CASE WHEN b.is_winner THEN 1 ELSE 0 END) AS other_won
RETURN o.id AS supplier_id, o.name AS supplier_name, tenders_together, other_won
ORDER BY tenders_together DESC, supplier_id

// name: bidding_pairs
// title_zh: 经常一起投标的供应商组合
// title_en: Supplier pairs that often bid together
// description_zh: 两家供应商共同参与的招标次数。围标、陪标的公司往往反复成对出现。
// description_en: How many tenders two suppliers both bid on. Companies that rig bids tend to appear as
//   the same pairs again and again.
// param: min_tenders: int = 2 | 最少共同招标次数 / fewest shared tenders
// returns: supplier_a, supplier_a_name, supplier_b, supplier_b_name, tenders_together
MATCH (a:Supplier)-[:BID_ON]->(t:Tender)<-[:BID_ON]-(b:Supplier)
WHERE a.id < b.id
WITH a, b, count(DISTINCT t) AS tenders_together
WHERE tenders_together >= $min_tenders
RETURN a.id AS supplier_a, a.name AS supplier_a_name, b.id AS supplier_b, b.name AS supplier_b_name,
       tenders_together
ORDER BY tenders_together DESC, supplier_a, supplier_b

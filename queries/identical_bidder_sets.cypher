// name: identical_bidder_sets
// title_zh: 投标人组合完全相同的多次招标
// title_en: Tenders where the same group bid together
// description_zh: 投标人名单完全相同的招标次数。同一组公司在多次招标中整体出现，是围标的典型迹象。
// description_en: Groups of bidders that appear, exactly and together, in several tenders: a classic sign
//   of a bidding ring.
// param: min_bidders: int = 2 | 组内最少投标人数 / fewest bidders in a group
// param: min_tenders: int = 2 | 最少招标次数 / fewest tenders the group bid on together
// returns: bidders, tenders_count, tenders
MATCH (s:Supplier)-[:BID_ON]->(t:Tender)
WITH t, s
ORDER BY s.id
WITH t, collect(s.id) AS bidders
WHERE size(bidders) >= $min_bidders
WITH bidders, count(t) AS tenders_count, collect(t.id) AS tenders
WHERE tenders_count >= $min_tenders
RETURN bidders, tenders_count, tenders
ORDER BY tenders_count DESC
// variant: ladybug
MATCH (s:Supplier)-[:BID_ON]->(t:Tender)
WITH t, list_sort(collect(s.id)) AS bidders
WHERE size(bidders) >= $min_bidders
WITH bidders, count(t) AS tenders_count, collect(t.id) AS tenders
WHERE tenders_count >= $min_tenders
RETURN bidders, tenders_count, tenders
ORDER BY tenders_count DESC

// name: single_bid_tenders
// title_zh: 只有一家投标的招标
// title_en: Tenders with a single bid
// description_zh: 只收到一份投标的招标及其产生的合同。缺乏竞争可能源于定制化条件或信息未充分公开。
// description_en: Tenders that received one bid, and the contract they led to. No competition may come
//   from tailored requirements or a notice that few could see.
// returns: tender_id, supplier_id, bid_amount, contract_id, contract_amount
MATCH (s:Supplier)-[b:BID_ON]->(t:Tender)
WITH t, count(b) AS bids, min(s.id) AS supplier_id, sum(b.amount) AS bid_amount
WHERE bids = 1
OPTIONAL MATCH (c:Contract)-[:FROM_TENDER]->(t)
RETURN t.id AS tender_id, supplier_id, bid_amount, c.id AS contract_id, c.amount AS contract_amount
ORDER BY tender_id

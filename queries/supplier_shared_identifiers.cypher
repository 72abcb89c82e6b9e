// name: supplier_shared_identifiers
// title_zh: 供应商之间共用电话、银行账户或地址
// title_en: Suppliers sharing a phone, bank account or address
// description_zh: 两家供应商登记了同一个电话、银行账户或地址，可能是同一控制人名下的关联公司，在同一招标中陪标。
// description_en: Two suppliers registered with the same phone number, bank account or address: possibly
//   companies of one owner, which then bid against each other only in appearance.
// returns: supplier_a, supplier_a_name, shared, value, supplier_b, supplier_b_name
MATCH (a:Supplier)-[:HAS_PHONE]->(x:Phone)<-[:HAS_PHONE]-(b:Supplier)
WHERE a.id < b.id
RETURN a.id AS supplier_a, a.name AS supplier_a_name, 'phone' AS shared, x.id AS value,
       b.id AS supplier_b, b.name AS supplier_b_name
UNION
MATCH (a:Supplier)-[:HAS_ACCOUNT]->(x:BankAccount)<-[:HAS_ACCOUNT]-(b:Supplier)
WHERE a.id < b.id
RETURN a.id AS supplier_a, a.name AS supplier_a_name, 'bank_account' AS shared, x.id AS value,
       b.id AS supplier_b, b.name AS supplier_b_name
UNION
MATCH (a:Supplier)-[:HAS_ADDRESS]->(x:Address)<-[:HAS_ADDRESS]-(b:Supplier)
WHERE a.id < b.id
RETURN a.id AS supplier_a, a.name AS supplier_a_name, 'address' AS shared, x.id AS value,
       b.id AS supplier_b, b.name AS supplier_b_name

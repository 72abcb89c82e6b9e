// name: staff_supplier_shared_identifiers
// title_zh: 员工与供应商共用电话、银行账户或地址
// title_en: Staff sharing a phone, bank account or address with a supplier
// description_zh: 员工与供应商登记了同一个电话、银行账户或地址（按规范化后的值比对），可能是同一人控制或存在未申报的关系。
// description_en: Employees and suppliers registered with the same phone number, bank account or address
//   (compared after normalisation): the same person may stand behind both, or an undeclared tie.
// returns: employee_id, employee_name, shared, value, supplier_id, supplier_name
MATCH (e:Employee)-[:HAS_PHONE]->(x:Phone)<-[:HAS_PHONE]-(s:Supplier)
RETURN e.id AS employee_id, e.name AS employee_name, 'phone' AS shared, x.id AS value,
       s.id AS supplier_id, s.name AS supplier_name
UNION
MATCH (e:Employee)-[:HAS_ACCOUNT]->(x:BankAccount)<-[:HAS_ACCOUNT]-(s:Supplier)
RETURN e.id AS employee_id, e.name AS employee_name, 'bank_account' AS shared, x.id AS value,
       s.id AS supplier_id, s.name AS supplier_name
UNION
MATCH (e:Employee)-[:HAS_ADDRESS]->(x:Address)<-[:HAS_ADDRESS]-(s:Supplier)
RETURN e.id AS employee_id, e.name AS employee_name, 'address' AS shared, x.id AS value,
       s.id AS supplier_id, s.name AS supplier_name

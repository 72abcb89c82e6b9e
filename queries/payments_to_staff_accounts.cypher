// name: payments_to_staff_accounts
// title_zh: 付款进入员工本人账户
// title_en: Payments into staff accounts
// description_zh: 收款账户与某员工登记的银行账户相同（规范化后比对）的付款，以及付款所对应的合同和供应商。
// description_en: Payments received by a bank account that an employee registered (compared after
//   normalisation), with the contract and supplier they were booked against.
// param: from_time: datetime = 1900-01-01T00:00:00 | 起始付款时间 / earliest payment time
// param: to_time: datetime = 2999-12-31T23:59:59 | 截止付款时间 / latest payment time
// returns: payment_id, paid_at, amount, account, employee_id, employee_name, contract_id, supplier_id, supplier_name
MATCH (pay:Payment)-[:PAID_TO]->(acct:BankAccount)<-[:HAS_ACCOUNT]-(e:Employee)
WHERE pay.paid_at >= $from_time AND pay.paid_at <= $to_time
OPTIONAL MATCH (pay)-[:PAYS_FOR]->(c:Contract)-[:AWARDED_TO]->(s:Supplier)
RETURN pay.id AS payment_id, pay.paid_at AS paid_at, pay.amount AS amount, acct.id AS account,
       e.id AS employee_id, e.name AS employee_name, c.id AS contract_id, s.id AS supplier_id,
       s.name AS supplier_name
ORDER BY paid_at, payment_id

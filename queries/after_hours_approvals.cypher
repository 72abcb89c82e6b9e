// name: after_hours_approvals
// title_zh: 非工作时间的审批
// title_en: Approvals outside working hours
// description_zh: 在工作时间以外（早于上班或晚于下班）完成的审批。深夜集中审批可能是补签或绕过流程。
// description_en: Approvals given before the working day starts or after it ends. Late-night bursts may be
//   back-dating or a way round the process.
// param: day_starts: int = 8 | 上班时间（点）/ hour the working day starts
// param: day_ends: int = 19 | 下班时间（点）/ hour the working day ends
// returns: approver_id, approver_name, contract_id, amount, step, approved_at
MATCH (e:Employee)-[ap:APPROVED]->(c:Contract)
WITH e, ap, c, ap.approved_at AS approved_at
WHERE approved_at.hour < $day_starts OR approved_at.hour >= $day_ends
RETURN e.id AS approver_id, e.name AS approver_name, c.id AS contract_id, c.amount AS amount, ap.step AS step,
       approved_at
ORDER BY approved_at, contract_id
// variant: ladybug
MATCH (e:Employee)-[ap:APPROVED]->(c:Contract)
WHERE date_part('hour', ap.approved_at) < $day_starts OR date_part('hour', ap.approved_at) >= $day_ends
RETURN e.id AS approver_id, e.name AS approver_name, c.id AS contract_id, c.amount AS amount, ap.step AS step,
       ap.approved_at AS approved_at
ORDER BY approved_at, contract_id

"""A small embedded store with planted cases, for the app's tests.

Four departments, a dozen staff, eight suppliers, a relative who owns a supplier,
a phone shared by an approver and his favoured supplier, a bidding ring, a split
purchase, and one alert per detector family with evidence shaped as detectors
write it (``subgraph``, ``rows``, ``metrics``, ``thresholds``). The numbers are
fixed, so tests can name what the app must show.

Accounts for signing in (:func:`add_accounts`) are separate, so a test chooses who exists.

Run as a script to build a store with its accounts for a manual look:
``python tests/e2e/fixture_store.py DIR`` (every account's password is :data:`PASSWORD`).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from graph.dataset import GraphData
from graph.ladybug_store import LadybugStore
from graph.store import AlertRecord
from sunlight.auth import Role, UserStore
from sunlight.cases import update_cases
from sunlight.ui.viewmodels import family_map

PLANTED_SUPPLIER = "华信科技有限公司"
PLANTED_APPROVER = "张伟"
SHARED_PHONE = "13800138000"
PAIR_ALERT = "AL-pair-zhangwei-huaxin"
PHONE_ALERT = "AL-phone-zhangwei-huaxin"

#: Accounts of the app's tests: two investigators, an admin and a viewer, all with PASSWORD.
INVESTIGATOR = "审计员甲"
COLLEAGUE = "审计员乙"
ADMIN = "组长王"
VIEWER = "查看员丙"
ACCOUNTS = {
    INVESTIGATOR: Role.INVESTIGATOR,
    COLLEAGUE: Role.INVESTIGATOR,
    ADMIN: Role.ADMIN,
    VIEWER: Role.VIEWER,
}
PASSWORD = "阳光测试口令-correct-horse"

DEPARTMENTS = {"D01": "信息中心", "D02": "物资采购部", "D03": "基建工程部", "D04": "综合办公室"}
EMPLOYEES = [
    # id, name, department, position, phone, id_number, bank account, home address
    (
        "E001",
        "张伟",
        "D01",
        "信息中心主任",
        SHARED_PHONE,
        "420102198003154312",
        "6222021001000000011",
        "湖北省武汉市洪山区珞喻路100号",
    ),
    (
        "E002",
        "王芳",
        "D01",
        "工程师",
        "13900000002",
        "420102198506204321",
        "6222021001000000029",
        "湖北省武汉市武昌区中南路8号",
    ),
    (
        "E003",
        "李娜",
        "D02",
        "采购员",
        "13900000003",
        "420103199002114520",
        "6222021001000000037",
        "湖北省武汉市江汉区新华路21号",
    ),
    (
        "E004",
        "刘洋",
        "D02",
        "部门经理",
        "13900000004",
        "420103197811234518",
        "6222021001000000045",
        "湖北省武汉市江岸区解放大道5号",
    ),
    (
        "E005",
        "陈静",
        "D03",
        "项目经理",
        "13900000005",
        "420104198207124527",
        "6222021001000000052",
        "湖北省武汉市硚口区京汉大道3号",
    ),
    (
        "E006",
        "杨磊",
        "D03",
        "部门经理",
        "13900000006",
        "420104197905064515",
        "6222021001000000060",
        "湖北省武汉市汉阳区龙阳大道9号",
    ),
    (
        "E007",
        "赵敏",
        "D04",
        "主任",
        "13900000007",
        "420105198112014526",
        "6222021001000000078",
        "湖北省武汉市青山区和平大道6号",
    ),
    (
        "E008",
        "黄强",
        "D02",
        "采购员",
        "13900000008",
        "420105199303034513",
        "6222021001000000086",
        "湖北省武汉市洪山区雄楚大道2号",
    ),
    (
        "E009",
        "周杰",
        "D01",
        "工程师",
        "13900000009",
        "420106199104084511",
        "6222021001000000094",
        "湖北省武汉市东湖高新区光谷大道1号",
    ),
    (
        "E010",
        "吴倩",
        "D04",
        "行政专员",
        "13900000010",
        "420106199409094528",
        "6222021001000000102",
        "湖北省武汉市武昌区徐东大街7号",
    ),
]
SUPPLIERS = [
    ("S001", PLANTED_SUPPLIER, SHARED_PHONE, "湖北省武汉市东湖高新区光谷软件园A1栋"),
    ("S002", "鼎盛建设工程有限公司", "02787000002", "湖北省武汉市江夏区文化大道99号"),
    ("S003", "恒通物资贸易有限公司", "02787000003", "湖北省武汉市汉阳区墨水湖北路12号"),
    ("S004", "蓝海办公用品有限公司", "02787000004", "湖北省武汉市江汉区建设大道66号"),
    ("S005", "远景信息技术有限公司", "02787000005", "湖北省武汉市洪山区珞瑜东路18号"),
    ("S006", "金桥建材有限公司", "02787000006", "湖北省武汉市蔡甸区蔡甸大街8号"),
    ("S007", "宏达机电设备有限公司", "02787000007", "湖北省武汉市东西湖区吴家山1号"),
    ("S008", "诚信物业服务有限公司", "02787000008", "湖北省武汉市武昌区友谊大道50号"),
]
# (contract, supplier, department, requester, amount, signed, category, approvers)
CONTRACTS: list[tuple[str, str, str, str, float, str, str, tuple[str, ...]]] = []


def _contracts() -> list[tuple[str, str, str, str, float, str, str, tuple[str, ...]]]:
    rows = []
    # 张伟 approves nine IT contracts of 华信科技 through 2024, and three of 远景.
    for i in range(9):
        rows.append(
            (
                f"C1{i:02d}",
                "S001",
                "D01",
                "E002",
                180_000.0 + 15_000 * i,
                f"2024-{i + 2:02d}-1{i % 9}",
                "IT设备",
                ("E001",),
            )
        )
    for i in range(3):
        rows.append(
            (f"C11{i}", "S005", "D01", "E009", 95_000.0 + 5_000 * i, f"2024-0{i + 3}-05", "IT设备", ("E001",))
        )
    # 周杰 approves IT contracts spread over several suppliers (the baseline).
    for i, supplier in enumerate(["S005", "S007", "S005", "S004", "S007", "S005"]):
        rows.append(
            (
                f"C12{i}",
                supplier,
                "D01",
                "E002",
                60_000.0 + 4_000 * i,
                f"2024-{i + 3:02d}-20",
                "IT设备",
                ("E009",),
            )
        )
    # 李娜 splits one purchase from 恒通物资 into four just under the 50,000 limit in one week.
    for i in range(4):
        rows.append(
            (f"C20{i}", "S003", "D02", "E003", 48_500.0 + 300 * i, f"2024-06-1{i}", "劳保用品", ("E004",))
        )
    for i, supplier in enumerate(["S004", "S007", "S003", "S004"]):
        rows.append(
            (
                f"C21{i}",
                supplier,
                "D02",
                "E008",
                30_000.0 + 2_500 * i,
                f"2024-0{i + 4}-08",
                "办公用品",
                ("E004",),
            )
        )
    # 基建工程部: a tender won by 鼎盛 with 金桥 as a cover bidder; 杨磊 approves a contract he requested.
    rows.append(("C300", "S002", "D03", "E005", 2_350_000.0, "2024-05-28", "工程施工", ("E006",)))
    rows.append(("C301", "S006", "D03", "E006", 420_000.0, "2024-08-15", "建材", ("E006",)))
    rows.append(("C302", "S002", "D03", "E005", 880_000.0, "2024-10-09", "工程施工", ("E006",)))
    # 综合办公室: ordinary purchases.
    for i, supplier in enumerate(["S008", "S004", "S008"]):
        rows.append(
            (
                f"C40{i}",
                supplier,
                "D04",
                "E010",
                26_000.0 + 1_000 * i,
                f"2024-0{i + 2}-14",
                "物业服务",
                ("E007",),
            )
        )
    return rows


def graph_data() -> GraphData:
    g = GraphData()
    g.add_nodes("Department", pd.DataFrame({"id": list(DEPARTMENTS), "name": list(DEPARTMENTS.values())}))
    g.add_nodes(
        "Employee",
        pd.DataFrame(
            [
                {
                    "id": e[0],
                    "name": e[1],
                    "position": e[3],
                    "phone": e[4],
                    "id_number": e[5],
                    "bank_account": e[6],
                    "address": e[7],
                }
                for e in EMPLOYEES
            ]
        ),
    )
    g.add_nodes(
        "Supplier",
        pd.DataFrame(
            [
                {
                    "id": s[0],
                    "name": s[1],
                    "phone": s[2],
                    "address": s[3],
                    "credit_code": f"91420100MA4K{i:05d}X",
                    "blacklisted": False,
                }
                for i, s in enumerate(SUPPLIERS)
            ]
        ),
    )
    g.add_nodes(
        "Person",
        pd.DataFrame(
            {"id": ["P001"], "name": ["张华"], "phone": ["13700000001"], "id_number": ["420102198806154329"]}
        ),
    )
    contracts = _contracts()
    g.add_nodes(
        "Contract",
        pd.DataFrame(
            {
                "id": [c[0] for c in contracts],
                "amount": [c[4] for c in contracts],
                "signed_date": pd.to_datetime([c[5] for c in contracts]),
                "category": [c[6] for c in contracts],
                "method": ["inquiry"] * len(contracts),
            }
        ),
    )
    g.add_nodes("Tender", pd.DataFrame({"id": ["T001"]}))
    g.add_nodes(
        "Payment",
        pd.DataFrame(
            {
                "id": ["PAY100", "PAY101", "PAY300"],
                "amount": [180_000.0, 195_000.0, 2_000_000.0],
                "paid_at": pd.to_datetime(["2024-03-01T10:00", "2024-04-02T15:30", "2024-07-01T09:00"]),
                "payee_name": [PLANTED_SUPPLIER, PLANTED_SUPPLIER, "鼎盛建设工程有限公司"],
            }
        ),
    )
    g.add_nodes(
        "Phone",
        pd.DataFrame({"id": [e[4] for e in EMPLOYEES] + [s[2] for s in SUPPLIERS[1:]] + ["13700000001"]}),
    )
    g.add_nodes("BankAccount", pd.DataFrame({"id": ["6222021001000000999", "6222021001000000888"]}))
    g.add_rels(
        "WORKS_IN",
        "Employee",
        "Department",
        pd.DataFrame({"src": [e[0] for e in EMPLOYEES], "dst": [e[2] for e in EMPLOYEES]}),
    )
    g.add_rels(
        "AWARDED_TO",
        "Contract",
        "Supplier",
        pd.DataFrame({"src": [c[0] for c in contracts], "dst": [c[1] for c in contracts]}),
    )
    g.add_rels(
        "ORDERED_BY",
        "Contract",
        "Department",
        pd.DataFrame({"src": [c[0] for c in contracts], "dst": [c[2] for c in contracts]}),
    )
    g.add_rels(
        "REQUESTED",
        "Employee",
        "Contract",
        pd.DataFrame({"src": [c[3] for c in contracts], "dst": [c[0] for c in contracts]}),
    )
    approvals = [
        {
            "src": approver,
            "dst": c[0],
            "step": step + 1,
            "approved_at": pd.Timestamp(c[5]) - pd.Timedelta(days=2) + pd.Timedelta(hours=10 + step),
            "decision": "approve",
        }
        for c in contracts
        for step, approver in enumerate(c[7])
    ]
    g.add_rels("APPROVED", "Employee", "Contract", pd.DataFrame(approvals))
    g.add_rels("FROM_TENDER", "Contract", "Tender", pd.DataFrame({"src": ["C300"], "dst": ["T001"]}))
    g.add_rels(
        "BID_ON",
        "Supplier",
        "Tender",
        pd.DataFrame(
            {
                "src": ["S002", "S006", "S007"],
                "dst": ["T001"] * 3,
                "amount": [2_350_000.0, 2_380_000.0, 2_395_000.0],
                "is_winner": [True, False, False],
                "submitted_at": pd.to_datetime(["2024-05-10T16:01", "2024-05-10T16:03", "2024-05-10T16:04"]),
            }
        ),
    )
    g.add_rels(
        "PAYS_FOR",
        "Payment",
        "Contract",
        pd.DataFrame({"src": ["PAY100", "PAY101", "PAY300"], "dst": ["C100", "C101", "C300"]}),
    )
    g.add_rels(
        "PAID_TO",
        "Payment",
        "BankAccount",
        pd.DataFrame(
            {
                "src": ["PAY100", "PAY101", "PAY300"],
                "dst": ["6222021001000000999"] * 2 + ["6222021001000000888"],
            }
        ),
    )
    g.add_rels(
        "HAS_ACCOUNT",
        "Supplier",
        "BankAccount",
        pd.DataFrame({"src": ["S001", "S002"], "dst": ["6222021001000000999", "6222021001000000888"]}),
    )
    g.add_rels(
        "HAS_PHONE",
        "Employee",
        "Phone",
        pd.DataFrame({"src": [e[0] for e in EMPLOYEES], "dst": [e[4] for e in EMPLOYEES]}),
    )
    g.add_rels(
        "HAS_PHONE",
        "Supplier",
        "Phone",
        pd.DataFrame({"src": [s[0] for s in SUPPLIERS], "dst": [s[2] for s in SUPPLIERS]}),
    )
    g.add_rels("HAS_PHONE", "Person", "Phone", pd.DataFrame({"src": ["P001"], "dst": ["13700000001"]}))
    g.add_rels("RELATIVE_OF", "Person", "Employee", pd.DataFrame({"src": ["P001"], "dst": ["E001"]}))
    g.add_rels("OWNS", "Person", "Supplier", pd.DataFrame({"src": ["P001"], "dst": ["S001"], "share": [0.6]}))
    g.policy = {"approval_limits": [{"level": 1, "max_amount": 50000}, {"level": 2, "max_amount": 200000}]}
    return g


def alerts() -> list[AlertRecord]:
    pair_contracts = [f"C1{i:02d}" for i in range(9)]
    return [
        AlertRecord(
            id=PAIR_ALERT,
            detector="repeated_pairs",
            subject="E001|S001",
            score=0.91,
            level="high",
            grade="一级",
            title_zh="审批人与供应商反复配对",
            title_en="Repeated supplier–approver pairs",
            explanation_zh=f"审批人{PLANTED_APPROVER}（E001）2024-02-10至2024-10-18审批了供应商{PLANTED_SUPPLIER}（S001）的9份“IT设备”类合同，合计216.00万元，占其该类审批合同的75%（9/12）。",
            explanation_en=f"Approver {PLANTED_APPROVER} (E001) approved 9 'IT设备' contracts of supplier {PLANTED_SUPPLIER} (S001), worth CNY 2,160,000: 75% of the 12 such contracts they approved.",
            evidence={
                "metrics": {
                    "n": 9,
                    "approver_contracts": 12,
                    "share": 0.75,
                    "baseline": 0.05,
                    "lift": 15.0,
                    "q_value": 1e-9,
                },
                "thresholds": {"min_contracts": 3, "min_share": 0.5, "min_lift": 3.0, "alpha": 0.01},
                "rows": [{"contract_id": c, "step": 1} for c in pair_contracts],
                "subgraph": ["employee:E001", "supplier:S001", *(f"contract:{c}" for c in pair_contracts)],
            },
            entities=("employee:E001", "supplier:S001"),
        ),
        AlertRecord(
            id=PHONE_ALERT,
            detector="shared_identifiers",
            subject="E001|S001|phone",
            score=0.88,
            level="high",
            grade="一级",
            title_zh="员工与供应商共用标识",
            title_en="Identifiers shared by staff and suppliers",
            explanation_zh=f"员工{PLANTED_APPROVER}（E001）与供应商{PLANTED_SUPPLIER}（S001）登记了同一电话号码{SHARED_PHONE}。",
            explanation_en=f"Employee {PLANTED_APPROVER} (E001) and supplier {PLANTED_SUPPLIER} (S001) list the same phone {SHARED_PHONE}.",
            evidence={
                "metrics": {"shared": 1},
                "thresholds": {"min_shared": 1},
                "rows": [
                    {"kind": "Phone", "value": SHARED_PHONE, "employee_id": "E001", "supplier_id": "S001"}
                ],
                "subgraph": ["employee:E001", "supplier:S001", f"phone:{SHARED_PHONE}", "person:P001"],
            },
            entities=("employee:E001", "supplier:S001"),
        ),
        AlertRecord(
            id="AL-split-lina-hengtong",
            detector="split_purchase",
            subject="D02|S003|2024-06",
            score=0.62,
            level="medium",
            grade="二级",
            title_zh="拆分采购规避审批限额",
            title_en="Split purchases under an approval limit",
            explanation_zh="物资采购部在2024-06-10至2024-06-13向恒通物资贸易有限公司签订4份合同，单份均低于5万元限额，合计19.58万元。",
            explanation_en="物资采购部 signed 4 contracts with 恒通物资贸易有限公司 between 2024-06-10 and 2024-06-13, each under the CNY 50,000 limit, CNY 195,800 in all.",
            evidence={
                "metrics": {"contracts": 4, "total_amount": 195_800.0},
                "thresholds": {"limit": 50_000, "window_days": 30, "min_contracts": 3},
                "rows": [{"contract_id": f"C20{i}", "amount": 48_500.0 + 300 * i} for i in range(4)],
                "subgraph": [
                    "employee:E003",
                    "supplier:S003",
                    "department:D02",
                    *(f"contract:C20{i}" for i in range(4)),
                ],
            },
            entities=("employee:E003", "supplier:S003"),
        ),
        AlertRecord(
            id="AL-bid-dingsheng-jinqiao",
            detector="bid_rigging",
            subject="T001",
            score=0.55,
            level="medium",
            grade="二级",
            title_zh="围标串标迹象",
            title_en="Signs of bid rigging",
            explanation_zh="招标T001的三份投标在3分钟内递交，报价差均小于2%，中标方为鼎盛建设工程有限公司。",
            explanation_en="The three bids of tender T001 came within 3 minutes and differ by under 2%; 鼎盛建设工程有限公司 won.",
            evidence={
                "metrics": {"bids": 3, "spread": 0.019},
                "thresholds": {"max_spread": 0.03},
                "rows": [
                    {"supplier_id": "S002", "bid_amount": 2_350_000.0},
                    {"supplier_id": "S006", "bid_amount": 2_380_000.0},
                    {"supplier_id": "S007", "bid_amount": 2_395_000.0},
                ],
                "subgraph": [
                    "tender:T001",
                    "supplier:S002",
                    "supplier:S006",
                    "supplier:S007",
                    "contract:C300",
                ],
            },
            entities=("supplier:S002", "supplier:S006"),
        ),
        AlertRecord(
            id="AL-self-yanglei",
            detector="approval_controls",
            subject="E006|C301|self",
            score=0.74,
            level="high",
            grade="一级",
            title_zh="审批控制缺陷",
            title_en="Approval-control failures",
            explanation_zh="杨磊（E006）申请并自行审批了合同C301（42.00万元，金桥建材有限公司）。",
            explanation_en="杨磊 (E006) requested and approved contract C301 (CNY 420,000, 金桥建材有限公司) himself.",
            evidence={
                "metrics": {"amount": 420_000.0},
                "thresholds": {"self_approval": True},
                "rows": [{"contract_id": "C301", "requester_id": "E006", "approver_id": "E006", "step": 1}],
                "subgraph": ["employee:E006", "contract:C301", "supplier:S006"],
            },
            entities=("employee:E006", "contract:C301"),
        ),
        AlertRecord(
            id="AL-price-office",
            detector="price_outliers",
            subject="C402",
            score=0.32,
            level="low",
            grade="三级",
            title_zh="价格异常",
            title_en="Price outliers",
            explanation_zh="合同C402的物业服务单价高于同类合同四分位上限。",
            explanation_en="Contract C402's unit price for property services is above the upper fence of similar contracts.",
            evidence={
                "metrics": {"unit_price": 28_000.0},
                "thresholds": {"upper_fence": 26_500.0},
                "rows": [{"contract_id": "C402", "amount": 28_000.0}],
                "subgraph": ["contract:C402", "supplier:S008", "department:D04"],
            },
            entities=("contract:C402",),
        ),
    ]


def build_fixture_store(folder: Path) -> Path:
    """Write the fixture graph and its alerts into an embedded store at ``folder``."""
    store = LadybugStore(folder)
    try:
        store.write(graph_data())
        store.save_alerts(alerts(), datetime(2025, 1, 6, 2, 0, 0))
        # alerts are worked as cases: group them as a detector run does
        update_cases(store, None, family_map(), datetime(2025, 1, 6, 2, 0, 0))
    finally:
        store.close()
    return folder


def add_accounts(folder: Path, accounts: dict[str, Role] | None = None) -> UserStore:
    """Local accounts (``users.json``) beside the store at ``folder``, each with :data:`PASSWORD`,
    hashed as the product hashes (so signing in does not rewrite the file)."""
    users = UserStore(folder)
    for name, role in (ACCOUNTS if accounts is None else accounts).items():
        users.add(name, role, PASSWORD)
    return users


def copy_store(template: Path, folder: Path) -> Path:
    """A private copy of a built store, for a test that changes it."""
    import shutil

    shutil.copytree(template, folder)
    return folder


if __name__ == "__main__":
    built = build_fixture_store(Path(sys.argv[1]))
    add_accounts(built)
    print(built)

"""Fixed reference data of the synthetic organisation: regions, departments,
procurement categories with their items and prices, and the policy.

Everything here is plain data; the random draws live in the other modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "APPROVAL_LIMITS",
    "APPROVAL_ROLES",
    "CATEGORIES",
    "GROUP_NAME",
    "HOLIDAYS",
    "HQ_ADDRESS",
    "HQ_DEPARTMENTS",
    "HQ_REGION",
    "LEADERSHIP_DEPARTMENT",
    "METHODS",
    "OPEN_TENDER_THRESHOLD",
    "REGIONS",
    "SPLIT_WINDOW_DAYS",
    "SWITCHBOARD",
    "UTILITY_CATEGORY",
    "Category",
    "Item",
    "Region",
    "policy_document",
]

#: Procurement methods as the data contract names them; orders store their index.
METHODS: tuple[str, ...] = ("open", "invited", "negotiation", "single_source", "inquiry", "direct")

GROUP_NAME = "东岳能源集团"
#: The group headquarters: the address and switchboard many records carry.
HQ_ADDRESS = "北京市西城区金融大街28号东岳能源大厦"
SWITCHBOARD = "01066518800"

#: Largest amount (yuan) each approval level may sign off alone; one more level above the last.
APPROVAL_LIMITS: tuple[int, ...] = (50_000, 200_000, 1_000_000)
#: Who signs at each level, lowest first; level 4 signs everything above the last limit.
APPROVAL_ROLES: tuple[str, ...] = ("部门经理", "分管副总", "总经理", "董事长")
#: Direct and single-source awards from one department to one supplier may not add up past this.
OPEN_TENDER_THRESHOLD = 2_000_000
SPLIT_WINDOW_DAYS = 14
WORKING_HOURS = ("08:00", "19:00")

#: Public holidays of the simulated years (main ones); no routine approvals fall on them.
HOLIDAYS: tuple[str, ...] = (
    "2023-01-02",
    *(f"2023-01-{d:02d}" for d in range(21, 28)),
    "2023-04-05",
    "2023-05-01",
    "2023-05-02",
    "2023-05-03",
    "2023-06-22",
    *(f"2023-09-{d:02d}" for d in range(29, 31)),
    *(f"2023-10-{d:02d}" for d in range(1, 7)),
    "2024-01-01",
    *(f"2024-02-{d:02d}" for d in range(10, 18)),
    "2024-04-04",
    "2024-05-01",
    "2024-05-02",
    "2024-05-03",
    "2024-06-10",
    "2024-09-17",
    *(f"2024-10-{d:02d}" for d in range(1, 8)),
    "2025-01-01",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-02-03",
    "2025-02-04",
    "2025-04-04",
    "2025-05-01",
    "2025-05-02",
    "2025-05-05",
    "2025-06-02",
    *(f"2025-10-{d:02d}" for d in range(1, 9)),
)


@dataclass(frozen=True)
class Region:
    """A province where the group has a branch (or its headquarters)."""

    short: str  # as in a branch or company name: 山西
    province: str  # 山西省
    city: str  # 太原市
    area_code: str  # landline prefix
    districts: tuple[tuple[str, str], ...]  # (district, 6-digit administrative code)


HQ_REGION = Region(
    "北京",
    "北京市",
    "北京市",
    "010",
    (
        ("东城区", "110101"),
        ("西城区", "110102"),
        ("朝阳区", "110105"),
        ("丰台区", "110106"),
        ("海淀区", "110108"),
    ),
)

#: Branch regions, in the order branches are opened as the organisation grows.
REGIONS: tuple[Region, ...] = (
    Region(
        "山西",
        "山西省",
        "太原市",
        "0351",
        (("小店区", "140105"), ("迎泽区", "140106"), ("杏花岭区", "140107")),
    ),
    Region(
        "内蒙古",
        "内蒙古自治区",
        "呼和浩特市",
        "0471",
        (("新城区", "150102"), ("回民区", "150103"), ("赛罕区", "150105")),
    ),
    Region(
        "陕西", "陕西省", "西安市", "029", (("新城区", "610102"), ("碑林区", "610103"), ("雁塔区", "610113"))
    ),
    Region(
        "江苏", "江苏省", "南京市", "025", (("玄武区", "320102"), ("秦淮区", "320104"), ("鼓楼区", "320106"))
    ),
    Region(
        "广东", "广东省", "广州市", "020", (("越秀区", "440104"), ("海珠区", "440105"), ("天河区", "440106"))
    ),
    Region("宁夏", "宁夏回族自治区", "银川市", "0951", (("兴庆区", "640104"), ("金凤区", "640106"))),
    Region(
        "新疆", "新疆维吾尔自治区", "乌鲁木齐市", "0991", (("天山区", "650102"), ("沙依巴克区", "650103"))
    ),
    Region(
        "河北",
        "河北省",
        "石家庄市",
        "0311",
        (("长安区", "130102"), ("桥西区", "130104"), ("裕华区", "130108")),
    ),
    Region(
        "山东", "山东省", "济南市", "0531", (("历下区", "370102"), ("市中区", "370103"), ("槐荫区", "370104"))
    ),
    Region(
        "四川", "四川省", "成都市", "028", (("锦江区", "510104"), ("青羊区", "510105"), ("武侯区", "510107"))
    ),
    Region(
        "湖北", "湖北省", "武汉市", "027", (("江岸区", "420102"), ("武昌区", "420106"), ("洪山区", "420111"))
    ),
    Region(
        "河南", "河南省", "郑州市", "0371", (("中原区", "410102"), ("二七区", "410103"), ("金水区", "410105"))
    ),
    Region("甘肃", "甘肃省", "兰州市", "0931", (("城关区", "620102"), ("七里河区", "620103"))),
    Region("贵州", "贵州省", "贵阳市", "0851", (("南明区", "520102"), ("云岩区", "520103"))),
    Region("云南", "云南省", "昆明市", "0871", (("五华区", "530102"), ("盘龙区", "530103"))),
    Region("福建", "福建省", "福州市", "0591", (("鼓楼区", "350102"), ("台江区", "350103"))),
    Region(
        "浙江", "浙江省", "杭州市", "0571", (("上城区", "330102"), ("西湖区", "330106"), ("滨江区", "330108"))
    ),
    Region(
        "安徽", "安徽省", "合肥市", "0551", (("瑶海区", "340102"), ("庐阳区", "340103"), ("蜀山区", "340104"))
    ),
    Region("辽宁", "辽宁省", "沈阳市", "024", (("和平区", "210102"), ("沈河区", "210103"))),
    Region(
        "湖南", "湖南省", "长沙市", "0731", (("芙蓉区", "430102"), ("天心区", "430103"), ("岳麓区", "430104"))
    ),
)


@dataclass(frozen=True)
class Item:
    name: str
    unit: str
    #: typical unit price in yuan; ``None`` for a lump-sum item (quantity 1, price = amount)
    unit_price: float | None = None


@dataclass(frozen=True)
class Category:
    name: str
    #: median and log-spread of one contract's amount (yuan)
    median_amount: float
    sigma: float
    items: tuple[Item, ...]
    #: words a supplier of this category puts in its name (…科技有限公司)
    trade_words: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "办公用品",
        18_000,
        0.8,
        (
            Item("A4复印纸", "箱", 185),
            Item("硒鼓", "个", 460),
            Item("办公椅", "把", 680),
            Item("文件柜", "组", 1_250),
            Item("中性笔", "盒", 28),
            Item("碎纸机", "台", 1_480),
            Item("办公桌", "张", 1_650),
        ),
        ("商贸", "办公用品", "文化用品", "贸易"),
    ),
    Category(
        "IT设备",
        150_000,
        1.0,
        (
            Item("台式计算机", "台", 5_200),
            Item("笔记本电脑", "台", 6_800),
            Item("服务器", "台", 48_000),
            Item("核心交换机", "台", 36_000),
            Item("激光打印机", "台", 2_600),
            Item("显示器", "台", 1_300),
            Item("磁盘阵列", "套", 160_000),
        ),
        ("科技", "信息技术", "电子", "计算机系统", "数码科技"),
    ),
    Category(
        "工程施工",
        1_500_000,
        1.0,
        (
            Item("办公楼维修改造工程", "项"),
            Item("厂区道路硬化工程", "项"),
            Item("输变电线路工程", "项"),
            Item("光伏电站建设工程", "项"),
            Item("供热管网改造工程", "项"),
            Item("消防系统改造工程", "项"),
        ),
        ("建设工程", "建筑工程", "市政工程", "建筑安装工程", "电力工程"),
    ),
    Category(
        "技术服务",
        300_000,
        1.0,
        (
            Item("软件开发服务", "项"),
            Item("信息系统运维服务", "项"),
            Item("网络安全服务", "项"),
            Item("检测检验服务", "项"),
            Item("设备维保服务", "项"),
        ),
        ("技术服务", "信息技术", "软件", "科技", "检测技术"),
    ),
    Category(
        "物资材料",
        220_000,
        1.1,
        (
            Item("电力电缆", "米", 86),
            Item("钢材", "吨", 4_200),
            Item("水泥", "吨", 480),
            Item("劳保用品", "套", 260),
            Item("润滑油", "桶", 920),
            Item("闸阀", "个", 1_850),
            Item("轴承", "套", 640),
        ),
        ("物资", "工贸", "实业", "材料", "五金机电"),
    ),
    Category(
        "生产设备",
        900_000,
        0.9,
        (
            Item("干式变压器", "台", 285_000),
            Item("离心水泵", "台", 36_000),
            Item("螺杆空压机", "台", 96_000),
            Item("引风机", "台", 125_000),
            Item("带式输送机", "台", 380_000),
        ),
        ("机械设备", "电气设备", "重工", "自动化设备", "机电设备"),
    ),
    Category(
        "咨询服务",
        180_000,
        0.9,
        (
            Item("管理咨询服务", "项"),
            Item("财务审计服务", "项"),
            Item("法律服务", "项"),
            Item("工程造价咨询", "项"),
            Item("可行性研究报告编制", "项"),
        ),
        ("管理咨询", "工程咨询", "咨询", "企业管理咨询"),
    ),
    Category(
        "劳务外包",
        450_000,
        0.8,
        (Item("劳务派遣服务", "人·月", 6_500), Item("装卸劳务", "项"), Item("保洁服务", "项")),
        ("人力资源服务", "劳务派遣", "劳务服务"),
    ),
    Category(
        "后勤物业",
        260_000,
        0.9,
        (Item("物业管理服务", "项"), Item("食堂餐饮服务", "项"), Item("绿化养护服务", "项")),
        ("物业管理", "餐饮管理", "后勤服务", "保洁服务"),
    ),
    Category(
        "车辆维修",
        22_000,
        0.8,
        (Item("车辆维修保养", "项"), Item("轮胎", "条", 980), Item("车辆年检服务", "项")),
        ("汽车维修服务", "汽车服务", "汽车修理"),
    ),
    Category("电力", 320_000, 0.6, (Item("电费", "千瓦时", 0.65),), ("供电",)),
)
#: Categories other organisations buy (the classic world buys only ``CATEGORIES``), by name.
#: ``trade_words`` name the suppliers; the utilities' items are billed by meter.
EXTRA_CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("自来水", 20_000, 0.6, (Item("水费", "立方米", 4.1),), ("水务", "自来水")),
        Category("燃气", 30_000, 0.7, (Item("燃气费", "立方米", 3.2),), ("燃气",)),
        Category("通信服务", 15_000, 0.6, (Item("通信及专线服务费", "项"),), ("通信",)),
        Category(
            "燃料",
            2_000_000,
            1.0,
            (Item("动力煤", "吨", 720), Item("燃料油", "吨", 5_600)),
            ("能源", "煤业", "燃料", "矿业"),
        ),
        Category(
            "备品备件",
            60_000,
            1.1,
            (
                Item("密封件", "套", 1_200),
                Item("滚动轴承", "套", 3_200),
                Item("电磁阀", "个", 2_400),
                Item("控制板卡", "块", 8_600),
            ),
            ("机电设备", "动力设备", "电气", "自动化"),
        ),
        Category(
            "环保服务",
            400_000,
            0.9,
            (Item("脱硫脱硝运维服务", "项"), Item("环境监测服务", "项"), Item("危废处置服务", "项")),
            ("环保科技", "环境工程", "环境服务"),
        ),
        Category(
            "建筑材料",
            300_000,
            1.1,
            (
                Item("钢筋", "吨", 3_900),
                Item("P.O42.5水泥", "吨", 450),
                Item("商品混凝土", "立方米", 420),
                Item("砂石料", "立方米", 110),
                Item("防水卷材", "平方米", 28),
            ),
            ("建材", "商贸", "混凝土", "建筑材料"),
        ),
        Category(
            "机械租赁",
            120_000,
            0.9,
            (
                Item("塔吊租赁", "台·月", 32_000),
                Item("挖掘机租赁", "台班", 1_800),
                Item("汽车吊租赁", "台班", 2_600),
            ),
            ("机械租赁", "工程机械", "设备租赁"),
        ),
        Category(
            "劳务分包",
            1_200_000,
            1.0,
            (Item("主体结构劳务分包", "项"), Item("装饰装修劳务分包", "项"), Item("钢筋工程劳务分包", "项")),
            ("劳务", "建筑劳务", "劳务分包"),
        ),
        Category(
            "专业分包",
            2_500_000,
            1.0,
            (Item("幕墙工程分包", "项"), Item("机电安装工程分包", "项"), Item("消防工程分包", "项")),
            ("幕墙工程", "机电安装", "消防工程", "装饰工程"),
        ),
        Category(
            "原材料",
            400_000,
            1.0,
            (
                Item("热轧钢板", "吨", 4_300),
                Item("冷轧薄板", "吨", 5_200),
                Item("铸件", "吨", 9_800),
                Item("锻件", "吨", 12_500),
                Item("铝型材", "吨", 21_000),
            ),
            ("钢铁", "金属材料", "铸造", "锻造", "特钢"),
        ),
        Category(
            "外协加工",
            150_000,
            1.0,
            (Item("机加工外协", "项"), Item("热处理外协", "项"), Item("表面处理外协", "项")),
            ("机械加工", "精密机械", "热处理", "表面处理"),
        ),
        Category(
            "刀具量具",
            25_000,
            0.8,
            (
                Item("硬质合金刀片", "片", 85),
                Item("数控刀柄", "个", 1_600),
                Item("游标卡尺", "把", 420),
                Item("千分尺", "把", 680),
            ),
            ("工具", "刀具", "精密量具", "五金工具"),
        ),
        Category(
            "物流运输",
            90_000,
            0.9,
            (Item("公路运输服务", "项"), Item("大件运输服务", "项")),
            ("物流", "运输", "货运", "供应链"),
        ),
        Category(
            "包装材料",
            30_000,
            0.8,
            (Item("木箱", "个", 680), Item("缠绕膜", "卷", 55), Item("防锈纸", "卷", 120)),
            ("包装", "包装材料", "木业"),
        ),
        Category(
            "管材管件",
            200_000,
            1.0,
            (
                Item("球墨铸铁管", "米", 680),
                Item("PE给水管", "米", 95),
                Item("给水闸阀", "个", 2_600),
                Item("消火栓", "个", 3_200),
            ),
            ("管业", "管道", "阀门", "给排水设备"),
        ),
        Category(
            "水处理药剂",
            150_000,
            0.8,
            (Item("聚合氯化铝", "吨", 1_900), Item("次氯酸钠", "吨", 1_200), Item("活性炭", "吨", 8_500)),
            ("化工", "水处理", "净水材料"),
        ),
        Category(
            "计量仪表",
            180_000,
            1.0,
            (Item("智能水表", "个", 320), Item("燃气表", "个", 450), Item("电磁流量计", "台", 12_000)),
            ("仪表", "智能科技", "计量"),
        ),
        Category(
            "车辆购置",
            3_000_000,
            0.8,
            (Item("纯电动公交车", "辆", 1_150_000), Item("环卫作业车", "辆", 680_000)),
            ("汽车", "客车", "专用汽车"),
        ),
        Category(
            "车用燃料",
            200_000,
            0.9,
            (Item("柴油", "升", 7.6), Item("车用天然气", "立方米", 4.2)),
            ("石油", "能源", "燃气"),
        ),
        Category(
            "特种设备检验",
            30_000,
            0.7,
            (Item("压力容器检验", "项"), Item("起重机械检验", "项"), Item("电梯定期检验", "项")),
            ("特种设备检验", "检测技术", "检验检测"),
        ),
    )
}
CATEGORY_INDEX = {c.name: i for i, c in enumerate(CATEGORIES)}
UTILITY_CATEGORY = CATEGORY_INDEX["电力"]
#: Categories whose items have a unit price that can be compared across suppliers.
GOODS_CATEGORIES: tuple[int, ...] = tuple(
    CATEGORY_INDEX[n] for n in ("办公用品", "IT设备", "物资材料", "生产设备")
)

LEADERSHIP_DEPARTMENT = "公司领导"


@dataclass(frozen=True)
class DepartmentKind:
    name: str
    #: share of the organisation's purchases raised here (relative)
    volume: float
    #: relative weight of each category in this department's purchases, by category name
    mix: dict[str, float]


HQ_DEPARTMENTS: tuple[DepartmentKind, ...] = (
    DepartmentKind(
        "采购部",
        3.0,
        {"物资材料": 5, "生产设备": 3, "办公用品": 2, "IT设备": 1, "劳务外包": 1, "电力": 1},
    ),
    DepartmentKind("信息中心", 1.6, {"IT设备": 5, "技术服务": 4, "咨询服务": 1, "办公用品": 1, "电力": 0.5}),
    DepartmentKind("基建部", 2.0, {"工程施工": 6, "物资材料": 2, "咨询服务": 2, "生产设备": 1, "电力": 0.5}),
    DepartmentKind(
        "后勤保障部",
        1.6,
        {"后勤物业": 4, "办公用品": 3, "车辆维修": 3, "劳务外包": 1, "电力": 2},
    ),
    DepartmentKind(
        "生产运营部",
        2.2,
        {"生产设备": 4, "物资材料": 4, "技术服务": 2, "工程施工": 1, "电力": 2, "车辆维修": 1},
    ),
    DepartmentKind("安全环保部", 0.8, {"技术服务": 3, "物资材料": 2, "咨询服务": 2, "办公用品": 1}),
    DepartmentKind("科技研发部", 0.8, {"技术服务": 3, "IT设备": 3, "咨询服务": 2, "生产设备": 1}),
    DepartmentKind("综合办公室", 0.7, {"办公用品": 4, "后勤物业": 2, "咨询服务": 1, "车辆维修": 2}),
    DepartmentKind("财务部", 0.3, {"咨询服务": 4, "办公用品": 2, "IT设备": 1}),
    DepartmentKind("人力资源部", 0.3, {"劳务外包": 4, "咨询服务": 2, "办公用品": 1}),
)
#: A branch company buys a bit of everything.
BRANCH_MIX: dict[str, float] = {
    "物资材料": 4,
    "生产设备": 3,
    "工程施工": 3,
    "技术服务": 2,
    "办公用品": 2,
    "IT设备": 1.5,
    "车辆维修": 1.5,
    "后勤物业": 1.5,
    "劳务外包": 1,
    "咨询服务": 1,
    "电力": 2,
}
BRANCH_VOLUME = 2.0


def category_mix(mix: dict[str, float]) -> np.ndarray:
    """A department's category weights as a probability vector over CATEGORIES."""
    weights = np.array([mix.get(c.name, 0.0) for c in CATEGORIES], dtype=float)
    return weights / weights.sum()


def policy_document() -> dict[str, object]:
    """The organisation's rules as written to ``policy.yaml``."""
    return {
        "organisation": f"{GROUP_NAME}有限公司",
        "currency": "CNY",
        "approval_limits": [
            {"level": level, "max_amount": limit} for level, limit in enumerate(APPROVAL_LIMITS, start=1)
        ],
        "approval_roles": [
            {"level": level, "role": role} for level, role in enumerate(APPROVAL_ROLES, start=1)
        ],
        "open_tender_threshold": OPEN_TENDER_THRESHOLD,
        "direct_award_exempt_categories": [CATEGORIES[UTILITY_CATEGORY].name],
        "split_window_days": SPLIT_WINDOW_DAYS,
        "working_hours": {"start": WORKING_HOURS[0], "end": WORKING_HOURS[1]},
        "holidays": list(HOLIDAYS),
    }

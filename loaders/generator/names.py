"""Names, addresses and identifiers that look like a Chinese organisation's records.

Identifiers are unique by construction (an affine bijection of a running number),
so no two parties share a phone, account or ID number unless a scheme plants it.
Each value is then *written* the way clerks write it — spaces, dashes, a ``+86``
prefix, full-width digits — so matching needs the loaders' normalisation.
"""

from __future__ import annotations

import numpy as np

from loaders.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_char, id_number_check_char

from .catalog import Category, Region

__all__ = [
    "building_address",
    "company_names",
    "corporate_accounts",
    "credit_codes",
    "given_name",
    "group_company_name",
    "home_addresses",
    "id_numbers",
    "landline_numbers",
    "latin_company_name",
    "mobile_numbers",
    "office_addresses",
    "person_names",
    "personal_accounts",
    "surname_of",
    "write_account",
    "write_phone",
    "written_styles",
]

# Surnames with their approximate frequency (per mille of the population).
_SURNAME_TABLE = (
    "王72 李71 张68 刘54 陈45 杨31 黄22 赵20 吴20 周19 徐16 孙15 马13 朱13 胡12 郭11 何11 高10 林10 罗9 "
    "郑8 梁8 谢7 宋6 唐6 许6 韩6 冯6 邓6 曹5 彭5 曾5 肖5 田5 董5 袁4 潘4 于4 蒋4 蔡4 余4 杜4 叶4 程4 "
    "苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范2 金2 石2 廖2 贾2 夏2 韦2 付2 方2 白2 "
    "邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 郝2 龚2 邵2 万2 钱2 "
    "严1 覃1 武1 戴1 莫1 孔1 向1 汤1 欧阳0.2 上官0.1 司马0.1"
)
_SURNAMES = _SURNAME_TABLE.split()
SURNAMES = np.array([s.rstrip("0123456789.") for s in _SURNAMES])
_SURNAME_P = np.array([float(s[len(s.rstrip("0123456789.")) :]) for s in _SURNAMES])
_SURNAME_P /= _SURNAME_P.sum()

_MALE_CHARS = np.array(
    list("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋峰建国志文海东晨博亮毅成德振嘉子轩然翔")
)
_FEMALE_CHARS = np.array(list("芳娜敏静丽艳娟霞秀英玲燕萍红婷雪琳慧莉倩颖洁梅琴云莹欣怡佳悦雯璐晶薇婧兰月"))

# Characters companies choose for their trade name (字号).
_TRADE_CHARS = np.array(
    list(
        "华信宏达恒泰瑞鑫盛通联创博远金诚和中新天海安鼎晟汇隆昌德兴源润嘉佳明东方宇航星光益邦万利凯旭富荣祥正大永丰"
    )
)
_COMPANY_FORMS = np.array(["有限公司", "有限责任公司", "股份有限公司"])
_COMPANY_FORM_P = np.array([0.82, 0.13, 0.05])

_STREETS = np.array(
    [
        "人民路",
        "解放路",
        "建设路",
        "中山路",
        "长江路",
        "和平路",
        "新华路",
        "文化路",
        "胜利路",
        "东风路",
        "黄河路",
        "朝阳路",
        "科技路",
        "高新路",
        "创业大道",
        "迎宾大道",
        "学府路",
        "工业路",
    ]
)
_BUILDING_WORDS = np.array(["大厦", "中心", "广场", "科技园", "产业园", "商务楼"])
_COMPOUNDS = np.array(
    [
        "阳光花园",
        "金色家园",
        "幸福里",
        "锦绣华庭",
        "翠苑",
        "和平里",
        "枫林苑",
        "丽景湾",
        "御景园",
        "学府小区",
        "电力小区",
        "华府",
    ]
)
_MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        155,
        156,
        158,
        159,
        166,
        177,
        180,
        181,
        186,
        187,
        188,
        189,
        199,
    ]
)
_PERSONAL_CARD_BINS = np.array(["622202", "621700", "622848", "621661", "622262", "622588"])
_CORPORATE_ACCOUNT_PREFIXES = np.array(["0200", "1101", "3100", "4100", "3500", "6226"])

_FULL_WIDTH = str.maketrans("0123456789-+() ", "０１２３４５６７８９－＋（）\u3000")


def _pick(rng: np.random.Generator, values: np.ndarray, n: int, p: np.ndarray | None = None) -> np.ndarray:
    return values[rng.choice(len(values), size=n, p=p)]


def person_names(
    rng: np.random.Generator, genders: np.ndarray, surnames: np.ndarray | None = None
) -> np.ndarray:
    """Full names for people of the given genders (``'M'``/``'F'``); surnames drawn by frequency unless given."""
    n = len(genders)
    if surnames is None:
        surnames = _pick(rng, SURNAMES, n, _SURNAME_P)
    male = genders == "M"
    first = np.where(male, _pick(rng, _MALE_CHARS, n), _pick(rng, _FEMALE_CHARS, n))
    second = np.where(male, _pick(rng, _MALE_CHARS, n), _pick(rng, _FEMALE_CHARS, n))
    two_chars = rng.random(n) < 0.7
    given = np.where(two_chars, np.char.add(first, second), first)
    return np.char.add(surnames.astype(str), given).astype(object)


def surname_of(name: str) -> str:
    """The surname of a full name (two characters for the compound surnames in use)."""
    return name[:2] if name[:2] in ("欧阳", "上官", "司马") else name[:1]


def _trade_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two different auspicious characters (华信, 宏达 ...)."""
    first = rng.integers(0, len(_TRADE_CHARS), n)
    second = (first + rng.integers(1, len(_TRADE_CHARS), n)) % len(_TRADE_CHARS)
    return np.char.add(_TRADE_CHARS[first], _TRADE_CHARS[second])


def given_name(name: str) -> str:
    """A full name without its surname.

    >>> given_name("欧阳明"), given_name("王芳")
    ('明', '芳')
    """
    return name[len(surname_of(name)) :]


def company_names(
    rng: np.random.Generator,
    categories: np.ndarray,
    regions: list[Region],
    region_index: np.ndarray,
    taken: set[str],
    catalog: tuple[Category, ...],
) -> np.ndarray:
    """Registered names, e.g. 山西宏达建设工程有限公司, distinct from each other and from ``taken``;
    ``categories`` index ``catalog``, whose trade words go into the names."""
    n = len(categories)
    names = np.empty(n, dtype=object)
    todo = np.arange(n)
    shorts = np.array([r.short for r in regions])
    cities = np.array([r.city.removesuffix("市") for r in regions])
    for _ in range(50):
        m = len(todo)
        place = np.where(rng.random(m) < 0.6, shorts[region_index[todo]], cities[region_index[todo]])
        trade = _trade_names(rng, m)
        word_draw = rng.random(m)
        words = [
            catalog[c].trade_words[int(u * len(catalog[c].trade_words))]
            for c, u in zip(categories[todo].tolist(), word_draw.tolist(), strict=True)
        ]
        form = _pick(rng, _COMPANY_FORMS, m, _COMPANY_FORM_P)
        retry = []
        for i, a, b, c, d in zip(
            todo.tolist(), place.tolist(), trade.tolist(), words, form.tolist(), strict=True
        ):
            name = a + b + c + d
            if name in taken:
                retry.append(i)
            else:
                taken.add(name)
                names[i] = name
        todo = np.array(retry, dtype=int)
        if not len(todo):
            return names
    raise RuntimeError("could not draw distinct company names")


def group_company_name(rng: np.random.Generator, region: Region, taken: set[str]) -> str:
    """The name of a holding company that heads a group of sister companies: 山西恒泰投资控股集团有限公司."""
    for _ in range(50):
        name = f"{region.short}{_trade_names(rng, 1)[0]}投资控股集团有限公司"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("could not draw a distinct group name")


_LATIN_BRANDS = np.array(
    [
        "Norland",
        "Vastek",
        "Kronberg",
        "Alpina",
        "Meridian",
        "Toryo",
        "Hanseatic",
        "Corvel",
        "Lindqvist",
        "Sakura",
        "Brightway",
        "Orion",
        "Falken",
        "Westport",
        "Helix",
        "Arcadia",
        "Nordmann",
        "Solvay",
        "Tecnova",
        "Rheinmetz",
        "Castell",
        "Pacifica",
        "Everbright",
        "Kaiser",
    ]
)
_LATIN_FORMS = np.array(
    ["(China) Co., Ltd.", "(Shanghai) Co., Ltd.", "Trading (Beijing) Co., Ltd.", "China Ltd."]
)


def latin_company_name(rng: np.random.Generator, trade: str, taken: set[str]) -> str:
    """A foreign maker's China company under its Latin name: ``Norland Industrial (China) Co., Ltd.``."""
    for _ in range(200):
        brand = _LATIN_BRANDS[rng.integers(len(_LATIN_BRANDS))]
        name = f"{brand} {trade} {_LATIN_FORMS[rng.integers(len(_LATIN_FORMS))]}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("could not draw a distinct Latin company name")


def building_address(rng: np.random.Generator, regions: list[Region], region: int) -> str:
    """The address of a whole building (no floor or room): what staff of one office, or the
    companies of one group, all give."""
    district = _district_parts(rng, regions, np.array([region]))[0]
    street = _STREETS[rng.integers(len(_STREETS))]
    return f"{district}{street}{int(rng.integers(1, 400))}号{_trade_names(rng, 1)[0]}{_BUILDING_WORDS[rng.integers(len(_BUILDING_WORDS))]}"


def _district_parts(rng: np.random.Generator, regions: list[Region], region_index: np.ndarray) -> list[str]:
    """``省市区`` of a random district of each region (the city is left out for municipalities)."""
    draws = rng.random(len(region_index))
    out = []
    for r, u in zip(region_index.tolist(), draws.tolist(), strict=True):
        region = regions[r]
        city = "" if region.city == region.province else region.city
        out.append(region.province + city + region.districts[int(u * len(region.districts))][0])
    return out


def office_addresses(rng: np.random.Generator, regions: list[Region], region_index: np.ndarray) -> np.ndarray:
    """Registered addresses: province, city, district, street, number, building, floor, room — distinct."""
    n = len(region_index)
    districts = _district_parts(rng, regions, region_index)
    streets = _pick(rng, _STREETS, n).tolist()
    numbers = rng.integers(1, 400, n).tolist()
    buildings = _trade_names(rng, n).tolist()
    words = _pick(rng, _BUILDING_WORDS, n).tolist()
    # Floor and room carry a running number, so two companies never share an address by chance.
    rooms = rng.permutation(n).tolist()
    return np.array(
        [
            f"{d}{s}{no}号{b}{w}{room // 40 + 1}层{room % 40 + 1:02d}室"
            for d, s, no, b, w, room in zip(districts, streets, numbers, buildings, words, rooms, strict=True)
        ],
        dtype=object,
    )


def home_addresses(rng: np.random.Generator, regions: list[Region], region_index: np.ndarray) -> np.ndarray:
    """Home addresses in residential compounds (号楼/单元/室)."""
    n = len(region_index)
    districts = _district_parts(rng, regions, region_index)
    compounds = _pick(rng, _COMPOUNDS, n).tolist()
    blocks = rng.integers(1, 40, n).tolist()
    units = rng.integers(1, 7, n).tolist()
    floors = rng.integers(1, 33, n).tolist()
    doors = rng.integers(1, 5, n).tolist()
    return np.array(
        [
            f"{d}{c}{b}号楼{u}单元{f}{r:02d}室"
            for d, c, b, u, f, r in zip(districts, compounds, blocks, units, floors, doors, strict=True)
        ],
        dtype=object,
    )


def _affine_unique(serials: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """Distinct serials map to distinct numbers below ``modulus`` (``multiplier`` is coprime to it)."""
    return (serials.astype(object) * multiplier + offset) % modulus


def mobile_numbers(rng: np.random.Generator, serials: np.ndarray, offset: int) -> np.ndarray:
    """11-digit mobile numbers; distinct serials give distinct numbers."""
    tails = _affine_unique(serials, 10**8, 48_271, offset)
    prefixes = _pick(rng, _MOBILE_PREFIXES, len(serials))
    return np.array([f"{p}{t:08d}" for p, t in zip(prefixes.tolist(), tails, strict=True)], dtype=object)


def landline_numbers(area_codes: np.ndarray, serials: np.ndarray, offset: int) -> np.ndarray:
    """Landlines: area code + 8 digits not starting with 0 or 1."""
    tails = _affine_unique(serials, 8 * 10**7, 48_271, offset)
    return np.array(
        [f"{a}{t + 2 * 10**7}" for a, t in zip(area_codes.tolist(), tails, strict=True)], dtype=object
    )


def _luhn_check_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def personal_accounts(rng: np.random.Generator, serials: np.ndarray, offset: int) -> np.ndarray:
    """19-digit debit card numbers (bank BIN + body + Luhn check digit)."""
    bodies = _affine_unique(serials, 10**12, 982_451_653, offset)
    bins = _pick(rng, _PERSONAL_CARD_BINS, len(serials))
    out = []
    for b, body in zip(bins.tolist(), bodies, strict=True):
        number = f"{b}{body:012d}"
        out.append(number + _luhn_check_digit(number))
    return np.array(out, dtype=object)


def corporate_accounts(rng: np.random.Generator, serials: np.ndarray, offset: int) -> np.ndarray:
    """Corporate settlement accounts: a bank prefix and 15 digits."""
    bodies = _affine_unique(serials, 10**15, 982_451_653, offset)
    prefixes = _pick(rng, _CORPORATE_ACCOUNT_PREFIXES, len(serials))
    return np.array([f"{p}{b:015d}" for p, b in zip(prefixes.tolist(), bodies, strict=True)], dtype=object)


def id_numbers(
    rng: np.random.Generator,
    region_codes: np.ndarray,
    birth_dates: np.ndarray,
    genders: np.ndarray,
    taken: set[str],
) -> np.ndarray:
    """居民身份证号码 with valid check characters, distinct from each other and from ``taken``.

    The 17th digit is odd for men and even for women, as the standard says.
    """
    n = len(genders)
    births = np.char.replace(np.datetime_as_string(birth_dates.astype("datetime64[D]"), unit="D"), "-", "")
    prefixes = np.char.add(region_codes.astype(str), births).tolist()
    male = (genders == "M").tolist()
    out = np.empty(n, dtype=object)
    todo = list(range(n))
    while todo:
        serials = rng.integers(0, 500, len(todo)).tolist()
        retry = []
        for i, s in zip(todo, serials, strict=True):
            body = f"{prefixes[i]}{s * 2 + (1 if male[i] else 0):03d}"
            if body in taken:
                retry.append(i)
            else:
                taken.add(body)
                out[i] = body + id_number_check_char(body)
        todo = retry
    return out


def credit_codes(rng: np.random.Generator, region_codes: np.ndarray) -> np.ndarray:
    """统一社会信用代码 of companies (登记管理部门 9, 类别 1), distinct, with valid check characters."""
    alphabet = np.array(list(CREDIT_CODE_ALPHABET))
    n = len(region_codes)
    codes = region_codes.astype(str).tolist()
    out = np.empty(n, dtype=object)
    seen: set[str] = set()
    todo = list(range(n))
    while todo:
        # 组织机构代码: eight characters (mostly digits) and a ninth from the whole alphabet
        body_chars = alphabet[rng.integers(0, 10, (len(todo), 8))]
        last = alphabet[rng.integers(0, len(alphabet), len(todo))]
        retry = []
        for row, i in enumerate(todo):
            body = "91" + codes[i] + "".join(body_chars[row].tolist()) + last[row]
            if body in seen:
                retry.append(i)
            else:
                seen.add(body)
                out[i] = body + credit_code_check_char(body)
        todo = retry
    return out


#: How many ways there are to write a mobile number, a landline and an account number.
MOBILE_STYLES, LANDLINE_STYLES, ACCOUNT_STYLES = 7, 5, 4


def write_phone(number: str, style: int) -> str:
    """One of the ways a clerk writes ``number`` (11-digit mobile or landline with area code).

    >>> [write_phone("13812345678", s) for s in range(4)]
    ['13812345678', '138 1234 5678', '138-1234-5678', '+86 13812345678']
    >>> write_phone("13812345678", 6)
    '１３８１２３４５６７８'
    >>> write_phone("01066518800", 2)
    '010-66518800'
    """
    if number.startswith("0"):
        style %= LANDLINE_STYLES
        area_len = 3 if number[1] in "12" else 4
        area, local = number[:area_len], number[area_len:]
        if style == 1:
            return f"{area} {local[:4]} {local[4:]}"
        if style == 2:
            return f"{area}-{local}"
        if style == 3:
            return f"({area}){local}"
        if style == 4:
            return f"{area}-{local}".translate(_FULL_WIDTH)
        return number
    style %= MOBILE_STYLES
    if style == 1:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 3:
        return f"+86 {number}"
    if style == 4:
        return f"+86-{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 5:
        return f"0086{number}"
    if style == 6:
        return number.translate(_FULL_WIDTH)
    return number


def write_account(number: str, style: int) -> str:
    """A bank account as written: plain, in groups of four, with dashes, or in full-width digits.

    >>> [write_account("6222021234567890123", s) for s in (1, 2)]
    ['6222 0212 3456 7890 123', '6222-0212-3456-7890-123']
    """
    style %= ACCOUNT_STYLES
    if style in (1, 2):
        return (" " if style == 1 else "-").join(number[i : i + 4] for i in range(0, len(number), 4))
    if style == 3:
        return number.translate(_FULL_WIDTH)
    return number


def written_styles(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    """Draw a writing style per value; style 0 (plain) is the most common."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())

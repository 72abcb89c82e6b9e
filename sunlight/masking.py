"""Masking of personal identifiers for display (个人信息去标识化展示, PIPL).

Investigators need to see *that* two parties share a phone or an account, not the
number itself. Everything the app shows passes through these functions: values of
properties the schema marks ``personal=True``, the values of pivot nodes (a
``Phone`` node's id *is* the phone number), and free text such as an alert's
explanation, where a detector may have written a number into a sentence.

Masks keep enough to tell two values apart at a glance and to check one against a
paper file (the first and last digits), never enough to reconstruct the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from graph.schema import node_type

__all__ = [
    "PERSONAL_KEYS",
    "PIVOT_KINDS",
    "mask_address",
    "mask_bank_account",
    "mask_id_number",
    "mask_node_id",
    "mask_phone",
    "mask_props",
    "mask_record",
    "mask_text",
    "mask_value",
    "phone_digits",
]

#: Pivot labels whose node id is the (normalised) personal value itself -> kind of value.
PIVOT_KINDS: dict[str, str] = {
    "Phone": "phone",
    "BankAccount": "bank_account",
    "IdNumber": "id_number",
    "Address": "address",
}

#: Keys that hold a personal value wherever they appear (evidence rows, query results) -> kind.
PERSONAL_KEYS: dict[str, str] = {
    "phone": "phone",
    "mobile": "phone",
    "id_number": "id_number",
    "bank_account": "bank_account",
    "account": "bank_account",
    "payee_account": "bank_account",
    "address": "address",
}

_STAR = "*"


def _stars(n: int) -> str:
    return _STAR * max(n, 1)


def mask_id_number(value: str) -> str:
    """An identity number with its first four and last four characters kept.

    >>> mask_id_number("420102199001011234")
    '4201**********1234'
    >>> mask_id_number("E1234567")
    'E******7'
    """
    text = re.sub(r"\s", "", str(value))
    if len(text) >= 12:
        return text[:4] + _stars(len(text) - 8) + text[-4:]
    if len(text) >= 3:
        return text[:1] + _stars(len(text) - 2) + text[-1:]
    return _stars(len(text))


def phone_digits(value: object) -> str:
    """The digits of a phone number without China's country code (+86, 0086, 86 before a mobile).

    >>> phone_digits("+86 138-0013-8000"), phone_digits("008613800138000"), phone_digits("027-87654321")
    ('13800138000', '13800138000', '02787654321')
    """
    digits = re.sub(r"\D", "", str(value or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def mask_phone(value: str) -> str:
    """A phone number: a mobile keeps 3 + 4 digits, a landline its area code and last 4.

    >>> mask_phone("13800138000"), mask_phone("+86 138-0013-8000"), mask_phone("027-87654321")
    ('138****8000', '138****8000', '027-****4321')
    >>> mask_phone("008613011669515"), mask_phone("02787000002")
    ('130****9515', '027-****0002')
    """
    text = str(value).strip()
    digits = phone_digits(text)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    area = re.match(r"^\(?(0\d{2,3})\)?[-\s]", text)
    if area and len(digits) > len(area.group(1)) + 4:
        return f"{area.group(1)}-****{digits[-4:]}"
    if digits.startswith("0") and len(digits) in (11, 12):
        # a landline written without separators: 010 and 02x are three-digit area codes, the rest four
        code = digits[:3] if digits[1] in "12" else digits[:4]
        return f"{code}-****{digits[-4:]}"
    if len(digits) > 4:
        return "****" + digits[-4:]
    return _stars(len(digits))


def mask_bank_account(value: str) -> str:
    """A bank account with its first four and last four digits kept.

    >>> mask_bank_account("6222 0212 3456 7891 234")
    '6222***********1234'
    """
    text = re.sub(r"[\s-]", "", str(value))
    if len(text) > 8:
        return text[:4] + _stars(len(text) - 8) + text[-4:]
    if len(text) > 4:
        return _stars(len(text) - 4) + text[-4:]
    return _stars(len(text))


_ADMIN_PREFIX = re.compile(
    r"^(?:[^省市区县]{1,8}?(?:省|自治区))?"
    r"(?:[^省市区县]{1,8}?(?:市|自治州|地区|盟))?"
    r"(?:[^省市区县]{1,8}?(?:(?<!小)区|县|旗|市))?"  # 小区 is a housing estate, not a district
)


def mask_address(value: str) -> str:
    """An address down to its district (区/县), the street and number hidden.

    >>> mask_address("湖北省武汉市洪山区珞喻路100号3栋2单元")
    '湖北省武汉市洪山区****'
    >>> mask_address("北京市海淀区中关村大街1号")
    '北京市海淀区****'
    >>> mask_address("12 Baker Street, London")
    '****, London'
    """
    text = str(value).strip()
    if not text:
        return text
    if re.search(r"[\u4e00-\u9fff]", text):
        prefix = _ADMIN_PREFIX.match(text)
        kept = prefix.group(0) if prefix else ""
        if not kept or kept == text:
            kept = text[: min(3, max(len(text) - 4, 0))]
        return kept + "****"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > 1:
        return "****, " + parts[-1]
    return "****"


_MASKERS = {
    "phone": mask_phone,
    "id_number": mask_id_number,
    "bank_account": mask_bank_account,
    "address": mask_address,
}


def mask_value(kind: str, value: Any) -> Any:
    """Mask ``value`` as a personal identifier of ``kind``; empty values stay as they are.

    >>> mask_value("phone", "13800138000"), mask_value("phone", None)
    ('138****8000', None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    text = str(value)
    if not text.strip():
        return value
    return _MASKERS[kind](text)


def mask_node_id(label: str, node_id: str) -> str:
    """A node's id as it may be shown: pivots (a phone, an account ...) masked, others as they are.

    >>> mask_node_id("Phone", "13800138000"), mask_node_id("Supplier", "S001")
    ('138****8000', 'S001')
    """
    kind = PIVOT_KINDS.get(label)
    return mask_value(kind, node_id) if kind else node_id


def mask_props(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties with every property the schema marks personal masked.

    >>> mask_props("Employee", {"name": "张伟", "phone": "13800138000"})
    {'name': '张伟', 'phone': '138****8000'}
    """
    spec = node_type(label)
    personal = {p.name for p in spec.props if p.personal}
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key == "id" and label in PIVOT_KINDS:
            out[key] = mask_node_id(label, value)
        elif key in personal:
            out[key] = mask_value(PERSONAL_KEYS.get(key, "id_number"), value)
        else:
            out[key] = mask_text(value) if isinstance(value, str) else value
    return out


def mask_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of evidence or of a query result: personal keys masked by name, numbers in text masked.

    A row that names a pivot (``{"kind": "Phone", "value": ...}``) has its value masked too.

    >>> mask_record({"kind": "Phone", "value": "13800138000", "employee_id": "E1"})
    {'kind': 'Phone', 'value': '138****8000', 'employee_id': 'E1'}
    """
    pivot_kind = PIVOT_KINDS.get(str(record.get("kind") or record.get("label") or ""))
    out: dict[str, Any] = {}
    for key, value in record.items():
        kind = PERSONAL_KEYS.get(str(key).lower())
        if kind is None and pivot_kind and key in ("value", "id", "identifier"):
            kind = pivot_kind
        if kind is not None:
            out[key] = mask_value(kind, value)
        elif isinstance(value, str):
            out[key] = mask_text(value)
        else:
            out[key] = value
    return out


# An 18-character 居民身份证号码 (with a plausible birth date) or a 15-digit one.
_ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
# 16 to 19 digits, as bank cards are written, optionally in groups of four.
_ACCOUNT_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[\s-]?\d{4}){3}(?:[\s-]?\d{1,3})?(?![0-9A-Za-z])")


def mask_text(text: Any) -> Any:
    """Mask identity numbers, mobile numbers and bank accounts written inside free text.

    Amounts written with separators (``3,562,000``) and ids with letters (``C0001``)
    are left alone.

    >>> mask_text("员工张伟（身份证420102199001011234）与供应商共用电话13800138000")
    '员工张伟（身份证4201**********1234）与供应商共用电话138****8000'
    >>> mask_text("收款账户6222021234567891234，合同C0001金额3,562,000元")
    '收款账户6222***********1234，合同C0001金额3,562,000元'
    """
    if not isinstance(text, str) or not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    return _ACCOUNT_IN_TEXT.sub(lambda m: mask_bank_account(m.group(0)), text)

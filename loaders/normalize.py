"""Normalise identifiers so that the same phone, account, address or name matches however it is written.

Each function takes one raw value and returns its normalised form; an empty result
means "no usable identifier". The shared-identifier pivot nodes (``Phone``,
``BankAccount``, ``Address``, ``IdNumber``) carry these normalised values as their
ids, so two parties that wrote one phone number differently still meet at one node.
The raw value stays on the party for display.

All functions start with Unicode NFKC, which turns full-width digits, letters and
punctuation (``１３８``, ``ＡＢ``, ``（``) into their ASCII forms. Loaders apply them
once per distinct value (:func:`per_unique`), never once per row.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "is_plausible_phone",
    "mask",
    "normalize_account",
    "normalize_address",
    "normalize_id_number",
    "normalize_name",
    "normalize_phone",
    "per_unique",
    "split_phones",
]

_PHONE_NOISE = re.compile(r"[\s\-.()\[\]/_·‐‑‒–—―~]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PLAUSIBLE_PHONE = re.compile(
    r"1[3-9]\d{9}"  # mobile
    r"|0[1-9]\d{8,10}"  # landline with area code
    r"|[48]00\d{7}"  # 400 / 800 service numbers
    r"|[2-9]\d{6,7}"  # local number without area code
    r"|\+[1-9]\d{6,14}"  # another country, E.164
)
_PHONE_SEPARATORS = re.compile(r"[,;，；、/|]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}()]) (?=[{_CJK}()])")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"})
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)\s*[-‐‑‒–—―~]\s*(?=\d)")
_HASH_AFTER_DIGITS = re.compile(r"(?<=\d)\s*#")
#: Traditional or variant characters written for the same address word.
_ADDRESS_VARIANTS = str.maketrans({"號": "号", "衖": "弄", "樓": "楼", "層": "层", "區": "区", "縣": "县"})


def _nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_phone(value: Any) -> str:
    """Digits of a phone number, without the country code for China.

    Spaces, dashes, dots and brackets go; ``+86`` / ``0086`` go, and a landline written
    internationally gets its leading ``0`` back; another country keeps its ``+``.

    >>> normalize_phone("+86 138-0013-8000")
    '13800138000'
    >>> normalize_phone("１３８ ００１３ ８０００")
    '13800138000'
    >>> normalize_phone("(010) 6552.1234")
    '01065521234'
    >>> normalize_phone("0086 10 6552 1234")
    '01065521234'
    >>> normalize_phone("8613800138000")
    '13800138000'
    >>> normalize_phone("+852 2123 4567")
    '+85221234567'
    >>> normalize_phone("+86 0086 138 0013 8000")
    '13800138000'
    """
    # NFKC once more after the noise is gone: removing a space can leave a letter and a combining
    # mark side by side ("R ̧"), which a second normalisation would compose ("Ŗ").
    s = unicodedata.normalize("NFKC", _PHONE_NOISE.sub("", _nfkc(value).upper()))
    international = False
    while True:  # a country code written twice ("+86 0086 ...") goes, so the result stays put
        if s.startswith("+86"):
            s, international = s[3:], True
        elif s.startswith("0086"):
            s, international = s[4:], True
        elif len(s) == 13 and s.startswith("86") and _MOBILE.fullmatch(s[2:]):
            s = s[2:]
        else:
            break
    if international and s and not _MOBILE.fullmatch(s) and not s.startswith("0"):
        s = "0" + s
    return s


def split_phones(value: Any) -> list[str]:
    """The normalised numbers of a cell that may list several (``,`` ``;`` ``/`` ``、``).

    >>> split_phones("138 0013 8000；010-65521234")
    ['13800138000', '01065521234']
    >>> split_phones(" ")
    []
    """
    return list(_phones(str(value)))


@functools.lru_cache(maxsize=1 << 17)
def _phones(text: str) -> tuple[str, ...]:
    # Cached: validation and the graph both split the same cells.
    parts = (normalize_phone(part) for part in _PHONE_SEPARATORS.split(_nfkc(text)))
    return tuple(dict.fromkeys(p for p in parts if p))


def is_plausible_phone(normalised: str) -> bool:
    """Whether a normalised number looks like a Chinese mobile, landline or service number.

    >>> [is_plausible_phone(x) for x in ("13800138000", "01065521234", "4008123123", "12345", "2380013800")]
    [True, True, True, False, False]
    """
    return bool(_PLAUSIBLE_PHONE.fullmatch(normalised))


def normalize_account(value: Any) -> str:
    """A bank account number: its letters and digits only, upper case.

    >>> normalize_account("6222 0212-3456.7890 123")
    '6222021234567890123'
    >>> normalize_account("６２２２ ０２１２ ３４５６")
    '622202123456'
    >>> normalize_account("gb29 nwbk 6016 1331 9268 19")
    'GB29NWBK60161331926819'
    """
    return _NOT_ALNUM.sub("", _nfkc(value).upper())


def normalize_id_number(value: Any) -> str:
    """An identity number (居民身份证号码 or passport): letters and digits, upper case.

    >>> normalize_id_number("110105 1949 1231 002x")
    '11010519491231002X'
    >>> normalize_id_number("１１０１０５１９４９１２３１００２Ｘ")
    '11010519491231002X'
    """
    return _NOT_ALNUM.sub("", _nfkc(value).upper())


def normalize_name(value: Any) -> str:
    """A person's or company's name: NFKC, trimmed, single spaces, ASCII brackets.

    Spaces between Chinese characters go (``张　三`` is how two-character names are
    padded to line up with three-character ones); Latin names keep one space.

    >>> normalize_name("  某某（北京）科技  有限公司 ")
    '某某(北京)科技有限公司'
    >>> normalize_name("张　三")
    '张三'
    >>> normalize_name("ACME   (Beijing)  Ltd.")
    'ACME (Beijing) Ltd.'
    >>> normalize_name("【测试】 公司")
    '(测试)公司'
    """
    s = _nfkc(value).translate(_BRACKETS)
    s = _SPACES.sub(" ", s)
    return _SPACE_BETWEEN_CJK.sub("", s)


def normalize_address(value: Any) -> str:
    """A postal address reduced to its letters, digits and Chinese characters.

    Conservative on purpose: traditional forms become simplified (號→号, 衖→弄),
    ``3#楼`` becomes ``3号楼``, any dash between two numbers becomes ``-`` and is kept
    (``12-3号`` is not ``123号``); spaces and other punctuation go; Latin letters are
    upper-cased. Nothing else is rewritten.

    >>> normalize_address("上海市 徐汇区 漕溪北路 88號 3#楼 1201室")
    '上海市徐汇区漕溪北路88号3号楼1201室'
    >>> normalize_address("北京市朝阳区（东三环）建国路１２－３号")
    '北京市朝阳区东三环建国路12-3号'
    >>> normalize_address("上海市黄浦区 南京东路 123 弄 4 号")
    '上海市黄浦区南京东路123弄4号'
    """
    s = _nfkc(value).upper().translate(_ADDRESS_VARIANTS)
    s = _HASH_AFTER_DIGITS.sub("号", s)
    s = _DASH_BETWEEN_DIGITS.sub("-", s)
    out = []
    for i, ch in enumerate(s):
        joins_numbers = ch == "-" and 0 < i < len(s) - 1 and s[i - 1].isdigit() and s[i + 1].isdigit()
        if joins_numbers or unicodedata.category(ch)[0] not in "PSZC":
            out.append(ch)
    return unicodedata.normalize("NFKC", "".join(out))  # see normalize_phone: stays normalised


def mask(value: Any) -> str:
    """A personal identifier for display: first 3 and last 4 characters, the rest starred.

    >>> mask("13800138000")
    '138****8000'
    >>> mask("11010519491231002X")
    '110***********002X'
    >>> mask("12345")
    '1****'
    """
    s = str(value)
    if len(s) >= 8:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return s[:1] + "*" * (len(s) - 1)


def per_unique(series: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """Apply ``fn`` once per distinct non-missing value of ``series``; missing stays ``None``.

    >>> per_unique(pd.Series(["a", None, "a", "b"]), str.upper).tolist()
    ['A', None, 'A', 'B']
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [fn(u) for u in uniques]
    results[-1] = None  # code -1 (missing) picks the last slot
    return pd.Series(results[codes], index=series.index, dtype=object)

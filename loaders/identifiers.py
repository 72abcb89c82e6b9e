"""Check digits of Chinese identifiers: 统一社会信用代码 (GB 32100-2015) and
居民身份证号码 (GB 11643-1999, ISO 7064 MOD 11-2).

The generator uses these to write valid numbers; the loaders use them to flag
invalid ones as data-quality warnings (an invalid number is still loaded).
"""

from __future__ import annotations

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "credit_code_check_char",
    "id_number_check_char",
    "is_valid_credit_code",
    "is_valid_id_number",
]

#: The 31 characters a credit code may use (no I, O, S, V, Z).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 are given.

    >>> credit_code_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17:
        raise ValueError("a credit code body has 17 characters")
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` has 18 characters from the alphabet and a correct check character.

    >>> is_valid_credit_code("91350100M000100Y43"), is_valid_credit_code("91350100M000100Y44")
    (True, False)
    """
    code = code.strip().upper()
    if len(code) != 18 or any(ch not in CREDIT_CODE_ALPHABET for ch in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def id_number_check_char(first17: str) -> str:
    """The 18th character of a 居民身份证号码 whose first 17 digits are given.

    >>> id_number_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("an identity number body has 17 digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """True for an 18-character 居民身份证号码 with a correct check character.

    >>> is_valid_id_number("11010519491231002X"), is_valid_id_number("110105194912310021")
    (True, False)
    """
    number = number.strip().upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return id_number_check_char(number[:17]) == number[17]

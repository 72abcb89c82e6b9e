"""Identifier normalisation: the same phone, account, identity number, name or address,
written differently, normalises to one value."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders.normalize import (
    is_plausible_phone,
    mask,
    normalize_account,
    normalize_address,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    per_unique,
    split_phones,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138.0013.8000", "13800138000"),
        ("(138) 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("１３８－００１３－８０００", "13800138000"),  # full-width dashes
        ("+86 138 0013 8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("＋８６ １３８００１３８０００", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("010-6552 1234", "01065521234"),
        ("(010)65521234", "01065521234"),
        ("+86 10 6552 1234", "01065521234"),  # a landline written internationally gets its 0 back
        ("+86 (0)10 6552 1234", "01065521234"),
        ("0086 21 5555 6666", "02155556666"),
        ("400-810-8888", "4008108888"),
        ("+852 2123 4567", "+85221234567"),  # another country keeps its code
        ("  13800138000\t", "13800138000"),
        ("", ""),
    ],
)
def test_phone_numbers_written_differently_normalise_to_one(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000, 13900139000", ["13800138000", "13900139000"]),
        ("138 0013 8000；139-0013-9000", ["13800138000", "13900139000"]),
        ("13800138000/13800138000", ["13800138000"]),
        ("13800138000、010-65521234", ["13800138000", "01065521234"]),
        ("010-6552 1234", ["01065521234"]),
        ("", []),
    ],
)
def test_a_cell_may_list_several_phones(raw: str, expected: list[str]) -> None:
    assert split_phones(raw) == expected


@pytest.mark.parametrize(
    ("number", "plausible"),
    [
        ("13800138000", True),
        ("19912345678", True),
        ("01065521234", True),
        ("075512345678", True),
        ("4008108888", True),
        ("65521234", True),
        ("+85221234567", True),
        ("12345", False),
        ("12800138000", False),
        ("138001380001", False),
        ("0000000", False),
        ("ABC", False),
        ("", False),
    ],
)
def test_implausible_phones_are_recognised(number: str, plausible: bool) -> None:
    assert is_plausible_phone(number) is plausible


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6222021234567890123", "6222021234567890123"),
        ("6222 0212 3456 7890 123", "6222021234567890123"),
        ("6222-0212-3456-7890-123", "6222021234567890123"),
        ("6222.0212.3456.7890.123", "6222021234567890123"),
        ("６２２２０２１２３４５６７８９０１２３", "6222021234567890123"),
        ("gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("GB29NWBK60161331926819", "GB29NWBK60161331926819"),
        ("账号：6222 0212 3456", "622202123456"),
    ],
)
def test_bank_accounts_written_differently_normalise_to_one(raw: str, expected: str) -> None:
    assert normalize_account(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("110105-19491231-002X", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("e12345678", "E12345678"),
    ],
)
def test_identity_numbers_written_differently_normalise_to_one(raw: str, expected: str) -> None:
    assert normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("  张三 ", "张三"),
        ("张　三", "张三"),  # padded two-character name
        ("张 三", "张三"),
        ("某某（北京）科技有限公司", "某某(北京)科技有限公司"),
        ("某某(北京)科技有限公司", "某某(北京)科技有限公司"),
        ("某某 （北京） 科技有限公司", "某某(北京)科技有限公司"),
        ("某某【北京】科技有限公司", "某某(北京)科技有限公司"),
        ("ＡＣＭＥ　Ｔｒａｄｉｎｇ", "ACME Trading"),
        ("ACME   Trading  Ltd.", "ACME Trading Ltd."),
        ("ACME (Beijing) Ltd.", "ACME (Beijing) Ltd."),
        ("Acme Trading", "Acme Trading"),  # case is kept: names are shown
    ],
)
def test_names_normalise(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("上海市徐汇区漕溪北路88号", "上海市徐汇区漕溪北路88号"),
        ("上海市 徐汇区 漕溪北路 88号", "上海市徐汇区漕溪北路88号"),
        ("上海市徐汇区漕溪北路88號", "上海市徐汇区漕溪北路88号"),
        ("上海市徐汇区漕溪北路８８号", "上海市徐汇区漕溪北路88号"),
        ("上海市，徐汇区，漕溪北路88号。", "上海市徐汇区漕溪北路88号"),
        ("上海市徐汇区(漕河泾)漕溪北路88号", "上海市徐汇区漕河泾漕溪北路88号"),
        ("上海市徐汇区（漕河泾）漕溪北路88号", "上海市徐汇区漕河泾漕溪北路88号"),
        ("漕溪北路88号3#楼", "漕溪北路88号3号楼"),
        ("漕溪北路88号 3 # 楼", "漕溪北路88号3号楼"),
        ("南京东路123弄4号", "南京东路123弄4号"),
        ("南京东路123衖4号", "南京东路123弄4号"),
        ("建国路12-3号", "建国路12-3号"),
        ("建国路12－3号", "建国路12-3号"),
        ("建国路12 — 3号", "建国路12-3号"),
        ("room 5, tower a", "ROOM5TOWERA"),
    ],
)
def test_addresses_normalise_conservatively(raw: str, expected: str) -> None:
    assert normalize_address(raw) == expected


def test_addresses_keep_what_tells_places_apart() -> None:
    assert normalize_address("建国路12-3号") != normalize_address("建国路123号")
    assert normalize_address("南京东路123弄4号") != normalize_address("南京东路123号4号")
    assert normalize_address("漕溪北路88号") != normalize_address("漕溪北路89号")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "138****8000"),
        ("11010519491231002X", "110***********002X"),
        ("6222021234567890", "622*********7890"),
        ("1234567", "1******"),
        ("", ""),
    ],
)
def test_personal_identifiers_are_masked_for_display(raw: str, expected: str) -> None:
    assert mask(raw) == expected


def test_per_unique_calls_once_per_distinct_value_and_keeps_the_index() -> None:
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    series = pd.Series(["a", None, "a", "b", "b", "a"], index=[10, 11, 12, 13, 14, 15], dtype="str")
    out = per_unique(series, upper)
    assert out.tolist() == ["A", None, "A", "B", "B", "A"]
    assert out.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert sorted(calls) == ["a", "b"]

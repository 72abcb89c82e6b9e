"""Masking of personal identifiers for display: what a person sees instead of the number."""

from __future__ import annotations

import pytest

from sunlight.masking import (
    mask_address,
    mask_bank_account,
    mask_id_number,
    mask_node_id,
    mask_phone,
    mask_props,
    mask_record,
    mask_text,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("420102199001011234", "4201**********1234"),
        ("42010219900101123X", "4201**********123X"),
        ("420102900101123", "4201*******1123"),
        ("G12345678", "G*******8"),
    ],
)
def test_identity_numbers_keep_only_their_ends(raw, shown):
    assert mask_id_number(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86-138-0013-8000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("008613011669515", "130****9515"),
        ("075512345678", "0755-****5678"),
        ("027-87654321", "027-****4321"),
        ("(010) 6543 2100", "010-****2100"),
        ("6543210", "****3210"),
    ],
)
def test_phones_keep_prefix_and_last_four(raw, shown):
    assert mask_phone(raw) == shown


def test_bank_accounts_keep_first_and_last_four():
    assert mask_bank_account("6222021234567891234") == "6222***********1234"
    assert mask_bank_account("6222-0212-3456-7891") == "6222********7891"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("湖北省武汉市洪山区珞喻路100号", "湖北省武汉市洪山区****"),
        ("上海市浦东新区世纪大道88号", "上海市浦东新区****"),
        ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区****"),
        ("某某小区5栋", "某某****"),
    ],
)
def test_addresses_keep_the_district_only(raw, shown):
    assert mask_address(raw) == shown


def test_pivot_node_ids_are_masked_and_other_ids_are_not():
    assert mask_node_id("Phone", "13800138000") == "138****8000"
    assert mask_node_id("IdNumber", "420102199001011234") == "4201**********1234"
    assert mask_node_id("BankAccount", "6222021234567891234") == "6222***********1234"
    assert mask_node_id("Employee", "E0001") == "E0001"


def test_schema_personal_properties_are_masked_and_names_are_kept():
    shown = mask_props(
        "Employee",
        {
            "id": "E1",
            "name": "张伟",
            "phone": "13800138000",
            "id_number": "420102199001011234",
            "bank_account": "6222021234567891234",
            "address": "湖北省武汉市洪山区珞喻路100号",
            "position": "采购员",
        },
    )
    assert shown == {
        "id": "E1",
        "name": "张伟",
        "phone": "138****8000",
        "id_number": "4201**********1234",
        "bank_account": "6222***********1234",
        "address": "湖北省武汉市洪山区****",
        "position": "采购员",
    }
    # a supplier's registered address is public business information, not personal
    assert (
        mask_props("Supplier", {"address": "北京市海淀区中关村大街1号"})["address"]
        == "北京市海淀区中关村大街1号"
    )


def test_evidence_rows_mask_by_key_and_by_pivot_kind():
    row = mask_record(
        {
            "kind": "BankAccount",
            "value": "6222021234567891234",
            "payee_account": "6222021234567895678",
            "n": 3,
        }
    )
    assert row == {
        "kind": "BankAccount",
        "value": "6222***********1234",
        "payee_account": "6222***********5678",
        "n": 3,
    }


def test_numbers_written_in_sentences_are_masked_and_amounts_are_not():
    text = (
        "员工李娜（身份证110105194912310021）的电话+86 139 1234 5678与供应商相同；"
        "付款至账户6222 0212 3456 7891，金额12,345,678元，合同C20240001，日期2024-03-01。"
    )
    shown = mask_text(text)
    for secret in ("110105194912310021", "139 1234 5678", "6222 0212 3456 7891"):
        assert secret not in shown
    for kept in (
        "1101**********0021",
        "139****5678",
        "6222********7891",
        "12,345,678",
        "C20240001",
        "2024-03-01",
    ):
        assert kept in shown

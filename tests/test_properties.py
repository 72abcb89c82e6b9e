"""Properties of the normalisers, the check-character validators and the loaders, tested with hypothesis.

* Normalising twice is normalising once, for any text.
* One phone number, bank account or identity number written with full-width digits, spaces,
  dashes, dots or a +86 / 0086 country code normalises to one value.
* The check characters of 居民身份证号码 and 统一社会信用代码 agree with the standards'
  formulas (computed here independently), and the loader warns about exactly the numbers
  with one character changed.
* A random small valid extract written as CSV files loads with its ids and amounts intact;
  shuffling its rows or its columns changes nothing; writing it to a store twice changes
  nothing the second time.

Example counts are kept small so that the suite stays fast.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.dataset import GraphData
from graph.ladybug_store import LadybugStore
from loaders import LoadResult, load_source, load_tables
from loaders.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_char,
    id_number_check_char,
    is_valid_credit_code,
    is_valid_id_number,
)
from loaders.normalize import (
    normalize_account,
    normalize_address,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    split_phones,
)

FAST = settings(max_examples=60, deadline=None)
FEW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
SEPARATORS = [" ", "-", ".", "\u3000", "－", " - ", "  "]


def full_width(text: str) -> str:
    """ASCII written with the full-width forms a Chinese input method produces."""
    return text.translate(FULL_WIDTH)


# ---- strategies ------------------------------------------------------------------------------------
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
# Area codes as China numbers them: 10, 2x, then three digits from 3 to 9.
areas = st.one_of(
    st.just("10"), st.from_regex(r"2[0-9]", fullmatch=True), st.from_regex(r"[3-9][0-9]{2}", fullmatch=True)
)
locals_ = st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True)
accounts = st.from_regex(r"[1-9][0-9]{15,18}", fullmatch=True)
id_bodies = st.from_regex(
    r"[1-8][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
)
credit_bodies = st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17)


@st.composite
def written(draw: st.DrawFn, value: str, groups: int = 4) -> str:
    """``value`` as people type it: split by separators, some characters full-width."""
    out = []
    for i, ch in enumerate(value):
        if i and draw(st.integers(0, groups)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
        out.append(full_width(ch) if draw(st.booleans()) else ch)
    return "".join(out)


# ---- normalising twice is normalising once ------------------------------------------------------------
NORMALISERS: list[Callable[[str], str]] = [
    normalize_phone,
    normalize_account,
    normalize_id_number,
    normalize_name,
    normalize_address,
]


@pytest.mark.parametrize("normalise", NORMALISERS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.text(alphabet="+0086 ()-.１２３８６\u3000138", max_size=24)))
def test_normalising_twice_is_normalising_once(normalise: Callable[[str], str], text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    "text",
    ["R¸", "U¨ 大街", "+86 0086 138 0013 8000", "00860086 10 1234567", "+86 86 13800138000"],
)
def test_inputs_that_once_normalised_differently_the_second_time(text: str) -> None:
    """Found by the property above: a combining mark left beside a letter, a country code twice."""
    for normalise in NORMALISERS:
        once = normalise(text)
        assert normalise(once) == once


@FAST
@given(text=st.text())
def test_each_phone_of_a_cell_is_already_normalised(text: str) -> None:
    assert all(normalize_phone(phone) == phone for phone in split_phones(text))


# ---- the same identifier written differently ---------------------------------------------------------------
@FAST
@given(number=mobiles, data=st.data())
def test_a_mobile_number_written_any_way_normalises_to_its_digits(number: str, data: st.DataObject) -> None:
    prefix = data.draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "86", "(+86) ", "＋８６ "]))
    assert normalize_phone(prefix + data.draw(written(number))) == number


@FAST
@given(area=areas, local=locals_, data=st.data())
def test_a_landline_written_any_way_keeps_its_area_code(area: str, local: str, data: st.DataObject) -> None:
    expected = "0" + area + local
    sep = data.draw(st.sampled_from(["", " ", "-"]))
    variants = [
        "0" + area + sep + local,
        f"(0{area}) {local}",
        f"+86 {area} {local}",
        f"+86-{area}-{local}",
        f"0086 {area}{sep}{local}",
        f"+86 (0){area} {local}",
    ]
    for variant in variants:
        assert normalize_phone(data.draw(written(variant, groups=8))) == expected, variant


@FAST
@given(number=accounts, data=st.data())
def test_a_bank_account_written_any_way_normalises_to_its_digits(number: str, data: st.DataObject) -> None:
    assert normalize_account(data.draw(written(number))) == number


@FAST
@given(body=id_bodies, data=st.data())
def test_an_identity_number_written_any_way_normalises_to_one(body: str, data: st.DataObject) -> None:
    number = body + id_number_check_char(body)
    shown = number.lower() if data.draw(st.booleans()) else number
    assert normalize_id_number(data.draw(written(shown))) == number


@FAST
@given(name=st.text(alphabet="ABCxyz 张伟华东科技有限公司()[]0123", min_size=1, max_size=20))
def test_a_name_typed_in_full_width_normalises_as_typed_in_half_width(name: str) -> None:
    assert normalize_name(full_width(name)) == normalize_name(name)


# ---- check characters --------------------------------------------------------------------------------------
def reference_id_check(body: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2): the 18 characters, weighted 2^(18-i) mod 11, sum to 1 mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    value = (1 - total) % 11
    return "X" if value == 10 else str(value)


def reference_credit_check(body: str) -> str:
    """GB 32100-2015: weights 3^(i-1) mod 31; the check makes the weighted sum divisible by 31."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return CREDIT_CODE_ALPHABET[-total % 31]


@FAST
@given(body=id_bodies)
def test_identity_check_characters_agree_with_the_standard(body: str) -> None:
    assert id_number_check_char(body) == reference_id_check(body)
    assert is_valid_id_number(body + reference_id_check(body))


@FAST
@given(body=credit_bodies)
def test_credit_code_check_characters_agree_with_the_standard(body: str) -> None:
    assert credit_code_check_char(body) == reference_credit_check(body)
    assert is_valid_credit_code(body + reference_credit_check(body))


@st.composite
def corrupted(draw: st.DrawFn, valid: str, alphabet: str, last: str) -> str:
    """``valid`` with exactly one character replaced by another that may stand there."""
    position = draw(st.integers(0, len(valid) - 1))
    allowed = last if position == len(valid) - 1 else alphabet
    replacement = draw(st.sampled_from([ch for ch in allowed if ch != valid[position]]))
    return valid[:position] + replacement + valid[position + 1 :]


def minimal_tables(id_number: str, credit_code: str) -> dict[str, pd.DataFrame]:
    return {
        "employees": pd.DataFrame({"employee_id": ["E1"], "name": ["张伟"], "id_number": [id_number]}),
        "suppliers": pd.DataFrame({"supplier_id": ["S1"], "name": ["华信"], "credit_code": [credit_code]}),
        "contracts": pd.DataFrame(
            {"contract_id": ["C1"], "supplier_id": ["S1"], "amount": ["100"], "signed_date": ["2024-01-05"]}
        ),
        "approvals": pd.DataFrame(
            {
                "contract_id": ["C1"],
                "step": ["1"],
                "approver_id": ["E1"],
                "approved_at": ["2024-01-05T10:00:00"],
            }
        ),
    }


def warning_codes(result: LoadResult) -> set[str]:
    return {p.code for p in result.report.warnings}


@FEW
@given(id_body=id_bodies, credit_body=credit_bodies, data=st.data())
def test_the_loader_warns_about_exactly_the_numbers_with_one_character_changed(
    id_body: str, credit_body: str, data: st.DataObject
) -> None:
    id_number = id_body + reference_id_check(id_body)
    credit_code = credit_body + reference_credit_check(credit_body)
    assert warning_codes(load_tables(minimal_tables(id_number, credit_code), "extract")) == set()

    wrong_id = data.draw(corrupted(id_number, "0123456789", "0123456789X"))
    wrong_code = data.draw(corrupted(credit_code, CREDIT_CODE_ALPHABET, CREDIT_CODE_ALPHABET))
    assert not is_valid_id_number(wrong_id) and not is_valid_credit_code(wrong_code)
    assert warning_codes(load_tables(minimal_tables(wrong_id, wrong_code), "extract")) == {
        "bad_id_number",
        "bad_credit_code",
    }


# ---- random valid extracts through the loader ------------------------------------------------------------
NAME_CHARACTERS = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "Zs"),
    # Latin-1 letters next to punctuation can spell UTF-8 read as Latin-1 ("ã€‚" is "。"), which
    # the loader refuses as garbled text (tests/bad_inputs, utf8_mojibake): left out here.
    exclude_characters="".join(chr(c) for c in range(0xA0, 0x100)),
)
names = st.text(
    alphabet=st.one_of(NAME_CHARACTERS, st.sampled_from("张伟华东科技,\"'\n=+")), min_size=1, max_size=12
).filter(lambda s: s.strip() != "")
amounts = st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2, allow_nan=False)


@st.composite
def extracts(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """A small valid extract: employees, suppliers, contracts and their approvals, all as text."""
    ids = st.from_regex(r"[A-Z][0-9]{1,5}", fullmatch=True)
    employee_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    supplier_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    contract_ids = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    employees = pd.DataFrame(
        {
            "employee_id": employee_ids,
            "name": [draw(names) for _ in employee_ids],
            "phone": [draw(st.one_of(st.just(""), mobiles)) for _ in employee_ids],
        }
    )
    suppliers = pd.DataFrame({"supplier_id": supplier_ids, "name": [draw(names) for _ in supplier_ids]})
    contracts = pd.DataFrame(
        {
            "contract_id": contract_ids,
            "supplier_id": [draw(st.sampled_from(supplier_ids)) for _ in contract_ids],
            "amount": [str(draw(amounts)) for _ in contract_ids],
            "signed_date": [
                draw(st.dates(date(1990, 1, 1), date(2040, 12, 31))).isoformat() for _ in contract_ids
            ],
            "item": [draw(st.one_of(st.just(""), names)) for _ in contract_ids],
        }
    )
    approvals = pd.DataFrame(
        {
            "contract_id": contract_ids,
            "step": ["1"] * len(contract_ids),
            "approver_id": [draw(st.sampled_from(employee_ids)) for _ in contract_ids],
            "approved_at": [
                draw(st.datetimes(datetime(1990, 1, 1), datetime(2040, 12, 31))).isoformat(timespec="seconds")
                for _ in contract_ids
            ],
        }
    )
    return {"employees": employees, "suppliers": suppliers, "contracts": contracts, "approvals": approvals}


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        (folder / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return folder


def sorted_graph(data: GraphData) -> dict[str, pd.DataFrame]:
    out = {}
    for label, frame in data.nodes.items():
        out[label] = frame.sort_values("id").reset_index(drop=True)
    for key, frame in data.rels.items():
        out[str(key)] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_same_graph(a: GraphData, b: GraphData) -> None:
    left, right = sorted_graph(a), sorted_graph(b)
    assert sorted(left) == sorted(right)
    for key, frame in left.items():
        pd.testing.assert_frame_equal(frame, right[key].reindex(columns=frame.columns), obj=key)


@FEW
@given(tables=extracts())
def test_a_random_valid_extract_loads_with_its_ids_and_amounts(tables: dict[str, pd.DataFrame]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = load_source(write_csv(tables, Path(tmp) / "extract"))
    assert not result.report.errors
    contracts = result.data.nodes["Contract"].set_index("id")
    expected = tables["contracts"].set_index("contract_id")
    assert sorted(contracts.index) == sorted(expected.index)
    for contract_id, amount in expected["amount"].items():
        assert contracts.loc[contract_id, "amount"] == float(amount)
    assert sorted(result.data.nodes["Employee"]["id"]) == sorted(tables["employees"]["employee_id"])
    assert sorted(result.data.nodes["Supplier"]["id"]) == sorted(tables["suppliers"]["supplier_id"])
    suppliers = result.data.nodes["Supplier"].set_index("id")["name"]
    for supplier_id, name in tables["suppliers"].set_index("supplier_id")["name"].items():
        assert suppliers[supplier_id] == normalize_name(name.strip())
    awarded = result.data.rels[("AWARDED_TO", "Contract", "Supplier")]
    assert dict(zip(awarded["src"], awarded["dst"], strict=True)) == dict(
        zip(tables["contracts"]["contract_id"], tables["contracts"]["supplier_id"], strict=True)
    )


@FEW
@given(tables=extracts(), seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_and_columns_changes_nothing(tables: dict[str, pd.DataFrame], seed: int) -> None:
    shuffler = random.Random(seed)
    shuffled = {}
    for name, frame in tables.items():
        rows = list(range(len(frame)))
        columns = list(frame.columns)
        shuffler.shuffle(rows)
        shuffler.shuffle(columns)
        shuffled[name] = frame.iloc[rows][columns]
    with tempfile.TemporaryDirectory() as tmp:
        original = load_source(write_csv(tables, Path(tmp) / "original"))
        reordered = load_source(write_csv(shuffled, Path(tmp) / "shuffled"))
    assert_same_graph(original.data, reordered.data)


# A store is slow to write (a transaction per write, a query per label): a handful of examples.
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=extracts())
def test_writing_an_extract_twice_changes_nothing_the_second_time(tables: dict[str, pd.DataFrame]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = load_source(write_csv(tables, Path(tmp) / "extract")).data
        with LadybugStore(Path(tmp) / "store") as store:
            store.write(data)
            first = store.snapshot()
            counts = store.counts()
            again = store.write(data)
            second = store.snapshot()
            assert store.counts() == counts
    assert set(again.created.values()) <= {0}
    for frame_name in ("employees", "suppliers", "contracts", "approvals", "identifiers"):
        before, after = getattr(first, frame_name), getattr(second, frame_name)
        pd.testing.assert_frame_equal(
            before.sort_values(list(before.columns)).reset_index(drop=True),
            after.sort_values(list(after.columns)).reset_index(drop=True),
            obj=frame_name,
        )
    contracts = first.contracts.set_index("id")
    for contract_id, amount in tables["contracts"].set_index("contract_id")["amount"].items():
        assert contracts.loc[contract_id, "amount"] == float(amount)

"""The OCDS loader: shapes it reads, how OCDS maps onto the data contract, what it skips
and reports, and every real publisher sample loading into the embedded store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph.ladybug_store import LadybugStore
from loaders import LoadError
from loaders.contract import TABLES
from loaders.ocds import (
    OcdsSettings,
    OcdsSettingsError,
    is_ocds_source,
    load_ocds,
    ocds_settings,
    ocds_to_tables,
    publisher_tables,
)
from loaders.ocds_read import merge_releases, ocds_files, read_processes

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "data" / "ocds-real-samples"
#: One folder per publisher, as SOURCE.md of the samples lists them.
PUBLISHER_FOLDERS = [
    "armenia",
    "canada/montreal",
    "colombia",
    "mexico/cdmx",
    "mexico/grupo-aeroportuario",
    "mexico/inai",
    "mexico/jalisco",
    "moldova",
    "nigeria/open-contracting-portal",
    "paraguay",
    "taiwan",
    "uk-contracts-finder",
    "ukraine",
]
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real OCDS samples not found at {SAMPLES}")


def bid_amount_required() -> bool:
    return TABLES["bids"].column("bid_amount").required


# ---- small OCDS documents ---------------------------------------------------------------
BUYER = {
    "id": "GB-COH-01",
    "name": "City Hospital Trust",
    "identifier": {"scheme": "GB-COH", "id": "01", "legalName": "City Hospital Trust"},
    "roles": ["buyer"],
}
ENTITY = {
    "id": "GB-COH-02",
    "name": "Purchasing Office",
    "identifier": {"scheme": "GB-COH", "id": "02"},
    "roles": ["procuringEntity"],
}
ACME = {
    "id": "GB-COH-100",
    "name": "Acme Supplies Ltd",
    "identifier": {"scheme": "GB-COH", "id": "100"},
    "address": {"streetAddress": "1 High Street", "locality": "Leeds", "postalCode": "LS1 1AA"},
    "contactPoint": {"telephone": "+44 113 496 0000", "email": "sales@acme.example"},
    "roles": ["supplier", "tenderer"],
}
BOLT = {
    "id": "GB-COH-200",
    "name": "Bolt Trading",
    "identifier": {"scheme": "GB-COH", "id": "200"},
    "address": {"streetAddress": "1 High Street", "locality": "Leeds"},
    "contactPoint": {"telephone": "+44 (113) 496-0000"},
    "roles": ["tenderer"],
}


def ref(party: dict[str, Any]) -> dict[str, str]:
    return {"id": party["id"], "name": party["name"]}


def release(ocid: str, rid: str, date: str, **fields: Any) -> dict[str, Any]:
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["award"], "initiationType": "tender", **fields}


def full_release(ocid: str = "ocds-test01-1") -> dict[str, Any]:
    return release(
        ocid,
        "r1",
        "2024-03-02T10:00:00+08:00",
        parties=[BUYER, ENTITY, ACME, BOLT],
        buyer=ref(BUYER),
        tender={
            "id": "t1",
            "title": "Infusion pumps",
            "status": "complete",
            "procurementMethod": "selective",
            "procuringEntity": ref(ENTITY),
            "tenderers": [ref(ACME), ref(BOLT)],
            "items": [
                {"id": "1", "classification": {"scheme": "CPV", "id": "33194110", "description": "Pumps"}}
            ],
        },
        awards=[
            {
                "id": "a1",
                "status": "active",
                "date": "2024-02-20T09:00:00+08:00",
                "value": {"amount": 120000, "currency": "CNY"},
                "suppliers": [ref(ACME)],
            }
        ],
        contracts=[
            {
                "id": "c1",
                "awardID": "a1",
                "status": "active",
                "dateSigned": "2024-03-01T16:00:00+08:00",
                "value": {"amount": 118000.5, "currency": "CNY"},
            }
        ],
    )


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def row(frame: pd.DataFrame, **match: str) -> pd.Series:
    selected = frame
    for column, value in match.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, f"{len(selected)} rows match {match}"
    return selected.iloc[0]


# ---- shapes ------------------------------------------------------------------------------
def test_release_package_maps_buyer_award_contract_bids_and_parties(tmp_path: Path) -> None:
    source = write(
        tmp_path / "package.json", {"publisher": {"name": "Test Publisher"}, "releases": [full_release()]}
    )
    made = ocds_to_tables(source)
    tables = made.tables

    contract = row(tables["contracts"], ocid="ocds-test01-1")
    assert contract["contract_id"] == "ocds-test01-1/contract/c1"
    assert contract["supplier_id"] == "GB-COH-100"
    assert float(contract["amount"]) == 118000.5
    assert contract["currency"] == "CNY"
    assert contract["signed_date"] == "2024-03-01"  # the local date as written
    assert contract["signed_date_from"] == "contract.dateSigned"
    # The procuring entity is the department of its buyer.
    assert contract["department_id"] == "GB-COH-01 / GB-COH-02"
    assert contract["department_name"] == "City Hospital Trust / Purchasing Office"
    assert contract["method"] == "invited"  # OCDS selective
    assert contract["tender_id"] == "ocds-test01-1"
    assert contract["category"] == "Pumps"
    assert contract["classification"] == "CPV-33194110"

    acme = row(tables["suppliers"], supplier_id="GB-COH-100")
    assert acme["name"] == "Acme Supplies Ltd"
    assert acme["phone"] == "+44 113 496 0000"
    assert acme["address"] == "1 High Street, Leeds, LS1 1AA"
    assert acme["email"] == "sales@acme.example"
    assert acme["identifier_scheme"] == "GB-COH"

    bids = tables["bids"].set_index("supplier_id")
    assert bids.loc["GB-COH-100", "is_winner"] == "true"
    assert bids.loc["GB-COH-200", "is_winner"] == "false"
    assert bids["bid_amount"].isna().all()  # tenderers only: no bids extension here
    assert len(tables["employees"]) == 0 and len(tables["approvals"]) == 0
    assert list(tables["approvals"].columns) == [
        "contract_id",
        "step",
        "approver_id",
        "decision",
        "approved_at",
    ]

    publisher = made.report.publishers["Test Publisher"]
    assert publisher.loaded["awards"] == 1 and publisher.loaded["contracts"] == 1
    assert publisher.loaded["tenderers"] == 2 and publisher.loaded["bid_rows"] == 2
    assert made.currency == "CNY"


def test_record_package_uses_the_compiled_release(tmp_path: Path) -> None:
    compiled = full_release()
    compiled["contracts"][0]["value"]["amount"] = 200000
    stale = full_release()
    stale["contracts"][0]["value"]["amount"] = 1
    record = {"ocid": "ocds-test01-1", "releases": [stale], "compiledRelease": compiled}
    source = write(tmp_path / "records.json", {"publisher": {"name": "P"}, "records": [record]})
    made = ocds_to_tables(source)
    assert float(row(made.tables["contracts"], ocid="ocds-test01-1")["amount"]) == 200000
    assert made.report.publishers["P"].compiled_by["publisher"] == 1


def test_releases_without_a_compiled_release_merge_in_date_order(tmp_path: Path) -> None:
    first = full_release()
    first["date"] = "2024-01-01T00:00:00Z"
    first["awards"][0]["status"] = "pending"
    first["awards"][0]["title"] = "to be removed"
    first.pop("contracts")
    later = {
        "ocid": "ocds-test01-1",
        "id": "r2",
        "date": "2024-03-05T00:00:00Z",
        "tag": ["contract"],
        "awards": [{"id": "a1", "status": "active", "title": None}],
        "contracts": [
            {
                "id": "c1",
                "awardID": "a1",
                "dateSigned": "2024-03-04",
                "value": {"amount": 99, "currency": "CNY"},
            }
        ],
    }
    # Listed newest first: the merge must sort by date, not by reading order.
    record = {"ocid": "ocds-test01-1", "releases": [later, first]}
    made = ocds_to_tables(write(tmp_path / "r.json", {"records": [record]}))
    contract = row(made.tables["contracts"], ocid="ocds-test01-1")
    assert float(contract["amount"]) == 99
    assert contract["supplier_id"] == "GB-COH-100"  # from the earlier release's award, merged by id
    assert contract["item"] == "Infusion pumps"  # the award title was removed by null
    assert made.report.publishers["ocds-test01"].compiled_by["merge"] == 1


def test_merge_keeps_unmentioned_items_and_replaces_plain_values() -> None:
    merged = merge_releases(
        [
            {"ocid": "x", "date": "2024-01-02", "tender": {"tenderers": [{"id": "B"}]}, "tag": ["tender"]},
            {"ocid": "x", "date": "2024-01-01", "tender": {"tenderers": [{"id": "A"}], "status": "active"}},
        ]
    )
    assert merged["tender"] == {"tenderers": [{"id": "A"}, {"id": "B"}], "status": "active"}
    assert merged["tag"] == ["compiled"]


def test_json_lines_bare_releases_and_compiled_releases_in_one_folder(tmp_path: Path) -> None:
    lines = [full_release("ocds-test01-1"), full_release("ocds-test01-2")]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "releases.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    write(tmp_path / "src" / "more" / "bare.json", full_release("ocds-test01-3"))
    compiled = full_release("ocds-test01-4")
    compiled["tag"] = ["compiled"]
    write(tmp_path / "src" / "compiled.json", [compiled])
    # The same release again, in a package: read twice, counted once.
    write(tmp_path / "src" / "again.json", {"releases": [full_release("ocds-test01-1")]})
    assert is_ocds_source(tmp_path / "src")
    made = ocds_to_tables(tmp_path / "src")
    assert sorted(made.tables["contracts"]["ocid"]) == [f"ocds-test01-{n}" for n in (1, 2, 3, 4)]
    publisher = made.report.publishers["ocds-test01"]
    assert publisher.read["duplicate_releases"] == 1
    assert publisher.read["compiled_releases"] == 1
    assert publisher.read["files"] == 4
    # One supplier, however many processes name it.
    assert made.tables["suppliers"]["supplier_id"].tolist().count("GB-COH-100") == 1


def test_linked_releases_without_content_are_reported(tmp_path: Path) -> None:
    record = {
        "ocid": "ocds-test01-9",
        "releases": [{"url": "https://example.org/r/1.json", "date": "2024-01-01", "tag": ["tender"]}],
    }
    made = ocds_to_tables(write(tmp_path / "r.json", {"publisher": {"name": "P"}, "records": [record]}))
    publisher = made.report.publishers["P"]
    assert publisher.skipped[("processes", "linked_releases_only")] == 1
    assert publisher.read["linked_releases"] == 1


# ---- suppliers, money and skips ----------------------------------------------------------
def test_award_to_several_suppliers_is_split_equally(tmp_path: Path) -> None:
    doc = full_release()
    doc.pop("contracts")
    doc["awards"][0]["suppliers"] = [ref(ACME), ref(BOLT)]
    made = ocds_to_tables(write(tmp_path / "r.json", doc))
    rows = made.tables["contracts"].set_index("supplier_id")
    assert rows["amount"].astype(float).to_dict() == {"GB-COH-100": 60000.0, "GB-COH-200": 60000.0}
    assert set(rows["joint_suppliers"]) == {"2"}
    assert sorted(rows["contract_id"]) == ["ocds-test01-1/award/a1#1", "ocds-test01-1/award/a1#2"]
    assert made.report.publishers["ocds-test01"].notes[("joint_award_split", "")] == 1


def test_one_contract_per_supplier_of_a_joint_award_keeps_each_amount(tmp_path: Path) -> None:
    doc = full_release()
    doc["awards"][0]["suppliers"] = [ref(ACME), ref(BOLT)]
    doc["contracts"] = [
        # A lone supplier object instead of an array, as one real publisher writes it.
        {"id": "c1", "awardID": "a1", "dateSigned": "2024-03-01", "value": {"amount": 70000, "currency": "CNY"},
         "suppliers": ref(ACME)},
        {"id": "c2", "awardID": "a1", "dateSigned": "2024-03-01", "value": {"amount": 50000, "currency": "CNY"},
         "suppliers": [ref(BOLT)]},
    ]  # fmt: skip
    rows = ocds_to_tables(write(tmp_path / "r.json", doc)).tables["contracts"].set_index("supplier_id")
    assert rows["amount"].astype(float).to_dict() == {"GB-COH-100": 70000.0, "GB-COH-200": 50000.0}


def test_currencies_are_converted_with_a_rate_and_kept_and_reported_without_one(tmp_path: Path) -> None:
    docs = []
    for n, currency in enumerate(["CNY", "USD", "EUR"], start=1):
        doc = full_release(f"ocds-test01-{n}")
        doc["contracts"][0]["value"] = {"amount": 1000, "currency": currency}
        docs.append(doc)
    source = write(tmp_path / "p.json", {"releases": docs})
    made = ocds_to_tables(source, OcdsSettings(currency="CNY", rates={"USD": 7.1}))
    contracts = made.tables["contracts"].set_index("ocid")
    usd, eur = contracts.loc["ocds-test01-2"], contracts.loc["ocds-test01-3"]
    assert (float(usd["amount"]), usd["currency"]) == (7100.0, "CNY")
    assert (float(usd["original_amount"]), usd["original_currency"]) == (1000.0, "USD")
    assert (float(eur["amount"]), eur["currency"]) == (1000.0, "EUR")  # kept, in its own currency
    notes = made.report.publishers["ocds-test01"].notes
    assert notes[("converted", "USD")] == 1
    assert notes[("other_currency", "EUR")] == 1
    assert "EUR" in made.report.render("en") and "不参与金额类检测" in made.report.render("zh")


def test_main_currency_defaults_to_the_most_frequent_one(tmp_path: Path) -> None:
    docs = [full_release(f"ocds-test01-{n}") for n in range(3)]
    docs[0]["contracts"][0]["value"]["currency"] = "usd"  # codes are upper-cased
    made = ocds_to_tables(write(tmp_path / "p.json", {"releases": docs}))
    assert made.currency == "CNY"
    assert made.report.publishers["ocds-test01"].notes[("other_currency", "USD")] == 1


def test_skipped_objects_are_counted_with_their_reason(tmp_path: Path) -> None:
    cancelled = full_release("ocds-test01-1")
    cancelled["tender"]["status"] = "cancelled"
    awards = full_release("ocds-test01-2")
    awards.pop("contracts")
    awards["awards"] = [
        {"id": "no-supplier", "value": {"amount": 5, "currency": "CNY"}, "date": "2024-01-01"},
        {"id": "no-amount", "suppliers": [ref(ACME)], "date": "2024-01-01"},
        {
            "id": "lost",
            "status": "unsuccessful",
            "suppliers": [ref(ACME)],
            "value": {"amount": 5, "currency": "CNY"},
        },
        {
            "id": "waiting",
            "status": "pending",
            "suppliers": [ref(ACME)],
            "value": {"amount": 5, "currency": "CNY"},
        },
        {"id": "undated", "suppliers": [ref(ACME)], "value": {"amount": 5, "currency": "CNY"}},
    ]
    awards["date"] = None  # no release date to fall back on either
    cancelled_contract = full_release("ocds-test01-3")
    cancelled_contract["contracts"][0]["status"] = "cancelled"
    cancelled_contract["contracts"].append({"id": "c9", "awardID": "nobody", "value": {"amount": 1}})
    cancelled_contract["contracts"].append({"id": "c1-amended", "awardID": "a1", "extendsContractID": "c1"})
    bids = full_release("ocds-test01-4")
    bids["bids"] = {
        "details": [
            {
                "id": "b1",
                "status": "withdrawn",
                "tenderers": [ref(BOLT)],
                "value": {"amount": 1, "currency": "CNY"},
            },
            {"id": "b2", "status": "valid", "tenderers": [], "value": {"amount": 2, "currency": "CNY"}},
        ]
    }
    bids["tender"]["tenderers"].append({"name": ""})
    made = ocds_to_tables(
        write(tmp_path / "p.json", {"releases": [cancelled, awards, cancelled_contract, bids]})
    )
    publisher = made.report.publishers["ocds-test01"]
    assert dict(publisher.skipped) == {
        ("processes", "tender_cancelled"): 1,
        ("awards", "no_supplier"): 1,
        ("awards", "amount_missing"): 1,
        ("awards", "award_not_active"): 1,
        ("awards", "award_pending"): 1,
        ("awards", "date_missing"): 1,
        ("awards", "contracts_not_loaded"): 1,
        ("contracts", "contract_cancelled"): 1,
        ("contracts", "contract_without_award"): 1,
        ("contracts", "contract_amendment"): 1,
        ("bids", "bid_not_submitted"): 1,
        ("bids", "bid_without_tenderer"): 1,
        ("tenderers", "tenderer_unidentified"): 1,
    }
    publisher.check()  # seen = loaded + skipped for every kind
    assert publisher.seen["awards"] == 7 and publisher.loaded["awards"] == 1
    assert set(made.tables["contracts"]["ocid"]) == {"ocds-test01-4"}
    text = made.report.render("en")
    assert "skipped 1 awards: award cancelled or unsuccessful" in text
    assert "授标待定且无合同" in made.report.render("zh")


def test_bids_extension_amounts_lots_and_tenderers_without_a_bid(tmp_path: Path) -> None:
    doc = full_release()
    carl = {
        "id": "GB-COH-300",
        "name": "Carl & Co",
        "roles": ["tenderer"],
        "identifier": {"scheme": "GB-COH", "id": "300"},
    }
    doc["parties"].append(carl)
    doc["bids"] = {
        "details": [
            {"id": "b1", "status": "valid", "date": "2024-02-01T09:30:00+08:00",
             "tenderers": [ref(ACME)], "value": {"amount": 100000, "currency": "CNY"}},
            {"id": "b2", "status": "valid", "date": "2024-02-01T09:00:00+08:00",
             "tenderers": [ref(ACME)], "value": {"amount": 20000, "currency": "CNY"}},
            {"id": "b3", "status": "disqualified", "tenderers": [ref(BOLT)], "value": {"amount": 90000, "currency": "CNY"}},
        ]
    }  # fmt: skip
    bids = ocds_to_tables(write(tmp_path / "r.json", doc)).tables["bids"].set_index("supplier_id")
    assert float(bids.loc["GB-COH-100", "bid_amount"]) == 120000  # two lots, summed
    assert bids.loc["GB-COH-100", "submitted_at"] == "2024-02-01T09:00:00"  # the earliest
    assert float(bids.loc["GB-COH-200", "bid_amount"]) == 90000  # disqualified bids were submitted
    assert pd.isna(bids.loc["GB-COH-300", "bid_amount"])  # a tenderer by role only
    assert bids["is_winner"].to_dict() == {"GB-COH-100": "true", "GB-COH-200": "false", "GB-COH-300": "false"}


def test_organisations_without_registered_identifiers_get_publisher_scoped_keys(tmp_path: Path) -> None:
    doc = full_release()
    doc["parties"] = [
        {"id": "p-9", "name": "Zeta", "roles": ["supplier"]},
        {"id": "p-8", "name": "Eta", "roles": ["buyer"], "identifier": {"id": "GDF9712054NA"}},
    ]
    doc["buyer"] = {"id": "p-8"}
    doc["tender"].pop("procuringEntity")
    doc["tender"]["tenderers"] = [
        {"name": "  Theta   Ltd "},
        {"identifier": {"scheme": "X", "id": "null"}, "name": "Iota"},
    ]
    doc["awards"][0]["suppliers"] = [{"id": "p-9"}]
    made = ocds_to_tables(write(tmp_path / "r.json", doc))
    contract = row(made.tables["contracts"], ocid="ocds-test01-1")
    assert contract["supplier_id"] == "ocds-test01/party/p-9"
    assert contract["department_id"] == "ocds-test01/GDF9712054NA"
    assert set(made.tables["bids"]["supplier_id"]) == {"ocds-test01/name/theta ltd", "ocds-test01/name/iota"}


def test_an_address_without_a_street_does_not_become_an_address(tmp_path: Path) -> None:
    doc = full_release()
    doc["parties"][2] = {**ACME, "address": {"countryName": "AM", "locality": "Yerevan"}}
    supplier = row(
        ocds_to_tables(write(tmp_path / "r.json", doc)).tables["suppliers"], supplier_id="GB-COH-100"
    )
    assert pd.isna(supplier["address"]) and supplier["country"] == "AM"


# ---- settings and errors -----------------------------------------------------------------
def test_settings_from_yaml_and_their_errors(tmp_path: Path) -> None:
    good = tmp_path / "money.yaml"
    good.write_text("currency: cny\nrates:\n  usd: 7.1\n  EUR: 8\n", encoding="utf-8")
    assert ocds_settings(good) == OcdsSettings("CNY", {"USD": 7.1, "EUR": 8.0})
    with pytest.raises(OcdsSettingsError, match="unknown keys"):
        ocds_settings({"currency": "CNY", "rate": {}})
    with pytest.raises(OcdsSettingsError, match=r"rates\.USD must be a positive number"):
        ocds_settings({"rates": {"USD": 0}})


def test_broken_json_refuses_the_load_naming_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "broken.jsonl"
    source.write_text(json.dumps(full_release()) + '\n{"ocid": \n', encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_ocds(source)
    text = caught.value.text("en")
    assert "broken.jsonl" in text and "line 2" in text and "nothing was written" in text


def test_bad_settings_refuse_the_load(tmp_path: Path) -> None:
    source = write(tmp_path / "r.json", full_release())
    with pytest.raises(LoadError) as caught:
        load_ocds(source, mapping={"currency": "CNY", "colour": "red"})
    assert "unknown keys ['colour']" in caught.value.text("en")


def test_non_ocds_json_is_counted_not_loaded(tmp_path: Path) -> None:
    write(tmp_path / "src" / "meta.json", {"title": "not OCDS"})
    write(tmp_path / "src" / "r.json", full_release())
    made = ocds_to_tables(tmp_path / "src")
    assert made.report.publishers[str(tmp_path / "src" / "meta.json")].skipped[("processes", "not_ocds")] == 1
    assert len(made.tables["contracts"]) == 1


def test_is_ocds_source(tmp_path: Path) -> None:
    write(tmp_path / "ocds" / "a.json", full_release())
    (tmp_path / "contract").mkdir()
    (tmp_path / "contract" / "contracts.csv").write_text("contract_id\n")
    write(tmp_path / "contract" / "notes.json", {})
    assert is_ocds_source(tmp_path / "ocds") and is_ocds_source(tmp_path / "ocds" / "a.json")
    assert not is_ocds_source(tmp_path / "contract")
    assert not is_ocds_source(tmp_path / "contract" / "contracts.csv")
    assert not is_ocds_source(tmp_path / "missing")


# ---- through load_tables into the embedded store -----------------------------------------
def test_load_into_the_embedded_store(tmp_path: Path) -> None:
    doc = full_release()
    doc["bids"] = {
        "details": [
            {
                "id": "b1",
                "status": "valid",
                "tenderers": [ref(ACME)],
                "value": {"amount": 1, "currency": "CNY"},
            }
        ]
    }
    result = load_ocds(write(tmp_path / "r.json", doc))
    report = result.report.source_report
    assert result.data.policy == {"currency": "CNY"}
    with LadybugStore(tmp_path / "store") as store:
        store.write(result.data)
        contract = store.query(
            "MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier) RETURN c.amount AS amount, c.extra AS extra, s.id AS sid"
        )
        assert contract["amount"].tolist() == [118000.5] and contract["sid"].tolist() == ["GB-COH-100"]
        assert json.loads(contract["extra"][0])["currency"] == "CNY"
        department = store.query("MATCH (:Contract)-[:ORDERED_BY]->(d:Department) RETURN d.id AS id")
        assert department["id"].tolist() == ["GB-COH-01 / GB-COH-02"]
        # Acme and Bolt share a phone written two ways: one Phone pivot joins them.
        shared = store.query(
            "MATCH (a:Supplier)-[:HAS_PHONE]->(p:Phone)<-[:HAS_PHONE]-(b:Supplier) WHERE a.id < b.id RETURN a.id AS a, b.id AS b"
        )
        assert shared.to_dict("records") == [{"a": "GB-COH-100", "b": "GB-COH-200"}]
        bids = store.query(
            "MATCH (s:Supplier)-[b:BID_ON]->(t:Tender) RETURN s.id AS sid, b.amount AS amount, b.is_winner AS won"
        )
    if bid_amount_required():
        # Bolt is a tenderer without an amount: left out while the contract requires one, and said so.
        assert bids.to_dict("records") == [{"sid": "GB-COH-100", "amount": 1.0, "won": True}]
        assert report.publishers["ocds-test01"].notes[("bid_rows_left_out", "")] == 1
    else:
        assert sorted(bids["sid"]) == ["GB-COH-100", "GB-COH-200"]
    assert "OCDS" in report.render("en")


def test_an_existing_policy_is_not_overwritten(tmp_path: Path) -> None:
    source = write(tmp_path / "r.json", full_release())
    result = load_ocds(source, existing=lambda label: {"policy"} if label == "Policy" else set())
    assert result.data.policy is None
    assert result.report.source_report.policy_kept


# ---- the real samples --------------------------------------------------------------------
def _check_tables_against_report(made: Any) -> None:
    tables, report = made.tables, made.report
    report.check()
    assert len(tables["contracts"]) == report.total("contract_rows")
    assert len(tables["bids"]) == report.total("bid_rows")
    assert len(tables["suppliers"]) == report.suppliers
    assert tables["contracts"]["contract_id"].is_unique
    assert tables["suppliers"]["supplier_id"].is_unique
    known = set(tables["suppliers"]["supplier_id"])
    assert set(tables["contracts"]["supplier_id"]) <= known
    assert set(tables["bids"]["supplier_id"]) <= known
    assert not tables["bids"].duplicated(["tender_id", "supplier_id"]).any()
    for column in ("amount", "signed_date", "supplier_id"):
        assert tables["contracts"][column].notna().all(), column


@pytest.mark.realdata
@needs_samples
def test_every_real_file_maps_with_consistent_counts() -> None:
    files = ocds_files(SAMPLES)
    assert len(files) == 714
    for file in files:
        _check_tables_against_report(ocds_to_tables(file))


@pytest.mark.realdata
@needs_samples
@pytest.mark.parametrize("folder", PUBLISHER_FOLDERS)
def test_every_publisher_loads_into_the_store_as_reported(folder: str, tmp_path: Path) -> None:
    made = ocds_to_tables(SAMPLES / folder)
    _check_tables_against_report(made)
    result = load_ocds(SAMPLES / folder)
    report = result.report.source_report
    (publisher,) = report.publishers.values()
    with LadybugStore(tmp_path / "store") as store:
        store.write(result.data)
        counts = store.counts()
    nodes, rels = counts["nodes"], counts["relationships"]
    assert (
        nodes["Contract"]
        == rels["AWARDED_TO"]
        == len(made.tables["contracts"])
        == publisher.loaded["contract_rows"]
    )
    assert nodes["Supplier"] == len(made.tables["suppliers"]) == publisher.loaded["suppliers"]
    assert rels["ORDERED_BY"] == made.tables["contracts"]["department_id"].notna().sum()
    assert nodes["Department"] == publisher.loaded["departments"]
    with_amount = made.tables["bids"]["bid_amount"].notna().sum()
    assert rels["BID_ON"] == publisher.loaded["bid_rows"]
    assert rels["BID_ON"] == (with_amount if bid_amount_required() else len(made.tables["bids"]))
    assert nodes["Employee"] == 0 and rels["APPROVED"] == 0


@pytest.mark.realdata
@pytest.mark.slow
@needs_samples
def test_every_real_file_loads_into_one_store(tmp_path: Path) -> None:
    """Every sample file, one publisher's folder after another into the same store: each load
    adds to what the others left (writing file by file, 715 writes, took ten minutes and showed
    nothing more)."""
    assert {f for folder in PUBLISHER_FOLDERS for f in ocds_files(SAMPLES / folder)} == set(
        ocds_files(SAMPLES)
    )
    contracts: set[str] = set()
    with LadybugStore(tmp_path / "store") as store:
        for folder in PUBLISHER_FOLDERS:
            result = load_ocds(SAMPLES / folder)
            store.write(result.data)
            if "Contract" in result.data.nodes:
                contracts |= set(result.data.nodes["Contract"]["id"])
            assert store.counts()["nodes"]["Contract"] == len(contracts), folder


@pytest.mark.realdata
@needs_samples
def test_named_awards_match_the_json() -> None:
    """Values read off the sample files by hand."""
    # ProZorro, tender UA-2016-06-02-000468-c: award bffc7d3d… to ЧП "ОКСИМЕД" (UA-EDR 40133709),
    # contract c0500e8a… for 2910.0 UAH signed 2016-06-15T16:13:00+03:00; one valid bid of 2910.0.
    ukraine = ocds_to_tables(SAMPLES / "ukraine").tables
    ocid = "ocds-be6bcu-UA-2016-06-02-000468-c"
    contract = row(ukraine["contracts"], award_id="bffc7d3d20ef42ce881f742f6be09609")
    assert contract["contract_id"] == f"{ocid}/contract/c0500e8a1349409c8d2e8b5f786dc22d"
    assert (contract["supplier_id"], float(contract["amount"]), contract["currency"]) == (
        "UA-EDR-40133709",
        2910.0,
        "UAH",
    )
    assert (contract["signed_date"], contract["department_id"], contract["method"]) == (
        "2016-06-15",
        "UA-EDR-20201870",
        "open",
    )
    supplier = row(ukraine["suppliers"], supplier_id="UA-EDR-40133709")
    assert (supplier["name"], supplier["phone"], supplier["email"]) == (
        'ЧП "ОКСИМЕД"',
        "+38099 319-72-19",
        "oxymed2@ukr.net",
    )
    bid = row(ukraine["bids"], tender_id=ocid)
    assert (float(bid["bid_amount"]), bid["is_winner"], bid["submitted_at"]) == (
        2910.0,
        "true",
        "2016-06-07T20:36:23",
    )

    # Armeps, AM-PPS-fd7b426a…: four qualified bids; PI-SI ELEKTRVoNIKS SPY (AM-TIN-01849148) bid
    # 5,824,900 AMD, the lowest, and won the award 10d41979… of 6,989,880 AMD dated 2016-07-28.
    armenia = ocds_to_tables(SAMPLES / "armenia").tables
    ocid = "AM-PPS-fd7b426a70b9d7ea26a27f21a8eea687"
    bids = armenia["bids"][armenia["bids"]["tender_id"] == ocid].set_index("supplier_id")
    assert bids["bid_amount"].astype(float).to_dict() == {
        "AM-TIN-02704268": 9319500.0,
        "AM-TIN-01254973": 8250000.0,
        "AM-TIN-02588485": 6000000.0,
        "AM-TIN-01849148": 5824900.0,
    }
    assert bids.index[bids["is_winner"] == "true"].tolist() == ["AM-TIN-01849148"]
    contract = row(armenia["contracts"], ocid=ocid)
    assert (contract["supplier_id"], float(contract["amount"]), contract["signed_date"]) == (
        "AM-TIN-01849148",
        6989880.0,
        "2016-07-28",
    )
    assert contract["method"] == "invited"  # OCDS selective

    # DNCP Paraguay 274744: one award to two suppliers, one contract each (548,825,024 and
    # 222,832,000 PYG, signed 2016-05-26), plus an amendment of the second (skipped).
    paraguay = ocds_to_tables(SAMPLES / "paraguay")
    rows = paraguay.tables["contracts"][paraguay.tables["contracts"]["ocid"] == "ocds-03ad3f-274744"]
    scheme = "Registro Único de Contribuyente emitido por el Ministerio de Hacienda del Gobierno de Paraguay"
    assert rows.set_index("supplier_id")["amount"].astype(float).to_dict() == {
        f"{scheme}-368894-1": 548825024.0,
        f"{scheme}-855506-0": 222832000.0,
    }
    assert set(rows["signed_date"]) == {"2016-05-26"}
    assert paraguay.report.publishers["DNCP - Paraguay"].skipped[("contracts", "contract_amendment")] == 2


@pytest.mark.realdata
@needs_samples
def test_docs_table_is_current() -> None:
    """docs/ocds.md carries the per-publisher tables this loader prints for the samples."""
    table = publisher_tables([SAMPLES / f for f in PUBLISHER_FOLDERS], SAMPLES)
    docs = (REPO / "docs" / "ocds.md").read_text(encoding="utf-8")
    assert table in docs, "docs/ocds.md is stale: regenerate its tables with the command it gives"


def test_read_processes_counts_packages_and_records(tmp_path: Path) -> None:
    write(tmp_path / "a.json", {"publisher": {"name": "P"}, "releases": [full_release("ocds-test01-1")]})
    write(
        tmp_path / "b.json",
        {"records": [{"ocid": "ocds-test01-2", "compiledRelease": full_release("ocds-test01-2")}]},
    )
    reading = read_processes(tmp_path)
    assert [p.ocid for p in reading.processes] == ["ocds-test01-1", "ocds-test01-2"]
    assert {p.publisher for p in reading.processes} == {"P"}  # one ocid prefix, one publisher
    counts = reading.tallies["P"].counts
    assert (counts["release_packages"], counts["record_packages"], counts["files"]) == (1, 1, 2)


def test_sunlight_load_accepts_ocds_with_money_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sunlight.cli import main

    doc = full_release()
    doc["contracts"][0]["value"] = {"amount": 1000, "currency": "USD"}
    source = write(tmp_path / "ocds" / "r.json", doc)
    settings = tmp_path / "money.yaml"
    settings.write_text("currency: CNY\nrates: {USD: 7.1}\n", encoding="utf-8")
    store_path = tmp_path / "store"
    code = main(
        ["--store", str(store_path), "--lang", "en", "load", str(source.parent), "--mapping", str(settings)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "OCDS load report" in printed and "main currency CNY; rates 1 USD = 7.1 CNY" in printed
    assert "1 amounts converted from USD" in printed
    with LadybugStore(store_path, read_only=True) as store:
        amounts = store.query("MATCH (c:Contract) RETURN c.amount AS amount, c.extra AS extra")
    assert amounts["amount"].tolist() == [7100.0]
    assert json.loads(amounts["extra"][0])["original_currency"] == "USD"

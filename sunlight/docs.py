"""Generate the reference pages that come from code: the schema and one page per detector.

``python -m sunlight.docs`` rewrites ``docs/schema.md`` and ``docs/detectors/*.md``;
a test fails when a committed page differs from what this module generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from detectors.base import FAMILIES, Detector, param_table
from detectors.registry import all_detectors
from graph.schema import NODE_TYPES, REL_TYPES

__all__ = ["calibration_section", "detector_page", "expected_pages", "schema_page", "write_pages"]

DOCS = Path(__file__).resolve().parent.parent / "docs"


def schema_page() -> str:
    lines = [
        "# Graph schema",
        "",
        "Generated from `graph/schema.py` by `python -m sunlight.docs`; do not edit by hand.",
        "Every node has a string key `id`. Required properties are marked *.",
        "",
        "## Node labels",
        "",
    ]
    for spec in NODE_TYPES:
        kind = " (shared identifier)" if spec.pivot else ""
        lines += [f"### {spec.label} — {spec.doc_zh} / {spec.doc_en}{kind}", ""]
        lines += ["| property | type | notes |", "|---|---|---|"]
        for p in spec.props:
            star = "*" if p.required else ""
            note = p.doc + (" · personal, masked for display" if p.personal else "")
            lines.append(f"| {p.name}{star} | {p.type.value} | {note} |")
        lines.append("")
    lines += ["## Relationship types", ""]
    lines += ["| type | 中文 | from → to | properties |", "|---|---|---|---|"]
    for rel in REL_TYPES:
        ends = "<br>".join(f"{a} → {b}" for a, b in rel.ends)
        props = ", ".join(f"{p.name}{'*' if p.required else ''}: {p.type.value}" for p in rel.props)
        lines.append(f"| {rel.type} | {rel.doc_zh} | {ends} | {props} |")
    lines.append("")
    return "\n".join(lines)


def detector_page(detector: Detector) -> str:
    family_zh, family_en = FAMILIES[detector.family]
    lines = [
        f"# {detector.title_en} — {detector.title_zh}",
        "",
        f"Detector id `{detector.id}` · family {family_en} / {family_zh}.",
        "Generated from the module docstring by `python -m sunlight.docs`; do not edit by hand.",
        "",
    ]
    body = detector.doc.strip().splitlines()
    # numpydoc-style headings (a title line followed by dashes) become Markdown headings
    i = 0
    while i < len(body):
        line = body[i]
        if i + 1 < len(body) and body[i + 1].strip() and set(body[i + 1].strip()) == {"-"}:
            lines.append(f"## {line.strip()}")
            i += 2
            continue
        lines.append(line)
        i += 1
    lines += ["", "## Parameters", "", "| name | default | unit | meaning |", "|---|---|---|---|"]
    for name, default, unit, doc in param_table(detector.params_type):
        lines.append(f"| `{name}` | {default} | {unit} | {doc} |")
    lines += ["", *calibration_section(detector.id), ""]
    return "\n".join(lines)


def calibration_section(detector_id: str) -> list[str]:
    """The page's calibration: how the alert score is set from the raw score, with the fitted curves."""
    from detectors.calibration import CURVES, FITTED_WITH, MAX_SOFT_SCORE

    lines = [
        "## Calibration",
        "",
        "An alert's score is not the raw score above: it is the raw score mapped through the calibration",
        "curve of its kind (`detectors/calibration.py`), an estimate of the share of such alerts an",
        f"investigator confirms; hard evidence scores 1.0, everything else at most {MAX_SOFT_SCORE}. The raw",
        "score is kept in the alert's evidence (`raw_score`).",
        "",
    ]
    mine = {k: c for k, c in CURVES.items() if k == detector_id or k.startswith(f"{detector_id}/")}
    if not mine:
        return [
            *lines,
            "No curve is fitted for this detector yet: its alerts carry the raw score (at most "
            f"{MAX_SOFT_SCORE} unless hard).",
        ]
    how = FITTED_WITH.get("command", "python -m sunlight.calibrate")
    held_out = FITTED_WITH.get("holdout")
    lines += [
        f"Fitted with `{how}` on {FITTED_WITH.get('date', '?')}"
        + (f", profile {held_out} held out" if held_out else "")
        + ". Knots: raw score → confirmation rate (interpolated linearly, flat beyond the ends).",
        "",
        "| kind | alerts fitted on | real | knots |",
        "|---|---|---|---|",
    ]
    for kind, curve in sorted(mine.items()):
        knots = ", ".join(f"{x:g} → {y:.2f}" for x, y in curve.knots)
        lines.append(f"| `{kind}` | {curve.alerts} | {curve.real} | {knots} |")
    return lines


def expected_pages() -> dict[Path, str]:
    pages = {DOCS / "schema.md": schema_page()}
    for detector in all_detectors():
        pages[DOCS / "detectors" / f"{detector.id}.md"] = detector_page(detector)
    return pages


def write_pages() -> list[Path]:
    written = []
    for path, text in expected_pages().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_pages():
        print(f"wrote {written_path}", file=sys.stderr)

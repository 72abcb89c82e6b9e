"""Fit the detectors' calibration curves on labelled synthetic organisations, one profile held out.

``python -m sunlight.calibrate --profiles energy,city --seeds 1,2,3 --scale 20000 --holdout city --write``

1. For every profile × seed: generate the organisation (``loaders.generator``, into
   ``--cache``), load it through the data-contract loader into a temporary embedded
   store, run every detector with default settings and **raw** scores
   (``run_detectors(calibrated=False)``), and mark each alert real or not
   (:func:`sunlight.evaluation.alert_truth`, strict rule). Each run is a child process
   (``--jobs`` at a time), so one run's memory is given back before the next.
2. Fit, per calibration kind (:func:`detectors.calibration.kind_of`), an isotonic
   curve of real on raw score over every run **except the held-out profile's**
   (:func:`detectors.calibration.fit_curve`).
3. Apply the curves to every run, held-out profile included, and evaluate the queue
   each run would show (:func:`sunlight.evaluation.evaluate_alerts`): p@10, p@50,
   share of high alerts real, decoy entities at high, minimum recall, alerts per
   detector and at high — raw beside calibrated, held-out profile marked.
4. With ``--write``, rewrite the fitted table of ``detectors/calibration.py``
   (``CURVES`` and ``FITTED_WITH``, between its markers).

The output is a JSON report (``--out``) and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["fit", "main", "run_one"]

CALIBRATION_MODULE = Path(__file__).resolve().parent.parent / "detectors" / "calibration.py"
BEGIN, END = "# BEGIN FITTED", "# END FITTED"


# ---- one labelled run (a child process) ------------------------------------------------------------
def _dataset(cache: Path, profile: str, seed: int, scale: int) -> Path:
    from loaders.generator import generate

    out = cache / f"{profile}-{scale}-{seed}"
    if not (out / "labels.csv").exists():
        generate(out, scale=scale, seed=seed, profile=profile)
    return out


def run_one(profile: str, seed: int, scale: int, cache: Path) -> Path:
    """Generate, load, detect with raw scores; write ``alerts.csv`` (one row per alert and entity)."""
    from detectors.base import alert_id
    from detectors.calibration import kind_of
    from detectors.runner import run_detectors
    from loaders import load_source
    from sunlight.cartel_eval import snapshot_via_store
    from sunlight.evaluation import alert_truth, read_labels

    folder = _dataset(cache, profile, seed, scale)
    snapshot = snapshot_via_store(load_source(folder).data, prefix="sunlight-calibrate-")
    result = run_detectors(snapshot, calibrated=False)
    failed = [o.detector.id for o in result.failed]
    if failed:
        raise RuntimeError(f"{profile}/{seed}: detectors failed: {', '.join(failed)}")
    rows = []
    for outcome in result.outcomes:
        for finding in outcome.findings:
            aid = alert_id(finding.detector, finding.subject)
            for key in finding.entities:
                entity_type, _, entity_id = key.partition(":")
                rows.append(
                    {
                        "alert_id": aid,
                        "detector": finding.detector,
                        "kind": kind_of(finding),
                        "raw": round(finding.score, 6),
                        "hard": finding.hard,
                        "entity_type": entity_type,
                        "entity_id": entity_id,
                    }
                )
    alerts = pd.DataFrame(rows, columns=_ALERT_COLUMNS)
    truth = alert_truth(alerts, read_labels(folder / "labels.csv"))
    alerts = alerts.merge(truth, on="alert_id", how="left")
    out = folder / "alerts.csv"
    alerts.to_csv(out, index=False)
    (folder / "contracts.count").write_text(str(len(snapshot.contracts)), encoding="utf-8")
    return out


_ALERT_COLUMNS = ["alert_id", "detector", "kind", "raw", "hard", "entity_type", "entity_id"]


def _run_child(profile: str, seed: int, scale: int, cache: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "sunlight.calibrate",
        "--one",
        profile,
        str(seed),
        str(scale),
        str(cache),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
    if proc.returncode != 0:
        raise RuntimeError(f"profile {profile}, seed {seed} failed:\n{proc.stderr[-4000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


# ---- fitting and evaluating -------------------------------------------------------------------------
def fit(runs: dict[tuple[str, int], pd.DataFrame], holdout: str | None) -> dict[str, Any]:
    """Curves per kind (and per detector, the fallback) from every run outside the held-out profile."""
    from detectors.calibration import PRIOR_WEIGHT, fit_curve

    fitted = [frame for (profile, _seed), frame in runs.items() if profile != holdout]
    if not fitted:
        raise ValueError("no run left to fit on: every run belongs to the held-out profile")
    per_alert = pd.concat(fitted, ignore_index=True).drop_duplicates(["alert_id", "run"])
    soft = per_alert[~per_alert["hard"].astype(bool)]
    real = soft["real_strict"].astype(bool)
    overall = float(real.mean()) if len(soft) else 0.0
    curves = {}
    for detector, group in soft.groupby("detector"):
        truth = group["real_strict"].astype(bool)
        curve = fit_curve(group["raw"].tolist(), truth.tolist(), prior=overall)
        curves[str(detector)] = curve
        # the detector's rate, shrunk towards the overall one, is what its kinds lean on
        rate = (truth.sum() + PRIOR_WEIGHT * overall) / (len(truth) + PRIOR_WEIGHT)
        for kind, members in group.groupby("kind"):
            if str(kind) != str(detector):
                curves[str(kind)] = fit_curve(
                    members["raw"].tolist(), members["real_strict"].astype(bool).tolist(), prior=float(rate)
                )
    return curves


def _scored(frame: pd.DataFrame, curves: dict[str, Any] | None) -> pd.DataFrame:
    """Alert rows with ``score`` and ``level``: raw (``curves`` None) or calibrated."""
    from detectors.base import level_of
    from detectors.calibration import calibrated_score

    per_alert = frame.drop_duplicates("alert_id")
    if curves is None:
        score = per_alert["raw"].astype(float)
    else:
        score = pd.Series(
            [
                calibrated_score(d, k, float(r), bool(h), curves)
                for d, k, r, h in zip(
                    per_alert["detector"], per_alert["kind"], per_alert["raw"], per_alert["hard"], strict=True
                )
            ],
            index=per_alert.index,
        )
    levels = [level_of(float(s), bool(h)) for s, h in zip(score, per_alert["hard"], strict=True)]
    lookup = pd.DataFrame({"alert_id": per_alert["alert_id"], "score": score.round(4), "level": levels})
    return frame.drop(columns=["score", "level"], errors="ignore").merge(lookup, on="alert_id")


def evaluate(folder: Path, frame: pd.DataFrame, curves: dict[str, Any] | None) -> dict[str, Any]:
    """The evaluation's headline figures of one run, with raw or calibrated scores."""
    from sunlight.evaluation import evaluate_alerts, read_labels

    rows = _scored(frame, curves)
    contracts_file = folder / "contracts.count"
    contracts = int(contracts_file.read_text()) if contracts_file.exists() else None
    report = evaluate_alerts(rows, read_labels(folder / "labels.csv"), contracts=contracts)
    per_alert = rows.drop_duplicates("alert_id")
    by_detector = per_alert.groupby("detector")["level"].agg(
        alerts="size", high=lambda s: int((s == "high").sum())
    )
    return {
        "alerts": report.alerts,
        "p@10": report.precision["alert"]["strict"][10],
        "p@50": report.precision["alert"]["strict"][50],
        "high": int(report.high.get("alerts", 0)),
        "high_real": report.high.get("share_strict", 0.0),
        "decoy_entities_at_high": report.decoy_entities_at_high,
        "min_recall": report.min_recall,
        "recall": {str(r["scheme"]): r["recall"] for r in report.schemes.to_dict(orient="records")},
        "per_10k": report.alerts_per_10k_contracts,
        "by_detector": {
            str(d): {"alerts": int(r.alerts), "high": int(r.high)} for d, r in by_detector.iterrows()
        },
    }


def write_curves(
    curves: dict[str, Any], fitted_with: dict[str, Any], module: Path = CALIBRATION_MODULE
) -> None:
    """Rewrite the fitted table of ``detectors/calibration.py`` between its markers."""
    from detectors.calibration import curve_literal

    text = module.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    lines = [BEGIN, f"FITTED_WITH: dict[str, Any] = {fitted_with!r}"]
    lines.append("CURVES: dict[str, Curve] = {")
    lines += [curve_literal(name, curve) for name, curve in sorted(curves.items())]
    lines.append("}")
    module.write_text(head + "\n".join(lines) + "\n" + END + tail, encoding="utf-8")


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"{'profile':<14}{'seed':>5}{'':>2}{'alerts':>8}{'p@10':>7}{'p@50':>7}{'high':>6}{'real':>7}"
        f"{'decoy@high':>11}{'min recall':>11}{'per 10k':>9}   (raw -> calibrated)"
    ]
    for run in report["runs"]:
        mark = "*" if run["held_out"] else ""
        for name in ("raw", "calibrated"):
            r = run[name]
            lines.append(
                f"{run['profile'] + mark:<14}{run['seed']:>5}{name[0]:>2}{r['alerts']:>8}{r['p@10']:>7.2f}"
                f"{r['p@50']:>7.2f}{r['high']:>6}{r['high_real']:>7.0%}{r['decoy_entities_at_high']:>11}"
                f"{(r['min_recall'] if r['min_recall'] is not None else float('nan')):>11.2f}{r['per_10k'] or 0:>9.1f}"
            )
    lines.append("* held out while fitting")
    return "\n".join(lines)


#: options that do not change the fit (where worlds are kept, the report, parallelism)
_NOT_THE_FIT = {"--cache": 1, "--out": 1, "--jobs": 1, "--write": 0}


def _fit_arguments(argv: Sequence[str]) -> list[str]:
    """The command line without the options that do not change the fit, as ``FITTED_WITH`` records it.

    >>> _fit_arguments(["--seeds", "1,2", "--cache", "/tmp/x", "--jobs=2", "--write", "--holdout", "city"])
    ['--seeds', '1,2', '--holdout', 'city']
    """
    out, skip = [], 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in _NOT_THE_FIT:
            skip = _NOT_THE_FIT[name] if "=" not in arg else 0
            continue
        out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sunlight.calibrate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--profiles", default="classic", help="comma-separated generator profiles")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    parser.add_argument("--scale", type=int, default=20000, help="contracts per organisation")
    parser.add_argument("--holdout", default=None, help="profile kept out of the fit and reported apart")
    parser.add_argument("--cache", default=None, help="folder for the generated organisations")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--out", default=None, help="write the JSON report here")
    parser.add_argument(
        "--write", action="store_true", help="rewrite the fitted table of detectors/calibration.py"
    )
    parser.add_argument(
        "--one", nargs=4, metavar=("PROFILE", "SEED", "SCALE", "CACHE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        profile, seed, scale, cache = args.one
        print(run_one(profile, int(seed), int(scale), Path(cache)))
        return 0
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.holdout and args.holdout not in profiles:
        parser.error(f"--holdout {args.holdout} is not one of --profiles {', '.join(profiles)}")
    cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="sunlight-calibrate-"))
    cache.mkdir(parents=True, exist_ok=True)
    for profile in profiles:  # generated here, one after the other, so the children only read
        for seed in seeds:
            _dataset(cache, profile, seed, args.scale)
    tasks = [(p, s) for p in profiles for s in seeds]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        files = list(pool.map(lambda t: _run_child(t[0], t[1], args.scale, cache), tasks))
    runs = {}
    for (profile, seed), file in zip(tasks, files, strict=True):
        runs[(profile, seed)] = pd.read_csv(file, dtype={"entity_id": str, "alert_id": str}).assign(
            run=f"{profile}-{seed}"
        )
    curves = fit(runs, args.holdout)
    report: dict[str, Any] = {
        "profiles": profiles,
        "seeds": seeds,
        "scale": args.scale,
        "holdout": args.holdout,
        "runs": [],
    }
    for (profile, seed), frame in runs.items():
        folder = Path(files[tasks.index((profile, seed))]).parent
        report["runs"].append(
            {
                "profile": profile,
                "seed": seed,
                "held_out": profile == args.holdout,
                "raw": evaluate(folder, frame, None),
                "calibrated": evaluate(folder, frame, curves),
            }
        )
    report["curves"] = {
        name: {"knots": c.knots, "alerts": c.alerts, "real": c.real} for name, c in curves.items()
    }
    print(_table(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.write:
        fitted_with = {
            "command": "python -m sunlight.calibrate "
            + " ".join(_fit_arguments(argv if argv is not None else sys.argv[1:])),
            "profiles": profiles,
            "seeds": seeds,
            "scale": args.scale,
            "holdout": args.holdout,
            "date": date.today().isoformat(),
        }
        write_curves(curves, fitted_with)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

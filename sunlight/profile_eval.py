"""``sunlight eval-profiles``: the evaluation over organisation profiles × seeds.

Each run generates one world (``loaders.generator``, one profile and seed, cached by the
generator's own source so a changed generator draws anew), loads it into a fresh embedded
store, runs every detector with default settings (or ``--settings``) and scores the alerts
against the world's labels (:mod:`sunlight.evaluation`). Runs go to child processes, as many
at a time as ``jobs``, so each starts clean and two cores are used.

The result is a dict (``--out`` writes it as JSON)::

    {"scale", "seeds", "profiles", "holdout",
     "runs": [{"profile", "seed", "alerts", "alerts_per_10k", "p10", "p50", ..., "recall": {scheme: r},
               "alerts_by_detector": {id: n}, "decoys_at_high_by_scheme": {scheme: n}, "seconds"}],
     "by_profile": {profile: SUMMARY}, "union": SUMMARY, "holdout_summary": SUMMARY | None}

where a SUMMARY holds, over its runs, the minimum recall per scheme (``min_recall``), the
worst alert p@10 / p@50 and share of high alerts real, the most decoy entities at high, and
the mean alert count. ``union`` is every profile but the held-out one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["evaluate_one", "format_report", "run_profiles", "summarise"]


def generator_version() -> str:
    """A digest of the generator's source: cached worlds are kept per version."""
    folder = Path(__file__).resolve().parent.parent / "loaders" / "generator"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(cache: Path, profile: str, seed: int, scale: int) -> Path:
    """The generated world, from the cache when it is there."""
    from loaders.generator import generate

    folder = cache / f"{profile}-scale-{scale}-seed-{seed}-{generator_version()}"
    done = folder / ".complete"
    if done.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    generate(folder, scale=scale, seed=seed, profile=profile)
    done.write_text("ok", encoding="utf-8")
    return folder


def evaluate_one(
    profile: str, seed: int, scale: int, cache: Path, settings: str | None = None
) -> dict[str, Any]:
    """Generate (or reuse), load into a fresh store, detect, evaluate: one run's figures."""
    from graph.ladybug_store import LadybugStore
    from sunlight.evaluation import evaluate_alerts, read_labels, report_row
    from sunlight.pipeline import detect_and_save, load_into_store

    started = time.perf_counter()
    data = dataset(cache, profile, seed, scale)
    generated = time.perf_counter() - started
    work = Path(tempfile.mkdtemp(prefix="sunlight-profiles-"))
    try:
        store = LadybugStore(work / "store")
        try:
            result, _ = load_into_store(store, data)
            loaded = time.perf_counter() - started
            outcome = detect_and_save(store, settings)
            detected = time.perf_counter() - started
            contracts = store.counts()["nodes"].get("Contract")
            report = evaluate_alerts(store.alerts(), read_labels(data / "labels.csv"), contracts=contracts)
        finally:
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = report_row(report)
    return {
        "profile": profile,
        "seed": seed,
        **row,
        "recall": dict(zip(report.schemes["scheme"], report.schemes["recall"].astype(float), strict=True)),
        "alerts_by_detector": dict(
            zip(report.by_detector["detector"], report.by_detector["alerts"].astype(int), strict=True)
        ),
        "high_by_detector": dict(
            zip(report.by_detector["detector"], report.by_detector["high"].astype(int), strict=True)
        ),
        "decoys_at_high_by_scheme": {
            str(r["scheme"]): int(r["entities_at_high"]) for r in report.decoys.to_dict(orient="records")
        },
        "load_warnings": len(result.report.warnings),
        "failed_detectors": [o.detector.id for o in outcome.result.failed],
        "seconds": {
            "generate": round(generated, 1),
            "load": round(loaded - generated, 1),
            "detect": round(detected - loaded, 1),
            "total": round(time.perf_counter() - started, 1),
        },
    }


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Worst cases over runs: minimum recall per scheme and of the headline figures."""
    if not runs:
        return None
    schemes = sorted({s for r in runs for s in r["recall"]})

    def worst(key: str, pick: Any = min) -> Any:
        values = [r[key] for r in runs if r.get(key) is not None]
        return pick(values) if values else None

    return {
        "runs": len(runs),
        "min_recall": {s: min(r["recall"].get(s, 0.0) for r in runs) for s in schemes},
        "weakest_scheme": min(schemes, key=lambda s: min(r["recall"].get(s, 0.0) for r in runs))
        if schemes
        else None,
        "min_p10": worst("p10"),
        "min_p50": worst("p50"),
        "min_high_real": worst("high_real"),
        "max_decoys_at_high": worst("decoys_at_high", max),
        "mean_alerts": round(sum(r["alerts"] for r in runs) / len(runs), 1),
        "max_alerts_per_10k": worst("alerts_per_10k", max),
    }


def run_profiles(
    profiles: Sequence[str],
    seeds: Sequence[int],
    scale: int,
    cache: Path,
    holdout: str | None = None,
    jobs: int = 2,
    settings: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Every profile × seed in child processes (``jobs`` at a time), then the summaries."""
    cache.mkdir(parents=True, exist_ok=True)
    # generate here first (one after the other, cached), so the children only read
    for profile in profiles:
        for seed in seeds:
            dataset(cache, profile, seed, scale)

    def child(task: tuple[str, int]) -> dict[str, Any]:
        profile, seed = task
        command = [sys.executable, "-m", "sunlight.profile_eval", profile, str(seed), str(scale), str(cache)]
        if settings:
            command.append(settings)
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
        if proc.returncode != 0:
            raise RuntimeError(f"profile {profile}, seed {seed} failed:\n{proc.stderr[-4000:]}")
        row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        if progress is not None:
            progress(row)
        return row

    tasks = [(p, s) for p in profiles for s in seeds]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(child, tasks))
    by_profile = {p: summarise([r for r in runs if r["profile"] == p]) for p in profiles}
    return {
        "scale": scale,
        "seeds": list(seeds),
        "profiles": list(profiles),
        "holdout": holdout,
        "runs": runs,
        "by_profile": by_profile,
        "union": summarise([r for r in runs if r["profile"] != holdout]),
        "holdout_summary": summarise([r for r in runs if r["profile"] == holdout]) if holdout else None,
    }


def _figure(value: Any, fmt: str = "{:.2f}") -> str:
    return "–" if value is None else fmt.format(value)


def format_report(result: dict[str, Any]) -> str:
    """Tables: one line per run, then per scheme the minimum recall by profile."""
    lines = [
        f"scale {result['scale']:,}, seeds {','.join(map(str, result['seeds']))}"
        + (f", held out: {result['holdout']}" if result["holdout"] else ""),
        "",
        f"{'profile':<14}{'seed':>5}{'alerts':>8}{'/10k':>7}{'p@10':>6}{'p@50':>6}{'p@10~':>7}{'case10':>7}"
        f"{'ent10':>6}{'high':>6}{'real':>6}{'decoy':>6}{'minrec':>7}  weakest",
    ]
    for r in sorted(result["runs"], key=lambda r: (r["profile"], r["seed"])):
        weakest = min(r["recall"], key=lambda s: r["recall"][s]) if r["recall"] else "–"
        lines.append(
            f"{r['profile']:<14}{r['seed']:>5}{r['alerts']:>8}{_figure(r['alerts_per_10k'], '{:.0f}'):>7}"
            f"{_figure(r['p10']):>6}{_figure(r['p50']):>6}{_figure(r['p10_loose']):>7}{_figure(r['case_p10']):>7}"
            f"{_figure(r['entity_p10']):>6}{r['high']:>6}{_figure(r['high_real'], '{:.0%}'):>6}"
            f"{r['decoys_at_high']:>6}{_figure(r['min_recall']):>7}  {weakest} {r['recall'].get(weakest, 0):.2f}"
        )
    lines += ["", "(p@10~ is the loose rule; the other precisions use the strict rule)", ""]
    columns = [p for p in result["profiles"] if p != result["holdout"]]
    summaries = {p: result["by_profile"][p] for p in result["profiles"]}
    header = f"{'min recall':<22}" + "".join(f"{p[:12]:>13}" for p in columns) + f"{'union':>8}"
    if result["holdout"]:
        header += f"{'held out: ' + result['holdout']:>22}"
    lines.append(header)
    schemes = sorted({s for r in result["runs"] for s in r["recall"]})
    for s in schemes:
        row = f"{s:<22}" + "".join(f"{summaries[p]['min_recall'].get(s, 0):>13.2f}" for p in columns)
        row += f"{result['union']['min_recall'].get(s, 0):>8.2f}" if result["union"] else f"{'–':>8}"
        if result["holdout_summary"]:
            row += f"{result['holdout_summary']['min_recall'].get(s, 0):>22.2f}"
        lines.append(row)
    lines.append("")
    for label, key, fmt in (
        ("worst alert p@10", "min_p10", "{:.2f}"),
        ("worst alert p@50", "min_p50", "{:.2f}"),
        ("worst high real", "min_high_real", "{:.0%}"),
        ("most decoys at high", "max_decoys_at_high", "{:.0f}"),
        ("mean alerts", "mean_alerts", "{:.0f}"),
    ):
        row = f"{label:<22}" + "".join(f"{_figure(summaries[p][key], fmt):>13}" for p in columns)
        row += f"{_figure(result['union'][key], fmt) if result['union'] else '–':>8}"
        if result["holdout_summary"]:
            row += f"{_figure(result['holdout_summary'][key], fmt):>22}"
        lines.append(row)
    return "\n".join(lines)


if __name__ == "__main__":
    profile_arg, seed_arg, scale_arg, cache_arg = sys.argv[1:5]
    settings_arg = sys.argv[5] if len(sys.argv) > 5 else None
    print(json.dumps(evaluate_one(profile_arg, int(seed_arg), int(scale_arg), Path(cache_arg), settings_arg)))

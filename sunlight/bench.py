"""``sunlight bench``: load, detect, memory, store size, drill-down latency and community engines, by scale.

Each scale runs in a fresh child process so that its peak memory is its own.
Generated datasets are cached (``--cache``) so a second benchmark does not pay for
generation again. The JSON written by ``--out`` is a list with one object per scale:

``{"scale", "generate_seconds", "load_seconds", "load_rows_per_second", "detect_seconds",
"detectors": {id: seconds}, "peak_rss_bytes", "store_bytes", "drilldown_ms": {"p50", "p95"},
"community": {engine: {"seconds", "modularity"}}, "counts": {...}}``

Benchmarks are measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["bench_one_scale", "format_table", "run_bench"]


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _dataset(cache: Path, scale: int, seed: int) -> tuple[Path, float]:
    from loaders.generator import generate

    folder = cache / f"scale-{scale}-seed-{seed}"
    done = folder / ".complete"
    if done.exists():
        return folder, float(done.read_text() or 0)
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    generate(folder, scale=scale, seed=seed)
    seconds = time.perf_counter() - started
    done.write_text(f"{seconds:.3f}")
    return folder, seconds


def _community(snapshot: Any, engines: list[str], seed: int) -> dict[str, dict[str, float]]:
    from detectors.community_engines import EngineUnavailable, WeightedGraph, louvain

    graph = WeightedGraph.from_networkx(snapshot.approval_graph)
    out: dict[str, dict[str, float]] = {}
    for engine in engines:
        try:
            partition = louvain(graph, engine=engine, seed=seed)
        except EngineUnavailable as exc:
            out[engine] = {"error": str(exc)}  # type: ignore[dict-item]
            continue
        out[engine] = {
            "seconds": round(partition.seconds, 3),
            "modularity": round(partition.modularity, 5),
            "communities": partition.n_communities,
        }
    out["graph"] = {"nodes": graph.n_nodes, "edges": graph.n_edges}  # type: ignore[dict-item]
    return out


def bench_one_scale(
    scale: int, seed: int, cache: Path, engines: list[str], drilldowns: int = 100
) -> dict[str, Any]:
    """Measure one scale in this process (call it in a fresh process for a clean peak RSS)."""
    from graph.ladybug_store import LadybugStore
    from loaders import load_source
    from sunlight.pipeline import detect_and_save

    data, generate_seconds = _dataset(cache, scale, seed)
    work = Path(tempfile.mkdtemp(prefix="sunlight-bench-"))
    try:
        store = LadybugStore(work / "store")
        started = time.perf_counter()
        result = load_source(data)
        parse_seconds = time.perf_counter() - started
        summary = store.write(result.data)
        load_seconds = time.perf_counter() - started
        rows = sum(summary.rows.values())

        started = time.perf_counter()
        snapshot = store.snapshot()
        snapshot_seconds = time.perf_counter() - started
        started = time.perf_counter()
        outcome = detect_and_save(store)
        detect_seconds = time.perf_counter() - started
        detectors = {o.detector.id: round(o.seconds, 3) for o in outcome.result.outcomes}
        failed = {o.detector.id: (o.error or "")[:300] for o in outcome.result.failed}

        alerts = store.alerts().drop_duplicates("alert_id")
        rng = random.Random(seed)
        picks = rng.sample(list(alerts["evidence"]), min(drilldowns, len(alerts)))
        latencies = []
        for evidence in picks:
            keys = (json.loads(evidence or "{}").get("subgraph") or [])[:20]
            if not keys:
                continue
            t0 = time.perf_counter()
            store.subgraph(keys, hops=1, limit=200)
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()

        def pct(p: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

        community = _community(snapshot, engines, seed)
        counts = store.counts()
        store.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {
            "scale": scale,
            "generate_seconds": round(generate_seconds, 3),
            "load_seconds": round(load_seconds, 3),
            "parse_seconds": round(parse_seconds, 3),
            "load_rows_per_second": round(rows / load_seconds) if load_seconds else None,
            "snapshot_seconds": round(snapshot_seconds, 3),
            "detect_seconds": round(detect_seconds, 3),
            "detectors": detectors,
            "failed_detectors": failed,
            "alerts": len(alerts),
            "peak_rss_bytes": int(peak),
            "store_bytes": _dir_bytes(work / "store"),
            "drilldown_ms": {"p50": pct(0.5), "p95": pct(0.95), "samples": len(latencies)},
            "community": community,
            "counts": {"nodes": counts["nodes"], "relationships": counts["relationships"]},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_bench(scales: list[int], seed: int, cache: Path, engines: list[str]) -> list[dict[str, Any]]:
    results = []
    for scale in scales:
        # generate here, so the measuring child starts from a clean process and a warm cache
        _dataset(cache, scale, seed)
        command = [
            sys.executable,
            "-m",
            "sunlight.bench",
            str(scale),
            str(seed),
            str(cache),
            ",".join(engines),
        ]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark at scale {scale} failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'scale':>10} {'load s':>8} {'rows/s':>10} {'detect s':>9} {'peak MiB':>9} {'store MiB':>9} "
        f"{'drill p50':>9} {'drill p95':>9}  community (s / modularity)"
    ]
    for r in results:
        comm = ", ".join(
            f"{k} {v['seconds']}s/{v['modularity']}"
            for k, v in r["community"].items()
            if isinstance(v, dict) and "seconds" in v
        )
        lines.append(
            f"{r['scale']:>10,} {r['load_seconds']:>8.1f} {r['load_rows_per_second'] or 0:>10,} "
            f"{r['detect_seconds']:>9.1f} {r['peak_rss_bytes'] / 2**20:>9.0f} {r['store_bytes'] / 2**20:>9.1f} "
            f"{r['drilldown_ms']['p50'] or 0:>9} {r['drilldown_ms']['p95'] or 0:>9}  {comm}"
        )
        for detector, seconds in r["detectors"].items():
            lines.append(f"{'':>12}{detector:<28} {seconds:>8.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    scale_arg, seed_arg, cache_arg, engines_arg = sys.argv[1:5]
    measured = bench_one_scale(int(scale_arg), int(seed_arg), Path(cache_arg), engines_arg.split(","))
    print(json.dumps(measured))

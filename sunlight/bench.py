"""``sunlight bench``: load, detect, memory, store size, drill-down latency and community engines, by scale.

Each scale runs in a fresh child process so that its peak memory is its own.
Generated datasets are cached (``--cache``) so a second benchmark does not pay for
generation again. The JSON written by ``--out`` is a list with one object per scale:

``{"scale", "generate_seconds", "load_seconds", "load_rows_per_second", "detect_seconds",
"detectors": {id: seconds}, "detectors_cpu": {id: CPU seconds}, "peak_rss_bytes",
"detect_peak_rss_bytes", "store_bytes",
"drilldown_ms": {"p50", "p95"}, "app_reads": {"overview_seconds", "queue_seconds"},
"community": {engine: {"seconds", "cpu_seconds", "modularity", "communities", "speedup",
"modularity_gap"}}, "counts": {...}}`` (``speedup`` and ``modularity_gap`` against python-louvain,
the reference, when it is among the engines)

``sunlight detect`` runs in a process of its own on the written store, so
``detect_peak_rss_bytes`` is the detectors' memory alone; ``peak_rss_bytes`` is the
largest of that and the benchmark's own process (parse, load, drill-down, community
engines). ``app_reads`` is what the app reads, in a fresh process, before it draws the
overview (the summary written by the detector run) and the queue, case and search pages (every
alert, its case, every party and the contracts the alerts name: ``queue_contracts_read`` of
``store_contracts``), and the search index built from those parties.

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

from detectors.community_engines import on_server

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


#: The engine the design names: every other engine's speed and modularity are quoted against it.
REFERENCE_ENGINE = "python-louvain"


def _community(snapshot: Any, engines: list[str], seed: int) -> dict[str, dict[str, float]]:
    """Each engine on the approver–supplier graph: seconds, CPU seconds, modularity and, beside the
    reference, ``speedup`` (its CPU seconds over the engine's) and ``modularity_gap`` (relative;
    above 0 the engine found the higher modularity). ``gds`` works on the server, so its speedup is
    of wall seconds."""
    from detectors.community_engines import EngineUnavailable, WeightedGraph, louvain

    graph = WeightedGraph.from_networkx(snapshot.approval_graph)
    out: dict[str, dict[str, float]] = {}
    for engine in engines:
        cpu_started = time.process_time()
        try:
            partition = louvain(graph, engine=engine, seed=seed)
        except EngineUnavailable as exc:
            out[engine] = {"error": str(exc)}  # type: ignore[dict-item]
            continue
        out[engine] = {
            "seconds": round(partition.seconds, 3),
            "cpu_seconds": round(time.process_time() - cpu_started, 3),
            "modularity": round(partition.modularity, 5),
            "communities": partition.n_communities,
        }
    reference = out.get(REFERENCE_ENGINE, {})
    if "modularity" in reference:
        for engine, figures in out.items():
            if engine == REFERENCE_ENGINE or "modularity" not in figures:
                continue
            clock = "seconds" if engine == "gds" else "cpu_seconds"
            figures["speedup"] = round(reference[clock] / max(figures[clock], 1e-3), 1)
            figures["modularity_gap"] = round(
                (figures["modularity"] - reference["modularity"]) / abs(reference["modularity"] or 1.0), 4
            )
    out["graph"] = {"nodes": graph.n_nodes, "edges": graph.n_edges}  # type: ignore[dict-item]
    return out


def _community_cell(engine: str, figures: dict[str, float]) -> str:
    """``leiden 0.9s/0.16376 (22.1× python-louvain, modularity +3.1 %)``."""
    cell = f"{engine} {figures['seconds']}s/{figures['modularity']}"
    if "speedup" in figures:
        cell += f" ({figures['speedup']}× {REFERENCE_ENGINE}, modularity {figures['modularity_gap'] * 100:+.1f} %)"
    return cell


def _open(spec: str, read_only: bool = False) -> Any:
    """The store a benchmark measures: a Bolt URI names a Neo4j server, anything else a folder."""
    from graph.stores import open_store

    if "://" in spec:
        return open_store(neo4j_uri=spec)
    return open_store(spec, read_only=read_only)


def _child(function: str, *args: str) -> dict[str, Any]:
    """Run ``function(*args)`` of this module in a fresh process; it prints one JSON object."""
    code = f"import sys; from sunlight.bench import {function}; {function}(*sys.argv[1:])"
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def detect_child(store_path: str) -> None:
    """``sunlight detect`` on the store at ``store_path`` (a folder or a Bolt URI), measured; prints JSON."""
    from sunlight.pipeline import detect_and_save

    store = _open(store_path)
    try:
        started = time.perf_counter()
        snapshot = store.snapshot()
        snapshot_seconds = time.perf_counter() - started
        del snapshot  # detect_and_save reads its own, as the CLI does
        started = time.perf_counter()
        outcome = detect_and_save(store)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    print(
        json.dumps(
            {
                "snapshot_seconds": round(snapshot_seconds, 3),
                "detect_seconds": round(seconds, 3),
                "detectors": {o.detector.id: round(o.seconds, 3) for o in outcome.result.outcomes},
                "detectors_cpu": {o.detector.id: round(o.cpu_seconds, 3) for o in outcome.result.outcomes},
                "failed_detectors": {o.detector.id: (o.error or "")[:300] for o in outcome.result.failed},
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


def app_reads_child(store_path: str) -> None:
    """What the overview and the queue read before they draw, from a fresh process; prints JSON."""
    from sunlight.summary import read_summary
    from sunlight.ui import viewmodels as vm

    started = time.perf_counter()
    store = _open(store_path, read_only=True)
    try:
        summary = read_summary(store)
        overview_seconds = time.perf_counter() - started
        started = time.perf_counter()
        book = vm.read_alert_book(store)
        queue_seconds = time.perf_counter() - started
        started = time.perf_counter()
        vm.SearchIndex(book.snapshot)
        search_seconds = time.perf_counter() - started
        contracts = int(store.counts()["nodes"].get("Contract", 0))
    finally:
        store.close()
    print(
        json.dumps(
            {
                "overview_seconds": round(overview_seconds, 3),
                "overview_from_summary": summary is not None,
                "queue_seconds": round(queue_seconds, 3),
                "queue_alerts": len(book.alerts),
                "queue_contracts_read": len(book.snapshot.contracts),
                "store_contracts": contracts,
                "search_index_seconds": round(search_seconds, 3),
            }
        )
    )


def drilldown_ms(store: Any, alerts: Any, seed: int, drilldowns: int = 100) -> dict[str, Any]:
    """What opening an alert's graph costs: ``store.subgraph`` of up to 20 of its evidence keys,
    one hop, for ``drilldowns`` alerts drawn with ``seed``; p50 and p95 in ms."""
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

    return {"p50": pct(0.5), "p95": pct(0.95), "samples": len(latencies)}


def bench_reads(spec: str, seed: int, drilldowns: int = 100) -> dict[str, Any]:
    """The reads of an investigator on an existing store, which is not changed: what the overview
    and the queue fetch from a fresh process, and the drill-down latency."""
    app_reads = _child("app_reads_child", spec)
    store = _open(spec, read_only=True)
    try:
        alerts = store.alerts().drop_duplicates("alert_id")
        contracts = int(store.counts()["nodes"].get("Contract", 0))
        drilldown = drilldown_ms(store, alerts, seed, drilldowns)
    finally:
        store.close()
    return {
        "store_contracts": contracts,
        "alerts": len(alerts),
        "app_reads": app_reads,
        "drilldown_ms": drilldown,
    }


def bench_one_scale(
    scale: int,
    seed: int,
    cache: Path,
    engines: list[str],
    drilldowns: int = 100,
    neo4j_uri: str | None = None,
) -> dict[str, Any]:
    """Measure one scale in this process (call it in a fresh process for a clean peak RSS).

    With ``neo4j_uri`` the store is that server's database, which must be empty; what the
    benchmark loaded is deleted again at the end."""
    from loaders import load_source

    data, generate_seconds = _dataset(cache, scale, seed)
    work = Path(tempfile.mkdtemp(prefix="sunlight-bench-"))
    spec = neo4j_uri or str(work / "store")
    store = _open(spec)
    if neo4j_uri and any(store.counts()["nodes"].values()):
        store.close()
        raise RuntimeError(f"bench on Neo4j needs an empty database; {neo4j_uri} has data")
    try:
        started = time.perf_counter()
        result = load_source(data)
        parse_seconds = time.perf_counter() - started
        summary = store.write(result.data)
        load_seconds = time.perf_counter() - started
        rows = sum(summary.rows.values())
        del result  # the detectors' process should not share the machine with the parsed source

        store.close()
        detected = _child("detect_child", spec)
        app_reads = _child("app_reads_child", spec)
        store = _open(spec)
        snapshot = store.snapshot()

        alerts = store.alerts().drop_duplicates("alert_id")
        drilldown = drilldown_ms(store, alerts, seed, drilldowns)
        gds = store.gds_runner()
        with on_server(gds):
            community = _community(
                snapshot, [*engines, *(["gds"] if gds and "gds" not in engines else [])], seed
            )
        counts = store.counts()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {
            "scale": scale,
            "generate_seconds": round(generate_seconds, 3),
            "load_seconds": round(load_seconds, 3),
            "parse_seconds": round(parse_seconds, 3),
            "load_rows_per_second": round(rows / load_seconds) if load_seconds else None,
            "snapshot_seconds": detected["snapshot_seconds"],
            "detect_seconds": detected["detect_seconds"],
            "detectors": detected["detectors"],
            "detectors_cpu": detected["detectors_cpu"],
            "failed_detectors": detected["failed_detectors"],
            "alerts": len(alerts),
            "peak_rss_bytes": int(max(peak, detected["peak_rss_bytes"])),
            "detect_peak_rss_bytes": int(detected["peak_rss_bytes"]),
            "app_reads": app_reads,
            "store": "neo4j" if neo4j_uri else "embedded",
            # a server's files are not the client's to measure: see docs/benchmarks.md
            "store_bytes": None if neo4j_uri else _dir_bytes(work / "store"),
            "drilldown_ms": drilldown,
            "community": community,
            "counts": {"nodes": counts["nodes"], "relationships": counts["relationships"]},
        }
    finally:
        if neo4j_uri:
            store.remove_everything()
        store.close()
        shutil.rmtree(work, ignore_errors=True)


def run_bench(
    scales: list[int], seed: int, cache: Path, engines: list[str], neo4j_uri: str | None = None
) -> list[dict[str, Any]]:
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
            *([neo4j_uri] if neo4j_uri else []),
        ]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark at scale {scale} failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'scale':>10} {'load s':>8} {'rows/s':>10} {'detect s':>9} {'peak MiB':>9} {'detect MiB':>10} "
        f"{'store MiB':>9} {'drill p50':>9} {'drill p95':>9} {'overview s':>10} {'queue s':>8}  "
        "community (s / modularity)"
    ]
    for r in results:
        comm = ", ".join(
            _community_cell(k, v) for k, v in r["community"].items() if isinstance(v, dict) and "seconds" in v
        )
        lines.append(
            f"{r['scale']:>10,} {r['load_seconds']:>8.1f} {r['load_rows_per_second'] or 0:>10,} "
            f"{r['detect_seconds']:>9.1f} {r['peak_rss_bytes'] / 2**20:>9.0f} "
            f"{r['detect_peak_rss_bytes'] / 2**20:>10.0f} {(r['store_bytes'] or 0) / 2**20:>9.1f} "
            f"{r['drilldown_ms']['p50'] or 0:>9} {r['drilldown_ms']['p95'] or 0:>9} "
            f"{r['app_reads']['overview_seconds']:>10.2f} {r['app_reads']['queue_seconds']:>8.2f}  {comm}"
        )
        for detector, seconds in r["detectors"].items():
            lines.append(f"{'':>12}{detector:<28} {seconds:>8.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    scale_arg, seed_arg, cache_arg, engines_arg = sys.argv[1:5]
    neo4j_arg = sys.argv[5] if len(sys.argv) > 5 else None
    measured = bench_one_scale(
        int(scale_arg), int(seed_arg), Path(cache_arg), engines_arg.split(","), neo4j_uri=neo4j_arg
    )
    print(json.dumps(measured))

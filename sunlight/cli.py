"""The ``sunlight`` command. Verbs and outputs are documented in docs/cli.md.

Exit status: 0 success; 1 the work failed (the message on stderr names what and
where); 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from graph.errors import StoreError
from graph.store import Store
from graph.stores import DEFAULT_STORE_PATH, open_store
from sunlight.i18n import LANGS, default_lang, t

__all__ = ["main"]

APP_PATH = Path(__file__).resolve().parent.parent / "app.py"


class CommandFailed(Exception):
    """The work failed; the message is for the user (exit status 1)."""


class UsageError(Exception):
    """The command was called wrongly (exit status 2)."""


# ---- helpers ------------------------------------------------------------------------
def _store_path(args: argparse.Namespace) -> Path:
    return Path(args.store or os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH)


def _open(args: argparse.Namespace, read_only: bool = False) -> Store:
    return open_store(_store_path(args), neo4j_uri=args.neo4j, read_only=read_only)


def _audit(args: argparse.Namespace) -> Any:
    from sunlight.audit import audit_log_for

    return audit_log_for(_store_path(args), args.neo4j)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _progress(lang: str) -> Callable[[str, int, int], None]:
    interactive = sys.stderr.isatty()

    def report(what: str, done: int, total: int) -> None:
        line = t("progress", lang, what=what, done=done, total=total)
        if interactive:
            print("\r" + line.ljust(60), end="" if done < total else "\n", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    return report


def _write_output(text: str, out: str | None, lang: str, rows: int) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(t("exported", lang, n=rows, path=out))
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


# ---- verbs --------------------------------------------------------------------------
def _generate(out: Path, scale: int, seed: int, profile: str = "classic") -> Any:
    from loaders.generator import generate

    try:
        return generate(out, scale=scale, seed=seed, profile=profile)
    except ValueError as exc:  # a scale the generator cannot honour is a usage error
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise CommandFailed(f"{out}: cannot write the dataset: {exc.strerror or exc}") from exc


def cmd_generate(args: argparse.Namespace) -> int:
    summary = _generate(Path(args.out), args.scale, args.seed, args.profile)
    print(
        t(
            "generated",
            args.lang,
            path=args.out,
            contracts=summary.counts.get("contracts", args.scale),
            schemes=len(summary.instances),
        )
    )
    return 0


def _load_into(store: Store, source: Path, mapping: str | None, lang: str, audit: Any = None) -> None:
    from loaders import LoadError
    from sunlight.pipeline import load_into_store

    if not source.exists():
        raise CommandFailed(t("not_found", lang, path=source))
    print(t("loading", lang, source=source), file=sys.stderr)
    try:
        result, _ = load_into_store(store, source, mapping, progress=_progress(lang), audit=audit)
    except LoadError as exc:
        raise CommandFailed(exc.text(lang)) from exc
    # the summary lists the data-quality warnings itself
    print(t("loaded", lang, source=source, summary=result.report.summary(lang=lang)))


def cmd_load(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        _load_into(store, Path(args.source), args.mapping, args.lang, _audit(args))
    finally:
        store.close()
    return 0


def _detect(store: Store, args: argparse.Namespace) -> Any:
    from detectors.settings import SettingsError
    from sunlight.pipeline import detect_and_save

    only = [x.strip() for x in args.only.split(",") if x.strip()] if getattr(args, "only", None) else None
    from detectors.registry import all_detectors

    print(t("detecting", args.lang, n=len(only) if only else len(all_detectors())), file=sys.stderr)
    try:
        outcome = detect_and_save(store, getattr(args, "settings", None), only=only, audit=_audit(args))
    except SettingsError as exc:
        raise CommandFailed(t("settings_error", args.lang, error=exc)) from exc
    except KeyError as exc:
        raise CommandFailed(str(exc.args[0])) from exc
    saved = outcome.saved
    print(t("alerts_saved", args.lang, new=saved.new, updated=saved.updated, unchanged=saved.unchanged))
    return outcome.result


def _summary_table(result: Any, lang: str) -> str:
    from detectors.base import level_of

    rows = []
    for outcome in result.outcomes:
        levels = {"high": 0, "medium": 0, "low": 0}
        for finding in outcome.findings:
            levels[level_of(finding.score, finding.hard)] += 1
        title = outcome.detector.title_en if lang == "en" else outcome.detector.title_zh
        rows.append(
            {
                "id": outcome.detector.id,
                t("summary_header", lang): title,
                t("level_high", lang): levels["high"],
                t("level_medium", lang): levels["medium"],
                t("level_low", lang): levels["low"],
                t("total", lang): len(outcome.findings),
                t("seconds", lang): round(outcome.seconds, 2),
            }
        )
    with pd.option_context("display.unicode.east_asian_width", True):
        return pd.DataFrame(rows).to_string(index=False)


def _print_top(result: Any, lang: str, top: int = 5) -> None:
    alerts = sorted(result.alerts, key=lambda a: a.score, reverse=True)[:top]
    if not alerts:
        return
    print("\n" + t("top_alerts", lang))
    for alert in alerts:
        text = alert.explanation_en if lang == "en" else alert.explanation_zh
        print(f"  [{alert.grade} {alert.score:.2f}] {alert.id}  {text}")


def _report_failures(result: Any, lang: str) -> int:
    for outcome in result.failed:
        _err(t("detector_failed", lang, id=outcome.detector.id, error=outcome.error))
    return 1 if result.failed else 0


def cmd_detect(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        result = _detect(store, args)
    finally:
        store.close()
    print(_summary_table(result, args.lang))
    return _report_failures(result, args.lang)


def cmd_alerts(args: argparse.Namespace) -> int:
    from graph.cases import read_cases
    from sunlight.export import alert_export_frame, case_export_frame, to_csv_text, to_json_text

    store = _open(args, read_only=True)
    try:
        alerts, cases = store.alerts(), read_cases(store)
    finally:
        store.close()
    if args.by == "case":
        frame = case_export_frame(alerts, args.lang, cases)
    else:
        frame = alert_export_frame(alerts, args.lang, cases)
    text = to_json_text(frame) if args.format == "json" else to_csv_text(frame)
    _write_output(text, args.out, args.lang, len(frame))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    store = _open(args, read_only=True)
    try:
        counts = store.counts()
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(counts, ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    for section, values in counts.items():
        print(f"[{section}]")
        for name, n in values.items():
            print(f"  {name:<20} {n:>10,}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store_path = _store_path(args).resolve()
    data_dir = store_path / "demo-data"
    summary = _generate(data_dir, args.scale, args.seed)
    print(
        t(
            "generated",
            args.lang,
            path=data_dir,
            contracts=summary.counts.get("contracts", args.scale),
            schemes=len(summary.instances),
        )
    )
    store = open_store(store_path, neo4j_uri=args.neo4j)
    try:
        _load_into(store, data_dir, None, args.lang, _audit(args))
        result = _detect(store, args)
    finally:
        store.close()
    print()
    print(_summary_table(result, args.lang))
    _print_top(result, args.lang)
    print()
    account = _demo_account(store_path, args.neo4j, args.lang)
    streamlit = Path(sys.executable).with_name("streamlit")
    command = str(streamlit) if streamlit.exists() else "streamlit"
    print(t("open_app", args.lang, store=store_path, app=APP_PATH, streamlit=command, **account))
    return _report_failures(result, args.lang)


def _demo_account(store_path: Path, neo4j_uri: str | None, lang: str) -> dict[str, str]:
    """The app needs an account to sign in with; a new demo store gets one admin account
    with a random password, shown once here (the demo data are synthetic)."""
    import secrets

    from sunlight.audit import AuditLog
    from sunlight.auth import UserStore, auth_folder

    folder = auth_folder(store_path, neo4j_uri)
    users = UserStore(folder)
    if users.accounts():
        names = ", ".join(a.name for a in users.accounts())
        return {"user": names, "password": "(set earlier)" if lang == "en" else "（此前已设置）"}
    password = secrets.token_urlsafe(12)
    users.add("demo", "admin", password)
    AuditLog(folder).append("user.add", {"name": "demo", "role": "admin", "by": "sunlight demo"})
    return {"user": "demo", "password": password}


def cmd_risk(args: argparse.Namespace) -> int:
    from detectors.composite import department_risk, entity_risk
    from detectors.registry import all_detectors

    family_of = {d.id: d.family for d in all_detectors()}
    store = _open(args, read_only=True)
    try:
        alerts = store.alerts()
        snapshot = store.snapshot() if args.by == "department" else None
    finally:
        store.close()
    risk = entity_risk(alerts, family_of)
    if snapshot is not None:
        risk = department_risk(risk, snapshot.employees, snapshot.contracts)
    risk = risk.head(args.top)
    if args.format == "json":
        print(risk.to_json(orient="records", force_ascii=False, indent=2))
    else:
        print(risk.to_string(index=False))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from sunlight.evaluation import LabelsError, evaluate_alerts, read_labels

    labels_path = Path(args.dataset) / "labels.csv"
    if not labels_path.exists():
        raise CommandFailed(t("not_found", args.lang, path=labels_path))
    try:
        labels = read_labels(labels_path)
    except LabelsError as exc:
        raise CommandFailed(str(exc)) from exc
    store = _open(args, read_only=True)
    try:
        contracts = store.counts()["nodes"].get("Contract")
        report = evaluate_alerts(store.alerts(), labels, contracts=contracts)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.to_text())
    return 0


def _name_list(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in names if x not in known]
    if unknown or not names:
        raise UsageError(f"{what} {', '.join(unknown) or text!r}: expected one of {', '.join(known)} or all")
    return names


def cmd_eval_profiles(args: argparse.Namespace) -> int:
    from loaders.generator import MIN_SCALE, PROFILE_NAMES
    from sunlight.profile_eval import format_report, run_profiles

    profiles = (
        list(PROFILE_NAMES)
        if args.profiles == "all"
        else _name_list(args.profiles, PROFILE_NAMES, "--profiles")
    )
    if args.holdout is not None and args.holdout not in profiles:
        raise UsageError(f"--holdout {args.holdout!r} is not among --profiles ({', '.join(profiles)})")
    if args.scale < MIN_SCALE:
        raise UsageError(f"--scale must be at least {MIN_SCALE} contracts, got {args.scale}")
    if args.settings and not Path(args.settings).exists():
        raise CommandFailed(t("not_found", args.lang, path=args.settings))
    cache = Path(args.cache or Path.home() / ".cache" / "sunlight" / "profiles")

    def progress(row: dict[str, Any]) -> None:
        print(
            f"{row['profile']} seed {row['seed']}: {row['alerts']} alerts, p@10 {row['p10']}, "
            f"min recall {row['min_recall']} ({row['seconds']['total']} s)",
            file=sys.stderr,
            flush=True,
        )

    try:
        result = run_profiles(
            profiles, args.seeds, args.scale, cache, args.holdout, args.jobs, args.settings, progress
        )
    except (RuntimeError, OSError) as exc:
        raise CommandFailed(str(exc)) from exc
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_report(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        print(t("exported", args.lang, n=len(result["runs"]), path=args.out))
    return 0


def cmd_eval_cartels(args: argparse.Namespace) -> int:
    from detectors.community_engines import EngineUnavailable
    from loaders.cartels import CartelDataMissing
    from sunlight.cartel_eval import evaluate_cartels

    data = Path(args.data)
    if not data.is_dir():
        raise CommandFailed(t("not_found", args.lang, path=data))
    markets = [m.strip() for m in args.markets.split(",") if m.strip()] if args.markets else None
    try:
        results = evaluate_cartels(data, markets=markets, engine=args.engine, learned=not args.no_learned)
    except (CartelDataMissing, EngineUnavailable, KeyError) as exc:
        raise CommandFailed(str(exc.args[0])) from exc
    _write_output(json.dumps(results, ensure_ascii=False, indent=2), args.out, args.lang, len(results))
    return 0


def _figure(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"


def _print_learn_plan(plan: Any, lang: str, top: int, dry_run: bool) -> None:
    from sunlight.learning import MIN_PER_CLASS

    counts = plan.counts
    if plan.status == "rules_only":
        print(t("learn_rules_only", lang, minimum=MIN_PER_CLASS, **counts))
    else:
        cv = plan.document.get("cross_validation", {})
        verb = (
            "learn_verb_would"
            if dry_run and plan.new_model
            else "learn_verb_trained"
            if plan.new_model
            else "learn_verb_active"
        )
        training = plan.document.get("training", {})
        print(
            t(
                "learn_trained",
                lang,
                verb=t(verb, lang),
                version=plan.version,
                positive=training.get("positive", counts["positive"]),
                negative=training.get("negative", counts["negative"]),
                roc=_figure(cv.get("roc_auc")),
                rule_roc=_figure(cv.get("rule_roc_auc")),
                pr=_figure(cv.get("pr_auc")),
                rule_pr=_figure(cv.get("rule_pr_auc")),
            )
        )
        print(
            t(
                "learn_rescored",
                lang,
                verb=t("learn_verb_would_rescore" if dry_run else "learn_verb_rescored", lang),
                n=len(plan.moves),
                raised=sum(1 for m in plan.moves if m.after > m.rule_score),
                lowered=sum(1 for m in plan.moves if m.after < m.rule_score),
            )
        )
        moves = sorted(plan.moves, key=lambda m: (-abs(m.delta), m.alert_id))[:top]
        if moves:
            print("\n" + t("learn_moves", lang))
            key = "en" if lang == "en" else "zh"
            for m in moves:
                before = m.before if m.before is not None else m.rule_score
                why = (
                    "; ".join(r[key] for r in m.reasons)
                    if lang == "en"
                    else "；".join(r[key] for r in m.reasons)
                )
                print(
                    f"  {m.alert_id}  {m.detector:<20} {before:.2f} → {m.after:.2f} ({m.delta:+.2f})  {why}"
                )
    from sunlight.relearn import suggestion_yaml

    for suggestion in plan.suggestions:
        print()
        print(
            t(
                "learn_suggestion",
                lang,
                reason=suggestion["reason"],
                cases=suggestion["cases"],
                detectors=", ".join(suggestion["detectors"]),
                yaml=suggestion_yaml(suggestion),
            )
        )
    if dry_run:
        print("\n" + t("learn_dry_run", lang))


def cmd_learn(args: argparse.Namespace) -> int:
    from sunlight.audit import current_actor
    from sunlight.relearn import apply_plan, models_table, plan_learning, restore_model

    if args.list:
        store = _open(args, read_only=True)
        try:
            table = models_table(store)
        finally:
            store.close()
        if table.empty:
            print(t("learn_no_models", args.lang))
        elif args.format == "json":
            print(table.to_json(orient="records", force_ascii=False, indent=2))
        else:
            print(table.to_string(index=False))
        return 0
    if args.restore and args.dry_run:
        raise UsageError("--restore and --dry-run do not go together")
    store = _open(args, read_only=args.dry_run)
    audit = _audit(args)
    try:
        if args.restore:
            from graph.learned import active_model

            before = active_model(store)
            try:
                plan = restore_model(store, audit, args.restore, actor=current_actor())
            except KeyError:
                raise CommandFailed(t("learn_unknown", args.lang, version=args.restore)) from None
            replaced = before.get("version") if before else "–"
            print(t("learn_restored", args.lang, version=args.restore, n=len(plan.moves), replaced=replaced))
            return 0
        plan = plan_learning(store, audit)
        if not args.dry_run:
            apply_plan(store, audit, plan, actor=current_actor())
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(_plan_json(plan), ensure_ascii=False, indent=2, default=str))
    else:
        _print_learn_plan(plan, args.lang, args.top, args.dry_run)
    return 0


def _plan_json(plan: Any) -> dict[str, Any]:
    return {
        "status": plan.status,
        "version": plan.version,
        "counts": plan.counts,
        "cross_validation": plan.document.get("cross_validation"),
        "training": plan.document.get("training"),
        "moves": [
            {
                "alert_id": m.alert_id,
                "case_id": m.case_id,
                "detector": m.detector,
                "rule_score": m.rule_score,
                "before": m.before,
                "after": m.after,
                "delta": round(m.delta, 4),
                "level": m.level,
                "reasons": m.reasons,
            }
            for m in sorted(plan.moves, key=lambda m: (-abs(m.delta), m.alert_id))
        ],
        "suggestions": plan.suggestions,
    }


def cmd_eval_learning(args: argparse.Namespace) -> int:
    from loaders.generator import MIN_SCALE, PROFILE_NAMES
    from sunlight.learn_eval import before_after, format_table

    if args.scale < MIN_SCALE:
        raise UsageError(f"--scale must be at least {MIN_SCALE} contracts, got {args.scale}")
    if not 0 < args.share < 1:
        raise UsageError(f"--share must be between 0 and 1, got {args.share}")
    profiles = _name_list(args.profiles, PROFILE_NAMES, "--profiles")
    cache = Path(args.cache or Path.home() / ".cache" / "sunlight" / "learning")
    rows = []
    for profile in profiles:
        rows += before_after(
            args.seeds,
            args.scale,
            profile=profile,
            share=args.share,
            cache=cache,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print(format_table(rows))
    if args.out:
        Path(args.out).write_text(
            json.dumps(rows, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        print(t("exported", args.lang, n=len(rows), path=args.out))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from sunlight.scheduled import ConfigError, RunLocked, execute_run, load_run_config

    try:
        config = load_run_config(args.config)
        entry = execute_run(config)
    except (ConfigError, RunLocked) as exc:
        raise CommandFailed(str(exc)) from exc
    print(json.dumps(entry, ensure_ascii=False, indent=2, default=str))
    return 0 if entry["status"] == "ok" else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from sunlight.bench import format_table, run_bench

    scales = args.scales
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    cache = Path(args.cache or Path.home() / ".cache" / "sunlight" / "bench")
    cache.mkdir(parents=True, exist_ok=True)
    if args.sessions:
        return _bench_sessions(args, cache)
    if args.reads:
        return _bench_reads(args)
    try:
        results = run_bench(
            scales, args.seed, cache, engines, neo4j_uri=args.neo4j or os.environ.get("NEO4J_URI")
        )
    except RuntimeError as exc:
        raise CommandFailed(str(exc)) from exc
    print(format_table(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(t("exported", args.lang, n=len(results), path=args.out))
    return 0


def _bench_reads(args: argparse.Namespace) -> int:
    """``bench --reads``: an investigator's reads on the store the user named, left unchanged."""
    from sunlight.bench import bench_reads

    spec = args.neo4j or os.environ.get("NEO4J_URI") or args.store or os.environ.get("SUNLIGHT_STORE")
    if not spec:
        raise UsageError("bench --reads measures an existing store: give --store FOLDER or --neo4j URI")
    if not spec.startswith(("bolt", "neo4j")) and not Path(spec).exists():
        raise CommandFailed(f"bench --reads: no store at {spec}")
    result = bench_reads(spec, args.seed)
    reads, drill = result["app_reads"], result["drilldown_ms"]
    print(
        f"{result['store_contracts']:,} contracts, {result['alerts']:,} alerts: overview {reads['overview_seconds']} s, "
        f"queue {reads['queue_seconds']} s, search index {reads['search_index_seconds']} s, "
        f"drill-down p50 {drill['p50']} ms p95 {drill['p95']} ms ({drill['samples']} alerts)"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def _bench_sessions(args: argparse.Namespace, cache: Path) -> int:
    """``bench --sessions N``: investigators at once in Chromium while ``sunlight detect`` writes."""
    import tempfile

    from sunlight.app_bench import format_sessions, prepared_store, run_sessions

    if args.neo4j or os.environ.get("NEO4J_URI"):
        raise CommandFailed("bench --sessions measures the embedded store (--store, or a generated --scales)")
    with tempfile.TemporaryDirectory(prefix="sunlight-bench-sessions-") as work:
        try:
            store = (
                Path(args.store)
                if args.store
                else prepared_store(args.scales[0], args.seed, cache, Path(work))
            )
            result = run_sessions(store, sessions=args.sessions, rounds=args.rounds, seed=args.seed)
        except RuntimeError as exc:
            raise CommandFailed(str(exc)) from exc
    result["store"] = str(args.store) if args.store else f"generated, {args.scales[0]:,} contracts"
    print(format_sessions(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if result["errors"] or result["wrong"] else 0


def cmd_query(args: argparse.Namespace) -> int:
    from sunlight.querylib import QueryParamError, get_query, list_queries, run_query

    if args.list:
        for spec in list_queries():
            params = " ".join(
                f"{q.name}:{q.type}" + ("" if q.required else f"={q.default}") for q in spec.params
            )
            print(f"{spec.name}\t{spec.title(args.lang)}\t{params}")
        return 0
    if not args.name:
        raise UsageError("sunlight query NAME [--param K=V ...] | sunlight query --list")
    params: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key.strip()] = value
    try:
        get_query(args.name)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    store = _open(args, read_only=True)
    try:
        frame = run_query(store, args.name, params)
    except QueryParamError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        store.close()
    if args.format == "csv":
        from sunlight.export import to_csv_text

        sys.stdout.write(to_csv_text(frame))
    elif args.format == "json":
        from sunlight.export import to_json_text

        print(to_json_text(frame))
    else:
        print(frame.to_string(index=False) if len(frame) else "(0 rows)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sunlight.audit import current_actor
    from sunlight.auth import AccessDenied, User, UserStore, auth_folder
    from sunlight.report import render, report_from_store

    out = Path(args.out)
    fmt = args.format or (
        out.suffix.lower().lstrip(".") if out.suffix.lower() in (".pdf", ".docx") else "pdf"
    )
    folder = out.parent if str(out.parent) else Path()
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        reason = "a folder" if out.is_dir() else "no writable folder " + str(folder)
        raise CommandFailed(t("report_cannot_write", args.lang, path=out, error=reason))
    name = args.user or current_actor()
    reader = User(name=name, role=_cli_role(name, args), via="cli")
    if args.unmask:
        account = UserStore(auth_folder(_store_path(args), args.neo4j)).get(name)
        if account is None or account.disabled:
            raise CommandFailed(t("report_no_account", args.lang, user=name))
        reader = User(name=name, role=account.role, via="cli")
    store = _open(args, read_only=not args.unmask)
    try:
        report = report_from_store(
            store,
            _audit(args),
            args.id,
            lang=args.lang,
            reader=reader,
            unmask=args.unmask,
            store_label=str(args.neo4j or _store_path(args).resolve()),
        )
    except KeyError:
        raise CommandFailed(
            t("report_unknown", args.lang, id=args.id, store=args.neo4j or _store_path(args))
        ) from None
    except AccessDenied:
        raise CommandFailed(t("report_denied", args.lang, user=name, id=args.id)) from None
    finally:
        store.close()
    from sunlight.report import missing_glyphs

    data = render(report, fmt)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CommandFailed(t("report_cannot_write", args.lang, path=out, error=exc.strerror or exc)) from exc
    lacking = missing_glyphs(report)
    if lacking and fmt == "pdf":
        _err(t("report_missing_glyphs", args.lang, chars=" ".join(lacking)))
    print(t("report_written", args.lang, path=out, pages=f"{fmt.upper()}, {len(data):,} B"))
    return 0


def _cli_role(name: str, args: argparse.Namespace) -> Any:
    """The role of ``name``'s account if there is one, else viewer (a masked report needs no account)."""
    from sunlight.auth import Role, UserStore, auth_folder

    account = UserStore(auth_folder(_store_path(args), args.neo4j)).get(name)
    return account.role if account is not None and not account.disabled else Role.VIEWER


def cmd_audit(args: argparse.Namespace) -> int:
    trail = _audit(args)
    if args.action == "verify":
        problem = trail.verify()
        if problem is not None:
            raise CommandFailed(t("audit_broken", args.lang, path=trail.path, problem=problem))
        print(t("audit_ok", args.lang, path=trail.path, n=len(trail.entries())))
        return 0
    for entry in trail.entries()[-args.tail :]:
        details = json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)
        print(f"{entry['seq']:>6}  {entry['at']}  {entry['actor']:<12} {entry['action']:<14} {details}")
    return 0


# ---- parser ---------------------------------------------------------------------------
def _count(text: str) -> int:
    """A count an option asks for (rows, runs, sessions): a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _scale_list(text: str) -> list[int]:
    """``"10000,100000"`` -> ``[10000, 100000]``; anything else is a usage error."""
    try:
        scales = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if not scales or min(scales) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive contract counts, got {text!r}")
    return scales


def _seed_list(text: str) -> list[int]:
    """``"1,2,3"`` -> ``[1, 2, 3]``; anything else is a usage error."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected seeds of 0 or more, got {text!r}")
    return seeds


def build_parser() -> argparse.ArgumentParser:
    def add_common(target: argparse.ArgumentParser, defaults: bool) -> None:
        # Sub-commands repeat the options without defaults so that
        # `sunlight --store X load ...` and `sunlight load ... --store X` both work.
        def default(value: Any) -> Any:
            return value if defaults else argparse.SUPPRESS

        target.add_argument(
            "--store",
            default=default(None),
            help="embedded store folder (env SUNLIGHT_STORE; default ./sunlight-store)",
        )
        target.add_argument(
            "--neo4j", default=default(None), help="Neo4j URI instead of the embedded store (env NEO4J_URI)"
        )
        target.add_argument(
            "--lang", choices=LANGS, default=default(default_lang()), help="message language (zh or en)"
        )

    common = argparse.ArgumentParser(add_help=False)
    add_common(common, defaults=False)
    parser = argparse.ArgumentParser(
        prog="sunlight",
        description="Sunlight 阳光: find collusion and concentration in procurement.",
    )
    add_common(parser, defaults=True)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("demo", parents=[common], help="generate demo data, load it, detect, summarise")
    p.add_argument("--scale", type=int, default=2000, help="contracts to generate (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.set_defaults(func=cmd_demo)

    from loaders.generator.profiles import PROFILE_NAMES

    p = verbs.add_parser("generate", parents=[common], help="write a synthetic dataset with planted schemes")
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--scale", type=int, default=2000, help="contracts to generate (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        default="classic",
        help="the organisation to draw (default classic; random: parameters drawn from the seed)",
    )
    p.set_defaults(func=cmd_generate)

    p = verbs.add_parser(
        "load", parents=[common], help="load a data-contract folder, .xlsx or Parquet folder"
    )
    p.add_argument("source", help="folder, .xlsx workbook or folder of Parquet files")
    p.add_argument("--mapping", help="YAML mapping of foreign column names")
    p.set_defaults(func=cmd_load)

    p = verbs.add_parser("detect", parents=[common], help="run the detectors and persist alerts")
    p.add_argument("--only", help="comma-separated detector ids")
    p.add_argument("--settings", help="YAML detector settings (one section per detector id)")
    p.set_defaults(func=cmd_detect)

    p = verbs.add_parser("alerts", parents=[common], help="export alerts, one row per (alert, entity)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument(
        "--by",
        choices=("alert", "case"),
        default="alert",
        help="alert: riskiest alert first (default); case: cases first, riskiest first, their alerts inside",
    )
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_alerts)

    p = verbs.add_parser("stats", parents=[common], help="counts of nodes, relationships and alerts")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_stats)
    p = verbs.add_parser("risk", parents=[common], help="composite risk per entity or department")
    p.add_argument("--by", choices=("entity", "department"), default="entity")
    p.add_argument("--top", type=_count, default=30, help="rows to show (default 30)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_risk)

    p = verbs.add_parser("eval", parents=[common], help="score the store's alerts against DIR/labels.csv")
    p.add_argument("--dataset", required=True, help="a generated dataset folder with labels.csv")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_eval)
    p = verbs.add_parser(
        "eval-profiles",
        parents=[common],
        help="generate each organisation profile × seed, load, detect and evaluate (worst cases)",
    )
    p.add_argument("--profiles", default="all", help="comma-separated profile names, or all (default)")
    p.add_argument(
        "--seeds", type=_seed_list, default=[1, 2, 3], help="comma-separated seeds (default 1,2,3)"
    )
    p.add_argument("--scale", type=int, default=20000, help="contracts per world (default 20000)")
    p.add_argument("--holdout", help="a profile reported separately and left out of the union")
    p.add_argument(
        "--jobs", type=_count, default=2, help="runs at a time, each in its own process (default 2)"
    )
    p.add_argument("--settings", help="YAML detector settings for every run (default: the defaults)")
    p.add_argument("--cache", help="where generated worlds are kept (default ~/.cache/sunlight/profiles)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--out", help="write the JSON result here")
    p.set_defaults(func=cmd_eval_profiles)
    p = verbs.add_parser(
        "eval-cartels",
        parents=[common],
        help="evaluate bid-rigging and co-bidding detectors on labelled markets",
    )
    p.add_argument("--data", required=True, help="folder holding garcia-collusion/ and ohio-school-milk/")
    p.add_argument("--out", help="JSON file to write (default: standard output)")
    p.add_argument("--markets", help="comma-separated market keys (default: all found)")
    p.add_argument(
        "--engine", help="community engine: leiden (default), igraph, python-louvain, networkx or auto"
    )
    p.add_argument(
        "--no-learned",
        action="store_true",
        help="leave out the learner's figures (trained within each market)",
    )
    p.set_defaults(func=cmd_eval_cartels)
    p = verbs.add_parser(
        "learn",
        parents=[common],
        help="learn from confirmed and dismissed cases: a learned score beside the rule score",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would move and by how much; write nothing"
    )
    p.add_argument(
        "--restore", metavar="VERSION", help="make an earlier model active again and re-score with it"
    )
    p.add_argument("--list", action="store_true", help="list the store's models")
    p.add_argument("--top", type=_count, default=15, help="alerts to show that move most (default 15)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_learn)
    p = verbs.add_parser(
        "eval-learning",
        parents=[common],
        help="generated worlds: decide part of the cases by labels.csv, learn, rank the rest before/after",
    )
    p.add_argument("--profiles", default="energy", help="comma-separated profile names (default energy)")
    p.add_argument("--seeds", type=_seed_list, default=[1, 2], help="comma-separated seeds (default 1,2)")
    p.add_argument("--scale", type=int, default=20000, help="contracts per world (default 20000)")
    p.add_argument("--share", type=float, default=0.3, help="share of real and of false cases decided (0.3)")
    p.add_argument("--cache", help="where generated worlds are kept (default ~/.cache/sunlight/learning)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--out", help="write the JSON result here")
    p.set_defaults(func=cmd_eval_learning)
    p = verbs.add_parser(
        "run", parents=[common], help="the scheduled job: load sources, detect, learn, notify (locked)"
    )
    p.add_argument("--config", required=True, help="YAML run configuration (see docs/operations.md)")
    p.set_defaults(func=cmd_run)

    p = verbs.add_parser("query", parents=[common], help="run an entry of queries/ read-only")
    p.add_argument("name", nargs="?", help="query name (see --list)")
    p.add_argument("--list", action="store_true", help="list the library")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a parameter (repeatable)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_query)

    p = verbs.add_parser("bench", parents=[common], help="measure load, detect, memory, latency by scale")
    p.add_argument(
        "--scales", type=_scale_list, default=[10000], help="comma-separated contract counts (default 10000)"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--engines",
        default="python-louvain,networkx,igraph,leiden",
        help="community engines to compare (python-louvain, the reference, first)",
    )
    p.add_argument("--cache", help="where generated datasets are kept (default ~/.cache/sunlight/bench)")
    p.add_argument("--out", help="write the JSON results here")
    p.add_argument(
        "--sessions",
        type=_count,
        help="instead: N investigators at once in headless Chromium on a fresh app while sunlight detect "
        "writes (the store of --store, else the first of --scales generated); p95 page time, errors",
    )
    p.add_argument(
        "--rounds", type=_count, default=3, help="with --sessions: queue, case, search rounds each"
    )
    p.add_argument(
        "--reads",
        action="store_true",
        help="instead: the overview's and the queue's reads and the drill-down latency on the existing "
        "store of --store or --neo4j, which is left unchanged",
    )
    p.set_defaults(func=cmd_bench)

    from sunlight.auth import add_user_verb

    add_user_verb(verbs, parents=[common])

    p = verbs.add_parser("report", parents=[common], help="a case report (线索核查报告) as PDF or Word")
    p.add_argument("id", help="a case id, or an alert id for its case (sunlight alerts --by case lists them)")
    p.add_argument("--format", choices=("pdf", "docx"), help="pdf or docx (default: from --out, else pdf)")
    p.add_argument("--out", required=True, help="the file to write")
    p.add_argument(
        "--unmask",
        action="store_true",
        help="personal identifiers unmasked: only on an active case assigned to --user, recorded in the trail",
    )
    p.add_argument("--user", help="the account making the report (default: SUNLIGHT_ACTOR or the OS user)")
    p.set_defaults(func=cmd_report)

    p = verbs.add_parser("audit", parents=[common], help="the hash-chained trail: verify it or show it")
    p.add_argument("action", choices=("verify", "show"))
    p.add_argument("--tail", type=_count, default=50, help="entries to show (default 50)")
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CommandFailed as exc:
        _err(str(exc))
        return 1
    except UsageError as exc:
        _err(f"sunlight: {exc}")
        return 2
    except StoreError as exc:
        _err(t("store_error", args.lang, error=exc.text(args.lang)))
        return 1
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`sunlight demo` as a new user runs it: generate, load, detect, summarise, say how to open the app."""

from __future__ import annotations

import json

from sunlight.cli import main


def test_demo_finds_the_planted_favoritism_and_spares_the_monopoly(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    store = tmp_path / "store"
    assert main(["--lang", "en", "demo", "--store", str(store), "--scale", "1500", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "repeated_pairs" in out and "streamlit run" in out and str(store) in out

    assert (
        main(["eval", "--store", str(store), "--dataset", str(store / "demo-data"), "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    favoritism = next(s for s in report["schemes"] if s["scheme"] == "favoritism")
    assert favoritism["recall"] == 1.0 and "repeated_pairs" in favoritism["detectors"]
    monopoly = next(d for d in report["decoys"] if d["scheme"] == "decoy_monopoly_utility")
    assert monopoly["high_alerts"] == 0

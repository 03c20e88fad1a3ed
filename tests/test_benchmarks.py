"""The benchmark CLI, end to end on a tiny synthetic corpus, and its choices of data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import run
from benchmarks._report import format_table, summarise

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

TINY = ["--synthetic-speakers", "4", "--synthetic-utterances", "2", "--folds", "2"]


def test_cli_end_to_end_on_synthetic(tmp_path):
    out = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--corpus", "synthetic", "--pipelines",
         "mfcc-svm", "--protocol", "speaker", "random", "--out", str(out), *TINY],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4  # 1 corpus x 1 pipeline x 2 protocols x 2 folds
    for column in ["corpus", "pipeline", "protocol", "fold", "uar", "accuracy", "macro_f1",
                   "ece", "brier", "auroc", "fit_seconds", "predict_seconds_per_clip"]:
        assert column in results, column
    assert set(results["protocol"]) == {"speaker-independent", "speaker-dependent"}
    assert (results["corpus"] == "synthetic").all()
    assert results["uar"].between(0, 1).all() and results["error"].isna().all()
    independent = results[results["protocol"] == "speaker-independent"]
    for train, test in zip(independent["train_speakers"], independent["test_speakers"],
                           strict=True):
        assert not set(train.split()) & set(test.split())

    # The table is printed, labelled synthetic, and written with the protocol descriptions.
    assert "UAR (mean ± std)" in done.stdout and "speaker-dependent" in done.stdout
    assert "not real speech" in done.stdout
    summary = (out / "summary.md").read_text()
    assert "| synthetic | mfcc-svm" in summary
    assert "## Protocols" in summary and "StratifiedGroupKFold" in summary
    assert "not real speech" in summary

    # Features were cached, and each protocol is an MLflow run in the output folder.
    assert any((out / "cache").rglob("*"))
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{out.resolve() / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sersk-benchmarks")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.params["protocol"] for r in runs) == [
        "speaker-dependent", "speaker-independent"]
    assert {r.data.tags["synthetic"] for r in runs} == {"true"}
    assert set(results["mlflow_run_id"]) == {r.info.run_id for r in runs}


def test_no_corpus_falls_back_to_synthetic_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SERSK_DATA_HOME", str(tmp_path))
    args = run.build_parser().parse_args([])
    corpora, reason = run.choose_corpora(args)
    assert corpora == ["synthetic"]
    assert "SYNTHETIC" in reason and str(tmp_path) in reason


def test_no_corpus_uses_ravdess_when_found(tmp_path, monkeypatch):
    (tmp_path / "RAVDESS").mkdir()
    monkeypatch.setenv("SERSK_DATA_HOME", str(tmp_path))
    corpora, reason = run.choose_corpora(run.build_parser().parse_args([]))
    assert corpora == ["ravdess"] and "RAVDESS" in reason and str(tmp_path) in reason
    # --data-home wins over the environment.
    other = tmp_path / "other"
    other.mkdir()
    args = run.build_parser().parse_args(["--data-home", str(other)])
    assert run.choose_corpora(args)[0] == ["synthetic"]


def test_data_home_candidates_default(monkeypatch):
    monkeypatch.delenv("SERSK_DATA_HOME", raising=False)
    candidates = run.data_home_candidates()
    assert candidates[0] == Path("data")
    assert candidates[-1] == REPO.parent / "shared" / "corpora"


def test_missing_corpus_is_a_usage_error(tmp_path, capsys):
    status = run.main(["--corpus", "emodb", "--data-home", str(tmp_path), "--out",
                       str(tmp_path / "out"), "--no-mlflow"])
    assert status == 2
    assert "no emodb folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_failed_runs_are_reported(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("feature extractor exploded")

    monkeypatch.setattr(run, "run_one", broken)
    status = run.main(["--corpus", "synthetic", "--pipelines", "mfcc-svm", "--out",
                       str(tmp_path), "--no-mlflow", *TINY])
    assert status == 1
    results = pd.read_csv(tmp_path / "results.csv")
    assert len(results) == 2 and results["uar"].isna().all()
    assert results["error"].str.contains("feature extractor exploded").all()
    assert "failed" in capsys.readouterr().out
    assert "## Failures" in (tmp_path / "summary.md").read_text()


def test_summary_and_table():
    rows = pd.DataFrame({
        "corpus": "emodb", "pipeline": "p", "protocol": "speaker-independent",
        "fold": [1, 2, 3], "uar": [0.5, 0.7, np.nan], "accuracy": [0.6, 0.8, np.nan],
        "macro_f1": [0.4, 0.6, np.nan], "fit_seconds": [1.0, 3.0, np.nan],
        "predict_seconds_per_clip": [0.001, 0.003, np.nan], "extract_seconds_per_clip": 0.02,
        "error": [None, None, "ValueError: x"],
    })
    summary = summarise(rows)
    row = summary.iloc[0]
    assert row["uar_mean"] == pytest.approx(0.6) and row["uar_std"] == pytest.approx(0.1)
    assert row["predict_ms_per_clip"] == pytest.approx(2.0)
    assert (row["n_folds"], row["n_failed"]) == (3, 1)
    assert np.isnan(row["ece"])  # no per-clip probabilities
    text = format_table(summary)
    assert "0.600 ± 0.100" in text and "2/3" in text
    markdown = format_table(summary, markdown=True).splitlines()
    assert markdown[0].startswith("| corpus") and set(markdown[1]) <= set("|-:")


def test_label_predictions_of_a_run_whose_folds_all_failed():
    from benchmarks._outputs import label_predictions
    from sersk.datasets import make_emotional_speech

    frame = make_emotional_speech(n_speakers=2, n_utterances=1, random_state=0)
    empty = pd.DataFrame({"index": [], "fold": [], "speaker": [], "y_true": [], "y_pred": []})
    labelled = label_predictions(empty, frame, corpus="synthetic", pipeline="mfcc-svm",
                                 protocol="speaker")
    assert len(labelled) == 0
    assert {"corpus", "pipeline", "protocol", "path", "gender"} <= set(labelled)


def test_results_columns_keep_their_order_whatever_the_runs(tmp_path):
    first = pd.DataFrame({"corpus": ["a"], "pipeline": ["p"], "protocol": ["speaker"],
                          "fold": [1], "uar": [0.5], "recall_sad": [0.4], "recall_angry": [0.6],
                          "mlflow_run_id": ["r1"]})
    failed = run._failed_run("b", "q", "speaker", 1, RuntimeError("boom"))
    searched = first.assign(search="random", inner_uar=0.5, n_duplicates=0)
    orders = []
    for tables in ([first, failed, searched], [searched, failed, first], [failed, first]):
        written = run._write_results(tables, tmp_path / "results.csv")
        orders.append(pd.read_csv(tmp_path / "results.csv").columns.tolist())
        assert written.columns.tolist() == orders[-1]
    assert orders[0] == orders[1]
    assert orders[0][:len(run._FIRST_COLUMNS)] == run._FIRST_COLUMNS
    assert orders[0][-2:] == ["mlflow_run_id", "error"]
    assert orders[2] == [c for c in orders[0] if c in orders[2]]


def test_n_jobs_defaults_to_the_available_cores():
    args = run.build_parser().parse_args([])
    assert args.n_jobs == run.available_cores() >= 1
    if hasattr(os, "sched_getaffinity"):
        assert args.n_jobs == len(os.sched_getaffinity(0))


def test_summary_calibration_of_the_pooled_clips():
    rows = pd.DataFrame({
        "corpus": "c", "pipeline": "p", "protocol": "speaker-independent", "fold": [1, 2],
        "uar": 0.5, "accuracy": 0.5, "macro_f1": 0.5, "fit_seconds": 1.0,
        "predict_seconds_per_clip": 0.001, "extract_seconds_per_clip": 0.02, "error": None,
    })
    # Two folds of two clips; the pooled top labels: a 0.9 right, a 0.8 wrong, b 0.6 right,
    # b 0.7 wrong (tests/test_metrics.py works these out). proba_c is another corpus's class.
    clips = pd.DataFrame({
        "corpus": "c", "pipeline": "p", "protocol": "speaker-independent",
        "fold": [1, 1, 2, 2], "y_true": ["a", "b", "b", "a"], "y_pred": ["a", "a", "b", "b"],
        "proba_a": [0.9, 0.8, 0.4, 0.3], "proba_b": [0.1, 0.2, 0.6, 0.7], "proba_c": np.nan,
    })
    row = summarise(rows, clips).iloc[0]
    assert row["brier"] == pytest.approx(2.6 / 4)
    assert row["auroc"] == pytest.approx(0.5)
    # 15 bins: 0.6 | 0.7 | 0.8 | 0.9, one clip each: (0.4 + 0.7 + 0.8 + 0.1) / 4.
    assert row["ece"] == pytest.approx(0.5)
    assert "| 0.500 | 0.650 | 0.500 |" in format_table(summarise(rows, clips), markdown=True)

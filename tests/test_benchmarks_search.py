"""``benchmarks.run --search``: nested searches in the comparison table and in MLflow."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmarks import run

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

# 4 speakers: 2 outer folds of 2 test speakers, whose 2 training speakers make 2 inner folds;
# 3 clips per emotion and speaker, enough for the SVM's 3-fold calibration.
TINY = ["--corpus", "synthetic", "--pipelines", "mfcc-svm", "--synthetic-speakers", "4",
        "--synthetic-utterances", "3", "--folds", "2", "--inner-folds", "2",
        "--no-duplicate-check"]


def test_random_search_rows_and_mlflow_runs(tmp_path, monkeypatch, capsys):
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "out"
    status = run.main([*TINY, "--search", "random", "--n-iter", "3", "--out", str(out)])
    assert status == 0, capsys.readouterr().err[-3000:]
    assert "nested random(n_iter=3, inner_splits=2) search" in capsys.readouterr().out

    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2
    assert (results["pipeline"] == "mfcc-svm+search").all()
    assert (results["search"] == "random(n_iter=3, inner_splits=2)").all()
    assert results["error"].isna().all() and results["uar"].between(0, 1).all()
    for text in results["best_params"]:
        assert set(json.loads(text)) == {"svc__estimator__C", "svc__estimator__gamma"}
    assert results["inner_uar"].between(0, 1).all()
    assert "| synthetic | mfcc-svm+search" in (out / "summary.md").read_text()

    client = MlflowClient(f"sqlite:///{out.resolve() / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sersk-benchmarks")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert [p.info.run_id for p in parents] == results["mlflow_run_id"].unique().tolist()
    (parent,) = parents
    assert parent.data.params["pipeline"] == "mfcc-svm+search"
    assert "best.svc__estimator__C" in parent.data.params
    assert "nested_seconds" in parent.data.metrics
    assert len(children) == 3
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert all("inner_uar_mean" in c.data.metrics for c in children)


def test_search_options_are_checked(capsys):
    with pytest.raises(SystemExit):
        run.build_parser().parse_args(["--search", "random", "--inner-folds", "1"])
    assert "--inner-folds: must be at least 2, got 1" in capsys.readouterr().err
    args = run.build_parser().parse_args([])
    assert (args.search, args.n_iter, args.inner_folds) == ("none", 10, 3)

"""Nested speaker-independent search: what it returns, that the outer score never saw the
search's data, determinism, failures, a Dask cluster, and its MLflow runs."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

# The real ``mlflow server`` of the tracking tests, started once for this module.
from test_tracking import _server_process, mlflow_server  # noqa: F401  (pytest fixtures)

from sersk.metrics import unweighted_average_recall
from sersk.model_selection import (
    CrossValidationError,
    ProtocolError,
    cross_validate_speakers,
    make_splitter,
    nested_cross_validate,
)

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

LABELS = ["angry", "calm", "sad"]
N_SPEAKERS, PER_CLASS = 8, 4


def _data(seed=0):
    """Clips of 8 speakers: an ID column (the clip's position), then 3 noisy class features
    and a speaker offset, so that voices differ as well as emotions."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"s{i}" for i in range(N_SPEAKERS)], len(LABELS) * PER_CLASS)
    y = np.tile(np.repeat(LABELS, PER_CLASS), N_SPEAKERS)
    onehot = (y[:, None] == np.array(LABELS)).astype(float)
    offset = rng.normal(size=(N_SPEAKERS, 1)).repeat(len(LABELS) * PER_CLASS, axis=0)
    features = 1.5 * onehot + rng.normal(size=onehot.shape) + offset
    X = np.column_stack([np.arange(len(y)), features])
    return X, y, speakers


class Recorder(ClassifierMixin, BaseEstimator):
    """Logistic regression on all but the first column, which holds clip IDs it records."""

    calls: list = []

    def __init__(self, C=1.0, fail=False):
        self.C = C
        self.fail = fail

    def fit(self, X, y):
        type(self).calls.append(("fit", X[:, 0].astype(int)))
        if self.fail:
            raise RuntimeError("this candidate cannot be fitted")
        self.model_ = LogisticRegression(C=self.C).fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        type(self).calls.append(("predict", X[:, 0].astype(int)))
        return self.model_.predict(X[:, 1:])


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Tiny problems: BLAS threads waiting for a busy shared CPU would only spin (8 times
    slower on 2 loaded cores)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def recorder():
    Recorder.calls = []
    yield Recorder
    Recorder.calls = []


def _comparable(folds):
    """The fold rows without the timings, which differ from run to run."""
    return folds.drop(columns=["fit_seconds", "predict_seconds_per_clip", "search_seconds",
                               "confusion_matrix"])


def test_returns_cross_validate_rows_plus_the_search():
    X, y, speakers = _data()
    results = nested_cross_validate(
        LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, X[:, 1:], y, speakers=speakers,
        n_iter=4, inner_splits=3, n_splits=4,
    )
    folds, candidates = results.folds, results.candidates
    plain = cross_validate_speakers(LogisticRegression(), X[:, 1:], y, speakers=speakers,
                                    n_splits=4)
    assert folds.columns.tolist() == [*plain.columns, "inner_uar", "best_params",
                                      "search_seconds"]
    # The same outer folds as cross_validate_speakers with the same seed.
    pd.testing.assert_frame_equal(folds[["fold", "train_speakers", "test_speakers"]],
                                  plain[["fold", "train_speakers", "test_speakers"]])
    assert folds.attrs == {"labels": LABELS, "protocol": "speaker-independent",
                           "n_splits": 4, "search": "random(n_iter=4, inner_splits=3)"}
    assert folds["error"].isna().all() and folds["uar"].between(0.5, 1).all()

    assert len(candidates) == 4 * 4
    assert candidates.groupby("fold")["candidate"].apply(list).tolist() == [[1, 2, 3, 4]] * 4
    for column in ["params", "mean_test_uar", "std_test_uar", "rank_test_uar",
                   "split0_test_uar", "split2_test_uar", "mean_fit_time", "param_C"]:
        assert column in candidates, column
    # Each fold's choice is its best inner candidate, as plain Python values.
    for row in folds.itertuples():
        mine = candidates[candidates["fold"] == row.fold]
        best = mine.loc[mine["mean_test_uar"].idxmax()]
        assert row.best_params == best["params"] and type(row.best_params["C"]) is float
        assert row.inner_uar == pytest.approx(best["mean_test_uar"])
        assert best["rank_test_uar"] == 1
    # An int seed draws the same candidates in every outer fold.
    assert candidates.groupby("fold")["param_C"].apply(tuple).nunique() == 1

    # The pooled out-of-fold predictions, one per clip, score as the folds do.
    predictions = results.predictions
    assert predictions["index"].tolist() == list(range(len(y)))
    for fold, group in predictions.groupby("fold"):
        uar = unweighted_average_recall(group["y_true"], group["y_pred"])
        assert uar == pytest.approx(folds.loc[folds["fold"] == fold, "uar"].item())


def test_outer_test_clips_never_reach_the_search(recorder):
    X, y, speakers = _data()
    n_iter, inner, n_splits = 3, 3, 4
    nested_cross_validate(recorder(), {"C": [0.01, 0.1, 1.0, 10.0]}, X, y, speakers=speakers,
                          n_iter=n_iter, inner_splits=inner, n_splits=n_splits)
    calls = recorder.calls
    per_fold = 2 * (n_iter * inner + 1)  # a fit and a predict per candidate and inner fold
    assert len(calls) == n_splits * per_fold
    outer = make_splitter("speaker", n_splits=n_splits, random_state=0)
    for k, (train, test) in enumerate(outer.split(X, y, groups=speakers)):
        fold_calls = calls[k * per_fold:(k + 1) * per_fold]
        pairs = list(zip(fold_calls[::2], fold_calls[1::2], strict=True))
        *search, (refit, outer_test) = pairs
        for (fit_kind, fitted), (predict_kind, predicted) in search:
            assert (fit_kind, predict_kind) == ("fit", "predict")
            # The search sees training clips of this outer fold only...
            assert set(fitted) <= set(train) and set(predicted) <= set(train)
            # ...in inner folds that keep speakers apart.
            assert not set(speakers[fitted]) & set(speakers[predicted])
        assert sorted(refit[1]) == sorted(train) and sorted(outer_test[1]) == sorted(test)
    # Every inner training clip came from the outer training fold: nothing else was fitted.
    assert sum(kind == "fit" for kind, _ in calls) == n_splits * (n_iter * inner + 1)


def test_grid_search_and_determinism():
    X, y, speakers = _data()
    model = make_pipeline(StandardScaler(), SVC())
    grid = {"svc__C": [0.1, 10.0], "svc__gamma": ["scale", 0.1]}
    first = nested_cross_validate(model, grid, X[:, 1:], y, speakers=speakers, search="grid",
                                  n_splits=3, random_state=3)
    again = nested_cross_validate(model, grid, X[:, 1:], y, speakers=speakers, search="grid",
                                  n_splits=3, random_state=3)
    assert first.folds.attrs["search"] == "grid(inner_splits=3)"
    assert len(first.candidates) == 3 * 4
    pd.testing.assert_frame_equal(_comparable(first.folds), _comparable(again.folds))
    pd.testing.assert_frame_equal(
        first.candidates.filter(regex="^(fold|params|.*test_uar)$"),
        again.candidates.filter(regex="^(fold|params|.*test_uar)$"),
    )

    space = {"C": loguniform(1e-3, 1e2)}
    runs = [nested_cross_validate(LogisticRegression(), space, X[:, 1:], y, speakers=speakers,
                                  n_iter=3, n_splits=4, random_state=seed)
            for seed in (0, 0, 1)]
    assert runs[0].candidates["param_C"].tolist() == runs[1].candidates["param_C"].tolist()
    assert runs[0].candidates["param_C"].tolist() != runs[2].candidates["param_C"].tolist()


def test_failing_candidate_gets_error_score_and_the_search_goes_on(recorder):
    X, y, speakers = _data()
    space = [{"fail": [True], "C": [1.0]}, {"fail": [False], "C": [0.1, 1.0]}]
    with pytest.warns(FitFailedWarning, match="this candidate cannot be fitted"):
        results = nested_cross_validate(recorder(), space, X, y, speakers=speakers,
                                        search="grid", n_splits=4, error_score=-1.0)
    failed = results.candidates[results.candidates["param_fail"]]
    assert len(failed) == 4 and (failed["mean_test_uar"] == -1.0).all()
    assert results.folds["error"].isna().all()
    assert not any(params["fail"] for params in results.folds["best_params"])


def test_failing_outer_fold(recorder):
    X, y, speakers = _data()
    space = {"fail": [True], "C": [1.0]}
    with pytest.warns(FitFailedWarning) as record:
        results = nested_cross_validate(recorder(), space, X, y, speakers=speakers,
                                        search="grid", n_splits=4)
    for fold in range(1, 5):
        assert any(f"outer fold {fold}/4 of the nested grid search failed" in str(w.message)
                   for w in record)
    folds = results.folds
    assert folds["uar"].isna().all() and len(folds) == 4
    assert folds["error"].str.contains("fits failed").all()
    assert folds["best_params"].isna().all() and results.candidates.empty

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(CrossValidationError, match="outer fold 1/4") as info:
            nested_cross_validate(recorder(), space, X, y, speakers=speakers, search="grid",
                                  n_splits=4, error_score="raise")
    assert info.value.fold == 1 and info.value.results.empty
    assert "inner_uar" in info.value.results


def test_bad_arguments():
    X, y, speakers = _data()
    X = X[:, 1:]
    model = LogisticRegression()
    with pytest.raises(ProtocolError, match="needs the speaker of every clip"):
        nested_cross_validate(model, {"C": [1.0]}, X, y)
    with pytest.raises(ProtocolError, match="use inner_splits <= 6"):
        nested_cross_validate(model, {"C": [1.0]}, X, y, speakers=speakers, n_splits=4,
                              inner_splits=7)
    with pytest.raises(TypeError, match="for distributions use search='random'"):
        nested_cross_validate(model, {"C": loguniform(1, 2)}, X, y, speakers=speakers,
                              search="grid")
    with pytest.raises(ValueError, match="search must be one of"):
        nested_cross_validate(model, {"C": [1.0]}, X, y, speakers=speakers, search="bayes")
    with pytest.raises(ValueError, match="inner_splits must be"):
        nested_cross_validate(model, {"C": [1.0]}, X, y, speakers=speakers, inner_splits=1)
    from sersk.preprocessing import SpeakerStandardScaler

    transductive = make_pipeline(SpeakerStandardScaler(), LogisticRegression())
    with pytest.raises(ValueError, match="evaluate it with cross_validate_speakers"):
        nested_cross_validate(transductive, {"logisticregression__C": [1.0]}, X, y,
                              speakers=speakers)


def test_speaker_dependent_protocol_uses_random_inner_folds():
    X, y, speakers = _data()
    results = nested_cross_validate(LogisticRegression(), {"C": [0.1, 1.0]}, X[:, 1:], y,
                                    speakers=speakers, search="grid", protocol="random",
                                    n_splits=3)
    assert (results.folds["protocol"] == "speaker-dependent").all()
    assert results.folds["error"].isna().all()


# 20-40 s on two shared, busy cores, most of it starting the loky and Dask worker processes;
# in the default run all the same, so that CI shows the Dask backend working.
def test_dask_backend_on_a_local_cluster_matches_loky():
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y, speakers = _data()
    model = make_pipeline(StandardScaler(), SVC())
    space = {"svc__C": loguniform(1e-2, 1e2), "svc__gamma": loguniform(1e-3, 1.0)}
    kwargs = {"speakers": speakers, "n_iter": 4, "n_splits": 3, "n_jobs": 2}
    loky = nested_cross_validate(model, space, X[:, 1:], y, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_config(backend="dask"), \
                distributed.get_task_stream(client) as tasks:
            dask = nested_cross_validate(model, space, X[:, 1:], y, **kwargs)
        # The candidates were fitted on the cluster's two worker processes.
        workers = {task["worker"] for task in tasks.data}
        assert len(tasks.data) > 0 and workers <= set(client.scheduler_info()["workers"])
    pd.testing.assert_frame_equal(_comparable(dask.folds), _comparable(loky.folds))
    pd.testing.assert_frame_equal(
        dask.candidates.filter(regex="^(fold|params|.*test_uar)$"),
        loky.candidates.filter(regex="^(fold|params|.*test_uar)$"),
    )


@pytest.mark.network_server
def test_log_search_on_real_server(mlflow_server, tmp_path, monkeypatch):  # noqa: F811
    from mlflow.tracking import MlflowClient

    from sersk.tracking import log_search

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    X, y, speakers = _data()
    model = make_pipeline(StandardScaler(), LogisticRegression())
    results = nested_cross_validate(model, {"logisticregression__C": loguniform(1e-3, 1e2)},
                                    X[:, 1:], y, speakers=speakers, n_iter=3, n_splits=4)
    run_id = log_search(results, corpus="toy", pipeline="logreg+search", estimator=model,
                        out_dir=tmp_path / "out", experiment="sersk-search-tests",
                        params={"seed": 0})
    client = MlflowClient(mlflow_server)
    parent = client.get_run(run_id)
    params, metrics = parent.data.params, parent.data.metrics
    assert parent.info.status == "FINISHED"
    assert params["search"] == "random(n_iter=3, inner_splits=3)" and params["seed"] == "0"
    assert parent.data.tags["sersk.search"] == params["search"]
    assert metrics["uar_mean"] == pytest.approx(results.folds["uar"].mean())
    assert metrics["inner_uar"] == metrics["inner_uar_mean"] == pytest.approx(
        results.folds["inner_uar"].mean())
    history = client.get_metric_history(run_id, "fold_inner_uar")
    assert sorted(m.step for m in history) == [1, 2, 3, 4]
    for row in results.folds.itertuples():
        assert json.loads(params[f"best_params.fold{row.fold}"]) == row.best_params
    # The best candidate over the folds is on the parent.
    means = results.candidates.groupby("param_logisticregression__C")["mean_test_uar"].mean()
    assert float(params["best.logisticregression__C"]) == pytest.approx(means.idxmax())
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"candidates.csv", "best_params.json", "folds.csv"} <= artifacts
    logged = pd.read_csv(client.download_artifacts(run_id, "candidates.csv", str(tmp_path)))
    assert len(logged) == len(results.candidates)

    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert len(children) == 3  # the same 3 candidates in every outer fold
    by_c = {float(run.data.params["logisticregression__C"]): run for run in children}
    assert by_c.keys() == set(means.index)
    for c, run in by_c.items():
        assert run.info.status == "FINISHED"
        assert run.data.metrics["inner_uar"] == run.data.metrics["inner_uar_mean"] == (
            pytest.approx(means[c]))
        inner = results.candidates[results.candidates["param_logisticregression__C"] == c]
        steps = client.get_metric_history(run.info.run_id, "fold_inner_uar")
        assert sorted((m.step, round(m.value, 9)) for m in steps) == sorted(
            zip(inner["fold"], inner["mean_test_uar"].round(9), strict=True))
        assert "fold_inner_uar_std" in run.data.metrics

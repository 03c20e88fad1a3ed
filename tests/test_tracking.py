"""MLflow runs: against the default local store, and against a real ``mlflow server``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sersk
from sersk.model_selection import cross_validate_speakers
from sersk.statistics import bootstrap_uar
from sersk.tracking import (
    confusion_matrix_figure,
    log_cross_validation,
    log_mlflow_model,
    tracking_uri,
    training_history,
)

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates; MLflow's
    # code, not ours (sersk.tracking silences it around its own calls).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

LABELS = ["angry", "calm", "sad"]


@pytest.fixture(scope="module")
def cv_results():
    rng = np.random.default_rng(0)
    y = np.tile(LABELS, 20)
    X = rng.normal(size=(60, 3)) + 2 * (y[:, None] == np.array(LABELS))
    speakers = np.repeat([f"s{i}" for i in range(6)], 10)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    results, predictions = cross_validate_speakers(model, X, y, speakers=speakers, n_splits=3,
                                                   return_predictions=True)
    results.attrs["predictions"] = predictions  # for _check_run; not a column of the folds
    return model, results


def _read_run(client, run_id):
    run = client.get_run(run_id)
    history = client.get_metric_history(run_id, "fold_uar")
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    return run, history, artifacts


def _check_run(client, run_id, results, tmp_path):
    run, history, artifacts = _read_run(client, run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert run.info.status == "FINISHED"
    assert params["pipeline"] == "logreg"
    assert params["corpus"] == "toy"
    assert params["protocol"] == "speaker-independent"
    assert params["n_splits"] == "3"
    assert params["sersk_version"] == sersk.__version__
    assert params["labels"] == "angry calm sad"
    assert params["seed"] == "0"
    assert params["param.logisticregression__C"] == "1.0"
    assert "param.steps" not in params and "param.logisticregression" not in params
    assert tags["sersk.protocol"] == "speaker-independent" and tags["synthetic"] == "true"
    assert run.info.run_name == "toy / logreg / speaker-independent"

    assert [m.step for m in history] == [1, 2, 3]
    np.testing.assert_allclose([m.value for m in history], results["uar"])
    # The run table shows a metric's last value: "uar" is the mean, not the last fold's.
    assert metrics["uar"] == metrics["uar_mean"] == pytest.approx(results["uar"].mean())
    assert [m.step for m in client.get_metric_history(run_id, "uar")] == [0]
    assert metrics["uar_std"] == pytest.approx(results["uar"].std(ddof=0))
    for name in ["accuracy_mean", "macro_f1_mean", "fit_seconds_mean",
                 "predict_seconds_per_clip_mean", "recall_calm_mean"]:
        assert name in metrics
    assert metrics["n_failed_folds"] == 0
    assert metrics["extract_seconds_per_clip"] == 0.5
    assert metrics["chance_uar"] == pytest.approx(1 / 3)
    predictions = results.attrs["predictions"]
    interval = bootstrap_uar(predictions["y_true"], predictions["y_pred"],
                             predictions["speaker"])
    assert metrics["uar_pooled"] == pytest.approx(interval.uar)
    assert (metrics["uar_ci_low"], metrics["uar_ci_high"]) == pytest.approx(
        (interval.low, interval.high))
    assert metrics["uar_ci_low"] <= metrics["uar_pooled"] <= metrics["uar_ci_high"]

    assert artifacts == {"folds.csv", "confusion_matrix.csv", "confusion_matrix.png",
                         "recall_per_class.png", "predictions.csv"}
    logged = pd.read_csv(client.download_artifacts(run_id, "predictions.csv", str(tmp_path)))
    assert logged["y_pred"].tolist() == predictions["y_pred"].tolist()
    local = client.download_artifacts(run_id, "confusion_matrix.csv", str(tmp_path))
    matrix = pd.read_csv(local, index_col=0)
    assert matrix.columns.tolist() == LABELS and matrix.index.tolist() == LABELS
    np.testing.assert_array_equal(matrix.to_numpy(), sum(results["confusion_matrix"]))
    folds = pd.read_csv(client.download_artifacts(run_id, "folds.csv", str(tmp_path)))
    assert folds["fold"].tolist() == [1, 2, 3]
    for name in ["confusion_matrix.png", "recall_per_class.png"]:
        with open(client.download_artifacts(run_id, name, str(tmp_path)), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def local_out(tmp_path_factory):
    """One output folder, hence one SQLite store, for the module (creating one takes seconds)."""
    return tmp_path_factory.mktemp("out")


def _log(results, model, out_dir):
    return log_cross_validation(
        results, corpus="toy", pipeline="logreg", estimator=model, out_dir=out_dir,
        experiment="sersk-tests", params={"seed": 0}, metrics={"extract_seconds_per_clip": 0.5},
        tags={"synthetic": "true"}, predictions=results.attrs.get("predictions"),
    )


def test_default_store_is_sqlite_in_out_dir(cv_results, local_out, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    model, results = cv_results
    out = local_out
    uri = tracking_uri(out)
    assert uri == f"sqlite:///{(out / 'mlflow.db').resolve()}"
    assert uri.startswith("sqlite:////")  # an absolute path, not one relative to the cwd
    run_id = _log(results, model, out)
    assert (out / "mlflow.db").is_file()
    assert list((out / "mlartifacts").rglob("confusion_matrix.png"))
    _check_run(MlflowClient(uri), run_id, results, tmp_path)
    # A second run goes to the same experiment.
    assert _log(results, model, out) != run_id


def test_incomplete_run_is_failed(local_out, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    X = np.zeros((12, 1))
    y = np.tile(["a", "b"], 6)
    speakers = np.repeat(["p", "q", "r"], 4)
    results = cross_validate_speakers(DummyClassifier(), X, y, speakers=speakers, n_splits=3)
    partial = results.iloc[:1].copy()  # as a CrossValidationError would hand them over
    partial.attrs = results.attrs
    run_id = log_cross_validation(partial, corpus="toy", pipeline="dummy", out_dir=local_out)
    run = MlflowClient(tracking_uri(local_out)).get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["sersk.incomplete"] == "true"


def test_confusion_matrix_figure():
    figure = confusion_matrix_figure(np.array([[3, 1], [0, 4]]), ["a", "b"], title="t")
    assert figure.axes[0].get_title() == "t"
    texts = sorted(t.get_text() for t in figure.axes[0].texts)
    assert texts == ["0", "1", "3", "4"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(folder):
    """Start ``mlflow server`` on a free port of 127.0.0.1 with its own SQLite store."""
    port = _free_port()
    mlflow_cli = shutil.which("mlflow")
    command = [mlflow_cli] if mlflow_cli else [sys.executable, "-m", "mlflow"]
    command += [
        "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'server.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
    ]
    # No background job runner: the tests need only tracking and artifacts.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    with open(folder / "server.log", "wb") as log:
        # Its own session, so that the server's worker processes end with it.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def _stop_server(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module", autouse=True)
def _server_process(request, tmp_path_factory):
    """Start the server when this module starts, if a selected test needs it.

    It takes 10 to 20 s to boot: meanwhile the tests of the local store run. Yields
    (process, uri, log file), or None.
    """
    needed = any(
        item.path == request.path and "mlflow_server" in item.fixturenames
        for item in request.session.items
    )
    if not needed:
        yield None
        return
    folder = tmp_path_factory.mktemp("mlflow-server")
    process, uri = _start_server(folder)
    try:
        yield process, uri, folder / "server.log"
    finally:
        _stop_server(process)


@pytest.fixture(scope="module")
def mlflow_server(_server_process):
    """The URI of a real ``mlflow server``, once it answers ``/health``."""
    process, uri, log = _server_process
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"mlflow server exited with {process.returncode}:\n"
                        f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    return uri
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"mlflow server did not answer /health within 120 s:\n"
                        f"{log.read_text()[-3000:]}")
        time.sleep(0.5)


@pytest.mark.network_server
def test_run_on_real_server(mlflow_server, cv_results, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    model, results = cv_results
    out = tmp_path / "out"
    assert tracking_uri(out) == mlflow_server
    run_id = _log(results, model, out)
    # Nothing was written locally: the server holds runs and artifacts.
    assert not out.exists() or not any(out.iterdir())
    _check_run(MlflowClient(mlflow_server), run_id, results, tmp_path)


@pytest.fixture(scope="module")
def mlp_model():
    """An audio pipeline whose classifier keeps its training curve (scikit-learn's MLP)."""
    from conftest import voice_like
    from sklearn.neural_network import MLPClassifier

    from sersk.features import MFCC

    clips = [(voice_like(f0=110 * (1 + i % 2) + 3 * i, duration=0.8, seed=i), 16_000)
             for i in range(12)]
    labels = ["low", "high"] * 6
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs are enough to draw
        return make_pipeline(MFCC(n_mfcc=13), StandardScaler(), mlp).fit(clips, labels)


def test_training_history_of_a_fitted_pipeline(mlp_model):
    history = training_history(mlp_model)
    assert list(history) == ["loss"] and len(history["loss"]) == 30
    assert history["loss"][-1] < history["loss"][0]
    assert training_history(make_pipeline(StandardScaler(), LogisticRegression())) is None


@pytest.mark.network_server
def test_fitted_model_and_training_curves_on_real_server(
    mlflow_server, cv_results, mlp_model, tmp_path, monkeypatch
):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    model, results = cv_results
    run_id = _log(results, model, tmp_path)
    uri = log_mlflow_model(mlp_model, run_id=run_id)
    assert uri == f"runs:/{run_id}/model"
    client = MlflowClient(mlflow_server)
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"model", "training_curves.png", "recall_per_class.png"} <= artifacts
    assert "MLmodel" in {a.path.split("/")[-1] for a in client.list_artifacts(run_id, "model")}
    curve = client.get_metric_history(run_id, "training.loss")
    assert [m.step for m in curve] == list(range(1, 31))
    np.testing.assert_allclose([m.value for m in curve], mlp_model[-1].loss_curve_)
    assert client.get_run(run_id).info.status == "FINISHED"


@pytest.mark.network_server
def test_benchmark_logs_interval_and_fitted_model_on_real_server(
    mlflow_server, tmp_path, monkeypatch
):
    from mlflow.tracking import MlflowClient

    from benchmarks import run

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    status = run.main(["--corpus", "synthetic", "--pipelines", "mfcc-svm", "--out",
                       str(tmp_path), "--log-model", "--synthetic-speakers", "4",
                       "--synthetic-utterances", "2", "--folds", "2", "--no-report"])
    assert status == 0
    run_id = pd.read_csv(tmp_path / "results.csv")["mlflow_run_id"].unique().item()
    client = MlflowClient(mlflow_server)
    metrics = client.get_run(run_id).data.metrics
    assert metrics["uar_ci_low"] <= metrics["uar_pooled"] <= metrics["uar_ci_high"]
    assert metrics["chance_uar"] == pytest.approx(1 / 6)  # the synthetic corpus: 6 emotions
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"model", "predictions.csv", "recall_per_class.png", "confusion_matrix.png"} <= (
        artifacts)
    assert "MLmodel" in {a.path.split("/")[-1] for a in client.list_artifacts(run_id, "model")}
    assert not (tmp_path / "report.html").exists()

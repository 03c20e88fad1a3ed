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

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sersk
from sersk.model_selection import cross_validate_speakers
from sersk.tracking import confusion_matrix_figure, log_cross_validation, tracking_uri

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
    results = cross_validate_speakers(model, X, y, speakers=speakers, n_splits=3)
    return model, results


def _read_run(client, run_id):
    run = client.get_run(run_id)
    history = client.get_metric_history(run_id, "uar")
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
    assert metrics["uar_mean"] == pytest.approx(results["uar"].mean())
    assert metrics["uar_std"] == pytest.approx(results["uar"].std(ddof=0))
    for name in ["accuracy_mean", "macro_f1_mean", "fit_seconds_mean",
                 "predict_seconds_per_clip_mean", "recall_calm_mean"]:
        assert name in metrics
    assert metrics["n_failed_folds"] == 0
    assert metrics["extract_seconds_per_clip"] == 0.5

    assert artifacts == {"folds.csv", "confusion_matrix.csv", "confusion_matrix.png"}
    local = client.download_artifacts(run_id, "confusion_matrix.csv", str(tmp_path))
    matrix = pd.read_csv(local, index_col=0)
    assert matrix.columns.tolist() == LABELS and matrix.index.tolist() == LABELS
    np.testing.assert_array_equal(matrix.to_numpy(), sum(results["confusion_matrix"]))
    folds = pd.read_csv(client.download_artifacts(run_id, "folds.csv", str(tmp_path)))
    assert folds["fold"].tolist() == [1, 2, 3]
    png = client.download_artifacts(run_id, "confusion_matrix.png", str(tmp_path))
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def local_out(tmp_path_factory):
    """One output folder, hence one SQLite store, for the module (creating one takes seconds)."""
    return tmp_path_factory.mktemp("out")


def _log(results, model, out_dir):
    return log_cross_validation(
        results, corpus="toy", pipeline="logreg", estimator=model, out_dir=out_dir,
        experiment="sersk-tests", params={"seed": 0}, metrics={"extract_seconds_per_clip": 0.5},
        tags={"synthetic": "true"},
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

"""Everything sersk sends to MLflow: one run per corpus, pipeline and evaluation protocol.

MLflow is imported inside the functions, so ``import sersk`` does not pay for it.

Where runs go
-------------
With ``MLFLOW_TRACKING_URI`` set (a server such as ``http://127.0.0.1:5000``, or a database),
runs go there and artifacts to that store's default artifact location. Otherwise they go to
an SQLite file, ``mlflow.db``, in the output folder, with artifacts beside it in
``mlartifacts/``; browse them with::

    mlflow ui --backend-store-uri sqlite:///benchmark-results/mlflow.db

MLflow 3.17 refuses the plain folder store (``./mlruns``), which is "in maintenance mode",
unless ``MLFLOW_ALLOW_FILE_STORE=true`` is set; SQLite is the store it recommends for local
use, and keeps everything in the output folder all the same.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_EXPERIMENT",
    "confusion_matrix_figure",
    "log_cross_validation",
    "tracking_uri",
]

DEFAULT_EXPERIMENT = "sersk"

# Metrics logged per fold (step = fold number) and as mean/std over the folds.
_FOLD_METRICS = ("uar", "accuracy", "macro_f1", "fit_seconds", "predict_seconds_per_clip")

# MLflow accepts at most 100 parameters and 1000 metrics per batch.
_PARAMS_PER_BATCH = 100
_METRICS_PER_BATCH = 1000
_MAX_PARAM_VALUE = 6000


def tracking_uri(out_dir: str | os.PathLike) -> str:
    """The MLflow tracking URI sersk uses for results written to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output folder of a benchmark or experiment.

    Returns
    -------
    uri : str
        ``$MLFLOW_TRACKING_URI`` when set, else ``sqlite:///<out_dir>/mlflow.db`` (absolute).
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    # Three slashes, then the absolute path's own: sqlite:////abs/path/mlflow.db.
    return "sqlite:///" + (Path(out_dir).resolve() / "mlflow.db").as_posix()


@contextlib.contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """Silence a warning MLflow's SQL store triggers in SQLAlchemy 2.1, which users cannot act on.

    MLflow 3.17 uses SQLAlchemy's ``noload`` loader strategy, deprecated in SQLAlchemy 2.1;
    the warning is about MLflow's code, not sersk's or the user's.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"The ``noload`` loader strategy is deprecated",
            category=DeprecationWarning,
        )
        yield


def log_cross_validation(
    results: pd.DataFrame,
    *,
    corpus: str,
    pipeline: str,
    estimator: Any = None,
    out_dir: str | os.PathLike = ".",
    experiment: str = DEFAULT_EXPERIMENT,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> str:
    """Record one cross-validation as an MLflow run.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fold results from :func:`~sersk.model_selection.cross_validate_speakers`
        (possibly only the folds completed before a failure).
    corpus : str
        Name of the corpus (or corpora) evaluated on.
    pipeline : str
        Name of the pipeline, such as ``"mfcc-svm"``.
    estimator : estimator object, default=None
        The (unfitted) pipeline; its ``get_params(deep=True)`` are logged as parameters
        prefixed with ``param.``, estimators themselves left out (their parameters are there).
    out_dir : str or os.PathLike, default="."
        Output folder; holds the tracking store and artifacts when ``MLFLOW_TRACKING_URI`` is
        not set (see :func:`tracking_uri`).
    experiment : str, default="sersk"
        MLflow experiment name; created if missing.
    params : mapping, default=None
        More parameters to log, such as the number of clips or the random seed.
    metrics : mapping, default=None
        More run-level metrics (step 0), such as the feature extraction time per clip.
    tags : mapping, default=None
        More tags, such as ``{"synthetic": "true"}``.

    Returns
    -------
    run_id : str
        The run, finished with status ``FINISHED``, or ``FAILED`` when a fold failed (its
        ``error`` is set) or fewer folds completed than ``results.attrs["n_splits"]``.

    Notes
    -----
    The run logs

    - parameters: ``pipeline``, ``corpus``, ``protocol``, ``n_splits``, ``sersk_version``,
      ``labels``, ``params``, and the pipeline's parameters;
    - metrics: ``uar``, ``accuracy``, ``macro_f1``, ``fit_seconds``,
      ``predict_seconds_per_clip`` and ``recall_<label>`` per fold (step = fold number), and
      ``<metric>_mean`` / ``<metric>_std`` over the completed folds, and ``n_failed_folds``;
    - artifacts: ``folds.csv`` (the per-fold results), ``confusion_matrix.csv`` and
      ``confusion_matrix.png`` (summed over the folds; true classes in rows).
    """
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    import sersk

    uri = tracking_uri(out_dir)
    labels = list(results.attrs.get("labels", []))
    protocol = results.attrs.get("protocol") or _single(results["protocol"])
    n_splits = int(results.attrs.get("n_splits", len(results)))
    failed = results["error"].notna() if "error" in results else pd.Series(False, results.index)
    incomplete = bool(failed.any()) or len(results) < n_splits

    run_params = {
        "pipeline": pipeline,
        "corpus": corpus,
        "protocol": protocol,
        "n_splits": n_splits,
        "sersk_version": sersk.__version__,
        "labels": " ".join(map(str, labels)),
        **(params or {}),
    }
    if estimator is not None:
        run_params.update(
            (f"param.{key}", value) for key, value in _loggable_params(estimator).items()
        )
    run_tags = {
        "sersk.corpus": corpus,
        "sersk.pipeline": pipeline,
        "sersk.protocol": protocol,
        **{str(k): str(v) for k, v in (tags or {}).items()},
    }

    with _quiet_mlflow():
        client = MlflowClient(tracking_uri=uri)
        experiment_id = _experiment_id(client, experiment, uri, out_dir)
        run = client.create_run(
            experiment_id,
            run_name=f"{corpus} / {pipeline} / {protocol}",
            tags=run_tags,
        )
        run_id = run.info.run_id
        status = "FAILED"
        try:
            param_list = [Param(k, _param_value(v)) for k, v in run_params.items()]
            for batch in _chunks(param_list, _PARAMS_PER_BATCH):
                client.log_batch(run_id, params=batch)
            timestamp = int(time.time() * 1000)
            extra = [(_metric_key(k), float(v), 0) for k, v in (metrics or {}).items()
                     if math.isfinite(float(v))]
            metric_list = [Metric(name, value, timestamp, step) for name, value, step
                           in [*_metrics(results, labels, failed), *extra]]
            for batch in _chunks(metric_list, _METRICS_PER_BATCH):
                client.log_batch(run_id, metrics=batch)
            if incomplete:
                client.set_tag(run_id, "sersk.incomplete", "true")
            with tempfile.TemporaryDirectory() as tmp:
                for path in _write_artifacts(results, labels, Path(tmp)):
                    client.log_artifact(run_id, str(path))
            status = "FAILED" if incomplete else "FINISHED"
        finally:
            client.set_terminated(run_id, status=status)
    return run_id


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _single(values: pd.Series) -> str:
    unique = pd.unique(values)
    return str(unique[0]) if len(unique) == 1 else "mixed"


def _experiment_id(client: Any, name: str, uri: str, out_dir: str | os.PathLike) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifact_location = None
    if uri.startswith("sqlite:") and not os.environ.get("MLFLOW_TRACKING_URI"):
        # Keep artifacts in the output folder too, not in ./mlartifacts of the working dir.
        artifact_location = (Path(out_dir).resolve() / "mlartifacts").as_uri()
    return client.create_experiment(name, artifact_location=artifact_location)


def _loggable_params(estimator: Any) -> dict[str, Any]:
    params = {}
    for key, value in estimator.get_params(deep=True).items():
        # Estimators are represented by their own parameters; the step list by the steps.
        if hasattr(value, "get_params") or key == "steps":
            continue
        params[key] = value
    return params


def _param_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_PARAM_VALUE else text[: _MAX_PARAM_VALUE - 3] + "..."


def _metric_key(name: str) -> str:
    # MLflow keys allow letters, digits, "_", "-", ".", " " and "/".
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in name)


def _metrics(
    results: pd.DataFrame, labels: list, failed: pd.Series
) -> Iterator[tuple[str, float, int]]:
    names = [*_FOLD_METRICS, *(f"recall_{label}" for label in labels)]
    names = [name for name in names if name in results]
    for _, row in results.iterrows():
        for name in names:
            value = float(row[name])
            if math.isfinite(value):
                yield _metric_key(name), value, int(row["fold"])
    done = results.loc[~failed]
    for name in names:
        values = done[name].astype(float).dropna()
        if len(values):
            yield _metric_key(f"{name}_mean"), float(values.mean()), 0
            yield _metric_key(f"{name}_std"), float(values.std(ddof=0)), 0
    yield "n_failed_folds", float(failed.sum()), 0


def _total_confusion(results: pd.DataFrame, n_labels: int) -> np.ndarray:
    total = np.zeros((n_labels, n_labels), dtype=np.int64)
    for matrix in results["confusion_matrix"]:
        if matrix is not None:
            total += np.asarray(matrix)
    return total


def _write_artifacts(results: pd.DataFrame, labels: list, folder: Path) -> list[Path]:
    from .model_selection import tabulate_folds

    folds = folder / "folds.csv"
    tabulate_folds(results).to_csv(folds, index=False)
    paths = [folds]
    if labels:
        matrix = _total_confusion(results, len(labels))
        csv = folder / "confusion_matrix.csv"
        pd.DataFrame(
            matrix,
            index=pd.Index(labels, name="true \\ predicted"),
            columns=labels,
        ).to_csv(csv)
        png = folder / "confusion_matrix.png"
        confusion_matrix_figure(matrix, labels).savefig(png, dpi=120)
        paths += [csv, png]
    return paths


def confusion_matrix_figure(matrix: Any, labels: list, *, title: str | None = None):
    """A confusion matrix as a matplotlib figure: row-normalised colours, counts in the cells.

    Drawn with the Agg canvas directly, without ``pyplot`` or changing the global backend,
    so it works on headless machines and inside other programs' matplotlib sessions.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes)
        Counts, true classes in rows and predicted classes in columns.
    labels : list of length n_classes
        Class names, in the order of the rows.
    title : str, default=None
        Title above the matrix; by default "Confusion matrix (recall per row)".

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matrix = np.asarray(matrix)
    support = matrix.sum(axis=1, keepdims=True)
    recall = np.divide(matrix, support, out=np.zeros(matrix.shape), where=support > 0)
    size = 1.5 + 0.6 * len(labels)
    figure = Figure(figsize=(size + 1.5, size))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    image = ax.imshow(recall, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=ax, label="share of the true class")
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, [str(label) for label in labels], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(label) for label in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "Confusion matrix (recall per row)")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if recall[i, j] > 0.5 else "black", fontsize=8)
    figure.tight_layout()
    return figure

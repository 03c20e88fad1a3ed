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

Trained models
--------------
:func:`save_mlflow_model` and :func:`log_mlflow_model` write a fitted pipeline (or a model
file from :func:`sersk.persistence.save_model`) as an MLflow model, whose pyfunc
(:mod:`sersk.serving`) takes audio as base64 or paths and returns emotions and probabilities,
so that ``mlflow models serve -m <model> --env-manager local`` is a REST endpoint.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
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
    "log_mlflow_model",
    "save_mlflow_model",
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


# --- trained models as MLflow models ----------------------------------------------------------

def save_mlflow_model(
    model: Any,
    path: str | os.PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    long_clip: float | None = 10.0,
    window: float = 3.0,
    hop: float = 1.0,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
) -> str:
    """Write a trained model as an MLflow model that ``mlflow models serve`` serves over REST.

    Its pyfunc (:class:`sersk.serving.EmotionModel`) takes a table whose rows hold audio, as
    base64 of a file (``audio_base64``) or a path on the server (``path``), and returns the
    emotion, the confidence and every class's probability per row; see :mod:`sersk.serving`.

    Parameters
    ----------
    model : fitted classifier, or str or os.PathLike
        A fitted pipeline from audio to emotions, or a model file written by
        :func:`sersk.persistence.save_model` (stored as it is, metadata included).
    path : str or os.PathLike
        The folder to create; it must not exist.
    metadata : mapping, default=None
        For a pipeline: what :func:`sersk.persistence.save_model` takes as keywords
        (``pipeline_name``, ``corpora``, ``n_train``, ``metrics``, ``extra``).
    long_clip : float or None, default=10.0
        Clips longer than this many seconds are classified in windows.
    window, hop : float, default=3.0, 1.0
        Window length and step for long clips, in seconds.
    pip_requirements : list of str, default=None
        Requirements of the serving environment; by default sersk and the versions of
        scikit-learn, numpy and the other libraries installed here. Only environments MLflow
        builds itself use them (not ``--env-manager local``); sersk must be installable there.
    extra_pip_requirements : list of str, default=None
        Requirements added to the default ones.

    Returns
    -------
    path : str
        The model folder, for ``mlflow models serve -m PATH`` or
        ``mlflow.pyfunc.load_model(PATH)``.

    See Also
    --------
    log_mlflow_model : Log it as an artifact of an MLflow run.
    """
    import mlflow.pyfunc

    from .persistence import library_versions, load_model, save_model
    from .serving import MODEL_FILE, SETTINGS_FILE

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; MLflow writes a model into a new folder")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "sersk")
        data.mkdir()
        if isinstance(model, (str, os.PathLike)):
            pipeline, _ = load_model(model)  # checks that it loads here before copying it
            shutil.copyfile(model, data / MODEL_FILE)
        else:
            pipeline = model
            save_model(pipeline, data / MODEL_FILE, **dict(metadata or {}))
        settings = {"long_clip": long_clip, "window": window, "hop": hop}
        (data / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
        if pip_requirements is None:
            versions = library_versions()
            pip_requirements = [f"sersk=={versions['sersk']}", *(
                f"{name}=={versions[name]}" for name in (
                    "scikit-learn", "numpy", "scipy", "joblib", "librosa", "imbalanced-learn",
                    "xgboost") if name in versions
            ), "soundfile", "soxr", "pandas"]
        with _quiet_mlflow():
            mlflow.pyfunc.save_model(
                str(path),
                loader_module="sersk.serving",
                data_path=str(data),
                signature=_serving_signature(list(pipeline.classes_)),
                input_example=_serving_example(),
                pip_requirements=pip_requirements,
                extra_pip_requirements=extra_pip_requirements,
            )
    return str(path)


def log_mlflow_model(
    model: Any,
    *,
    artifact_path: str = "model",
    run_id: str | None = None,
    out_dir: str | os.PathLike = ".",
    experiment: str = DEFAULT_EXPERIMENT,
    run_name: str | None = None,
    **kwargs: Any,
) -> str:
    """Log a trained model as an MLflow model in a run, ready for ``mlflow models serve``.

    Parameters
    ----------
    model : fitted classifier, or str or os.PathLike
        As for :func:`save_mlflow_model`.
    artifact_path : str, default="model"
        Where in the run's artifacts the model goes.
    run_id : str, default=None
        An existing run to add it to (such as the one :func:`log_cross_validation`
        returned); by default a new run in ``experiment``.
    out_dir : str or os.PathLike, default="."
        Output folder holding the tracking store when ``MLFLOW_TRACKING_URI`` is not set
        (see :func:`tracking_uri`).
    experiment : str, default="sersk"
        Experiment of the new run.
    run_name : str, default=None
        Name of the new run.
    **kwargs
        Passed to :func:`save_mlflow_model` (``metadata``, ``long_clip`` …).

    Returns
    -------
    model_uri : str
        ``runs:/<run_id>/<artifact_path>``; serve it with ``MLFLOW_TRACKING_URI=<store>
        mlflow models serve -m <model_uri> --env-manager local``.
    """
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(out_dir)
    with _quiet_mlflow():
        client = MlflowClient(tracking_uri=uri)
        created = run_id is None
        if created:
            experiment_id = _experiment_id(client, experiment, uri, out_dir)
            run_id = client.create_run(experiment_id, run_name=run_name or "sersk model",
                                       tags={"sersk.kind": "model"}).info.run_id
        status = "FAILED"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                folder = save_mlflow_model(model, Path(tmp, "model"), **kwargs)
                client.log_artifacts(run_id, folder, artifact_path=artifact_path)
            status = "FINISHED"
        finally:
            if created:
                client.set_terminated(run_id, status=status)
    return f"runs:/{run_id}/{artifact_path}"


def _serving_example() -> pd.DataFrame:
    """A request the served model answers: half a second of a synthetic vowel, as base64 WAV.

    MLflow stores it with the model (``serving_input_example.json``), so a client sees the
    expected format; its 8 kB keep the model folder small.
    """
    import base64
    import io

    import soundfile as sf

    sr = 8000
    t = np.arange(sr // 2) / sr
    y = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    y = 0.3 * y / np.max(np.abs(y)) * np.minimum(1, np.minimum(t, t[::-1]) / 0.03)
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    example = pd.DataFrame({"audio_base64": [base64.b64encode(buffer.getvalue()).decode()]})
    # MLflow compares the column index with a range, which pandas 3 deprecates for its string
    # indexes (Pandas4Warning); an object index keeps MLflow's comparison quiet.
    example.columns = pd.Index(example.columns, dtype=object)
    return example


def _serving_signature(classes: list) -> Any:
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([
        ColSpec("string", "audio_base64", required=False),
        ColSpec("string", "path", required=False),
        ColSpec("string", "name", required=False),
    ])
    outputs = Schema([
        ColSpec("string", "source"),
        ColSpec("double", "duration"),
        ColSpec("long", "n_windows"),
        ColSpec("string", "emotion", required=False),
        ColSpec("double", "confidence", required=False),
        *(ColSpec("double", f"proba_{c}", required=False) for c in classes),
        ColSpec("string", "error", required=False),
    ])
    return ModelSignature(inputs=inputs, outputs=outputs)

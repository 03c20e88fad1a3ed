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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .plots import confusion_matrix_figure, recall_figure, training_curves_figure

__all__ = [
    "DEFAULT_EXPERIMENT",
    "confusion_matrix_figure",
    "log_cross_validation",
    "log_mlflow_model",
    "log_search",
    "save_mlflow_model",
    "tracking_uri",
    "training_history",
]

DEFAULT_EXPERIMENT = "sersk"

#: Prefix of the per-fold metrics (step = fold number); the bare name holds the mean over folds.
FOLD_PREFIX = "fold_"
# Metrics logged per fold and as mean/std over the folds (ece, brier and auroc for models with
# predict_proba).
_FOLD_METRICS = ("uar", "accuracy", "macro_f1", "ece", "brier", "auroc", "fit_seconds",
                 "predict_seconds_per_clip")

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
    predictions: pd.DataFrame | None = None,
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
    predictions : pandas.DataFrame, default=None
        The pooled out-of-fold predictions (columns ``speaker``, ``y_true``, ``y_pred``), as
        ``cross_validate_speakers(..., return_predictions=True)`` returns them. With them, the
        run also gets the UAR of all clips pooled and its bootstrap interval over speakers.

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
    - metrics: ``uar``, ``accuracy``, ``macro_f1``, ``ece``, ``brier``, ``auroc`` (with
      ``predict_proba``), ``fit_seconds``, ``predict_seconds_per_clip`` and
      ``recall_<label>``, each the mean over the completed folds (also as
      ``<metric>_mean``, with ``<metric>_std``); each fold's value as ``fold_<metric>``
      (step = fold number: MLflow's run table shows a metric's last step, which for a
      per-fold metric would be the last fold's); ``n_failed_folds``, and
      ``chance_uar`` (``1 / n_classes``);
    - with ``predictions``: ``uar_pooled`` and its 95 % percentile bootstrap interval over
      speakers, ``uar_ci_low`` and ``uar_ci_high`` (1000 resamples, seed 0; see
      :func:`sersk.statistics.bootstrap_uar`), and the artifact ``predictions.csv``;
    - artifacts: ``folds.csv`` (the per-fold results), ``confusion_matrix.csv`` and
      ``confusion_matrix.png`` (summed over the folds; true classes in rows),
      ``recall_per_class.png`` (recall of the summed matrix, error bars the standard
      deviation over folds, chance level as a line).

    See Also
    --------
    log_mlflow_model : Add the pipeline fitted on all the data (and its training curves).
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
            extra += _interval_metrics(predictions, labels)
            metric_list = [Metric(name, value, timestamp, step) for name, value, step
                           in [*_metrics(results, labels, failed), *extra]]
            for batch in _chunks(metric_list, _METRICS_PER_BATCH):
                client.log_batch(run_id, metrics=batch)
            if incomplete:
                client.set_tag(run_id, "sersk.incomplete", "true")
            with tempfile.TemporaryDirectory() as tmp:
                for path in _write_artifacts(results, labels, Path(tmp), predictions):
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
                yield _metric_key(f"{FOLD_PREFIX}{name}"), value, int(row["fold"])
    done = results.loc[~failed]
    for name in names:
        values = done[name].astype(float).dropna()
        if len(values):
            yield _metric_key(name), float(values.mean()), 0
            yield _metric_key(f"{name}_mean"), float(values.mean()), 0
            yield _metric_key(f"{name}_std"), float(values.std(ddof=0)), 0
    yield "n_failed_folds", float(failed.sum()), 0


def _total_confusion(results: pd.DataFrame, n_labels: int) -> np.ndarray:
    total = np.zeros((n_labels, n_labels), dtype=np.int64)
    for matrix in results["confusion_matrix"]:
        if matrix is not None:
            total += np.asarray(matrix)
    return total


def _interval_metrics(
    predictions: pd.DataFrame | None, labels: list
) -> list[tuple[str, float, int]]:
    """Chance level, and the pooled UAR with its bootstrap interval when there are predictions."""
    from .statistics import bootstrap_uar

    found = [("chance_uar", 1 / len(labels), 0)] if labels else []
    if predictions is None or not len(predictions):
        return found
    interval = bootstrap_uar(predictions["y_true"], predictions["y_pred"],
                             predictions["speaker"], labels=labels or None)
    return [*found, ("uar_pooled", interval.uar, 0), ("uar_ci_low", interval.low, 0),
            ("uar_ci_high", interval.high, 0)]


def _write_artifacts(
    results: pd.DataFrame, labels: list, folder: Path, predictions: pd.DataFrame | None = None,
) -> list[Path]:
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
        bars = folder / "recall_per_class.png"
        recall, spread, chance = _recalls(results, labels, matrix)
        recall_figure(recall, errors=spread, chance=chance).savefig(bars, dpi=120)
        paths += [csv, png, bars]
    if predictions is not None:
        paths.append(folder / "predictions.csv")
        predictions.to_csv(paths[-1], index=False)
    return paths


def _recalls(results: pd.DataFrame, labels: list, matrix: np.ndarray) -> tuple[dict, dict, float]:
    """Recall per class of the summed matrix, its standard deviation over folds, chance."""
    support = matrix.sum(axis=1)
    recall = np.divide(np.diag(matrix), support, out=np.full(len(labels), np.nan),
                       where=support > 0)
    spread = {label: float(results[f"recall_{label}"].std(ddof=0))
              for label in labels if f"recall_{label}" in results}
    return dict(zip(labels, recall.tolist(), strict=True)), spread, 1 / len(labels)


# --- trained models as MLflow models ----------------------------------------------------------

def save_mlflow_model(
    model: Any,
    path: str | os.PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    long_clip: float | None = 10.0,
    window: float = 3.0,
    hop: float = 1.0,
    min_confidence: float | None = None,
    allowed_folders: Sequence[str | os.PathLike] | None = None,
    limits: Mapping[str, float | None] | None = None,
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
        :func:`sersk.persistence.save_model` (stored as it is, metadata included; a
        ``.skops`` file is served without unpickling anything, a joblib file is unpickled
        when the server loads it: serve only trusted ones).
    path : str or os.PathLike
        The folder to create; it must not exist.
    metadata : mapping, default=None
        For a pipeline: what :func:`sersk.persistence.save_model` takes as keywords
        (``pipeline_name``, ``corpora``, ``n_train``, ``metrics``, ``extra``).
    long_clip : float or None, default=10.0
        Clips longer than this many seconds are classified in windows.
    window, hop : float, default=3.0, 1.0
        Window length and step for long clips, in seconds.
    min_confidence : float in [0, 1] or None, default=None
        Clips whose confidence is below it are answered ``"uncertain"``. Stored as the MLflow
        model configuration: loading may replace it (``model_config=``, or
        ``$MLFLOW_PYFUNC_INFERENCE_CONFIG`` for ``mlflow models serve``) and a request may pass
        its own (``"params": {"min_confidence": 0.6}``); see :mod:`sersk.serving`.
    allowed_folders : sequence of str or os.PathLike, default=None
        The folders whose files requests may name in ``path`` rows (symbolic links
        resolved); by default none, and every ``path`` row is refused. Stored in the model
        configuration like ``min_confidence``, so that a server can set its own
        (``MLFLOW_PYFUNC_INFERENCE_CONFIG='{"allowed_folders": ["/data/clips"]}'``).
    limits : mapping, default=None
        Limits on a request replacing the defaults of :data:`sersk.serving.LIMITS`
        (``max_rows``, ``max_request_mb``, ``max_clip_seconds``, ``max_request_seconds``;
        None turns one off). Stored in the model configuration too.
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

    from ._skops import is_skops
    from .inference import _check_min_confidence
    from .persistence import library_versions, load_model, save_model
    from .serving import LIMITS, MODEL_FILE, SETTINGS_FILE, SKOPS_MODEL_FILE, EmotionModel

    _check_min_confidence(min_confidence)
    unknown = sorted(set(limits or {}) - set(LIMITS))
    if unknown:
        raise ValueError(f"limits: unknown limit(s) {', '.join(unknown)}; the limits are "
                         f"{', '.join(LIMITS)}")
    config = {"min_confidence": min_confidence,
              "allowed_folders": None if allowed_folders is None else [
                  os.fspath(f) for f in allowed_folders],
              **LIMITS, **dict(limits or {})}
    EmotionModel(None, **config)  # checks the settings before anything is written
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; MLflow writes a model into a new folder")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "sersk")
        data.mkdir()
        if isinstance(model, (str, os.PathLike)):
            pipeline, _ = load_model(model)  # checks that it loads here before copying it
            name = SKOPS_MODEL_FILE if is_skops(Path(model)) else MODEL_FILE
            shutil.copyfile(model, data / name)
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
                # MLflow's model configuration, so that loading can replace it (model_config=,
                # $MLFLOW_PYFUNC_INFERENCE_CONFIG) and a request can pass its own (params).
                # Every setting is stored, even when None: MLflow replaces only saved keys.
                model_config=config,
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

    Notes
    -----
    When the pipeline's classifier kept its training history (the ``history_`` of the Keras
    classifiers, the ``loss_curve_`` of scikit-learn's ``MLPClassifier``), the run also gets
    it: metrics ``training.<name>`` per epoch (step = epoch) and ``training_curves.png``.
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
                history = training_history(model)
                if history:
                    _log_history(client, run_id, history, Path(tmp))
            status = "FINISHED"
        finally:
            if created:
                client.set_terminated(run_id, status=status)
    return f"runs:/{run_id}/{artifact_path}"


def training_history(estimator: Any) -> dict[str, list[float]] | None:
    """The training curves a fitted classifier kept, or None.

    Parameters
    ----------
    estimator : estimator object
        A fitted classifier or pipeline; a pipeline's last step is looked at.

    Returns
    -------
    history : dict of str to list of float, or None
        ``{metric: value per epoch}``: a Keras classifier's ``history_`` (``loss``,
        ``val_loss``, ``val_uar`` …), or for scikit-learn's ``MLPClassifier`` its
        ``loss_curve_`` as ``loss`` and ``validation_scores_`` as ``val_accuracy``.
    """
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    history = getattr(estimator, "history_", None)
    if isinstance(history, Mapping) and history:
        return {str(k): [float(v) for v in values] for k, values in history.items()}
    if getattr(estimator, "loss_curve_", None) is not None:
        history = {"loss": [float(v) for v in estimator.loss_curve_]}
        if getattr(estimator, "validation_scores_", None) is not None:
            history["val_accuracy"] = [float(v) for v in estimator.validation_scores_]
        return history
    return None


def _log_history(client: Any, run_id: str, history: Mapping[str, list], folder: Path) -> None:
    from mlflow.entities import Metric

    timestamp = int(time.time() * 1000)
    metrics = [Metric(_metric_key(f"training.{name}"), value, timestamp, epoch)
               for name, values in history.items()
               for epoch, value in enumerate(values, start=1) if math.isfinite(value)]
    for batch in _chunks(metrics, _METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=batch)
    png = folder / "training_curves.png"
    training_curves_figure(history).savefig(png, dpi=120)
    client.log_artifact(run_id, str(png))


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
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    from .serving import PARAMS

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
    # Default None: a request without the parameter gets the model's own setting.
    params = ParamSchema([ParamSpec(name, dtype, None) for name, dtype in PARAMS.items()])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


# --- nested searches ------------------------------------------------------------------------

def log_search(
    results: Any,
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
    """Record a nested search as an MLflow parent run with a child run per candidate.

    Parameters
    ----------
    results : sklearn.utils.Bunch
        As returned by :func:`~sersk.model_selection.nested_cross_validate`: ``folds``,
        ``candidates`` and ``predictions``.
    corpus : str
        Name of the corpus (or corpora) evaluated on.
    pipeline : str
        Name of the pipeline, such as ``"handcrafted-svm"``; the runs are named after it.
    estimator : estimator object, default=None
        The (unfitted) pipeline searched; its parameters are logged on the parent run, as by
        :func:`log_cross_validation`.
    out_dir : str or os.PathLike, default="."
        Output folder; holds the tracking store when ``MLFLOW_TRACKING_URI`` is not set (see
        :func:`tracking_uri`).
    experiment : str, default="sersk"
        MLflow experiment name; created if missing.
    params, metrics, tags : mapping, default=None
        More parameters, run-level metrics and tags of the parent run.

    Returns
    -------
    run_id : str
        The parent run.

    Notes
    -----
    The parent run is the outer cross-validation, logged by :func:`log_cross_validation`
    (outer UAR per fold and its mean and standard deviation, confusion matrix …), plus

    - parameters: ``search`` (such as ``"random(n_iter=20, inner_splits=3)"``),
      ``best_params.fold<k>`` (the parameters chosen in outer fold k, as JSON), and
      ``best.<name>`` for every searched parameter: the candidate whose inner UAR, averaged
      over the outer folds that tried it, is highest;
    - metrics: ``inner_uar`` and ``inner_uar_mean`` (the chosen candidates' inner UAR, mean
      over the outer folds); per outer fold (step = fold number) ``fold_inner_uar`` and
      ``fold_search_seconds``;
    - artifacts: ``candidates.csv`` (every candidate of every outer fold) and
      ``best_params.json``;
    - the tag ``sersk.search``.

    Each child run (tag ``mlflow.parentRunId``) is one candidate: a parameter set, logged as
    parameters, with ``fold_inner_uar`` and ``fold_inner_uar_std`` (mean and standard
    deviation over the inner folds; step = outer fold) and ``fold_fit_seconds``, their mean
    over the outer folds ``inner_uar`` (also ``inner_uar_mean``), and ``n_failed_folds``.
    Candidates drawn alike in several outer folds (the same seed draws the same candidates)
    share one child run. A candidate that failed everywhere ends ``FAILED``.
    """
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    folds, candidates = results.folds, results.candidates
    description = folds.attrs.get("search", "search")
    groups = _candidate_groups(candidates)
    best = max(groups, key=lambda g: _nan_to(g["inner_uar_mean"], -np.inf), default=None)
    run_params = {
        "search": description,
        **{f"best_params.fold{row.fold}": json.dumps(row.best_params, sort_keys=True,
                                                     default=str)
           for row in folds.itertuples() if row.best_params is not None},
        **({f"best.{k}": v for k, v in best["params"].items()} if best else {}),
        **(params or {}),
    }
    search_tags = {"sersk.search": description}
    fold_metrics = {**(metrics or {})}
    inner = folds["inner_uar"].astype(float)
    if inner.notna().any():
        fold_metrics["inner_uar"] = fold_metrics["inner_uar_mean"] = float(inner.mean())
    run_id = log_cross_validation(
        folds, corpus=corpus, pipeline=pipeline, estimator=estimator, out_dir=out_dir,
        experiment=experiment, params=run_params, metrics=fold_metrics,
        tags={**(tags or {}), **search_tags},
        predictions=results.get("predictions"),
    )

    uri = tracking_uri(out_dir)
    protocol = folds.attrs.get("protocol") or _single(folds["protocol"])
    with _quiet_mlflow():
        client = MlflowClient(tracking_uri=uri)
        timestamp = int(time.time() * 1000)
        per_fold = [Metric(f"{FOLD_PREFIX}{name}", float(getattr(row, name)), timestamp,
                           int(row.fold))
                    for row in folds.itertuples()
                    for name in ("inner_uar", "search_seconds")
                    if math.isfinite(float(getattr(row, name)))]
        if per_fold:
            client.log_batch(run_id, metrics=per_fold)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "candidates.csv")
            table = candidates.copy()
            table["params"] = [json.dumps(p, sort_keys=True, default=str)
                               for p in table["params"]]
            table.to_csv(path, index=False)
            client.log_artifact(run_id, str(path))
            path = Path(tmp, "best_params.json")
            path.write_text(json.dumps({
                "search": description,
                "per_fold": {str(row.fold): row.best_params for row in folds.itertuples()},
                "best": best["params"] if best else None,
            }, indent=2, default=str), encoding="utf-8")
            client.log_artifact(run_id, str(path))

        experiment_id = client.get_run(run_id).info.experiment_id
        child_tags = {"mlflow.parentRunId": run_id, "sersk.corpus": corpus,
                      "sersk.pipeline": pipeline, "sersk.protocol": protocol, **search_tags}
        for number, group in enumerate(groups, start=1):
            child = client.create_run(
                experiment_id, run_name=f"{pipeline} candidate {number}",
                tags={**child_tags, "sersk.candidate": str(number)},
            ).info.run_id
            status = "FAILED"
            try:
                client.log_batch(child, params=[
                    Param(key, _param_value(value)) for key, value in group["params"].items()
                ][:_PARAMS_PER_BATCH], metrics=[
                    Metric(name, value, timestamp, step) for name, value, step in group["metrics"]
                ])
                if math.isfinite(group["inner_uar_mean"]):
                    status = "FINISHED"
            finally:
                client.set_terminated(child, status=status)
    return run_id


def _nan_to(value: float, default: float) -> float:
    return default if not math.isfinite(value) else value


def _candidate_groups(candidates: pd.DataFrame) -> list[dict[str, Any]]:
    """The candidates, one entry per distinct parameter set, with its metrics over folds."""
    groups: dict[str, dict[str, Any]] = {}
    for row in candidates.itertuples(index=False):
        key = json.dumps(row.params, sort_keys=True, default=str)
        group = groups.setdefault(key, {"params": row.params, "metrics": [], "scores": []})
        fold, score = int(row.fold), float(row.mean_test_uar)
        group["scores"].append(score)
        for name, value in (("inner_uar", score), ("inner_uar_std", float(row.std_test_uar)),
                            ("fit_seconds", float(row.mean_fit_time))):
            if math.isfinite(value):
                group["metrics"].append((f"{FOLD_PREFIX}{name}", value, fold))
    for group in groups.values():
        scores = np.asarray(group.pop("scores"))
        done = scores[np.isfinite(scores)]
        group["inner_uar_mean"] = float(done.mean()) if len(done) else float("nan")
        if len(done):
            group["metrics"] += [("inner_uar", group["inner_uar_mean"], 0),
                                 ("inner_uar_mean", group["inner_uar_mean"], 0)]
        group["metrics"].append(("n_failed_folds", float(len(scores) - len(done)), 0))
    return list(groups.values())

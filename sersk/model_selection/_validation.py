"""Cross-validation that reports what emotion recognition papers need, fold by fold."""

from __future__ import annotations

import os
import time
import traceback
import warnings
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import _safe_indexing

from ..exceptions import SerskError
from ..inference import PROBA_PREFIX
from ..metrics import calibration_scores, score_predictions
from ._checkpoint import FoldCheckpoint
from ._split import (
    CORPUS_GROUPED,
    SPEAKER_GROUPED,
    ProtocolError,
    check_speaker_disjoint,
    check_speakers_known,
    make_splitter,
)
from ._transductive import SpeakerRoutes, speaker_routes, transductive_label

__all__ = ["PROBA_PREFIX", "CrossValidationError", "cross_validate_speakers", "tabulate_folds"]

_SCORES = ("uar", "accuracy", "macro_f1")
# From predict_proba, when the estimator has one (see sersk.metrics.calibration_scores).
_PROBA_SCORES = ("ece", "brier", "auroc")


class CrossValidationError(SerskError, RuntimeError):
    """A fold of a cross-validation failed; the folds completed before it are kept.

    Parameters
    ----------
    message : str
        What failed.
    results : pandas.DataFrame
        The rows of the folds that completed, as :func:`cross_validate_speakers` returns them.
    fold : int
        The number of the fold that failed (1-based).

    Attributes
    ----------
    results : pandas.DataFrame
    fold : int
    """

    def __init__(self, message: str, results: pd.DataFrame, fold: int):
        super().__init__(message)
        self.results = results
        self.fold = fold

    def __reduce__(self):
        return (type(self), (self.args[0], self.results, self.fold))


def cross_validate_speakers(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    speakers: Any = None,
    protocol: str = "speaker",
    n_splits: int = 5,
    random_state: Any = 0,
    labels: Any = None,
    error_score: str | float = "raise",
    progress: bool | str = False,
    return_predictions: bool = False,
    corpora: Any = None,
    domains: Any = None,
    restrict: bool = True,
    checkpoint: str | os.PathLike | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validate an emotion classifier under a speaker-independent (or -dependent) protocol,
    or leave one corpus out.

    Each fold fits a fresh clone of ``estimator`` on the training clips, predicts the test
    clips and scores them with :func:`~sersk.metrics.score_predictions`.

    With ``protocol="loco"`` each corpus is the test set once (:class:`LeaveOneCorpusOut`),
    the model trained on every clip of the others; test clips of emotions no training clip
    has are left out, and, with ``restrict=True``, predictions are chosen among the emotions
    the test corpus holds (the usual cross-corpus convention, :func:`sersk.models.predict_among`).

    Parameters
    ----------
    estimator : estimator object
        A classifier, typically a pipeline from audio inputs to emotion labels.
    X : list, 1-D array or pandas Series of length n_samples
        The clips, as the estimator takes them (paths or ``(waveform, sr)`` tuples for sersk
        pipelines, or a 2-D array of features).
    y : array-like of shape (n_samples,)
        The emotion of every clip.
    speakers : array-like of shape (n_samples,), default=None
        The speaker of every clip. Required by the speaker-independent protocol; with the
        random protocol, used only to report which speakers each fold holds; with
        ``"loco"``, checked to be disjoint between training and test clips.
    protocol : {"speaker", "loso", "random", "loco"}, default="speaker"
        ``"speaker"``: speaker-independent stratified k-fold (no speaker in both training
        and test data); ``"loso"``: leave-one-speaker-out, one fold per speaker;
        ``"random"``: random stratified k-fold, speaker-dependent; ``"loco"``:
        leave-one-corpus-out, one fold per corpus (needs ``corpora``).
    n_splits : int, default=5
        Number of folds; with ``protocol="loso"`` (``"loco"``), the number of speakers
        (corpora) instead.
    random_state : int, RandomState instance or None, default=0
        Seed of the fold assignment.
    labels : array-like of shape (n_classes,), default=None
        The class order of the per-class recalls and confusion matrices; by default, the
        sorted classes of ``y``.
    error_score : "raise" or float, default="raise"
        What to do when fitting or predicting a fold raises. ``"raise"``: stop and raise
        :class:`CrossValidationError`, whose ``results`` attribute holds the folds completed
        so far (and whose ``__cause__`` is the original error). A number (such as
        ``np.nan``): give the failed fold that value for every score, record the error in
        its ``error`` column, warn with :class:`~sklearn.exceptions.FitFailedWarning` and
        go on with the next fold.
    progress : bool or str, default=False
        Show a progress bar over the folds; a string is used as its description.
    return_predictions : bool, default=False
        Also return every test clip's prediction (the pooled out-of-fold predictions that
        :func:`sersk.statistics.bootstrap_uar` and
        :func:`sersk.statistics.paired_speaker_test` take).
    corpora : array-like of shape (n_samples,), default=None
        The corpus of every clip; required by ``protocol="loco"``.
    domains : array-like of shape (n_samples,), default=None
        The domain of every clip (its corpus, speaker, session …), passed to an estimator
        that asks for ``domains`` (a :class:`~sersk.preprocessing.DomainStandardScaler`
        step): each test domain is then standardised with its own clips' statistics, and the
        results are labelled ``"…, transductive (adapted per corpus)"`` (``speaker`` when
        ``domains`` are the speakers, ``domain`` otherwise).
    restrict : bool, default=True
        With ``protocol="loco"``, choose each prediction among the emotions of the test
        corpus (that the model knows). False lets the model predict any emotion it learnt,
        and labels the results ``"…, unrestricted"``. Other protocols test on the emotions
        they train on, so it does not apply.
    checkpoint : str or path-like, default=None
        A folder where each finished fold's row and predictions are saved as it completes.
        A fold already saved there for the same split (same positions, same labels) is read
        back instead of fitted again, so an interrupted cross-validation resumes with the
        same results. Give each estimator, set of clips and set of options its own folder.

    Returns
    -------
    results : pandas.DataFrame
        One row per fold, with the columns

        - ``fold`` (1-based), ``protocol`` (``"speaker-independent"``,
          ``"leave-one-speaker-out"`` or ``"speaker-dependent"``), ``n_train``, ``n_test``;
        - ``uar``, ``accuracy``, ``macro_f1`` and ``recall_<label>`` for every class;
        - ``ece``, ``brier``, ``auroc``: the calibration of ``predict_proba`` on the fold's
          test clips (:func:`~sersk.metrics.calibration_scores`), NaN for an estimator
          without ``predict_proba``;
        - ``fit_seconds`` (wall-clock time of ``fit``), ``predict_seconds_per_clip``
          (wall-clock time of ``predict`` over the test clips, divided by their number);
        - ``train_speakers``, ``test_speakers``: sorted lists (empty without ``speakers``);
        - ``confusion_matrix``: ndarray of shape (n_classes, n_classes), true classes in rows;
        - ``error``: None, or the error of a failed fold when ``error_score`` is a number;
        - with ``protocol="loco"`` only: ``test_corpus``, ``emotions`` (the emotions scored,
          space-separated), ``n_left_out`` (test clips of emotions the model never learnt)
          and ``restricted`` (whether predictions were restricted to ``emotions``).

        ``results.attrs`` holds ``"labels"`` (the class order), ``"protocol"`` and
        ``"n_splits"``.
    predictions : pandas.DataFrame
        Only with ``return_predictions=True``: one row per test clip of the completed folds,
        sorted by clip, with the columns ``index`` (position of the clip in ``X``), ``fold``,
        ``speaker`` (None without ``speakers``), ``y_true``, ``y_pred`` and, for an estimator
        with ``predict_proba``, ``proba_<label>`` for every class (0 for a class the fold's
        training clips lacked).

    Raises
    ------
    ProtocolError
        The speaker-independent protocol without ``speakers``, or with fewer speakers than
        folds.
    CrossValidationError
        A fold failed and ``error_score="raise"``.

    See Also
    --------
    SpeakerStratifiedKFold, SpeakerDependentKFold : The splitters of the two protocols.
    sersk.metrics.score_predictions : The scores of each fold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.model_selection import cross_validate_speakers
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile(["calm", "angry"], 20)
    >>> X = rng.normal(size=(40, 3)) + (y == "angry")[:, None]
    >>> speakers = np.repeat(np.arange(8), 5)
    >>> results = cross_validate_speakers(
    ...     LogisticRegression(), X, y, speakers=speakers, n_splits=4)
    >>> results["fold"].tolist(), results["n_test"].tolist()
    ([1, 2, 3, 4], [10, 10, 10, 10])
    >>> results["protocol"].unique().tolist()
    ['speaker-independent']
    """
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}")
    cv = make_splitter(protocol, n_splits=n_splits, random_state=random_state)
    y = np.asarray(y)
    n_samples = len(X)
    if y.shape != (n_samples,):
        raise ValueError(f"y must hold one label per clip: got shape {y.shape} for "
                         f"{n_samples} clips")
    if speakers is None and protocol in SPEAKER_GROUPED:
        raise ProtocolError(
            f"the {cv.protocol} protocol needs the speaker of every clip: pass "
            "speakers=..., or protocol='random' for a speaker-dependent evaluation"
        )
    speakers = _check_speakers_shape(speakers, n_samples)
    if protocol in SPEAKER_GROUPED:
        check_speakers_known(speakers)
    corpora = _check_per_clip(corpora, n_samples, "corpora", "corpus")
    domains = _check_per_clip(domains, n_samples, "domains", "domain")
    by_corpus = protocol in CORPUS_GROUPED
    labels = np.unique(y) if labels is None else np.asarray(labels)
    groups = corpora if by_corpus else speakers if protocol in SPEAKER_GROUPED else None
    if protocol == "loso" or by_corpus:
        n_splits = cv.get_n_splits(groups=groups)
    routes = speaker_routes(estimator)
    routes.check(speakers, domains)
    label = _protocol_label(cv.protocol, routes, domains, corpora, speakers,
                            unrestricted=by_corpus and not restrict)

    from .._progress import progress_bar

    rows: list[dict[str, Any]] = []
    predicted: list[pd.DataFrame] = []
    splits = progress_bar(
        # The random splitter ignores groups (and warns if given them).
        cv.split(np.zeros(n_samples), y, groups=groups),
        total=n_splits,
        desc=progress if isinstance(progress, str) else f"{label} CV",
        unit="fold",
        disable=not progress,
        leave=False,
    )
    saved = None if checkpoint is None else FoldCheckpoint(checkpoint)
    for fold, (train, test) in enumerate(splits, start=1):
        stored = None if saved is None else saved.load(fold, train, test, y)
        if stored is not None:
            rows.append(stored[0])
            if return_predictions and stored[1] is not None:
                predicted.append(stored[1])
            continue
        row = _fold_row(fold, label, train, test, speakers)
        allowed = None
        if by_corpus:
            if speakers is not None:
                check_speaker_disjoint(train, test, speakers)
            allowed = np.unique(y[test])
            test_corpus = corpora[test[0]] if len(test) else None
            row.update(test_corpus=test_corpus, emotions=" ".join(map(str, allowed)),
                       n_left_out=int((corpora == test_corpus).sum() - len(test)),
                       restricted=restrict)
            allowed = allowed if restrict else None
        fold_predictions = None
        try:
            scores = _fit_and_score(estimator, X, y, train, test, labels,
                                    speakers=speakers, routes=routes, domains=domains,
                                    allowed=allowed)
            y_pred, y_proba = scores.pop("y_pred"), scores.pop("y_proba")
            row.update(scores)
            fold_predictions = _predictions(fold, test, speakers, y, y_pred, y_proba, labels)
            if return_predictions:
                predicted.append(fold_predictions)
        except Exception as exc:  # noqa: BLE001 -- any pipeline error, reported with its fold
            if error_score == "raise":
                done = _as_frame(rows, labels, label, n_splits,
                                 extra=_LOCO_COLUMNS if by_corpus else ())
                raise CrossValidationError(
                    f"fold {fold}/{n_splits} ({label}) failed with "
                    f"{type(exc).__name__}: {exc}. The {len(rows)} completed fold(s) are in "
                    "this exception's `results` attribute; pass error_score=np.nan to "
                    "record failed folds and go on",
                    done,
                    fold,
                ) from exc
            warnings.warn(
                f"fold {fold}/{n_splits} failed; its scores are set to {error_score}. "
                f"Details:\n{traceback.format_exc()}",
                FitFailedWarning,
                stacklevel=2,
            )
            row.update(_failed_scores(labels, error_score, exc))
        rows.append(row)
        if saved is not None:
            saved.save(fold, train, test, y, row, fold_predictions)
    results = _as_frame(rows, labels, label, n_splits, extra=_LOCO_COLUMNS if by_corpus else ())
    if not return_predictions:
        return results
    columns = ["index", "fold", "speaker", "y_true", "y_pred"]
    predictions = (pd.concat(predicted, ignore_index=True) if predicted
                   else pd.DataFrame(columns=columns))
    return results, predictions.sort_values("index", ignore_index=True)


def _predictions(
    fold: int, test: np.ndarray, speakers: Any, y: np.ndarray, y_pred: Any,
    y_proba: np.ndarray | None = None, labels: np.ndarray | None = None,
) -> pd.DataFrame:
    frame = pd.DataFrame({
        "index": test,
        "fold": fold,
        "speaker": None if speakers is None else speakers[test],
        "y_true": y[test],
        "y_pred": np.asarray(y_pred),
    })
    if y_proba is not None:
        for label, column in zip(labels.tolist(), y_proba.T, strict=True):
            frame[f"{PROBA_PREFIX}{label}"] = column
    return frame


def _among(y_proba: np.ndarray, labels: np.ndarray, allowed: Any
           ) -> tuple[np.ndarray, np.ndarray]:
    """The most probable of the ``allowed`` labels per row (the first on a tie), and the
    probabilities restricted to them (:func:`~sersk.models.restrict_probabilities`), still
    one column per label."""
    from ..models import restrict_probabilities

    kept = np.isin(labels, allowed)
    restricted, classes = restrict_probabilities(y_proba, labels, labels[kept])
    full = np.zeros_like(y_proba)
    full[:, kept] = restricted
    return classes[np.argmax(restricted, axis=1)], full


def _aligned_proba(model: Any, X_test: Any, labels: np.ndarray, predict_params: dict
                   ) -> np.ndarray | None:
    """``predict_proba`` with one column per label, in the order of ``labels``; None for a
    model without it. A class the model never saw gets probability 0."""
    if not hasattr(model, "predict_proba"):
        return None
    proba = np.asarray(model.predict_proba(X_test, **predict_params), dtype=float)
    aligned = np.zeros((proba.shape[0], len(labels)))
    for column, label in enumerate(model.classes_):
        where = np.flatnonzero(labels == label)
        if where.size:
            aligned[:, where[0]] = proba[:, column]
    return aligned


_LOCO_COLUMNS = ("test_corpus", "emotions", "n_left_out", "restricted")


def _check_per_clip(values: Any, n_samples: int, name: str, what: str) -> np.ndarray | None:
    """``values`` as an array of one ``what`` per clip (None stays None), or a ValueError."""
    if values is None:
        return None
    values = np.asarray(values)
    if values.shape != (n_samples,):
        raise ValueError(f"{name} must hold one {what} per clip: got shape {values.shape} "
                         f"for {n_samples} clips")
    return values


def _protocol_label(protocol: str, routes: SpeakerRoutes, domains: Any, corpora: Any,
                    speakers: Any, *, unrestricted: bool = False) -> str:
    """The protocol column: transductive (and adapted per what) or not, unrestricted or not."""
    if unrestricted:
        protocol = f"{protocol}, unrestricted"
    if not routes.transductive:
        return protocol
    adapted = None
    if "domains" in routes.predict:
        adapted = ("corpus" if corpora is not None and np.array_equal(domains, corpora)
                   else "speaker" if speakers is not None and np.array_equal(domains, speakers)
                   else "domain")
    return transductive_label(protocol, adapted)


def _check_speakers_shape(speakers: Any, n_samples: int) -> np.ndarray | None:
    """``speakers`` as an array of one speaker per clip (None stays None), or a ValueError."""
    return _check_per_clip(speakers, n_samples, "speakers", "speaker")


def _fold_row(
    fold: int, protocol: str, train: np.ndarray, test: np.ndarray, speakers: Any
) -> dict[str, Any]:
    def names(index):
        if speakers is None:
            return []
        # Clips of unknown speaker (the random protocol allows them) are not named.
        known = speakers[index][~pd.isna(speakers[index].astype(object))]
        return sorted(np.unique(known).tolist())

    return {
        "fold": fold,
        "protocol": protocol,
        "n_train": len(train),
        "n_test": len(test),
        "train_speakers": names(train),
        "test_speakers": names(test),
    }


def _fit_and_score(
    estimator: Any, X: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray,
    labels: np.ndarray, *, speakers: Any = None, routes: SpeakerRoutes | None = None,
    domains: Any = None, allowed: Any = None,
) -> dict[str, Any]:
    from ..models import predict_among

    routes = SpeakerRoutes() if routes is None else routes
    model = clone(estimator)
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    with routes.context():
        start = time.perf_counter()
        model.fit(X_train, y[train], **routes.fit_params(speakers, train, domains))
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        params = routes.predict_params(speakers, test, domains)
        if allowed is None:
            y_pred = model.predict(X_test, **params)
            predict_seconds = time.perf_counter() - start
            y_proba = _aligned_proba(model, X_test, labels, params)
        else:
            # Restricted: the probabilities once, the prediction the most probable allowed
            # emotion (as predict_among, which is for models without predict_proba).
            y_proba = _aligned_proba(model, X_test, labels, params)
            if y_proba is None:
                y_pred = predict_among(model, X_test, allowed, **params)
            else:
                y_pred, y_proba = _among(y_proba, labels, allowed)
            predict_seconds = time.perf_counter() - start
    scores = score_predictions(y[test], y_pred, labels=labels)
    calibration = (dict.fromkeys(_PROBA_SCORES, np.nan) if y_proba is None
                   else calibration_scores(y[test], y_proba, labels=labels))
    return {
        **{name: scores[name] for name in _SCORES},
        **calibration,
        **{f"recall_{label}": r for label, r in scores["per_class_recall"].items()},
        "fit_seconds": fit_seconds,
        "predict_seconds_per_clip": predict_seconds / len(test),
        "confusion_matrix": scores["confusion_matrix"],
        "error": None,
        "y_pred": y_pred,
        "y_proba": y_proba,
    }


def _failed_scores(labels: np.ndarray, error_score: float, exc: Exception) -> dict[str, Any]:
    return {
        **dict.fromkeys(_SCORES, float(error_score)),
        **dict.fromkeys(_PROBA_SCORES, float(error_score)),
        **{f"recall_{label}": float(error_score) for label in labels.tolist()},
        "fit_seconds": np.nan,
        "predict_seconds_per_clip": np.nan,
        "confusion_matrix": None,
        "error": f"{type(exc).__name__}: {exc}",
    }


def _columns(labels: np.ndarray) -> list[str]:
    return [
        "fold", "protocol", "n_train", "n_test", *_SCORES, *_PROBA_SCORES,
        *(f"recall_{label}" for label in labels.tolist()),
        "fit_seconds", "predict_seconds_per_clip", "train_speakers", "test_speakers",
        "confusion_matrix", "error",
    ]


def _as_frame(
    rows: list[dict[str, Any]], labels: np.ndarray, protocol: str, n_splits: int,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*_columns(labels), *extra])
    frame.attrs.update(
        labels=labels.tolist(), protocol=protocol, n_splits=n_splits,
    )
    return frame


def tabulate_folds(results: pd.DataFrame) -> pd.DataFrame:
    """The per-fold results of :func:`cross_validate_speakers` as a flat table, for CSV files.

    Parameters
    ----------
    results : pandas.DataFrame
        As returned by :func:`cross_validate_speakers`.

    Returns
    -------
    table : pandas.DataFrame
        The same rows without the ``confusion_matrix`` column, the speaker lists joined by
        spaces.
    """
    table = results.drop(columns="confusion_matrix")
    for column in ("train_speakers", "test_speakers"):
        table[column] = [" ".join(map(str, names)) for names in table[column]]
    return table

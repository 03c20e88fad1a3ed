"""Scores for emotion classifiers: unweighted average recall (UAR) first.

Emotional speech corpora are rarely balanced (RAVDESS has half as many neutral clips as any
other emotion; EmoDB ranges from 46 disgust to 127 anger clips), so accuracy rewards a model
for favouring the frequent classes. The field reports the **unweighted average recall**: the
recall of each emotion, averaged with equal weight per emotion. Chance level is
``1 / n_classes`` whatever the class balance.

The functions take label arrays (strings or integers) and never need a fitted model;
:data:`uar_scorer` adapts UAR to scikit-learn's ``scoring=`` argument.

A confidence shown to a user must mean what it says: of the clips given 0.8, about 8 in 10
should be right. The probability scores measure that from ``predict_proba``'s output:
:func:`expected_calibration_error` (the gap between confidence and accuracy, binned),
:func:`brier_score`, :func:`confidence_auroc` (whether the confidence tells right
predictions from wrong ones), with :func:`reliability_curve` and :func:`accuracy_coverage`
behind the report's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, make_scorer, roc_auc_score
from sklearn.utils.multiclass import unique_labels

__all__ = [
    "accuracy_coverage",
    "brier_score",
    "calibration_scores",
    "confidence_auroc",
    "expected_calibration_error",
    "per_class_recall",
    "reliability_curve",
    "score_predictions",
    "unweighted_average_recall",
    "uar_scorer",
]


def _labels_and_matrix(
    y_true: Any, y_pred: Any, labels: Sequence | None
) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D and of the same length, got shapes {y_true.shape} "
            f"and {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty: there is nothing to score")
    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    if not np.isin(labels, y_true).any():
        raise ValueError(
            f"none of the labels {labels.tolist()} occurs in y_true: the scores are undefined"
        )
    return labels, confusion_matrix(y_true, y_pred, labels=labels)


def _recalls(matrix: np.ndarray) -> np.ndarray:
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(matrix) / support, np.nan)


def per_class_recall(
    y_true: Any, y_pred: Any, *, labels: Sequence | None = None
) -> dict[Any, float]:
    """Recall of each class: the share of its clips that were predicted as that class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        The classes to report, in this order. By default, the sorted union of the labels in
        ``y_true`` and ``y_pred``.

    Returns
    -------
    recall : dict
        ``{label: recall}`` in the order of ``labels``. A class with no true sample has an
        undefined recall, reported as NaN.

    See Also
    --------
    unweighted_average_recall : The mean of these recalls.

    Examples
    --------
    >>> from sersk.metrics import per_class_recall
    >>> per_class_recall(["sad", "sad", "angry", "angry"], ["sad", "angry", "angry", "angry"])
    {'angry': 1.0, 'sad': 0.5}
    """
    labels, matrix = _labels_and_matrix(y_true, y_pred, labels)
    return _by_label(labels, _recalls(matrix))


def unweighted_average_recall(
    y_true: Any, y_pred: Any, *, labels: Sequence | None = None
) -> float:
    """Unweighted average recall (UAR): the mean over classes of each class's recall.

    Also called macro-averaged recall or balanced accuracy. Every emotion counts the same,
    however many clips it has, so chance level is ``1 / n_classes``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        The classes to average over. By default, the labels of ``y_true`` and ``y_pred``.
        Classes without any true sample are left out of the mean: their recall is undefined
        (a class that is only predicted still lowers the recall of the classes it was
        confused with).

    Returns
    -------
    uar : float
        In [0, 1].

    See Also
    --------
    per_class_recall : The recalls that are averaged.
    score_predictions : UAR with accuracy, macro-F1 and the confusion matrix.
    sklearn.metrics.balanced_accuracy_score : The same quantity.

    Examples
    --------
    >>> from sersk.metrics import unweighted_average_recall
    >>> y_true = ["sad", "sad", "sad", "sad", "angry"]
    >>> y_pred = ["sad", "sad", "sad", "sad", "sad"]
    >>> unweighted_average_recall(y_true, y_pred)  # accuracy would be 0.8
    0.5
    """
    _, matrix = _labels_and_matrix(y_true, y_pred, labels)
    return float(np.nanmean(_recalls(matrix)))


def score_predictions(
    y_true: Any, y_pred: Any, labels: Sequence | None = None
) -> dict[str, Any]:
    """Every score sersk reports for one set of predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        The classes, in the order used for the per-class recall and the confusion matrix.
        Pass the classes of the whole data set so that folds of a cross-validation line up.
        By default, the sorted union of the labels in ``y_true`` and ``y_pred``.

    Returns
    -------
    scores : dict
        - ``"uar"``: unweighted average recall over the classes present in ``y_true``;
        - ``"accuracy"``: share of correct predictions;
        - ``"macro_f1"``: F1 averaged over the classes present in ``y_true``, like UAR;
        - ``"per_class_recall"``: ``{label: recall}``, NaN for classes absent from ``y_true``;
        - ``"confusion_matrix"``: ndarray of shape (n_classes, n_classes), true classes in
          rows and predicted classes in columns;
        - ``"labels"``: list, the class order of the two entries above.

    Examples
    --------
    >>> from sersk.metrics import score_predictions
    >>> scores = score_predictions(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> round(scores["uar"], 3), scores["accuracy"], scores["labels"]
    (0.75, 0.75, ['a', 'b'])
    >>> scores["confusion_matrix"]
    array([[1, 1],
           [0, 2]])
    """
    labels, matrix = _labels_and_matrix(y_true, y_pred, labels)
    n_true = matrix.sum(axis=1)
    n_pred = matrix.sum(axis=0)
    hits = np.diag(matrix)
    present = n_true > 0
    # F1 = 2 TP / (n_true + n_pred); n_true > 0 for the classes averaged, so never 0/0.
    f1 = 2 * hits[present] / (n_true[present] + n_pred[present])
    recalls = _recalls(matrix)
    return {
        "uar": float(np.nanmean(recalls)),
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
        "macro_f1": float(f1.mean()),
        "per_class_recall": _by_label(labels, recalls),
        "confusion_matrix": matrix,
        "labels": [_python(label) for label in labels],
    }


def _by_label(labels: np.ndarray, values: np.ndarray) -> dict[Any, float]:
    return {_python(label): float(v) for label, v in zip(labels, values, strict=True)}


def _python(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds, for readable dicts and JSON."""
    return value.item() if isinstance(value, np.generic) else value


#: UAR as a scikit-learn scorer: ``cross_validate(..., scoring=uar_scorer)`` or
#: ``GridSearchCV(..., scoring={"uar": uar_scorer})``. scikit-learn's built-in
#: ``scoring="balanced_accuracy"`` computes the same value.
uar_scorer = make_scorer(unweighted_average_recall)


#: Bins of the top-label expected calibration error and the reliability diagram: 15 equal
#: widths over [0, 1], as in Guo et al. (2017), "On calibration of modern neural networks".
CALIBRATION_BINS = 15


def _check_proba(
    y_true: Any, y_proba: Any, labels: Sequence | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y_true``, ``y_proba`` and the labels of its columns, checked against each other."""
    y_true = np.asarray(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    if y_true.ndim != 1 or y_proba.ndim != 2 or len(y_true) != len(y_proba):
        raise ValueError(
            f"y_true must be 1-D and y_proba 2-D with one row per sample, got shapes "
            f"{y_true.shape} and {y_proba.shape}"
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty: there is nothing to score")
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if len(labels) != y_proba.shape[1]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are {len(labels)} labels "
            f"({labels.tolist()}): pass labels=, the classes in the order of y_proba's columns "
            "(a fitted model's classes_)"
        )
    if not np.isin(y_true, labels).all():
        unknown = sorted(set(y_true.tolist()) - set(labels.tolist()))
        raise ValueError(f"y_true holds labels that are not columns of y_proba: {unknown}")
    if not np.isfinite(y_proba).all():
        raise ValueError("y_proba holds NaN or infinite values")
    return y_true, y_proba, labels


def _top_label(
    y_true: Any, y_proba: Any, labels: Sequence | None
) -> tuple[np.ndarray, np.ndarray]:
    """The confidence of every top label (the largest probability) and whether it is right."""
    y_true, y_proba, labels = _check_proba(y_true, y_proba, labels)
    top = y_proba.argmax(axis=1)
    return y_proba[np.arange(len(top)), top], labels[top] == y_true


def reliability_curve(
    y_true: Any,
    y_proba: Any,
    *,
    labels: Sequence | None = None,
    n_bins: int = CALIBRATION_BINS,
) -> pd.DataFrame:
    """Accuracy against confidence of the top label, in equal-width confidence bins.

    A calibrated classifier's clips of confidence about 0.7 are right about 70 % of the time:
    its bins lie on the diagonal of a reliability diagram.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba`` (a fitted model's ``classes_``). By default,
        the sorted labels of ``y_true``, which must then hold every class.
    n_bins : int, default=15
        Equal-width bins over [0, 1]; bin ``i`` holds confidences in
        ``(i / n_bins, (i + 1) / n_bins]`` (the first also holds 0).

    Returns
    -------
    curve : pandas.DataFrame
        One row per bin holding at least one sample, with the columns ``low`` and ``high``
        (the bin's edges), ``confidence`` (mean top-label probability in the bin),
        ``accuracy`` (share of those top labels that are right) and ``count``.

    See Also
    --------
    expected_calibration_error : The count-weighted mean gap between the two columns.
    sersk.plots.reliability_figure : The curve as a reliability diagram.

    Examples
    --------
    >>> from sersk.metrics import reliability_curve
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]
    >>> reliability_curve(["a", "b", "b", "a"], y_proba, n_bins=2)
       low  high  confidence  accuracy  count
    0  0.5   1.0        0.75       0.5      4
    """
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    confidence, correct = _top_label(y_true, y_proba, labels)
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    rows = [
        {"low": b / n_bins, "high": (b + 1) / n_bins,
         "confidence": float(confidence[bins == b].mean()),
         "accuracy": float(correct[bins == b].mean()), "count": int((bins == b).sum())}
        for b in np.unique(bins)
    ]
    return pd.DataFrame(rows, columns=["low", "high", "confidence", "accuracy", "count"])


def expected_calibration_error(
    y_true: Any,
    y_proba: Any,
    *,
    labels: Sequence | None = None,
    n_bins: int = CALIBRATION_BINS,
) -> float:
    """Top-label expected calibration error (ECE): how far confidence is from accuracy.

    The clips are put in equal-width bins by the probability of their top label; ECE is the
    mean over bins of ``|accuracy - mean confidence|``, weighted by the bins' shares of the
    clips. 0 for a calibrated classifier; a classifier that always says 0.5 and is right
    80 % of the time has an ECE of 0.3.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba`` (a fitted model's ``classes_``). By default,
        the sorted labels of ``y_true``, which must then hold every class.
    n_bins : int, default=15
        Equal-width confidence bins over [0, 1].

    Returns
    -------
    ece : float
        In [0, 1].

    See Also
    --------
    reliability_curve : The bins it averages over.
    brier_score : A proper score of the whole probability vector.

    Examples
    --------
    >>> from sersk.metrics import expected_calibration_error
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]
    >>> expected_calibration_error(["a", "b", "b", "a"], y_proba, n_bins=2)  # |0.5 - 0.75|
    0.25
    """
    curve = reliability_curve(y_true, y_proba, labels=labels, n_bins=n_bins)
    gaps = (curve["accuracy"] - curve["confidence"]).abs()
    return round(float((gaps * curve["count"]).sum() / curve["count"].sum()), 12)


def brier_score(y_true: Any, y_proba: Any, *, labels: Sequence | None = None) -> float:
    """Multiclass Brier score: mean squared distance of the probabilities from the one-hot truth.

    ``mean over samples of sum over classes (p_k - [y = k])^2``, the original definition of
    Brier (1950): 0 for certain and right, 2 for certain and wrong; a classifier that says
    ``1 / n_classes`` for everything scores ``1 - 1 / n_classes``. Lower is better; unlike
    the ECE it also rewards sharp probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba``. By default, the sorted labels of ``y_true``.

    Returns
    -------
    brier : float
        In [0, 2].

    See Also
    --------
    sklearn.metrics.brier_score_loss : Its binary form (half of this one for two classes).

    Examples
    --------
    >>> from sersk.metrics import brier_score
    >>> brier_score(["a", "b"], [[0.75, 0.25], [0.5, 0.5]])  # (0.125 + 0.5) / 2
    0.3125
    """
    y_true, y_proba, labels = _check_proba(y_true, y_proba, labels)
    onehot = y_true[:, None] == labels[None, :]
    return float(((y_proba - onehot) ** 2).sum(axis=1).mean())


def confidence_auroc(y_true: Any, y_proba: Any, *, labels: Sequence | None = None) -> float:
    """How well the confidence tells right predictions from wrong ones: the area under the ROC.

    The probability of the top label is used as a score for "this prediction is right"; the
    AUROC is the chance that a randomly chosen right prediction has a higher confidence than a
    randomly chosen wrong one (ties count half). 0.5: the confidence carries no information
    about being right; 1: every right prediction is more confident than every wrong one. It
    ignores the scale of the probabilities, so it complements the ECE: abstaining below a
    confidence threshold pays only when it is well above 0.5.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba``. By default, the sorted labels of ``y_true``.

    Returns
    -------
    auroc : float
        In [0, 1]; NaN when every top label is right, or every one wrong.

    See Also
    --------
    accuracy_coverage : What abstaining at each confidence costs and gains.

    Examples
    --------
    >>> from sersk.metrics import confidence_auroc
    >>> y_proba = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.45, 0.55]]
    >>> confidence_auroc(["a", "b", "b", "a"], y_proba)  # right: 0.9, 0.7; wrong: 0.6, 0.55
    1.0
    """
    confidence, correct = _top_label(y_true, y_proba, labels)
    if correct.all() or not correct.any():
        return float("nan")
    return float(roc_auc_score(correct, confidence))


def accuracy_coverage(
    y_true: Any,
    y_proba: Any,
    *,
    labels: Sequence | None = None,
    thresholds: Any = None,
) -> pd.DataFrame:
    """Accuracy of the predictions kept when those below a confidence threshold abstain.

    A model that answers "uncertain" when its top probability is below ``t`` answers for the
    share ``coverage`` of the clips, and is right on ``accuracy`` of them. With an informative
    confidence, accuracy rises as the threshold rises and coverage falls.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba``. By default, the sorted labels of ``y_true``.
    thresholds : array-like of float, default=None
        Confidence thresholds; a clip is kept when its top probability is at least the
        threshold. By default 0 and every distinct confidence, so the curve has every
        achievable coverage.

    Returns
    -------
    curve : pandas.DataFrame
        One row per threshold, in increasing order, with the columns ``threshold``,
        ``coverage`` (share of clips kept), ``n_kept`` and ``accuracy`` (share of the kept
        clips whose top label is right; NaN when none is kept).

    See Also
    --------
    confidence_auroc : One number for how much abstaining can help.

    Examples
    --------
    >>> from sersk.metrics import accuracy_coverage
    >>> y_proba = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.45, 0.55]]
    >>> accuracy_coverage(["a", "b", "b", "a"], y_proba, thresholds=[0.5, 0.65, 0.95])
       threshold  coverage  n_kept  accuracy
    0       0.50       1.0       4       0.5
    1       0.65       0.5       2       1.0
    2       0.95       0.0       0       NaN
    """
    confidence, correct = _top_label(y_true, y_proba, labels)
    if thresholds is None:
        thresholds = np.unique(np.concatenate([[0.0], confidence]))
    thresholds = np.sort(np.asarray(thresholds, dtype=float).ravel())
    kept = confidence[None, :] >= thresholds[:, None]
    n_kept = kept.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(n_kept > 0, (kept & correct).sum(axis=1) / n_kept, np.nan)
    return pd.DataFrame({"threshold": thresholds, "coverage": n_kept / len(confidence),
                         "n_kept": n_kept, "accuracy": accuracy})


def calibration_scores(
    y_true: Any, y_proba: Any, *, labels: Sequence | None = None
) -> dict[str, float]:
    """Every probability score sersk reports for one set of predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as ``predict_proba`` returns them.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba``. By default, the sorted labels of ``y_true``.

    Returns
    -------
    scores : dict
        ``"ece"`` (:func:`expected_calibration_error`, 15 bins), ``"brier"``
        (:func:`brier_score`) and ``"auroc"`` (:func:`confidence_auroc`).

    Examples
    --------
    >>> from sersk.metrics import calibration_scores
    >>> scores = calibration_scores(["a", "b"], [[0.75, 0.25], [0.5, 0.5]])
    >>> sorted(scores)
    ['auroc', 'brier', 'ece']
    """
    return {
        "ece": expected_calibration_error(y_true, y_proba, labels=labels),
        "brier": brier_score(y_true, y_proba, labels=labels),
        "auroc": confidence_auroc(y_true, y_proba, labels=labels),
    }

"""Scores for emotion classifiers: unweighted average recall (UAR) first.

Emotional speech corpora are rarely balanced (RAVDESS has half as many neutral clips as any
other emotion; EmoDB ranges from 46 disgust to 127 anger clips), so accuracy rewards a model
for favouring the frequent classes. The field reports the **unweighted average recall**: the
recall of each emotion, averaged with equal weight per emotion. Chance level is
``1 / n_classes`` whatever the class balance.

The functions take label arrays (strings or integers) and never need a fitted model;
:data:`uar_scorer` adapts UAR to scikit-learn's ``scoring=`` argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, make_scorer
from sklearn.utils.multiclass import unique_labels

__all__ = [
    "per_class_recall",
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

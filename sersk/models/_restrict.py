"""Predictions restricted to a set of emotions: the classes a corpus or a user allows.

A model trained on eight emotions and applied to recordings that can only hold five (a corpus
that acts five, an application that cares about five) should choose among those five. The
usual cross-corpus convention does this: the highest-scoring class among the allowed ones is
the prediction, and the probabilities of the allowed classes are renormalised to sum to one,
which is the model's probability of each class given that the clip is one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..exceptions import SerskError

__all__ = ["UnknownEmotionError", "check_emotions", "predict_among", "restrict_probabilities"]


class UnknownEmotionError(SerskError, ValueError):
    """Emotions asked for that the model does not know."""


def check_emotions(classes: Iterable[Any], emotions: Iterable[Any]) -> np.ndarray:
    """The boolean mask of ``classes`` kept by ``emotions``; raise for unknown ones.

    Parameters
    ----------
    classes : iterable
        The model's classes, in its order (``model.classes_``).
    emotions : iterable
        The emotions to keep: at least one, each known to the model.

    Returns
    -------
    keep : ndarray of bool, shape (n_classes,)

    Raises
    ------
    UnknownEmotionError
        An emotion the model does not know, or none given.
    """
    classes = np.asarray(list(classes))
    emotions = list(dict.fromkeys(emotions))
    unknown = [e for e in emotions if e not in set(classes.tolist())]
    if unknown or not emotions:
        raise UnknownEmotionError(
            f"the model does not know {', '.join(map(str, unknown)) or 'an empty set'}: its "
            f"emotions are {', '.join(map(str, classes.tolist()))}"
        )
    return np.isin(classes, emotions)


def restrict_probabilities(proba: Any, classes: Iterable[Any], emotions: Iterable[Any]
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities restricted to ``emotions`` and renormalised to sum to one.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities in the order of ``classes``.
    classes : iterable
        The model's classes.
    emotions : iterable
        The emotions to keep, each one of ``classes``.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_kept)
        The kept classes' probabilities, divided by their sum (uniform where it is zero).
    kept : ndarray of shape (n_kept,)
        The kept classes, in the model's order.

    Examples
    --------
    >>> from sersk.models import restrict_probabilities
    >>> proba, kept = restrict_probabilities([[0.5, 0.3, 0.2]], ["calm", "sad", "angry"],
    ...                                      ["angry", "sad"])
    >>> kept.tolist(), proba.round(2).tolist()
    (['sad', 'angry'], [[0.6, 0.4]])
    """
    classes = np.asarray(list(classes))
    keep = check_emotions(classes, emotions)
    proba = np.asarray(proba, dtype=float)[:, keep]
    total = proba.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        proba = np.where(total > 0, proba / total, 1.0 / keep.sum())
    return proba, classes[keep]


def predict_among(estimator: Any, X: Any, emotions: Iterable[Any], **params: Any) -> np.ndarray:
    """The estimator's prediction, chosen among ``emotions`` only.

    The allowed class with the highest ``predict_proba`` (or, without it,
    ``decision_function``) wins. When ``emotions`` holds every class of the estimator, this is
    its ``predict``.

    Parameters
    ----------
    estimator : fitted classifier
        With ``classes_`` and ``predict_proba`` or ``decision_function``.
    X : array-like or list of audio inputs
        What the estimator predicts from.
    emotions : iterable
        The allowed classes, each one of ``estimator.classes_``.
    **params : dict
        Passed to the estimator's prediction method (``speakers=``, ``domains=`` with
        metadata routing).

    Returns
    -------
    y_pred : ndarray of shape (n_samples,)

    Raises
    ------
    UnknownEmotionError
        An emotion the estimator does not know.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.models import predict_among
    >>> X = np.array([[0.0], [1.0], [2.0]] * 3)
    >>> model = LogisticRegression(C=100).fit(X, ["calm", "sad", "angry"] * 3)
    >>> model.predict([[0.8]]).tolist(), predict_among(model, [[0.8]], ["calm", "angry"]).tolist()
    (['sad'], ['calm'])
    """
    classes = np.asarray(estimator.classes_)
    keep = check_emotions(classes, emotions)
    if keep.all():
        return np.asarray(estimator.predict(X, **params))
    if hasattr(estimator, "predict_proba"):
        scores = np.asarray(estimator.predict_proba(X, **params), dtype=float)
    else:
        scores = np.asarray(estimator.decision_function(X, **params), dtype=float)
        if scores.ndim == 1:  # binary: the score of the second class
            scores = np.column_stack([-scores, scores])
    scores = np.where(keep, scores, -np.inf)
    return classes[scores.argmax(axis=1)]

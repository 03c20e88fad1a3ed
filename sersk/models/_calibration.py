"""Calibrated probabilities for a classifier that has only decision values, such as an SVM."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["DecisionCalibratedClassifier"]


class DecisionCalibratedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Probabilities from a multinomial logistic regression on out-of-fold decision values.

    The classifier is cross-validated on the training data to get a decision vector for every
    clip from a model that did not see it; a multinomial logistic regression learns from those
    vectors how likely each class is; the classifier is then refitted on all the training
    data, and its decision values on new clips go through that regression. For an
    :class:`~sklearn.svm.SVC` with ``decision_function_shape="ovo"`` the regression reads all
    ``n_classes * (n_classes - 1) / 2`` pairwise margins (the information that pairwise
    coupling uses), rather than the one-vs-rest vote counts whose probabilities,
    temperature-scaled, fall off the same way on every clip. It is scikit-learn's stacking
    (:class:`~sklearn.ensemble.StackingClassifier` with one estimator and
    ``stack_method="decision_function"``) under the parameter names of
    :class:`~sklearn.calibration.CalibratedClassifierCV` (``estimator__C``).

    Parameters
    ----------
    estimator : estimator object
        A classifier with ``decision_function``, cloned before fitting.
    cv : int, cross-validation generator or iterable, default=5
        The folds of the out-of-fold decision values, as in ``cross_val_predict``; an integer
        is a :class:`~sklearn.model_selection.StratifiedKFold` without shuffling, with fewer
        folds (at least 2) when the rarest class has fewer clips than that. Clips of the
        same speaker in other folds make the decision values more confident than they will
        be on new speakers, so unshuffled folds over clips ordered by speaker (as
        :func:`sersk.datasets.load_corpus` lists them) give probabilities closer to what a
        new speaker sees.
    alpha : float, default=0.01
        L2 penalty of the logistic regression per training clip: it minimises the mean
        log-loss plus ``alpha / 2 * ||w||^2``, that is scikit-learn's
        ``LogisticRegression(C=1 / (alpha * n_samples))``. Larger values pull the
        probabilities towards the class shares. Stated per clip so that the same value
        suits a corpus of 400 clips and one of 1,500: a fixed ``C`` regularises small
        training sets more, and their probabilities come out underconfident.

    Attributes
    ----------
    estimator_ : estimator object
        The classifier fitted on all the training data.
    calibrator_ : sklearn.linear_model.LogisticRegression
        The regression from decision values to probabilities (its ``C`` from ``alpha``).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit`` (when the estimator records it).

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : Per-class sigmoid, isotonic or temperature
        calibration of one decision vector.
    sklearn.ensemble.StackingClassifier : The same construction, for several estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from sersk.models import DecisionCalibratedClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["angry", "calm", "sad"], 30)
    >>> X = rng.normal(size=(90, 4)) + (y[:, None] == ["angry", "calm", "sad", "x"])
    >>> model = DecisionCalibratedClassifier(SVC(decision_function_shape="ovo")).fit(X, y)
    >>> proba = model.predict_proba(X[:2])
    >>> proba.shape, np.allclose(proba.sum(axis=1), 1)
    ((2, 3), True)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "decision_function"])],
        "cv": ["cv_object"],
        "alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, estimator: Any, *, cv: Any = 5, alpha: float = 0.01):
        self.estimator = estimator
        self.cv = cv
        self.alpha = alpha

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> DecisionCalibratedClassifier:
        """Fit the calibrator on out-of-fold decision values, then the classifier on all.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as the estimator takes it.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : DecisionCalibratedClassifier
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        cv = self.cv
        if isinstance(cv, Integral):
            rarest = int(np.unique(y, return_counts=True)[1].min())
            if rarest < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 training samples of every class "
                    "to calibrate on held-out decision values; the rarest class has "
                    f"{rarest} sample")
            cv = min(cv, rarest)
        cv = check_cv(cv, y, classifier=True)
        decisions = cross_val_predict(clone(self.estimator), X, y, cv=cv,
                                      method="decision_function")
        self.calibrator_ = LogisticRegression(C=1.0 / (self.alpha * len(y)), max_iter=5000).fit(
            self._as_matrix(decisions), y)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.calibrator_.classes_
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    @staticmethod
    def _as_matrix(decisions: np.ndarray) -> np.ndarray:
        decisions = np.asarray(decisions, dtype=float)
        return decisions.reshape(-1, 1) if decisions.ndim == 1 else decisions

    def decision_function(self, X: Any) -> np.ndarray:
        """The calibrator's log-odds: the logarithm of ``predict_proba`` up to a constant.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
        """
        check_is_fitted(self)
        return self.calibrator_.decision_function(
            self._as_matrix(self.estimator_.decision_function(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.calibrator_.predict_proba(
            self._as_matrix(self.estimator_.decision_function(X)))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = clone(self.estimator).__sklearn_tags__()
        tags.input_tags = inner.input_tags
        return tags

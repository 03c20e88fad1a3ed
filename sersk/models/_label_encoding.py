"""A meta-classifier that lets integer-label classifiers (XGBoost) learn emotion strings."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["LabelEncodedClassifier"]


def _estimator_has(attr: str):
    """Whether the fitted (or, before fitting, the given) estimator has ``attr``."""

    def check(self) -> bool:
        estimator = getattr(self, "estimator_", self.estimator)
        return hasattr(estimator, attr)

    return check


class LabelEncodedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit a classifier on labels encoded as ``0 … n_classes - 1``; predict the original labels.

    XGBoost's ``XGBClassifier`` (and some other libraries' classifiers) accept only integer
    class labels ``0 … n_classes - 1``, while sersk pipelines learn emotion names such as
    ``"angry"``. This wrapper encodes the labels before fitting and decodes the predictions,
    so the pipeline's ``classes_`` are the emotion names, in the same order as the columns
    of ``predict_proba``.

    It also gives such classifiers scikit-learn's ``class_weight``, as sample weights.

    Parameters
    ----------
    estimator : classifier object
        The classifier to fit on the encoded labels. It is cloned when fitting.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, passed to ``estimator.fit`` as ``sample_weight``:
        ``"balanced"`` weighs each class inversely to its frequency (``n_samples /
        (n_classes * n_class_samples)``); a dict maps original labels to weights. Multiplied
        with the ``sample_weight`` given to :meth:`fit`, if any.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The original class labels, sorted; ``classes_[i]`` is encoded as ``i``.
    estimator_ : classifier object
        The fitted clone of ``estimator``.
    n_features_in_ : int
        Number of features seen during fit, when the estimator reports it.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when the estimator reports them.

    See Also
    --------
    sklearn.preprocessing.LabelEncoder : The encoding used here.

    Examples
    --------
    >>> import numpy as np
    >>> from xgboost import XGBClassifier
    >>> from sersk.models import LabelEncodedClassifier
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [2.0], [2.1]])
    >>> y = np.array(["calm", "calm", "happy", "happy", "angry", "angry"])
    >>> clf = LabelEncodedClassifier(XGBClassifier(n_estimators=5, n_jobs=1))
    >>> clf.fit(X, y).classes_.tolist()
    ['angry', 'calm', 'happy']
    >>> clf.predict([[0.05], [2.05]]).tolist()
    ['calm', 'angry']
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, estimator: Any, *, class_weight: dict | str | None = None):
        self.estimator = estimator
        self.class_weight = class_weight

    @_fit_context(
        # The wrapped estimator validates its own parameters.
        prefer_skip_nested_validation=False
    )
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LabelEncodedClassifier:
        """Fit the estimator on the encoded labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or what the estimator accepts
            Training data, passed to the estimator unchanged.
        y : array-like of shape (n_samples,)
            Class labels of any type ``numpy.unique`` can sort.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, multiplied with the class weights.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        weight = None
        if self.class_weight is not None:
            weight = compute_sample_weight(self.class_weight, y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            weight = sample_weight if weight is None else weight * sample_weight
        fit_params = {} if weight is None else {"sample_weight": weight}
        self.estimator_ = clone(self.estimator).fit(X, y_encoded, **fit_params)
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attr):
                setattr(self, attr, getattr(self.estimator_, attr))
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict the original class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or what the estimator accepts
            The samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        encoded = np.asarray(self.estimator_.predict(X)).astype(np.intp, copy=False)
        return self.classes_[encoded.ravel()]

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or what the estimator accepts
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of the class probabilities, in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or what the estimator accepts
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """The estimator's decision function, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or what the estimator accepts
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags

"""LabelEncodedClassifier: scikit-learn's estimator checks, and XGBoost on emotion strings."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from xgboost import XGBClassifier

from sersk.models import LabelEncodedClassifier


def _xgb(**params):
    return XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1, random_state=0, **params)


# Checks the wrapper cannot pass when XGBoost is inside it, because XGBoost itself does not:
# the wrapper hands the data to the estimator unchanged, so the estimator's behaviour shows.
XGB_EXPECTED_FAILURES = {
    "check_n_features_in_after_fitting": "XGBoost checks the number of features itself, with "
    "its own error message",
    "check_estimators_empty_data_messages": "XGBoost's own message for data without columns",
    "check_fit2d_predict1d": "XGBoost's own message for 1-D input",
    "check_all_zero_sample_weights_error": "XGBoost's own message for all-zero weights",
    "check_sample_weight_equivalence_on_dense_data": "XGBoost's min_child_weight and "
    "base_score make weights and repetitions differ slightly",
    "check_sample_weight_equivalence_on_sparse_data": "as on dense data",
}


def _expected_failures(estimator):
    if isinstance(estimator.estimator, XGBClassifier):
        return XGB_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(
    [
        LabelEncodedClassifier(LogisticRegression()),
        LabelEncodedClassifier(_xgb(), class_weight="balanced"),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture
def emotions():
    rng = np.random.default_rng(0)
    classes = np.array(["angry", "calm", "sad"])
    y = rng.choice(classes, 90, p=[0.5, 0.3, 0.2])
    X = rng.normal(size=(90, 4)) + 2 * (y[:, None] == classes[:3]).astype(float) @ np.eye(3, 4)
    return X, y


def test_xgboost_learns_strings(emotions):
    X, y = emotions
    clf = LabelEncodedClassifier(_xgb(), class_weight="balanced").fit(X, y)
    assert clf.classes_.tolist() == ["angry", "calm", "sad"]
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert (clf.predict(X) == y).mean() > 0.8
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.n_features_in_ == 4


def test_binary_and_integer_labels(emotions):
    X, y = emotions
    y2 = np.where(y == "angry", 7, 3)
    clf = LabelEncodedClassifier(_xgb()).fit(X, y2)
    assert clf.classes_.tolist() == [3, 7]
    assert set(clf.predict(X)) <= {3, 7}
    assert clf.predict_proba(X).shape == (90, 2)


def test_balanced_class_weight_is_sample_weight(emotions):
    X, y = emotions
    counts = {label: (y == label).sum() for label in np.unique(y)}
    weights = np.array([len(y) / (3 * counts[label]) for label in y])
    balanced = LabelEncodedClassifier(_xgb(), class_weight="balanced").fit(X, y)
    manual = LabelEncodedClassifier(_xgb()).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(balanced.predict_proba(X), manual.predict_proba(X))
    unweighted = LabelEncodedClassifier(_xgb()).fit(X, y)
    assert not np.allclose(balanced.predict_proba(X), unweighted.predict_proba(X))


def test_dict_class_weight_times_sample_weight(emotions):
    X, y = emotions
    class_weight = {"angry": 1.0, "calm": 2.0, "sad": 3.0}
    sample_weight = np.linspace(0.5, 1.5, len(y))
    combined = LabelEncodedClassifier(_xgb(), class_weight=class_weight).fit(
        X, y, sample_weight=sample_weight
    )
    manual = LabelEncodedClassifier(_xgb()).fit(
        X, y, sample_weight=sample_weight * np.vectorize(class_weight.get)(y)
    )
    np.testing.assert_allclose(combined.predict_proba(X), manual.predict_proba(X))


def test_methods_follow_the_estimator():
    from sklearn.svm import LinearSVC

    assert hasattr(LabelEncodedClassifier(LogisticRegression()), "predict_proba")
    assert not hasattr(LabelEncodedClassifier(LinearSVC()), "predict_proba")
    assert hasattr(LabelEncodedClassifier(LinearSVC()), "decision_function")


def test_invalid_class_weight(emotions):
    X, y = emotions
    with pytest.raises(ValueError, match="class_weight"):
        LabelEncodedClassifier(_xgb(), class_weight="equal").fit(X, y)


def test_nested_params_and_joblib_round_trip(emotions, tmp_path):
    X, y = emotions
    pipe = make_pipeline(StandardScaler(), LabelEncodedClassifier(_xgb()))
    pipe.set_params(labelencodedclassifier__estimator__max_depth=3)
    assert pipe.get_params()["labelencodedclassifier__estimator__max_depth"] == 3
    pipe.fit(X, y)
    joblib.dump(pipe, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded.classes_.tolist() == ["angry", "calm", "sad"]

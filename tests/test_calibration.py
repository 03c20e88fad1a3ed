"""DecisionCalibratedClassifier, and the SVM pipelines' probabilities: informative and
calibrated, not the fixed ladder of temperature-scaled vote counts (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import pipelines
from sersk.datasets import audio_inputs, make_emotional_speech
from sersk.metrics import (
    calibration_scores,
    confidence_auroc,
    expected_calibration_error,
    unweighted_average_recall,
)
from sersk.model_selection import cross_validate_speakers
from sersk.models import DecisionCalibratedClassifier


@parametrize_with_checks([DecisionCalibratedClassifier(SVC(decision_function_shape="ovo"),
                                                       cv=2)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _blobs(n_per_class=60, n_classes=4, noise_seed=0):
    """Overlapping Gaussian classes around the same centres whatever ``noise_seed``."""
    centres = np.random.default_rng(0).normal(scale=2.0, size=(n_classes, 5))
    y = np.repeat(np.array([f"c{k}" for k in range(n_classes)]), n_per_class)
    X = centres[np.repeat(np.arange(n_classes), n_per_class)]
    return X + np.random.default_rng(noise_seed).normal(scale=1.3, size=X.shape), y


def test_probabilities_are_calibrated_and_informative_on_held_out_data():
    X, y = _blobs()
    X_test, y_test = _blobs(n_per_class=250, noise_seed=1)
    model = DecisionCalibratedClassifier(SVC(decision_function_shape="ovo")).fit(X, y)
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X_test), model.classes_[proba.argmax(axis=1)])
    scores = calibration_scores(y_test, proba, labels=model.classes_)
    assert scores["ece"] < 0.1
    assert scores["auroc"] > 0.75


def test_svm_pipeline_probabilities_are_not_a_ladder_and_are_calibrated():
    """handcrafted-svm had ~0.50, 0.25, 0.125 ... on every clip (temperature-scaled one-vs-rest
    vote counts): a confidence with no information. Now it varies from clip to clip, is
    higher on the clips it gets right, and matches its accuracy, on new speakers."""
    frame = make_emotional_speech(n_speakers=8, n_utterances=6, duration=0.8,
                                  emotions=("angry", "sad", "happy", "neutral"),
                                  random_state=0)
    X, y = audio_inputs(frame), frame["emotion"].to_numpy()
    model = pipelines.make("mfcc-svm", n_mfcc=13, n_jobs=1)
    results, clips = cross_validate_speakers(model, X, y, speakers=frame["speaker"], n_splits=4,
                                             return_predictions=True)
    labels = results.attrs["labels"]
    proba = clips[[f"proba_{label}" for label in labels]].to_numpy()
    # Measured: top probabilities spread over 0.62, AUROC 0.69, ECE 0.11, UAR 0.61; the
    # temperature-scaled vote counts gave a spread of 0.17, AUROC 0.47, ECE 0.10, UAR 0.62.
    top = proba.max(axis=1)
    assert np.ptp(top) > 0.4
    assert confidence_auroc(clips["y_true"], proba, labels=labels) > 0.6
    assert expected_calibration_error(clips["y_true"], proba, labels=labels) < 0.15
    assert unweighted_average_recall(clips["y_true"], clips["y_pred"]) > 0.5


def test_two_classes():
    X, y = _blobs(n_classes=2)
    model = DecisionCalibratedClassifier(SVC(), cv=3).fit(X, y)
    assert model.predict_proba(X).shape == (len(X), 2)
    assert model.decision_function(X).shape == (len(X),)


def test_parameters_keep_calibratedclassifiercv_names():
    model = pipelines.make("handcrafted-svm", svc__estimator__C=10.0)
    svc = model.named_steps["svc"]
    assert isinstance(svc, DecisionCalibratedClassifier)
    assert svc.estimator.C == 10.0 and svc.estimator.decision_function_shape == "ovo"


def test_refuses_an_estimator_without_decision_function():
    from sklearn.naive_bayes import GaussianNB

    X, y = _blobs()
    with pytest.raises(ValueError, match="decision_function"):
        DecisionCalibratedClassifier(GaussianNB()).fit(X, y)


def test_fewer_folds_when_a_class_is_rare():
    X, y = _blobs(n_per_class=3)
    model = DecisionCalibratedClassifier(SVC(decision_function_shape="ovo"), cv=5).fit(X, y)
    assert model.predict_proba(X).shape == (len(X), 4)  # 3 folds, not 5
    with pytest.raises(ValueError, match="at least 2 training samples of every class.*has 1"):
        DecisionCalibratedClassifier(SVC()).fit(X[2:], y[2:])

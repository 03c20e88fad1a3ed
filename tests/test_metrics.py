"""Metrics against values computed by hand, and against scikit-learn where it agrees."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import cross_val_score

from sersk.metrics import (
    accuracy_coverage,
    brier_score,
    calibration_scores,
    confidence_auroc,
    expected_calibration_error,
    per_class_recall,
    reliability_curve,
    score_predictions,
    uar_scorer,
    unweighted_average_recall,
)

# 10 clips: 6 angry, 3 sad, 1 calm.
Y_TRUE = ["angry"] * 6 + ["sad"] * 3 + ["calm"]
Y_PRED = ["angry"] * 5 + ["sad"] + ["sad", "sad", "angry"] + ["sad"]
# angry: 5/6 recalled; sad: 2/3; calm: 0/1.


def test_uar_hand_computed():
    assert unweighted_average_recall(Y_TRUE, Y_PRED) == pytest.approx((5 / 6 + 2 / 3 + 0) / 3)


def test_uar_is_not_accuracy_on_imbalanced_data():
    y_true = ["neutral"] * 9 + ["angry"]
    y_pred = ["neutral"] * 10
    assert unweighted_average_recall(y_true, y_pred) == 0.5
    assert score_predictions(y_true, y_pred)["accuracy"] == 0.9


def test_per_class_recall_hand_computed():
    assert per_class_recall(Y_TRUE, Y_PRED) == pytest.approx(
        {"angry": 5 / 6, "calm": 0.0, "sad": 2 / 3}
    )


def test_per_class_recall_label_order_and_absent_class():
    recall = per_class_recall(Y_TRUE, Y_PRED, labels=["sad", "happy", "angry", "calm"])
    assert list(recall) == ["sad", "happy", "angry", "calm"]
    assert np.isnan(recall["happy"])  # no true "happy" clip: undefined, not zero


def test_uar_skips_classes_without_true_samples():
    # "happy" is predicted once but never true: it costs "sad" a hit, nothing more.
    y_true = ["sad", "sad", "angry", "angry"]
    y_pred = ["sad", "happy", "angry", "angry"]
    assert unweighted_average_recall(y_true, y_pred) == pytest.approx((0.5 + 1) / 2)
    assert unweighted_average_recall(
        y_true, y_pred, labels=["angry", "happy", "sad"]
    ) == pytest.approx(0.75)


def test_score_predictions_hand_computed():
    scores = score_predictions(Y_TRUE, Y_PRED)
    assert scores["labels"] == ["angry", "calm", "sad"]
    np.testing.assert_array_equal(
        scores["confusion_matrix"],
        [[5, 0, 1],   # angry: 5 right, 1 as sad
         [0, 0, 1],   # calm: as sad
         [1, 0, 2]],  # sad: 2 right, 1 as angry
    )
    assert scores["accuracy"] == pytest.approx(7 / 10)
    assert scores["uar"] == pytest.approx((5 / 6 + 0 + 2 / 3) / 3)
    # F1 per class = 2 TP / (n_true + n_pred): angry 10/12, calm 0, sad 4/7.
    assert scores["macro_f1"] == pytest.approx((10 / 12 + 0 + 4 / 7) / 3)
    assert scores["per_class_recall"] == pytest.approx({"angry": 5 / 6, "calm": 0, "sad": 2 / 3})


def test_score_predictions_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    classes = np.array(["angry", "calm", "happy", "sad"])
    y_true = rng.choice(classes, 200, p=[0.4, 0.3, 0.2, 0.1])
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.choice(classes, 200))
    scores = score_predictions(y_true, y_pred)
    assert scores["uar"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert scores["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_score_predictions_explicit_labels_order_the_matrix():
    scores = score_predictions(["a", "b", "b"], ["b", "b", "b"], labels=["b", "a", "c"])
    assert scores["labels"] == ["b", "a", "c"]
    np.testing.assert_array_equal(
        scores["confusion_matrix"], [[2, 0, 0], [1, 0, 0], [0, 0, 0]]
    )
    assert scores["uar"] == pytest.approx(0.5)  # "c" has no clip and is not averaged


def test_integer_labels_come_back_as_python_ints():
    scores = score_predictions(np.array([0, 1, 1]), np.array([0, 1, 0]))
    assert scores["labels"] == [0, 1] and type(scores["labels"][0]) is int


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([], [], "empty"),
        (["a", "b"], ["a"], "same length"),
    ],
)
def test_bad_inputs(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        unweighted_average_recall(y_true, y_pred)


def test_labels_absent_from_y_true():
    with pytest.raises(ValueError, match="none of the labels"):
        score_predictions(["a"], ["a"], labels=["b"])


def test_uar_scorer_in_cross_val_score():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "calm"], [30, 10])
    X = rng.normal(size=(40, 2)) + (y == "angry")[:, None] * 2
    ours = cross_val_score(LogisticRegression(), X, y, cv=2, scoring=uar_scorer)
    theirs = cross_val_score(LogisticRegression(), X, y, cv=2, scoring="balanced_accuracy")
    np.testing.assert_allclose(ours, theirs)


# Probability scores, against values worked out by hand. Four clips, two classes:
# top labels a (0.9, right), a (0.8, wrong), b (0.6, right), b (0.7, wrong).
P_TRUE = ["a", "b", "b", "a"]
P_PROBA = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]


def test_reliability_curve_hand_computed():
    curve = reliability_curve(P_TRUE, P_PROBA, n_bins=5)
    # Bins (0.4, 0.6], (0.6, 0.8], (0.8, 1.0]: 0.6 | 0.8, 0.7 | 0.9.
    assert curve["high"].tolist() == pytest.approx([0.6, 0.8, 1.0])
    assert curve["count"].tolist() == [1, 2, 1]
    assert curve["confidence"].tolist() == pytest.approx([0.6, 0.75, 0.9])
    assert curve["accuracy"].tolist() == pytest.approx([1.0, 0.0, 1.0])


def test_ece_hand_computed():
    # |1 - 0.6| * 1/4 + |0 - 0.75| * 2/4 + |1 - 0.9| * 1/4 = 0.1 + 0.375 + 0.025
    assert expected_calibration_error(P_TRUE, P_PROBA, n_bins=5) == pytest.approx(0.5)
    # One bin: |0.5 - 0.75|.
    assert expected_calibration_error(P_TRUE, P_PROBA, n_bins=1) == pytest.approx(0.25)


def test_ece_is_zero_when_confidence_matches_accuracy():
    # Ten clips at 0.7, seven right: calibrated.
    y_true = ["a"] * 7 + ["b"] * 3
    proba = [[0.7, 0.3]] * 10
    assert expected_calibration_error(y_true, proba) == pytest.approx(0.0)


def test_the_geometric_ladder_has_no_information():
    """The bug of issue 13: the same probabilities, in the same order, on every clip."""
    rng = np.random.default_rng(0)
    ladder = np.array([0.5, 0.25, 0.125, 0.125])
    proba = np.array([rng.permutation(ladder) for _ in range(200)])
    labels = np.array(["a", "b", "c", "d"])
    y_true = np.where(rng.random(200) < 0.6, labels[proba.argmax(axis=1)],
                      rng.choice(labels, 200))
    assert confidence_auroc(y_true, proba, labels=labels) == pytest.approx(0.5)


def test_brier_hand_computed():
    # (0.01 + 0.01) + (0.64 + 0.64) + (0.16 + 0.16) + (0.49 + 0.49), over 4 clips.
    assert brier_score(P_TRUE, P_PROBA) == pytest.approx(2.6 / 4)
    # Uniform probabilities over k classes: 1 - 1/k.
    assert brier_score(["a", "b", "c"], np.full((3, 3), 1 / 3)) == pytest.approx(2 / 3)


def test_brier_two_classes_is_twice_sklearns():
    from sklearn.metrics import brier_score_loss

    y = np.array([0, 1, 1, 0, 1])
    p1 = np.array([0.2, 0.9, 0.4, 0.3, 0.6])
    proba = np.column_stack([1 - p1, p1])
    assert brier_score(y, proba) == pytest.approx(2 * brier_score_loss(y, p1))


def test_confidence_auroc_hand_computed():
    # Right: 0.9, 0.6; wrong: 0.8, 0.7. Pairs right > wrong: (0.9, 0.8), (0.9, 0.7): 2 of 4.
    assert confidence_auroc(P_TRUE, P_PROBA) == pytest.approx(0.5)
    # All right: undefined.
    assert np.isnan(confidence_auroc(["a", "b"], [[0.9, 0.1], [0.2, 0.8]]))


def test_accuracy_coverage_hand_computed():
    curve = accuracy_coverage(P_TRUE, P_PROBA)
    # Thresholds 0 and every confidence; kept = confidence >= threshold.
    assert curve["threshold"].tolist() == pytest.approx([0.0, 0.6, 0.7, 0.8, 0.9])
    assert curve["n_kept"].tolist() == [4, 4, 3, 2, 1]
    assert curve["coverage"].tolist() == pytest.approx([1, 1, 0.75, 0.5, 0.25])
    assert curve["accuracy"].tolist() == pytest.approx([0.5, 0.5, 1 / 3, 0.5, 1.0])


def test_probability_scores_take_the_columns_order_from_labels():
    proba = np.array(P_PROBA)[:, ::-1]  # columns b, a
    assert expected_calibration_error(P_TRUE, proba, labels=["b", "a"], n_bins=5) == \
        pytest.approx(0.5)
    assert calibration_scores(P_TRUE, proba, labels=["b", "a"]) == pytest.approx(
        calibration_scores(P_TRUE, P_PROBA))


def test_probability_scores_refuse_mismatched_input():
    with pytest.raises(ValueError, match="3 columns but there are 2 labels"):
        brier_score(["a", "b"], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="not columns of y_proba: \\['c'\\]"):
        brier_score(["a", "c"], [[0.5, 0.5]] * 2, labels=["a", "b"])
    with pytest.raises(ValueError, match="one row per sample"):
        expected_calibration_error(["a"], [[0.5, 0.5]] * 2)
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        reliability_curve(P_TRUE, P_PROBA, n_bins=0)

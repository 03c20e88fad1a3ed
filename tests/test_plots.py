"""The figures of sersk.plots: what they draw, read back from the matplotlib objects."""

from __future__ import annotations

import numpy as np
import pytest

from sersk.metrics import accuracy_coverage, reliability_curve
from sersk.plots import (
    accuracy_coverage_figure,
    confusion_matrix_figure,
    recall_figure,
    reliability_figure,
    training_curves_figure,
)


def test_recall_figure_bars_labels_and_chance():
    figure = recall_figure({"angry": 0.8, "calm": np.nan, "sad": 0.5},
                           errors={"angry": 0.1, "sad": 0.05}, chance=1 / 3, title="t")
    ax = figure.axes[0]
    assert ax.get_title() == "t"
    assert [p.get_height() for p in ax.patches] == [0.8, 0.0, 0.5]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["angry", "calm", "sad"]
    assert {t.get_text() for t in ax.texts} == {"0.80", "–", "0.50"}
    chance = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert chance and chance[0].get_ydata()[0] == pytest.approx(1 / 3)


def test_training_curves_one_panel_per_metric():
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "val_uar": [0.3, 0.5, 0.6],
               "learning_rate": [1e-3] * 3}
    figure = training_curves_figure(history)
    assert [ax.get_title() for ax in figure.axes] == ["loss", "uar"]
    loss = figure.axes[0]
    assert [line.get_linestyle() for line in loss.lines] == ["-", "--"]
    np.testing.assert_array_equal(loss.lines[0].get_xdata(), [1, 2, 3])
    per_fold = training_curves_figure([history, {"loss": [0.9, 0.5]}])
    assert len(per_fold.axes[0].lines) == 3
    with pytest.raises(ValueError, match="empty"):
        training_curves_figure({})


def test_confusion_matrix_figure_is_still_in_tracking():
    from sersk import tracking

    assert tracking.confusion_matrix_figure is confusion_matrix_figure


Y_TRUE = ["a", "b", "b", "a"]
Y_PROBA = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]


def test_reliability_figure_draws_each_model_against_the_diagonal():
    curve = reliability_curve(Y_TRUE, Y_PROBA, n_bins=5)
    figure = reliability_figure({"svm": curve, "other": curve}, title="t")
    ax = figure.axes[0]
    assert ax.get_title() == "t"
    diagonal, svm, other = ax.lines
    assert diagonal.get_linestyle() == "--"
    np.testing.assert_allclose(svm.get_xdata(), [0.6, 0.75, 0.9])
    np.testing.assert_allclose(svm.get_ydata(), [1.0, 0.0, 1.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["calibrated", "svm", "other"]
    assert len(reliability_figure(curve).axes[0].lines) == 2  # one curve, unnamed
    with pytest.raises(ValueError, match="empty"):
        reliability_figure({})


def test_accuracy_coverage_figure_draws_the_kept_share():
    curve = accuracy_coverage(Y_TRUE, Y_PROBA, thresholds=[0.0, 0.65, 0.85, 0.95])
    ax = accuracy_coverage_figure({"svm": curve}).axes[0]
    (line,) = ax.lines
    # Coverage 0 (nothing kept, accuracy undefined) is left out; sorted by coverage.
    np.testing.assert_allclose(line.get_xdata(), [0.25, 0.75, 1.0])
    np.testing.assert_allclose(line.get_ydata(), [1.0, 1 / 3, 0.5])

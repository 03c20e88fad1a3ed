"""The figures of sersk.plots: what they draw, read back from the matplotlib objects."""

from __future__ import annotations

import numpy as np
import pytest

from sersk.plots import confusion_matrix_figure, recall_figure, training_curves_figure


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

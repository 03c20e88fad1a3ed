"""Figures of results: confusion matrix, per-class recall, training curves, and how far the
confidences can be trusted (reliability diagram, accuracy against coverage).

Drawn on matplotlib's Agg canvas directly, without ``pyplot`` or changing the global backend,
so they work on headless machines and inside other programs' matplotlib sessions; matplotlib
is imported inside the functions. Each returns a :class:`matplotlib.figure.Figure`; save it
with ``figure.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "accuracy_coverage_figure",
    "confusion_matrix_figure",
    "recall_figure",
    "reliability_figure",
    "training_curves_figure",
]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def confusion_matrix_figure(matrix: Any, labels: list, *, title: str | None = None):
    """A confusion matrix as a matplotlib figure: row-normalised colours, counts in the cells.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes)
        Counts, true classes in rows and predicted classes in columns.
    labels : list of length n_classes
        Class names, in the order of the rows.
    title : str, default=None
        Title above the matrix; by default "Confusion matrix (recall per row)".

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    recall_figure : The diagonal of the row-normalised matrix, as bars.
    """
    matrix = np.asarray(matrix)
    support = matrix.sum(axis=1, keepdims=True)
    recall = np.divide(matrix, support, out=np.zeros(matrix.shape), where=support > 0)
    size = 1.5 + 0.6 * len(labels)
    figure = _figure(size + 1.5, size)
    ax = figure.add_subplot()
    image = ax.imshow(recall, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=ax, label="share of the true class")
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, [str(label) for label in labels], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(label) for label in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "Confusion matrix (recall per row)")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if recall[i, j] > 0.5 else "black", fontsize=8)
    figure.tight_layout()
    return figure


def recall_figure(
    recall: Mapping[Any, float],
    *,
    errors: Mapping[Any, float] | None = None,
    chance: float | None = None,
    title: str | None = None,
):
    """Per-class recall as a bar chart, with the chance level as a line.

    Parameters
    ----------
    recall : mapping
        ``{label: recall}``, such as :func:`sersk.metrics.per_class_recall` returns; NaN
        recalls (classes never in the test data) are drawn as missing bars.
    errors : mapping, default=None
        ``{label: half-length}`` of an error bar per class, such as the standard deviation
        over folds.
    chance : float, default=None
        Chance level, drawn as a dashed line (``1 / n_classes`` for recall).
    title : str, default=None
        By default "Recall per class".

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    sersk.metrics.per_class_recall : The values drawn.
    confusion_matrix_figure : Where the misses went.
    """
    labels = list(recall)
    values = np.array([recall[label] for label in labels], dtype=float)
    figure = _figure(1.5 + 0.55 * len(labels), 3.2)
    ax = figure.add_subplot()
    positions = np.arange(len(labels))
    yerr = None if errors is None else [errors.get(label, np.nan) for label in labels]
    ax.bar(positions, np.nan_to_num(values), yerr=yerr, color="#4c72b0", capsize=3,
           error_kw={"elinewidth": 1, "ecolor": "#333"})
    # Values inside the bars, at their foot: clear of the error bars and the chance line.
    for x, value in zip(positions, values, strict=True):
        ax.text(x, 0.02, "–" if np.isnan(value) else f"{value:.2f}", ha="center",
                va="bottom", fontsize=7, color="black" if np.isnan(value) else "white")
    if chance is not None:
        ax.axhline(chance, color="#c44e52", linestyle="--", linewidth=1,
                   label=f"chance {chance:.3f}")
        ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    ax.set_xticks(positions, [str(label) for label in labels], rotation=45, ha="right")
    ax.set_ylim(0, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("recall")
    ax.set_title(title or "Recall per class")
    figure.tight_layout()
    return figure


def training_curves_figure(
    history: Mapping[str, Sequence[float]] | Sequence[Mapping[str, Sequence[float]]],
    *,
    title: str | None = None,
):
    """Loss and the other metrics of a Keras training, per epoch.

    Parameters
    ----------
    history : mapping or list of mappings
        ``{metric: values per epoch}``, as the ``history_`` of
        :class:`sersk.models.KerasCRNNClassifier` and the other Keras classifiers (or
        ``keras.callbacks.History.history``); a list of them (one per fold) draws one line
        per fold. ``val_<metric>`` is drawn dashed in the panel of ``<metric>``.

    title : str, default=None
        By default "Training curves".

    Returns
    -------
    figure : matplotlib.figure.Figure
        One panel for the loss, one for each other metric (learning rate left out).
    """
    histories = [history] if isinstance(history, Mapping) else list(history)
    if not histories or not any(histories):
        raise ValueError("history is empty: there is no training curve to draw")
    names = list(dict.fromkeys(
        key.removeprefix("val_") for h in histories for key in h
        if key.removeprefix("val_") not in ("lr", "learning_rate")
    ))
    names.sort(key=lambda name: name != "loss")
    figure = _figure(3.4 * len(names), 3.0)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    colors = [f"C{i % 10}" for i in range(len(histories))]
    for ax, name in zip(axes, names, strict=True):
        for i, (h, color) in enumerate(zip(histories, colors, strict=True)):
            which = f"fold {i + 1} " if len(histories) > 1 else ""
            for key, style in [(name, "-"), (f"val_{name}", "--")]:
                if key in h:
                    epochs = np.arange(1, len(h[key]) + 1)
                    ax.plot(epochs, h[key], style, color=color, linewidth=1,
                            label=f"{which}{'validation' if style == '--' else 'training'}")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        if len(histories) <= 3:
            ax.legend(fontsize=7)
    figure.suptitle(title or "Training curves")
    figure.tight_layout()
    return figure


def _named_curves(curves: Any) -> dict[str, Any]:
    """``{name: curve}`` from one curve (a DataFrame) or a mapping of them."""
    if isinstance(curves, Mapping):
        if not curves:
            raise ValueError("no curve to draw: curves is empty")
        return dict(curves)
    return {"": curves}


def reliability_figure(curves: Any, *, title: str | None = None):
    """Reliability diagram: accuracy against confidence of the top label, per bin.

    Parameters
    ----------
    curves : pandas.DataFrame or mapping of str to pandas.DataFrame
        A curve from :func:`sersk.metrics.reliability_curve` (columns ``confidence``,
        ``accuracy``, ``count``), or ``{name: curve}`` to draw several models together. Each
        bin is a marker whose area grows with its number of clips.
    title : str, default=None
        By default "Reliability diagram".

    Returns
    -------
    figure : matplotlib.figure.Figure
        A calibrated model's markers lie on the dashed diagonal; below it, the model is
        overconfident, above it underconfident.

    See Also
    --------
    sersk.metrics.reliability_curve : The values drawn.
    sersk.metrics.expected_calibration_error : Their weighted mean distance from the diagonal.
    """
    named = _named_curves(curves)
    figure = _figure(4.6, 4.0)
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], "--", color="#888", linewidth=1, label="calibrated")
    total = max(float(c["count"].sum()) for c in named.values()) or 1.0
    for i, (name, curve) in enumerate(named.items()):
        color = f"C{i % 10}"
        ax.plot(curve["confidence"], curve["accuracy"], "-", color=color, linewidth=1,
                label=name or None)
        ax.scatter(curve["confidence"], curve["accuracy"], s=8 + 400 * curve["count"] / total,
                   color=color, alpha=0.6, edgecolors="none")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title or "Reliability diagram")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    figure.tight_layout()
    return figure


def accuracy_coverage_figure(curves: Any, *, title: str | None = None):
    """Accuracy of the predictions kept against the share kept, abstaining below a confidence.

    Parameters
    ----------
    curves : pandas.DataFrame or mapping of str to pandas.DataFrame
        A curve from :func:`sersk.metrics.accuracy_coverage` (columns ``coverage`` and
        ``accuracy``), or ``{name: curve}`` to draw several models together.
    title : str, default=None
        By default "Accuracy against coverage".

    Returns
    -------
    figure : matplotlib.figure.Figure
        Coverage 1 at the right is the model answering every clip; a confidence that tells
        right from wrong predictions makes the curve rise to the left.

    See Also
    --------
    sersk.metrics.accuracy_coverage : The values drawn.
    sersk.metrics.confidence_auroc : One number for how much the curve rises.
    """
    named = _named_curves(curves)
    figure = _figure(4.6, 3.6)
    ax = figure.add_subplot()
    for i, (name, curve) in enumerate(named.items()):
        kept = curve[curve["coverage"] > 0].sort_values("coverage")
        ax.plot(kept["coverage"], kept["accuracy"], "-", color=f"C{i % 10}", linewidth=1.2,
                label=name or None)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of clips answered)")
    ax.set_ylabel("accuracy of the answered clips")
    ax.set_title(title or "Accuracy against coverage")
    if any(named):
        ax.legend(loc="lower left", fontsize=7, framealpha=0.9)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure

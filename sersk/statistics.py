"""How sure a score is: bootstrap intervals over speakers, chance level and paired tests.

A cross-validated UAR is one number from a few speakers. Its uncertainty comes mostly from
*which* speakers were recorded, so the interval resamples speakers, never single clips: all
the clips of a drawn speaker come together (a clip-level bootstrap would treat ten clips of
one voice as ten independent observations and give intervals that are too narrow).

The functions take the pooled out-of-fold predictions of a cross-validation, one row per clip
(:func:`~sersk.model_selection.cross_validate_speakers` with ``return_predictions=True``
returns them), or per-fold scores for :func:`corrected_paired_ttest`. Everything is computed
from per-speaker confusion counts, so 1000 resamples of a few thousand clips take
milliseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PairedComparison",
    "UARInterval",
    "bootstrap_uar",
    "chance_level",
    "corrected_paired_ttest",
    "paired_speaker_test",
]


@dataclass(frozen=True)
class UARInterval:
    """A UAR and its bootstrap confidence interval, from :func:`bootstrap_uar`.

    Attributes
    ----------
    uar : float
        UAR of all the clips pooled.
    low, high : float
        Bounds of the percentile interval.
    confidence_level : float
        Such as 0.95.
    n_boot : int
        Number of bootstrap resamples.
    n_speakers, n_clips : int
        The units resampled and the clips they hold.
    """

    uar: float
    low: float
    high: float
    confidence_level: float
    n_boot: int
    n_speakers: int
    n_clips: int


@dataclass(frozen=True)
class PairedComparison:
    """The difference between two models evaluated on the same clips or folds.

    Attributes
    ----------
    difference : float
        Score of the first model minus score of the second.
    low, high : float
        Confidence interval of the difference.
    p_value : float
        Two-sided p-value of "no difference".
    confidence_level : float
        Level of the interval; ``1 - confidence_level`` is the significance level of
        :attr:`exceeds_noise`.
    test : str
        Which test: ``"speaker sign-flip permutation"`` or ``"corrected resampled t-test"``.
    n : int
        Number of paired units (speakers or folds).
    """

    difference: float
    low: float
    high: float
    p_value: float
    confidence_level: float
    test: str
    n: int

    @property
    def exceeds_noise(self) -> bool:
        """Whether the difference is larger than the noise: ``p_value < 1 - confidence_level``."""
        return bool(self.p_value < 1 - self.confidence_level)


def chance_level(y: Any) -> float:
    """Chance level of UAR: ``1 / n_classes``, whatever the class balance.

    A classifier that ignores its input (always the same class, or random guesses in any
    proportions) recalls on average one class in ``n_classes``.

    Parameters
    ----------
    y : array-like
        Labels; their distinct values are the classes.

    Returns
    -------
    chance : float

    Examples
    --------
    >>> from sersk.statistics import chance_level
    >>> chance_level(["sad", "sad", "sad", "angry", "calm"])
    0.3333333333333333
    """
    n_classes = len(np.unique(np.asarray(y)))
    if n_classes == 0:
        raise ValueError("y is empty: chance level needs at least one class")
    return 1.0 / n_classes


def _counts(
    y_true: Any, predictions: Sequence[Any], speakers: Any, labels: Any
) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Per-speaker hits (one array per prediction set) and support, each (n_speakers, n_classes)."""
    y_true = np.asarray(y_true)
    speakers = np.asarray(speakers)
    predictions = [np.asarray(p) for p in predictions]
    n = len(y_true)
    for name, values in [("speakers", speakers), *(("y_pred", p) for p in predictions)]:
        if values.shape != (n,) or y_true.ndim != 1:
            raise ValueError(f"y_true and {name} must be 1-D and of the same length, got shapes "
                             f"{y_true.shape} and {values.shape}")
    if n == 0:
        raise ValueError("y_true is empty: there is nothing to score")
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    class_of = {label: i for i, label in enumerate(labels.tolist())}
    unknown = set(np.unique(y_true).tolist()) - set(class_of)
    if unknown:
        raise ValueError(f"y_true holds labels missing from labels: {sorted(map(str, unknown))}")
    _, speaker = np.unique(speakers, return_inverse=True)
    n_speakers = int(speaker.max()) + 1
    true = np.array([class_of[v] for v in y_true.tolist()])
    cell = speaker * len(labels) + true
    shape = (n_speakers, len(labels))
    support = np.bincount(cell, minlength=n_speakers * len(labels)).reshape(shape)
    hits = [
        np.bincount(cell, weights=p == y_true, minlength=n_speakers * len(labels)).reshape(shape)
        for p in predictions
    ]
    return hits, support, n_speakers


def _uar(hits: np.ndarray, support: np.ndarray) -> np.ndarray:
    """UAR of each row of summed counts (..., n_classes); absent classes are left out."""
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, hits / support, np.nan)
    present = support > 0
    return np.nansum(recall, axis=-1) / np.maximum(present.sum(axis=-1), 1)


def _resample_weights(n_speakers: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each speaker is drawn in each resample: (n_boot, n_speakers)."""
    draws = rng.integers(0, n_speakers, size=(n_boot, n_speakers))
    offsets = (np.arange(n_boot) * n_speakers)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=n_boot * n_speakers)
    return counts.reshape(n_boot, n_speakers).astype(float)


def _check_level(confidence_level: float, n: int, name: str) -> None:
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


def bootstrap_uar(
    y_true: Any,
    y_pred: Any,
    speakers: Any,
    *,
    labels: Any = None,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> UARInterval:
    """UAR with a percentile bootstrap confidence interval over speakers.

    Each resample draws as many speakers as there are, with replacement, and takes all the
    clips of every drawn speaker; its UAR is computed over the pooled clips.

    Parameters
    ----------
    y_true : array-like of shape (n_clips,)
        True labels, such as the pooled out-of-fold predictions' ``y_true`` column.
    y_pred : array-like of shape (n_clips,)
        Predicted labels.
    speakers : array-like of shape (n_clips,)
        The speaker of every clip: the unit resampled.
    labels : array-like of shape (n_classes,), default=None
        The classes averaged over; by default those of ``y_true``. A resample without any
        clip of a class leaves that class out of its mean, as
        :func:`~sersk.metrics.unweighted_average_recall` does.
    n_boot : int, default=1000
        Number of resamples.
    confidence_level : float, default=0.95
        Level of the interval.
    random_state : int, numpy.random.Generator or None, default=0
        Seed of the resampling.

    Returns
    -------
    interval : UARInterval
        ``uar`` (all clips), ``low`` and ``high`` (percentiles of the resampled UARs).

    See Also
    --------
    paired_speaker_test : The difference between two models on the same clips.
    sersk.metrics.unweighted_average_recall : The point estimate.

    Notes
    -----
    With few speakers (EmoDB has 10) the interval is wide and itself uncertain: it shows how
    much the figure could move with another set of speakers, not a guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.statistics import bootstrap_uar
    >>> rng = np.random.default_rng(0)
    >>> speakers = np.repeat(np.arange(10), 20)
    >>> y_true = np.tile(["angry", "sad"], 100)
    >>> y_pred = np.where(rng.random(200) < 0.8, y_true, "sad")
    >>> interval = bootstrap_uar(y_true, y_pred, speakers)
    >>> interval.low < interval.uar < interval.high
    True
    """
    _check_level(confidence_level, n_boot, "n_boot")
    (hits,), support, n_speakers = _counts(y_true, [y_pred], speakers, labels)
    weights = _resample_weights(n_speakers, n_boot, np.random.default_rng(random_state))
    resampled = _uar(weights @ hits, weights @ support)
    alpha = 1 - confidence_level
    low, high = np.quantile(resampled, [alpha / 2, 1 - alpha / 2])
    return UARInterval(
        uar=float(_uar(hits.sum(axis=0), support.sum(axis=0))),
        low=float(low),
        high=float(high),
        confidence_level=confidence_level,
        n_boot=n_boot,
        n_speakers=n_speakers,
        n_clips=len(np.asarray(y_true)),
    )


def paired_speaker_test(
    y_true: Any,
    y_pred_a: Any,
    y_pred_b: Any,
    speakers: Any,
    *,
    labels: Any = None,
    n_boot: int = 1000,
    n_permutations: int = 10_000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> PairedComparison:
    """Compare the UAR of two models' predictions on the same clips, speaker by speaker.

    The difference is ``UAR(a) - UAR(b)`` over all the clips pooled. Its interval comes from a
    paired bootstrap over speakers (both models scored on the same resampled speakers); its
    p-value from a sign-flip permutation test: under "no difference", swapping the two
    models' predictions for any speaker leaves the distribution of the difference unchanged,
    so the observed difference is compared with those of every (or ``n_permutations``
    random) set of swapped speakers.

    Parameters
    ----------
    y_true : array-like of shape (n_clips,)
        True labels.
    y_pred_a, y_pred_b : array-like of shape (n_clips,)
        The two models' predictions of the same clips, such as the out-of-fold predictions of
        two pipelines cross-validated on the same folds.
    speakers : array-like of shape (n_clips,)
        The speaker of every clip: the unit resampled and swapped.
    labels : array-like of shape (n_classes,), default=None
        The classes averaged over; by default those of ``y_true``.
    n_boot : int, default=1000
        Number of bootstrap resamples for the interval.
    n_permutations : int, default=10000
        Number of random swaps for the p-value. When ``2 ** n_speakers`` is not larger, every
        swap is enumerated and the p-value is exact.
    confidence_level : float, default=0.95
        Level of the interval; ``1 - confidence_level`` is the level of
        :attr:`PairedComparison.exceeds_noise`.
    random_state : int, numpy.random.Generator or None, default=0
        Seed of the resampling and the swaps.

    Returns
    -------
    comparison : PairedComparison
        ``difference``, ``low``, ``high``, ``p_value``, ``exceeds_noise``; ``n`` is the number
        of speakers.

    See Also
    --------
    corrected_paired_ttest : The same question from per-fold scores.
    bootstrap_uar : The interval of one model's UAR.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.statistics import paired_speaker_test
    >>> speakers = np.repeat(np.arange(8), 10)
    >>> y_true = np.tile(["angry", "sad"], 40)
    >>> paired_speaker_test(y_true, y_true, y_true, speakers).p_value  # identical predictions
    1.0
    """
    _check_level(confidence_level, n_boot, "n_boot")
    _check_level(confidence_level, n_permutations, "n_permutations")
    rng = np.random.default_rng(random_state)
    (hits_a, hits_b), support, n_speakers = _counts(y_true, [y_pred_a, y_pred_b], speakers,
                                                    labels)
    total = support.sum(axis=0)
    difference = float(_uar(hits_a.sum(axis=0), total) - _uar(hits_b.sum(axis=0), total))

    weights = _resample_weights(n_speakers, n_boot, rng)
    resampled_support = weights @ support
    resampled = _uar(weights @ hits_a, resampled_support) - _uar(weights @ hits_b,
                                                                 resampled_support)
    alpha = 1 - confidence_level
    low, high = np.quantile(resampled, [alpha / 2, 1 - alpha / 2])

    exact = 2 ** n_speakers <= n_permutations
    if exact:
        swaps = np.array(list(itertools.product([0.0, 1.0], repeat=n_speakers)))
    else:
        swaps = rng.integers(0, 2, size=(n_permutations, n_speakers)).astype(float)
    # Swapping speaker s moves its hits from one model to the other.
    moved = swaps @ (hits_b - hits_a)
    permuted = (_uar(hits_a.sum(axis=0) + moved, total)
                - _uar(hits_b.sum(axis=0) - moved, total))
    # A small tolerance so that ties (identical predictions: every difference is 0) count.
    extreme = np.count_nonzero(np.abs(permuted) >= abs(difference) - 1e-12)
    p_value = extreme / len(swaps) if exact else (extreme + 1) / (len(swaps) + 1)
    return PairedComparison(
        difference=difference,
        low=float(low),
        high=float(high),
        p_value=float(min(p_value, 1.0)),
        confidence_level=confidence_level,
        test="speaker sign-flip permutation",
        n=n_speakers,
    )


def corrected_paired_ttest(
    scores_a: Any,
    scores_b: Any,
    *,
    n_train: float,
    n_test: float,
    confidence_level: float = 0.95,
) -> PairedComparison:
    """Nadeau and Bengio's corrected resampled t-test on per-fold scores of two models.

    The folds of a cross-validation share most of their training data, so their scores are
    correlated and the plain paired t-test is far too confident. The correction inflates the
    variance of the mean difference from ``s² / k`` to ``(1 / k + n_test / n_train) s²``.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n_folds,)
        The two models' scores on the same folds, in the same order.
    n_train, n_test : float
        Number of training and test clips per fold (their means when folds differ).
    confidence_level : float, default=0.95
        Level of the interval of the mean difference.

    Returns
    -------
    comparison : PairedComparison
        ``difference`` (mean over folds of ``a - b``), its t interval ``low``, ``high`` and
        the two-sided ``p_value`` with ``n_folds - 1`` degrees of freedom; ``exceeds_noise``
        says whether the difference is larger than the fold-to-fold noise.

    See Also
    --------
    paired_speaker_test : The same question from per-clip predictions.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine Learning 52,
    239-281, 2003. R. Bouckaert and E. Frank, "Evaluating the replicability of significance
    tests for comparing learning algorithms", PAKDD 2004 (the correction for k-fold CV).

    Examples
    --------
    >>> from sersk.statistics import corrected_paired_ttest
    >>> a = [0.70, 0.75, 0.72, 0.68, 0.74]
    >>> b = [0.60, 0.66, 0.61, 0.60, 0.65]
    >>> result = corrected_paired_ttest(a, b, n_train=400, n_test=100)
    >>> round(result.difference, 3), result.exceeds_noise
    (0.094, True)
    """
    from scipy import stats

    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"scores_a and scores_b must be 1-D and of the same length, got "
                         f"shapes {a.shape} and {b.shape}")
    k = len(a)
    if k < 2:
        raise ValueError(f"the t-test needs at least 2 folds, got {k}")
    if not (n_train > 0 and n_test > 0):
        raise ValueError(f"n_train and n_test must be positive, got {n_train} and {n_test}")
    _check_level(confidence_level, k, "the number of folds")
    d = a - b
    mean = float(d.mean())
    se = float(np.sqrt((1 / k + n_test / n_train) * d.var(ddof=1)))
    if se == 0:
        # Every fold differs by the same amount: no noise to measure against.
        p_value = 1.0 if mean == 0 else 0.0
        low = high = mean
    else:
        t = mean / se
        p_value = float(2 * stats.t.sf(abs(t), k - 1))
        margin = float(stats.t.ppf(0.5 + confidence_level / 2, k - 1)) * se
        low, high = mean - margin, mean + margin
    return PairedComparison(
        difference=mean,
        low=float(low),
        high=float(high),
        p_value=p_value,
        confidence_level=confidence_level,
        test="corrected resampled t-test",
        n=k,
    )

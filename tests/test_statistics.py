"""Bootstrap intervals, chance level and paired tests on small synthetic predictions."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sersk.metrics import unweighted_average_recall
from sersk.model_selection import cross_validate_speakers
from sersk.statistics import (
    bootstrap_uar,
    chance_level,
    corrected_paired_ttest,
    paired_speaker_test,
)

LABELS = np.array(["angry", "calm", "happy", "sad"])


def predictions(n_speakers, *, clips=40, accuracy=0.7, seed=0):
    """Clips of n_speakers speakers; each speaker has their own accuracy around ``accuracy``."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"s{i:02d}" for i in range(n_speakers)], clips)
    y_true = rng.choice(LABELS, size=len(speakers))
    return y_true, predict(y_true, speakers, accuracy=accuracy, seed=seed + 1), speakers


def predict(y_true, speakers, *, accuracy, seed):
    """A model's predictions of y_true: right with about ``accuracy``, varying by speaker."""
    rng = np.random.default_rng(seed)
    n_speakers, clips = len(np.unique(speakers)), len(y_true) // len(np.unique(speakers))
    per_speaker = np.clip(accuracy + rng.normal(0, 0.1, n_speakers), 0, 1)
    right = rng.random(len(speakers)) < np.repeat(per_speaker, clips)
    wrong = LABELS[(np.searchsorted(LABELS, y_true) + rng.integers(1, 4, len(y_true))) % 4]
    return np.where(right, y_true, wrong)


def test_bootstrap_interval_holds_the_pooled_uar():
    y_true, y_pred, speakers = predictions(12)
    interval = bootstrap_uar(y_true, y_pred, speakers)
    assert interval.uar == pytest.approx(unweighted_average_recall(y_true, y_pred))
    assert interval.low < interval.uar < interval.high
    assert (interval.n_speakers, interval.n_clips, interval.n_boot) == (12, 480, 1000)
    assert interval.confidence_level == 0.95


def test_bootstrap_is_seeded():
    y_true, y_pred, speakers = predictions(10)
    assert bootstrap_uar(y_true, y_pred, speakers, random_state=3) == bootstrap_uar(
        y_true, y_pred, speakers, random_state=3)
    assert bootstrap_uar(y_true, y_pred, speakers, random_state=3) != bootstrap_uar(
        y_true, y_pred, speakers, random_state=4)


def test_interval_narrows_with_more_speakers():
    few = bootstrap_uar(*predictions(6))
    many = bootstrap_uar(*predictions(60))
    assert many.high - many.low < 0.6 * (few.high - few.low)


def test_interval_resamples_speakers_not_clips():
    # Every clip of a speaker is right or every one is wrong: speakers, not clips, vary.
    speakers = np.repeat(np.arange(10), 50)
    y_true = np.tile(["a", "b"], 250)
    y_pred = np.where(speakers < 7, y_true, np.where(y_true == "a", "b", "a"))
    interval = bootstrap_uar(y_true, y_pred, speakers)
    # A clip-level bootstrap of 500 clips would give about ±0.04; speakers give about ±0.28.
    assert interval.high - interval.low > 0.4


def test_bootstrap_of_ravdess_size_takes_well_under_a_second():
    y_true, y_pred, speakers = predictions(24, clips=60)
    start = time.perf_counter()
    bootstrap_uar(y_true, y_pred, speakers, n_boot=1000)
    assert time.perf_counter() - start < 0.5


def test_bootstrap_checks_its_input():
    with pytest.raises(ValueError, match="same length"):
        bootstrap_uar(["a", "b"], ["a"], [1, 2])
    with pytest.raises(ValueError, match="missing from labels"):
        bootstrap_uar(["a", "b"], ["a", "b"], [1, 2], labels=["a"])
    with pytest.raises(ValueError, match="confidence_level"):
        bootstrap_uar(["a", "b"], ["a", "b"], [1, 2], confidence_level=95)


def test_chance_level():
    assert chance_level(["sad"] * 9 + ["angry", "calm"]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="empty"):
        chance_level([])


def test_paired_test_of_identical_predictions():
    y_true, y_pred, speakers = predictions(12)
    result = paired_speaker_test(y_true, y_pred, y_pred, speakers)
    assert result.difference == 0 and (result.low, result.high) == (0, 0)
    assert result.p_value == 1.0 and not result.exceeds_noise


def test_paired_test_finds_a_clearly_better_model():
    y_true, better, speakers = predictions(12, accuracy=0.8, seed=1)
    worse = predict(y_true, speakers, accuracy=0.5, seed=7)
    result = paired_speaker_test(y_true, better, worse, speakers)
    expected = (unweighted_average_recall(y_true, better)
                - unweighted_average_recall(y_true, worse))
    assert result.difference == pytest.approx(expected)
    assert result.low < result.difference < result.high and result.low > 0
    # 2 ** 12 swaps are enumerated: the smallest possible p-value is 2 / 4096.
    assert result.p_value == pytest.approx(2 / 4096)
    assert result.exceeds_noise and result.n == 12
    reverse = paired_speaker_test(y_true, worse, better, speakers)
    assert reverse.difference == pytest.approx(-expected)
    assert reverse.p_value == result.p_value


def test_paired_test_of_models_that_differ_by_chance():
    y_true, a, speakers = predictions(30, seed=5)
    b = predict(y_true, speakers, accuracy=0.7, seed=8)  # same accuracy, other errors
    result = paired_speaker_test(y_true, a, b, speakers, n_permutations=2000)
    assert result.low < 0 < result.high
    assert result.p_value > 0.05 and not result.exceeds_noise


def test_corrected_ttest_against_hand_computation():
    a = np.array([0.70, 0.74, 0.66, 0.72, 0.69])
    b = np.array([0.68, 0.70, 0.67, 0.69, 0.66])
    result = corrected_paired_ttest(a, b, n_train=400, n_test=100)
    d = a - b
    t = d.mean() / np.sqrt((1 / 5 + 100 / 400) * d.var(ddof=1))
    from scipy import stats

    assert result.difference == pytest.approx(d.mean())
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(t), 4))
    # The correction makes it more cautious than the plain paired t-test.
    assert result.p_value > stats.ttest_rel(a, b).pvalue
    assert result.low < result.difference < result.high
    assert result.test == "corrected resampled t-test" and result.n == 5


def test_corrected_ttest_edge_cases():
    same = corrected_paired_ttest([0.5, 0.6], [0.5, 0.6], n_train=8, n_test=2)
    assert same.p_value == 1.0 and not same.exceeds_noise
    shifted = corrected_paired_ttest([0.6, 0.7], [0.5, 0.6], n_train=8, n_test=2)
    assert shifted.p_value == 0.0 and shifted.difference == pytest.approx(0.1)
    with pytest.raises(ValueError, match="at least 2 folds"):
        corrected_paired_ttest([0.5], [0.4], n_train=8, n_test=2)


def test_cross_validation_returns_pooled_predictions():
    rng = np.random.default_rng(0)
    y = np.tile(["calm", "angry"], 20)
    X = rng.normal(size=(40, 3)) + (y == "angry")[:, None]
    speakers = np.repeat(np.arange(8), 5)
    results, pooled = cross_validate_speakers(LogisticRegression(), X, y, speakers=speakers,
                                              n_splits=4, return_predictions=True)
    # The labels' probabilities follow, one column each, in the order of the labels.
    assert pooled.columns.tolist() == ["index", "fold", "speaker", "y_true", "y_pred",
                                       "proba_angry", "proba_calm"]
    np.testing.assert_allclose(pooled[["proba_angry", "proba_calm"]].sum(axis=1), 1.0)
    assert pooled["index"].tolist() == list(range(40))
    np.testing.assert_array_equal(pooled["y_true"], y)
    np.testing.assert_array_equal(pooled["speaker"], speakers)
    for fold, group in pooled.groupby("fold"):
        row = results.set_index("fold").loc[fold]
        assert sorted(group["speaker"].unique().tolist()) == row["test_speakers"]
        assert unweighted_average_recall(group["y_true"], group["y_pred"]) == row["uar"]
    # Without the flag: the frame alone, as before.
    plain = cross_validate_speakers(LogisticRegression(), X, y, speakers=speakers, n_splits=4)
    same = ["fold", "n_test", "uar", "recall_calm", "test_speakers"]
    assert plain[same].equals(results[same]) and plain.columns.equals(results.columns)

"""Tests for StatisticsPooling, pool_statistics and FixedLengthSequence (no audio needed)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from sklearn.exceptions import NotFittedError

from sersk.features import FixedLengthSequence, StatisticsPooling, pool_statistics

RNG_SEED = 7


def frames(n_frames: int, n_channels: int = 3, *, seed: int = RNG_SEED) -> np.ndarray:
    """Skewed, non-constant frame matrices: gamma noise on a slow trend."""
    rng = np.random.default_rng(seed)
    trend = np.linspace(0, 1, n_frames)[:, None] * np.arange(1, n_channels + 1)
    return (rng.gamma(2.0, 1.0, (n_frames, n_channels)) + trend).astype(np.float32)


def htk_deltas(x: np.ndarray, width: int = 9) -> np.ndarray:
    """Reference regression deltas, written out: edges repeated, sum n (x[t+n] - x[t-n]) / 2S."""
    half = width // 2
    padded = np.pad(np.asarray(x, dtype=np.float64), ((half, half), (0, 0)), mode="edge")
    n_frames = x.shape[0]
    out = np.zeros(x.shape, dtype=np.float64)
    for n in range(1, half + 1):
        out += n * (padded[half + n : half + n + n_frames] - padded[half - n : half - n + n_frames])
    return out / (2 * sum(n**2 for n in range(1, half + 1)))


def reference_stats(x: np.ndarray, statistics, percentiles) -> dict[str, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    funcs = {
        "mean": lambda a: a.mean(axis=0),
        "std": lambda a: a.std(axis=0),
        "min": lambda a: a.min(axis=0),
        "max": lambda a: a.max(axis=0),
        "skew": lambda a: scipy.stats.skew(a, axis=0),
        "kurtosis": lambda a: scipy.stats.kurtosis(a, axis=0, fisher=True),
    }
    out = {s: funcs[s](x) for s in statistics}
    out.update({f"p{q:g}": np.percentile(x, q, axis=0) for q in percentiles})
    return out


# --- pool_statistics ----------------------------------------------------------------------


@pytest.mark.parametrize("statistics", [
    ("mean", "std", "skew", "kurtosis"),
    ("mean", "std", "min", "max", "skew", "kurtosis"),
    ("kurtosis", "mean"),
])
@pytest.mark.parametrize("percentiles", [(10.0, 50.0, 90.0), (), (0, 25.5, 100)])
def test_pool_statistics_matches_numpy_and_scipy(statistics, percentiles):
    x = frames(60)
    out = pool_statistics(x, statistics=statistics, percentiles=percentiles, deltas=True)
    labels = list(statistics) + [f"p{q:g}" for q in percentiles]
    n_channels = x.shape[1]
    assert out.shape == (2 * len(labels) * n_channels,) and out.dtype == np.float32
    expected_frames = reference_stats(x, statistics, percentiles)
    expected_deltas = reference_stats(htk_deltas(x), statistics, percentiles)
    # Layout: frames block then deltas block; each statistic-major, channel-minor.
    expected = np.concatenate(
        [np.concatenate([expected_frames[s] for s in labels]),
         np.concatenate([expected_deltas[s] for s in labels])]
    )
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_pool_statistics_without_deltas_is_just_the_frames_block():
    x = frames(40)
    with_deltas = pool_statistics(x)
    without = pool_statistics(x, deltas=False)
    assert without.shape == (7 * 3,)
    np.testing.assert_array_equal(without, with_deltas[: 7 * 3])


def test_constant_channel_has_zero_skew_and_kurtosis_not_nan():
    x = frames(50)
    x[:, 1] = 4.25  # a frozen channel: digital silence in a band, a held F0
    out = pool_statistics(x, statistics=("mean", "std", "skew", "kurtosis"), percentiles=())
    assert np.isfinite(out).all()
    table = out.reshape(2, 4, 3)  # (frames/deltas, statistic, channel)
    np.testing.assert_allclose(table[0, :, 1], [4.25, 0.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(table[1, :, 1], [0.0, 0.0, 0.0, 0.0], atol=1e-6)
    # The other channels still get scipy's values.
    np.testing.assert_allclose(table[0, 2, [0, 2]], scipy.stats.skew(x[:, [0, 2]]), rtol=1e-4)
    np.testing.assert_allclose(
        table[0, 3, [0, 2]], scipy.stats.kurtosis(x[:, [0, 2]]), rtol=1e-4
    )


def test_single_frame_clip_pools_without_nan():
    out = pool_statistics(np.array([[1.0, -2.0]]))
    assert np.isfinite(out).all()
    table = out.reshape(2, 7, 2)
    np.testing.assert_allclose(table[0, 0], [1.0, -2.0])  # mean
    np.testing.assert_allclose(table[0, 4:], [[1.0, -2.0]] * 3)  # percentiles
    np.testing.assert_allclose(table[1], 0.0)  # no change over time


def test_pool_statistics_rejects_unknown_statistic():
    with pytest.raises(ValueError, match=r"unknown statistic 'median'; choose from"):
        pool_statistics(frames(10), statistics=("mean", "median"))


# --- StatisticsPooling ------------------------------------------------------------------------


def test_statistics_pooling_names_locate_the_right_values():
    clips = [frames(50, 4, seed=0), frames(80, 4, seed=1), frames(5, 4, seed=2)]
    names = [f"mfcc{i}" for i in range(4)]
    pooling = StatisticsPooling(statistics=("mean", "std", "min", "skew", "kurtosis"),
                                percentiles=(10.0, 90.0))
    out = pooling.fit(clips, channel_names=names).transform(clips)
    feature_names = list(pooling.get_feature_names_out())
    assert out.shape == (3, len(feature_names)) == (3, 2 * 7 * 4)
    assert feature_names[:5] == ["mfcc0_mean", "mfcc1_mean", "mfcc2_mean", "mfcc3_mean",
                                 "mfcc0_std"]
    assert feature_names[28] == "d_mfcc0_mean" and feature_names[-1] == "d_mfcc3_p90"
    assert len(set(feature_names)) == len(feature_names)
    # Every column, found by name, holds the statistic its name says.
    for i, clip in enumerate(clips):
        plain = reference_stats(clip, pooling.statistics, pooling.percentiles)
        deltas = reference_stats(htk_deltas(clip), pooling.statistics, pooling.percentiles)
        for col, name in enumerate(feature_names):
            source = deltas if name.startswith("d_") else plain
            channel, stat = name.removeprefix("d_").split("_", 1)
            expected = source[stat][int(channel.removeprefix("mfcc"))]
            assert out[i, col] == pytest.approx(expected, rel=1e-4, abs=1e-5), (i, name)


def test_statistics_pooling_default_names_and_input_features():
    clips = [frames(20, 2)]
    pooling = StatisticsPooling(percentiles=(50.0,), deltas=False).fit(clips)
    assert list(pooling.get_feature_names_out()) == [
        "frame0_mean", "frame1_mean", "frame0_std", "frame1_std", "frame0_skew", "frame1_skew",
        "frame0_kurtosis", "frame1_kurtosis", "frame0_p50", "frame1_p50",
    ]
    assert list(pooling.get_feature_names_out(["f0", "energy"]))[:2] == ["f0_mean", "energy_mean"]
    assert pooling.n_channels_in_ == 2


def test_statistics_pooling_ragged_batches_and_3d_arrays():
    clips = [frames(n, 3, seed=n) for n in (3, 17, 120)]
    pooling = StatisticsPooling().fit(clips)
    out = pooling.transform(clips)
    assert out.shape == (3, 2 * 7 * 3) and out.dtype == np.float32
    for row, clip in zip(out, clips, strict=True):
        np.testing.assert_array_equal(row, pool_statistics(clip))
    # A 3-D array is a batch of equal-length clips; a tuple and an object array work too.
    cube = np.stack([frames(30, 3, seed=s) for s in range(4)])
    np.testing.assert_array_equal(pooling.transform(cube), pooling.transform(list(cube)))
    np.testing.assert_array_equal(pooling.transform(tuple(clips)), out)
    ragged = np.empty(3, dtype=object)
    ragged[:] = clips
    np.testing.assert_array_equal(pooling.transform(ragged), out)


@pytest.mark.parametrize(("batch", "message"), [
    (np.zeros((10, 3)), r"expected a batch of frame matrices: .* got ndarray of shape \(10, 3\)"),
    (5, "expected a batch of frame matrices"),
    ([], "the batch of frame matrices is empty"),
    ([np.zeros((10, 3)), np.zeros((10, 2))], "frame matrix #1 has 2 channels, expected 3"),
    ([np.zeros((10, 3)), np.zeros((0, 3))], r"frame matrix #1 has shape \(0, 3\); expected"),
    ([np.zeros(10)], r"frame matrix #0 has shape \(10,\); expected \(n_frames >= 1, n_channels\)"),
    ([np.zeros((4, 3)), np.full((4, 3), np.nan)], "frame matrix #1 contains NaN or infinite"),
    ([np.full((4, 3), np.inf)], "frame matrix #0 contains NaN or infinite"),
])
def test_bad_frame_batches_raise_value_error(batch, message):
    with pytest.raises(ValueError, match=message):
        StatisticsPooling().fit(batch)
    with pytest.raises(ValueError, match=message):
        FixedLengthSequence().fit(batch)


def test_transform_checks_channels_against_fit_and_needs_fit():
    pooling = StatisticsPooling()
    with pytest.raises(NotFittedError):
        pooling.transform([frames(5)])
    pooling.fit([frames(5, 3)])
    with pytest.raises(ValueError, match="frame matrix #0 has 4 channels, expected 3"):
        pooling.transform([frames(5, 4)])


@pytest.mark.parametrize(("params", "message"), [
    ({"statistics": ("mean", "median")}, r"unknown statistics \['median'\]"),
    ({"statistics": (), "percentiles": ()}, "needs at least one statistic or percentile"),
    ({"percentiles": (50, 150)}, r"percentiles must lie in \[0, 100\], got 150"),
    ({"percentiles": (-1,)}, r"percentiles must lie in \[0, 100\], got -1"),
    ({"percentiles": ("p50",)}, "percentiles must lie in"),
    ({"deltas": "yes"}, "deltas"),
])
def test_statistics_pooling_bad_options(params, message):
    with pytest.raises(ValueError, match=message):
        StatisticsPooling(**params).fit([frames(5)])


@pytest.mark.parametrize("cls", [StatisticsPooling, FixedLengthSequence])
def test_channel_names_must_match_the_channels(cls):
    with pytest.raises(ValueError, match="2 channel names for 3 channels"):
        cls().fit([frames(5, 3)], channel_names=["a", "b"])


# --- FixedLengthSequence ------------------------------------------------------------------


def ramp_clip(n_frames: int, n_channels: int = 2) -> np.ndarray:
    """Frame t holds t + 1 in every channel, so rows say where they came from."""
    return np.repeat(np.arange(1, n_frames + 1, dtype=np.float32)[:, None], n_channels, axis=1)


def test_fixed_length_pads_short_clips_and_marks_the_padding():
    seq = FixedLengthSequence(n_frames=6, pad_value=-9.0)
    out = seq.fit_transform([ramp_clip(4), ramp_clip(6), ramp_clip(1)])
    assert out.shape == (3, 6, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, :, 0], [1, 2, 3, 4, -9, -9])
    np.testing.assert_array_equal(out[0, :, -1], [1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(out[1, :, :2], ramp_clip(6))
    np.testing.assert_array_equal(out[1, :, -1], np.ones(6))
    np.testing.assert_array_equal(out[2, :, 1], [1, -9, -9, -9, -9, -9])
    np.testing.assert_array_equal(out[2, :, -1], [1, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(("truncate", "kept"), [
    ("end", [1, 2, 3, 4]),
    ("start", [7, 8, 9, 10]),
    ("centre", [4, 5, 6, 7]),
])
def test_fixed_length_truncation_modes(truncate, kept):
    seq = FixedLengthSequence(n_frames=4, truncate=truncate)
    out = seq.fit_transform([ramp_clip(10), ramp_clip(3)])
    np.testing.assert_array_equal(out[0, :, 0], kept)
    np.testing.assert_array_equal(out[0, :, 1], kept)
    np.testing.assert_array_equal(out[0, :, -1], np.ones(4))
    np.testing.assert_array_equal(out[1, :, 0], [1, 2, 3, 0])  # short clips are not shifted


def test_fixed_length_without_mask_and_names():
    clips = [ramp_clip(3, 2), ramp_clip(8, 2)]
    masked = FixedLengthSequence(n_frames=5).fit(clips, channel_names=["f0", "energy"])
    assert list(masked.get_feature_names_out()) == ["f0", "energy", "frame_valid"]
    assert list(masked.get_feature_names_out(["a", "b"])) == ["a", "b", "frame_valid"]
    plain = FixedLengthSequence(n_frames=5, return_mask=False).fit(clips)
    assert list(plain.get_feature_names_out()) == ["frame0", "frame1"]
    out = plain.transform(clips)
    assert out.shape == (2, 5, 2)
    np.testing.assert_array_equal(out, masked.transform(clips)[:, :, :2])
    assert out.shape[-1] == len(plain.get_feature_names_out())


def test_fixed_length_bad_parameters_and_channels():
    with pytest.raises(ValueError, match="n_frames"):
        FixedLengthSequence(n_frames=0).fit([ramp_clip(3)])
    with pytest.raises(ValueError, match="truncate"):
        FixedLengthSequence(truncate="middle").fit([ramp_clip(3)])
    seq = FixedLengthSequence(n_frames=3).fit([ramp_clip(3, 2)])
    with pytest.raises(ValueError, match="frame matrix #0 has 5 channels, expected 2"):
        seq.transform([ramp_clip(3, 5)])

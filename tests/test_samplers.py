"""Augmentation samplers: what they add, that it is seeded, and that they act only in fit."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, ClassifierMixin

from sersk.audio import save_audio
from sersk.samplers import AudioAugmenter, SpecAugment, augment_waveform, spec_augment

SR = 16_000


def test_augmenter_appends_copies_after_the_originals(make_voice):
    clips = [(make_voice(f0=120 + 40 * i, duration=0.5, seed=i), SR) for i in range(3)]
    X_res, y_res = AudioAugmenter(n_copies=2).fit_resample(clips, ["a", "b", "c"])
    assert len(X_res) == 9
    assert y_res.tolist() == ["a", "b", "c"] * 3
    assert X_res[:3] == clips
    for waveform, sr in X_res[3:]:
        assert sr == SR and waveform.dtype == np.float32 and np.isfinite(waveform).all()
        assert np.abs(waveform).max() <= 1.0


def test_augmenter_copies_depend_on_the_clip_not_its_position(make_voice, tmp_path):
    clips = [(make_voice(f0=150 + 50 * i, duration=0.4, seed=i), SR) for i in range(3)]
    paths = []
    for i, (waveform, sr) in enumerate(clips):
        paths.append(str(tmp_path / f"{i}.wav"))
        save_audio(paths[-1], waveform, sr)
    first, _ = AudioAugmenter(random_state=1).fit_resample(paths, ["a", "b", "c"])
    reordered, _ = AudioAugmenter(random_state=1).fit_resample(paths[::-1], ["c", "b", "a"])
    np.testing.assert_array_equal(first[3][0], reordered[5][0])
    other_seed, _ = AudioAugmenter(random_state=2).fit_resample(paths, ["a", "b", "c"])
    assert not np.array_equal(first[3][0], other_seed[3][0])


def test_augmenter_cache_returns_the_same_copies(make_voice, tmp_path):
    clips = [(make_voice(duration=0.4, seed=i), SR) for i in range(2)]
    augmenter = AudioAugmenter(memory=tmp_path / "cache")
    first, _ = augmenter.fit_resample(clips, ["a", "b"])
    assert list((tmp_path / "cache").rglob("*.npy"))
    second, _ = augmenter.fit_resample(clips, ["a", "b"])
    for (a, _), (b, _) in zip(first[2:], second[2:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_augment_waveform_each_alteration(make_voice):
    y = make_voice(duration=0.5)
    rng = np.random.default_rng(0)
    only = {"noise_snr_db": None, "time_stretch": None, "pitch_shift": None, "gain_db": None}

    louder = augment_waveform(y, sr=SR, rng=rng, **{**only, "gain_db": (6.0, 6.0)})
    np.testing.assert_allclose(louder, np.clip(y * 10 ** (6 / 20), -1, 1), rtol=1e-5)

    noisy = augment_waveform(y, sr=SR, rng=rng, **{**only, "noise_snr_db": (10.0, 10.0)})
    snr = 10 * np.log10(np.mean(y.astype(float) ** 2) / np.mean((noisy - y).astype(float) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)

    faster = augment_waveform(y, sr=SR, rng=rng, **{**only, "time_stretch": (1.25, 1.25)})
    assert len(faster) == pytest.approx(len(y) / 1.25, rel=0.02)

    shifted = augment_waveform(y, sr=SR, rng=rng, **{**only, "pitch_shift": (2.0, 2.0)})
    assert len(shifted) == len(y) and not np.allclose(shifted, y)


def test_augmenter_refuses_bad_ranges():
    with pytest.raises(ValueError, match="gain_db must be a \\(low, high\\) pair with low <= high"):
        AudioAugmenter(gain_db=(3.0, -3.0)).fit_resample([np.zeros(1000)], ["a"])


class _CountingClassifier(ClassifierMixin, BaseEstimator):
    """Remembers how many samples it was fitted on."""

    def fit(self, X, y):
        self.n_fit_ = len(X)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        self.n_predict_ = len(X)
        return np.full(len(X), self.classes_[0])


def test_samplers_act_only_while_fitting(voice_files):
    from sersk.features import MFCC

    paths, labels = voice_files
    model = Pipeline([
        ("augment", AudioAugmenter(n_copies=1, time_stretch=None, pitch_shift=None)),
        ("features", MFCC(n_mfcc=8, n_mels=16)),
        ("clf", _CountingClassifier()),
    ]).fit(paths, labels)
    assert model.named_steps["clf"].n_fit_ == 2 * len(paths)
    model.predict(paths[:3])
    assert model.named_steps["clf"].n_predict_ == 3


def sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 30, 7)).astype(np.float32)
    X[..., -1] = 1.0
    X[1, 20:] = 0.0  # padding
    return X


def test_spec_augment_shapes_and_mask_channel():
    X = sequences()
    X_res, y_res = SpecAugment(n_copies=2).fit_resample(X, ["a", "b", "a", "b"])
    assert X_res.shape == (12, 30, 7) and y_res.tolist() == ["a", "b", "a", "b"] * 3
    np.testing.assert_array_equal(X_res[:4], X)
    np.testing.assert_array_equal(X_res[4:8, :, -1], X[:, :, -1])  # frame_valid untouched
    np.testing.assert_array_equal(X_res[5, 20:], 0.0)  # padding stays padding
    assert not np.array_equal(X_res[4:8], X)


def test_spec_augment_masks_with_the_clip_mean():
    frames = np.arange(40, dtype=np.float32).reshape(10, 4)
    out = spec_augment(frames, rng=np.random.default_rng(0), n_time_masks=1, max_time_width=10,
                       n_freq_masks=0)
    changed = ~np.all(out == frames, axis=1)
    assert changed.any()
    np.testing.assert_allclose(out[changed], np.broadcast_to(frames.mean(axis=0),
                                                             out[changed].shape))


def test_spec_augment_is_seeded():
    X = sequences()
    a, _ = SpecAugment(random_state=3).fit_resample(X, [0, 1, 0, 1])
    b, _ = SpecAugment(random_state=3).fit_resample(X, [0, 1, 0, 1])
    np.testing.assert_array_equal(a, b)


def test_spec_augment_refuses_matrices():
    with pytest.raises(ValueError, match="FixedLengthSequence"):
        SpecAugment().fit_resample(np.zeros((4, 5)), [0, 1, 0, 1])


def test_augmented_copies_stay_long_enough_to_judge(make_voice):
    from sersk.audio import MIN_DURATION
    from sersk.features import MFCC

    # 0.5 s of voice in 1 s of silence, and 0.8 s of voice: trimmed and sped up by 1.1, both
    # would fall under MIN_DURATION, and the features would refuse the copies.
    short = np.r_[np.zeros(SR // 4), make_voice(duration=0.5, seed=1), np.zeros(SR // 4)]
    clips = [(short.astype(np.float32), SR), (make_voice(duration=0.8, seed=2), SR)]
    augmenter = AudioAugmenter(n_copies=2, time_stretch=(1.1, 1.2), pitch_shift=None,
                               gain_db=None, probability=1.0, random_state=0)
    X_res, _ = augmenter.fit_resample(clips, ["a", "b"])
    assert all(y.shape[0] >= MIN_DURATION * SR for y, _ in X_res)
    assert X_res[3][0].shape[0] < clips[1][0].shape[0]  # still stretched, as far as allowed
    MFCC(n_mfcc=8).fit_transform(X_res)  # no copy refused

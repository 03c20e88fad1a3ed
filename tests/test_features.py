"""Tests for sersk.features: the frame-feature functions and the transformers built on them."""

from __future__ import annotations

import pickle
import re
import shutil

import joblib
import librosa
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sersk.audio import load_audio, save_audio
from sersk.exceptions import AudioError
from sersk.features import (
    MFCC,
    AudioBatchError,
    Chroma,
    FixedLengthSequence,
    HandcraftedFeatures,
    LogMel,
    Pitch,
    RMSEnergy,
    SpectralContrast,
    StatisticsPooling,
    ZeroCrossingRate,
    chroma,
    log_mel,
    mfcc,
    pitch,
    rms_energy,
    spectral_contrast,
    stft_magnitude,
    zero_crossing_rate,
)
from sersk.features._spectral import _deltas

SR = 16_000


def sine(freq: float, *, sr: int = SR, duration: float = 0.5, amplitude: float = 0.3):
    t = np.arange(int(round(duration * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t + 0.3)).astype(np.float32)


def harmonic_tone(f0: float, *, sr: int = SR, duration: float = 0.5) -> np.ndarray:
    """A steady harmonic series (1/k amplitudes) up to 3.5 kHz: a buzzy vowel without formants."""
    t = np.arange(int(round(duration * sr))) / sr
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, int(3500 // f0) + 1))
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def white_noise(n: int, *, seed: int = 0, amplitude: float = 0.1) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def f0_hz(features: np.ndarray) -> np.ndarray:
    return 100.0 * 2.0 ** (features[:, 0] / 12.0)


# --- the functions ----------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [8000, 8001, 8159, 8160])
@pytest.mark.parametrize("hop_length", [160, 128])
def test_every_function_is_time_major_with_the_same_frames(n_samples, hop_length, make_voice):
    y = make_voice(duration=0.6, seed=1)[:n_samples]
    n_frames = 1 + n_samples // hop_length
    stft = {"n_fft": 512, "hop_length": hop_length, "win_length": 400}
    S = stft_magnitude(y=y, **stft)
    assert S.shape == (257, n_frames)
    blocks = {
        "mfcc": mfcc(y=y, sr=SR, n_mfcc=13, n_mels=40, delta_order=2, **stft),
        "log_mel": log_mel(y=y, sr=SR, n_mels=40, **stft),
        "chroma": chroma(y=y, sr=SR, **stft),
        "spectral_contrast": spectral_contrast(y=y, sr=SR, **stft),
        "zero_crossing_rate": zero_crossing_rate(y=y, sr=SR, frame_length=400,
                                                 hop_length=hop_length),
        "rms_energy": rms_energy(y=y, sr=SR, **stft),
        "pitch": pitch(y=y, sr=SR, hop_length=hop_length),
    }
    widths = {"mfcc": 39, "log_mel": 40, "chroma": 12, "spectral_contrast": 7,
              "zero_crossing_rate": 1, "rms_energy": 1, "pitch": 3}
    for name, block in blocks.items():
        assert block.shape == (n_frames, widths[name]), name
        assert block.dtype == np.float32, name
        assert np.isfinite(block).all(), name
    assert np.hstack(list(blocks.values())).shape == (n_frames, sum(widths.values()))
    # A precomputed STFT gives the same as the waveform.
    np.testing.assert_array_equal(log_mel(S=S, sr=SR, n_mels=40, **stft), blocks["log_mel"])
    np.testing.assert_array_equal(rms_energy(S=S, sr=SR, **stft), blocks["rms_energy"])


def test_rows_are_frames_in_time_order():
    # Silence for 0.25 s, then a loud tone: the first rows are silent, the last ones are not.
    y = np.concatenate([np.zeros(4000, np.float32), sine(440.0, duration=0.25)])
    energy = rms_energy(y=y, sr=SR)[:, 0]
    mel = log_mel(y=y, sr=SR)
    assert energy.shape == (51,)
    np.testing.assert_array_equal(energy[:20], -100.0)  # floored, finite
    assert np.all(energy[30:] > -25)
    np.testing.assert_array_equal(mel[:20], -100.0)
    assert np.all(mel[30:].max(axis=1) > -20)


def test_mfcc_matches_librosa_on_noise():
    # On white noise no mel band falls 80 dB under the loudest, so librosa's top_db clipping
    # (which sersk does not do) is inactive and the two should agree to float precision.
    y = white_noise(SR)
    ours = mfcc(y=y, sr=SR, n_mfcc=20, n_mels=40, delta_order=0)
    ref = librosa.feature.mfcc(
        y=y, sr=SR, n_mfcc=20, n_mels=40, n_fft=512, hop_length=160, win_length=400,
        center=True, pad_mode="constant",
    )
    db = librosa.power_to_db(librosa.feature.melspectrogram(
        y=y, sr=SR, n_mels=40, n_fft=512, hop_length=160, win_length=400))
    assert db.max() - db.min() < 80  # the premise: top_db does not clip
    assert ours.shape == ref.T.shape == (101, 20)
    np.testing.assert_allclose(ours, ref.T, rtol=1e-4, atol=1e-3)


def test_mfcc_matches_librosa_without_top_db_on_a_clip_with_silence(make_voice):
    # With silence the dB scales differ (librosa clips at 80 dB under the peak, sersk floors at
    # -100 dB): reproduce sersk's scaling with top_db=None and compare the DCT exactly.
    y = np.concatenate([np.zeros(3000, np.float32), make_voice(duration=0.5, seed=2)])
    ours = mfcc(y=y, sr=SR, n_mfcc=20, n_mels=64, delta_order=0)
    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_mels=64, n_fft=512, hop_length=160,
                                         win_length=400)
    ref = librosa.feature.mfcc(S=librosa.power_to_db(mel, top_db=None), n_mfcc=20)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(ours, ref.T, rtol=1e-4, atol=1e-5 * scale)
    # log_mel is that same dB spectrogram.
    np.testing.assert_allclose(log_mel(y=y, sr=SR), librosa.power_to_db(mel, top_db=None).T,
                               rtol=1e-5, atol=1e-3)


def test_mfcc_deltas(make_voice):
    y = make_voice(duration=0.6, seed=3)
    plain = mfcc(y=y, sr=SR, n_mfcc=13, delta_order=0)
    full = mfcc(y=y, sr=SR, n_mfcc=13, delta_order=2)
    n = plain.shape[0]
    assert plain.shape == (1 + y.size // 160, 13) and full.shape == (n, 39)
    np.testing.assert_array_equal(full[:, :13], plain)
    # Away from the edges, the deltas are librosa's (Savitzky-Golay slope over 9 frames) ...
    ref = librosa.feature.delta(plain.T, width=9, order=1).T
    np.testing.assert_allclose(full[4:-4, 13:26], ref[4:-4], rtol=1e-4, atol=1e-4)
    # ... and the delta-deltas are the deltas of the deltas (HTK), edges repeated.
    d = full[:, 13:26]
    padded = np.pad(d.astype(np.float64), ((4, 4), (0, 0)), mode="edge")
    dd = sum(k * (padded[4 + k : 4 + k + n] - padded[4 - k : 4 - k + n]) for k in range(1, 5))
    dd /= 2 * (1 + 4 + 9 + 16)
    np.testing.assert_allclose(full[:, 26:], dd, rtol=1e-4, atol=1e-4)


def test_deltas_of_a_linear_ramp_equal_its_slope():
    t = np.arange(50, dtype=np.float64)
    ramp = np.column_stack([0.5 * t, -2.0 * t + 3.0, np.full(50, 7.0)])
    d, dd = _deltas(ramp, order=2)
    np.testing.assert_allclose(d[4:-4], np.tile([0.5, -2.0, 0.0], (42, 1)), atol=1e-5)
    np.testing.assert_allclose(dd[8:-8], 0.0, atol=1e-5)
    # The edges repeat the first and last frames, so the slope fades there instead of jumping.
    assert 0 < d[0, 0] < 0.5 and 0 < d[-1, 0] < 0.5
    assert _deltas(ramp, order=0) == []


def test_log_mel_floor_and_chroma_against_librosa():
    y = sine(440.0)
    ours = chroma(y=y, sr=SR)
    ref = librosa.feature.chroma_stft(y=y, sr=SR, n_fft=512, hop_length=160, win_length=400,
                                      tuning=0.0)
    np.testing.assert_allclose(ours, ref.T, atol=1e-5)
    assert np.all(ours.argmax(axis=1) == 9)  # A, counting from C
    np.testing.assert_allclose(ours.max(axis=1), 1.0, rtol=1e-6)  # max-normalised per frame
    assert np.isfinite(chroma(y=np.zeros(1600, np.float32), sr=SR)).all()
    assert log_mel(y=np.zeros(1600, np.float32), sr=SR).min() == -100.0


def test_zero_crossing_rate_of_a_sine():
    rate = zero_crossing_rate(y=sine(1000.0), sr=SR)[:, 0]
    # Two crossings per period: 2000 per second, 0.125 per sample.
    assert np.median(rate[3:-3]) == pytest.approx(0.125, abs=0.005)
    low = zero_crossing_rate(y=sine(200.0), sr=SR)[:, 0]
    assert np.median(low[3:-3]) == pytest.approx(0.025, abs=0.005)


def test_rms_energy_is_in_decibels():
    quiet = rms_energy(y=sine(300.0, amplitude=0.01), sr=SR)[:, 0]
    loud = rms_energy(y=sine(300.0, amplitude=0.1), sr=SR)[:, 0]
    np.testing.assert_allclose((loud - quiet)[2:-2], 20.0, atol=0.01)  # 10x amplitude
    assert rms_energy(y=np.zeros(800, np.float32), sr=SR).max() == -100.0


def test_spectral_contrast_is_high_for_a_tone_and_low_for_noise():
    tone = spectral_contrast(y=sine(600.0), sr=SR)
    noise = spectral_contrast(y=white_noise(8000), sr=SR)
    assert tone.shape == noise.shape == (51, 7)
    # 600 Hz lies in the 400-800 Hz octave band (index 3 with fmin=100).
    assert np.median(tone[:, 3]) > np.median(noise[:, 3]) + 15


@pytest.mark.parametrize("f0", [80.0, 120.0, 200.0, 350.0])
def test_pitch_recovers_f0_of_harmonic_tones(f0):
    features = pitch(y=harmonic_tone(f0), sr=SR)
    assert features.shape == (51, 3)
    voiced = features[:, 2] == 1.0
    assert set(np.unique(features[:, 2])) <= {0.0, 1.0}
    assert voiced.mean() > 0.8
    np.testing.assert_allclose(f0_hz(features[voiced]), f0, rtol=0.02)
    assert np.all((features[:, 1] >= 0) & (features[:, 1] <= 1))
    assert np.median(features[voiced, 1]) > 0.9  # strongly periodic


@pytest.mark.parametrize("sr", [8_000, 22_050, 44_100])
def test_pitch_at_other_rates(sr):
    # frame_length and hop_length are in samples: scale them to keep 64 ms and 10 ms.
    frame_length, hop_length = 1024 * sr // SR, round(160 * sr / SR)
    features = pitch(y=harmonic_tone(150.0, sr=sr), sr=sr, frame_length=frame_length,
                     hop_length=hop_length)
    assert features.shape == (1 + (sr // 2) // hop_length, 3)
    voiced = features[:, 2] == 1.0
    assert voiced.mean() > 0.8
    np.testing.assert_allclose(f0_hz(features[voiced]), 150.0, rtol=0.02)


def test_pitch_reports_noise_and_silence_as_unvoiced():
    noise = pitch(y=white_noise(8000, seed=4), sr=SR)
    assert noise[:, 2].mean() < 0.1
    silence = pitch(y=np.zeros(8000, np.float32), sr=SR)
    np.testing.assert_array_equal(silence[:, 2], 0.0)
    np.testing.assert_array_equal(silence[:, 0], 0.0)  # 100 Hz, by convention, not NaN
    # A tone then silence: the silent part is unvoiced but carries the last F0 forward.
    y = np.concatenate([harmonic_tone(200.0, duration=0.3), np.zeros(4800, np.float32)])
    mixed = pitch(y=y, sr=SR)
    assert mixed[:25, 2].mean() > 0.8 and mixed[-20:, 2].sum() == 0
    np.testing.assert_allclose(f0_hz(mixed[-20:]), 200.0, rtol=0.02)


def test_pitch_contour_of_a_glide_rises():
    # An exponential glide from 120 to 240 Hz over one second: +12 semitones per second.
    t = np.arange(SR) / SR
    phase = 2 * np.pi * 120.0 * (2.0**t - 1) / np.log(2)
    y = 0.3 * sum(np.sin(k * phase) / k for k in range(1, 8))
    features = pitch(y=y.astype(np.float32), sr=SR)
    voiced = features[:, 2] == 1.0
    assert voiced.mean() > 0.8
    times = np.arange(features.shape[0]) * 160 / SR
    slope, intercept = np.polyfit(times[voiced], features[voiced, 0], 1)
    assert slope == pytest.approx(12.0, rel=0.1)
    assert intercept == pytest.approx(12 * np.log2(1.2), abs=0.5)  # 120 Hz re 100 Hz
    assert np.mean(np.diff(features[voiced, 0]) > 0) > 0.9


@pytest.mark.parametrize(("call", "message"), [
    (lambda y: pitch(y=y, sr=SR, fmin=300.0, fmax=200.0),
     r"need 0 < fmin < fmax, got fmin=300.0, fmax=200.0"),
    (lambda y: pitch(y=y, sr=SR, fmin=200.0, fmax=200.0), "need 0 < fmin < fmax"),
    (lambda y: pitch(y=y, sr=SR, fmin=0.0), "need 0 < fmin < fmax"),
    (lambda y: pitch(y=y, sr=SR, frame_length=128),
     r"frame_length=128 cannot hold a period of fmin=60.0 Hz at sr=16000 \(267 samples\); "
     "raise frame_length or fmin"),
    (lambda y: mfcc(y=y, sr=SR, n_mfcc=50, n_mels=40), "n_mfcc=50 cannot exceed n_mels=40"),
    (lambda y: spectral_contrast(y=y, sr=8_000),
     r"fmin=100.0 Hz with n_bands=6 reaches 6400 Hz, at or above the Nyquist frequency of "
     "sr=8000; lower fmin or n_bands"),
    (lambda y: spectral_contrast(y=y, sr=SR, fmin=200.0),
     "reaches 12800 Hz, at or above the Nyquist frequency of sr=16000"),
    (lambda y: log_mel(sr=SR), "pass either a waveform y or a magnitude spectrogram S"),
])
def test_function_parameter_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(sine(200.0, duration=0.1))


# --- the transformers -------------------------------------------------------------------------

# factory, channels per frame, whether the default pooling adds deltas
TRANSFORMERS = {
    "MFCC": (lambda **kw: MFCC(n_mfcc=13, **kw), 26, False),
    "LogMel": (lambda **kw: LogMel(n_mels=32, **kw), 32, True),
    "Chroma": (Chroma, 12, True),
    "SpectralContrast": (SpectralContrast, 7, True),
    "ZeroCrossingRate": (ZeroCrossingRate, 1, True),
    "RMSEnergy": (RMSEnergy, 1, True),
    "Pitch": (Pitch, 3, True),
    "HandcraftedFeatures": (lambda **kw: HandcraftedFeatures(n_mfcc=13, **kw), 37, True),
}


@pytest.fixture
def count_extractions(monkeypatch):
    """Spy on a transformer class's ``_frame_matrix``: returns the list of calls (in-process)."""

    def install(cls):
        calls = []
        original = cls._frame_matrix

        def spy(self, y):
            calls.append(y.size)
            return original(self, y)

        monkeypatch.setattr(cls, "_frame_matrix", spy)
        return calls

    return install


@pytest.fixture
def clips(make_voice):
    """Three short voices at three rates, as (waveform, sr) tuples."""
    return [
        (make_voice(f0=110.0 + 60 * i, duration=0.8 + 0.05 * i, sr=sr, seed=i), sr)
        for i, sr in enumerate([16_000, 22_050, 44_100])
    ]


@pytest.fixture
def clip_paths(tmp_path, clips):
    """The same clips as float WAV files: decoding gives back exactly the same samples."""
    paths = []
    for i, (y, sr) in enumerate(clips):
        path = tmp_path / f"voice_{i}.wav"
        save_audio(path, y, sr, subtype="FLOAT")
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("name", list(TRANSFORMERS))
def test_transformer_paths_tuples_names_and_determinism(name, clips, clip_paths,
                                                        count_extractions):
    factory, n_channels, pooled_deltas = TRANSFORMERS[name]
    cls = type(factory())
    calls = count_extractions(cls)
    est = factory().fit(clip_paths)
    assert calls == []  # fit checks inputs but extracts nothing
    from_paths = est.transform(clip_paths)
    assert len(calls) == 3
    n_out = n_channels * 7 * (2 if pooled_deltas else 1)
    assert from_paths.shape == (3, n_out) and from_paths.dtype == np.float32
    assert np.isfinite(from_paths).all()
    np.testing.assert_array_equal(est.transform(clips), from_paths)
    np.testing.assert_array_equal(est.transform(clip_paths), from_paths)  # deterministic
    mappings = [{"array": y, "sampling_rate": sr} for y, sr in clips]
    np.testing.assert_array_equal(est.transform(mappings), from_paths)
    names = est.get_feature_names_out()
    assert names.shape == (n_out,) and len(set(names)) == n_out
    assert all(isinstance(n, str) for n in names)
    frame = factory().set_output(transform="pandas").fit(clip_paths).transform(clip_paths)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(names)
    np.testing.assert_array_equal(frame.to_numpy(), from_paths)


def test_flac_16bit_gives_nearly_the_same_features(tmp_path, clips):
    paths = []
    for i, (y, sr) in enumerate(clips):
        paths.append(tmp_path / f"voice_{i}.flac")
        save_audio(paths[-1], y, sr, subtype="PCM_16")
    est = MFCC(n_mfcc=13).fit(clips)
    # 16-bit quantisation noise (-96 dB) moves the cepstra by a fraction of a dB.
    np.testing.assert_allclose(est.transform(paths), est.transform(clips), rtol=0.01, atol=0.5)
    # A waveform already on the 16-bit grid survives FLAC exactly.
    on_grid = [(np.round(y * 32768) / 32768, sr) for y, sr in clips]
    for path, (y, sr) in zip(paths, on_grid, strict=True):
        save_audio(path, y, sr, subtype="PCM_16")
    np.testing.assert_array_equal(est.transform(paths), est.transform(on_grid))


def test_feature_names(clips):
    mfcc_names = MFCC(n_mfcc=3, delta_order=0).fit(clips).get_feature_names_out()
    assert list(mfcc_names[:4]) == ["mfcc0_mean", "mfcc1_mean", "mfcc2_mean", "mfcc0_std"]
    assert "mfcc2_p90" in mfcc_names and "d_mfcc2_std" in mfcc_names
    pitch_names = Pitch().fit(clips).get_feature_names_out()
    assert {"f0_semitones_mean", "periodicity_p50", "voiced_mean", "d_f0_semitones_std"} <= set(
        pitch_names)
    hand = HandcraftedFeatures(n_mfcc=2, features=("pitch", "mfcc", "zero_crossing_rate"))
    assert list(hand.fit(clips).get_feature_names_out()[:6]) == [
        "f0_semitones_mean", "periodicity_mean", "voiced_mean", "mfcc0_mean", "mfcc1_mean",
        "zcr_mean",
    ]


def test_two_dimensional_array_is_one_waveform_per_row(make_voice):
    rows = np.stack([make_voice(f0=f0, duration=0.8, seed=i)
                     for i, f0 in enumerate([100.0, 200.0, 300.0])])
    est = MFCC(n_mfcc=8).fit(rows)
    assert est.n_features_in_ == rows.shape[1]
    out = est.transform(rows)
    assert out.shape == (3, 8 * 2 * 7)
    np.testing.assert_array_equal(out, est.transform([(r, SR) for r in rows]))
    np.testing.assert_array_equal(out, est.transform(list(rows)))
    # float64 rows give the same features as float32 ones (waveforms are float32 inside).
    np.testing.assert_array_equal(out, est.transform(rows.astype(np.float64)))


def test_frames_pooling_returns_ragged_frame_lists(clips, clip_paths):
    est = MFCC(n_mfcc=13, delta_order=1, pooling="frames", trim_db=None).fit(clip_paths)
    frames = est.transform(clip_paths)
    assert isinstance(frames, list) and len(frames) == 3
    names = est.get_feature_names_out()
    assert list(names[:2]) == ["mfcc0", "mfcc1"] and names[13] == "d_mfcc0"
    for matrix, (y, sr) in zip(frames, clips, strict=True):
        n_samples = load_audio((y, sr)).size
        assert matrix.shape == (1 + n_samples // 160, 26) == (matrix.shape[0], len(names))
        # Extraction runs with single-threaded BLAS: equal up to float rounding.
        np.testing.assert_allclose(
            matrix, mfcc(y=load_audio((y, sr)), sr=SR, n_mfcc=13, delta_order=1),
            rtol=1e-5, atol=1e-4)
    assert len({m.shape[0] for m in frames}) == 3  # ragged
    # extract_frames is the same, and needs no fit.
    for a, b in zip(MFCC(n_mfcc=13, trim_db=None).extract_frames(clips), frames, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fixed_length_sequence_pooling_gives_3d(clips):
    est = MFCC(n_mfcc=13, delta_order=0, pooling=FixedLengthSequence(n_frames=30)).fit(clips)
    out = est.transform(clips)
    assert out.shape == (3, 30, 14) and out.dtype == np.float32
    names = est.get_feature_names_out()
    assert len(names) == 14 and names[-1] == "frame_valid" and names[0] == "mfcc0"
    longer = MFCC(n_mfcc=13, delta_order=0,
                  pooling=FixedLengthSequence(n_frames=60, pad_value=-1.0)).fit(clips)
    padded = longer.transform(clips)
    lengths = [f.shape[0] for f in MFCC(n_mfcc=13, delta_order=0).extract_frames(clips)]
    np.testing.assert_array_equal(padded[:, :, -1].sum(axis=1), np.minimum(lengths, 60))
    np.testing.assert_array_equal(padded[0, lengths[0]:, :-1], -1.0)
    np.testing.assert_array_equal(out, padded[:, :30])


def test_stats_pooling_is_statistics_pooling_of_the_frames(clips):
    frames = LogMel(n_mels=16).extract_frames(clips)
    expected = StatisticsPooling().fit(frames).transform(frames)
    np.testing.assert_array_equal(LogMel(n_mels=16).fit(clips).transform(clips), expected)
    custom = StatisticsPooling(statistics=("min", "max"), percentiles=(), deltas=False)
    est = LogMel(n_mels=16, pooling=custom).fit(clips)
    np.testing.assert_array_equal(est.transform(clips), custom.fit(frames).transform(frames))
    assert list(est.get_feature_names_out()[:2]) == ["logmel0_min", "logmel1_min"]
    assert est.pooling_ is not custom  # cloned, the parameter left untouched


def test_mfcc_deltas_are_not_pooled_twice(clips):
    with_frame_deltas = MFCC(n_mfcc=5, delta_order=1).fit(clips)
    names = list(with_frame_deltas.get_feature_names_out())
    assert len(names) == 5 * 2 * 7
    assert names.count("d_mfcc0_mean") == 1 and not any(n.startswith("d_d_") for n in names)
    assert with_frame_deltas.pooling_.deltas is False
    # Pooling the frames' deltas (delta_order=1) or letting the pooling compute them
    # (delta_order=0) gives the same columns under the same names.
    # (delta_order=0) gives the same columns under the same names (in another order: the
    # pooling puts its deltas block last).
    pooled_deltas = MFCC(n_mfcc=5, delta_order=0).fit(clips)
    other_names = list(pooled_deltas.get_feature_names_out())
    assert sorted(other_names) == sorted(names)
    order = [other_names.index(n) for n in names]
    np.testing.assert_allclose(pooled_deltas.transform(clips)[:, order],
                               with_frame_deltas.transform(clips), rtol=1e-4, atol=1e-3)
    second = MFCC(n_mfcc=5, delta_order=2).fit(clips)
    names2 = list(second.get_feature_names_out())
    assert len(names2) == 5 * 3 * 7 and "dd_mfcc4_p90" in names2
    assert not any(n.startswith(("d_d_", "d_dd_")) for n in names2)


def test_handcrafted_features_stack_the_single_features(make_voice):
    y = make_voice(duration=0.8, seed=5)
    est = HandcraftedFeatures(features=("mfcc", "log_mel", "chroma", "spectral_contrast",
                                        "zero_crossing_rate", "rms_energy", "pitch"),
                              n_mfcc=10, n_mels=32, pooling="frames", trim_db=None)
    frames = est.fit([y]).transform([y])[0]
    expected = np.hstack([
        mfcc(y=y, sr=SR, n_mfcc=10, n_mels=32, delta_order=0),
        log_mel(y=y, sr=SR, n_mels=32),
        chroma(y=y, sr=SR),
        spectral_contrast(y=y, sr=SR),
        zero_crossing_rate(y=y, sr=SR),
        rms_energy(y=y, sr=SR),
        pitch(y=y, sr=SR, frame_length=768),
    ])
    assert frames.shape == expected.shape == (81, len(est.get_feature_names_out()))
    np.testing.assert_allclose(frames, expected, rtol=1e-5, atol=1e-4)


def test_handcrafted_frame_deltas_follow_every_channel(make_voice):
    y = make_voice(duration=0.8, seed=6)
    plain = HandcraftedFeatures(features=("mfcc", "rms_energy", "pitch"), n_mfcc=5,
                                pooling="frames", trim_db=None).fit([y])
    est = clone(plain).set_params(delta_order=2).fit([y])
    base, frames = plain.transform([y])[0], est.transform([y])[0]
    n = base.shape[1]
    assert frames.shape == (base.shape[0], 3 * n)
    np.testing.assert_array_equal(frames[:, :n], base)
    # The deltas are MFCC's: the same regression over 9 frames as mfcc(delta_order=2).
    coefficients = mfcc(y=y, sr=SR, n_mfcc=5, delta_order=2)
    np.testing.assert_allclose(frames[:, [n, 2 * n]], coefficients[:, [5, 10]], atol=1e-3)
    names = list(est.get_feature_names_out())
    assert names[n:n + 2] == ["d_mfcc0", "d_mfcc1"] and names[-1] == "dd_voiced"
    # As sequences for a CRNN: the deltas, then the frame_valid channel.
    seq = clone(est).set_params(pooling=FixedLengthSequence(n_frames=60)).fit([y])
    assert seq.transform([y]).shape == (1, 60, 3 * n + 1)
    # Pooled statistics do not take deltas of the deltas.
    pooled = clone(est).set_params(pooling="stats").fit([y]).get_feature_names_out()
    assert not any(name.startswith("d_d_") for name in pooled)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: MFCC(n_mfcc=50, n_mels=40), "n_mfcc=50 cannot exceed n_mels=40"),
    (lambda: MFCC(win_length=600), "win_length=600 cannot exceed n_fft=512"),
    (lambda: MFCC(delta_order=3), "delta_order"),
    (lambda: MFCC(pooling="mean"), "pooling"),
    (lambda: LogMel(sr=500), "sr"),
    (lambda: Pitch(fmin=300.0, fmax=200.0),
     r"need fmin < fmax < sr / 2, got fmin=300.0, fmax=200.0, sr=16000"),
    (lambda: Pitch(fmax=9000.0), "need fmin < fmax < sr / 2"),
    (lambda: Pitch(frame_length=200),
     "frame_length=200 cannot hold one period of fmin=60.0 Hz at sr=16000"),
    (lambda: SpectralContrast(fmin=200.0),
     "fmin=200.0 Hz with n_bands=6 reaches 12800 Hz, at or above the Nyquist frequency"),
    (lambda: SpectralContrast(sr=8_000), "at or above the Nyquist frequency of sr=8000"),
    (lambda: HandcraftedFeatures(features=("mfcc", "formants")),
     "features must be a non-empty selection of"),
    (lambda: HandcraftedFeatures(features=()), "features must be a non-empty selection"),
    (lambda: HandcraftedFeatures(features=("mfcc", "pitch", "mfcc")),
     "features repeats a name"),
    (lambda: HandcraftedFeatures(n_mfcc=80), "n_mfcc=80 cannot exceed n_mels=64"),
    (lambda: HandcraftedFeatures(sr=8_000), "spectral contrast needs sr > 12800 Hz, got sr=8000"),
    (lambda: HandcraftedFeatures(pitch_fmin=400.0, pitch_fmax=300.0), "need fmin < fmax"),
])
def test_transformer_parameter_errors(make, message, clips):
    with pytest.raises(ValueError, match=message):
        make().fit(clips)
    with pytest.raises(ValueError, match=message):
        make().extract_frames(clips)


def test_transformer_input_errors(clip_paths, clips):
    est = MFCC(n_mfcc=5)
    with pytest.raises(NotFittedError):
        est.transform(clip_paths)
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()
    for bad in (clip_paths[0], pd.Series(clip_paths).iloc[0]):
        with pytest.raises(ValueError, match=re.escape(
                f"got the single path {clip_paths[0]!r}; wrap it in a list: [path]")):
            est.fit(bad)
    with pytest.raises(ValueError, match=r"got one \(waveform, sample_rate\) tuple; wrap it"):
        est.fit(clips[0])
    with pytest.raises(ValueError, match="got a single mapping; wrap it in a list"):
        est.fit({"array": clips[0][0], "sampling_rate": clips[0][1]})
    with pytest.raises(ValueError, match="the batch of audio inputs is empty"):
        est.fit([])
    fitted = MFCC(n_mfcc=5).fit(clip_paths)
    with pytest.raises(ValueError, match="single path"):
        fitted.transform(clip_paths[1])


def test_pandas_series_of_paths(clip_paths):
    est = MFCC(n_mfcc=5).fit(clip_paths)
    np.testing.assert_array_equal(est.transform(pd.Series(clip_paths)), est.transform(clip_paths))
    np.testing.assert_array_equal(est.transform(np.array(clip_paths)), est.transform(clip_paths))


def test_pipeline_separates_low_and_high_voices(voice_files):
    paths, labels = voice_files
    model = make_pipeline(MFCC(n_mfcc=13), StandardScaler(), SVC()).fit(paths, labels)
    assert set(model.predict(paths)) == {"low", "high"}
    assert model.score(paths, labels) == 1.0
    assert model.named_steps["mfcc"].n_clips_fit_ == len(paths)


def test_parallel_extraction_matches_serial(clips):
    batch = clips + [(y[::-1].copy(), sr) for y, sr in clips]
    serial = MFCC(n_mfcc=13, n_jobs=1).fit(batch).transform(batch)
    parallel = MFCC(n_mfcc=13, n_jobs=2).fit(batch).transform(batch)
    np.testing.assert_array_equal(parallel, serial)
    # Errors raised in the workers come back whole (AudioError pickles) and in batch order.
    bad = [batch[0], (np.zeros(8000, np.float32), SR), batch[1], (batch[2][0][:50], 44_100)]
    with pytest.raises(AudioBatchError, match=r"2 of 4 audio input\(s\)") as excinfo:
        MFCC(n_mfcc=13, n_jobs=2).fit(bad).transform(bad)
    assert list(excinfo.value.errors) == [1, 3]
    assert "waveform #1: is silent" in str(excinfo.value)
    assert "waveform #3: is too short" in str(excinfo.value)


# --- caching ----------------------------------------------------------------------------------


def cached_files(folder):
    return sorted(folder.rglob("*.npy"))


@pytest.mark.parametrize("memory_kind", ["str", "path", "joblib"])
def test_cache_second_transform_reads_the_cache(tmp_path, clip_paths, count_extractions,
                                                memory_kind):
    folder = tmp_path / "cache"
    memory = {"str": str(folder), "path": folder,
              "joblib": joblib.Memory(folder, verbose=0)}[memory_kind]
    calls = count_extractions(MFCC)
    est = MFCC(n_mfcc=13, memory=memory).fit(clip_paths)
    first = est.transform(clip_paths)
    assert len(calls) == 3 and len(cached_files(folder)) == 3
    calls.clear()
    second = est.transform(clip_paths)
    assert calls == []
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(first, MFCC(n_mfcc=13).fit(clip_paths).transform(clip_paths))


def test_cache_is_keyed_by_content_and_frame_parameters(tmp_path, clip_paths, clips,
                                                        count_extractions):
    folder = tmp_path / "cache"
    calls = count_extractions(MFCC)
    reference = MFCC(n_mfcc=13, memory=folder).fit(clip_paths).transform(clip_paths)
    calls.clear()

    # A copy under another name hits (the key is the file's content) ...
    copy = shutil.copy(clip_paths[1], tmp_path / "renamed copy.wav")
    hit = MFCC(n_mfcc=13, memory=folder).fit([copy]).transform([copy])
    assert calls == []
    np.testing.assert_array_equal(hit[0], reference[1])

    # ... pooling, n_jobs and verbose do not change the frames, so they hit too ...
    frames = MFCC(n_mfcc=13, memory=folder, pooling="frames", n_jobs=2).fit(clip_paths)
    frames = frames.transform(clip_paths)
    assert calls == [] and len(frames) == 3
    MFCC(n_mfcc=13, memory=folder, verbose=True).fit(clip_paths).transform(clip_paths)
    assert calls == []

    # ... while a frame parameter, or the analysis rate, misses.
    MFCC(n_mfcc=12, memory=folder).fit(clip_paths).transform(clip_paths)
    assert len(calls) == 3
    calls.clear()
    MFCC(n_mfcc=13, sr=22_050, memory=folder).fit(clip_paths).transform(clip_paths)
    assert len(calls) == 3
    calls.clear()
    # An edited file misses even under the same name.
    y, sr = clips[0]
    save_audio(clip_paths[0], y * 0.5, sr, subtype="FLOAT")
    MFCC(n_mfcc=13, memory=folder).fit(clip_paths).transform(clip_paths)
    assert len(calls) == 1


def test_cache_serves_stored_frames_even_with_parallel_settings(tmp_path, clip_paths):
    # Proof that hits come from the files: replace every cached matrix by a marker value.
    folder = tmp_path / "cache"
    MFCC(n_mfcc=13, memory=folder).fit(clip_paths).transform(clip_paths)
    for path in cached_files(folder):
        np.save(path, np.full_like(np.load(path), 7.0))
    frames = MFCC(n_mfcc=13, memory=folder, pooling="frames", n_jobs=2).fit(clip_paths)
    for matrix in frames.transform(clip_paths):
        np.testing.assert_array_equal(matrix, 7.0)


def test_cache_works_for_in_memory_waveforms(tmp_path, clips, count_extractions):
    calls = count_extractions(Pitch)
    est = Pitch(memory=tmp_path / "cache").fit(clips)
    first = est.transform(clips)
    calls.clear()
    np.testing.assert_array_equal(est.transform(clips), first)
    assert calls == []
    # The same samples at another declared rate are other audio.
    y, _ = clips[0]
    est.transform([(y, 8_000)])
    assert len(calls) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupted_cache_file_is_a_miss(tmp_path, clip_paths, count_extractions, damage):
    folder = tmp_path / "cache"
    calls = count_extractions(MFCC)
    est = MFCC(n_mfcc=13, memory=folder).fit(clip_paths)
    first = est.transform(clip_paths)
    victim = cached_files(folder)[0]
    data = victim.read_bytes()
    victim.write_bytes({"garbage": b"not a numpy file" * 10, "truncated": data[: len(data) // 2],
                        "empty": b""}[damage])
    calls.clear()
    np.testing.assert_array_equal(est.transform(clip_paths), first)
    assert len(calls) == 1  # only the damaged entry was recomputed ...
    assert np.load(victim).shape[1] == 26  # ... and stored again


def test_disabled_joblib_memory_does_not_cache(tmp_path, clips, count_extractions):
    calls = count_extractions(RMSEnergy)
    est = RMSEnergy(memory=joblib.Memory(None)).fit(clips)
    est.transform(clips)
    est.transform(clips)
    assert len(calls) == 6
    with pytest.raises(ValueError, match="memory"):
        RMSEnergy(memory=42).fit(clips)


# --- bad inputs in a batch ---------------------------------------------------------------------


@pytest.fixture
def mixed_batch(tmp_path, make_voice):
    """Two good files around a missing file, a silent file and a 10 ms clip."""
    good = []
    for i in range(2):
        path = tmp_path / f"good_{i}.wav"
        save_audio(path, make_voice(f0=150.0 + 50 * i, duration=0.8, seed=i), SR)
        good.append(str(path))
    silent = tmp_path / "silent.wav"
    save_audio(silent, np.zeros(SR // 4), SR)
    tiny = tmp_path / "tiny.wav"
    save_audio(tiny, make_voice(duration=0.01, seed=9), SR)
    missing = tmp_path / "missing.wav"
    return good, [good[0], str(missing), str(silent), str(tiny), good[1]]


@pytest.mark.parametrize("cls", [MFCC, HandcraftedFeatures])
def test_bad_inputs_are_collected_after_the_good_ones_are_cached(tmp_path, mixed_batch, cls,
                                                                 count_extractions):
    good, batch = mixed_batch
    calls = count_extractions(cls)
    est = cls(memory=tmp_path / "cache").fit(batch)
    with pytest.raises(AudioBatchError) as excinfo:
        est.transform(batch)
    err = excinfo.value
    assert isinstance(err, AudioError) and isinstance(err, ValueError)
    assert len(calls) == 2  # the good files were extracted
    assert sorted(err.errors) == [1, 2, 3] and err.n_inputs == 5
    message = str(err)
    assert message.startswith("3 of 5 audio input(s) could not be used")
    assert re.search(r"\[1\] .*missing\.wav: file not found", message)
    assert re.search(r"\[2\] .*silent\.wav: is silent", message)
    assert re.search(r"\[3\] .*tiny\.wav: is too short to judge: 10 ms of audio, under the "
                     r"750 ms minimum", message)
    assert "good_0" not in message and "good_1" not in message
    assert err.errors[3].source == batch[3]
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is AudioBatchError and str(clone) == message
    assert sorted(clone.errors) == [1, 2, 3]
    # The good ones are in the cache: a rerun without the bad ones extracts nothing.
    calls.clear()
    out = est.transform(good)
    assert calls == [] and out.shape[0] == 2 and np.isfinite(out).all()


def test_extract_frames_also_collects_errors_without_a_cache(mixed_batch):
    _, batch = mixed_batch
    with pytest.raises(AudioBatchError, match=r"missing\.wav: file not found") as excinfo:
        ZeroCrossingRate().extract_frames(batch)
    assert sorted(excinfo.value.errors) == [1, 2, 3]


@pytest.mark.parametrize("cls", [MFCC, HandcraftedFeatures])
def test_a_50_ms_clip_is_analysed_when_the_clip_minimum_is_lifted(tmp_path, make_voice, cls):
    # min_duration=0 leaves the analysis window as the only limit, which a 50 ms clip passes.
    y = make_voice(f0=200.0, duration=0.05, seed=11)
    path = tmp_path / "short.wav"
    save_audio(path, y, SR, subtype="FLOAT")
    est = cls(pooling="frames", trim_db=None, min_duration=0).fit([path])
    frames = est.transform([path, (y, SR)])
    assert frames[0].shape == (1 + 800 // 160, len(est.get_feature_names_out()))
    np.testing.assert_array_equal(frames[0], frames[1])
    # With the default edge trimming too: the faded ends go, what is left is still analysed.
    pooled = cls(min_duration=0).fit([path]).transform([path])
    assert pooled.shape[0] == 1 and np.isfinite(pooled).all()


def test_the_shortest_clip_follows_the_longest_window(make_voice):
    # HandcraftedFeatures needs a 48 ms pitch frame; MFCC only its 25 ms STFT window.
    clip = (make_voice(duration=0.04, seed=12), SR)
    assert MFCC(min_duration=0).fit([clip]).transform([clip]).shape[0] == 1
    with pytest.raises(AudioBatchError, match=r"waveform #0: is too short: 40\.0 ms, shorter "
                       r"than the 48\.0 ms analysis window"):
        HandcraftedFeatures(min_duration=0).fit([clip]).transform([clip])



@pytest.mark.parametrize("cls", [MFCC, LogMel, HandcraftedFeatures, RMSEnergy])
def test_clips_too_short_to_judge_are_refused(tmp_path, make_voice, cls):
    from sersk.audio import MIN_DURATION

    n_min = int(np.ceil(MIN_DURATION * SR))
    voice = make_voice(duration=1.0, seed=13)
    path = tmp_path / "blip.wav"
    save_audio(path, voice[:SR // 10], SR)
    est = cls().fit([(voice, SR)])
    with pytest.raises(AudioBatchError) as excinfo:
        est.transform([(voice[:n_min], SR), str(path), (voice[: SR // 40], SR)])
    assert sorted(excinfo.value.errors) == [1, 2]  # exactly the minimum passes
    message = str(excinfo.value)
    assert (f"blip.wav: is too short to judge: 100 ms of audio, under the "
            f"{1000 * MIN_DURATION:.0f} ms minimum") in message
    # A 25 ms clip meets the same rule, not the analysis window's.
    assert "waveform #2: is too short to judge: 25 ms" in message
    # The minimum is a parameter; it does not enter the cache key, as it changes no frames.
    assert cls(min_duration=0.05).fit([path]).transform([path]).shape[0] == 1
    assert cls(min_duration=0.05)._cache_signature() == cls()._cache_signature()
    with pytest.raises(ValueError, match="min_duration"):
        cls(min_duration=-1.0).fit([path])


def test_models_pickled_before_the_minimum_existed_refuse_short_clips(make_voice):
    from sersk.audio import MIN_DURATION

    est = MFCC(n_mfcc=8).fit([(make_voice(duration=1.0), SR)])
    del est.__dict__["min_duration"]  # as unpickled from an older sersk
    restored = pickle.loads(pickle.dumps(est))
    assert restored.min_duration == MIN_DURATION
    with pytest.raises(AudioBatchError, match="too short to judge"):
        restored.transform([(make_voice(duration=0.1), SR)])


def test_batch_error_message_lists_twenty_then_counts_the_rest():
    silent = [(np.zeros(1600, np.float32), SR)] * 25
    with pytest.raises(AudioBatchError) as excinfo:
        RMSEnergy().extract_frames([(white_noise(SR), SR), *silent])
    message = str(excinfo.value)
    assert message.startswith("25 of 26 audio input(s) could not be used")
    assert "[1] waveform #1: is silent" in message and "[20] waveform #20" in message
    assert "[21]" not in message and message.endswith("… and 5 more")
    assert len(excinfo.value.errors) == 25


@pytest.mark.parametrize("amplitude", [1.0, 0.3, 0.01])
def test_rms_energy_reads_dbfs_of_a_sine(amplitude):
    """A sine of amplitude A has an RMS of A / sqrt(2): -3.01 dBFS at full scale."""
    t = np.arange(16_000) / 16_000
    y = (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    level = rms_energy(y=y, sr=16_000)[5:-5, 0]
    np.testing.assert_allclose(level, 20 * np.log10(amplitude / np.sqrt(2)), atol=0.05)


def test_trim_silence_cuts_the_quiet_edges_only(make_voice):
    from sersk.audio import trim_silence

    voice = make_voice(duration=0.5, seed=3)
    padded = np.r_[np.zeros(SR), voice, 1e-4 * np.ones(SR)].astype(np.float32)
    kept = trim_silence(padded, sr=SR, top_db=30.0)
    # The voice fades in and out over 50 ms, so a little of each fade goes too.
    assert 0.40 * SR <= kept.size <= 0.5 * SR + 160  # cut within half a 10 ms hop
    assert np.shares_memory(kept, padded)
    # Nothing to cut in a steady signal; nothing cut if less than min_duration would remain.
    steady = voice[2000:6000]
    assert trim_silence(steady, sr=SR).size == steady.size
    assert trim_silence(padded, sr=SR, min_duration=1.0).size == padded.size


def test_transformers_ignore_silence_around_the_voice_by_default(make_voice):
    voice = make_voice(duration=0.8, seed=4)
    padded = np.r_[np.zeros(SR), voice, np.zeros(SR)].astype(np.float32)
    trimmed = HandcraftedFeatures().fit_transform([(voice, SR), (padded, SR)])
    untrimmed = HandcraftedFeatures(trim_db=None).fit_transform([(voice, SR), (padded, SR)])
    names = list(HandcraftedFeatures().fit([voice]).get_feature_names_out())
    energy = names.index("rms_db_mean")
    # The mean level of a clip that is two-thirds silence is far lower, unless trimmed.
    assert abs(trimmed[0, energy] - trimmed[1, energy]) < 1.0
    assert untrimmed[0, energy] - untrimmed[1, energy] > 20.0


def test_cache_folder_expands_the_home_directory(tmp_path, monkeypatch, make_voice):
    monkeypatch.setenv("HOME", str(tmp_path))
    y = make_voice(duration=0.8, seed=6)
    MFCC(memory="~/feature-cache").fit_transform([(y, SR)])
    assert any((tmp_path / "feature-cache").rglob("*.npy"))
    assert not (tmp_path / "~").exists()

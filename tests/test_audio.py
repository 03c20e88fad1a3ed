"""Tests for sersk.audio: decoding, resampling, in-memory inputs and the errors on bad audio."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sersk.audio import (
    DEFAULT_SAMPLE_RATE,
    MIN_DURATION,
    check_duration,
    describe_source,
    is_audio_path,
    load_audio,
    read_audio,
    resample,
    save_audio,
    validate_waveform,
)
from sersk.exceptions import AudioError, SerskError

SR = DEFAULT_SAMPLE_RATE


def tone(freq: float = 440.0, *, sr: int = SR, duration: float = 0.5, amplitude: float = 0.5):
    """A float32 sine wave."""
    t = np.arange(int(round(duration * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(n: int, *, seed: int = 0, amplitude: float = 0.2) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).uniform(-1, 1, n)).astype(np.float32)


def peak_frequency(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return float(np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spectrum)])


def assert_audio_error(excinfo, path, problem: str):
    """The error is an AudioError (so a ValueError) naming the file and matching the problem."""
    err = excinfo.value
    assert isinstance(err, AudioError)
    assert isinstance(err, ValueError)
    assert isinstance(err, SerskError)
    assert err.source == os.fspath(path)
    assert os.path.basename(os.fspath(path)) in str(err)
    assert re.search(problem, err.problem), err.problem


# --- decoding files ---------------------------------------------------------------------------

# (format, subtype, extension, largest error on a 0.5-amplitude signal)
FORMATS = [
    ("WAV", "PCM_U8", "wav", 1 / 128),
    ("WAV", "PCM_16", "wav", 1 / 2**15),
    ("WAV", "PCM_24", "wav", 1 / 2**23),
    ("WAV", "PCM_32", "wav", 1e-7),
    ("WAV", "FLOAT", "wav", 0.0),
    ("WAV", "DOUBLE", "wav", 0.0),
    ("FLAC", "PCM_16", "flac", 1 / 2**15),
    ("FLAC", "PCM_24", "flac", 1 / 2**23),
    ("AIFF", "PCM_16", "aiff", 1 / 2**15),
    ("AIFF", "PCM_24", "aif", 1 / 2**23),
    ("AIFF", "FLOAT", "aiff", 0.0),
]


@pytest.mark.parametrize(("fmt", "subtype", "ext", "tol"), FORMATS,
                         ids=[f"{f}-{s}" for f, s, _, _ in FORMATS])
def test_read_audio_formats_and_bit_depths(tmp_path, fmt, subtype, ext, tol):
    y = noise(4000, amplitude=0.5)
    path = tmp_path / f"clip.{ext}"
    sf.write(path, y, SR, format=fmt, subtype=subtype)
    out, sr = read_audio(path)
    assert sr == SR
    assert out.dtype == np.float32 and out.shape == y.shape
    # Within one quantisation step: integer formats (8-bit unsigned too) are centred and
    # scaled to [-1, 1], not offset or left as raw integers.
    np.testing.assert_allclose(out, y, rtol=0, atol=tol + 1e-7)


def test_read_audio_ogg_vorbis_is_lossy_but_close(tmp_path):
    y = tone(440.0, duration=0.5)
    path = tmp_path / "clip.ogg"
    sf.write(path, y, SR, format="OGG", subtype="VORBIS")
    out, sr = read_audio(path)
    assert sr == SR and out.dtype == np.float32 and out.shape == y.shape
    assert np.max(np.abs(out - y)) < 0.05
    assert peak_frequency(out, sr) == pytest.approx(440.0, abs=2.0)


def test_read_audio_uses_the_header_not_the_extension(tmp_path):
    y = noise(3000, seed=1)
    path = tmp_path / "actually_aiff.wav"
    sf.write(path, y, 22_050, format="AIFF", subtype="FLOAT")
    assert path.read_bytes()[:4] == b"FORM"
    out, sr = read_audio(path)
    assert sr == 22_050
    np.testing.assert_array_equal(out, y)
    loaded = load_audio(path, sr=22_050)
    np.testing.assert_array_equal(loaded, y)


@pytest.mark.parametrize("n_channels", [2, 3, 6])
def test_multichannel_files_are_averaged(tmp_path, n_channels):
    channels = np.stack([noise(2000, seed=c) for c in range(n_channels)], axis=1)
    path = tmp_path / f"multi{n_channels}.wav"
    sf.write(path, channels, SR, subtype="FLOAT")
    out, sr = read_audio(path)
    assert out.shape == (2000,) and out.dtype == np.float32
    np.testing.assert_allclose(out, channels.mean(axis=1), atol=1e-7)
    np.testing.assert_allclose(load_audio(path), channels.mean(axis=1), atol=1e-7)


def test_stereo_with_opposite_channels_is_silent_after_averaging(tmp_path):
    y = tone(300.0, duration=0.2)
    path = tmp_path / "phase_cancelled.wav"
    sf.write(path, np.stack([y, -y], axis=1), SR, subtype="FLOAT")
    out, _ = read_audio(path)
    assert np.max(np.abs(out)) == 0.0
    with pytest.raises(AudioError, match="silent") as excinfo:
        load_audio(path)
    assert_audio_error(excinfo, path, "silent")


@pytest.mark.parametrize("orig_sr", [8_000, 16_000, 22_050, 44_100, 48_000, 96_000])
@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_load_audio_resamples_files_and_keeps_the_frequency(tmp_path, orig_sr, ext):
    freq = 1_000.0
    y = tone(freq, sr=orig_sr, duration=0.5)
    path = tmp_path / f"tone_{orig_sr}.{ext}"
    save_audio(path, y, orig_sr, subtype="PCM_24")
    out = load_audio(path, sr=SR)
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.shape == (SR // 2,)  # 0.5 s at the target rate
    assert peak_frequency(out, SR) == pytest.approx(freq, abs=2.0)  # 2 Hz bins
    # The high-quality filter keeps the amplitude (away from the edges) and adds no images.
    assert np.max(np.abs(out[400:-400])) == pytest.approx(0.5, rel=0.01)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size))) ** 2
    freqs = np.fft.rfftfreq(out.size, 1 / SR)
    assert spectrum[freqs > 1_500].sum() < 1e-4 * spectrum.sum()


@pytest.mark.parametrize("target_sr", [8_000, 22_050, 44_100])
def test_load_audio_to_other_target_rates(target_sr):
    y = tone(700.0, sr=SR, duration=0.5)
    out = load_audio((y, SR), sr=target_sr)
    assert out.shape == (target_sr // 2,) and out.dtype == np.float32
    assert peak_frequency(out, target_sr) == pytest.approx(700.0, abs=2.0)


# --- resample, validate_waveform, save_audio --------------------------------------------------


def test_resample_same_rate_is_identity_as_float32():
    y = noise(1000).astype(np.float64)
    out = resample(y, orig_sr=SR, target_sr=SR)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, y.astype(np.float32))


@pytest.mark.parametrize(("n", "orig_sr", "target_sr"),
                         [(1001, 16_000, 22_050), (999, 44_100, 16_000), (1000, 44_100, 16_000),
                          (12_345, 8_000, 16_000)])
def test_resample_length_and_frequency(n, orig_sr, target_sr):
    y = tone(500.0, sr=orig_sr, duration=n / orig_sr)
    assert y.size == n
    out = resample(y, orig_sr=orig_sr, target_sr=target_sr)
    assert out.dtype == np.float32
    # soxr rounds the length to the nearest sample (1379.5 -> 1380, 362.45 -> 362).
    assert out.size == int(np.floor(n * target_sr / orig_sr + 0.5))
    if n > 5000:
        assert peak_frequency(out, target_sr) == pytest.approx(500.0, abs=target_sr / out.size)


def test_validate_waveform_returns_its_input_and_checks_min_duration():
    y = noise(400)
    assert validate_waveform(y, sr=SR) is y
    # Exactly the minimum passes; one sample less does not.
    assert validate_waveform(y, sr=SR, min_duration=400 / SR) is y
    with pytest.raises(AudioError, match=r"clip\.wav: is too short: 24\.9 ms, shorter than the "
                       r"25\.0 ms analysis window"):
        validate_waveform(y[:399], sr=SR, source="clip.wav", min_duration=0.025)


@pytest.mark.parametrize(("y", "problem"), [
    (np.zeros(0, np.float32), "contains no audio samples"),
    (np.zeros(100, np.float32), r"is silent \(every sample is zero\)"),
    (np.full(100, 1e-9, np.float32), "is silent"),
    (np.r_[np.ones(10), np.nan, np.inf, -np.inf].astype(np.float32),
     r"contains 3 NaN or infinite sample\(s\)"),
])
def test_validate_waveform_errors(y, problem):
    with pytest.raises(AudioError, match=r"^take 7: " + problem):
        validate_waveform(y, sr=SR, source="take 7")


def test_save_audio_round_trip_and_format_from_extension(tmp_path):
    y = noise(1600, seed=3)
    save_audio(tmp_path / "a.wav", y, SR, subtype="FLOAT")
    save_audio(str(tmp_path / "a.flac"), y, SR)
    save_audio(tmp_path / "stereo.wav", np.stack([y, y / 2], axis=1), 22_050, subtype="PCM_24")
    assert sf.info(tmp_path / "a.wav").subtype == "FLOAT"
    assert sf.info(tmp_path / "a.flac").format == "FLAC"
    stereo = sf.info(tmp_path / "stereo.wav")
    assert (stereo.channels, stereo.samplerate, stereo.subtype) == (2, 22_050, "PCM_24")
    np.testing.assert_array_equal(read_audio(tmp_path / "a.wav")[0], y)
    np.testing.assert_allclose(read_audio(tmp_path / "a.flac")[0], y, atol=1 / 2**15)
    np.testing.assert_allclose(read_audio(tmp_path / "stereo.wav")[0], 0.75 * y, atol=1e-6)


# --- in-memory inputs -------------------------------------------------------------------------


def test_tuple_and_mapping_inputs_are_resampled():
    y = tone(440.0, sr=44_100, duration=0.5)
    from_tuple = load_audio((y, 44_100))
    from_mapping = load_audio({"array": y, "sampling_rate": 44_100, "path": None})
    assert from_tuple.shape == (8000,) and from_tuple.dtype == np.float32
    np.testing.assert_array_equal(from_tuple, from_mapping)
    np.testing.assert_array_equal(from_tuple, resample(y, orig_sr=44_100, target_sr=SR))
    assert peak_frequency(from_tuple, SR) == pytest.approx(440.0, abs=2.0)
    # numpy integer and whole float rates are accepted.
    np.testing.assert_array_equal(load_audio((y, np.int64(44_100))), from_tuple)
    np.testing.assert_array_equal(load_audio((y, 44_100.0)), from_tuple)


def test_bare_array_is_taken_at_the_target_rate():
    y = noise(5000).astype(np.float64)
    out = load_audio(y, sr=22_050)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, y.astype(np.float32))
    np.testing.assert_array_equal(load_audio(list(y[:100])), y[:100].astype(np.float32))


@pytest.mark.parametrize(("dtype", "raw", "expected"), [
    (np.int16, [0, 16_384, -32_768, 32_767], [0.0, 0.5, -1.0, 32_767 / 32_768]),
    (np.int32, [0, 2**30, -(2**31)], [0.0, 0.5, -1.0]),
    (np.uint8, [128, 192, 0, 255], [0.0, 0.5, -1.0, 127 / 128]),
    (np.int8, [0, 64, -128], [0.0, 0.5, -1.0]),
])
def test_integer_arrays_are_scaled_to_unit_range(dtype, raw, expected):
    y = np.array(raw, dtype=dtype)
    np.testing.assert_allclose(load_audio(y), expected, atol=1e-7)
    np.testing.assert_allclose(load_audio((y, SR)), expected, atol=1e-7)


def test_int16_tuple_matches_its_float_version():
    y = (tone(220.0, sr=22_050, duration=0.3) * 32_767).astype(np.int16)
    as_int = load_audio((y, 22_050))
    as_float = load_audio((y.astype(np.float32) / 32_768, 22_050))
    np.testing.assert_allclose(as_int, as_float, atol=1e-6)
    assert np.max(np.abs(as_int)) < 1.0


@pytest.mark.parametrize("layout", ["channels_first", "frames_first"])
def test_two_dimensional_arrays_are_averaged_over_the_channel_axis(layout):
    left, right = noise(3000, seed=1), noise(3000, seed=2)
    stacked = np.stack([left, right])  # (channels, frames) as librosa gives it
    if layout == "frames_first":
        stacked = stacked.T  # (frames, channels) as soundfile gives it
    expected = (left + right) / 2
    np.testing.assert_allclose(load_audio(stacked), expected, atol=1e-7)
    np.testing.assert_allclose(
        load_audio((stacked, 8_000)), resample(expected, orig_sr=8_000, target_sr=SR), atol=1e-6
    )


def test_describe_source_and_is_audio_path(tmp_path):
    assert is_audio_path("a.wav") and is_audio_path(tmp_path / "a.wav")
    assert not is_audio_path((np.ones(3), SR)) and not is_audio_path(np.ones(3))
    assert describe_source(tmp_path / "a.wav") == os.fspath(tmp_path / "a.wav")
    assert describe_source(np.ones(3)) == "waveform"
    assert describe_source(np.ones(3), index=4) == "waveform #4"


# --- bad files --------------------------------------------------------------------------------


def _write_truncated_wav(path: Path):
    save_audio(path, noise(8000), SR, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut in the middle of the data chunk


def _write_truncated_flac(path: Path):
    save_audio(path, noise(16_000), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BAD_FILES = {
    "missing": (lambda p: None, "file not found"),
    "folder": (lambda p: p.mkdir(), "is a folder, not an audio file"),
    "empty": (lambda p: p.write_bytes(b""), r"file is empty \(0 bytes\)"),
    "truncated_wav": (_write_truncated_wav, "file is truncated: the WAV header declares more"),
    # libsndfile reports a FLAC cut short as a decoding error ("lost sync").
    "truncated_flac": (_write_truncated_flac, r"cannot be decoded as audio \(.+\): the file is "
                       "truncated, corrupt"),
    "not_audio": (
        lambda p: p.write_bytes(np.random.default_rng(0).bytes(4000)),
        r"cannot be decoded as audio \(.+\): the file is truncated, corrupt, or not in a "
        r"format libsndfile reads",
    ),
    "text": (lambda p: p.write_text("id,label\n1,angry\n" * 50),
             "cannot be decoded as audio"),
    "all_zero": (lambda p: save_audio(p, np.zeros(8000), SR, subtype="PCM_16"), "is silent"),
    "all_zero_8bit": (
        lambda p: save_audio(p, np.zeros(8000), SR, subtype="PCM_U8"), "is silent"),
    "nan": (
        lambda p: save_audio(p, np.r_[noise(100), np.nan, noise(100)], SR, subtype="FLOAT"),
        r"contains 1 NaN or infinite sample\(s\)",
    ),
    "inf": (
        lambda p: save_audio(p, np.r_[noise(100), np.inf, -np.inf], SR, subtype="DOUBLE"),
        r"contains 2 NaN or infinite sample\(s\)",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_raise_audio_error_naming_file_and_problem(tmp_path, kind):
    make, problem = BAD_FILES[kind]
    ext = "flac" if kind == "truncated_flac" else "wav"
    path = tmp_path / f"{kind}_clip.{ext}"
    make(path)
    with pytest.raises(AudioError, match=re.escape(path.name)) as excinfo:
        load_audio(path)
    assert_audio_error(excinfo, path, problem)
    # Also as a plain string path, and through read_audio for the decoding problems.
    with pytest.raises(ValueError, match=problem):
        load_audio(os.fspath(path))


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "truncated_wav", "not_audio"])
def test_read_audio_raises_the_decoding_errors(tmp_path, kind):
    make, problem = BAD_FILES[kind]
    path = tmp_path / f"{kind}.wav"
    make(path)
    with pytest.raises(AudioError) as excinfo:
        read_audio(path)
    assert_audio_error(excinfo, path, problem)


def test_check_duration_names_the_clip_its_length_and_the_minimum():
    n = int(np.ceil(MIN_DURATION * SR))
    y = noise(n)
    assert check_duration(y, sr=SR) is y  # exactly the minimum passes
    with pytest.raises(AudioError, match=r"^clip\.wav: is too short to judge: 100 ms of audio, "
                       r"under the 750 ms minimum \(on shorter clips"):
        check_duration(y[: SR // 10], sr=SR, source="clip.wav")
    with pytest.raises(AudioError, match="under the 50 ms minimum"):
        check_duration(y[:400], sr=SR, min_duration=0.05)
    assert check_duration(y[:1], sr=SR, min_duration=0).size == 1


def test_clip_shorter_than_min_duration(tmp_path):
    path = tmp_path / "short.wav"
    save_audio(path, noise(160), SR)  # 10 ms
    with pytest.raises(AudioError, match=r"short\.wav: is too short: 10\.0 ms, shorter than the "
                       r"25\.0 ms analysis window") as excinfo:
        load_audio(path, min_duration=0.025)
    assert_audio_error(excinfo, path, "too short")
    assert load_audio(path, min_duration=0.01).shape == (160,)
    # The duration is checked at the target rate: 10 ms at 8 kHz is still 10 ms.
    with pytest.raises(AudioError, match="10.0 ms"):
        load_audio((noise(80), 8_000), min_duration=0.025)


def test_non_finite_samples_are_caught_before_resampling():
    y = noise(4410)
    y[100] = np.nan
    # A single NaN would smear over the whole clip after resampling; the count stays exact.
    with pytest.raises(AudioError, match=r"^waveform: contains 1 NaN or infinite sample\(s\)$"):
        load_audio((y, 44_100))
    with pytest.raises(AudioError, match=r"^clip #3: contains 1 NaN"):
        load_audio({"array": y, "sampling_rate": 44_100}, name="clip #3")


@pytest.mark.parametrize(("rate", "problem"), [
    (0, "sample rate 0 Hz is not a plausible audio rate"),
    (-16_000, "sample rate -16000 Hz is not a plausible audio rate"),
    (5, r"sample rate 5 Hz is not a plausible audio rate; expected a whole number of Hz "
        r"between 1000 and 384000"),
    (16_000.5, "sample rate 16000.5 Hz is not a plausible"),
    (1e9, "sample rate 1000000000.0 Hz is not a plausible audio rate"),
    (float("nan"), "sample rate nan Hz is not a plausible"),
    (float("inf"), "sample rate inf Hz is not a plausible"),
    ("16000", "sample rate must be a number of Hz, got '16000'"),
    (None, "sample rate must be a number of Hz, got None"),
    (True, "sample rate must be a number of Hz, got True"),
])
def test_implausible_sample_rates(rate, problem):
    y = noise(1000)
    with pytest.raises(AudioError, match=r"^waveform: " + problem) as excinfo:
        load_audio((y, rate))
    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(AudioError, match=r"^speech\.npy: " + problem):
        load_audio({"array": y, "sampling_rate": rate}, name="speech.npy")
    # The target rate is checked the same way, and named as such.
    with pytest.raises(AudioError, match=r"^target: " + problem):
        load_audio(y, sr=rate)


@pytest.mark.parametrize("rate", [5, 100, 500_000])
def test_implausible_sample_rate_in_a_file_header(tmp_path, rate):
    path = tmp_path / f"header_{rate}.wav"
    sf.write(path, noise(200), rate, subtype="FLOAT")
    assert sf.info(path).samplerate == rate  # libsndfile writes and reads it back as is
    with pytest.raises(AudioError, match=f"sample rate {rate} Hz is not a plausible") as excinfo:
        load_audio(path)
    assert_audio_error(excinfo, path, "not a plausible audio rate")


@pytest.mark.parametrize(("source", "problem"), [
    ((np.ones(100), SR, "extra"), r"a tuple must be \(waveform, sample_rate\), got 3 items"),
    ((np.ones(100),), r"a tuple must be \(waveform, sample_rate\), got 1 items"),
    ({"audio": np.ones(100), "sampling_rate": SR},
     "a mapping must have 'array' and 'sampling_rate' keys"),
    ({"array": np.ones(100)}, "a mapping must have 'array' and 'sampling_rate' keys"),
    (np.ones((2, 3, 100)), r"has 3 dimensions; expected a 1-D waveform"),
    (np.float32(0.5), "has 0 dimensions"),
    (np.ones(100) * (1 + 1j), "is complex-valued; pass the real waveform"),
    (np.array(["a", "b"]), r"is not a numeric waveform \(dtype <U1\)"),
    (np.array([object(), object()]), r"is not a numeric waveform \(dtype object\)"),
    (np.zeros(0), "contains no audio samples"),
])
def test_bad_in_memory_inputs(source, problem):
    with pytest.raises(AudioError, match=r"^waveform: " + problem):
        load_audio(source)
    with pytest.raises(AudioError, match=r"^utterance 12: " + problem):
        load_audio(source, name="utterance 12")


def test_audio_error_pickles(tmp_path):
    path = tmp_path / "gone.wav"
    with pytest.raises(AudioError) as excinfo:
        load_audio(path)
    for err in [excinfo.value, AudioError(Path("x/y.flac"), "is silent")]:
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is AudioError
        assert (clone.source, clone.problem, str(clone)) == (err.source, err.problem, str(err))
        assert clone.args == err.args
    assert AudioError(Path("x/y.flac"), "is silent").source == os.fspath(Path("x/y.flac"))
    assert str(excinfo.value) == f"{path}: file not found"

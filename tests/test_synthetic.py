"""make_emotional_speech: shapes, labels, determinism, files, and that emotions sound different."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from sersk.audio import load_audio
from sersk.datasets import EMOTIONS, audio_inputs, make_emotional_speech
from sersk.datasets import _synthetic as synthetic_module


def small(**kwargs) -> pd.DataFrame:
    params = {"n_speakers": 4, "n_utterances": 2, "duration": (0.5, 0.8), "random_state": 0}
    return make_emotional_speech(**{**params, **kwargs})


def test_frame_layout():
    frame = small()
    assert frame.shape == (4 * 6 * 2, 8)
    assert list(frame.columns) == ["path", "emotion", "speaker", "corpus", "gender",
                                   "utterance", "duration", "audio"]
    assert frame.attrs["synthetic"] is True
    assert set(frame["corpus"]) == {"synthetic"}
    assert frame["path"].isna().all()
    assert list(frame["emotion"].unique()) == ["neutral", "happy", "sad", "angry", "fearful",
                                               "disgust"]
    assert (frame["emotion"].value_counts() == 8).all()
    assert list(frame["speaker"].unique()) == [f"synthetic-0{k}" for k in range(1, 5)]
    assert frame.groupby("speaker")["gender"].first().tolist() == ["male", "female"] * 2
    assert frame["utterance"].tolist() == [0, 1] * 24
    for (y, sr), duration in zip(frame["audio"], frame["duration"], strict=True):
        assert sr == 16_000
        assert y.dtype == np.float32 and y.ndim == 1
        assert y.size == round(duration * sr)
        assert 0.5 <= duration <= 0.8 + 1 / sr
        assert np.isfinite(y).all() and 0.001 < np.abs(y).max() <= 0.95


def test_options():
    frame = make_emotional_speech(n_speakers=1, n_utterances=3, emotions=["boredom", "calm"],
                                  duration=0.3, sr=22_050, random_state=1)
    assert frame["emotion"].tolist() == ["boredom"] * 3 + ["calm"] * 3
    assert all(sr == 22_050 and y.size == round(0.3 * 22_050) for y, sr in frame["audio"])
    # Every emotion of the vocabulary but JL-Corpus's states can be synthesised.
    basic = list(EMOTIONS[:EMOTIONS.index("boredom") + 1])
    every = make_emotional_speech(n_speakers=1, n_utterances=1, emotions=basic,
                                  duration=0.2, random_state=0)
    assert every["emotion"].tolist() == basic
    with pytest.raises(ValueError, match=r"unknown emotion\(s\) \['excited'\]"):
        make_emotional_speech(n_speakers=1, n_utterances=1, emotions=["excited"])


def test_determinism():
    a, b, c = small(random_state=7), small(random_state=7), small(random_state=8)
    for (ya, _), (yb, _) in zip(a["audio"], b["audio"], strict=True):
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a["audio"][0][0][:1000], c["audio"][0][0][:1000])
    rs = small(random_state=np.random.RandomState(3))
    assert len(rs) == 48
    generated = small(random_state=np.random.default_rng(3))
    assert len(generated) == 48


def test_a_speaker_does_not_depend_on_how_many_others_there_are():
    two = small(n_speakers=2)
    three = small(n_speakers=3)
    np.testing.assert_array_equal(two["audio"][0][0], three["audio"][0][0])
    np.testing.assert_array_equal(two["audio"][13][0], three["audio"][13][0])


def test_writes_flac_files(tmp_path):
    frame = make_emotional_speech(n_speakers=2, n_utterances=1, emotions=["sad", "angry"],
                                  duration=0.4, random_state=0, directory=tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["synthetic-01_angry_00.flac", "synthetic-01_sad_00.flac",
                     "synthetic-02_angry_00.flac", "synthetic-02_sad_00.flac"]
    for path, (y, sr) in zip(frame["path"], frame["audio"], strict=True):
        assert path == str(tmp_path / "out" / path.rsplit("/", 1)[-1])
        np.testing.assert_allclose(load_audio(path, sr=sr), y, atol=1e-4)
    # In-memory waveforms still come first: nothing needs decoding.
    assert all(isinstance(x, tuple) for x in audio_inputs(frame))


def median_f0(y: np.ndarray, sr: int) -> float:
    """Median autocorrelation pitch over the loudest frames."""
    width, hop = int(0.04 * sr), int(0.01 * sr)
    frames = y[np.arange(0, y.size - width, hop)[:, None] + np.arange(width)] * np.hanning(width)
    energy = (frames**2).mean(axis=1)
    frames = frames[energy > 0.3 * energy.max()]
    autocorrelation = np.fft.irfft(np.abs(np.fft.rfft(frames, 2048)) ** 2)
    low, high = int(sr / 500), int(sr / 60)
    return float(np.median(sr / (low + autocorrelation[:, low:high].argmax(axis=1))))


def test_emotions_differ_in_energy_and_pitch():
    frame = make_emotional_speech(n_speakers=4, n_utterances=3, duration=(1.0, 1.2),
                                  emotions=["neutral", "sad", "angry", "fearful"], random_state=0)
    frame["energy_db"] = [10 * np.log10(np.mean(y**2)) for y, _ in frame["audio"]]
    frame["log_f0"] = [np.log(median_f0(y, sr)) for y, sr in frame["audio"]]
    # Relative to each speaker's neutral voice, averaged over speakers.
    by_speaker = frame.groupby(["speaker", "emotion"])[["energy_db", "log_f0"]].mean()
    relative = (by_speaker - by_speaker.xs("neutral", level="emotion")).groupby("emotion").mean()
    assert relative.loc["angry", "energy_db"] > 3
    assert relative.loc["sad", "energy_db"] < -2
    assert relative.loc["fearful", "log_f0"] > np.log(2 ** (2 / 12))  # over 2 semitones up
    assert relative.loc["sad", "log_f0"] < 0
    # Speakers differ: male voices lower than female ones.
    f0 = frame.groupby("gender")["log_f0"].mean()
    assert f0["male"] < f0["female"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"emotions": ["joy"]}, r"unknown emotion\(s\) \['joy'\]; choose from neutral"),
        ({"emotions": "angry"}, "non-empty list of emotion names"),
        ({"emotions": []}, "non-empty list"),
        ({"emotions": ["sad", "sad"]}, "must not repeat"),
        ({"n_speakers": 0}, "n_speakers must be a positive integer"),
        ({"n_utterances": 1.5}, "n_utterances must be a positive integer"),
        ({"duration": (2.0, 1.0)}, "duration must be"),
        ({"duration": 0.01}, "duration must be"),
        ({"duration": "long"}, "duration must be"),
        ({"duration": (1.0, 2.0, 3.0)}, "duration must be"),
        ({"sr": 100}, "sr must be a whole number of Hz"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_emotional_speech(**kwargs)


def test_docstring_examples():
    result = doctest.testmod(synthetic_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

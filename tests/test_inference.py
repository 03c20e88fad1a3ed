"""Prediction with a trained model: clips from files, bytes and waveforms; long audio in windows."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from _trained_models import low_then_high, pitch_model, registry_model
from conftest import SR, voice_like
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sersk.audio import save_audio
from sersk.exceptions import AudioError
from sersk.features import MFCC
from sersk.inference import (
    UNCERTAIN,
    abstain,
    clip_probabilities,
    find_audio_files,
    load_input,
    predict_clips,
    predict_timeline,
    sample_rate_of,
    sliding_windows,
    timeline_figure,
)


def wav_bytes(y: np.ndarray, sr: int = SR, format: str = "WAV") -> bytes:
    """The bytes of an audio file; WAVs hold float samples, so they decode to ``y`` exactly."""
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format=format, subtype="FLOAT" if format == "WAV" else None)
    return buffer.getvalue()


# --- windows ---------------------------------------------------------------------------------

def test_windows_cover_the_clip_without_padding():
    y = np.arange(10_500, dtype=np.float32)
    windows, starts = sliding_windows(y, sr=1000, window=3.0, hop=1.0)
    assert windows.shape == (9, 3000)
    np.testing.assert_allclose(starts, [0, 1, 2, 3, 4, 5, 6, 7, 7.5])
    assert windows[-1][-1] == y[-1]  # the last window ends at the end
    np.testing.assert_array_equal(windows[2], y[2000:5000])


def test_windows_that_fit_exactly_add_no_extra_window():
    windows, starts = sliding_windows(np.zeros(5000), sr=1000, window=3.0, hop=1.0)
    assert starts.tolist() == [0.0, 1.0, 2.0]


def test_a_clip_shorter_than_a_window_is_one_window():
    windows, starts = sliding_windows(np.ones(1200), sr=1000, window=3.0, hop=1.0)
    assert windows.shape == (1, 1200) and starts.tolist() == [0.0]


@pytest.mark.parametrize("window, hop", [(0, 1), (3, 0), (-1, 1)])
def test_windows_need_positive_lengths(window, hop):
    with pytest.raises(ValueError, match="positive"):
        sliding_windows(np.zeros(100), sr=1000, window=window, hop=hop)


def test_timeline_follows_the_voice():
    model = pitch_model()
    timeline = predict_timeline(model, (low_then_high(seconds=7.0), SR), window=3.0, hop=1.0)
    assert list(timeline.columns) == ["start", "end", "emotion", "confidence", "proba_high",
                                      "proba_low"]
    assert len(timeline) == 12
    assert timeline["emotion"].iloc[:3].tolist() == ["low"] * 3
    assert timeline["emotion"].iloc[-3:].tolist() == ["high"] * 3
    np.testing.assert_allclose(timeline[["proba_high", "proba_low"]].sum(axis=1), 1.0)
    np.testing.assert_allclose(timeline["end"] - timeline["start"], 3.0)


def test_timeline_figure_draws_every_class(tmp_path):
    timeline = predict_timeline(pitch_model(), (low_then_high(seconds=5.0), SR))
    figure = timeline_figure(timeline, title="test")
    ax = figure.axes[0]
    assert ax.get_title() == "test"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["high", "low"]
    figure.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_timeline_figure_of_a_single_window():
    timeline = predict_timeline(pitch_model(), (voice_like(duration=1.0), SR))
    assert len(timeline) == 1
    assert timeline_figure(timeline).axes[0].get_ylim() == (0, 1)


# --- clips -----------------------------------------------------------------------------------

def test_predict_clips_reads_paths_bytes_and_waveforms(tmp_path):
    model = pitch_model()
    high = voice_like(f0=260, duration=1.2, seed=3)
    path = tmp_path / "low.flac"
    save_audio(path, voice_like(f0=110, duration=1.2, sr=44_100), 44_100)  # resampled
    table = predict_clips(model, [str(path), wav_bytes(high), (high, SR)])
    assert table["source"].tolist() == [str(path), "audio bytes #1", "waveform #2"]
    assert table["emotion"].tolist() == ["low", "high", "high"]
    assert table["error"].isna().all()
    assert table["n_windows"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(table["duration"], 1.2, rtol=1e-3)
    np.testing.assert_allclose(
        table.loc[2, ["proba_high", "proba_low"]].to_numpy(dtype=float),
        model.predict_proba([(high, SR)])[0],
    )
    assert (table["confidence"] == table[["proba_high", "proba_low"]].max(axis=1)).all()


def test_bad_clips_get_their_row_and_do_not_stop_the_others(tmp_path):
    model = pitch_model()
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    table = predict_clips(
        model, [str(text), b"", str(tmp_path / "missing.wav"), np.zeros(SR),
                (voice_like(duration=0.1), SR), (voice_like(duration=1.0), SR)],
        names=["notes", "empty", "missing", "silence", "blip", "fine"],
    )
    errors = table["error"].tolist()
    assert errors[0].startswith("notes: cannot be decoded as audio")
    assert errors[1] == "empty: is empty (0 bytes)"
    assert errors[2] == "missing: file not found"
    assert errors[3] == "silence: is silent (every sample is zero)"
    # Too short to judge: the same AudioError as other bad audio, with the clip's length and
    # the minimum (sersk.audio.MIN_DURATION), here as in the CLI, the demo and serving.
    assert errors[4].startswith("blip: is too short to judge: 100 ms of audio, under the 750 ms "
                                "minimum")
    assert errors[5] is None or errors[5] != errors[5]
    assert table["emotion"].iloc[:5].isna().all() and table["emotion"].iloc[5] == "low"


def test_long_clips_are_averaged_over_windows():
    model = pitch_model()
    y = low_then_high(seconds=7.0)
    table = predict_clips(model, [(y, SR)], long_clip=10.0)
    timeline = predict_timeline(model, (y, SR))
    assert table.loc[0, "n_windows"] == len(timeline) == 12
    np.testing.assert_allclose(table.loc[0, "proba_low"], timeline["proba_low"].mean())
    whole = predict_clips(model, [(y, SR)], long_clip=None)
    assert whole.loc[0, "n_windows"] == 1


def test_clip_probabilities_names_the_clip_in_errors():
    with pytest.raises(AudioError, match="^tiny: is too short"):
        clip_probabilities(pitch_model(), voice_like(duration=0.01), name="tiny")


def test_names_must_match_sources():
    with pytest.raises(ValueError, match="2 names for 1 sources"):
        predict_clips(pitch_model(), [np.ones(SR)], names=["a", "b"])


def test_registry_pipeline_predicts_through_the_same_path():
    model, frame = registry_model()
    table = predict_clips(model, list(frame["audio"][:3]))
    assert table["emotion"].tolist() == model.predict(list(frame["audio"][:3])).tolist()


def test_load_input_decodes_bytes_of_any_format():
    y = voice_like(duration=0.5)
    for format in ("WAV", "FLAC", "OGG"):
        decoded = load_input(wav_bytes(y, 22_050, format), sr=SR)
        assert decoded.shape == (round(y.size * SR / 22_050),)
    with pytest.raises(AudioError, match="^upload: cannot be decoded"):
        load_input(b"RIFF and nothing else", sr=SR, name="upload")


def test_sample_rate_of_reads_the_feature_step():
    assert sample_rate_of(pitch_model()) == 16_000
    model = pitch_model().set_params(mfcc__sr=8000)
    try:
        assert sample_rate_of(model) == 8000
    finally:
        model.set_params(mfcc__sr=16_000)
    assert sample_rate_of(object()) == 16_000


def test_find_audio_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ["b.WAV", "a.flac", "sub/c.ogg", ".hidden/d.wav", "._e.wav", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p[len(str(tmp_path)) + 1:] for p in find_audio_files(tmp_path)] == [
        "a.flac", "b.WAV", "sub/c.ogg"]
    assert len(find_audio_files(tmp_path, recursive=False)) == 2


# --- abstention ------------------------------------------------------------------------------

def test_min_confidence_answers_uncertain_below_the_threshold():
    model = pitch_model()
    clips = [(voice_like(f0=110, duration=1.2, seed=3), SR),
             (voice_like(f0=260, duration=1.2, seed=4), SR), np.zeros(SR)]
    table = predict_clips(model, clips)
    confidence = table["confidence"].iloc[:2].to_numpy()
    threshold = float(confidence.mean())  # one clip above, one below
    assert confidence.min() < threshold < confidence.max()
    sure = predict_clips(model, clips, min_confidence=threshold)
    below = int(np.argmin(confidence))
    assert sure.loc[below, "emotion"] == UNCERTAIN
    assert sure.loc[1 - below, "emotion"] == table.loc[1 - below, "emotion"]
    assert pd.isna(sure["emotion"].iloc[2]) and sure["error"].iloc[2]  # errors stay errors
    # Only the emotion changes: the confidence and every probability stay visible.
    pd.testing.assert_frame_equal(sure.drop(columns="emotion"), table.drop(columns="emotion"))
    # At exactly the threshold the clip is answered; 0 answers everything.
    at = predict_clips(model, clips[:2], min_confidence=float(confidence[below]))
    assert UNCERTAIN not in at["emotion"].tolist()
    answered = predict_clips(model, clips[:2], min_confidence=0)["emotion"]
    assert answered.tolist() == table["emotion"].iloc[:2].tolist()


def test_min_confidence_marks_uncertain_windows():
    model = pitch_model()
    clip = (low_then_high(seconds=7.0), SR)
    timeline = predict_timeline(model, clip)
    sure = predict_timeline(model, clip, min_confidence=0.9)
    below = timeline["confidence"] < 0.9
    assert below.any() and not below.all()  # the windows across the change are unsure
    assert (sure.loc[below, "emotion"] == UNCERTAIN).all()
    assert sure.loc[~below, "emotion"].equals(timeline.loc[~below, "emotion"])
    np.testing.assert_array_equal(sure["confidence"], timeline["confidence"])


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), "0.5", True])
def test_min_confidence_must_be_a_probability(value):
    with pytest.raises(ValueError, match="min_confidence must be a probability"):
        predict_clips(pitch_model(), [np.ones(SR)], min_confidence=value)
    with pytest.raises(ValueError, match="min_confidence must be a probability"):
        abstain(pd.DataFrame({"emotion": ["a"], "confidence": [0.5]}), value)


def test_min_confidence_refuses_a_model_with_an_uncertain_class():
    clips = [(voice_like(f0=110 + 30 * i, duration=1.0, seed=i), SR) for i in range(6)]
    model = make_pipeline(MFCC(n_mfcc=13), LogisticRegression()).fit(
        clips, ["uncertain", "sure"] * 3)
    assert predict_clips(model, clips[:1])["error"].isna().all()  # fine without a threshold
    with pytest.raises(ValueError, match="class named 'uncertain'"):
        predict_clips(model, clips[:1], min_confidence=0.5)

"""Copies of one recording are found, exactly or after re-encoding, resampling, gain and trimming;
different utterances are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sersk.audio import resample, save_audio
from sersk.datasets import make_emotional_speech
from sersk.model_selection import (
    DUPLICATE_THRESHOLD,
    audio_fingerprint,
    find_duplicates,
    split_duplicates,
)

SR = 16_000


@pytest.fixture(scope="module")
def utterances():
    # Two speakers, two emotions, three clips each: same-speaker, same-emotion clips are the
    # closest thing to a copy that is not one.
    frame = make_emotional_speech(n_speakers=2, n_utterances=3, emotions=("angry", "sad"),
                                  duration=1.2, random_state=0)
    return [y for y, _ in frame["audio"]]


@pytest.fixture(scope="module")
def copies(utterances, tmp_path_factory):
    """The originals, then copies of the first one made the ways corpora get copied."""
    folder = tmp_path_factory.mktemp("copies")
    # 16-bit samples, so that WAV and FLAC hold the very same ones (libsndfile rounds floats
    # differently for each format).
    y = np.round(utterances[0] * 32767).astype(np.int16)
    x = y.astype(np.float32) / 32768
    silence = np.zeros(int(0.3 * SR), dtype=np.float32)
    variants = {
        "flac": ("flac", y, SR, "PCM_16"),  # lossless: the same samples
        "mp3": ("mp3", x, SR, "MPEG_LAYER_III"),
        "vorbis": ("ogg", x, SR, "VORBIS"),
        "8-bit": ("wav", x, SR, "PCM_U8"),
        "22.05 kHz": ("wav", resample(x, orig_sr=SR, target_sr=22_050), 22_050, "FLOAT"),
        "8 kHz": ("wav", resample(x, orig_sr=SR, target_sr=8_000), 8_000, "FLOAT"),
        "-10 dB": ("wav", 0.316 * x, SR, "FLOAT"),
        "+ silence": ("wav", np.r_[silence, x, silence], SR, "FLOAT"),
        "trimmed 0.1 s": ("wav", x[int(0.1 * SR): -int(0.1 * SR)], SR, "FLOAT"),
    }
    paths = {}
    for name, (extension, wave, rate, subtype) in variants.items():
        path = folder / f"{name.replace(' ', '_')}.{extension}"
        save_audio(path, wave, rate, subtype=subtype)
        paths[name] = str(path)
    original = folder / "original.wav"
    save_audio(original, y, SR, subtype="PCM_16")
    return [str(original), *[(u, SR) for u in utterances[1:]]], paths


def test_copies_are_found_and_different_utterances_are_not(copies):
    originals, variants = copies
    X = [*originals, *variants.values()]
    pairs = find_duplicates(X)
    found = {}
    for i, j, kind, similarity in pairs.itertuples(index=False):
        if i == 0 and j >= len(originals):
            found[list(variants)[j - len(originals)]] = (kind, similarity)
    assert set(found) == set(variants), f"missed: {set(variants) - set(found)}"
    assert found["flac"] == ("exact", 1.0)  # 16-bit WAV and FLAC decode to the same samples
    for name, (kind, similarity) in found.items():
        if name != "flac":
            assert kind == "near" and DUPLICATE_THRESHOLD <= similarity <= 1.0, name
    # No pair among the original, different utterances (same speakers and emotions too).
    among_originals = pairs[(pairs["i"] < len(originals)) & (pairs["j"] < len(originals))]
    assert among_originals.empty, among_originals
    assert pairs.attrs["n_clips"] == len(X) and pairs.attrs["threshold"] == DUPLICATE_THRESHOLD


def test_fingerprint_ignores_gain_and_rate(utterances):
    y = utterances[0]
    a = audio_fingerprint(y=y, sr=SR)
    assert a.shape[1] == 32 and a.dtype == np.float32
    np.testing.assert_allclose(audio_fingerprint(y=0.05 * y, sr=SR), a, atol=1e-3)
    b = audio_fingerprint(y=resample(y, orig_sr=SR, target_sr=44_100), sr=44_100)
    assert abs(len(b) - len(a)) <= 1
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n].ravel(), b[:n].ravel())[0, 1] > 0.98


def test_cache_gives_the_same_pairs_without_decoding(copies, tmp_path):
    originals, variants = copies
    X = [*originals[:3], variants["flac"], variants["-10 dB"]]
    first = find_duplicates(X, memory=tmp_path)
    assert any((tmp_path / "sersk-features").iterdir())
    again = find_duplicates(X, memory=tmp_path)
    pd.testing.assert_frame_equal(first, again)
    assert first[["i", "j", "kind"]].values.tolist() == [[0, 3, "exact"], [0, 4, "near"],
                                                         [3, 4, "near"]]


def test_split_duplicates_keeps_pairs_across_train_and_test():
    pairs = pd.DataFrame({"i": [0, 1, 2], "j": [5, 4, 3], "kind": ["exact", "near", "near"],
                          "similarity": [1.0, 0.97, 0.99]})
    crossing = split_duplicates(pairs, train=[0, 1, 3], test=[2, 5])
    assert crossing.values.tolist() == [[0, 5, "exact", 1.0], [3, 2, "near", 0.99]]
    assert split_duplicates(pairs, train=[0, 5], test=[1, 4]).empty


def test_bad_input_is_named(tmp_path):
    with pytest.raises(TypeError, match="input #1 is a ndarray.*no known rate"):
        find_duplicates([(np.ones(SR), SR), np.ones(SR)])
    with pytest.raises(ValueError, match="threshold must be in"):
        find_duplicates([], threshold=1.5)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio")
    with pytest.raises(ValueError, match="broken.wav"):
        find_duplicates([str(broken)])

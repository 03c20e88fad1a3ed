"""WhisperEncoderEmbedding: Whisper's front end, the encoder through CTranslate2, pooling,
batching, caching, persistence and the named Whisper pipelines.

A tiny Whisper model with random weights (6 encoder layers of width 16) is written with
CTranslate2's own model specification, so these tests need ctranslate2 and nothing else: no
download, no PyTorch. They are skipped when ctranslate2 (``sersk[whisper]``) is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from conftest import voice_like
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sersk.features import HandcraftedFeatures
from sersk.features.encoders import (
    ModelNotFoundError,
    WhisperEncoderEmbedding,
    whisper_encoder_frames,
    whisper_log_mel,
)

ctranslate2 = pytest.importorskip("ctranslate2")

REPO = Path(__file__).resolve().parents[1]
WIDTH = 16
LAYERS = 6  # as Whisper base


def write_tiny_whisper(folder: Path, *, seed: int = 0, n_mels: int = 80) -> Path:
    """A Whisper model in CTranslate2 format with random weights: 6 encoder layers of width
    16, one decoder layer, a vocabulary of 8 tokens."""
    from ctranslate2.specs import whisper_spec

    rng = np.random.default_rng(seed)
    d, heads, ffn = WIDTH, 2, 32

    def weight(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def norm(spec):
        spec.gamma, spec.beta = 1 + weight(d, scale=0.1), weight(d, scale=0.1)

    def linear(spec, n_out, n_in):
        spec.weight, spec.bias = weight(n_out, n_in, scale=n_in**-0.5), weight(n_out, scale=0.1)

    def block(layer, cross: bool):
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d, d)
        linear(layer.self_attention.linear[1], d, d)
        if cross:
            norm(layer.attention.layer_norm)
            linear(layer.attention.linear[0], d, d)
            linear(layer.attention.linear[1], 2 * d, d)
            linear(layer.attention.linear[2], d, d)
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, ffn, d)
        linear(layer.ffn.linear_1, d, ffn)

    spec = whisper_spec.WhisperSpec(LAYERS, heads, 1, heads)
    encoder, decoder = spec.encoder, spec.decoder
    encoder.conv1.weight, encoder.conv1.bias = weight(d, n_mels, 3), weight(d)
    encoder.conv2.weight, encoder.conv2.bias = weight(d, d, 3, scale=0.2), weight(d)
    encoder.position_encodings.encodings = weight(1500, d, scale=0.5)
    norm(encoder.layer_norm)
    for layer in encoder.layer:
        block(layer, cross=False)
    decoder.embeddings.weight = weight(8, d)
    decoder.position_encodings.encodings = weight(448, d)
    norm(decoder.layer_norm)
    for layer in decoder.layer:
        block(layer, cross=True)
    decoder.projection.weight = decoder.embeddings.weight
    spec.register_vocabulary(["<|endoftext|>", "<|startoftranscript|>", "<|en|>",
                              "<|transcribe|>", "<|translate|>", "<|notimestamps|>",
                              "<|nocaptions|>", "a"])
    spec.config.suppress_ids, spec.config.suppress_ids_begin = [], []
    spec.config.lang_ids, spec.config.alignment_heads = [2], [(0, 0)]
    spec.validate()
    spec.optimize(quantization=None)
    folder.mkdir(parents=True, exist_ok=True)
    spec.save(str(folder))
    return folder


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory):
    return str(write_tiny_whisper(tmp_path_factory.mktemp("tiny-whisper")))


@pytest.fixture(scope="module")
def clips():
    """Nine voice-like clips of 0.6 to 2.6 s at 16 kHz; two pairs of equal length."""
    durations = [0.9, 1.0, 1.3, 1.0, 2.6, 0.8, 1.7, 1.3, 2.2]  # all over MIN_DURATION
    return [voice_like(f0=110 + 20 * i, duration=d, seed=i) for i, d in enumerate(durations)]


# --- the front end ---------------------------------------------------------------------------
def test_log_mel_shape_and_range():
    y = voice_like(duration=1.0)
    mel = whisper_log_mel(y=y)
    assert mel.shape == (100, 80) and mel.dtype == np.float32
    # Floored at 8 (log10 units) below the maximum, then (x + 4) / 4: a range of at most 2.
    assert mel.max() - mel.min() <= 2.0 + 1e-6
    padded = whisper_log_mel(y=y, n_samples=480_000)
    assert padded.shape == (3000, 80)
    # The padding is silence: the floor.
    np.testing.assert_allclose(padded[-100:], padded.min(), atol=1e-6)
    assert whisper_log_mel(y=y, n_mels=128).shape == (100, 128)
    with pytest.raises(ValueError, match="too short"):
        whisper_log_mel(y=np.ones(100, dtype=np.float32))


def test_log_mel_matches_transformers_whisper_feature_extractor():
    transformers = pytest.importorskip("transformers")
    y = voice_like(duration=1.3, seed=3)
    reference = transformers.WhisperFeatureExtractor()(
        y, sampling_rate=16_000, return_tensors="np")["input_features"][0]
    np.testing.assert_allclose(whisper_log_mel(y=y, n_samples=480_000).T, reference, atol=1e-4)


# --- embeddings ------------------------------------------------------------------------------
def test_shape_names_and_pooling(tiny_whisper, clips):
    features = WhisperEncoderEmbedding(model=tiny_whisper, pad_to_seconds=2.0,
                                       pooling="mean_std")
    X = features.fit_transform(clips[:3])
    assert X.shape == (3, 2 * WIDTH) and X.dtype == np.float32
    assert np.isfinite(X).all()
    names = features.get_feature_names_out()
    assert list(names[:2]) == ["whisper0_mean", "whisper1_mean"]
    assert names[WIDTH] == "whisper0_std" and features.n_channels_ == WIDTH
    mean = features.set_params(pooling="mean").fit_transform(clips[:3])
    np.testing.assert_allclose(mean, X[:, :WIDTH], rtol=1e-5)
    frames = features.set_params(pooling="frames").fit_transform(clips[:3])
    # One frame per 20 ms of audio, never the padding.
    assert [f.shape for f in frames] == [(45, WIDTH), (50, WIDTH), (65, WIDTH)]
    np.testing.assert_allclose(frames[0].mean(axis=0), mean[0], rtol=1e-4, atol=1e-6)
    df = WhisperEncoderEmbedding(model=tiny_whisper).set_output(transform="pandas")
    assert list(df.fit_transform(clips[:2]).columns[:1]) == ["whisper0_mean"]


def test_function_matches_transformer(tiny_whisper, clips):
    frames = whisper_encoder_frames(y=clips[1], model=tiny_whisper, pad_to_seconds=None)
    features = WhisperEncoderEmbedding(model=tiny_whisper, pad_to_seconds=None, pooling="frames")
    # Extraction limits BLAS to one thread, which may round the mel products differently.
    np.testing.assert_allclose(frames, features.fit_transform([clips[1]])[0], rtol=1e-4,
                               atol=1e-5)


def test_layer_choice(tiny_whisper, clips):
    def embed(**params):
        return WhisperEncoderEmbedding(model=tiny_whisper, **params).fit_transform(clips[:2])

    last = embed()
    np.testing.assert_array_equal(embed(layer=-1), last)
    np.testing.assert_array_equal(embed(layer=LAYERS), last)
    first = embed(layer=1)
    np.testing.assert_array_equal(embed(layer=-LAYERS), first)
    assert not np.allclose(first, last)
    with pytest.raises(ValueError, match=r"layer=7 is out of range.*6 layers"):
        embed(layer=7)
    with pytest.raises(ValueError, match="layer=-7 is out of range"):
        embed(layer=-7)
    with pytest.raises(ValueError, match="layer=0 is out of range"):
        embed(layer=0)


def test_several_layers_side_by_side(tiny_whisper, clips):
    def frames(layer):
        return WhisperEncoderEmbedding(model=tiny_whisper, layer=layer,
                                       pooling="frames").fit_transform(clips[:2])

    first, last = frames(1), frames(-1)
    both = frames((1, -1))
    width = first[0].shape[1]
    for one, final, b in zip(first, last, both, strict=True):
        assert b.shape == (one.shape[0], 2 * width)
        np.testing.assert_allclose(b[:, :width], one, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b[:, width:], final, rtol=1e-5, atol=1e-6)
    pooled = WhisperEncoderEmbedding(model=tiny_whisper, layer=[2, 1], pooling="mean_std")
    pooled.set_output(transform="pandas")
    table = pooled.fit_transform(clips[:2])
    assert pooled.n_channels_ == 2 * width
    assert table.shape == (2, 4 * width)
    assert table.columns[0] == "whisper_l2_0_mean"
    assert f"whisper_l1_{width - 1}_std" in table.columns
    with pytest.raises(ValueError, match="empty"):
        WhisperEncoderEmbedding(model=tiny_whisper, layer=()).fit(clips[:1])
    with pytest.raises(ValueError, match="layer=9 is out of range"):
        WhisperEncoderEmbedding(model=tiny_whisper, layer=(1, 9)).fit(clips[:1])


@pytest.mark.parametrize("pad_to_seconds", [None, 2.0])
def test_a_clip_alone_equals_the_clip_in_a_batch(tiny_whisper, clips, pad_to_seconds):
    def frames(batch_size, X):
        return WhisperEncoderEmbedding(
            model=tiny_whisper, pad_to_seconds=pad_to_seconds, batch_size=batch_size,
            pooling="frames",
        ).extract_frames(X)

    batched = frames(8, clips * 4)[: len(clips)]  # chunks of 9 clips: batches of up to 8
    alone = [frames(1, [clip])[0] for clip in clips]
    for a, b in zip(alone, batched, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_padding_changes_the_frames_but_not_their_number(tiny_whisper, clips):
    unpadded = whisper_encoder_frames(y=clips[0], model=tiny_whisper, pad_to_seconds=None)
    padded = whisper_encoder_frames(y=clips[0], model=tiny_whisper, pad_to_seconds=5.0)
    assert unpadded.shape == padded.shape
    assert not np.allclose(unpadded, padded)


def test_trim_db_encodes_the_voice_without_the_room_tone(tiny_whisper):
    rng = np.random.default_rng(0)
    room = (1e-4 * rng.standard_normal(8_000)).astype(np.float32)  # 0.5 s, -80 dB
    y = np.concatenate([room, voice_like(duration=1.0), room])
    whole = WhisperEncoderEmbedding(model=tiny_whisper, pooling="frames").fit_transform([y])
    trimmed = WhisperEncoderEmbedding(model=tiny_whisper, pooling="frames",
                                      trim_db=30.0).fit_transform([y])
    assert whole[0].shape[0] == 100 and 48 <= trimmed[0].shape[0] <= 52


def test_clips_longer_than_30_s_are_encoded_in_windows(tiny_whisper):
    y = np.tile(voice_like(duration=1.0), 65)[:-50]  # 65 s: three windows of 21.7 s
    frames = whisper_encoder_frames(y=y, model=tiny_whisper, pad_to_seconds=30.0)
    assert frames.shape == (65 * 50, WIDTH)  # one frame per 320 samples, the last one partial
    assert np.isfinite(frames).all()
    # Exactly 30 s is one window; a sample more makes two (whose frames an unpadded window
    # rounds down to whole 10 ms hops).
    assert whisper_encoder_frames(y=y[:480_000], model=tiny_whisper).shape == (1500, WIDTH)
    assert whisper_encoder_frames(y=y[:480_001], model=tiny_whisper).shape == (1500, WIDTH)


def test_deterministic_across_instances_and_compute_types(tiny_whisper, clips):
    first = WhisperEncoderEmbedding(model=tiny_whisper).fit_transform(clips)
    again = WhisperEncoderEmbedding(model=tiny_whisper).fit_transform(clips)
    np.testing.assert_array_equal(first, again)
    exact = WhisperEncoderEmbedding(model=tiny_whisper, compute_type="float32")
    np.testing.assert_array_equal(exact.fit_transform(clips), exact.fit_transform(clips))
    # int8 weights give other numbers (by much, on random weights): the cache keeps them apart.
    assert exact._cache_signature() != WhisperEncoderEmbedding(
        model=tiny_whisper)._cache_signature()


# --- the cache -------------------------------------------------------------------------------
def test_cache_hits_and_keys(tiny_whisper, clips, tmp_path, monkeypatch):
    from sersk.features.encoders import _whisper

    cache = tmp_path / "cache"
    features = WhisperEncoderEmbedding(model=tiny_whisper, memory=str(cache))
    expected = features.fit_transform(clips[:4])

    def fail(*args, **kwargs):
        raise AssertionError("the encoder ran although every clip was cached")

    monkeypatch.setattr(_whisper, "_encode", fail)
    # Batch size and threads do not change the frames; a copy of the model folder is the same
    # model: all hits.
    copy = shutil.copytree(tiny_whisper, tmp_path / "copied-model")
    for params in ({}, {"batch_size": 2, "n_threads": 2}, {"model": str(copy)}):
        again = WhisperEncoderEmbedding(model=tiny_whisper, memory=str(cache)).set_params(
            **params)
        np.testing.assert_array_equal(again.fit_transform(clips[:4]), expected)
    # Another layer, another padding or another model misses.
    other = write_tiny_whisper(tmp_path / "other-model", seed=1)
    for params in ({"layer": 1}, {"pad_to_seconds": 5.0}, {"model": str(other)},
                   {"compute_type": "float32"}):
        with pytest.raises(Exception, match="the encoder ran|could not be used"):
            WhisperEncoderEmbedding(model=tiny_whisper, memory=str(cache)).set_params(
                **params).fit_transform(clips[:1])


# --- persistence and pipelines ---------------------------------------------------------------
def _labelled(clips):
    X = [(clip, 16_000) for clip in clips] * 2
    y = np.array(["low", "high", "low"] * (len(X) // 3))
    return X, y


def test_joblib_round_trip_in_a_fresh_process(tiny_whisper, clips, tmp_path):
    X, y = _labelled(clips)
    model = Pipeline([
        ("features", WhisperEncoderEmbedding(model=tiny_whisper)),
        ("scaler", StandardScaler()),
        ("clf", LogisticRegression(max_iter=1000)),
    ]).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    # Only the folder's path travels with the pipeline, not the model.
    assert path.stat().st_size < 50_000
    np.save(tmp_path / "clips.npy", np.array(clips[:4], dtype=object), allow_pickle=True)
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        model = joblib.load({str(path)!r})
        clips = np.load({str(tmp_path / "clips.npy")!r}, allow_pickle=True)
        np.save({str(tmp_path / "proba.npy")!r},
                model.predict_proba([(c, 16000) for c in clips]))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"),
                               model.predict_proba(X[:4]), rtol=1e-6)


def test_feature_union_with_handcrafted_features(tiny_whisper, clips):
    X, y = _labelled(clips[:6])
    model = Pipeline([
        ("features", FeatureUnion([
            ("whisper", WhisperEncoderEmbedding(model=tiny_whisper, pooling="mean")),
            ("handcrafted", HandcraftedFeatures(features=("mfcc", "rms_energy"))),
        ])),
        ("scaler", StandardScaler()),
        ("clf", LogisticRegression(max_iter=1000)),
    ]).fit(X, y)
    assert set(model.predict(X[:3])) <= {"low", "high"}
    names = model[:-2].get_feature_names_out()
    assert names[0] == "whisper__whisper0_mean"
    assert any(name.startswith("handcrafted__mfcc") for name in names)


def test_named_pipelines(tiny_whisper, clips, tmp_path, monkeypatch):
    import pipelines

    monkeypatch.delenv("SERSK_WHISPER_MODEL", raising=False)
    with pytest.raises(ModelNotFoundError, match="whisper_model=DIR.*SERSK_WHISPER_MODEL.*"
                                                 "--whisper-model"):
        pipelines.make("whisper-svm")
    assert "whisper-svm:" in pipelines.describe("whisper-svm")  # no model needed to describe
    model = pipelines.make("whisper-logreg", whisper_model=tiny_whisper, memory=str(tmp_path))
    assert model.named_steps["features"].model == tiny_whisper
    monkeypatch.setenv("SERSK_WHISPER_MODEL", tiny_whisper)
    fusion = pipelines.make("whisper-handcrafted-svm", memory=str(tmp_path), n_jobs=1)
    params = fusion.get_params()
    assert params["features__whisper__model"] == tiny_whisper
    assert params["features__whisper__memory"] == params["features__handcrafted__memory"]
    X, y = _labelled(clips)
    assert len(model.fit(X, y).predict(X[:2])) == 2
    features = model.named_steps["features"]
    assert features.n_channels_ == 3 * features._info().d_model  # layers 2, 3 and 4
    for name in ("whisper-logreg", "whisper-svm", "whisper-handcrafted-svm",
                 "whisper-handcrafted-logreg"):
        spec = pipelines.get_spec(name)
        assert set(spec.search_space) <= set(pipelines.make(name).get_params())


@pytest.mark.filterwarnings(  # Keras's own tensors, under NumPy 2
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
def test_whisper_mlp(tiny_whisper, clips, tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("scikeras")
    import pipelines

    model = pipelines.make("whisper-mlp", whisper_model=tiny_whisper, memory=str(tmp_path))
    assert set(pipelines.get_spec("whisper-mlp").search_space) <= set(model.get_params())
    model.set_params(clf__fit__epochs=2)
    X, y = _labelled(clips)
    proba = model.fit(X, y).predict_proba(X[:3])
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


# --- bad inputs ------------------------------------------------------------------------------
def test_missing_or_incomplete_model_folder(tmp_path, clips):
    with pytest.raises(ModelNotFoundError, match="model is None"):
        WhisperEncoderEmbedding().fit(clips[:1])
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError, match=f"{missing}.*does not exist.*whisper_model"):
        WhisperEncoderEmbedding(model=str(missing)).fit(clips[:1])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="model.bin, config.json missing"):
        WhisperEncoderEmbedding(model=str(tmp_path / "empty")).fit_transform(clips[:1])
    assert issubclass(ModelNotFoundError, FileNotFoundError)


@pytest.mark.parametrize("params", [
    {"pad_to_seconds": 0}, {"pad_to_seconds": 31}, {"compute_type": "int4"},
    {"device": "tpu"}, {"batch_size": 0}, {"pooling": "max"},
])
def test_bad_parameters(tiny_whisper, clips, params):
    with pytest.raises(InvalidParameterError):
        WhisperEncoderEmbedding(model=tiny_whisper, **params).fit(clips[:1])


def test_bad_clips_are_named(tiny_whisper, clips):
    from sersk.features import AudioBatchError

    X = [clips[0], np.zeros(16_000, dtype=np.float32), clips[1][:100]]
    with pytest.raises(AudioBatchError, match=r"\[1\].*silen(t|ce)[\s\S]*\[2\].*short"):
        WhisperEncoderEmbedding(model=tiny_whisper).fit_transform(X)


def test_benchmark_runs_the_whisper_pipelines_only_with_a_model(tiny_whisper, tmp_path,
                                                                   monkeypatch, capsys):
    import argparse

    from benchmarks import run

    monkeypatch.delenv("SERSK_WHISPER_MODEL", raising=False)
    args = argparse.Namespace(pipelines=None, whisper_model=None)
    chosen = run.choose_pipelines(args)
    assert chosen and not any(name.startswith("whisper") for name in chosen)
    assert "leaving out whisper-handcrafted-logreg" in capsys.readouterr().out
    with pytest.raises(run.UsageError, match="whisper-svm cannot run here: .*--whisper-model"):
        run.choose_pipelines(argparse.Namespace(pipelines=["whisper-svm"], whisper_model=None))
    with pytest.raises(run.UsageError, match="no model.bin"):
        run.choose_pipelines(argparse.Namespace(pipelines=["whisper-svm"],
                                                whisper_model=str(tmp_path)))
    status = run.main([
        "--corpus", "synthetic", "--synthetic-speakers", "4", "--synthetic-utterances", "2",
        "--pipelines", "whisper-logreg", "--whisper-model", tiny_whisper, "--folds", "2",
        "--no-mlflow", "--out", str(tmp_path / "bench"),
    ])
    assert status == 0
    assert "whisper-logreg" in (tmp_path / "bench" / "summary.md").read_text()

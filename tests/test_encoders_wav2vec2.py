"""Wav2Vec2Embedding on tiny randomly initialised wav2vec 2.0, HuBERT, WavLM and data2vec-audio
models saved to temporary folders (no weights can be downloaded here): layer choice, weighted
layers, padded batches with attention masks, caching, errors. Skipped without torch and
transformers (``sersk[wav2vec2]``).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import voice_like
from sklearn.utils._param_validation import InvalidParameterError

from sersk.features.encoders import ModelNotFoundError, Wav2Vec2Embedding, wav2vec2_frames

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

HIDDEN = 16
N_LAYERS = 3
# A 3-layer convolutional front end (stride 80) instead of wav2vec 2.0's 7 layers (stride 320):
# the same code paths, at a fraction of the cost.
SMALL = {
    "hidden_size": HIDDEN, "num_hidden_layers": N_LAYERS, "num_attention_heads": 2,
    "intermediate_size": 32, "conv_dim": (8, 8, 8), "conv_kernel": (10, 4, 4),
    "conv_stride": (5, 4, 4), "num_conv_pos_embedding_groups": 2,
}
MODELS = {
    # model type: (config class, model class, extra config); "masked": padded batches with an
    # attention mask; the others are batched only with clips of the same length.
    "wav2vec2-masked": ("Wav2Vec2Config", "Wav2Vec2Model",
                        {"feat_extract_norm": "layer", "do_stable_layer_norm": True,
                         "num_conv_pos_embeddings": 16}),
    "wav2vec2-groupnorm": ("Wav2Vec2Config", "Wav2Vec2Model", {"num_conv_pos_embeddings": 16}),
    "wavlm-masked": ("WavLMConfig", "WavLMModel",
                     {"feat_extract_norm": "layer", "num_conv_pos_embeddings": 16}),
    "hubert-groupnorm": ("HubertConfig", "HubertModel", {"num_conv_pos_embeddings": 16}),
    "data2vec-audio": ("Data2VecAudioConfig", "Data2VecAudioModel",
                       {"num_conv_pos_embeddings": 2, "conv_pos_kernel_size": 5}),
}


def save_tiny_model(folder, kind: str, *, seed: int = 0):
    config_class, model_class, extra = MODELS[kind]
    torch.manual_seed(seed)
    config = getattr(transformers, config_class)(**SMALL, **extra)
    getattr(transformers, model_class)(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    return {kind: save_tiny_model(tmp_path_factory.mktemp(kind), kind) for kind in MODELS}


@pytest.fixture(scope="module")
def clips():
    durations = [0.8, 1.05, 0.95, 1.05, 1.3, 0.75]  # two of equal length, all over MIN_DURATION
    return [voice_like(f0=120 + 25 * i, duration=d, seed=i) for i, d in enumerate(durations)]


def test_shape_names_and_frames(tiny_models, clips):
    features = Wav2Vec2Embedding(model=tiny_models["wav2vec2-masked"], pooling="mean_std")
    X = features.fit_transform(clips)
    assert X.shape == (len(clips), 2 * HIDDEN) and np.isfinite(X).all()
    assert list(features.get_feature_names_out()[[0, HIDDEN]]) == [
        "wav2vec2_0_mean", "wav2vec2_0_std"]
    frames = features.set_params(pooling="frames").fit_transform(clips[:2])
    # The tiny front end: one frame per 80 samples, less the edges of its convolutions.
    assert [f.shape for f in frames] == [(159, HIDDEN), (209, HIDDEN)]
    # The function runs here with a multi-threaded BLAS, the transformer's extraction with one
    # thread: float32 sums in another order (seen: 4e-5 relative on 2 of 944 values).
    np.testing.assert_allclose(
        wav2vec2_frames(y=clips[0], model=tiny_models["wav2vec2-masked"]), frames[0],
        rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_clip_alone_equals_the_clip_in_a_padded_batch(tiny_models, clips, kind):
    def frames(batch_size):
        # Extraction runs in 4 chunks: each holds all the clips, one batch of different lengths.
        return Wav2Vec2Embedding(model=tiny_models[kind], layer=[1, -1], batch_size=batch_size,
                                 pooling="frames").extract_frames(clips * 4)[: len(clips)]

    for alone, batched in zip(frames(1), frames(8), strict=True):
        np.testing.assert_allclose(alone, batched, rtol=1e-4, atol=1e-5)


def test_layer_choice_and_weights(tiny_models, clips):
    model = tiny_models["wavlm-masked"]

    def embed(**params):
        return Wav2Vec2Embedding(model=model, pooling="mean", **params).fit_transform(clips[:3])

    hidden = [embed(layer=k) for k in range(N_LAYERS + 1)]
    np.testing.assert_array_equal(embed(layer=-1), hidden[-1])
    assert not np.allclose(hidden[0], hidden[-1])
    # The mean pools linearly, so a weighted sum of layers pools to the weighted sum.
    np.testing.assert_allclose(embed(layer=[1, 3], layer_weights=[1, 3]),
                               0.25 * hidden[1] + 0.75 * hidden[3], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(embed(layer=[0, 2]), (hidden[0] + hidden[2]) / 2, rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(embed(layer="all"), np.mean(hidden, axis=0), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_array_equal(embed(layer=[2], layer_weights=[5.0]), hidden[2])


def test_deterministic_and_cached(tiny_models, clips, tmp_path, monkeypatch):
    from sersk.features.encoders import _wav2vec2

    model = tiny_models["hubert-groupnorm"]
    first = Wav2Vec2Embedding(model=model, memory=str(tmp_path)).fit_transform(clips)
    np.testing.assert_array_equal(Wav2Vec2Embedding(model=model).fit_transform(clips), first)

    def fail(*args, **kwargs):
        raise AssertionError("the model ran although every clip was cached")

    monkeypatch.setattr(_wav2vec2, "_encode", fail)
    again = Wav2Vec2Embedding(model=model, memory=str(tmp_path), batch_size=2)
    np.testing.assert_array_equal(again.fit_transform(clips), first)
    with pytest.raises(Exception, match="could not be used"):
        Wav2Vec2Embedding(model=model, memory=str(tmp_path), layer=1).fit_transform(clips[:1])


def test_pickles_without_the_model(tiny_models, clips):
    features = Wav2Vec2Embedding(model=tiny_models["wav2vec2-masked"]).fit(clips)
    expected = features.transform(clips)
    blob = pickle.dumps(features)
    assert len(blob) < 20_000
    np.testing.assert_array_equal(pickle.loads(blob).transform(clips), expected)


def test_bad_models_and_layers(tiny_models, clips, tmp_path):
    model = tiny_models["wav2vec2-masked"]
    with pytest.raises(ModelNotFoundError, match="model is None"):
        Wav2Vec2Embedding().fit(clips)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        Wav2Vec2Embedding(model=str(tmp_path / "nothing-here")).fit(clips)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="config.json missing"):
        Wav2Vec2Embedding(model=str(tmp_path / "empty")).fit(clips)
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelNotFoundError, match="not a wav2vec 2.0-family model"):
        Wav2Vec2Embedding(model=str(tmp_path / "text")).fit(clips)
    with pytest.raises(ValueError, match=r"layer 4 is out of range.*3 transformer layers"):
        Wav2Vec2Embedding(model=model, layer=4).fit(clips)
    with pytest.raises(ValueError, match="layer_weights must be 2"):
        Wav2Vec2Embedding(model=model, layer=[0, 1], layer_weights=[1.0]).fit(clips)
    with pytest.raises(ValueError, match="non-negative"):
        Wav2Vec2Embedding(model=model, layer=[0, 1], layer_weights=[1.0, -1.0]).fit(clips)
    with pytest.raises(InvalidParameterError):
        Wav2Vec2Embedding(model=model, layer="last").fit(clips)

"""The Keras classifiers on tiny synthetic data: shapes, determinism, persistence, masking."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("scikeras")

import joblib  # noqa: E402
from sklearn.base import clone, is_classifier  # noqa: E402

from sersk.models.keras import (  # noqa: E402
    CRNNClassifier,
    MLPClassifier,
    build_crnn,
    build_mlp,
)
from sersk.models.keras._classifiers import _Batches  # noqa: E402
from sersk.models.keras._layers import (  # noqa: E402
    AttentiveStatisticsPooling,
    MaskedStatisticsPooling,
)

# TensorFlow's EagerTensor.__array__ has no copy= keyword, which numpy 2 deprecates; Keras converts
# every prediction through it. Not sersk's to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

TINY_CRNN = {
    "model__conv_filters": (4,),
    "model__rnn_units": (4,),
    "model__dense_units": (),
    "fit__epochs": 2,
    "fit__batch_size": 8,
}


def tiny_sequences(n=36, n_frames=12, n_channels=3, seed=0):
    """Sequences with a frame_valid channel; every other clip padded after 8 frames."""
    rng = np.random.default_rng(seed)
    y = np.array(["angry", "calm", "sad"] * (n // 3))
    X = rng.normal(size=(n, n_frames, n_channels + 1)).astype(np.float32)
    X[..., 0] += 2.0 * (y == "angry")[:, None]
    X[..., -1] = 1.0
    X[::2, 8:, :] = 0.0
    speakers = np.repeat(np.arange(6), n // 6)
    return X, y, speakers


@pytest.fixture(scope="module")
def data():
    return tiny_sequences()


@pytest.fixture(scope="module")
def fitted(data):
    X, y, speakers = data
    return CRNNClassifier(**TINY_CRNN).fit(X, y, groups=speakers)


def test_fit_predict_shapes(fitted, data):
    X, y, _ = data
    assert fitted.classes_.tolist() == ["angry", "calm", "sad"]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(fitted.predict(X)) <= set(y)
    assert fitted.n_epochs_ == 2 and len(fitted.history_["loss"]) == 2
    assert fitted.validation_strategy_ == "speaker-disjoint"
    assert len(fitted.frame_mean_) == X.shape[-1] - 1
    assert is_classifier(fitted)


def test_two_fits_are_identical(fitted, data):
    X, y, speakers = data
    again = CRNNClassifier(**TINY_CRNN).fit(X, y, groups=speakers)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_batch_equals_single(fitted, data):
    X, _, _ = data
    batch = fitted.predict_proba(X[:4])
    single = np.vstack([fitted.predict_proba(X[i : i + 1]) for i in range(4)])
    np.testing.assert_allclose(single, batch, atol=1e-5)


def test_padding_is_masked(fitted, data):
    X, _, _ = data
    noisy = X[:2].copy()
    noisy[0, 8:, :-1] = 50.0  # padded frames (frame_valid == 0) of clip 0
    np.testing.assert_allclose(fitted.predict_proba(noisy), fitted.predict_proba(X[:2]),
                               atol=1e-5)


def test_joblib_round_trip_in_a_fresh_process(fitted, data, tmp_path):
    X, _, _ = data
    joblib.dump(fitted, tmp_path / "crnn.joblib")
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        model = joblib.load({str(tmp_path / "crnn.joblib")!r})
        np.save({str(tmp_path / "proba.npy")!r},
                model.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), fitted.predict_proba(X))


def test_members_are_averaged_and_survive_joblib(fitted, data, tmp_path):
    X, y, speakers = data
    ensemble = CRNNClassifier(**TINY_CRNN, n_members=2).fit(X, y, groups=speakers)
    assert len(ensemble.member_epochs_) == 2
    members = [ensemble.model_.get_layer(f"member_{i}") for i in range(2)]
    each = [member.predict(X, verbose=0) for member in members]
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba, (each[0] + each[1]) / 2, atol=1e-6)
    # The first member is the single network of the same random_state; the second differs.
    np.testing.assert_allclose(each[0], fitted.predict_proba(X), atol=1e-6)
    assert not np.allclose(each[1], each[0], atol=1e-3)
    batch = ensemble.predict_proba(X[:3])
    single = np.vstack([ensemble.predict_proba(X[i : i + 1]) for i in range(3)])
    np.testing.assert_allclose(single, batch, atol=1e-5)
    joblib.dump(ensemble, tmp_path / "ensemble.joblib")
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        model = joblib.load({str(tmp_path / "ensemble.joblib")!r})
        np.save({str(tmp_path / "proba.npy")!r},
                model.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), proba)


def test_members_train_in_parallel_processes(data):
    X, y, speakers = data
    sequential = CRNNClassifier(**TINY_CRNN, n_members=2).fit(X, y, groups=speakers)
    parallel = CRNNClassifier(**TINY_CRNN, n_members=2, n_jobs=2).fit(X, y, groups=speakers)
    assert parallel.member_epochs_ == sequential.member_epochs_
    assert parallel.validation_strategy_ == "speaker-disjoint"
    # The same seeds; only the number of TensorFlow threads differs.
    np.testing.assert_allclose(parallel.predict_proba(X), sequential.predict_proba(X),
                               atol=1e-4)


def test_params_are_explicit_and_clone(fitted):
    params = fitted.get_params()
    for name in ("model__rnn_units", "optimizer__learning_rate", "fit__batch_size",
                 "fit__epochs"):
        assert name in params
    copy = clone(fitted)
    assert copy.get_params() == params
    assert not hasattr(copy, "model_")
    copy.set_params(optimizer__learning_rate=0.01, model__rnn="gru")
    assert clone(copy).get_params()["model__rnn"] == "gru"
    with pytest.raises(ValueError, match="invalid parameter.*optimizer__beta_1"):
        copy.set_params(optimizer__beta_1=0.8)


def test_inner_split_keeps_speakers_apart(data):
    _, y, speakers = data
    clf = CRNNClassifier(validation_split=0.2)
    clf._random_state = 0
    train, val = clf._inner_split(y, speakers)
    assert not set(speakers[train]) & set(speakers[val])
    assert clf.validation_strategy_ == "speaker-disjoint"
    train, val = clf._inner_split(y, None)
    assert clf.validation_strategy_ == "stratified"
    assert sorted(np.unique(y[val])) == ["angry", "calm", "sad"]


def test_groups_must_match_samples(data):
    X, y, speakers = data
    with pytest.raises(ValueError, match="one speaker per sample"):
        CRNNClassifier(**TINY_CRNN).fit(X, y, groups=speakers[:-1])


def test_wrong_input_rank_is_explained():
    with pytest.raises(ValueError, match="FixedLengthSequence"):
        CRNNClassifier(**TINY_CRNN).fit(np.zeros((6, 4)), ["a", "b"] * 3)


def test_mixup_batches_are_seeded():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3, 2)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)  # ten classes: any mixed pair gives soft labels
    w = np.ones(10, dtype=np.float32)
    first = _Batches(X, y, w, batch_size=4, mixup_alpha=0.4, seed=3)[1]
    second = _Batches(X, y, w, batch_size=4, mixup_alpha=0.4, seed=3)[1]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    Xb, yb, _ = first
    np.testing.assert_allclose(yb.sum(axis=1), 1.0, rtol=1e-6)
    assert ((yb > 0) & (yb < 1)).any()  # soft labels


@pytest.mark.parametrize(
    "layout",
    [
        {"conv": "1d", "rnn": "lstm"},
        {"conv": "1d", "rnn": "gru", "temporal_pooling": "mean", "bidirectional": False},
        {"conv": "2d", "rnn": "simple"},
        {"conv": "2d", "rnn": None},
        {"conv": "1d", "rnn": "lstm", "temporal_pooling": "stats"},
        {"conv": "1d", "rnn": "lstm", "temporal_pooling": "stats", "input_statistics": True},
        {"conv": "1d", "rnn": "gru", "temporal_pooling": "attention"},
        {"conv": "2d", "rnn": None, "temporal_pooling": "stats"},
        {"conv": "2d-time-distributed", "rnn": "lstm", "chunk_frames": 4},
    ],
    ids=lambda layout: "-".join(str(v) for v in layout.values()),
)
def test_build_crnn_layouts(layout):
    meta = {"X_shape_": (5, 12, 7), "n_classes_": 3, "frame_mean_": [0.0] * 6,
            "frame_scale_": [1.0] * 6}
    model = build_crnn(meta, conv_filters=(4, 4), rnn_units=(4,), kernel_size=3,
                       l1=1e-5, input_noise=0.1, **layout)
    assert model.output_shape == (None, 3)
    X = np.random.default_rng(0).normal(size=(2, 12, 7)).astype(np.float32)
    X[..., -1] = 1.0
    assert model.predict(X, verbose=0).shape == (2, 3)
    names = [layer.name for layer in model.layers]
    assert ("with_input_statistics" in names) == layout.get("input_statistics", False)


def test_build_crnn_refuses_bad_layouts():
    meta = {"X_shape_": (5, 12, 7), "n_classes_": 3}
    with pytest.raises(ValueError, match="chunk_frames=5 must divide n_frames=12"):
        build_crnn(meta, conv="2d-time-distributed", chunk_frames=5)
    with pytest.raises(ValueError, match="rnn must be one of"):
        build_crnn(meta, rnn="transformer")
    with pytest.raises(ValueError, match="FixedLengthSequence"):
        build_crnn({"X_shape_": (5, 12), "n_classes_": 3})
    with pytest.raises(ValueError, match="temporal_pooling must be one of"):
        build_crnn(meta, temporal_pooling="max")


def test_statistics_pooling_is_the_mean_and_std_of_the_valid_frames():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    mask = np.ones((2, 6, 1), dtype=np.float32)
    mask[1, 4:] = 0.0
    out = np.asarray(MaskedStatisticsPooling()([x, mask]))
    for i, n in enumerate([6, 4]):
        np.testing.assert_allclose(out[i, :3], x[i, :n].mean(axis=0), atol=1e-5)
        np.testing.assert_allclose(out[i, 3:], x[i, :n].std(axis=0), atol=1e-4)
    np.testing.assert_allclose(np.asarray(MaskedStatisticsPooling()(x))[0], out[0], atol=1e-6)


def test_attentive_pooling_ignores_padding_and_round_trips():
    import keras

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    mask = np.ones((2, 6, 1), dtype=np.float32)
    mask[:, 4:] = 0.0
    layer = AttentiveStatisticsPooling(units=5)
    out = np.asarray(layer([x, mask]))
    assert out.shape == (2, 6)
    changed = x.copy()
    changed[:, 4:] = 100.0  # padded frames
    np.testing.assert_allclose(np.asarray(layer([changed, mask])), out, atol=1e-5)
    # The weights are a convex combination: the mean lies within the valid frames' range.
    assert (out[:, :3] >= x[:, :4].min(axis=1) - 1e-5).all()
    assert (out[:, :3] <= x[:, :4].max(axis=1) + 1e-5).all()
    inputs = [keras.Input((6, 3)), keras.Input((6, 1))]
    model = keras.Model(inputs, AttentiveStatisticsPooling(units=5)(inputs))
    again = keras.Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict([x, mask], verbose=0),
                               model.predict([x, mask], verbose=0), atol=1e-6)


def test_mlp_classifier():
    rng = np.random.default_rng(0)
    y = np.array(["calm", "angry"] * 15)
    X = rng.normal(size=(30, 5)) + (y == "angry")[:, None]
    clf = MLPClassifier(model__hidden_units=(8,), fit__epochs=2, optimizer="adamw",
                        mixup_alpha=0.2).fit(X, y)
    assert clf.predict_proba(X).shape == (30, 2)
    assert clf.validation_strategy_ == "stratified"
    assert build_mlp({"n_features_in_": 5, "n_classes_": 4}).output_shape == (None, 4)
    with pytest.raises(ValueError, match="pooling='stats'"):
        MLPClassifier(fit__epochs=1).fit(np.zeros((6, 3, 2)), ["a", "b"] * 3)

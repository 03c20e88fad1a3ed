"""Model files from untrusted sources: info never unpickles, the skops format runs no code."""

from __future__ import annotations

import os
import pickle
import stat

import numpy as np
import pytest
from _trained_models import pitch_model, registry_model
from sklearn.base import BaseEstimator, TransformerMixin
from test_cli import SYNTHETIC, run

from sersk import persistence
from sersk.persistence import UntrustedModelError, load_model, read_metadata, save_model

sio = pytest.importorskip("skops.io")


class _Crafted:
    """Unpickling it creates the marker file: a stand-in for any command an attacker runs."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _forge(tmp_path, marker):
    """A malicious pickle with the metadata trailer of a genuine model copied after it."""
    genuine = tmp_path / "genuine.joblib"
    save_model(pitch_model(), genuine, corpora=["emodb"], n_train=535)
    data = genuine.read_bytes()
    trailer = data[data.rindex(persistence._MARKER):]
    forged = tmp_path / "forged.joblib"
    forged.write_bytes(pickle.dumps(_Crafted(marker)) + trailer)
    return forged


def test_the_crafted_pickle_runs_code_when_loaded(tmp_path):
    # The premise of the tests below: loading this file does create the marker.
    marker = tmp_path / "marker"
    with pytest.raises(persistence.ModelFileError):
        load_model(_forge(tmp_path, marker))
    assert marker.exists()


def test_info_never_unpickles_a_plain_pickle(tmp_path):
    marker = tmp_path / "marker"
    crafted = tmp_path / "crafted.joblib"
    crafted.write_bytes(pickle.dumps(_Crafted(marker)))
    status, out, err = run("info", str(crafted))
    assert not marker.exists()
    assert status == 0, err
    assert "no sersk metadata" in out and "runs code from the file" in out
    status, out, _ = run("info", str(crafted), "--json")
    assert not marker.exists() and '"format": null' in out


def test_info_does_not_present_a_forged_trailer_as_verified(tmp_path):
    marker = tmp_path / "marker"
    status, out, _ = run("info", str(_forge(tmp_path, marker)))
    assert status == 0 and not marker.exists()
    assert "trained on emodb: 535 clips" in out  # what the file says of itself …
    assert "joblib (pickle): loading it runs code from the file" in out  # … and what that is
    assert "unverified" in out


def test_skops_round_trip_keeps_predictions_and_metadata(tmp_path):
    model, frame = registry_model()
    path = tmp_path / "ser.skops"
    save_model(model, path, pipeline_name="mfcc-svm", corpora=["synthetic"], n_train=18)
    assert read_metadata(path)["corpora"] == ["synthetic"]
    loaded, meta = load_model(path)
    clips = list(frame["audio"][:3])
    np.testing.assert_allclose(loaded.predict_proba(clips), model.predict_proba(clips))
    assert meta["pipeline"] == "mfcc-svm" and meta["format"] == "sersk-model-skops"
    status, out, _ = run("info", str(path))
    assert status == 0 and "every type it names is in sersk's allow-list" in out


def test_a_crafted_skops_file_is_refused_with_the_types_named(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    crafted = tmp_path / "crafted.skops"
    sio.dump(make_pipeline(FunctionTransformer(os.system), LogisticRegression()), crafted)
    with pytest.raises(UntrustedModelError, match=r"does not trust.*system") as info:
        load_model(crafted)
    assert any("system" in name for name in info.value.types)
    status, out, _ = run("info", str(crafted))
    assert status == 0 and "outside sersk's allow-list" in out and "system" in out


class _Double(TransformerMixin, BaseEstimator):
    """A transformer of the user's own, which no allow-list knows."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * np.asarray(X)


def test_saving_as_skops_refuses_what_it_could_not_load(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = np.arange(8.0).reshape(-1, 1), [0, 1] * 4
    model = make_pipeline(_Double(), LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError, match=r"m.skops: .* outside sersk.s skops allow-list.*_Double"):
        save_model(model, tmp_path / "m.skops")
    assert not list(tmp_path.iterdir())  # nothing left behind


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("suffix", [".joblib", ".skops"])
def test_model_files_follow_the_umask(tmp_path, umask, mode, suffix):
    old = os.umask(umask)
    try:
        save_model(pitch_model(), tmp_path / f"m{suffix}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / f"m{suffix}").stat().st_mode) == mode


def test_train_writes_skops_when_asked(tmp_path):
    model = tmp_path / "ser.skops"
    status, out, err = run("train", "mfcc-svm", *SYNTHETIC, "--emotions", "angry", "sad",
                           "-o", str(model))
    assert status == 0, err
    pipeline, meta = load_model(model)
    assert meta["pipeline"] == "mfcc-svm" and list(pipeline.classes_) == ["angry", "sad"]


def test_a_truncated_skops_file_is_a_model_file_error(tmp_path):
    path = tmp_path / "m.skops"
    save_model(pitch_model(), path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(persistence.ModelFileError, match="m.skops: cannot be read as a skops"):
        load_model(path)
    status, out, _ = run("info", str(path))
    assert status == 0 and "skops" in out


@pytest.mark.slow
# TensorFlow's EagerTensor.__array__ has no copy= keyword, which numpy 2 deprecates.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_a_keras_pipeline_cannot_be_saved_as_skops_and_says_so(tmp_path):
    pytest.importorskip("tensorflow")
    import pipelines
    from sersk.datasets import audio_inputs, make_emotional_speech

    frame = make_emotional_speech(n_speakers=3, n_utterances=2, emotions=("neutral", "angry"),
                                  random_state=0)
    model = pipelines.make("handcrafted-mlp").fit(audio_inputs(frame), frame["emotion"])
    with pytest.raises(TypeError, match=r"cannot be stored in the skops format.*Keras models"):
        save_model(model, tmp_path / "mlp.skops")
    assert not list(tmp_path.iterdir())

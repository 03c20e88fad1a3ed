"""The neural pipelines: registered, buildable, trainable on tiny audio, persistent."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import pipelines

NEURAL = ["crnn", "crnn-aug", "mel-cnn", "handcrafted-mlp", "handcrafted-mlp-smote"]

# TensorFlow's EagerTensor.__array__ has no copy= keyword, which numpy 2 deprecates; Keras converts
# every prediction through it. Not sersk's to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def test_listed_even_without_tensorflow():
    assert set(NEURAL) <= set(pipelines.available())


def test_missing_tensorflow_names_the_extra(monkeypatch):
    # A None entry in sys.modules makes the import fail, as it does without the extra.
    monkeypatch.setitem(sys.modules, "sersk.models.keras", None)
    with pytest.raises(ImportError, match=r"pip install .*\[keras\]"):
        pipelines.make("crnn")


@pytest.mark.parametrize("name", NEURAL)
def test_make_and_describe(name):
    pytest.importorskip("tensorflow")
    pytest.importorskip("scikeras")
    from imblearn.pipeline import Pipeline

    model = pipelines.make(name, memory=None, n_jobs=1)
    assert isinstance(model, Pipeline)
    params = model.get_params()
    assert "clf__optimizer__learning_rate" in params and "clf__fit__epochs" in params
    text = pipelines.describe(name)
    assert name in text
    # Notes and the shared training paragraph are indented differently in the source: the
    # description re-flows every paragraph without stray runs of spaces.
    assert "Training: Adam" in text and "   " not in text.split("\nSteps:")[0]
    for key in pipelines.get_spec(name).search_space:
        assert key in params


TINY = {
    "crnn": {"clf__model__conv_filters": (4,), "clf__model__rnn_units": (4,),
             "clf__model__dense_units": ()},
    "handcrafted-mlp": {"clf__model__hidden_units": (8,)},
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_fit_predict_and_joblib_round_trip(name, voice_files, tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("scikeras")
    import joblib

    paths, labels = voice_files
    speakers = np.repeat(["s1", "s2", "s3", "s4"], 3)
    model = pipelines.make(name, memory=str(tmp_path / "cache"), **TINY[name],
                           clf__fit__epochs=2)
    if "augment" in model.named_steps:
        # The speakers cannot follow the copies a sampler adds: without it, they can.
        model.set_params(augment="passthrough")
    model.fit(paths, labels, clf__groups=speakers)
    assert model.named_steps["clf"].validation_strategy_ == "speaker-disjoint"
    proba = model.predict_proba(paths)
    assert proba.shape == (len(paths), 2)
    assert list(model.classes_) == ["high", "low"]
    joblib.dump(model, tmp_path / "model.joblib")
    np.testing.assert_allclose(joblib.load(tmp_path / "model.joblib").predict_proba(paths),
                               proba, atol=1e-6)


def test_crnn_augments_training_clips_only(voice_files, tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("scikeras")
    from sersk.samplers import AudioAugmenter

    paths, labels = voice_files
    model = pipelines.make("crnn", memory=str(tmp_path / "cache"), n_jobs=1, **TINY["crnn"],
                           clf__fit__epochs=1, clf__n_members=1)
    augment = model.named_steps["augment"]
    assert isinstance(augment, AudioAugmenter)
    # make's shorthand reaches the waveform step too, so the copies are cached.
    assert augment.memory == str(tmp_path / "cache") and augment.n_jobs == 1
    X_res, y_res = augment.fit_resample(paths, labels)
    assert len(X_res) == 2 * len(paths) and list(y_res) == 2 * list(labels)
    model.fit(paths, labels)  # no speakers: the inner split is stratified
    assert model.named_steps["clf"].validation_strategy_ == "stratified"
    # Prediction sees the clips as they are: one row per clip, as a model without the sampler.
    assert model.predict_proba(paths).shape == (len(paths), 2)

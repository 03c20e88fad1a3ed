"""Saved models: one joblib file that any scikit-learn code loads, with metadata sersk reads."""

from __future__ import annotations

import json
import sys
import types

import joblib
import numpy as np
import pytest
from _trained_models import pitch_model, registry_model
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

import pipelines
from sersk import persistence
from sersk.persistence import (
    IncompatibleModelError,
    ModelFileError,
    ModelVersionWarning,
    load_model,
    read_metadata,
    save_model,
)


@pytest.fixture
def saved(tmp_path):
    model, frame = registry_model()
    path = tmp_path / "ser.joblib"
    meta = save_model(model, path, pipeline_name="mfcc-svm", corpora=["synthetic"],
                      n_train=len(frame), metrics={"uar_mean": 0.5}, extra={"seed": 0})
    return model, frame, path, meta


def test_round_trip_keeps_predictions_and_metadata(saved):
    model, frame, path, meta = saved
    loaded, loaded_meta = load_model(path)
    clips = list(frame["audio"][:4])
    np.testing.assert_allclose(loaded.predict_proba(clips), model.predict_proba(clips))
    assert loaded_meta == meta
    assert meta["pipeline"] == "mfcc-svm"
    assert meta["classes"] == ["angry", "neutral", "sad"]
    assert meta["corpora"] == ["synthetic"] and meta["n_train"] == len(frame)
    assert meta["metrics"] == {"uar_mean": 0.5} and meta["seed"] == 0
    assert meta["sample_rate"] == 16_000
    assert meta["format_version"] == persistence.FORMAT_VERSION
    assert {"sersk", "scikit-learn", "numpy", "joblib", "python"} <= set(meta["versions"])
    assert meta["created"].endswith("+00:00")


def test_plain_joblib_load_gives_the_fitted_pipeline(saved):
    # The promise: a saved model loads in any scikit-learn code and predicts from audio files.
    model, frame, path, meta = saved
    plain = joblib.load(path)
    assert type(plain) is type(model)
    assert plain.sersk_metadata_ == meta
    assert list(plain.predict(list(frame["audio"][:3]))) == list(
        model.predict(list(frame["audio"][:3])))


def test_saving_leaves_the_callers_pipeline_unchanged(saved):
    model, *_ = saved
    assert not hasattr(model, "sersk_metadata_")


def test_read_metadata_does_not_unpickle(saved, monkeypatch):
    *_, path, meta = saved

    def refuse(*args, **kwargs):
        raise AssertionError("read_metadata must not unpickle the model")

    monkeypatch.setattr(joblib, "load", refuse)
    assert read_metadata(path) == meta


def test_plain_joblib_file_loads_with_derived_metadata(tmp_path):
    model = pitch_model()
    path = tmp_path / "plain.joblib"
    joblib.dump(model, path)
    loaded, meta = load_model(path)
    assert meta["classes"] == ["high", "low"] and meta["pipeline"] is None
    with pytest.raises(ModelFileError, match="no sersk metadata"):
        read_metadata(path)


def test_save_refuses_an_unfitted_pipeline(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(pipelines.make("mfcc-svm"), tmp_path / "x.joblib")
    assert not (tmp_path / "x.joblib").exists()


def test_save_refuses_metadata_json_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_model(pitch_model(), tmp_path / "x.joblib", extra={"when": object()})
    assert list(tmp_path.iterdir()) == []  # no half-written file left behind


def test_save_refuses_to_overwrite_reserved_keys(tmp_path):
    with pytest.raises(ValueError, match="classes"):
        save_model(pitch_model(), tmp_path / "x.joblib", extra={"classes": ["a"]})


@pytest.mark.parametrize("content, match", [
    (None, "model file not found"),
    (b"", "empty"),
    (b"this is not a model at all" * 10, "cannot be read as a model"),
])
def test_unusable_files_raise_model_file_error(tmp_path, content, match):
    path = tmp_path / "model.joblib"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_a_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


def test_truncated_file_is_reported_as_such(saved, tmp_path):
    *_, path, _ = saved
    cut = tmp_path / "cut.joblib"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated, corrupt"):
        load_model(cut)


def test_something_else_than_a_classifier_is_refused(tmp_path):
    path = tmp_path / "dict.joblib"
    joblib.dump({"weights": [1, 2, 3]}, path)
    with pytest.raises(ModelFileError, match="holds a dict, not a fitted classifier"):
        load_model(path)


def test_newer_format_is_incompatible(tmp_path, monkeypatch):
    path = tmp_path / "future.joblib"
    monkeypatch.setattr(persistence, "FORMAT_VERSION", 99)
    save_model(pitch_model(), path)
    monkeypatch.undo()
    with pytest.raises(IncompatibleModelError, match="format 99.*Upgrade sersk") as info:
        load_model(path)
    assert info.value.metadata["format_version"] == 99
    with pytest.raises(IncompatibleModelError):
        read_metadata(path)


class _Gone(ClassifierMixin, BaseEstimator):
    """A classifier whose module disappears, as a class does between library versions."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_missing_class_is_incompatible_and_names_the_versions(tmp_path, monkeypatch):
    module = types.ModuleType("sersk_vanished_module")
    _Gone.__module__ = module.__name__
    module._Gone = _Gone
    monkeypatch.setitem(sys.modules, module.__name__, module)
    path = tmp_path / "old.joblib"
    real_versions = persistence.library_versions()
    monkeypatch.setattr(persistence, "library_versions",
                        lambda: {**real_versions, "scikit-learn": "0.0.1"})
    save_model(_Gone().fit([[0], [1]], ["a", "b"]), path)
    monkeypatch.undo()
    with pytest.raises(IncompatibleModelError, match=r"scikit-learn 0\.0\.1 \(installed: ") as info:
        load_model(path)
    assert "sersk_vanished_module" in str(info.value)
    assert info.value.metadata["versions"]["scikit-learn"] == "0.0.1"


def test_other_versions_warn_once(tmp_path, monkeypatch):
    path = tmp_path / "older.joblib"
    real_versions = persistence.library_versions()
    monkeypatch.setattr(persistence, "library_versions",
                        lambda: {**real_versions, "sersk": "0.0.1"})
    save_model(pitch_model(), path)
    monkeypatch.undo()
    with pytest.warns(ModelVersionWarning, match=r"sersk 0\.0\.1") as record:
        load_model(path)
    assert len([w for w in record if w.category is ModelVersionWarning]) == 1


def test_file_layout_is_joblib_then_json_trailer(saved):
    *_, path, meta = saved
    data = path.read_bytes()
    assert data.endswith(b"SERSKMD1")
    start = data.rindex(b"\nSERSK-MODEL-METADATA\n") + len(b"\nSERSK-MODEL-METADATA\n")
    assert json.loads(data[start:-16]) == meta

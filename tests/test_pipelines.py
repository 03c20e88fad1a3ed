"""The pipeline registry, pipelines from audio to emotion, and their joblib round trip."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import pipelines
from sersk.datasets import audio_inputs, make_emotional_speech

REPO = Path(__file__).resolve().parents[1]

# Small enough to fit in a second or two: 3 emotions x 4 speakers x 4 clips of 1 s.
TINY = {"n_estimators": 20, "max_depth": 2, "n_jobs": 1}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Synthetic clips written as FLAC files: (paths, emotions)."""
    folder = tmp_path_factory.mktemp("synthetic")
    frame = make_emotional_speech(
        n_speakers=4, n_utterances=4, emotions=("angry", "neutral", "sad"), duration=1.0,
        random_state=0, directory=folder,
    )
    return frame["path"].tolist(), frame["emotion"].to_numpy()


def test_available():
    assert {"mfcc-svm", "handcrafted-svm", "handcrafted-xgb"} <= set(pipelines.available())
    assert pipelines.available() == sorted(pipelines.available())


@pytest.mark.parametrize("name", ["mfcc-svm", "handcrafted-svm", "handcrafted-xgb"])
def test_make_and_describe(name):
    model = pipelines.make(name)
    assert isinstance(model, Pipeline)
    assert model.steps[0][0] == "features"
    assert pipelines.make(name) is not model  # a new pipeline every time
    text = pipelines.describe(name)
    assert text.startswith(f"{name}: ")
    assert "Steps:" in text and "speaker-independent" in text
    spec = pipelines.get_spec(name)
    # The search space names real parameters.
    assert set(spec.search_space) <= set(model.get_params())


def test_svm_defaults():
    model = pipelines.make("mfcc-svm")
    params = model.get_params()
    assert params["svc__estimator__class_weight"] == "balanced"
    # Probabilities from a logistic regression on the pairwise (one-vs-one) margins, fitted
    # out of fold; not temperature-scaled one-vs-rest vote counts (issue 13).
    assert params["svc__estimator__decision_function_shape"] == "ovo"
    assert params["svc__cv"] == 5 and params["svc__alpha"] == 0.01
    # scikit-learn 1.9 deprecates SVC(probability=True); the pipeline does not use it.
    assert params["svc__estimator__probability"] == "deprecated"


def test_xgb_defaults():
    params = pipelines.make("handcrafted-xgb").get_params()
    assert params["xgb__class_weight"] == "balanced"
    assert params["xgb__estimator__random_state"] == 0


def test_make_routes_plain_params_to_features(tmp_path):
    model = pipelines.make("handcrafted-svm", memory=str(tmp_path), n_jobs=2, verbose=True,
                           svc__estimator__C=0.5)
    features = model.named_steps["features"]
    assert (features.memory, features.n_jobs, features.verbose) == (str(tmp_path), 2, True)
    assert model.get_params()["svc__estimator__C"] == 0.5
    # Pipeline's own `memory` (whole-step caching) is not what `memory=` sets.
    assert model.memory is None


def test_make_unknown_parameter():
    with pytest.raises(ValueError, match="has no parameter 'C'.*svc__estimator__C|get_params"):
        pipelines.make("mfcc-svm", C=3)
    with pytest.raises(ValueError, match=r"no parameter\(s\) \['svc__gamma'\]"):
        pipelines.make("mfcc-svm", svc__gamma=0.1)


def test_make_unknown_pipeline():
    with pytest.raises(KeyError, match="no pipeline named 'wav2vec'.*mfcc-svm"):
        pipelines.make("wav2vec")


def test_register_refuses_a_taken_name():
    spec = pipelines.get_spec("mfcc-svm")
    with pytest.raises(ValueError, match="already registered"):
        pipelines.register(spec)


@pytest.mark.parametrize(
    "name, params",
    [
        ("mfcc-svm", {"n_mfcc": 13}),
        ("handcrafted-xgb", {f"xgb__estimator__{k}": v for k, v in TINY.items()}),
    ],
)
def test_fit_predict_proba_from_waveforms(name, params):
    frame = make_emotional_speech(
        n_speakers=3, n_utterances=3, emotions=("angry", "sad"), duration=0.8, random_state=1
    )
    X, y = audio_inputs(frame), frame["emotion"].to_numpy()
    model = pipelines.make(name, n_jobs=1, **params).fit(X, y)
    assert model.classes_.tolist() == ["angry", "sad"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    predicted = model.predict(X)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], predicted)
    assert (predicted == y).mean() > 0.7


def test_svm_predicts_the_most_probable_class(corpus):
    paths, y = corpus
    model = pipelines.make("mfcc-svm", n_mfcc=13, n_jobs=1).fit(paths, y)
    proba = model.predict_proba(paths)
    np.testing.assert_array_equal(model.predict(paths), model.classes_[proba.argmax(axis=1)])


def test_joblib_round_trip_in_a_fresh_process(corpus, tmp_path):
    paths, y = corpus
    model = pipelines.make("handcrafted-svm", n_jobs=1).fit(paths, y)
    expected = model.predict_proba(paths)
    model_file = tmp_path / "model.joblib"
    joblib.dump(model, model_file)
    paths_file = tmp_path / "paths.txt"
    paths_file.write_text("\n".join(paths))
    out = tmp_path / "proba.npy"
    script = textwrap.dedent(f"""
        import sys, joblib, numpy as np
        assert "pipelines" not in sys.modules
        model = joblib.load({str(model_file)!r})
        paths = open({str(paths_file)!r}).read().splitlines()
        np.save({str(out)!r}, model.predict_proba(paths))
        print(" ".join(model.classes_))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == model.classes_.tolist()
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-6, atol=1e-9)

"""The ready search spaces of every named pipeline: real parameters, values its steps accept."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, ParameterSampler

import pipelines

# TensorFlow's EagerTensor.__array__ has no copy= keyword, which numpy 2 deprecates; Keras
# converts every prediction through it. Not sersk's to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

CLASSIC = ["handcrafted-svm", "handcrafted-xgb", "mfcc-svm"]
NEURAL = ["crnn", "crnn-aug", "handcrafted-mlp", "handcrafted-mlp-smote", "mel-cnn"]


def _build(name):
    try:
        return pipelines.get_spec(name).build()
    except ImportError as exc:  # the keras extra is not installed
        pytest.skip(str(exc))


def _candidates(name, search, n_iter=10):
    space = pipelines.search_space(name, search)
    if search == "grid":
        return list(ParameterGrid(space))[:n_iter]
    return list(ParameterSampler(space, n_iter=n_iter, random_state=0))


def _validate(estimator) -> int:
    """scikit-learn's parameter validation of the estimator and every estimator inside it;
    how many declared constraints."""
    checked = 0
    for value in [estimator, *estimator.get_params(deep=True).values()]:
        if getattr(value, "_parameter_constraints", None) and hasattr(value, "_validate_params"):
            value._validate_params()
            checked += 1
    return checked


def test_every_pipeline_has_both_spaces():
    for name in pipelines.available():
        spec = pipelines.get_spec(name)
        assert spec.search_space, name
        assert spec.search_distributions, name
        # Randomized spaces are at least as wide as the grids: every grid key is searched.
        assert set(spec.search_space) - {"augment__n_copies", "clf__mixup_alpha"} <= set(
            spec.search_distributions), name


@pytest.mark.parametrize("search", ["random", "grid"])
@pytest.mark.parametrize("name", pipelines.available())
def test_search_space_is_valid(name, search):
    model = _build(name)
    params = model.get_params(deep=True)
    space = pipelines.search_space(name, search)
    assert set(space) <= set(params), set(space) - set(params)
    for candidate in _candidates(name, search):
        tuned = clone(model).set_params(**candidate)
        assert {k: tuned.get_params()[k] for k in candidate} == candidate
        assert _validate(tuned) >= 2, "no constraint was checked"


def test_distributions_draw_sensible_values():
    svm = pipelines.search_space("handcrafted-svm")
    c = svm["svc__estimator__C"].rvs(size=1000, random_state=0)
    assert c.min() >= 0.1 and c.max() <= 100 and np.median(c) == pytest.approx(3.16, rel=0.2)
    xgb = pipelines.search_space("handcrafted-xgb")
    depth = xgb["xgb__estimator__max_depth"].rvs(size=1000, random_state=0)
    assert set(depth.tolist()) == set(range(2, 9))
    assert pipelines.search_space("mfcc-svm", "grid") == pipelines.get_spec("mfcc-svm").search_space


def test_describe_shows_both_spaces_and_bad_requests():
    text = pipelines.describe("handcrafted-svm")
    assert "Search space:\n  svc__estimator__C: [0.3," in text
    assert "Randomized search space:\n  svc__estimator__C: loguniform on [0.1, 100]" in text
    with pytest.raises(ValueError, match="search must be 'random' or 'grid'"):
        pipelines.search_space("handcrafted-svm", "bayes")
    with pytest.raises(KeyError, match="no pipeline named"):
        pipelines.search_space("nope")


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_candidates_fit(name):
    """Sampled candidates train: the classifier steps on a small feature matrix."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "calm", "sad"], 12)
    X = rng.normal(size=(36, 8)) + (y == "angry")[:, None]
    for candidate in _candidates(name, "random", n_iter=3):
        model = _build(name).set_params(features="passthrough", **candidate)
        with threadpool_limits(limits=1):
            model.fit(X, y)
        assert set(model.predict(X)) <= set(y)


@pytest.mark.slow
@pytest.mark.parametrize("name", NEURAL)
def test_neural_candidates_fit(name):
    """A sampled candidate builds and trains one epoch: on sequences for the CRNNs, on a
    feature matrix for the MLPs."""
    model = _build(name)
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "calm", "sad"], 8)
    if name in ("crnn", "crnn-aug", "mel-cnn"):
        X = rng.normal(size=(24, 32, 17)).astype(np.float32)
        X[..., -1] = 1.0  # the frame_valid channel: no padding
    else:
        X = rng.normal(size=(24, 12))
    candidate = _candidates(name, "random", n_iter=1)[0]
    model.set_params(features="passthrough", clf__fit__epochs=1, **candidate)
    model.fit(X, y)
    assert model.predict(X).shape == (24,)

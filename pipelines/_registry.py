"""The registry of named pipelines: what exists, how to build one, what it is."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PipelineSpec", "available", "describe", "get_spec", "make", "register"]


@dataclass(frozen=True)
class PipelineSpec:
    """A named pipeline: how to build it and what to say about it.

    Parameters
    ----------
    name : str
        The registry name, such as ``"mfcc-svm"``.
    build : callable
        Returns a new, unfitted pipeline from audio inputs to emotion labels; called without
        arguments.
    summary : str
        One line: what goes in, what comes out.
    details : str
        How the defaults were chosen, and anything a user should know.
    search_space : mapping, default={}
        A parameter grid around the defaults, for ``GridSearchCV(param_grid=...)``, with the
        pipeline's own parameter names.
    feature_step : str, default="features"
        The step that receives the shorthand parameters of :func:`make` (``memory``,
        ``n_jobs``, ``verbose``, ``sr`` …).
    """

    name: str
    build: Callable[[], Any]
    summary: str
    details: str = ""
    search_space: Mapping[str, list] = field(default_factory=dict)
    feature_step: str = "features"


_REGISTRY: dict[str, PipelineSpec] = {}


def register(spec: PipelineSpec) -> PipelineSpec:
    """Add a pipeline to the registry under ``spec.name``.

    Parameters
    ----------
    spec : PipelineSpec

    Returns
    -------
    spec : PipelineSpec
        The same, registered.

    Raises
    ------
    ValueError
        The name is taken.
    """
    if spec.name in _REGISTRY:
        raise ValueError(f"a pipeline named {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def available() -> list[str]:
    """Names of the registered pipelines, sorted.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> import pipelines
    >>> pipelines.available()
    ['handcrafted-svm', 'handcrafted-xgb', 'mfcc-svm']
    """
    return sorted(_REGISTRY)


def get_spec(name: str) -> PipelineSpec:
    """The registry entry of a pipeline.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    spec : PipelineSpec

    Raises
    ------
    KeyError
        An unknown name; the message lists the known ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"no pipeline named {name!r}; available: {', '.join(available())}"
        ) from None


def make(name: str, **params: Any) -> Any:
    """A new, unfitted pipeline from audio inputs to emotion labels.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **params
        Parameters of the pipeline. Names with a double underscore are the pipeline's own
        (``svc__estimator__C=10``; see ``make(name).get_params()``). Plain names go to the
        feature-extraction step: ``memory`` (a cache folder or ``joblib.Memory``, so that
        clips are extracted once across fits), ``n_jobs``, ``verbose``, ``sr`` and the
        other parameters of the feature transformer.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        With ``fit(X, y)``, ``predict(X)``, ``predict_proba(X)`` and ``classes_``, where X is
        a list of paths or ``(waveform, sample_rate)`` tuples and y the emotion names.

    Raises
    ------
    KeyError
        An unknown pipeline name.
    ValueError
        A parameter the pipeline does not have.

    Examples
    --------
    >>> import pipelines
    >>> model = pipelines.make("mfcc-svm", memory=None, n_jobs=1, svc__estimator__C=3.0)
    >>> model.named_steps["features"].n_jobs, model.get_params()["svc__estimator__C"]
    (1, 3.0)
    """
    spec = get_spec(name)
    pipeline = spec.build()
    feature_params = pipeline.named_steps[spec.feature_step].get_params(deep=False)
    routed = {}
    for key, value in params.items():
        if "__" in key:
            routed[key] = value
        elif key in feature_params:
            routed[f"{spec.feature_step}__{key}"] = value
        else:
            raise ValueError(
                f"pipeline {name!r} has no parameter {key!r}. Plain names go to its "
                f"{spec.feature_step!r} step, which takes {sorted(feature_params)}; other "
                "steps' parameters are named step__parameter, as listed by "
                f"pipelines.make({name!r}).get_params()"
            )
    valid = pipeline.get_params(deep=True)
    unknown = sorted(key for key in routed if key not in valid)
    if unknown:
        raise ValueError(
            f"pipeline {name!r} has no parameter(s) {unknown}; see "
            f"pipelines.make({name!r}).get_params() for the valid names"
        )
    return pipeline.set_params(**routed)


def describe(name: str) -> str:
    """What a pipeline does, how its defaults were chosen, and its steps.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    text : str
        Several lines of plain text.
    """
    spec = get_spec(name)
    pipeline = spec.build()
    steps = "\n".join(f"  {step}: {_short_name(estimator)}" for step, estimator in pipeline.steps)
    parts = [f"{spec.name}: {spec.summary}"]
    if spec.details:
        paragraphs = textwrap.dedent(spec.details).strip().split("\n\n")
        parts.extend(textwrap.fill(paragraph, width=88) for paragraph in paragraphs)
    parts.append(f"Steps:\n{steps}")
    if spec.search_space:
        grid = "\n".join(f"  {key}: {values}" for key, values in spec.search_space.items())
        parts.append(f"Search space:\n{grid}")
    return "\n\n".join(parts)


def _short_name(estimator: Any) -> str:
    """``LabelEncodedClassifier(XGBClassifier)``: the class, and the class of what it wraps."""
    inner = getattr(estimator, "estimator", None)
    name = type(estimator).__name__
    return f"{name}({_short_name(inner)})" if inner is not None else name

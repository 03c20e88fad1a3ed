"""The registry of named pipelines: what exists, how to build one, what it is."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sersk import extras as _extras

__all__ = [
    "Need", "PipelineSpec", "available", "check_needs", "describe", "get_spec", "make", "needs",
    "register", "search_space",
]


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
    search_distributions : mapping, default={}
        The space of a randomized search (``RandomizedSearchCV(param_distributions=...)``):
        scipy.stats distributions (such as ``loguniform`` for C or a learning rate) or lists,
        with the pipeline's own parameter names; wider than ``search_space``. Empty means
        ``search_space``: see :func:`search_space`.
    feature_step : str, default="features"
        The step that receives the shorthand parameters of :func:`make` (``memory``,
        ``n_jobs``, ``verbose``, ``sr`` …); when it is a ``FeatureUnion``, each of its
        transformers that takes the parameter receives it. Steps before it (waveform
        samplers such as ``AudioAugmenter``) receive those they take too.
    check : callable, default=None
        Called by :func:`make` with the keyword arguments ``build`` takes (such as the folder
        of a pretrained model) before building; raises, with a message saying what to do,
        when the pipeline cannot be built with them. :func:`describe` does not call it.
    extras : tuple of str, default=()
        The install extras ``build`` needs (names of :data:`sersk.extras.EXTRAS`, such as
        ``("keras",)``): :func:`make` refuses in one line, naming the ``pip install`` that
        adds them, when one is missing, and :func:`needs` says whether each is installed.
    model : str, default=""
        The pretrained model it needs besides, in a few words (``"a Whisper model"``);
        ``check`` says whether it is there, and how to give it when it is not.

    Notes
    -----
    ``build`` may take keyword-only arguments (a model folder, say): :func:`make` passes
    them on, and :func:`describe` builds with their defaults.
    """

    name: str
    build: Callable[..., Any]
    summary: str
    details: str = ""
    search_space: Mapping[str, list] = field(default_factory=dict)
    search_distributions: Mapping[str, Any] = field(default_factory=dict)
    feature_step: str = "features"
    check: Callable[..., None] | None = None
    extras: tuple[str, ...] = ()
    model: str = ""


class Need(NamedTuple):
    """Something a pipeline needs beyond the core install, and whether it is here.

    Attributes
    ----------
    what : str
        ``"the keras extra"``, or the spec's ``model`` (``"a Whisper model"``).
    missing : str or None
        None when it is here; else one line saying so and how to add it.
    extra : str or None
        The install extra's name (``"keras"``); None for the model.
    """

    what: str
    missing: str | None
    extra: str | None = None


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
        The name is taken, or ``spec.extras`` names an unknown extra.
    """
    if spec.name in _REGISTRY:
        raise ValueError(f"a pipeline named {spec.name!r} is already registered")
    unknown = [extra for extra in spec.extras if extra not in _extras.EXTRAS]
    if unknown:
        raise ValueError(f"pipeline {spec.name!r}: no install extra named "
                         f"{', '.join(map(repr, unknown))}; sersk's extras are "
                         f"{', '.join(_extras.EXTRAS)}")
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
    >>> pipelines.available()[:3]
    ['compare-svm', 'crnn', 'crnn-aug']
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


def needs(name: str, **params: Any) -> list[Need]:
    """What a pipeline needs beyond the core install, and whether each is here.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **params
        Parameters as given to :func:`make`; those its builder takes (``whisper_model``) are
        passed to the spec's ``check``, the others are ignored.

    Returns
    -------
    needs : list of Need
        Its install extras, then its pretrained model; empty for a pipeline that runs on the
        core install.

    Examples
    --------
    >>> import pipelines
    >>> pipelines.needs("handcrafted-svm")
    []
    >>> [need.what for need in pipelines.needs("crnn")]
    ['the keras extra']
    """
    from sersk.exceptions import SerskError

    spec = get_spec(name)
    found = [Need(f"the {extra} extra", _extras.problem(extra), extra) for extra in spec.extras]
    if spec.model:
        missing = None
        if spec.check is not None:
            try:
                spec.check(**_build_args(spec, params))
            except SerskError as exc:
                missing = str(exc)
        found.append(Need(spec.model, missing))
    return found


def check_needs(name: str, **params: Any) -> None:
    """Raise, with one line saying what to do, unless a pipeline can be built here.

    What :func:`make` checks before building, for callers that want to know early (before
    loading a corpus, say).

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **params
        Parameters as given to :func:`make`; those its builder takes go to the spec's
        ``check``.

    Raises
    ------
    sersk.exceptions.MissingExtraError
        An install extra it needs is not installed.
    Exception
        What the spec's ``check`` raises, such as a ``ModelNotFoundError`` for a Whisper
        pipeline without a model folder.
    """
    spec = get_spec(name)
    for extra in spec.extras:
        _extras.require(extra, f"pipeline {name!r}")
    if spec.check is not None:
        spec.check(**_build_args(spec, params))


def _build_args(spec: PipelineSpec, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of ``params`` that the spec's builder takes (keyword-only)."""
    takes = inspect.signature(spec.build).parameters
    return {key: value for key, value in params.items()
            if key in takes and takes[key].kind is inspect.Parameter.KEYWORD_ONLY}


def make(name: str, **params: Any) -> Any:
    """A new, unfitted pipeline from audio inputs to emotion labels.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **params
        Parameters of the pipeline. Names with a double underscore are the pipeline's own
        (``svc__estimator__C=10``; see ``make(name).get_params()``). Names the pipeline's
        builder takes (such as ``whisper_model``, the model folder of the Whisper pipelines)
        go to it. Other plain names go to the feature-extraction step: ``memory`` (a cache
        folder or ``joblib.Memory``, so that clips are extracted once across fits),
        ``n_jobs``, ``verbose``, ``sr`` and the other parameters of the feature transformer
        (of each transformer of a ``FeatureUnion`` that takes them), and to a waveform step
        before it that takes them (crnn's ``AudioAugmenter`` caches its copies in
        ``memory``).

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
    sersk.exceptions.MissingExtraError
        An install extra the pipeline needs is not installed (see :func:`needs` and
        :func:`check_needs`).

    Examples
    --------
    >>> import pipelines
    >>> model = pipelines.make("mfcc-svm", memory=None, n_jobs=1, svc__estimator__C=3.0)
    >>> model.named_steps["features"].n_jobs, model.get_params()["svc__estimator__C"]
    (1, 3.0)
    """
    check_needs(name, **params)
    spec = get_spec(name)
    takes = inspect.signature(spec.build).parameters
    build_args = _build_args(spec, params)
    for key in build_args:
        del params[key]
    pipeline = spec.build(**build_args)
    step = pipeline.named_steps[spec.feature_step]
    # A FeatureUnion passes the shorthand parameters on to each of its transformers.
    targets = [
        (f"{spec.feature_step}__{member}", transformer.get_params(deep=False))
        for member, transformer in getattr(step, "transformer_list", [])
        if hasattr(transformer, "get_params")
    ] or [(spec.feature_step, step.get_params(deep=False))]
    # Steps before it work on the waveforms too (AudioAugmenter): they take the same shorthand
    # parameters where they have them (memory, n_jobs, sr, trim_db).
    position = [step_name for step_name, _ in pipeline.steps].index(spec.feature_step)
    targets += [(step_name, estimator.get_params(deep=False))
                for step_name, estimator in pipeline.steps[:position]
                if hasattr(estimator, "get_params")]
    routed = {}
    for key, value in params.items():
        if "__" in key:
            routed[key] = value
            continue
        hits = [f"{prefix}__{key}" for prefix, taken in targets if key in taken]
        if not hits:
            accepted = sorted({p for _, taken in targets for p in taken}
                              | {k for k, v in takes.items() if v.kind is v.KEYWORD_ONLY})
            raise ValueError(
                f"pipeline {name!r} has no parameter {key!r}. Plain names go to its "
                f"{spec.feature_step!r} step (and the waveform steps before it), which take "
                f"{accepted}; other "
                "steps' parameters are named step__parameter, as listed by "
                f"pipelines.make({name!r}).get_params()"
            )
        routed.update(dict.fromkeys(hits, value))
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
    parts = [f"{spec.name}: {spec.summary}"]
    if spec.details:
        paragraphs = textwrap.dedent(spec.details).strip().split("\n\n")
        # Each paragraph's own indentation goes (details may join differently indented
        # texts, such as a pipeline's notes and a shared training paragraph).
        parts.extend(textwrap.fill(" ".join(paragraph.split()), width=88)
                     for paragraph in paragraphs)
    required = needs(name)
    if required:
        parts.append("Needs:\n" + "\n".join(
            f"  {need.what}: {need.missing or 'here'}" for need in required))
    missing_extras = [extra for extra in spec.extras if _extras.missing_modules(extra)]
    if missing_extras:  # its steps cannot be built here
        parts.append(f"Steps: not shown here, without the {' and '.join(missing_extras)} "
                     "extra")
    else:
        pipeline = spec.build()
        parts.append("Steps:\n" + "\n".join(
            f"  {step}: {_short_name(estimator)}" for step, estimator in pipeline.steps))
    if spec.search_space:
        grid = "\n".join(f"  {key}: {values}" for key, values in spec.search_space.items())
        parts.append(f"Search space:\n{grid}")
    if spec.search_distributions:
        space = "\n".join(f"  {key}: {_describe_values(values)}"
                          for key, values in spec.search_distributions.items())
        parts.append(f"Randomized search space:\n{space}")
    return "\n\n".join(parts)


def search_space(name: str, search: str = "random") -> dict[str, Any]:
    """The ready search space of a named pipeline, for a randomized or a grid search.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    search : {"random", "grid"}, default="random"
        ``"random"``: the spec's ``search_distributions`` (scipy.stats distributions and
        lists), or its grid when it has none; ``"grid"``: its ``search_space`` (lists).

    Returns
    -------
    space : dict
        Parameter names of the pipeline (``svc__estimator__C``) to values or distributions,
        for :func:`sersk.model_selection.nested_cross_validate` or scikit-learn's searches.

    Raises
    ------
    KeyError
        An unknown pipeline name.
    ValueError
        The pipeline has no search space of that kind.

    Examples
    --------
    >>> import pipelines
    >>> space = pipelines.search_space("handcrafted-svm")
    >>> sorted(space)
    ['svc__estimator__C', 'svc__estimator__gamma']
    >>> float(space["svc__estimator__C"].support()[1])
    100.0
    """
    if search not in ("random", "grid"):
        raise ValueError(f"search must be 'random' or 'grid', got {search!r}")
    spec = get_spec(name)
    space = spec.search_space if search == "grid" else (
        spec.search_distributions or spec.search_space)
    if not space:
        raise ValueError(f"pipeline {name!r} has no {search} search space; pass one "
                         "explicitly (see pipelines.describe)")
    return dict(space)


def _describe_values(values: Any) -> str:
    """``loguniform on [0.1, 100]`` for a scipy.stats distribution, the list otherwise."""
    dist = getattr(values, "dist", None)
    if dist is None or not hasattr(values, "support"):
        return str(values)
    low, high = values.support()
    return f"{dist.name} on [{low:g}, {high:g}]"


def _short_name(estimator: Any) -> str:
    """``LabelEncodedClassifier(XGBClassifier)``: the class, and the class of what it wraps."""
    inner = getattr(estimator, "estimator", None)
    name = type(estimator).__name__
    return f"{name}({_short_name(inner)})" if inner is not None else name

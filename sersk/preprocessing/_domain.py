"""Per-domain standardisation: the features of each domain (a corpus, a session, a folder, a
speaker) centred and scaled by that domain's own statistics.

A model meets recordings from other microphones, rooms, languages and voices than it was
trained on. Much of what changes is a shift of every feature's mean and spread, which the
unlabelled clips of the new domain can measure: standardising each domain with its own
statistics removes it. This is *adaptation from unlabelled audio*: a clip's prediction then
depends on the other clips of its domain, used together, so results are **transductive** and
sersk labels them so (see :mod:`sersk.model_selection`).

:class:`DomainStandardScaler` does it for any grouping (metadata ``domains``);
:class:`~sersk.preprocessing.SpeakerStandardScaler` is the same rule with the speakers as
domains (metadata ``speakers``). :func:`adapt_pipeline` puts one in place of a pipeline's
``StandardScaler``, fitted or not, so a saved model can be adapted without retraining;
:func:`fit_domain` gives a fitted model the statistics of one new domain's clips, after which
it predicts clip by clip.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import SerskError

__all__ = [
    "DEFAULT_MIN_CLIPS",
    "DomainStandardScaler",
    "DomainTooSmallError",
    "adapt_pipeline",
    "fit_domain",
]

#: Fewest clips a new domain needs for its own statistics: the mean and standard deviation of
#: fewer clips are mostly the clips' emotions, not the domain's recording conditions.
DEFAULT_MIN_CLIPS = 10


class DomainTooSmallError(SerskError, ValueError):
    """A new domain has too few clips to estimate its statistics."""


def _statistics(
    X: np.ndarray, with_mean: bool, with_std: bool
) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0) if with_mean else np.zeros(X.shape[1])
    scale = X.std(axis=0) if with_std else np.ones(X.shape[1])
    # A constant feature (or a domain's single clip) keeps its scale, as in StandardScaler.
    scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
    return mean, scale


class _GroupStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardisation per group of rows; the public subclasses name the groups' metadata."""

    #: What a group is called in messages ("domain", "speaker").
    _group = "domain"

    _parameter_constraints: dict = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
        "min_clips": [Interval(Integral, 1, None, closed="left")],
        "fallback": ["boolean"],
    }

    def _require(self, groups: Any, n_rows: int, where: str) -> None:
        """Raise when the groups are required and missing (after X is validated)."""

    def _fit(self, X: Any, groups: np.ndarray | None) -> _GroupStandardScaler:
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._require(groups, X.shape[0], "fit")
        self.mean_, self.scale_ = _statistics(X, self.with_mean, self.with_std)
        if groups is None:
            groups = np.array([], dtype=object)
            stats = []
        else:
            groups = self._check_groups(groups, X.shape[0])
            stats = [_statistics(X[groups == g], self.with_mean, self.with_std)
                     for g in np.unique(groups)]
            groups = np.unique(groups)
        self.domains_ = groups
        self.domain_mean_ = np.array([m for m, _ in stats]).reshape(len(stats), X.shape[1])
        self.domain_scale_ = np.array([s for _, s in stats]).reshape(len(stats), X.shape[1])
        return self

    def _transform(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        self._require(groups, X.shape[0], "transform")
        if groups is None:
            return (X - self.mean_) / self.scale_
        groups = self._check_groups(groups, X.shape[0])
        known = {g: i for i, g in enumerate(self.domains_.tolist())}
        out = np.empty_like(X)
        for group in np.unique(groups):
            rows = groups == group
            if group in known:
                mean, scale = self.domain_mean_[known[group]], self.domain_scale_[known[group]]
            elif rows.sum() >= self.min_clips:
                mean, scale = _statistics(X[rows], self.with_mean, self.with_std)
            elif self.fallback:
                mean, scale = self.mean_, self.scale_
            else:
                name = group.item() if isinstance(group, np.generic) else group
                raise DomainTooSmallError(
                    f"{self._group} {name!r} has {int(rows.sum())} clip(s), fewer than "
                    f"min_clips={self.min_clips}: too few to estimate its own statistics. "
                    f"Give more clips of this {self._group} together, or set fallback=True "
                    "to standardise it with the training statistics instead"
                )
            out[rows] = (X[rows] - mean) / scale
        return out

    def _check_groups(self, groups: Any, n_rows: int) -> np.ndarray:
        groups = np.asarray(groups)
        if groups.shape != (n_rows,):
            raise ValueError(f"{self._group}s must hold one {self._group} per row: got shape "
                             f"{groups.shape} for {n_rows} rows")
        return groups


class DomainStandardScaler(_GroupStandardScaler):
    """Standardise each domain's rows with that domain's own statistics (**transductive**).

    ``fit`` learns the mean and standard deviation of every training domain (and of all the
    training rows together). ``transform`` standardises each row with its domain's
    statistics: those learnt in ``fit`` for a domain seen there, else those of the domain's
    rows in the batch being transformed, which are therefore used together, unlabelled (the
    adaptation). Without ``domains`` it is a :class:`~sklearn.preprocessing.StandardScaler`:
    every row is standardised with the statistics of all the training rows.

    A new domain with fewer than ``min_clips`` rows raises :class:`DomainTooSmallError`, or,
    with ``fallback=True``, is standardised with the statistics of all the training rows.

    Inside a :class:`~sklearn.pipeline.Pipeline` it asks for ``domains`` through
    scikit-learn's metadata routing (``fit`` and ``transform``); the evaluation functions of
    :mod:`sersk.model_selection` pass them (``domains=``) and label the results transductive.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each domain's mean.
    with_std : bool, default=True
        Divide by each domain's standard deviation (1 where it is zero).
    min_clips : int, default=10
        Fewest rows of a new domain for its own statistics (:data:`DEFAULT_MIN_CLIPS`).
    fallback : bool, default=False
        Standardise a new domain with too few rows with the training statistics instead of
        raising.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of all the training rows (zeros with ``with_mean=False``).
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (ones with ``with_std=False``).
    domains_ : ndarray of shape (n_domains,)
        The training domains (empty when fitted without ``domains``).
    domain_mean_ : ndarray of shape (n_domains, n_features)
        Each training domain's mean.
    domain_scale_ : ndarray of shape (n_domains, n_features)
        Each training domain's standard deviation.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in ``fit``, when they all are strings.

    See Also
    --------
    adapt_pipeline : Put one in place of a pipeline's StandardScaler, fitted or not.
    SpeakerStandardScaler : The same with the speakers as domains.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.preprocessing import DomainStandardScaler
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> scaler = DomainStandardScaler(min_clips=2).fit(X[:2], domains=["studio"] * 2)
    >>> scaler.transform(X[2:], domains=["phone"] * 2).ravel().tolist()
    [-1.0, 1.0]
    >>> scaler.transform(X[2:]).ravel().tolist()  # no domains: the training statistics
    [8.0, 28.0]
    """

    __metadata_request__fit = {"domains": True}
    __metadata_request__transform = {"domains": True}

    def __init__(self, *, with_mean: bool = True, with_std: bool = True,
                 min_clips: int = DEFAULT_MIN_CLIPS, fallback: bool = False):
        self.with_mean = with_mean
        self.with_std = with_std
        self.min_clips = min_clips
        self.fallback = fallback

    def fit(self, X: Any, y: Any = None, *, domains: Any = None) -> DomainStandardScaler:
        """Learn the statistics of every training domain and of all the rows together.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pooled features of the training clips.
        y : None
            Ignored.
        domains : array-like of shape (n_samples,), default=None
            The domain of every row; None fits the pooled statistics only.

        Returns
        -------
        self : DomainStandardScaler
        """
        return self._fit(X, None if domains is None else np.asarray(domains))

    def transform(self, X: Any, *, domains: Any = None) -> np.ndarray:
        """Standardise each row with its domain's statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pooled features.
        domains : array-like of shape (n_samples,), default=None
            The domain of every row; rows of a domain not seen in ``fit`` are standardised
            with the statistics of that domain's rows in ``X``. None: every row with the
            statistics of all the training rows.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)

        Raises
        ------
        DomainTooSmallError
            A new domain has fewer than ``min_clips`` rows and ``fallback`` is False.
        """
        return self._transform(X, None if domains is None else np.asarray(domains))

    def fit_transform(self, X: Any, y: Any = None, *, domains: Any = None) -> np.ndarray:
        """Fit, then standardise the same rows (``domains`` goes to both).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        domains : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
        """
        return self.fit(X, y, domains=domains).transform(X, domains=domains)


def adapt_pipeline(
    model: Any, *, min_clips: int = DEFAULT_MIN_CLIPS, fallback: bool = False
) -> Any:
    """A copy of a pipeline whose ``StandardScaler`` step is a :class:`DomainStandardScaler`.

    Fitted or not. A fitted scaler's statistics become the pooled training statistics of the
    new step (the ones ``fallback`` uses), and the rest of the pipeline is kept as fitted, so
    a saved model adapts to a new domain without retraining: pass ``domains=`` to its
    ``predict`` (with metadata routing enabled), and each new domain is standardised with its
    own statistics where the model standardised with the training data's. An unfitted
    pipeline fitted with ``domains=`` learns on each training domain standardised by its own
    statistics.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A pipeline holding a :class:`~sklearn.preprocessing.StandardScaler` step (the one
        named ``scaler``, else the first).
    min_clips : int, default=10
        Fewest clips of a new domain (see :class:`DomainStandardScaler`).
    fallback : bool, default=False
        Standardise a too-small new domain with the training statistics instead of raising.

    Returns
    -------
    adapted : sklearn.pipeline.Pipeline
        A new pipeline; ``model`` is left unchanged (its other steps are shared).

    Raises
    ------
    ValueError
        The pipeline has no StandardScaler step.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sersk.preprocessing import adapt_pipeline
    >>> X = np.array([[-1.0], [1.0]] * 6)
    >>> y = np.array(["calm", "angry"] * 6)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> shifted = X + 100.0  # another microphone: every clip sounds "angry"
    >>> model.predict(shifted[:2]).tolist()
    ['angry', 'angry']
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     adapted = adapt_pipeline(model)
    ...     adapted.predict(shifted, domains=["phone"] * 12)[:2].tolist()
    ['calm', 'angry']
    """

    index, old = _scaler_step(model)
    steps = model.steps
    if isinstance(old, DomainStandardScaler):
        return model
    new = DomainStandardScaler(with_mean=old.with_mean, with_std=old.with_std,
                               min_clips=min_clips, fallback=fallback)
    if hasattr(old, "scale_") or hasattr(old, "mean_"):
        n = old.n_features_in_
        new.mean_ = old.mean_ if old.mean_ is not None else np.zeros(n)
        new.scale_ = old.scale_ if old.scale_ is not None else np.ones(n)
        new.n_features_in_ = n
        if hasattr(old, "feature_names_in_"):
            new.feature_names_in_ = old.feature_names_in_
        new.domains_ = np.array([], dtype=object)
        new.domain_mean_ = np.zeros((0, n))
        new.domain_scale_ = np.zeros((0, n))
    # The same pipeline class (an imbalanced-learn Pipeline keeps its samplers working).
    adapted = clone(model) if not _is_fitted(model) else type(model)(
        list(steps), memory=model.memory, verbose=model.verbose)
    adapted.steps[index] = (steps[index][0], new)
    return adapted


def _scaler_step(model: Any) -> tuple[int, Any]:
    """Position and step of the pipeline's scaler (``scaler``, else the first StandardScaler
    or per-group scaler)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        raise ValueError(f"adaptation standardises a pipeline's features per domain; got a "
                         f"{type(model).__name__}, not a Pipeline")
    kinds = (StandardScaler, _GroupStandardScaler)
    found = [i for i, (_, step) in enumerate(steps) if isinstance(step, kinds)]
    named = [i for i in found if steps[i][0] == "scaler"]
    if not found:
        raise ValueError(
            "adaptation standardises the features per domain in place of the pipeline's "
            f"StandardScaler, and this pipeline has none (its steps: "
            f"{', '.join(name for name, _ in steps)})"
        )
    i = (named or found)[0]
    return i, steps[i][1]


def fit_domain(
    model: Any, X: Any, *, min_clips: int = DEFAULT_MIN_CLIPS, fallback: bool = False
) -> Any:
    """A copy of a fitted pipeline that standardises with the statistics of one new domain.

    The clips ``X`` (unlabelled, all from the new domain: one microphone, room, session or
    speaker) go through the steps before the pipeline's scaler; the mean and standard
    deviation of their features replace the scaler's training statistics in a copy of the
    model. The copy then predicts any clip of that domain, one at a time or together
    (**transductive**: its predictions depend on ``X``). Nothing is retrained.

    Parameters
    ----------
    model : fitted sklearn.pipeline.Pipeline
        Holding a fitted :class:`~sklearn.preprocessing.StandardScaler` (or
        :class:`DomainStandardScaler`) step: the one named ``scaler``, else the first.
    X : list or array-like of length n_clips
        The new domain's clips, as the pipeline takes them.
    min_clips : int, default=10
        Fewest clips to estimate the domain's statistics from.
    fallback : bool, default=False
        With fewer clips, return the model unchanged (its training statistics) instead of
        raising.

    Returns
    -------
    adapted : sklearn.pipeline.Pipeline
        A new pipeline sharing every step with ``model`` but the scaler, or ``model`` itself
        when it falls back.

    Raises
    ------
    DomainTooSmallError
        Fewer than ``min_clips`` clips and ``fallback`` is False.
    ValueError
        The pipeline has no scaler step.

    See Also
    --------
    adapt_pipeline : The same adaptation for many domains at once, through ``domains=``.
    sersk.inference.predict_clips : Its ``adapt=True`` calls this on the clips it predicts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sersk.preprocessing import fit_domain
    >>> X = np.array([[-1.0], [1.0]] * 6)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> model = model.fit(X, ["calm", "angry"] * 6)
    >>> shifted = X + 100.0
    >>> fit_domain(model, shifted).predict(shifted[:2]).tolist()
    ['calm', 'angry']
    """

    index, scaler = _scaler_step(model)
    check_is_fitted(scaler)
    n_clips = len(X)
    if n_clips < min_clips:
        if fallback:
            return model
        raise DomainTooSmallError(
            f"{n_clips} clip(s) are too few to estimate the statistics of a new domain "
            f"(min_clips={min_clips}); give at least {min_clips} clips recorded the same way, "
            "or fall back to the training statistics (fallback=True)"
        )
    features = model[:index].transform(X) if index else X
    features = np.asarray(features, dtype=float)
    new = clone(scaler)
    for name, value in vars(scaler).items():
        if name.endswith("_") and not name.startswith("_"):
            setattr(new, name, value)
    new.mean_, new.scale_ = _statistics(features, scaler.with_mean, scaler.with_std)
    steps = list(model.steps)
    steps[index] = (steps[index][0], new)
    return type(model)(steps, memory=model.memory, verbose=model.verbose)


def _is_fitted(model: Any) -> bool:
    try:
        check_is_fitted(model)
    except Exception:  # noqa: BLE001 -- NotFittedError, or a step that cannot tell
        return False
    return True

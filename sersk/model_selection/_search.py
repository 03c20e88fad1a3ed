"""Nested cross-validation of a hyperparameter search, speaker-independent at both levels.

A search scored on the folds it was tuned on reports the best of many noisy draws, not what
the chosen model does on new speakers. Here each outer fold runs scikit-learn's
``RandomizedSearchCV`` or ``GridSearchCV`` on its training speakers only (inner folds
grouped by speaker), refits the winner on the whole outer training fold and scores it on the
outer test speakers, which the search never saw.
"""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import Bunch, _safe_indexing, check_random_state

from ..metrics import uar_scorer
from ._split import (
    SPEAKER_GROUPED,
    ProtocolError,
    SpeakerStratifiedKFold,
    check_speaker_disjoint,
    make_splitter,
)
from ._transductive import speaker_routes
from ._validation import (
    CrossValidationError,
    _as_frame,
    _check_speakers_shape,
    _failed_scores,
    _fit_and_score,
    _fold_row,
    _predictions,
)

__all__ = ["SEARCHES", "nested_cross_validate"]

#: The searches :func:`nested_cross_validate` runs, by the name its ``search`` takes.
SEARCHES = ("random", "grid")

# Columns of cv_results_ kept per candidate, renamed to say which score they hold.
_RESULT_COLUMNS = {
    "mean_test_score": "mean_test_uar",
    "std_test_score": "std_test_uar",
    "rank_test_score": "rank_test_uar",
    "mean_fit_time": "mean_fit_time",
    "std_fit_time": "std_fit_time",
    "mean_score_time": "mean_score_time",
}


def nested_cross_validate(
    estimator: Any,
    param_space: Mapping[str, Any] | list[Mapping[str, Any]],
    X: Any,
    y: Any,
    *,
    speakers: Any = None,
    search: str = "random",
    n_iter: int = 10,
    inner_splits: int = 3,
    protocol: str = "speaker",
    n_splits: int = 5,
    random_state: Any = 0,
    labels: Any = None,
    n_jobs: int | None = None,
    error_score: str | float = np.nan,
    progress: bool | str = False,
) -> Bunch:
    """Nested cross-validation of a hyperparameter search, speakers kept apart at both levels.

    Each outer fold (as in :func:`cross_validate_speakers`) runs a
    :class:`~sklearn.model_selection.RandomizedSearchCV` or
    :class:`~sklearn.model_selection.GridSearchCV` on its training clips alone, with
    ``inner_splits`` inner folds grouped by speaker (:class:`SpeakerStratifiedKFold` over the
    training speakers) and scored by UAR (:data:`~sersk.metrics.uar_scorer`). The best
    candidate is then refitted on the whole outer training fold and scored on the outer test
    fold, whose clips and speakers the search never saw.

    Parameters
    ----------
    estimator : estimator object
        A classifier, typically a pipeline from audio inputs to emotion labels.
    param_space : dict or list of dicts
        Parameters to search, with the estimator's own names (``svc__estimator__C``). For
        ``search="random"``: lists (sampled uniformly) or scipy.stats distributions (with an
        ``rvs`` method), as ``RandomizedSearchCV(param_distributions=...)`` takes them; for
        ``search="grid"``: lists, as ``GridSearchCV(param_grid=...)`` takes them.
        ``pipelines.get_spec(name).search_distributions`` and ``.search_space`` are ready
        ones for the named pipelines.
    X : list, 1-D array or pandas Series of length n_samples
        The clips, as the estimator takes them (paths or ``(waveform, sr)`` tuples for sersk
        pipelines, or a 2-D array of features).
    y : array-like of shape (n_samples,)
        The emotion of every clip.
    speakers : array-like of shape (n_samples,), default=None
        The speaker of every clip. Required unless ``protocol="random"``.
    search : {"random", "grid"}, default="random"
        Randomized search over ``n_iter`` candidates, or every combination of a grid.
    n_iter : int, default=10
        Number of candidates of the randomized search; ignored by the grid search.
    inner_splits : int, default=3
        Number of inner folds. They are grouped by speaker, so the training speakers of every
        outer fold must number at least ``inner_splits``.
    protocol : {"speaker", "loso", "random"}, default="speaker"
        Outer protocol, as in :func:`cross_validate_speakers`. With ``"random"``
        (speaker-dependent) the inner folds are random stratified folds too; otherwise they
        are speaker-independent.
    n_splits : int, default=5
        Number of outer folds; with ``protocol="loso"``, the number of speakers instead.
    random_state : int, RandomState instance or None, default=0
        Seed of the outer folds, the inner folds and the candidates. With an int, every outer
        fold searches the same candidates (so ``candidates`` can be compared across folds).
    labels : array-like of shape (n_classes,), default=None
        The class order of the per-class recalls and confusion matrices; by default, the
        sorted classes of ``y``.
    n_jobs : int, default=None
        Parallel jobs of each search (candidates x inner folds), through joblib: under
        ``joblib.parallel_config(backend="dask")`` they run on a Dask cluster. ``None`` means
        1 unless in a joblib context.
    error_score : "raise" or float, default=np.nan
        What to do when something fails. A number: a candidate whose fit fails gets it as its
        inner score (scikit-learn warns with :class:`~sklearn.exceptions.FitFailedWarning`)
        and the search goes on; an outer fold whose search or refit fails gets it for every
        score, its error in the ``error`` column, and a warning. ``"raise"``: the first
        failure stops the run with :class:`CrossValidationError`, whose ``results`` hold
        the outer folds completed so far.
    progress : bool or str, default=False
        Show a progress bar over the outer folds; a string is used as its description.

    Returns
    -------
    results : sklearn.utils.Bunch
        With the keys

        folds : pandas.DataFrame
            One row per outer fold, with the columns of :func:`cross_validate_speakers`
            (``fit_seconds`` is the refit of the best candidate) followed by
            ``inner_uar`` (the best candidate's mean UAR over the inner folds),
            ``best_params`` (a dict of plain Python values) and ``search_seconds`` (wall
            time of the search).
            ``folds.attrs`` holds ``"labels"``, ``"protocol"``, ``"n_splits"``, and
            ``"search"``, a description such as ``"random(n_iter=20, inner_splits=3)"``.
        candidates : pandas.DataFrame
            One row per candidate and outer fold: ``fold``, ``candidate`` (1-based, in the
            search's order), ``params`` (dict), ``mean_test_uar``, ``std_test_uar`` and
            ``rank_test_uar`` over the inner folds, ``split<i>_test_uar`` for each inner fold,
            ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``, and ``param_<name>``
            for every searched parameter. Failed candidates hold ``error_score``.
        predictions : pandas.DataFrame
            Every test clip of the completed outer folds, sorted by clip, as
            ``cross_validate_speakers(..., return_predictions=True)`` gives them: ``index``
            (position in ``X``), ``fold``, ``speaker``, ``y_true`` and ``y_pred``; for
            :func:`sersk.statistics.bootstrap_uar`.

    Raises
    ------
    ProtocolError
        A speaker-independent protocol without ``speakers``, with fewer speakers than outer
        folds, or an outer training fold with fewer speakers than ``inner_splits``.
    CrossValidationError
        Something failed and ``error_score="raise"``.

    See Also
    --------
    cross_validate_speakers : The same outer folds, for one fixed estimator.
    sersk.tracking.log_search : Log the result as an MLflow parent run with a child run per
        candidate.

    Notes
    -----
    The searches parallelise over candidates and inner folds (``n_jobs``); the outer folds
    run one after the other. With a pipeline whose feature step has a cache (``memory=``),
    every clip is extracted once, however many candidates are fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import loguniform
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.model_selection import nested_cross_validate
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile(["calm", "angry"], 40)
    >>> X = rng.normal(size=(80, 3)) + (y == "angry")[:, None]
    >>> speakers = np.repeat(np.arange(16), 5)
    >>> results = nested_cross_validate(
    ...     LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, X, y, speakers=speakers,
    ...     n_iter=4, n_splits=4)
    >>> results.folds[["fold", "n_test"]].to_dict("list")
    {'fold': [1, 2, 3, 4], 'n_test': [20, 20, 20, 20]}
    >>> sorted(results.folds["best_params"][0]), len(results.candidates)
    (['C'], 16)
    >>> results.folds.attrs["search"]
    'random(n_iter=4, inner_splits=3)'
    """
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {list(SEARCHES)}, got {search!r}")
    if not (isinstance(n_iter, Integral) and n_iter >= 1):
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    if not (isinstance(inner_splits, Integral) and inner_splits >= 2):
        raise ValueError(f"inner_splits must be an integer of at least 2, got {inner_splits!r}")
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}")
    _check_param_space(param_space, search)
    outer = make_splitter(protocol, n_splits=n_splits, random_state=random_state)
    y = np.asarray(y)
    n_samples = len(X)
    if y.shape != (n_samples,):
        raise ValueError(f"y must hold one label per clip: got shape {y.shape} for "
                         f"{n_samples} clips")
    speaker_protocol = protocol in SPEAKER_GROUPED
    routes = speaker_routes(estimator)
    if routes.fit or routes.predict:
        # scikit-learn's searches route metadata to fit but not to the scorer's predict.
        raise ValueError(
            "nested_cross_validate cannot pass the speakers to an estimator that asks for them "
            "(such as a SpeakerStandardScaler step); evaluate it with cross_validate_speakers"
        )
    if speakers is None and speaker_protocol:
        raise ProtocolError(
            "the speaker-independent protocol needs the speaker of every clip: pass "
            "speakers=..., or protocol='random' for a speaker-dependent evaluation"
        )
    speakers = _check_speakers_shape(speakers, n_samples)
    labels = np.unique(y) if labels is None else np.asarray(labels)
    groups = speakers if speaker_protocol else None  # the random splitter warns on groups
    n_splits = outer.get_n_splits(np.zeros(n_samples), y, groups)  # leave-one-out: speakers
    description = (f"random(n_iter={n_iter}, inner_splits={inner_splits})" if search == "random"
                   else f"grid(inner_splits={inner_splits})")
    # One seed for the inner folds and one for the candidates, the same in every outer fold.
    rng = check_random_state(random_state if not isinstance(random_state, Integral) else None)
    inner_seed, search_seed = ((int(random_state),) * 2 if isinstance(random_state, Integral)
                               else rng.randint(np.iinfo(np.int32).max, size=2).tolist())

    from .._progress import progress_bar

    rows: list[dict[str, Any]] = []
    candidates: list[pd.DataFrame] = []
    predicted: list[pd.DataFrame] = []
    splits = progress_bar(
        outer.split(np.zeros(n_samples), y, groups=groups),
        total=n_splits,
        desc=progress if isinstance(progress, str) else f"nested {search} search",
        unit="fold",
        disable=not progress,
        leave=False,
    )
    for fold, (train, test) in enumerate(splits, start=1):
        if speaker_protocol:
            check_speaker_disjoint(train, test, speakers)
        row = _fold_row(fold, outer.protocol, train, test, speakers)
        row.update(inner_uar=np.nan, best_params=None, search_seconds=np.nan)
        try:
            inner = _inner_splits(train, y, speakers, speaker_protocol, inner_splits,
                                  inner_seed)
            searcher = _make_search(estimator, param_space, search, n_iter, inner,
                                    search_seed, n_jobs, error_score)
            start = time.perf_counter()
            searcher.fit(_safe_indexing(X, train), y[train])
            search_seconds = time.perf_counter() - start
            best_params = {k: _python(v) for k, v in searcher.best_params_.items()}
            candidates.append(_candidates(searcher.cv_results_, fold, len(inner)))
            row.update(
                inner_uar=float(searcher.best_score_),
                best_params=best_params,
                search_seconds=search_seconds,
            )
            best = clone(estimator).set_params(**searcher.best_params_)
            scores = _fit_and_score(best, X, y, train, test, labels)
            predicted.append(_predictions(fold, test, speakers, y, scores.pop("y_pred"),
                                          scores.pop("y_proba"), labels))
            row.update(scores)
        except ProtocolError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any pipeline error, reported with its fold
            if error_score == "raise":
                done = _frame(rows, labels, outer.protocol, n_splits, description)
                raise CrossValidationError(
                    f"outer fold {fold}/{n_splits} ({outer.protocol}) of the nested "
                    f"{search} search failed with {type(exc).__name__}: {exc}. The "
                    f"{len(rows)} completed fold(s) are in this exception's `results` "
                    "attribute; pass error_score=np.nan to record failures and go on",
                    done,
                    fold,
                ) from exc
            warnings.warn(
                f"outer fold {fold}/{n_splits} of the nested {search} search failed; its "
                f"scores are set to {error_score}. Details:\n{traceback.format_exc()}",
                FitFailedWarning,
                stacklevel=2,
            )
            row.update(_failed_scores(labels, error_score, exc))
        rows.append(row)
    return Bunch(
        folds=_frame(rows, labels, outer.protocol, n_splits, description),
        candidates=(pd.concat(candidates, ignore_index=True) if candidates
                    else pd.DataFrame(columns=["fold", "candidate", "params"])),
        predictions=(pd.concat(predicted, ignore_index=True).sort_values("index",
                                                                         ignore_index=True)
                     if predicted else pd.DataFrame(
                         columns=["index", "fold", "speaker", "y_true", "y_pred"])),
    )


def _check_param_space(param_space: Any, search: str) -> None:
    """Fail before any fitting on a space the search cannot use."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    if search == "grid":
        try:
            ParameterGrid(param_space)
        except TypeError as exc:
            raise TypeError(
                f"{exc}. A grid search takes lists of values; for distributions use "
                "search='random'"
            ) from None
    else:
        ParameterSampler(param_space, n_iter=1)


def _inner_splits(
    train: np.ndarray, y: np.ndarray, speakers: Any, speaker_protocol: bool, n_splits: int,
    seed: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The inner folds of one outer training fold, as indices into that fold.

    Computed here rather than by the search so that each one is checked for speaker overlap
    before anything is fitted.
    """
    y_train = y[train]
    if not speaker_protocol:
        cv = make_splitter("random", n_splits=n_splits, random_state=seed)
        return list(cv.split(np.zeros(len(train)), y_train))
    groups = speakers[train]
    n_speakers = np.unique(groups).size
    if n_speakers < n_splits:
        raise ProtocolError(
            f"an outer training fold holds {n_speakers} speakers, too few for "
            f"{n_splits} speaker-independent inner folds; use inner_splits <= {n_speakers}"
        )
    cv = SpeakerStratifiedKFold(n_splits, random_state=seed)
    splits = list(cv.split(np.zeros(len(train)), y_train, groups=groups))
    for inner_train, inner_test in splits:
        check_speaker_disjoint(inner_train, inner_test, groups)
    return splits


def _make_search(
    estimator: Any, param_space: Any, search: str, n_iter: int, cv: list, seed: int,
    n_jobs: int | None, error_score: Any,
) -> Any:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    common = {"scoring": uar_scorer, "cv": cv, "refit": False, "n_jobs": n_jobs,
              "error_score": error_score}
    if search == "grid":
        return GridSearchCV(estimator, param_space, **common)
    return RandomizedSearchCV(estimator, param_space, n_iter=n_iter, random_state=seed,
                              **common)


def _candidates(cv_results: Mapping[str, Any], fold: int, n_inner: int) -> pd.DataFrame:
    n = len(cv_results["params"])
    table = {
        "fold": [fold] * n,
        "candidate": list(range(1, n + 1)),
        "params": [{k: _python(v) for k, v in p.items()} for p in cv_results["params"]],
    }
    table.update({new: np.asarray(cv_results[old]) for old, new in _RESULT_COLUMNS.items()})
    table.update({f"split{i}_test_uar": np.asarray(cv_results[f"split{i}_test_score"])
                  for i in range(n_inner)})
    for key, values in cv_results.items():
        if key.startswith("param_"):
            table[key] = [None if np.ma.is_masked(v) else _python(v) for v in values]
    return pd.DataFrame(table)


def _frame(
    rows: list[dict[str, Any]], labels: np.ndarray, protocol: str, n_splits: int,
    description: str,
) -> pd.DataFrame:
    frame = _as_frame(rows, labels, protocol, n_splits)
    for column in ("inner_uar", "best_params", "search_seconds"):
        frame[column] = pd.Series([row[column] for row in rows], index=frame.index,
                                  dtype=object if column == "best_params" else float)
    frame.attrs["search"] = description
    return frame


def _python(value: Any) -> Any:
    """A plain Python value for numpy scalars, so that parameters read well and log as JSON."""
    return value.item() if isinstance(value, np.generic) else value

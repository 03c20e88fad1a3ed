"""Cross-corpus evaluation: train on one or more corpora, test on another, on shared emotions.

Corpora differ in language, recording conditions, speakers and the emotions they act. A model
tested on a corpus it never heard shows how far its emotions travel, which within-corpus
cross-validation cannot. Only the emotions every corpus involved holds can be learnt and
tested, so both sides are restricted to them, and the result says which were dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import FitFailedWarning

from ._split import ProtocolError
from ._transductive import speaker_routes
from ._validation import (
    CrossValidationError,
    _as_frame,
    _check_per_clip,
    _check_speakers_shape,
    _failed_scores,
    _fit_and_score,
    _fold_row,
    _predictions,
    _protocol_label,
)

__all__ = ["cross_corpus_evaluate", "cross_corpus_label", "shared_emotions"]


def cross_corpus_label(train: str | Sequence[str], test: str) -> str:
    """The protocol label of a cross-corpus result.

    Parameters
    ----------
    train : str or sequence of str
        The training corpus or corpora.
    test : str
        The test corpus.

    Returns
    -------
    label : str

    Examples
    --------
    >>> from sersk.model_selection import cross_corpus_label
    >>> cross_corpus_label("ravdess", "emodb")
    'cross-corpus (train ravdess → test emodb)'
    >>> cross_corpus_label(["crema-d", "ravdess"], "emodb")
    'cross-corpus (train crema-d + ravdess → test emodb)'
    """
    train = [train] if isinstance(train, str) else list(train)
    return f"cross-corpus (train {' + '.join(map(str, train))} → test {test})"


def shared_emotions(
    y: Any, corpora: Any, *, train: Sequence[str], test: str
) -> tuple[list[str], dict[str, list[str]]]:
    """The emotions held by every training corpus and the test corpus, and those dropped.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The emotion of every clip.
    corpora : array-like of shape (n_samples,)
        The corpus of every clip.
    train : sequence of str
        The training corpora.
    test : str
        The test corpus.

    Returns
    -------
    shared : list of str
        Sorted emotions present in every one of these corpora.
    dropped : dict of str to list of str
        For each of these corpora, its sorted emotions that are not shared.

    Examples
    --------
    >>> from sersk.model_selection import shared_emotions
    >>> y = ["calm", "sad", "angry", "sad", "angry", "boredom"]
    >>> corpora = ["ravdess"] * 3 + ["emodb"] * 3
    >>> shared_emotions(y, corpora, train=["ravdess"], test="emodb")
    (['angry', 'sad'], {'ravdess': ['calm'], 'emodb': ['boredom']})
    """
    y, corpora = np.asarray(y), np.asarray(corpora)
    held = {name: set(y[corpora == name].tolist()) for name in [*train, test]}
    shared = set.intersection(*held.values())
    dropped = {name: sorted(emotions - shared) for name, emotions in held.items()}
    return sorted(shared), dropped


def _check_corpora(
    corpora: Any, n_samples: int, train: Any, test: str
) -> tuple[np.ndarray, list[str]]:
    if corpora is None:
        raise ProtocolError("cross-corpus evaluation needs the corpus of every clip: pass "
                            "corpora=... (the 'corpus' column of sersk.datasets.load_corpus)")
    corpora = np.asarray(corpora)
    if corpora.shape != (n_samples,):
        raise ValueError(f"corpora must hold one corpus per clip: got shape {corpora.shape} "
                         f"for {n_samples} clips")
    present = sorted(set(corpora.tolist()))
    if test not in present:
        raise ProtocolError(f"test corpus {test!r} has no clips here; the corpora present are "
                            f"{present}")
    if train is None:
        train = [name for name in present if name != test]
    else:
        train = [train] if isinstance(train, str) else list(dict.fromkeys(train))
    if not train:
        raise ProtocolError(f"cross-corpus evaluation needs a training corpus other than the "
                            f"test corpus {test!r}; only {present} are present")
    if test in train:
        raise ProtocolError(f"corpus {test!r} is both a training and the test corpus; "
                            "cross-corpus evaluation tests on a corpus it did not train on")
    missing = [name for name in train if name not in present]
    if missing:
        raise ProtocolError(f"training corpora {missing} have no clips here; the corpora "
                            f"present are {present}")
    return corpora, train


def cross_corpus_evaluate(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    corpora: Any,
    test: str,
    train: str | Sequence[str] | None = None,
    speakers: Any = None,
    labels: Any = None,
    error_score: str | float = "raise",
    return_predictions: bool = False,
    domains: Any = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Train on one or more corpora and test on another, over the emotions they all hold.

    The clips of every emotion not held by all the corpora involved are left out on both
    sides; a clone of ``estimator`` is fitted on the training corpora's remaining clips and
    scored on the test corpus's with :func:`~sersk.metrics.score_predictions`. Speakers are
    disjoint by construction (speaker ids are unique across corpora).

    Parameters
    ----------
    estimator : estimator object
        A classifier, typically a pipeline from audio inputs to emotion labels. A pipeline
        that asks for ``speakers`` (such as one holding a
        :class:`~sersk.preprocessing.SpeakerStandardScaler`) gets them, and its result is
        labelled transductive.
    X : list, 1-D array or pandas Series of length n_samples
        The clips of all the corpora, as the estimator takes them (for corpus frames,
        :func:`sersk.datasets.audio_inputs`).
    y : array-like of shape (n_samples,)
        The emotion of every clip, harmonised across corpora (as ``load_corpus`` gives them).
    corpora : array-like of shape (n_samples,)
        The corpus of every clip (the frame's ``corpus`` column).
    test : str
        The corpus to test on.
    train : str or sequence of str, default=None
        The corpus or corpora to train on; by default every other corpus in ``corpora``.
        Clips of corpora in neither are left out.
    speakers : array-like of shape (n_samples,), default=None
        The speaker of every clip: reported per side, and passed to estimators that ask for it.
    labels : array-like of str, default=None
        The emotions to evaluate on, a subset of the shared ones; by default all of them.
    error_score : "raise" or float, default="raise"
        What to do when fitting or predicting raises: ``"raise"`` raises
        :class:`CrossValidationError`; a number gives every score that value, records the
        error in the ``error`` column and warns with
        :class:`~sklearn.exceptions.FitFailedWarning`.
    return_predictions : bool, default=False
        Also return every test clip's prediction, as
        :func:`cross_validate_speakers` does.
    domains : array-like of shape (n_samples,), default=None
        The domain of every clip, passed to estimators that ask for it (a
        :class:`~sersk.preprocessing.DomainStandardScaler` step), as in
        :func:`cross_validate_speakers`.

    Returns
    -------
    results : pandas.DataFrame
        One row, with the columns of :func:`cross_validate_speakers`'s rows (``fold`` is 1,
        ``protocol`` is ``"cross-corpus (train A → test B)"``, with ``", transductive"``
        appended for a transductive estimator; recalls for the shared emotions only) and
        ``train_corpora``, ``test_corpus``, ``emotions`` (the shared emotions, space-separated)
        and ``dropped_emotions`` (``"ravdess: calm surprised; emodb: boredom"``).
        ``results.attrs`` holds ``"labels"``, ``"protocol"``, ``"n_splits"`` (1),
        ``"train_corpora"``, ``"test_corpus"`` and ``"dropped"`` (a dict of each corpus's
        emotions left out) and ``"n_dropped_clips"`` (per corpus).
    predictions : pandas.DataFrame
        Only with ``return_predictions=True``: one row per test clip (none if the fit
        failed), with the columns ``index`` (position in ``X``), ``fold`` (1), ``speaker``,
        ``y_true`` and ``y_pred``.

    Raises
    ------
    ProtocolError
        No corpus column, a test or training corpus with no clips, the test corpus among the
        training ones, or fewer than two shared emotions (the message lists each corpus's
        emotions).
    CrossValidationError
        Fitting or predicting failed and ``error_score="raise"``.

    See Also
    --------
    shared_emotions : The emotions used and dropped.
    cross_validate_speakers : Evaluation within one corpus, speaker-independent.
    sersk.datasets.load_corpus : Frames of several corpora, with harmonised emotions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.model_selection import cross_corpus_evaluate
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.tile(["calm", "sad", "angry"], 5), np.tile(["sad", "angry", "boredom"], 5)]
    >>> corpora = np.repeat(["ravdess", "emodb"], 15)
    >>> X = rng.normal(size=(30, 2)) + (y == "angry")[:, None]
    >>> results = cross_corpus_evaluate(
    ...     LogisticRegression(), X, y, corpora=corpora, test="emodb")
    >>> results.loc[0, ["protocol", "emotions", "dropped_emotions"]].tolist()
    ['cross-corpus (train ravdess → test emodb)', 'angry sad', 'ravdess: calm; emodb: boredom']
    >>> results.loc[0, ["n_train", "n_test"]].tolist()
    [10, 10]
    """
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}")
    y = np.asarray(y)
    n_samples = len(X)
    if y.shape != (n_samples,):
        raise ValueError(f"y must hold one label per clip: got shape {y.shape} for "
                         f"{n_samples} clips")
    corpora, train = _check_corpora(corpora, n_samples, train, test)
    speakers = _check_speakers_shape(speakers, n_samples)
    domains = _check_per_clip(domains, n_samples, "domains", "domain")

    shared, dropped = shared_emotions(y, corpora, train=train, test=test)
    held = {name: sorted(set(y[corpora == name].tolist())) for name in [*train, test]}
    if len(shared) < 2:
        listing = "; ".join(f"{name}: {', '.join(emotions)}" for name, emotions in held.items())
        found = f"only {shared[0]!r} is" if shared else "no emotion is"
        raise ProtocolError(
            f"{found} shared by the training corpora ({', '.join(train)}) and the test corpus "
            f"({test}); a classifier needs at least two shared emotions. Their emotions: "
            f"{listing}"
        )
    if labels is None:
        labels = np.asarray(shared)
    else:
        labels = np.asarray(labels)
        unshared = sorted(set(labels.tolist()) - set(shared))
        if unshared:
            raise ProtocolError(f"labels {unshared} are not held by every corpus involved; the "
                                f"shared emotions are {shared}")
        if labels.size < 2:
            raise ProtocolError("cross-corpus evaluation needs at least two labels")
    dropped = {name: sorted(set(emotions) - set(labels.tolist()))
               for name, emotions in held.items()}
    kept = np.isin(y, labels)
    train_index = np.flatnonzero(np.isin(corpora, train) & kept)
    test_index = np.flatnonzero((corpora == test) & kept)
    n_dropped = {name: int(((corpora == name) & ~kept).sum()) for name in [*train, test]}

    routes = speaker_routes(estimator)
    routes.check(speakers, domains)
    protocol = _protocol_label(cross_corpus_label(train, test), routes, domains, corpora,
                               speakers)

    row = _fold_row(1, protocol, train_index, test_index, speakers)
    predictions = pd.DataFrame(columns=["index", "fold", "speaker", "y_true", "y_pred"])
    try:
        scores = _fit_and_score(estimator, X, y, train_index, test_index, labels,
                                speakers=speakers, routes=routes, domains=domains)
        y_pred, y_proba = scores.pop("y_pred"), scores.pop("y_proba")
        row.update(scores)
        predictions = _predictions(1, test_index, speakers, y, y_pred, y_proba, labels)
    except Exception as exc:  # noqa: BLE001 -- any pipeline error, reported with its run
        if error_score == "raise":
            raise CrossValidationError(
                f"{protocol} failed with {type(exc).__name__}: {exc}. Pass "
                "error_score=np.nan to record the failure instead",
                _as_frame([], labels, protocol, 1),
                1,
            ) from exc
        warnings.warn(f"{protocol} failed; its scores are set to {error_score}: "
                      f"{type(exc).__name__}: {exc}", FitFailedWarning, stacklevel=2)
        row.update(_failed_scores(labels, error_score, exc))
    row.update(
        train_corpora=" ".join(train),
        test_corpus=test,
        emotions=" ".join(labels.tolist()),
        dropped_emotions="; ".join(
            f"{name}: {' '.join(emotions)}" for name, emotions in dropped.items() if emotions
        ),
    )
    results = _as_frame([row], labels, protocol, 1)
    for column in ("train_corpora", "test_corpus", "emotions", "dropped_emotions"):
        results[column] = row[column]
    results.attrs.update(train_corpora=train, test_corpus=test, dropped=dropped,
                         n_dropped_clips=n_dropped)
    return (results, predictions) if return_predictions else results

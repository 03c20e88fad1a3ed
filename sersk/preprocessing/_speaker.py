"""Per-speaker standardisation: each speaker's features centred and scaled by their own statistics.

Voices differ in pitch, loudness and timbre more than one voice differs between emotions, so
removing each speaker's average helps a classifier. But a test speaker's statistics come from
that speaker's test clips, all of them, used together: the prediction of one clip depends on
the other clips of its speaker. Such evaluation is *transductive* and scores higher than a
model meeting one clip of a new speaker would. sersk therefore never does it by default, and
labels the results of every pipeline that does (see :mod:`sersk.model_selection`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import SerskError
from ._domain import _GroupStandardScaler, _statistics

__all__ = ["SpeakerStandardScaler", "standardize_per_speaker"]


class SpeakersMissingError(SerskError, ValueError):
    """Per-speaker normalisation was asked for without the speaker of every row."""


def _check_speakers(speakers: Any, n_rows: int, where: str) -> np.ndarray:
    if speakers is None:
        raise SpeakersMissingError(
            f"SpeakerStandardScaler.{where} needs the speaker of every row: pass speakers=... "
            "(inside a Pipeline, enable scikit-learn's metadata routing, "
            "sklearn.set_config(enable_metadata_routing=True), and pass speakers=... to the "
            "pipeline's fit and predict; sersk.model_selection.cross_validate_speakers does "
            "this by itself)"
        )
    speakers = np.asarray(speakers)
    if speakers.shape != (n_rows,):
        raise ValueError(
            f"speakers must hold one speaker per row: got shape {speakers.shape} for "
            f"{n_rows} rows"
        )
    return speakers


def standardize_per_speaker(
    X: Any, *, speakers: Any, with_mean: bool = True, with_std: bool = True
) -> np.ndarray:
    """Standardise each speaker's rows with that speaker's own mean and standard deviation.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Pooled features, one row per clip.
    speakers : array-like of shape (n_samples,)
        The speaker of every row.
    with_mean : bool, default=True
        Subtract each speaker's mean.
    with_std : bool, default=True
        Divide by each speaker's standard deviation (1 where it is zero).

    Returns
    -------
    X_scaled : ndarray of shape (n_samples, n_features)

    See Also
    --------
    SpeakerStandardScaler : The transformer, for pipelines.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.preprocessing import standardize_per_speaker
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> standardize_per_speaker(X, speakers=["a", "a", "b", "b"]).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D matrix of pooled features; got shape {X.shape}")
    speakers = _check_speakers(speakers, len(X), "standardize_per_speaker")
    out = np.empty_like(X)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        mean, scale = _statistics(X[rows], with_mean, with_std)
        out[rows] = (X[rows] - mean) / scale
    return out


class SpeakerStandardScaler(_GroupStandardScaler):
    """Standardise each speaker's rows with that speaker's own statistics (**transductive**).

    A :class:`~sersk.preprocessing.DomainStandardScaler` whose domains are the speakers
    (metadata ``speakers``, required). ``fit`` learns the mean and standard deviation of every
    training speaker. ``transform`` standardises each row with its speaker's statistics: those
    learnt in ``fit`` for a speaker seen there, else those of that speaker's rows in the batch
    being transformed. A new speaker is therefore normalised with their own unlabelled test
    clips, all of them together: the prediction of a clip depends on the speaker's other test
    clips, which is *transductive* evaluation. It scores higher than a model meeting a single
    clip of a new speaker, and a batch holding one clip of a speaker centres that clip to zero.
    Use it only as an explicit choice: sersk's evaluation functions label results of pipelines
    holding it ``"…, transductive"``. The default, a
    :class:`~sklearn.preprocessing.StandardScaler` fitted on the training speakers only, is not
    transductive.

    It needs the speaker of every row, passed as ``speakers`` to ``fit`` and ``transform``.
    Inside a :class:`~sklearn.pipeline.Pipeline`, it asks for them through scikit-learn's
    metadata routing (``fit`` and ``transform`` request ``speakers`` by default): enable
    routing (``sklearn.set_config(enable_metadata_routing=True)``) and pass
    ``speakers=...`` to the pipeline's ``fit`` and ``predict``.
    :func:`~sersk.model_selection.cross_validate_speakers` and
    :func:`~sersk.model_selection.cross_corpus_evaluate` do both by themselves.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each speaker's mean.
    with_std : bool, default=True
        Divide by each speaker's standard deviation (1 where it is zero).
    min_clips : int, default=1
        A speaker with fewer rows than this in a batch to transform (and not seen in ``fit``)
        is an error: statistics of one or two clips are mostly noise.
    fallback : bool, default=False
        Standardise such a speaker with the statistics of all the training rows instead.

    Attributes
    ----------
    speakers_ : ndarray of shape (n_speakers,)
        The training speakers (also ``domains_``).
    domain_mean_ : ndarray of shape (n_speakers, n_features)
        Each training speaker's mean (zeros with ``with_mean=False``).
    domain_scale_ : ndarray of shape (n_speakers, n_features)
        Each training speaker's standard deviation (ones with ``with_std=False``).
    mean_, scale_ : ndarray of shape (n_features,)
        The statistics of all the training rows (used by ``fallback``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in ``fit``, when they all are strings.

    See Also
    --------
    standardize_per_speaker : The same on one matrix, as a function.
    DomainStandardScaler : Any grouping of the clips (a corpus, a session, a folder).
    sklearn.preprocessing.StandardScaler : One set of statistics, from the training speakers.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sersk.preprocessing import SpeakerStandardScaler
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0], [100.0], [300.0]])
    >>> y = np.array(["calm", "angry"] * 3)
    >>> speakers = np.array(["a", "a", "b", "b", "c", "c"])
    >>> SpeakerStandardScaler().fit_transform(X, speakers=speakers).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0]
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     model = make_pipeline(SpeakerStandardScaler(), LogisticRegression())
    ...     model = model.fit(X[:4], y[:4], speakers=speakers[:4])
    ...     model.predict(X[4:], speakers=speakers[4:]).tolist()
    ['calm', 'angry']
    """

    _group = "speaker"

    __metadata_request__fit = {"speakers": True}
    __metadata_request__transform = {"speakers": True}

    def __init__(self, *, with_mean: bool = True, with_std: bool = True, min_clips: int = 1,
                 fallback: bool = False):
        self.with_mean = with_mean
        self.with_std = with_std
        self.min_clips = min_clips
        self.fallback = fallback

    def _require(self, groups: Any, n_rows: int, where: str) -> None:
        _check_speakers(groups, n_rows, where)

    @property
    def speakers_(self) -> np.ndarray:
        """The training speakers."""
        return self.domains_

    def fit(self, X: Any, y: Any = None, *, speakers: Any = None) -> SpeakerStandardScaler:
        """Learn every training speaker's mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pooled features of the training clips.
        y : None
            Ignored.
        speakers : array-like of shape (n_samples,)
            The speaker of every row. Required.

        Returns
        -------
        self : SpeakerStandardScaler
        """
        return self._fit(X, None if speakers is None else np.asarray(speakers))

    def transform(self, X: Any, *, speakers: Any = None) -> np.ndarray:
        """Standardise each row with its speaker's statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pooled features.
        speakers : array-like of shape (n_samples,)
            The speaker of every row. Required. Speakers not seen in ``fit`` are standardised
            with the statistics of their rows in ``X``.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
        """
        return self._transform(X, None if speakers is None else np.asarray(speakers))

    def fit_transform(self, X: Any, y: Any = None, *, speakers: Any = None) -> np.ndarray:
        """Fit, then standardise the same rows (``speakers`` goes to both).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        speakers : array-like of shape (n_samples,)
            The speaker of every row. Required.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
        """
        return self.fit(X, y, speakers=speakers).transform(X, speakers=speakers)

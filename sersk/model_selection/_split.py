"""Splitters for the evaluation protocols: speaker-independent, leave-one-speaker-out and
speaker-dependent, and leave-one-corpus-out.

A model tested on speakers it was trained on learns voices as much as emotions, and scores
far higher than it will on a new speaker. sersk therefore evaluates speaker-independently
by default: :class:`SpeakerStratifiedKFold` keeps every clip of a speaker in the same fold.
The random split, :class:`SpeakerDependentKFold`, exists for comparison with published
figures that used it, and says what it is in its name and in its ``protocol`` attribute.
:class:`LeaveOneSpeakerOut` tests each speaker in turn on a model trained on all the others;
:class:`LeaveOneCorpusOut` each corpus on a model trained on the others, which shows how a
model fares on other speakers, languages, microphones and rooms.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

from ..exceptions import SerskError

__all__ = [
    "CORPUS_GROUPED",
    "PROTOCOLS",
    "SPEAKER_GROUPED",
    "LeaveOneCorpusOut",
    "LeaveOneSpeakerOut",
    "SpeakerDependentKFold",
    "ProtocolError",
    "SpeakerStratifiedKFold",
    "check_speaker_disjoint",
    "check_speakers_known",
    "make_splitter",
]

#: Protocol names accepted by :func:`make_splitter` and ``cross_validate_speakers``, and the
#: label under which their results are reported.
PROTOCOLS = {
    "speaker": "speaker-independent",
    "loso": "leave-one-speaker-out",
    "random": "speaker-dependent",
    "loco": "leave-one-corpus-out",
}

#: The protocols whose splitters need the speaker of every clip (as ``groups``).
SPEAKER_GROUPED = frozenset({"speaker", "loso"})

#: The protocols whose splitters need the corpus of every clip (as ``groups``).
CORPUS_GROUPED = frozenset({"loco"})


class ProtocolError(SerskError, ValueError):
    """An evaluation protocol that cannot be applied as asked.

    Speaker-independent splitting without the speakers, with fewer speakers than folds, or a
    split that puts one speaker on both sides.
    """


def check_speaker_disjoint(
    train: np.ndarray, test: np.ndarray, speakers: Any
) -> None:
    """Raise if a speaker has clips on both sides of a train/test split.

    Parameters
    ----------
    train, test : ndarray of int
        Indices of the training and test clips.
    speakers : array-like of shape (n_samples,)
        The speaker of every clip; clips of unknown speaker (None or NaN, such as MESD's) are
        not compared, since nothing says who they are (leave-one-corpus-out keeps a corpus's
        clips together, and speaker ids are unique across corpora).

    Raises
    ------
    ProtocolError
        Naming the speakers found on both sides.
    """
    speakers = np.asarray(speakers, dtype=object)
    known = ~pd.isna(speakers)
    train, test = np.asarray(train), np.asarray(test)
    shared = np.intersect1d(speakers[train[known[train]]], speakers[test[known[test]]])
    if shared.size:
        raise ProtocolError(
            f"speakers {shared.tolist()} are in both the training and the test data; a "
            "speaker-independent split must keep each speaker on one side"
        )


def check_speakers_known(speakers: Any) -> None:
    """Raise if some clips have no speaker (None or NaN), which no speaker split can place.

    A corpus of one's own recordings without speaker information has missing speakers
    (see :func:`sersk.datasets.load_labelled_audio`); treating each clip as its own speaker
    instead would report speaker-dependent scores as speaker-independent.

    Raises
    ------
    ProtocolError
        Counting the clips without a speaker, and saying what to do.
    """
    missing = pd.isna(np.asarray(speakers, dtype=object))
    if missing.any():
        raise ProtocolError(
            f"{int(missing.sum())} of {missing.size} clips have no speaker (None or NaN), so "
            "they cannot be kept on one side of a speaker-independent split; name their "
            "speakers, or use the random protocol (SpeakerDependentKFold) for a "
            "speaker-dependent evaluation"
        )


def _check_speakers(groups: Any, n_samples: int, n_splits: int) -> np.ndarray:
    if groups is None:
        raise ProtocolError(
            "speaker-independent splitting needs the speaker of every clip: pass "
            "groups=speakers (or use SpeakerDependentKFold for a random, speaker-dependent "
            "split)"
        )
    groups = np.asarray(groups)
    if groups.shape != (n_samples,):
        raise ValueError(
            f"groups must hold one speaker per clip: got shape {groups.shape} for "
            f"{n_samples} clips"
        )
    check_speakers_known(groups)
    n_speakers = np.unique(groups).size
    if n_speakers < n_splits:
        raise ProtocolError(
            f"cannot make {n_splits} speaker-independent folds from {n_speakers} speakers; "
            f"use n_splits <= {n_speakers}"
        )
    return groups


class SpeakerStratifiedKFold(StratifiedGroupKFold):
    """Speaker-independent stratified k-fold: no speaker is in both training and test data.

    :class:`~sklearn.model_selection.StratifiedGroupKFold` with the speakers as groups: each
    speaker's clips all go to one fold, and folds are chosen to keep the emotion proportions
    close to the whole set's. Every split is checked for speaker overlap before it is
    returned.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds; at most the number of speakers.
    shuffle : bool, default=True
        Whether to shuffle the speakers before assigning them to folds. Without shuffling,
        the assignment depends on the order of the speakers in the data.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling, when ``shuffle=True``.

    Attributes
    ----------
    protocol : str
        ``"speaker-independent"``.

    See Also
    --------
    SpeakerDependentKFold : The random stratified split, which mixes speakers.
    cross_validate_speakers : Cross-validation with one of these splitters.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.model_selection import SpeakerStratifiedKFold
    >>> y = np.array(["happy", "sad"] * 6)
    >>> speakers = np.repeat(["s1", "s2", "s3", "s4"], 3)
    >>> cv = SpeakerStratifiedKFold(n_splits=2, random_state=0)
    >>> for train, test in cv.split(np.zeros(12), y, groups=speakers):
    ...     print(np.unique(speakers[test]).tolist())
    ['s1', 's3']
    ['s2', 's4']
    """

    protocol = PROTOCOLS["speaker"]

    def __init__(self, n_splits: int = 5, *, shuffle: bool = True, random_state: Any = None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate indices of speaker-disjoint training and test sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The clips; only their number is used.
        y : array-like of shape (n_samples,)
            The emotions, used for stratification.
        groups : array-like of shape (n_samples,)
            The speaker of every clip. Required.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        groups = _check_speakers(groups, len(X), self.n_splits)
        for train, test in super().split(X, y, groups):
            check_speaker_disjoint(train, test, groups)
            yield train, test


class SpeakerDependentKFold(StratifiedKFold):
    """Random stratified k-fold that ignores speakers: a **speaker-dependent** protocol.

    A speaker's clips land in training and test folds alike, so scores are higher than a
    new speaker would see. Use it only to compare with results that were obtained this
    way, and report it as speaker-dependent (its ``protocol`` attribute says so).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds.
    shuffle : bool, default=True
        Whether to shuffle each class's clips before splitting.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling, when ``shuffle=True``.

    Attributes
    ----------
    protocol : str
        ``"speaker-dependent"``.

    See Also
    --------
    SpeakerStratifiedKFold : The speaker-independent protocol, sersk's default.
    """

    protocol = PROTOCOLS["random"]

    def __init__(self, n_splits: int = 5, *, shuffle: bool = True, random_state: Any = None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)


class LeaveOneSpeakerOut(LeaveOneGroupOut):
    """Leave-one-speaker-out: each speaker is the test set once, the others the training set.

    :class:`~sklearn.model_selection.LeaveOneGroupOut` with the speakers as groups. There are
    as many folds as speakers, so the per-fold scores show how much a model's performance
    varies from one new speaker to the next; with few speakers (EmoDB's 10), it uses more of
    the data for training than 5-fold cross-validation does. Every split is checked for
    speaker overlap before it is returned.

    Attributes
    ----------
    protocol : str
        ``"leave-one-speaker-out"``.

    See Also
    --------
    SpeakerStratifiedKFold : Speaker-independent k-fold, sersk's default.
    cross_validate_speakers : Cross-validation with ``protocol="loso"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.model_selection import LeaveOneSpeakerOut
    >>> speakers = np.array(["s1", "s1", "s2", "s2", "s3", "s3"])
    >>> cv = LeaveOneSpeakerOut()
    >>> cv.get_n_splits(groups=speakers)
    3
    >>> for train, test in cv.split(np.zeros(6), groups=speakers):
    ...     print(np.unique(speakers[test]).tolist(), np.unique(speakers[train]).tolist())
    ['s1'] ['s2', 's3']
    ['s2'] ['s1', 's3']
    ['s3'] ['s1', 's2']
    """

    protocol = PROTOCOLS["loso"]

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate indices of the clips of all speakers but one, and of that one speaker.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The clips; only their number is used.
        y : array-like of shape (n_samples,), default=None
            Ignored; present for API consistency.
        groups : array-like of shape (n_samples,)
            The speaker of every clip. Required; at least two speakers.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split: one speaker's clips.
        """
        groups = _check_speakers(groups, len(X), 2)
        for train, test in super().split(X, y, groups):
            check_speaker_disjoint(train, test, groups)
            yield train, test

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds: the number of speakers.

        Parameters
        ----------
        X, y : object, default=None
            Ignored; present for API consistency.
        groups : array-like of shape (n_samples,)
            The speaker of every clip. Required.

        Returns
        -------
        n_splits : int
        """
        if groups is None:
            raise ProtocolError(
                "leave-one-speaker-out needs the speaker of every clip to count its folds: "
                "pass groups=speakers"
            )
        check_speakers_known(groups)
        return super().get_n_splits(X, y, groups)


class LeaveOneCorpusOut(LeaveOneGroupOut):
    """Leave-one-corpus-out: each corpus is the test set once, the other corpora the training set.

    :class:`~sklearn.model_selection.LeaveOneGroupOut` with the corpora as groups, over the
    emotions the test corpus shares with the training corpora: when ``y`` is given, the test
    clips of emotions no training clip has are left out (a model cannot be scored on an
    emotion it never learnt). Speakers are disjoint when speaker ids are unique across
    corpora, as the sersk loaders make them; :func:`cross_validate_speakers` checks it.

    Attributes
    ----------
    protocol : str
        ``"leave-one-corpus-out"``.

    See Also
    --------
    cross_validate_speakers : Cross-validation with ``protocol="loco"`` and ``corpora=``.
    cross_corpus_evaluate : One training/test choice of corpora, on the emotions all share.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.model_selection import LeaveOneCorpusOut
    >>> corpora = np.array(["ravdess"] * 3 + ["emodb"] * 3 + ["nemo"] * 2)
    >>> y = np.array(["calm", "sad", "angry", "sad", "angry", "boredom", "sad", "angry"])
    >>> for train, test in LeaveOneCorpusOut().split(np.zeros(8), y, groups=corpora):
    ...     print(np.unique(corpora[test]).tolist(), np.unique(y[test]).tolist())
    ['emodb'] ['angry', 'sad']
    ['nemo'] ['angry', 'sad']
    ['ravdess'] ['angry', 'sad']
    """

    protocol = PROTOCOLS["loco"]

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate indices of the clips of all corpora but one, and of that one corpus.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The clips; only their number is used.
        y : array-like of shape (n_samples,), default=None
            The emotions: test clips of an emotion absent from the training clips are left
            out. None keeps every test clip.
        groups : array-like of shape (n_samples,)
            The corpus of every clip. Required; at least two corpora.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split: one corpus's clips.
        """
        groups = _check_corpora(groups, len(X))
        for train, test in super().split(X, y, groups):
            if y is not None:
                y = np.asarray(y)
                test = test[np.isin(y[test], np.unique(y[train]))]
            yield train, test

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds: the number of corpora.

        Parameters
        ----------
        X, y : object, default=None
            Ignored; present for API consistency.
        groups : array-like of shape (n_samples,)
            The corpus of every clip. Required.

        Returns
        -------
        n_splits : int
        """
        if groups is None:
            raise ProtocolError("leave-one-corpus-out needs the corpus of every clip to count "
                                "its folds: pass groups=corpora")
        return super().get_n_splits(X, y, groups)


def _check_corpora(groups: Any, n_samples: int) -> np.ndarray:
    if groups is None:
        raise ProtocolError(
            "leave-one-corpus-out needs the corpus of every clip: pass groups=corpora (the "
            "'corpus' column of sersk.datasets.load_corpus)"
        )
    groups = np.asarray(groups)
    if groups.shape != (n_samples,):
        raise ValueError(f"groups must hold one corpus per clip: got shape {groups.shape} "
                         f"for {n_samples} clips")
    present = np.unique(groups)
    if present.size < 2:
        raise ProtocolError(f"leave-one-corpus-out needs at least two corpora; got "
                            f"{present.tolist()}")
    return groups


def make_splitter(
    protocol: str = "speaker", *, n_splits: int = 5, random_state: Any = 0
) -> SpeakerStratifiedKFold | LeaveOneSpeakerOut | SpeakerDependentKFold | LeaveOneCorpusOut:
    """The splitter of an evaluation protocol.

    Parameters
    ----------
    protocol : {"speaker", "loso", "random", "loco"}, default="speaker"
        ``"speaker"``: speaker-independent stratified k-fold; ``"loso"``:
        leave-one-speaker-out (one fold per speaker; ``n_splits`` and ``random_state`` do
        not apply); ``"random"``: random stratified k-fold, speaker-dependent; ``"loco"``:
        leave-one-corpus-out (one fold per corpus, the corpora as groups).
    n_splits : int, default=5
        Number of folds.
    random_state : int, RandomState instance or None, default=0
        Seed of the fold assignment.

    Returns
    -------
    cv : SpeakerStratifiedKFold, LeaveOneSpeakerOut, SpeakerDependentKFold or LeaveOneCorpusOut
        Its ``protocol`` attribute is the label to report results under.
    """
    if protocol == "speaker":
        return SpeakerStratifiedKFold(n_splits, random_state=random_state)
    if protocol == "loso":
        return LeaveOneSpeakerOut()
    if protocol == "random":
        return SpeakerDependentKFold(n_splits, random_state=random_state)
    if protocol == "loco":
        return LeaveOneCorpusOut()
    raise ValueError(
        f"unknown protocol {protocol!r}; expected one of {sorted(PROTOCOLS)} "
        "('speaker' = speaker-independent, 'loso' = leave-one-speaker-out, 'random' = "
        "speaker-dependent, 'loco' = leave-one-corpus-out)"
    )

"""Splitters never leak speakers; cross-validation reports every fold, even after a failure."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sersk.exceptions import SerskError
from sersk.model_selection import (
    CrossValidationError,
    ProtocolError,
    SpeakerDependentKFold,
    SpeakerStratifiedKFold,
    check_speaker_disjoint,
    cross_validate_speakers,
    make_splitter,
    tabulate_folds,
)

EMOTIONS = np.array(["angry", "calm", "happy", "sad"])


def corpus(n_speakers=10, per_speaker=12, seed=0):
    """Features that carry the emotion, plus a speaker offset; uneven speakers."""
    rng = np.random.default_rng(seed)
    y, speakers, X = [], [], []
    for s in range(n_speakers):
        n = per_speaker + (s % 3)
        labels = rng.choice(EMOTIONS, n)
        offset = rng.normal(size=4)
        for label in labels:
            y.append(label)
            speakers.append(f"spk{s:02d}")
            X.append(offset + 3 * (EMOTIONS == label) + rng.normal(size=4))
    return np.array(X), np.array(y), np.array(speakers)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_splits", [2, 3, 5])
def test_speaker_splitter_never_leaks(seed, n_splits):
    X, y, speakers = corpus(seed=seed)
    cv = SpeakerStratifiedKFold(n_splits, random_state=seed)
    seen_test = []
    for train, test in cv.split(X, y, groups=speakers):
        assert not set(speakers[train]) & set(speakers[test])
        assert len(train) + len(test) == len(y)
        seen_test.extend(test)
    # Every clip is tested exactly once.
    assert sorted(seen_test) == list(range(len(y)))
    assert cv.protocol == "speaker-independent"


def test_speaker_splitter_stratifies():
    X, y, speakers = corpus(n_speakers=20)
    for _, test in SpeakerStratifiedKFold(4, random_state=0).split(X, y, groups=speakers):
        assert set(y[test]) == set(EMOTIONS)


def test_speaker_splitter_needs_speakers():
    X, y, _ = corpus()
    with pytest.raises(ProtocolError, match="groups=speakers"):
        next(SpeakerStratifiedKFold().split(X, y))


def test_speaker_splitter_needs_enough_speakers():
    X, y, speakers = corpus(n_speakers=3)
    with pytest.raises(ProtocolError, match="cannot make 5 speaker-independent folds from 3"):
        next(SpeakerStratifiedKFold(5).split(X, y, groups=speakers))


def test_check_speaker_disjoint_names_the_leak():
    speakers = np.array(["a", "a", "b", "c"])
    check_speaker_disjoint(np.array([0, 1]), np.array([2, 3]), speakers)
    with pytest.raises(ProtocolError, match=r"speakers \['a'\]"):
        check_speaker_disjoint(np.array([0, 2]), np.array([1, 3]), speakers)
    assert issubclass(ProtocolError, SerskError) and issubclass(ProtocolError, ValueError)
    # Clips of unknown speaker (MESD's, None or NaN) are not compared, and do not crash it.
    unknown = np.array(["a", None, np.nan, "a"], dtype=object)
    check_speaker_disjoint(np.array([0, 1]), np.array([2]), unknown)
    with pytest.raises(ProtocolError, match=r"speakers \['a'\]"):
        check_speaker_disjoint(np.array([0, 1]), np.array([2, 3]), unknown)


def test_random_splitter_is_labelled_speaker_dependent():
    X, y, speakers = corpus()
    cv = make_splitter("random", n_splits=3)
    assert isinstance(cv, SpeakerDependentKFold)
    assert cv.protocol == "speaker-dependent" and "SpeakerDependent" in type(cv).__name__
    # It does mix speakers: that is what makes it speaker-dependent.
    train, test = next(cv.split(X, y))
    assert set(speakers[train]) & set(speakers[test])


def test_make_splitter_unknown_protocol():
    with pytest.raises(ValueError, match="unknown protocol 'kfold'"):
        make_splitter("kfold")


def test_cross_validate_speakers_results():
    X, y, speakers = corpus()
    results = cross_validate_speakers(
        LogisticRegression(), X, y, speakers=speakers, n_splits=3, random_state=1
    )
    assert results["fold"].tolist() == [1, 2, 3]
    assert (results["protocol"] == "speaker-independent").all()
    assert results.attrs["labels"] == EMOTIONS.tolist()
    assert results.attrs["protocol"] == "speaker-independent"
    for column in ["uar", "accuracy", "macro_f1", "recall_angry", "recall_sad"]:
        assert results[column].between(0, 1).all()
    assert results["uar"].mean() > 0.6  # the features carry the emotion
    assert (results["fit_seconds"] > 0).all() and (results["predict_seconds_per_clip"] > 0).all()
    assert results["n_test"].sum() == len(y)
    for _, row in results.iterrows():
        assert not set(row["train_speakers"]) & set(row["test_speakers"])
        assert row["confusion_matrix"].shape == (4, 4)
        assert row["confusion_matrix"].sum() == row["n_test"]
        assert row["error"] is None
    tested = sorted(s for row in results["test_speakers"] for s in row)
    assert tested == sorted(set(speakers))

    table = tabulate_folds(results)
    assert "confusion_matrix" not in table and "confusion_matrix" in results
    assert table["test_speakers"][0] == " ".join(results["test_speakers"][0])


def test_cross_validate_speakers_random_protocol():
    X, y, speakers = corpus()
    results = cross_validate_speakers(
        LogisticRegression(), X, y, protocol="random", n_splits=2
    )
    assert (results["protocol"] == "speaker-dependent").all()
    assert results["test_speakers"].tolist() == [[], []]
    # With speakers, the folds say who they hold: everyone, on both sides.
    results = cross_validate_speakers(
        LogisticRegression(), X, y, speakers=speakers, protocol="random", n_splits=2
    )
    assert results["test_speakers"][0] == results["train_speakers"][0] == sorted(set(speakers))


def test_speaker_protocol_without_speakers_is_an_error():
    X, y, _ = corpus()
    with pytest.raises(ProtocolError, match="needs the speaker of every clip.*protocol='random'"):
        cross_validate_speakers(LogisticRegression(), X, y)


def test_cross_validate_fits_clones():
    X, y, speakers = corpus()
    model = LogisticRegression()
    cross_validate_speakers(model, X, y, speakers=speakers, n_splits=2)
    assert not hasattr(model, "coef_")


def test_cross_validate_accepts_list_inputs():
    # sersk pipelines take lists of paths or (waveform, sr) tuples, not arrays.
    X, y, speakers = corpus(n_speakers=4)
    clips = [(row, 16_000) for row in X]
    to_matrix = FunctionTransformer(lambda batch: np.array([clip[0] for clip in batch]))
    model = make_pipeline(to_matrix, LogisticRegression())
    results = cross_validate_speakers(model, clips, list(y), speakers=list(speakers),
                                      n_splits=2)
    assert len(results) == 2


class FailsOnFold(ClassifierMixin, BaseEstimator):
    """Fails to fit when a given speaker's clips are in the training data."""

    def __init__(self, poison=None):
        self.poison = poison

    def fit(self, X, y):
        if self.poison is not None and np.any(X[:, -1] == self.poison):
            raise RuntimeError("corrupt clip")
        self.model_ = DummyClassifier().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def _poisoned_corpus():
    X, y, speakers = corpus(n_speakers=6)
    speaker_ids = np.unique(speakers, return_inverse=True)[1]
    return np.column_stack([X, speaker_ids]), y, speakers


def _first_failing_fold(X, y, speakers, poison):
    cv = SpeakerStratifiedKFold(3, random_state=0)
    for fold, (train, _) in enumerate(cv.split(X, y, groups=speakers), start=1):
        if np.any(X[train, -1] == poison):
            return fold


def test_failed_fold_raises_with_completed_folds():
    X, y, speakers = _poisoned_corpus()
    # Speaker 0 is in every training set but the fold that tests it.
    poison = 0
    failing = _first_failing_fold(X, y, speakers, poison)
    with pytest.raises(CrossValidationError, match=f"fold {failing}/3 .* RuntimeError: corrupt"
                       ) as info:
        cross_validate_speakers(FailsOnFold(poison), X, y, speakers=speakers, n_splits=3)
    assert info.value.fold == failing
    assert len(info.value.results) == failing - 1
    assert isinstance(info.value.__cause__, RuntimeError)


def test_failed_fold_recorded_with_error_score():
    X, y, speakers = _poisoned_corpus()
    with pytest.warns(FitFailedWarning, match="corrupt clip"):
        results = cross_validate_speakers(
            FailsOnFold(0), X, y, speakers=speakers, n_splits=3, error_score=np.nan
        )
    assert len(results) == 3
    failed = results["error"].notna()
    assert failed.sum() == 2  # speaker 0 is trained on in two folds of three
    assert results.loc[failed, "uar"].isna().all()
    assert results.loc[~failed, "uar"].notna().all()
    assert results.loc[failed, "error"].str.contains("RuntimeError: corrupt clip").all()


def test_bad_error_score():
    X, y, speakers = corpus()
    with pytest.raises(ValueError, match="error_score"):
        cross_validate_speakers(DummyClassifier(), X, y, speakers=speakers, error_score="skip")


def test_progress_bar(capsys, monkeypatch):
    X, y, speakers = corpus()
    # Not on a terminal (captured stderr): no bar, no escape codes in a log.
    cross_validate_speakers(DummyClassifier(), X, y, speakers=speakers, n_splits=2,
                            progress="dummy")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sersk._progress.interactive", lambda stream=None: True)
    cross_validate_speakers(DummyClassifier(), X, y, speakers=speakers, n_splits=2,
                            progress="dummy")
    assert "dummy" in capsys.readouterr().err

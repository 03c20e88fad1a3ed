"""Leave-one-speaker-out, cross-corpus evaluation and transductive per-speaker normalisation."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sersk.datasets import audio_inputs, make_emotional_speech
from sersk.features import MFCC
from sersk.model_selection import (
    PROTOCOLS,
    LeaveOneSpeakerOut,
    ProtocolError,
    cross_corpus_evaluate,
    cross_corpus_label,
    cross_validate_speakers,
    make_splitter,
    shared_emotions,
    speaker_routes,
    tabulate_folds,
)
from sersk.preprocessing import (
    SpeakersMissingError,
    SpeakerStandardScaler,
    standardize_per_speaker,
)

EMOTIONS = np.array(["angry", "calm", "happy", "sad"])


def features(n_speakers=6, per_emotion=3, emotions=EMOTIONS, offset=5.0, seed=0, prefix="spk"):
    """Pooled-feature-like rows: the emotion is a small shift, each speaker a large offset."""
    rng = np.random.default_rng(seed)
    X, y, speakers = [], [], []
    for s in range(n_speakers):
        voice = offset * rng.normal(size=3)
        for k, emotion in enumerate(emotions):
            for _ in range(per_emotion):
                X.append(voice + 1.5 * np.eye(3)[k % 3] * (1 if k < 3 else -1)
                         + 0.3 * rng.normal(size=3))
                y.append(emotion)
                speakers.append(f"{prefix}{s:02d}")
    return np.array(X), np.array(y), np.array(speakers)


# --- leave-one-speaker-out ------------------------------------------------------------------


def test_loso_has_one_fold_per_speaker_holding_that_speaker_only():
    X, y, speakers = features(n_speakers=5)
    results = cross_validate_speakers(LogisticRegression(), X, y, speakers=speakers,
                                      protocol="loso")
    assert len(results) == 5 and results.attrs["n_splits"] == 5
    assert results["test_speakers"].map(len).eq(1).all()
    assert sorted(s for names in results["test_speakers"] for s in names) == sorted(
        set(speakers))
    for train, test in zip(results["train_speakers"], results["test_speakers"], strict=True):
        assert set(train) == set(speakers) - set(test)
    assert results["n_test"].sum() == len(y)
    assert set(results["protocol"]) == {"leave-one-speaker-out"}
    assert results.attrs["protocol"] == PROTOCOLS["loso"]


def test_loso_on_synthetic_audio():
    frame = make_emotional_speech(n_speakers=3, n_utterances=2, emotions=("angry", "sad"),
                                  duration=0.8, random_state=0)
    model = make_pipeline(MFCC(n_mfcc=8), StandardScaler(), LogisticRegression())
    results = cross_validate_speakers(model, audio_inputs(frame), frame["emotion"],
                                      speakers=frame["speaker"], protocol="loso")
    assert results["test_speakers"].map(tuple).tolist() == [
        (s,) for s in sorted(frame["speaker"].unique())]
    assert results["error"].isna().all() and results["uar"].between(0, 1).all()


def test_loso_splitter_needs_speakers():
    cv = make_splitter("loso", n_splits=3)
    assert isinstance(cv, LeaveOneSpeakerOut) and cv.protocol == "leave-one-speaker-out"
    with pytest.raises(ProtocolError, match="groups=speakers"):
        next(cv.split(np.zeros(4)))
    with pytest.raises(ProtocolError, match="groups=speakers"):
        cv.get_n_splits()
    with pytest.raises(ProtocolError, match="from 1 speakers"):
        next(cv.split(np.zeros(4), groups=["a"] * 4))
    X, y, _ = features(n_speakers=2)
    with pytest.raises(ProtocolError, match="leave-one-speaker-out protocol needs the speaker"):
        cross_validate_speakers(LogisticRegression(), X, y, protocol="loso")
    with pytest.raises(ValueError, match="'loso' = leave-one-speaker-out"):
        make_splitter("leave-one-out")


# --- cross-corpus ---------------------------------------------------------------------------


def two_corpora():
    Xa, ya, sa = features(emotions=np.array(["angry", "calm", "happy", "sad"]), prefix="a-")
    Xb, yb, sb = features(emotions=np.array(["angry", "boredom", "happy", "sad"]),
                          prefix="b-", seed=1)
    X = np.vstack([Xa, Xb])
    y = np.r_[ya, yb]
    corpora = np.repeat(["alpha", "beta"], [len(ya), len(yb)])
    return X, y, corpora, np.r_[sa, sb]


def test_cross_corpus_uses_only_shared_emotions():
    X, y, corpora, speakers = two_corpora()
    results = cross_corpus_evaluate(LogisticRegression(), X, y, corpora=corpora,
                                    test="beta", speakers=speakers)
    row = results.iloc[0]
    assert row["protocol"] == "cross-corpus (train alpha → test beta)"
    assert row["emotions"] == "angry happy sad"
    assert row["dropped_emotions"] == "alpha: calm; beta: boredom"
    assert results.attrs["labels"] == ["angry", "happy", "sad"]
    assert results.attrs["dropped"] == {"alpha": ["calm"], "beta": ["boredom"]}
    in_alpha = (corpora == "alpha") & np.isin(y, ["angry", "happy", "sad"])
    in_beta = (corpora == "beta") & np.isin(y, ["angry", "happy", "sad"])
    assert (row["n_train"], row["n_test"]) == (in_alpha.sum(), in_beta.sum())
    assert results.attrs["n_dropped_clips"] == {"alpha": 18, "beta": 18}
    assert {c for c in results if c.startswith("recall_")} == {
        "recall_angry", "recall_happy", "recall_sad"}
    assert row["confusion_matrix"].shape == (3, 3)
    assert row["confusion_matrix"].sum() == in_beta.sum()
    assert set(row["train_speakers"]) == set(speakers[corpora == "alpha"])
    assert set(row["test_speakers"]) == set(speakers[corpora == "beta"])
    # The same flat rows as cross-validation, for the benchmark table.
    table = tabulate_folds(results)
    assert "confusion_matrix" not in table and table.loc[0, "test_corpus"] == "beta"


def test_cross_corpus_with_several_training_corpora_on_audio():
    frames = []
    for k, (name, emotions) in enumerate([("alpha", ("angry", "sad", "happy")),
                                          ("beta", ("angry", "sad")),
                                          ("gamma", ("angry", "sad", "fearful"))]):
        frame = make_emotional_speech(n_speakers=2, n_utterances=2, emotions=emotions,
                                      duration=0.8, random_state=k)
        frame["corpus"] = name
        frame["speaker"] = name + "-" + frame["speaker"]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    model = make_pipeline(MFCC(n_mfcc=8), StandardScaler(), LogisticRegression())
    results = cross_corpus_evaluate(model, audio_inputs(frame), frame["emotion"],
                                    corpora=frame["corpus"], test="beta",
                                    speakers=frame["speaker"])
    row = results.iloc[0]
    assert row["protocol"] == cross_corpus_label(["alpha", "gamma"], "beta")
    assert row["protocol"] == "cross-corpus (train alpha + gamma → test beta)"
    assert row["emotions"] == "angry sad"
    assert row["dropped_emotions"] == "alpha: happy; gamma: fearful"
    assert (row["n_train"], row["n_test"]) == (16, 8)
    assert row["error"] is None and 0 <= row["uar"] <= 1


def test_cross_corpus_without_shared_emotions_is_a_clear_error():
    X, y, corpora, _ = two_corpora()
    y = np.where(corpora == "beta", "boredom", np.where(y == "boredom", "calm", y))
    y[(corpora == "beta")] = np.tile(["boredom", "disgust"], (corpora == "beta").sum() // 2)
    with pytest.raises(ProtocolError, match=r"no emotion is shared by the training corpora "
                       r"\(alpha\) and the test corpus \(beta\).*beta: boredom, disgust"):
        cross_corpus_evaluate(LogisticRegression(), X, y, corpora=corpora, test="beta")
    y[(corpora == "beta")] = np.tile(["boredom", "sad"], (corpora == "beta").sum() // 2)
    with pytest.raises(ProtocolError, match="only 'sad' is shared"):
        cross_corpus_evaluate(LogisticRegression(), X, y, corpora=corpora, test="beta")


def test_cross_corpus_rejects_bad_corpora():
    X, y, corpora, _ = two_corpora()
    model = LogisticRegression()
    with pytest.raises(ProtocolError, match="test corpus 'gamma' has no clips"):
        cross_corpus_evaluate(model, X, y, corpora=corpora, test="gamma")
    with pytest.raises(ProtocolError, match="both a training and the test corpus"):
        cross_corpus_evaluate(model, X, y, corpora=corpora, test="beta", train=["alpha", "beta"])
    with pytest.raises(ProtocolError, match="needs a training corpus"):
        cross_corpus_evaluate(model, X, y, corpora=np.full(len(y), "beta"), test="beta")
    with pytest.raises(ProtocolError, match=r"labels \['calm'\] are not held by every corpus"):
        cross_corpus_evaluate(model, X, y, corpora=corpora, test="beta", labels=["calm", "sad"])
    with pytest.raises(ValueError, match="one corpus per clip"):
        cross_corpus_evaluate(model, X, y, corpora=corpora[:-1], test="beta")
    assert shared_emotions(y, corpora, train=["alpha"], test="beta")[0] == [
        "angry", "happy", "sad"]


# --- transductive per-speaker normalisation -------------------------------------------------


def test_speaker_scaler_uses_only_each_speakers_own_rows():
    X, _, speakers = features(n_speakers=4)
    train, test = np.isin(speakers, ["spk00", "spk01"]), np.isin(speakers, ["spk02", "spk03"])
    scaler = SpeakerStandardScaler().fit(X[train], speakers=speakers[train])
    assert scaler.speakers_.tolist() == ["spk00", "spk01"]
    np.testing.assert_allclose(scaler.domain_mean_[1], X[speakers == "spk01"].mean(axis=0))
    np.testing.assert_allclose(scaler.domain_scale_[1], X[speakers == "spk01"].std(axis=0))

    out = scaler.transform(X[test], speakers=speakers[test])
    own = X[speakers == "spk02"]
    np.testing.assert_allclose(out[speakers[test] == "spk02"],
                               (own - own.mean(axis=0)) / own.std(axis=0))
    # Another speaker's rows change nothing for spk02.
    changed = X[test].copy()
    changed[speakers[test] == "spk03"] *= 100
    np.testing.assert_allclose(
        scaler.transform(changed, speakers=speakers[test])[speakers[test] == "spk02"],
        out[speakers[test] == "spk02"])
    # A training speaker keeps the statistics learnt in fit, whatever the batch.
    one_row = X[speakers == "spk00"][:1]
    np.testing.assert_allclose(scaler.transform(one_row, speakers=["spk00"]),
                               (one_row - scaler.domain_mean_[0]) / scaler.domain_scale_[0])
    np.testing.assert_allclose(standardize_per_speaker(X[test], speakers=speakers[test]), out)


def test_speaker_scaler_needs_speakers_and_says_how():
    X, _, speakers = features(n_speakers=2)
    with pytest.raises(SpeakersMissingError, match="enable_metadata_routing=True"):
        SpeakerStandardScaler().fit(X)
    scaler = SpeakerStandardScaler().fit(X, speakers=speakers)
    with pytest.raises(SpeakersMissingError, match="transform needs the speaker of every row"):
        scaler.transform(X)
    with pytest.raises(ValueError, match="one speaker per row"):
        scaler.transform(X, speakers=speakers[:-1])
    with pytest.raises(ValueError, match="fewer than min_clips=3"):
        SpeakerStandardScaler(min_clips=3).fit(X, speakers=speakers).transform(
            X[:2], speakers=["new", "new"])
    # A pipeline without metadata routing cannot hand it the speakers: an error, not a guess.
    with pytest.raises(SpeakersMissingError):
        make_pipeline(SpeakerStandardScaler(), LogisticRegression()).fit(X, speakers)


def test_speaker_scaler_is_a_well_behaved_estimator():
    X, _, speakers = features(n_speakers=2)
    scaler = SpeakerStandardScaler(with_std=False).fit(X, speakers=speakers)
    again = pickle.loads(pickle.dumps(scaler))
    np.testing.assert_array_equal(again.transform(X, speakers=speakers),
                                  scaler.transform(X, speakers=speakers))
    assert clone(scaler).get_params() == {"with_mean": True, "with_std": False, "min_clips": 1,
                                         "fallback": False}
    frame = pd.DataFrame(X, columns=["f0_mean", "rms_mean", "zcr_mean"])
    out = SpeakerStandardScaler().set_output(transform="pandas").fit_transform(
        frame, speakers=speakers)
    assert out.columns.tolist() == ["f0_mean", "rms_mean", "zcr_mean"]


def test_transductive_results_are_labelled_and_get_the_speakers():
    X, y, speakers = features(n_speakers=6, offset=20.0)
    plain = make_pipeline(StandardScaler(), LogisticRegression())
    transductive = make_pipeline(SpeakerStandardScaler(), LogisticRegression())
    assert not speaker_routes(plain).transductive
    assert speaker_routes(transductive).transductive
    base = cross_validate_speakers(plain, X, y, speakers=speakers, n_splits=3)
    per_speaker = cross_validate_speakers(transductive, X, y, speakers=speakers, n_splits=3)
    assert set(base["protocol"]) == {"speaker-independent"}
    assert set(per_speaker["protocol"]) == {"speaker-independent, transductive"}
    assert per_speaker.attrs["protocol"] == "speaker-independent, transductive"
    # The speakers reached the scaler: with large voice offsets, only it separates emotions.
    assert per_speaker["uar"].mean() > 0.9 > base["uar"].mean() + 0.2
    # Routing was enabled only around the pipeline; the global setting is untouched.
    assert not sklearn.get_config()["enable_metadata_routing"]

    loso = cross_validate_speakers(transductive, X, y, speakers=speakers, protocol="loso")
    assert set(loso["protocol"]) == {"leave-one-speaker-out, transductive"}
    with pytest.raises(ProtocolError, match="asks for the speaker of every clip"):
        cross_validate_speakers(transductive, X, y, protocol="random")

    Xc, yc, corpora, speakers_c = two_corpora()
    results = cross_corpus_evaluate(transductive, Xc, yc, corpora=corpora, test="beta",
                                    speakers=speakers_c)
    assert results.loc[0, "protocol"] == "cross-corpus (train alpha → test beta), transductive"

"""Using a model on other recordings: leave-one-corpus-out, predictions restricted to a set of
emotions, and adaptation from unlabelled audio (per-domain standardisation), in the library
and on the command line. Every clip is generated here."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import sklearn
from conftest import SR
from scipy.signal import lfilter
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sersk.audio import save_audio
from sersk.cli import main
from sersk.datasets import audio_inputs, make_emotional_speech
from sersk.features import MFCC
from sersk.inference import adapt_to_clips, predict_clips
from sersk.model_selection import (
    LeaveOneCorpusOut,
    ProtocolError,
    cross_validate_speakers,
    make_splitter,
)
from sersk.models import UnknownEmotionError, predict_among, restrict_probabilities
from sersk.persistence import save_model
from sersk.preprocessing import (
    DomainStandardScaler,
    DomainTooSmallError,
    adapt_pipeline,
    fit_domain,
)

EMOTIONS = {"a": ("calm", "sad", "angry"), "b": ("sad", "angry", "boredom"),
            "c": ("sad", "angry", "happy")}
SIGNAL = {"calm": -2.0, "sad": -1.0, "angry": 2.0, "boredom": -3.0, "happy": 1.0}


def three_corpora(seed: int = 0):
    """Features of three corpora, each with its own offset (its recording conditions) and
    emotions: X, y, speakers, corpora."""
    rng = np.random.default_rng(seed)
    X, y, speakers, corpora = [], [], [], []
    for corpus, emotions in EMOTIONS.items():
        offset = rng.normal(scale=6.0, size=4)
        for speaker in range(3):
            for emotion in emotions:
                for _ in range(6):
                    row = rng.normal(size=4) + offset
                    row[0] += SIGNAL[emotion]
                    X.append(row)
                    y.append(emotion)
                    speakers.append(f"{corpus}-{speaker}")
                    corpora.append(corpus)
    return np.array(X), np.array(y), np.array(speakers), np.array(corpora)


def model():
    return make_pipeline(StandardScaler(), LogisticRegression())


# Leave-one-corpus-out ---------------------------------------------------------------------


def test_loco_tests_each_corpus_on_a_model_of_the_others():
    X, y, speakers, corpora = three_corpora()
    cv = make_splitter("loco")
    assert isinstance(cv, LeaveOneCorpusOut) and cv.get_n_splits(groups=corpora) == 3
    for train, test in cv.split(X, y, groups=corpora):
        assert len(set(corpora[test])) == 1
        assert corpora[test[0]] not in set(corpora[train])
        assert not set(speakers[train]) & set(speakers[test])
        assert set(y[test]) <= set(y[train])  # never scored on an emotion it did not learn

    results, clips = cross_validate_speakers(model(), X, y, speakers=speakers, corpora=corpora,
                                             protocol="loco", return_predictions=True)
    assert results["protocol"].unique().tolist() == ["leave-one-corpus-out"]
    assert results["test_corpus"].tolist() == ["a", "b", "c"]
    # Each corpus's emotion found in no other corpus is left out of its test clips.
    assert results["emotions"].tolist() == ["angry sad"] * 3
    assert results["n_left_out"].tolist() == [18, 18, 18]
    assert results["restricted"].all()
    assert {"recall_angry", "recall_sad", "recall_calm"} <= set(results)
    assert results["recall_calm"].isna().all()  # never a test emotion
    assert len(clips) == 3 * 36


def test_loco_refuses_a_speaker_in_two_corpora_and_needs_corpora():
    X, y, speakers, corpora = three_corpora()
    speakers = speakers.copy()
    speakers[corpora == "b"] = "a-0"
    with pytest.raises(ProtocolError, match=r"speakers \['a-0'\] are in both"):
        cross_validate_speakers(model(), X, y, speakers=speakers, corpora=corpora,
                                protocol="loco")
    with pytest.raises(ProtocolError, match="needs the corpus of every clip"):
        cross_validate_speakers(model(), X, y, speakers=speakers, protocol="loco")
    with pytest.raises(ProtocolError, match="at least two corpora"):
        cross_validate_speakers(model(), X, y, corpora=["a"] * len(y), protocol="loco")


# Restriction ------------------------------------------------------------------------------


def test_a_class_absent_from_the_test_corpus_is_never_predicted():
    X, y, speakers, corpora = three_corpora()
    _, restricted = cross_validate_speakers(model(), X, y, speakers=speakers, corpora=corpora,
                                            protocol="loco", return_predictions=True)
    assert set(restricted["y_pred"]) <= {"angry", "sad"}
    results, free = cross_validate_speakers(model(), X, y, speakers=speakers, corpora=corpora,
                                            protocol="loco", restrict=False,
                                            return_predictions=True)
    assert results["protocol"].unique().tolist() == ["leave-one-corpus-out, unrestricted"]
    assert not results["restricted"].any()
    assert set(free["y_pred"]) - {"angry", "sad"}  # the offsets make it guess other emotions


def test_predict_among_and_restricted_probabilities():
    X, y, _, _ = three_corpora()
    # predict_proba, then decision_function
    for estimator in (LogisticRegression(max_iter=1000), LinearSVC()):
        fitted = estimator.fit(X, y)
        among = predict_among(fitted, X, ["calm", "happy"])
        assert set(among) <= {"calm", "happy"} and len(set(among)) == 2
        np.testing.assert_array_equal(predict_among(fitted, X, fitted.classes_),
                                      fitted.predict(X))
    with pytest.raises(UnknownEmotionError, match="does not know surprised: its emotions are"):
        predict_among(fitted, X, ["calm", "surprised"])
    proba, kept = restrict_probabilities([[0.1, 0.6, 0.3], [0.0, 1.0, 0.0]], ["a", "b", "c"],
                                         ["c", "a"])
    assert kept.tolist() == ["a", "c"]
    np.testing.assert_allclose(proba, [[0.25, 0.75], [0.5, 0.5]])


# Adaptation -------------------------------------------------------------------------------


def test_domain_scaler_standardises_each_domain_with_its_own_statistics():
    X, y, _, corpora = three_corpora()
    train = corpora != "c"
    scaler = DomainStandardScaler().fit(X[train], domains=corpora[train])
    assert scaler.domains_.tolist() == ["a", "b"]
    np.testing.assert_allclose(scaler.mean_, X[train].mean(axis=0))
    own = X[corpora == "c"]
    np.testing.assert_allclose(scaler.transform(own, domains=["c"] * len(own)),
                               (own - own.mean(axis=0)) / own.std(axis=0))
    # A known domain keeps its training statistics; no domains: the pooled ones.
    one = X[corpora == "a"][:1]
    np.testing.assert_allclose(scaler.transform(one, domains=["a"]),
                               (one - scaler.domain_mean_[0]) / scaler.domain_scale_[0])
    np.testing.assert_allclose(scaler.transform(one), (one - scaler.mean_) / scaler.scale_)


def test_a_one_clip_domain_is_refused_unless_falling_back():
    X, y, _, corpora = three_corpora()
    scaler = DomainStandardScaler().fit(X, domains=corpora)
    with pytest.raises(DomainTooSmallError, match=r"domain 'new' has 1 clip\(s\), fewer than "
                       r"min_clips=10: too few to estimate its own statistics"):
        scaler.transform(X[:1], domains=["new"])
    fallback = DomainStandardScaler(fallback=True).fit(X, domains=corpora)
    np.testing.assert_allclose(fallback.transform(X[:1], domains=["new"]),
                               (X[:1] - fallback.mean_) / fallback.scale_)
    fitted = model().fit(X, y)
    with pytest.raises(DomainTooSmallError, match="1 clip.s. are too few"):
        fit_domain(fitted, X[:1])
    assert fit_domain(fitted, X[:1], fallback=True) is fitted


def test_loco_adapted_per_corpus_beats_the_unadapted_model():
    X, y, speakers, corpora = three_corpora()
    plain = cross_validate_speakers(model(), X, y, speakers=speakers, corpora=corpora,
                                    protocol="loco")
    adapted = adapt_pipeline(model())
    assert isinstance(adapted.steps[0][1], DomainStandardScaler)
    results = cross_validate_speakers(adapted, X, y, speakers=speakers, corpora=corpora,
                                      domains=corpora, protocol="loco")
    assert results["protocol"].unique().tolist() == [
        "leave-one-corpus-out, transductive (adapted per corpus)"]
    assert results["uar"].mean() > plain["uar"].mean() + 0.2
    by_speaker = cross_validate_speakers(adapted, X, y, speakers=speakers, corpora=corpora,
                                         domains=speakers, protocol="loco")
    assert by_speaker["protocol"].iloc[0].endswith("transductive (adapted per speaker)")
    with pytest.raises(ProtocolError, match="pass domains="):
        cross_validate_speakers(adapted, X, y, speakers=speakers, corpora=corpora,
                                protocol="loco")


def test_a_fitted_model_adapts_to_a_shifted_domain_without_retraining():
    X, y, _, corpora = three_corpora()
    home = corpora == "a"
    fitted = model().fit(X[home], y[home])
    shifted = X[home] * 1.5 + 7.0  # another microphone: every feature moved and stretched
    before = np.mean(fitted.predict(shifted) == y[home])
    after = np.mean(fit_domain(fitted, shifted).predict(shifted) == y[home])
    assert after > before + 0.3
    with sklearn.config_context(enable_metadata_routing=True):
        routed = adapt_pipeline(fitted).predict(shifted, domains=["phone"] * len(shifted))
    np.testing.assert_array_equal(routed, fit_domain(fitted, shifted).predict(shifted))
    with pytest.raises(ValueError, match="has none"):
        adapt_pipeline(make_pipeline(LogisticRegression()))


def muffled(y: np.ndarray) -> np.ndarray:
    """A cheap, muffled microphone: low-passed, quieter, with a hum."""
    t = np.arange(y.shape[0]) / SR
    return (0.3 * lfilter([0.2, 0.2, 0.2, 0.2, 0.2], [1.0], y)
            + 0.01 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def audio_model():
    """MFCC -> scaler -> logistic regression on synthetic emotional speech: (model, frame)."""
    frame = make_emotional_speech(n_speakers=4, n_utterances=4, emotions=("angry", "sad"),
                                  duration=0.8, random_state=0)
    fitted = make_pipeline(MFCC(n_mfcc=13), StandardScaler(), LogisticRegression(max_iter=500))
    return fitted.fit(audio_inputs(frame), frame["emotion"]), frame


def test_adapting_to_muffled_audio_recovers_accuracy(audio_model):
    fitted, _ = audio_model
    test = make_emotional_speech(n_speakers=2, n_utterances=6, emotions=("angry", "sad"),
                                 duration=0.8, random_state=7)
    clips = [(muffled(y), sr) for y, sr in test["audio"]]
    truth = test["emotion"].to_numpy()
    before = np.mean(predict_clips(fitted, clips)["emotion"].to_numpy() == truth)
    adapted = adapt_to_clips(fitted, clips)
    after = np.mean(predict_clips(adapted, clips)["emotion"].to_numpy() == truth)
    assert after > before
    with pytest.raises(DomainTooSmallError):
        adapt_to_clips(fitted, clips[:1])
    table = predict_clips(fitted, clips[:3], emotions=["sad"])
    assert table["emotion"].tolist() == ["sad"] * 3
    assert [c for c in table if c.startswith("proba_")] == ["proba_sad"]
    np.testing.assert_allclose(table["confidence"], 1.0)


# Command line -----------------------------------------------------------------------------


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


SYNTHETIC = ["--corpus", "synthetic", "--synthetic-speakers", "3", "--synthetic-utterances", "4",
             "--seed", "3"]


@pytest.fixture(scope="module")
def saved(audio_model, tmp_path_factory):
    """The audio model saved, and a folder of 12 muffled clips."""
    folder = tmp_path_factory.mktemp("generalisation")
    fitted, _ = audio_model
    path = folder / "model.joblib"
    save_model(fitted, path)
    clips = folder / "clips"
    clips.mkdir()
    test = make_emotional_speech(n_speakers=2, n_utterances=3, emotions=("angry", "sad"),
                                 duration=0.8, random_state=9)
    for i, (y, sr) in enumerate(test["audio"]):
        save_audio(clips / f"clip{i:02d}.wav", muffled(y), sr)
    return path, clips


def test_cli_evaluate_restricts_and_adapts(saved):
    path, _ = saved
    status, out, err = cli("evaluate", str(path), *SYNTHETIC, "--format", "json")
    assert status == 0, err
    assert json.loads(out)["restricted_to"] is None  # the clips hold every model emotion
    assert "left out" in err  # synthetic emotions the model does not know

    status, out, err = cli("evaluate", str(path), *SYNTHETIC, "--emotions", "sad",
                           "--format", "json")
    assert status == 0, err
    result = json.loads(out)
    assert result["restricted_to"] == ["sad"] and result["recall"]["sad"] == 1.0
    assert "predictions restricted to the 1 emotions" in err
    status, out, err = cli("evaluate", str(path), *SYNTHETIC, "--emotions", "sad",
                           "--no-restrict", "--format", "json")
    assert json.loads(out)["restricted_to"] is None

    status, out, err = cli("evaluate", str(path), *SYNTHETIC, "--adapt", "speaker",
                           "--min-clips", "8")
    assert status == 0, err
    assert "adapted (transductive): the features of each speaker standardised" in out
    status, out, err = cli("evaluate", str(path), *SYNTHETIC, "--adapt", "speaker",
                           "--min-clips", "100")
    assert status == 1
    assert "--adapt speaker: speaker synthetic-" in err and "too few" in err
    assert "--fallback" in err


def test_cli_predict_adapts_and_restricts(saved):
    path, clips = saved
    status, out, err = cli("predict", str(path), str(clips), "--adapt", "--format", "csv")
    assert status == 0, err
    assert "adapted (transductive): the features of the files given" in err
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 12

    status, out, err = cli("predict", str(path), str(clips / "clip00.wav"), "--adapt")
    assert status == 1 and "1 clip(s) are too few" in err and "--fallback" in err
    status, out, err = cli("predict", str(path), str(clips / "clip00.wav"), "--adapt",
                           "--fallback")
    assert status == 0, err

    status, out, err = cli("predict", str(path), str(clips), "--emotions", "angry",
                           "--format", "csv")
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert set(table["emotion"]) == {"angry"} and "proba_sad" not in table
    status, out, err = cli("predict", str(path), str(clips), "--emotions", "calm")
    assert status == 1 and "--emotions: the model does not know calm" in err

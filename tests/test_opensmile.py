"""openSMILE feature sets: the transformers (with the opensmile extra), and the extra missing."""

from __future__ import annotations

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone

import pipelines
from sersk.audio import save_audio
from sersk.exceptions import AudioError, SerskError
from sersk.features import FixedLengthSequence, OpenSmileFunctionals, OpenSmileLLD, _opensmile

SR = 16_000

try:
    import opensmile
except ImportError:
    opensmile = None

needs_opensmile = pytest.mark.skipif(opensmile is None,
                                     reason='needs the opensmile extra: pip install '
                                     '"sersk[opensmile]"')


@pytest.fixture
def voices(make_voice):
    return [(make_voice(f0=120.0 + 80 * i, duration=0.8 + 0.1 * i, seed=i), SR)
            for i in range(3)]


@pytest.fixture
def without_opensmile(monkeypatch):
    """As if the extra were not installed: importing opensmile fails."""
    monkeypatch.setitem(sys.modules, "opensmile", None)
    _opensmile._smile.cache_clear()
    yield
    _opensmile._smile.cache_clear()


# --- without the extra ------------------------------------------------------------------------
def test_listing_and_describing_work_without_the_extra(without_opensmile):
    assert {"egemaps-svm", "compare-svm"} <= set(pipelines.available())
    assert "opensmile" in pipelines.describe("egemaps-svm")
    OpenSmileFunctionals()  # constructing is fine; extracting needs the package


@pytest.mark.parametrize("name", ["egemaps-svm", "compare-svm"])
def test_building_a_pipeline_names_the_extra(without_opensmile, name):
    with pytest.raises(ImportError, match=r"needs the opensmile extra, which is not installed "
                       r"\(no opensmile\): pip install .*\[opensmile\]") as excinfo:
        pipelines.make(name)
    assert isinstance(excinfo.value, SerskError)
    assert "\n" not in str(excinfo.value)


def test_sersk_train_says_which_extra_in_one_line(without_opensmile, capsys):
    from sersk.cli import main

    status = main(["train", "egemaps-svm", "--corpus", "synthetic", "--synthetic-speakers", "3",
                   "--synthetic-utterances", "2"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("sersk: error: pipeline 'egemaps-svm' needs the opensmile extra, "
                           "which is not installed (no opensmile): pip install ")
    assert last.endswith('[opensmile]"')


@pytest.mark.parametrize("cls", [OpenSmileFunctionals, OpenSmileLLD])
def test_extracting_names_the_extra(without_opensmile, cls, make_voice):
    clips = [(make_voice(duration=0.8), SR)]
    with pytest.raises(ImportError, match=r"openSMILE features needs the opensmile extra"):
        cls().fit(clips).transform(clips)


# --- with the extra ---------------------------------------------------------------------------
@needs_opensmile
@pytest.mark.parametrize(("feature_set", "n_functionals", "n_lld"),
                         [("eGeMAPSv02", 88, 25), ("ComParE_2016", 6373, 65)])
def test_functionals_are_opensmiles_named_columns(voices, feature_set, n_functionals, n_lld):
    est = OpenSmileFunctionals(feature_set=feature_set, trim_db=None).fit(voices)
    X = est.transform(voices)
    assert X.shape == (3, n_functionals) and X.dtype == np.float32
    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                            feature_level=opensmile.FeatureLevel.Functionals)
    expected = smile.process_signal(voices[1][0], SR)
    np.testing.assert_allclose(X[1], expected.to_numpy()[0], rtol=1e-5, atol=1e-6)
    names = est.get_feature_names_out()
    assert list(names) == list(expected.columns)
    frame = clone(est).set_output(transform="pandas").fit(voices).transform(voices)
    assert list(frame.columns) == list(names) and frame.shape == (3, n_functionals)
    lld = OpenSmileLLD(feature_set=feature_set, pooling="frames", trim_db=None).fit(voices)
    frames = lld.transform(voices)
    # One descriptor row per 10 ms.
    assert frames[2].shape[1] == n_lld and abs(frames[2].shape[0] - 1.0 * 100) <= 6


@needs_opensmile
def test_lld_pooled_and_as_sequences(voices):
    pooled = OpenSmileLLD().fit(voices)
    X = pooled.transform(voices)
    assert X.shape == (3, len(pooled.get_feature_names_out()))
    assert pooled.get_feature_names_out()[0] == "Loudness_sma3_mean"
    sequences = OpenSmileLLD(pooling=FixedLengthSequence(n_frames=50, return_mask=False))
    seq = sequences.fit(voices).transform(voices)
    assert seq.shape == (3, 50, 25) and np.isfinite(seq).all()


@needs_opensmile
def test_clone_pickle_and_parallel_give_the_same_features(voices):
    est = OpenSmileFunctionals().fit(voices)
    X = est.transform(voices)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(voices), X)
    np.testing.assert_array_equal(clone(est).fit(voices).transform(voices), X)
    # Fresh worker processes: reused ones may have imported TensorFlow (the Keras tests train
    # in workers), after which openSMILE's library cannot be loaded (see _check_loadable).
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    np.testing.assert_array_equal(
        OpenSmileFunctionals(n_jobs=2).fit(voices).transform(voices), X)
    assert "_smile" not in vars(est)  # openSMILE's own object is never part of the state


@needs_opensmile
def test_cache_is_read_back_and_keyed_by_feature_set(tmp_path, voices, monkeypatch):
    calls = []
    original = OpenSmileFunctionals._frame_matrix
    monkeypatch.setattr(OpenSmileFunctionals, "_frame_matrix",
                        lambda self, y: calls.append(1) or original(self, y))
    memory = joblib.Memory(tmp_path, verbose=0)
    first = OpenSmileFunctionals(memory=memory).fit(voices).transform(voices)
    assert len(calls) == 3
    second = OpenSmileFunctionals(memory=tmp_path).fit(voices).transform(voices)
    assert len(calls) == 3
    np.testing.assert_array_equal(first, second)
    other = OpenSmileFunctionals(feature_set="ComParE_2016", memory=tmp_path)
    assert other.fit(voices).transform(voices).shape == (3, 6373) and len(calls) == 6


@needs_opensmile
def test_a_too_short_clip_is_named_after_the_others(tmp_path, voices):
    short = tmp_path / "short.wav"
    save_audio(short, voices[0][0][:800], SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"short\.wav.*too short"):
        OpenSmileFunctionals(trim_db=None, min_duration=0).fit([voices[0]]).transform(
            [voices[0], str(short)])


@needs_opensmile
def test_opensmile_features_function_checks_its_inputs():
    y = np.zeros(SR, dtype=np.float32)
    with pytest.raises(ValueError, match="feature_set must be one of"):
        _opensmile.opensmile_features(y=y, sr=SR, feature_set="IS09")
    with pytest.raises(ValueError, match="level must be one of"):
        _opensmile.opensmile_features(y=y, sr=SR, level="deltas")
    with pytest.raises(ValueError, match="at least 0.1 s"):
        _opensmile.opensmile_features(y=y[:1000], sr=SR)


@needs_opensmile
def test_egemaps_pipeline_fits_predicts_and_round_trips(tmp_path, make_voice):
    low = [(make_voice(f0=100.0 + 5 * i, duration=0.8, seed=10 + i), SR) for i in range(6)]
    high = [(make_voice(f0=260.0 + 5 * i, duration=0.8, seed=20 + i), SR) for i in range(6)]
    model = pipelines.make("egemaps-svm", n_jobs=1)
    model.fit(low + high, ["calm"] * 6 + ["angry"] * 6)
    assert list(model.predict([low[0], high[0]])) == ["calm", "angry"]
    assert model.predict_proba([low[0]]).shape == (1, 2)
    path = tmp_path / "egemaps.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict_proba([low[1], high[1]]),
                                  model.predict_proba([low[1], high[1]]))


def test_the_benchmark_leaves_them_out_without_the_extra(without_opensmile, capsys):
    import argparse

    from benchmarks import run

    chosen = run.choose_pipelines(argparse.Namespace(pipelines=None, whisper_model=None))
    assert chosen and not {"egemaps-svm", "compare-svm"} & set(chosen)
    assert ("leaving out compare-svm, egemaps-svm: the opensmile extra is not installed (no "
            "opensmile): pip install ") in capsys.readouterr().out
    with pytest.raises(run.UsageError, match=r"egemaps-svm cannot run here: the opensmile extra "):
        run.choose_pipelines(argparse.Namespace(pipelines=["egemaps-svm"], whisper_model=None))


@needs_opensmile
def test_tensorflow_first_is_a_clear_error_not_a_crash():
    # In a fresh process: TensorFlow imported before openSMILE's library is loaded.
    code = ("import sys, numpy as np; sys.modules['tensorflow'] = type(sys)('tensorflow'); "
            "from sersk.features import OpenSmileFunctionals; "
            "clips = [(np.random.default_rng(0).standard_normal(16000) * 0.1, 16000)]; "
            "OpenSmileFunctionals(trim_db=None).fit(clips).transform(clips)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "openSMILE cannot be loaded in a process that has already imported TensorFlow" \
        in done.stderr

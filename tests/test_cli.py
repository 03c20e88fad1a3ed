"""The ``sersk`` command line: its commands, exit codes and messages."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from _trained_models import low_then_high, pitch_model, repo_env
from conftest import SR, voice_like

from sersk import persistence
from sersk.audio import save_audio
from sersk.cli import main
from sersk.persistence import read_metadata, save_model

SYNTHETIC = ["--corpus", "synthetic", "--synthetic-speakers", "3", "--synthetic-utterances", "2"]


def run(*argv: str) -> tuple[int, str, str]:
    """main(argv) in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            status = exc.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``sersk train`` on a tiny synthetic corpus, with 3-fold CV: (model path, outputs)."""
    folder = tmp_path_factory.mktemp("cli")
    model = folder / "ser.joblib"
    result = run("train", "mfcc-svm", *SYNTHETIC, "--cv", "3", "--confusion",
                 str(folder / "cv.png"), "-o", str(model))
    return model, folder, result


@pytest.fixture(scope="module")
def clips(trained):
    """A folder of clips: two synthetic ones, a long one, and a text file named .wav."""
    from sersk.datasets import make_emotional_speech

    _, folder, _ = trained
    clips = folder / "clips"
    (clips / "sub").mkdir(parents=True)
    frame = make_emotional_speech(n_speakers=1, n_utterances=1, emotions=("angry", "sad"),
                                  random_state=5)
    for (y, sr), emotion in zip(frame["audio"], frame["emotion"], strict=True):
        save_audio(clips / f"{emotion}.wav", y, sr)
    save_audio(clips / "sub" / "long.flac", low_then_high(seconds=7.0), SR)
    return clips


def test_train_saves_a_model_with_its_story(trained):
    model, folder, (status, out, err) = trained
    assert status == 0, err
    assert out.startswith(f"saved {model} (mfcc-svm, 6 emotions; speaker-independent 3-fold UAR")
    assert "training mfcc-svm on 36 clips of synthetic (3 speakers;" in err
    assert "not speech" in err
    meta = read_metadata(model)
    assert meta["pipeline"] == "mfcc-svm" and meta["corpora"] == ["synthetic"]
    assert meta["n_train"] == 36 and meta["n_speakers"] == 3 and meta["synthetic"] is True
    assert meta["metrics"]["protocol"] == "speaker-independent"
    assert meta["metrics"]["n_splits"] == 3
    assert 0 <= meta["metrics"]["uar_mean"] <= 1
    assert np.asarray(meta["metrics"]["confusion_matrix"]).sum() == 36
    assert (folder / "cv.png").stat().st_size > 1000
    # The saved model does not keep the training cache or worker settings.
    pipeline, _ = persistence.load_model(model)
    assert pipeline.named_steps["features"].memory is None


def test_predict_prints_a_table(trained, clips):
    model, *_ = trained
    status, out, err = run("predict", str(model), str(clips / "angry.wav"),
                           str(clips / "sad.wav"))
    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["file", "emotion", "confidence", "angry", "disgust", "fearful",
                              "happy", "neutral", "sad"]
    assert len(rows) == 2 and rows[0].split()[0].endswith("angry.wav")
    probabilities = np.array([row.split()[3:] for row in rows], dtype=float)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=0.01)


def test_predict_csv_and_json(trained, clips):
    model, *_ = trained
    status, out, _ = run("predict", str(model), str(clips / "angry.wav"), "--format", "csv")
    assert status == 0
    header, row = out.splitlines()
    assert header.split(",")[:5] == ["file", "duration", "n_windows", "emotion", "confidence"]
    assert header.split(",")[-1] == "error" and "proba_angry" in header
    status, out, _ = run("predict", str(model), str(clips / "angry.wav"), "--format", "json")
    (record,) = json.loads(out)
    assert record["file"].endswith("angry.wav") and record["error"] is None
    assert record["confidence"] == max(v for k, v in record.items() if k.startswith("proba_"))


def test_predict_min_confidence_answers_uncertain(trained, clips):
    """python -m sersk predict --min-confidence: 'uncertain' below the threshold, probabilities
    kept; a threshold between the two clips' confidences splits them."""
    model, *_ = trained
    files = [str(clips / "angry.wav"), str(clips / "sad.wav")]
    status, out, _ = run("predict", str(model), *files, "--format", "json")
    plain = json.loads(out)
    result = subprocess.run(
        [sys.executable, "-m", "sersk", "predict", str(model), *files, "--format", "json",
         "--min-confidence", "0.9"],
        capture_output=True, text=True, env=repo_env(), timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sure = json.loads(result.stdout)
    for before, after in zip(plain, sure, strict=True):
        expected = "uncertain" if before["confidence"] < 0.9 else before["emotion"]
        assert after["emotion"] == expected
        assert after["confidence"] == before["confidence"]
        assert after["proba_angry"] == before["proba_angry"]
    n = sum(r["emotion"] == "uncertain" for r in sure)
    assert f"{n} of 2 file(s) below confidence 0.9: answered 'uncertain'" in result.stderr

    low, high = sorted(r["confidence"] for r in plain)
    assert low < high
    status, out, err = run("predict", str(model), *files, "--min-confidence",
                           f"{(low + high) / 2:.6f}")
    assert status == 0, err
    emotions = [line.split()[1] for line in out.splitlines()[1:]]
    assert emotions.count("uncertain") == 1
    assert "1 of 2 file(s) below confidence" in err
    status, out, err = run("predict", str(model), files[0], "--timeline", "--min-confidence", "1")
    assert status == 0, err
    assert {line.split()[3] for line in out.splitlines()[1:]} == {"uncertain"}
    assert "window(s) below confidence 1" in err


@pytest.mark.parametrize("value", ["1.5", "-0.2", "high"])
def test_predict_min_confidence_must_be_a_probability(trained, clips, value):
    model, *_ = trained
    status, _, err = run("predict", str(model), str(clips / "sad.wav"), "--min-confidence",
                         value)
    assert status == 2
    assert "argument --min-confidence: expected a probability from 0 to 1" in err


def test_predict_searches_folders_and_reports_bad_files(trained, clips, tmp_path):
    model, *_ = trained
    bad = tmp_path / "bad"
    shutil.copytree(clips, bad)
    (bad / "notes.wav").write_text("not audio")
    status, out, err = run("predict", str(model), str(bad), str(tmp_path / "missing.wav"),
                           "-o", str(tmp_path / "out.txt"))
    assert status == 1
    assert "Traceback" not in err
    assert f"sersk: error: {bad / 'notes.wav'}: cannot be decoded as audio" in err
    assert f"sersk: error: {tmp_path / 'missing.wav'}: file not found" in err
    assert "2 of 5 file(s) could not be classified" in err
    table = (tmp_path / "out.txt").read_text()
    assert "angry.wav" in table and "sub/long.flac" in table and "notes.wav" not in table
    assert out == ""


def test_long_files_are_classified_in_windows(tmp_path):
    model = tmp_path / "pitch.joblib"
    save_model(pitch_model(), model)
    long = tmp_path / "long.wav"
    save_audio(long, low_then_high(seconds=7.0), SR)

    status, out, _ = run("predict", str(model), str(long), "--format", "json")
    assert status == 0 and json.loads(out)[0]["n_windows"] == 12
    status, out, _ = run("predict", str(model), str(long), "--format", "json", "--long", "60")
    assert json.loads(out)[0]["n_windows"] == 1

    status, out, err = run("predict", str(model), str(long), "--timeline", "--format", "csv",
                           "--window", "2", "--hop", "2", "--plot", str(tmp_path / "t.png"))
    assert status == 0, err
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert [r[1] for r in rows] == [f"{2 * i:.4f}" for i in range(7)]
    assert rows[0][3] == "low" and rows[-1][3] == "high"
    assert (tmp_path / "t.png").stat().st_size > 1000

    plots = tmp_path / "plots"
    status, _, _ = run("predict", str(model), str(long), str(long), "--plot", str(plots))
    assert status == 0 and [p.name for p in plots.iterdir()] == ["long.wav.png"]
    status, _, err = run("predict", str(model), str(long), str(long), "--plot", "x.png")
    assert status == 1 and "give a folder instead" in err


def test_evaluate_scores_and_warns_about_training_data(trained, tmp_path):
    model, *_ = trained
    status, out, err = run("evaluate", str(model), *SYNTHETIC, "--format", "json",
                           "--confusion", str(tmp_path / "c.png"))
    assert status == 0, err
    result = json.loads(out)
    assert result["n_clips"] == 36 and 0 <= result["uar"] <= 1
    assert np.asarray(result["confusion_matrix"]).sum() == 36
    assert "trained on synthetic" in err  # the same clips it was trained on
    assert (tmp_path / "c.png").exists()

    status, out, err = run("evaluate", str(model), *SYNTHETIC, "--seed", "4",
                           "--emotions", "angry", "sad")
    assert status == 0, err
    assert "trained on synthetic" not in err  # other speakers
    assert "on synthetic: 12 clips" in out and "UAR" in out and "confusion matrix" in out
    # Who it works for: the synthetic corpus has women and men, three speakers, one corpus.
    assert "UAR by gender (95 % bootstrap intervals over speakers" in out
    assert "UAR by speaker" in out and "synthetic-03" in out
    assert "UAR by corpus" not in out


def test_evaluate_json_has_the_group_breakdowns(trained):
    model, *_ = trained
    status, out, err = run("evaluate", str(model), *SYNTHETIC, "--seed", "4", "--format",
                           "json")
    assert status == 0, err
    groups = json.loads(out)["groups"]
    assert list(groups) == ["gender", "speaker"]
    speakers = groups["speaker"]["groups"]
    assert [g["group"] for g in speakers] == ["synthetic-01", "synthetic-02", "synthetic-03"]
    assert sum(g["n_clips"] for g in speakers) == 36
    for g in speakers:
        assert g["low"] <= g["uar"] <= g["high"] and isinstance(g["flagged"], bool)
    assert groups["speaker"]["flagged"] == [g["group"] for g in speakers if g["flagged"]]


def test_evaluate_leaves_out_emotions_the_model_does_not_know(tmp_path):
    model = tmp_path / "pitch.joblib"
    save_model(pitch_model(), model)
    status, _, err = run("evaluate", str(model), *SYNTHETIC)
    assert status == 1
    assert "left out 36 clips of emotions the model does not know" in err
    assert "none of the clips has an emotion the model knows (high, low)" in err


def test_info_shows_the_model_without_loading_it(trained, monkeypatch):
    model, *_ = trained
    monkeypatch.setattr(persistence, "load_model", None)  # must not be needed
    status, out, _ = run("info", str(model))
    assert status == 0
    assert "pipeline   mfcc-svm: MFCC" in out
    assert "emotions   angry, disgust, fearful, happy, neutral, sad" in out
    assert "trained on synthetic: 36 clips, 3 speakers" in out
    assert "speaker-independent 3-fold CV: UAR" in out
    assert "scikit-learn" in out
    status, out, _ = run("info", str(model), "--json")
    assert json.loads(out)["pipeline"] == "mfcc-svm"


def test_info_marks_versions_that_differ(tmp_path, monkeypatch):
    real = persistence.library_versions()
    monkeypatch.setattr(persistence, "library_versions",
                        lambda: {**real, "numpy": "1.0.0"})
    save_model(pitch_model(), tmp_path / "m.joblib")
    monkeypatch.undo()
    status, out, _ = run("info", str(tmp_path / "m.joblib"))
    assert f"numpy             1.0.0   (installed here: {real['numpy']})" in out


def test_train_from_a_config_file(tmp_path):
    config = tmp_path / "train.toml"
    config.write_text(
        'pipeline = "mfcc-svm"\ncorpus = "synthetic"\nsynthetic_speakers = 3\n'
        'synthetic_utterances = 1\nemotions = ["angry", "sad"]\n'
        f'output = "{tmp_path / "c.joblib"}"\n'
        '[params]\nsvc__estimator__C = 10.0\nn_mfcc = 13\n'
    )
    status, out, err = run("train", "--config", str(config), "--set", "n_mfcc=20")
    assert status == 0, err
    meta = read_metadata(tmp_path / "c.joblib")
    assert meta["classes"] == ["angry", "sad"] and meta["n_train"] == 6
    assert meta["params"] == {"svc__estimator__C": 10.0, "n_mfcc": 20}  # --set wins
    pipeline, _ = persistence.load_model(tmp_path / "c.joblib")
    assert pipeline.named_steps["features"].n_mfcc == 20


@pytest.mark.parametrize("argv, message", [
    (["train", "nope", *SYNTHETIC], "no pipeline named 'nope'; available: "),
    (["train", "mfcc-svm", *SYNTHETIC, "--set", "C=3"], "has no parameter 'C'"),
    (["train", "mfcc-svm", *SYNTHETIC, "--set", "novalue"], "expected PARAM=VALUE"),
    (["train", "mfcc-svm", *SYNTHETIC, "--emotions", "bored"], "--emotions bored: no such clips"),
    (["train", "mfcc-svm", "--corpus", "ravdess", "--data-home", "/nonexistent/sersk"],
     "--data-home /nonexistent/sersk: no such folder"),
    (["train", "--config", "/nonexistent/train.toml"], "config file not found"),
    (["train", "mfcc-svm", "--corpus", "synthetic", "--synthetic-speakers", "1",
      "--synthetic-utterances", "1"], "cannot be trained on these 6 clips: "
     "DecisionCalibratedClassifier needs at least 2 training samples of every class"),
    (["predict", "/nonexistent/ser.joblib", "x.wav"], "/nonexistent/ser.joblib: model file "
     "not found"),
    (["info", "/nonexistent/ser.joblib"], "model file not found"),
    (["pipelines", "nope"], "no pipeline named 'nope'"),
])
def test_user_errors_exit_1_with_one_line(argv, message):
    status, out, err = run(*argv)
    assert status == 1
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("sersk: error: ")
    assert message in err


def test_bad_model_files_exit_1(tmp_path, monkeypatch):
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"\x00" * 100)
    status, _, err = run("predict", str(garbage), "x.wav")
    assert status == 1 and "cannot be read as a model" in err and "Traceback" not in err

    future = tmp_path / "future.joblib"
    monkeypatch.setattr(persistence, "FORMAT_VERSION", 99)
    save_model(pitch_model(), future)
    monkeypatch.undo()
    for command in ("predict", "info"):
        status, _, err = run(command, str(future), *(["x.wav"] if command == "predict" else []))
        assert status == 1 and "Upgrade sersk to load it" in err


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: COMMAND"),
    (["train", *SYNTHETIC], "no pipeline named"),
    (["train", "mfcc-svm"], "no training data"),
    (["train", "mfcc-svm", *SYNTHETIC, "--confusion", "c.png"], "--confusion needs --cv"),
    (["predict", "model.joblib"], "the following arguments are required: FILE_OR_FOLDER"),
    (["predict", "m", "x.wav", "--window", "0"], "expected a positive number of seconds"),
    (["predict", "m", "x.wav", "--format", "xml"], "invalid choice: 'xml'"),
    (["evaluate", "m"], "the following arguments are required: --corpus"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_usage_errors_exit_2(argv, message):
    status, _, err = run(*argv)
    assert status == 2
    assert message in err and "usage: sersk" in err


def test_help_reads_well():
    status, out, _ = run("--help")
    assert status == 0
    for command in ("train", "predict", "evaluate", "info", "pipelines", "demo"):
        assert f"\n    {command}" in out
    for command in ("train", "predict", "evaluate", "info", "pipelines", "demo"):
        status, out, _ = run(command, "--help")
        assert status == 0 and out.startswith(f"usage: sersk {command}")
        assert "example" in out or command in ("info", "pipelines")


def test_pipelines_lists_and_describes():
    status, out, _ = run("pipelines")
    assert status == 0
    assert any(line.startswith("handcrafted-svm  ") for line in out.splitlines())
    assert any(line.startswith("mfcc-svm  ") for line in out.splitlines())
    status, out, _ = run("pipelines", "mfcc-svm")
    assert "Search space:" in out


def test_version():
    import sersk

    status, out, _ = run("--version")
    assert status == 0 and out.strip() == f"sersk {sersk.__version__}"


def test_python_m_sersk_and_the_console_script(trained, clips):
    model, *_ = trained
    result = subprocess.run(
        [sys.executable, "-m", "sersk", "predict", str(model), str(clips / "sad.wav"),
         "--format", "csv"],
        capture_output=True, text=True, env=repo_env(), timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split(",")[0].endswith("sad.wav")
    # The console script where it is installed (pip install -e .), else python -m sersk again.
    command = ["sersk"] if shutil.which("sersk") else [sys.executable, "-m", "sersk"]
    result = subprocess.run([*command, "predict", str(model), "/nonexistent.wav"],
                            capture_output=True, text=True, env=repo_env(), timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "sersk: error: /nonexistent.wav: file not found"
    assert "Traceback" not in result.stderr


def test_demo_reports_a_missing_model_before_starting_anything():
    pytest.importorskip("streamlit")
    status, _, err = run("demo", "/nonexistent/ser.joblib")
    assert status == 1 and "model file not found" in err


def test_long_voice_in_short_clip_window_is_one_window(tmp_path):
    model = tmp_path / "pitch.joblib"
    save_model(pitch_model(), model)
    clip = tmp_path / "short.wav"
    save_audio(clip, voice_like(duration=1.5), SR)
    status, out, _ = run("predict", str(model), str(clip), "--timeline", "--format", "json")
    assert status == 0 and len(json.loads(out)) == 1


def test_a_bad_set_value_names_the_option_and_the_estimator():
    status, _, err = run("train", "mfcc-svm", *SYNTHETIC, "--cv", "2",
                         "--set", "svc__estimator__C=abc")
    assert status == 1
    assert "--set svc__estimator__C='abc': The 'C' parameter of SVC must be" in err
    assert "cross_val_predict" not in err


def test_info_on_a_corrupt_file_neither_loads_it_nor_calls_it_a_model(tmp_path):
    # info never unpickles (it would run code from the file), so it cannot tell a corrupt file
    # from a plain pickle: it says that it has no sersk metadata, and what loading would mean.
    corrupt = tmp_path / "ser.joblib"
    corrupt.write_bytes(b"\x80\x04this is not a pickle of anything" * 10)
    status, out, err = run("info", str(corrupt))
    assert status == 0 and err == ""
    assert "no sersk metadata: a plain joblib or pickle file, or not a model at all" in out
    assert "does not unpickle it" in out and "loading it" not in out


def test_predict_refuses_a_clip_too_short_to_judge(tmp_path):
    model = tmp_path / "pitch.joblib"
    save_model(pitch_model(), model)
    blip, fine = tmp_path / "blip.wav", tmp_path / "fine.wav"
    save_audio(blip, voice_like(duration=0.1), SR)
    save_audio(fine, voice_like(duration=1.0), SR)
    status, out, err = run("predict", str(model), str(blip), str(fine))
    assert status == 1
    assert f"sersk: error: {blip}: is too short to judge: 100 ms of audio, under the 750 ms " \
        "minimum" in err
    assert "fine.wav" in out and "blip.wav" not in out


def test_windows_shorter_than_the_minimum_are_a_usage_error():
    status, _, err = run("predict", "m.joblib", "x.wav", "--window", "0.5")
    assert status == 2
    assert "--window: at least 0.75 seconds" in err

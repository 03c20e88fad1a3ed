"""benchmarks.run with --protocol loso and cross-corpus, --transductive, and the duplicate check,
on two tiny corpora of synthetic audio named the way RAVDESS and EmoDB name their files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks import run
from benchmarks._protocols import cross_corpus_runs, plan_runs
from benchmarks._report import describe_protocols
from sersk.audio import save_audio
from sersk.datasets import make_emotional_speech

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

RAVDESS_CODES = {"neutral": "01", "calm": "02", "happy": "03", "sad": "04", "angry": "05"}
EMODB_CODES = {"angry": "W", "sad": "T", "happy": "F", "boredom": "L"}


@pytest.fixture(scope="module")
def data_home(tmp_path_factory):
    """Two speakers per corpus, three clips per emotion; an EmoDB clip copies a RAVDESS one."""
    home = tmp_path_factory.mktemp("corpora")
    ravdess = make_emotional_speech(n_speakers=2, n_utterances=3, emotions=tuple(RAVDESS_CODES),
                                    duration=0.8, random_state=1)
    copied = None
    ravdess["take"] = ravdess.groupby(["speaker", "emotion"]).cumcount()
    for row in ravdess.itertuples():
        actor = int(row.speaker.rsplit("-", 1)[1])
        statement, repetition = divmod(row.take, 2)
        name = (f"03-01-{RAVDESS_CODES[row.emotion]}-01-{statement + 1:02d}-"
                f"{repetition + 1:02d}-{actor:02d}.wav")
        path = home / "ravdess" / f"Actor_{actor:02d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        save_audio(path, row.audio[0], row.audio[1])
        if row.emotion == "angry" and copied is None:
            copied = row.audio
    emodb = make_emotional_speech(n_speakers=2, n_utterances=3, emotions=tuple(EMODB_CODES),
                                  duration=0.8, random_state=2)
    (home / "emodb" / "wav").mkdir(parents=True)
    emodb["take"] = emodb.groupby(["speaker", "emotion"]).cumcount()
    for row in emodb.itertuples():
        speaker = ("03", "08")[int(row.speaker.rsplit("-", 1)[1]) - 1]
        name = f"{speaker}{('a01', 'a02', 'a04')[row.take]}{EMODB_CODES[row.emotion]}a.wav"
        save_audio(home / "emodb" / "wav" / name, row.audio[0], row.audio[1])
    # The same recording, 6 dB softer, under an EmoDB name: a near duplicate across corpora.
    save_audio(home / "emodb" / "wav" / "08b09Wa.wav", 0.5 * copied[0], copied[1])
    return home


def test_cross_corpus_loso_and_transductive_end_to_end(data_home, tmp_path, capsys):
    out = tmp_path / "out"
    status = run.main(["--corpus", "ravdess", "emodb", "--data-home", str(data_home),
                       "--pipelines", "mfcc-svm", "--protocol", "cross-corpus", "loso",
                       "--transductive", "--out", str(out), "--folds", "2"])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-3000:]
    results = pd.read_csv(out / "results.csv")

    cross = results[results["protocol"].str.startswith("cross-corpus")]
    assert sorted(cross["protocol"]) == [
        "cross-corpus (train emodb → test ravdess), transductive",
        "cross-corpus (train ravdess → test emodb), transductive",
    ]
    assert set(cross["corpus"]) == {"ravdess → emodb", "emodb → ravdess"}
    assert (cross["emotions"] == "angry happy sad").all()
    to_emodb = cross[cross["corpus"] == "ravdess → emodb"].iloc[0]
    assert to_emodb["dropped_emotions"] == "ravdess: calm neutral; emodb: boredom"
    assert (to_emodb["n_train"], to_emodb["n_test"]) == (18, 19)
    # The copied clip is trained on in RAVDESS and tested on in EmoDB (and the reverse).
    assert (cross["n_duplicates"] == 1).all()
    assert "duplicate pair(s) across training and test clips" in captured.err

    loso = results[results["protocol"] == "leave-one-speaker-out, transductive"]
    assert sorted(loso.groupby("corpus").size().items()) == [("emodb", 2), ("ravdess", 2)]
    assert (loso["n_duplicates"] == 0).all()  # the copy is across corpora, not within one

    summary = (out / "summary.md").read_text()
    assert "cross-corpus (train ravdess → test emodb), transductive" in summary
    assert "- **cross-corpus**:" in summary and "- **transductive**:" in summary
    assert "- **leave-one-speaker-out**:" in summary
    assert "## Duplicates" in summary and "near (" in summary and "08b09Wa.wav" in summary

    from mlflow.tracking import MlflowClient

    # A client of its own: mlflow.set_tracking_uri would leak into later tests.
    client = MlflowClient(tracking_uri=f"sqlite:///{out / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sersk-benchmarks")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4 and all(r.data.tags["transductive"] == "true" for r in runs)
    assert {r.data.params["protocol"] for r in runs} == set(results["protocol"])


def test_cross_corpus_needs_two_corpora(capsys):
    assert run.main(["--corpus", "synthetic", "--protocol", "cross-corpus",
                     "--no-mlflow"]) == 2
    assert "needs at least two corpora" in capsys.readouterr().err


def test_cross_corpus_runs_every_ordered_pair_and_all_but_one():
    assert cross_corpus_runs(["a", "b"]) == [(("a",), "b"), (("b",), "a")]
    runs = cross_corpus_runs(["a", "b", "c"])
    assert len(runs) == 6 + 3 and (("a", "b"), "c") in runs and (("b", "c"), "a") in runs
    assert plan_runs(["a", "b"], ["p"], ["speaker", "cross-corpus"]) == [
        ("a", "p", "speaker"), ("b", "p", "speaker"),
        ("a → b", "p", "cross-corpus"), ("b → a", "p", "cross-corpus")]


def test_protocol_descriptions_cover_compound_labels():
    names = [name for name, _ in describe_protocols([
        "cross-corpus (train a + b → test c), transductive", "leave-one-speaker-out"])]
    assert names == ["leave-one-speaker-out", "cross-corpus", "transductive"]
    assert np.all([text for _, text in describe_protocols(["speaker-independent"])])


def test_leave_one_corpus_out_plain_and_adapted_end_to_end(data_home, tmp_path, capsys):
    out = tmp_path / "loco"
    common = ["--corpus", "ravdess", "emodb", "--data-home", str(data_home), "--pipelines",
              "mfcc-svm", "--protocol", "loco", "--no-mlflow"]
    assert run.main([*common, "--out", str(out)]) == 0, capsys.readouterr().err[-3000:]
    assert run.main([*common, "--adapt", "corpus", "--out", str(out / "adapted")]) == 0
    captured = capsys.readouterr()
    for folder, label in [(out, "leave-one-corpus-out"),
                          (out / "adapted",
                           "leave-one-corpus-out, transductive (adapted per corpus)")]:
        results = pd.read_csv(folder / "results.csv")
        assert results["protocol"].unique().tolist() == [label]
        assert results["corpus"].unique().tolist() == ["ravdess+emodb"]
        assert results["test_corpus"].tolist() == ["emodb", "ravdess"]
        # EmoDB's boredom is in no training corpus: left out; the copied clip is straddled.
        emodb = results.iloc[0]
        assert (emodb["emotions"], emodb["n_left_out"], emodb["n_test"]) == (
            "angry happy sad", 6, 19)
        assert results["restricted"].all() and (results["n_duplicates"] == [1, 1]).all()
        clips = pd.read_csv(folder / "predictions.csv")
        for _, group in clips.groupby(clips["path"].str.contains("emodb")):
            assert set(group["y_pred"]) <= set(group["y_true"])  # restricted
        summary = (folder / "summary.md").read_text()
        assert "- **leave-one-corpus-out**:" in summary
    assert "- **transductive**:" in summary
    assert "ravdess+emodb / mfcc-svm / leave-one-corpus-out: emodb" in captured.out


def test_leave_one_corpus_out_options_are_checked(capsys):
    assert run.main(["--corpus", "synthetic", "--protocol", "loco", "--no-mlflow"]) == 2
    assert "--protocol loco needs at least two corpora" in capsys.readouterr().err
    assert run.main(["--corpus", "synthetic", "--transductive", "--adapt", "speaker",
                     "--no-mlflow"]) == 2
    assert "choose one" in capsys.readouterr().err
    assert plan_runs(["a", "b", "c"], ["p"], ["loco"]) == [("a+b+c", "p", "loco")]
    names = [name for name, _ in describe_protocols(
        ["leave-one-corpus-out, unrestricted, transductive (adapted per corpus)"])]
    assert names == ["leave-one-corpus-out", "unrestricted", "transductive"]

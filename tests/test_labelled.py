"""One's own labelled recordings: label files, folders per emotion, every bad input, and the
``sersk`` and benchmark command lines reading them."""

from __future__ import annotations

import contextlib
import doctest
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import voice_like

from sersk.audio import save_audio
from sersk.cli import main
from sersk.datasets import _labelled as labelled_module
from sersk.datasets import load_corpus, load_labelled_audio
from sersk.datasets._labelled import missing_speakers, parse_label_map
from sersk.exceptions import CorpusError
from sersk.model_selection import (
    ProtocolError,
    SpeakerStratifiedKFold,
    cross_validate_speakers,
)
from sersk.persistence import read_metadata

SR = 8_000

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

# Two made-up labels and two of the harmonised vocabulary, as a user might have them.
PITCH = {"frustrated": 110.0, "glad": 260.0}


def clip(path: Path, label: str = "glad", seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    y = voice_like(f0=PITCH.get(label, 180.0) + 3 * seed, duration=0.8, sr=SR, seed=seed)
    save_audio(path, y, SR)
    return path


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def recordings(tmp_path):
    """Real clips of 4 speakers x 2 labels x 3 takes, a labels.csv and a folder per emotion."""
    rows = ["path,emotion,speaker,take"]
    for s, speaker in enumerate(["ann", "bob", "cy", "dee"]):
        for label in PITCH:
            for take in range(3):
                seed = 10 * s + take
                clip(tmp_path / "audio" / f"{speaker}_{label}_{take}.wav", label, seed)
                clip(tmp_path / "mine" / label / speaker / f"{take}.wav", label, seed)
                rows.append(f"audio/{speaker}_{label}_{take}.wav,{label},{speaker},{take}")
    return write(tmp_path / "labels.csv", "\n".join(rows) + "\n"), tmp_path / "mine"


# Label files


def test_label_file_columns_and_order(tmp_path):
    elsewhere = touch(tmp_path / "other" / "z.flac")
    touch(tmp_path / "data" / "clips" / "a.wav")
    touch(tmp_path / "data" / "b.wav")
    labels = write(tmp_path / "data" / "my labels.csv",
                   "path,emotion,speaker,gender,age,note\n"
                   f"clips/a.wav,frustrated,01,female,34,\n"
                   f"{elsewhere},angry,02,,51,loud\n"
                   " ./b.wav , glad ,01,male,,x\n")
    frame = load_labelled_audio(labels)
    assert frame.columns.tolist() == ["path", "emotion", "speaker", "corpus", "gender",
                                      "original_label", "age", "note"]
    # Relative paths are read from the file's folder; the rows keep the file's order.
    assert frame["path"].tolist() == [str(tmp_path / "data" / "clips" / "a.wav"),
                                      str(elsewhere), str(tmp_path / "data" / "b.wav")]
    # Labels as given (spaces around them are not part of them).
    assert frame["emotion"].tolist() == ["frustrated", "angry", "glad"]
    assert frame["original_label"].tolist() == frame["emotion"].tolist()
    # Speakers as text ("01" stays "01"), prefixed by the corpus name, itself the file's stem.
    assert frame["speaker"].tolist() == ["my-labels-01", "my-labels-02", "my-labels-01"]
    assert set(frame["corpus"]) == {"my-labels"}
    assert frame["gender"].iloc[[0, 2]].tolist() == ["female", "male"]
    assert frame["gender"].isna().tolist() == [False, True, False]
    # Other columns are kept: numbers as numbers, blanks missing.
    assert frame["age"].iloc[:2].tolist() == [34, 51] and np.isnan(frame["age"].iloc[2])
    assert frame["note"].isna().tolist() == [True, False, False]
    assert frame.attrs["roots"] == {"my-labels": str(labels)}
    assert missing_speakers(frame) is None


@pytest.mark.parametrize("separator,suffix", [("\t", ".tsv"), (";", ".csv"), ("\t", ".txt")])
def test_label_file_separators(tmp_path, separator, suffix):
    touch(tmp_path / "a.wav")
    touch(tmp_path / "b.wav")
    text = "\n".join(separator.join(row) for row in
                     [("path", "emotion"), ("a.wav", "sad"), ("b.wav", "calm")]) + "\n"
    frame = load_labelled_audio(write(tmp_path / f"labels{suffix}", text))
    assert frame["emotion"].tolist() == ["sad", "calm"]


def test_label_file_with_byte_order_mark_and_blank_lines(tmp_path):
    touch(tmp_path / "a.wav")
    path = tmp_path / "labels.csv"
    path.write_bytes("\ufeffpath,emotion\n\na.wav,sad\n\n".encode())
    assert load_labelled_audio(path)["emotion"].tolist() == ["sad"]


def test_label_map(tmp_path):
    touch(tmp_path / "a.wav")
    touch(tmp_path / "b.wav")
    labels = write(tmp_path / "labels.csv", "path,emotion\na.wav,frustrated\nb.wav,sad\n")
    frame = load_labelled_audio(labels, label_map={"frustrated": "angry"})
    assert frame["emotion"].tolist() == ["angry", "sad"]
    assert frame["original_label"].tolist() == ["frustrated", "sad"]
    with pytest.raises(CorpusError, match=r"label_map maps 'frustated', but no clip of "
                                          r"labels is labelled so; the labels are frustrated, "
                                          r"sad"):
        load_labelled_audio(labels, label_map={"frustated": "angry"})
    with pytest.raises(CorpusError, match="label_map must map labels to labels"):
        load_labelled_audio(labels, label_map={"sad": ""})


def test_parse_label_map():
    assert parse_label_map("frustrated=angry, glad = happy,") == {"frustrated": "angry",
                                                                 "glad": "happy"}
    for bad in ["frustrated", "=angry", "glad=", ""]:
        with pytest.raises(ValueError, match="expected OLD=NEW"):
            parse_label_map(bad)


def test_speaker_pattern_on_a_label_file(tmp_path):
    touch(tmp_path / "audio_x" / "alice_1.wav")
    touch(tmp_path / "bob_1.wav")
    labels = write(tmp_path / "labels.csv",
                   "path,emotion\naudio_x/alice_1.wav,sad\nbob_1.wav,sad\n")
    # Searched in the file name only: the folder's underscore does not count.
    frame = load_labelled_audio(labels, speaker_pattern=r"^([^_]+)_")
    assert frame["speaker"].tolist() == ["labels-alice", "labels-bob"]
    named = load_labelled_audio(labels, speaker_pattern=r"(?P<speaker>[a-z]+)_\d")
    assert named["speaker"].tolist() == frame["speaker"].tolist()
    with pytest.raises(CorpusError, match=r"finds no speaker in 2 file names \(alice_1\.wav, "
                                          r"bob_1\.wav\); fix the pattern"):
        load_labelled_audio(labels, speaker_pattern=r"^x(\w+)")
    with pytest.raises(CorpusError, match="is not a regular expression"):
        load_labelled_audio(labels, speaker_pattern="(")
    both = write(tmp_path / "both.csv", "path,emotion,speaker\nbob_1.wav,sad,a\n")
    with pytest.raises(CorpusError, match="has a 'speaker' column and a speaker pattern"):
        load_labelled_audio(both, speaker_pattern="^a")


# Bad label files: a CorpusError naming the file, the rows and the fix.


def test_label_file_without_the_needed_columns(tmp_path):
    labels = write(tmp_path / "labels.csv", "File,Label,speaker\na.wav,sad,1\n")
    with pytest.raises(CorpusError) as info:
        load_labelled_audio(labels)
    message = str(info.value)
    assert str(labels) in message and "no 'path' or 'emotion' column" in message
    assert "rename 'File' to 'path'; rename 'Label' to 'emotion'" in message
    other = write(tmp_path / "other.csv", "clip,mood\na.wav,sad\n")
    with pytest.raises(CorpusError, match=r"comma-separated, names 'clip', 'mood'\): its first "
                                          r"line must name the columns"):
        load_labelled_audio(other)


def test_rows_pointing_at_missing_files_are_all_reported(tmp_path):
    touch(tmp_path / "there.wav")
    rows = ["path,emotion", "there.wav,sad"] + [f"gone{i}.wav,sad" for i in range(7)]
    labels = write(tmp_path / "labels.csv", "\n".join(rows) + "\n")
    with pytest.raises(CorpusError) as info:
        load_labelled_audio(labels)
    message = str(info.value)
    assert message.startswith(f"{labels}: 7 rows name a file that does not exist (line 3 "
                              "(gone0.wav), line 4 (gone1.wav)")
    assert "line 8 (gone5.wav)" not in message and ", ..." in message
    assert f"relative paths are read from the label file's folder, {tmp_path}" in message
    assert "fix the paths, or remove those rows" in message
    # A folder is not a file.
    (tmp_path / "folder.wav").mkdir()
    one = write(tmp_path / "one.csv", "path,emotion\nfolder.wav,sad\n")
    with pytest.raises(CorpusError, match=r"1 row names a file that does not exist \(line 2"):
        load_labelled_audio(one)


def test_duplicate_paths(tmp_path):
    touch(tmp_path / "a.wav")
    touch(tmp_path / "b.wav")
    labels = write(tmp_path / "labels.csv",
                   f"path,emotion\na.wav,sad\nb.wav,sad\n./a.wav,angry\n{tmp_path}/a.wav,sad\n")
    with pytest.raises(CorpusError, match=r"1 file listed more than once \(a\.wav \(lines 2, "
                                          r"4, 5\)\): keep one row per file"):
        load_labelled_audio(labels)


def test_blank_labels_and_speakers(tmp_path):
    for name in "abc":
        touch(tmp_path / f"{name}.wav")
    labels = write(tmp_path / "labels.csv",
                   "path,emotion,speaker\na.wav,,1\nb.wav,sad,\n,sad,2\nc.wav, ,3\n")
    with pytest.raises(CorpusError) as info:
        load_labelled_audio(labels)
    message = str(info.value)
    assert message.startswith(f"{labels} has 3 problems:\n")
    assert "- 1 row with a blank 'path' (line 4): fill them in or remove those rows" in message
    assert "- 2 rows with a blank 'emotion' (line 2, line 5)" in message
    assert "- 1 row with a blank 'speaker' (line 3)" in message


def test_empty_and_reserved(tmp_path):
    with pytest.raises(CorpusError, match="is empty; a label file starts with a header line"):
        load_labelled_audio(write(tmp_path / "empty.csv", "\n"))
    with pytest.raises(CorpusError, match="has a header but no rows"):
        load_labelled_audio(write(tmp_path / "header.csv", "path,emotion\n"))
    touch(tmp_path / "a.wav")
    with pytest.raises(CorpusError, match="column 'corpus' is written by sersk itself; "
                                          "rename it"):
        load_labelled_audio(write(tmp_path / "r.csv", "path,emotion,corpus\na.wav,sad,x\n"))
    with pytest.raises(CorpusError, match="does not exist; give a label file"):
        load_labelled_audio(tmp_path / "nowhere.csv")


# Folders per emotion


def test_folder_per_emotion_without_speakers(tmp_path):
    for path in ["frustrated/1.wav", "frustrated/2.flac", "sad/1.WAV", "sad/.hidden.wav",
                 "sad/notes.txt"]:
        touch(tmp_path / "mine" / path)
    frame = load_labelled_audio(tmp_path / "mine")
    assert frame["emotion"].tolist() == ["frustrated", "frustrated", "sad"]
    assert frame["speaker"].isna().all() and set(frame["corpus"]) == {"mine"}
    problem = missing_speakers(frame)
    assert problem.startswith(f"the speaker of 3 of 3 clips is unknown (mine "
                              f"({tmp_path / 'mine'}): 3 clips), so they cannot be split by "
                              "speaker: put each speaker's clips in a sub-folder of each "
                              "emotion folder (ROOT/angry/SPEAKER/*.wav), or give "
                              "--speaker-pattern REGEX")


def test_folder_per_emotion_with_speaker_folders(recordings):
    _, folder = recordings
    frame = load_labelled_audio(folder)
    assert len(frame) == 24
    assert sorted(frame["speaker"].unique()) == ["mine-ann", "mine-bob", "mine-cy", "mine-dee"]
    assert frame["path"].is_monotonic_increasing
    # A pattern replaces the speaker folders (here the take number, as a stand-in).
    by_pattern = load_labelled_audio(folder, speaker_pattern=r"^\d", name="me")
    assert sorted(by_pattern["speaker"].unique()) == ["me-0", "me-1", "me-2"]


def test_bad_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"no audio files \(\.wav, \.flac, \.aiff, \.aif\) under "
                                          r".*empty; "
                                          r"expected one folder per emotion"):
        load_labelled_audio(tmp_path / "empty")
    touch(tmp_path / "mp3s" / "sad" / "a.mp3")
    with pytest.raises(CorpusError, match=r"it holds 1 other file \(a\.mp3\): convert them"):
        load_labelled_audio(tmp_path / "mp3s")
    touch(tmp_path / "loose" / "sad" / "a.wav")
    touch(tmp_path / "loose" / "b.wav")
    with pytest.raises(CorpusError, match=r"1 audio file lies directly in .*loose, outside any "
                                          r"emotion folder \(b\.wav\): move each"):
        load_labelled_audio(tmp_path / "loose")
    touch(tmp_path / "mixed" / "sad" / "a.wav")
    touch(tmp_path / "mixed" / "sad" / "bob" / "a.wav")
    touch(tmp_path / "mixed" / "sad" / "bob" / "x" / "a.wav")
    with pytest.raises(CorpusError, match=r"mixes layouts: .*sad/bob/x/a\.wav.*give a speaker "
                                          r"pattern"):
        load_labelled_audio(tmp_path / "mixed")
    # With a pattern, any depth is fine.
    touch(tmp_path / "deep" / "sad" / "s1" / "x_y" / "bob_1.wav")
    touch(tmp_path / "deep" / "sad" / "cy_2.wav")
    frame = load_labelled_audio(tmp_path / "deep", speaker_pattern=r"^([^_]+)_")
    assert frame["speaker"].tolist() == ["deep-cy", "deep-bob"]


# load_corpus: own recordings beside corpus names


def test_load_corpus_combines_own_recordings_with_a_corpus(tmp_path, recordings):
    labels, folder = recordings
    touch(tmp_path / "home" / "emodb" / "wav" / "03a01Wa.wav")
    frame = load_corpus(["emodb", labels, folder], tmp_path / "home",
                        label_map={"frustrated": "angry"})
    assert frame["corpus"].value_counts().to_dict() == {"labels": 24, "mine": 24, "emodb": 1}
    # Speakers stay distinct across corpora; every corpus is listed in attrs.
    assert frame.groupby("speaker")["corpus"].nunique().max() == 1
    assert set(frame["speaker"]) >= {"emodb-03", "labels-ann", "mine-ann"}
    assert list(frame.attrs["roots"]) == ["emodb", "labels", "mine"]
    # The label map applies to every corpus; the original labels stay.
    assert set(frame["emotion"]) == {"angry", "glad"}
    assert set(frame.loc[frame["corpus"] == "mine", "original_label"]) == {"frustrated", "glad"}
    # Extra columns of the label file are kept (missing for the others).
    assert frame.loc[frame["corpus"] == "labels", "take"].notna().all()


def test_load_corpus_names_and_paths(tmp_path, monkeypatch):
    touch(tmp_path / "a" / "sad" / "1.wav")
    touch(tmp_path / "b" / "a" / "sad" / "1.wav")
    with pytest.raises(CorpusError, match=r"corpus a is named more than once .*rename one"):
        load_corpus([tmp_path / "a", tmp_path / "b" / "a"])
    with pytest.raises(CorpusError, match=r"unknown corpus 'iemocap'; known corpora are .*, "
                                          r"or the path of your own recordings"):
        load_corpus("iemocap")
    with pytest.raises(CorpusError, match="speaker_pattern applies to your own recordings"):
        load_corpus("emodb", tmp_path, speaker_pattern="x")
    # A bare name that is not a corpus's: a folder here. No data home is made for it.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERSK_DATA_HOME", str(tmp_path / "home"))
    assert load_corpus("a")["corpus"].tolist() == ["a"]
    assert not (tmp_path / "home").exists()
    with pytest.raises(CorpusError, match=r"my\.csv does not exist"):
        load_corpus("my.csv")


# Evaluation without speakers


def test_speaker_grouped_evaluation_refuses_unknown_speakers():
    from sklearn.dummy import DummyClassifier

    X = np.zeros((12, 1))
    y = np.tile(["a", "b"], 6)
    speakers = np.array([None] * 12, dtype=object)
    for protocol in ["speaker", "loso"]:
        with pytest.raises(ProtocolError, match="12 of 12 clips have no speaker"):
            cross_validate_speakers(DummyClassifier(), X, y, speakers=speakers,
                                    protocol=protocol, n_splits=2)
    partly = np.array(["s1"] * 6 + [np.nan] * 6, dtype=object)
    with pytest.raises(ProtocolError, match="6 of 12 clips have no speaker"):
        next(SpeakerStratifiedKFold(2).split(X, y, groups=partly))
    # The random protocol runs, and names only the speakers it knows.
    results = cross_validate_speakers(DummyClassifier(), X, y, speakers=partly,
                                      protocol="random", n_splits=2)
    assert results["protocol"].unique().tolist() == ["speaker-dependent"]
    assert all(names in ([], ["s1"]) for names in results["test_speakers"])


def test_docstring_examples():
    result = doctest.testmod(labelled_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


# The command lines


def sersk(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def test_sersk_train_on_a_label_file(tmp_path, recordings):
    labels, _ = recordings
    model = tmp_path / "m.joblib"
    status, out, err = sersk("train", "mfcc-svm", "--corpus", str(labels), "--label-map",
                             "frustrated=angry", "--cv", "3", "-o", str(model), "-q")
    assert status == 0, err
    assert "training mfcc-svm on 24 clips of labels (4 speakers; angry 12, glad 12)" in err
    assert out.startswith(f"saved {model} (mfcc-svm, 2 emotions; speaker-independent 3-fold")
    meta = read_metadata(model)
    assert meta["corpora"] == ["labels"] and meta["classes"] == ["angry", "glad"]

    # The same model scored on the folder copy of the clips.
    status, out, err = sersk("evaluate", str(model), "--corpus", str(recordings[1]),
                             "--label-map", "frustrated=angry", "--format", "json", "-q")
    assert status == 0, err
    assert json.loads(out)["corpora"] == ["mine"] and json.loads(out)["n_clips"] == 24


def test_sersk_train_problems(tmp_path, recordings):
    labels, folder = recordings
    table = pd.read_csv(labels).drop(columns="speaker")
    table.to_csv(tmp_path / "nospeaker.csv", index=False)
    status, _, err = sersk("train", "mfcc-svm", "--corpus", str(tmp_path / "nospeaker.csv"),
                           "--cv", "2", "-o", str(tmp_path / "m.joblib"))
    assert status == 1
    assert "24 clips of nospeaker (0 known speakers, 24 clips of unknown speaker;" in err
    assert "--cv makes speaker-independent folds, and the speaker of 24 of 24 clips is " \
           f"unknown (nospeaker ({tmp_path / 'nospeaker.csv'}): 24 clips), so they cannot be " \
           "split by speaker: add a 'speaker' column to the label file, or give " \
           "--speaker-pattern REGEX" in err
    assert not (tmp_path / "m.joblib").exists()

    write(tmp_path / "bad.csv", "file,emotion\nx.wav,sad\n")
    status, _, err = sersk("train", "mfcc-svm", "--corpus", str(tmp_path / "bad.csv"))
    assert status == 1 and f"{tmp_path / 'bad.csv'} has no 'path' column" in err
    status, _, err = sersk("train", "mfcc-svm", "--corpus", str(labels), "--label-map", "glad")
    assert status == 2 and "--label-map: expected OLD=NEW" in err


def test_benchmark_on_a_folder_and_a_label_file(tmp_path, recordings, capsys):
    from benchmarks import run

    labels, folder = recordings
    out = tmp_path / "out"
    status = run.main(["--corpus", str(folder), str(labels), "--pipelines", "mfcc-svm",
                       "--folds", "2", "--no-mlflow", "--no-duplicate-check", "--no-report",
                       "--label-map", "frustrated=angry", "--out", str(out)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert f"{folder}: 24 clips, named 'mine' in the tables" in printed.out
    results = pd.read_csv(out / "results.csv")
    assert set(results["corpus"]) == {"mine", "labels"}
    assert results["error"].isna().all()
    summary = (out / "summary.md").read_text()
    assert f"- **mine** (`{folder}`): 24 clips, 4 speakers, 2 emotions (angry 12, glad 12)" \
        in summary


def test_benchmark_without_speakers(tmp_path, capsys):
    from benchmarks import run

    for label in PITCH:
        for take in range(8):
            clip(tmp_path / "flat" / label / f"{take}.wav", label, take)
    args = ["--corpus", str(tmp_path / "flat"), "--pipelines", "mfcc-svm", "--folds", "2",
            "--no-mlflow", "--no-duplicate-check", "--out", str(tmp_path / "out")]
    assert run.main(args) == 2
    err = capsys.readouterr().err
    assert "--protocol speaker splits by speaker, and the speaker of 16 of 16 clips is " \
           "unknown" in err
    assert "or run --protocol random" in err and not (tmp_path / "out").exists()

    assert run.main([*args, "--protocol", "random"]) == 0, capsys.readouterr().err
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results["protocol"]) == {"speaker-dependent"}
    assert "speakers unknown" in (tmp_path / "out" / "summary.md").read_text()
    assert (tmp_path / "out" / "report.html").is_file()

    assert run.main(["--corpus", "iemocap", "--out", str(tmp_path / "x")]) == 2
    assert "or the path of your own recordings" in capsys.readouterr().err


def test_sersk_train_config_with_a_label_map(tmp_path, recordings):
    labels, _ = recordings
    config = write(tmp_path / "train.json", json.dumps({
        "pipeline": "mfcc-svm", "corpus": str(labels), "label_map": {"glad": "happy"},
        "output": str(tmp_path / "c.joblib"),
    }))
    status, out, err = sersk("train", "--config", str(config), "-q")
    assert status == 0, err
    assert read_metadata(tmp_path / "c.joblib")["classes"] == ["frustrated", "happy"]


def test_benchmark_refuses_two_corpora_of_one_name(tmp_path, capsys):
    from benchmarks import run

    touch(tmp_path / "a" / "mine" / "sad" / "1.wav")
    touch(tmp_path / "b" / "mine" / "sad" / "1.wav")
    status = run.main(["--corpus", str(tmp_path / "a" / "mine"), str(tmp_path / "b" / "mine"),
                       "--no-mlflow", "--out", str(tmp_path / "out")])
    assert status == 2
    assert "two corpora are named 'mine'" in capsys.readouterr().err

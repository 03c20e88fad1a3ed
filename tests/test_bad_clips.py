"""Damaged clips in a corpus: screened out and listed (or, with --strict, an error), never a
crash half-way; the duplicate check lists every unreadable file."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import voice_like

from sersk.audio import save_audio
from sersk.datasets import screen_clips
from sersk.features import AudioBatchError
from sersk.model_selection import find_duplicates

SR = 8_000
EMOTIONS = {"angry": 110.0, "sad": 260.0}

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)


def good_clip(path: Path, emotion: str, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # 1.2 s: longer than any minimum clip duration the library may set.
    save_audio(path, voice_like(f0=EMOTIONS[emotion] + 3 * seed, duration=1.2, sr=SR,
                                seed=seed), SR)


def damaged_clips(folder: Path) -> dict[str, str]:
    """The issue's five damaged files: name -> a word its reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    good_clip(folder / "truncated.wav", "angry", 99)
    data = (folder / "truncated.wav").read_bytes()
    (folder / "truncated.wav").write_bytes(data[: len(data) // 2])
    (folder / "random.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    (folder / "empty.wav").write_bytes(b"")
    save_audio(folder / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    save_audio(folder / "short.wav", voice_like(f0=150.0, duration=0.05, sr=SR, seed=1), SR)
    # 50 ms is under sersk.audio.MIN_DURATION: the features would refuse it in every fold.
    return {"truncated.wav": "truncated", "random.wav": "cannot be decoded",
            "empty.wav": "empty", "silent.wav": "silent", "short.wav": "too short to judge"}


@pytest.fixture
def damaged_corpus(tmp_path):
    """A label file: 4 speakers x 2 emotions x 3 good clips, and the 5 damaged files."""
    rows = ["path,emotion,speaker"]
    for s, speaker in enumerate(["ann", "bob", "cy", "dee"]):
        for emotion in EMOTIONS:
            for take in range(3):
                good_clip(tmp_path / "audio" / f"{speaker}_{emotion}_{take}.wav", emotion,
                          10 * s + take)
                rows.append(f"audio/{speaker}_{emotion}_{take}.wav,{emotion},{speaker}")
    expected = damaged_clips(tmp_path / "audio")
    for i, name in enumerate(["truncated.wav", "random.wav", "empty.wav", "silent.wav",
                              "short.wav"]):
        rows.append(f"audio/{name},{list(EMOTIONS)[i % 2]},{['ann', 'bob'][i % 2]}")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return labels, expected


def test_screen_clips_lists_every_bad_clip(damaged_corpus, tmp_path):
    from sersk.datasets import load_corpus

    labels, expected = damaged_corpus
    frame = load_corpus(str(labels))
    kept, left_out = screen_clips(frame)
    assert len(kept) == 29 - len(expected) and list(kept.columns) == list(frame.columns)
    assert left_out.columns[:2].tolist() == ["source", "reason"]
    reasons = {Path(s).name: r for s, r in zip(left_out["source"], left_out["reason"],
                                               strict=True)}
    assert set(reasons) == set(expected)
    for name, word in expected.items():
        assert word in reasons[name], (name, reasons[name])

    # Cached verdicts give the same answer; an edited file is screened again.
    cache = tmp_path / "cache"
    first = screen_clips(frame, memory=cache)[1]
    assert any(cache.rglob("*.npy"))
    pd.testing.assert_frame_equal(screen_clips(frame, memory=cache)[1], first)
    good_clip(tmp_path / "audio" / "silent.wav", "sad", 7)
    assert "silent.wav" not in " ".join(screen_clips(frame, memory=cache)[1]["source"])

    with pytest.raises(AudioBatchError,
                       match=rf"(?s){len(expected) - 1} of 29 audio input\(s\).*empty\.wav"):
        screen_clips(frame, strict=True)


def test_find_duplicates_lists_every_unreadable_file(tmp_path):
    expected = damaged_clips(tmp_path)
    paths = [tmp_path / name for name in sorted(expected)]
    with pytest.raises(AudioBatchError) as info:
        find_duplicates(paths, memory=tmp_path / "cache")
    unreadable = {"empty.wav", "random.wav", "truncated.wav"}  # silent and short decode
    assert {Path(e.source).name for e in info.value.errors.values()} == unreadable
    for name in unreadable:
        assert name in str(info.value)


@pytest.mark.slow
def test_benchmark_on_a_damaged_corpus(damaged_corpus, tmp_path):
    from benchmarks import run

    labels, expected = damaged_corpus
    out = tmp_path / "out"
    args = ["--corpus", str(labels), "--pipelines", "mfcc-svm", "--folds", "2", "--no-mlflow",
            "--no-report", "--out", str(out)]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = run.main(args)
    printed = stdout.getvalue() + stderr.getvalue()
    assert status == 0, printed
    assert "Traceback" not in printed
    assert f"labels: leaving out {len(expected)} of {24 + 5} clips" in printed
    summary = (out / "summary.md").read_text()
    left_out = pd.read_csv(out / "left_out.csv")
    assert sorted(Path(p).name for p in left_out["source"]) == sorted(expected)
    for name, word in expected.items():
        path = str(labels.parent / "audio" / name)
        assert f"{path}: " in printed and word in printed
        assert f"`{path}`: " in summary
        assert word in left_out.set_index("source").loc[path, "reason"]
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2 and results["error"].isna().all()
    n_good = 29 - len(expected)
    assert (results["n_train"] + results["n_test"] == n_good).all()
    assert "- **labels** (" in summary and f"{n_good} clips" in summary

    # --strict: exit status 2 and every bad file named, nothing run.
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = run.main([*args[:-1], str(tmp_path / "strict"), "--strict"])
    assert status == 2
    message = stderr.getvalue()
    assert f"error: {len(expected)} clip(s) cannot be used (--strict)" in message
    for name in expected:
        assert os.fspath(labels.parent / "audio" / name) in message
    assert not (tmp_path / "strict" / "results.csv").exists()


@pytest.mark.slow
def test_sersk_train_on_a_damaged_corpus(damaged_corpus, tmp_path):
    from sersk.cli import main
    from sersk.persistence import read_metadata

    def sersk(*argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(list(argv))
        return status, err.getvalue()

    labels, expected = damaged_corpus
    model = tmp_path / "m.joblib"
    status, err = sersk("train", "mfcc-svm", "--corpus", str(labels), "--cv", "2",
                        "-o", str(model), "-q")
    assert status == 0, err
    assert f"leaving out {len(expected)} clip(s) that cannot be used" in err
    for name, word in expected.items():
        assert f"{labels.parent / 'audio' / name}: " in err and word in err
    assert "Traceback" not in err
    left_out = read_metadata(model)["left_out"]
    assert sorted(Path(row["source"]).name for row in left_out) == sorted(expected)
    assert read_metadata(model)["n_train"] == 29 - len(expected)

    status, err = sersk("train", "mfcc-svm", "--corpus", str(labels), "--strict",
                        "-o", str(tmp_path / "strict.joblib"), "-q")
    assert status == 1
    assert f"{len(expected)} of 29 audio input(s) could not be used" in err
    for name in expected:
        assert f"{labels.parent / 'audio' / name}: " in err
    assert not (tmp_path / "strict.joblib").exists()


def test_benchmark_duplicate_check_lists_unreadable_files_and_goes_on(tmp_path, capsys):
    from benchmarks import run
    from benchmarks._protocols import check_duplicates

    expected = damaged_clips(tmp_path / "audio")
    frame = pd.DataFrame({"path": [str(tmp_path / "audio" / n) for n in sorted(expected)],
                          "emotion": "sad", "speaker": "ann", "corpus": "mine"})
    args = run.build_parser().parse_args(["--n-jobs", "1"])
    assert check_duplicates({"mine": frame}, args, tmp_path / "cache") is None
    err = capsys.readouterr().err
    assert "warning: duplicate check skipped: 3 of" in err
    for name in ["empty.wav", "random.wav", "truncated.wav"]:
        assert str(tmp_path / "audio" / name) in err


def test_docstring_example():
    import doctest

    from sersk.datasets import _screening

    result = doctest.testmod(_screening, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted and result.failed == 0

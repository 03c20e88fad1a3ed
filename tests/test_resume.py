"""An interrupted benchmark resumes: finished runs and folds are not fitted (or logged) again,
and the results are those of an uninterrupted run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sersk.model_selection import _validation, cross_validate_speakers

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)

TINY = ["--corpus", "synthetic", "--pipelines", "mfcc-svm", "--protocol", "speaker", "random",
        "--synthetic-speakers", "4", "--synthetic-utterances", "2", "--folds", "2",
        "--no-report", "--no-duplicate-check"]
# Columns that differ between two runs of the same folds: wall-clock times and run ids.
VOLATILE = ["fit_seconds", "predict_seconds_per_clip", "extract_seconds_per_clip",
            "mlflow_run_id"]


class Interrupt:
    """Counts the folds fitted; raises KeyboardInterrupt on the ``at``-th (never if None)."""

    def __init__(self, monkeypatch, at: int | None = None):
        self.calls, self.at = 0, at
        original = _validation._fit_and_score

        def fit_and_score(*args, **kwargs):
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        monkeypatch.setattr(_validation, "_fit_and_score", fit_and_score)


def mlflow_runs(out):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{out.resolve() / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sersk-benchmarks")
    return client.search_runs([experiment.experiment_id])


def comparable(path):
    results = pd.read_csv(path).drop(columns=VOLATILE)
    return results.sort_values(["protocol", "fold"], ignore_index=True)


def test_cross_validation_checkpoint_resumes_with_the_same_folds(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    y = np.tile(["calm", "angry"], 20)
    X = rng.normal(size=(40, 3)) + (y == "angry")[:, None]
    speakers = np.repeat(np.arange(8), 5)
    kwargs = {"speakers": speakers, "n_splits": 4, "return_predictions": True}
    clean, clean_clips = cross_validate_speakers(LogisticRegression(), X, y, **kwargs)

    interrupt = Interrupt(monkeypatch, at=3)
    with pytest.raises(KeyboardInterrupt):
        cross_validate_speakers(LogisticRegression(), X, y, checkpoint=tmp_path, **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold-1.joblib", "fold-2.joblib"]
    interrupt.at = None
    interrupt.calls = 0
    resumed, resumed_clips = cross_validate_speakers(LogisticRegression(), X, y,
                                                     checkpoint=tmp_path, **kwargs)
    assert interrupt.calls == 2  # folds 3 and 4 only
    timing = ["fit_seconds", "predict_seconds_per_clip", "confusion_matrix"]
    pd.testing.assert_frame_equal(resumed.drop(columns=timing), clean.drop(columns=timing))
    pd.testing.assert_frame_equal(resumed_clips, clean_clips)

    # Another split (another seed) does not read the stored folds.
    interrupt.calls = 0
    cross_validate_speakers(LogisticRegression(), X, y, checkpoint=tmp_path,
                            random_state=1, **kwargs)
    assert interrupt.calls == 4


@pytest.mark.slow
def test_interrupted_benchmark_resumes(tmp_path, monkeypatch, capsys):
    from benchmarks import run

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    clean = tmp_path / "clean"
    assert run.main([*TINY, "--out", str(clean)]) == 0

    # Interrupted in the second fold of the second run (speaker-dependent): the first run is
    # finished and logged, the second has one fold done.
    out = tmp_path / "out"
    interrupt = Interrupt(monkeypatch, at=4)
    with pytest.raises(KeyboardInterrupt):
        run.main([*TINY, "--out", str(out)])
    assert len(mlflow_runs(out)) == 1
    assert len(pd.read_csv(out / "results.csv")) == 2
    capsys.readouterr()

    interrupt.at, interrupt.calls = None, 0
    assert run.main([*TINY, "--out", str(out)]) == 0
    assert interrupt.calls == 1  # only the unfinished fold is fitted
    printed = capsys.readouterr().out
    assert "synthetic/mfcc-svm/speaker: finished in an earlier run into this --out; " \
           "skipped" in printed
    pd.testing.assert_frame_equal(comparable(out / "results.csv"),
                                  comparable(clean / "results.csv"))
    predictions = pd.read_csv(out / "predictions.csv").sort_values(
        ["protocol", "index"], ignore_index=True)
    pd.testing.assert_frame_equal(predictions, pd.read_csv(clean / "predictions.csv")
                                  .sort_values(["protocol", "index"], ignore_index=True))
    runs = mlflow_runs(out)
    assert sorted(r.data.params["protocol"] for r in runs) == [
        "speaker-dependent", "speaker-independent"]
    assert set(pd.read_csv(out / "results.csv")["mlflow_run_id"]) == {
        r.info.run_id for r in runs}

    # A finished benchmark re-run: nothing fitted, nothing logged; --restart runs it all.
    interrupt.calls = 0
    assert run.main([*TINY, "--out", str(out)]) == 0
    assert interrupt.calls == 0 and len(mlflow_runs(out)) == 2
    assert run.main([*TINY, "--out", str(out), "--restart"]) == 0
    assert interrupt.calls == 4 and len(mlflow_runs(out)) == 4

    # Other settings are other runs.
    interrupt.calls = 0
    assert run.main([*TINY, "--out", str(out), "--seed", "1"]) == 0
    assert interrupt.calls == 4


@pytest.mark.slow
def test_benchmark_interrupted_while_logging_logs_each_run_once(tmp_path, monkeypatch, capsys):
    from benchmarks import run
    from sersk import tracking

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "out"
    original, calls = tracking._write_artifacts, []

    def write_artifacts(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second run's MLflow run exists, half logged
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(tracking, "_write_artifacts", write_artifacts)
    with pytest.raises(KeyboardInterrupt):
        run.main([*TINY, "--out", str(out)])
    assert len(mlflow_runs(out)) == 2
    capsys.readouterr()

    fits = Interrupt(monkeypatch)
    assert run.main([*TINY, "--out", str(out)]) == 0
    assert fits.calls == 0  # the interrupted run's folds were all saved
    assert "deleting MLflow run" in capsys.readouterr().out
    runs = mlflow_runs(out)
    assert sorted(r.data.params["protocol"] for r in runs) == [
        "speaker-dependent", "speaker-independent"]
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert set(pd.read_csv(out / "results.csv")["mlflow_run_id"]) == {
        r.info.run_id for r in runs}


@pytest.mark.slow
def test_skipped_runs_keep_their_duplicate_warnings(tmp_path, capsys):
    import shutil

    from test_bad_clips import EMOTIONS, good_clip

    from benchmarks import run

    rows = ["path,emotion,speaker"]
    for s, speaker in enumerate(["ann", "bob", "cy", "dee"]):
        for emotion in EMOTIONS:
            for take in range(3):
                good_clip(tmp_path / f"{speaker}_{emotion}_{take}.wav", emotion, 10 * s + take)
                rows.append(f"{speaker}_{emotion}_{take}.wav,{emotion},{speaker}")
        if speaker != "ann":  # ann's first clip, copied under every other speaker
            shutil.copy(tmp_path / "ann_angry_0.wav", tmp_path / f"{speaker}_copy.wav")
            rows.append(f"{speaker}_copy.wav,angry,{speaker}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["--corpus", str(tmp_path / "labels.csv"), "--pipelines", "mfcc-svm", "--folds",
            "2", "--no-mlflow", "--no-report", "--out", str(tmp_path / "out")]

    def warnings_and_summary():
        assert run.main(args) == 0
        err = capsys.readouterr().err
        summary = (tmp_path / "out" / "summary.md").read_text()
        # (progress bars may share a line with a warning)
        return ([line[line.index("warning:"):] for line in err.splitlines()
                 if "duplicate pair(s) across" in line],
                # the section, after the sentence with the check's time
                summary.split("## Duplicates")[1].split(" clips.", 1)[1])

    first = warnings_and_summary()
    assert first[0] and "its scores are optimistic" in first[1]
    assert warnings_and_summary() == first  # every run skipped the second time

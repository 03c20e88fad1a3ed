"""Resuming an interrupted benchmark: finished runs and folds kept in ``<out>/resume``.

The unit of work is a fold; the MLflow run is per (corpus, pipeline, protocol). So:

- each finished fold of a k-fold run (``sersk.model_selection.cross_validate_speakers`` with
  ``checkpoint=``) is saved as it completes, and a re-run with the same ``--out`` reads it
  back instead of fitting it again (same folds, same seeds: the same numbers);
- a run's MLflow run is logged once, when all its folds are done; the run's rows and
  predictions are then saved, and a re-run skips the run (no second MLflow run). An
  interrupted run has logged nothing yet, so resuming it logs it once.
- Nested searches and cross-corpus runs are resumed per run, not per fold.

Everything is keyed by the run, the settings that change its numbers and the clips it uses,
so a re-run with other settings or other clips computes afresh; ``--restart`` deletes
``<out>/resume`` first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

RESUME_FOLDER = "resume"

# The options that leave a run's numbers alone, or reach its key otherwise (the corpus,
# pipeline and protocol are the run's own; label maps, speaker patterns and data homes change
# its clips). Every other option, including any added later, is part of the key: a new
# option makes earlier runs miss rather than be reused under another setting.
_NOT_SETTINGS = frozenset({
    "out", "cache", "n_jobs", "restart", "strict", "no_report", "corpus", "pipelines",
    "protocol", "data_home", "label_map", "speaker_pattern", "duplicate_check", "resume",
})


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--restart", action="store_true",
        help="start over: forget the finished runs and folds that a re-run with the same "
        "--out otherwise skips",
    )


class Resume:
    """The finished runs and folds of earlier runs into one ``--out`` folder.

    Parameters
    ----------
    out : path
        The output folder; its ``resume`` folder holds what finished.
    args : argparse.Namespace
        The parsed command line.
    frames : dict of str to DataFrame
        The corpora as they are run (after screening).
    """

    def __init__(self, out: Path, args: argparse.Namespace, frames: dict[str, pd.DataFrame]):
        import joblib

        from sersk.datasets import audio_inputs

        self.folder = Path(out) / RESUME_FOLDER
        self.args = args
        if getattr(args, "restart", False) and self.folder.exists():
            shutil.rmtree(self.folder)
        self.settings = {name: value for name, value in sorted(vars(args).items())
                         if name not in _NOT_SETTINGS}
        # Paths (not contents: audio edited in place is not noticed) or in-memory waveforms.
        self.clips = {
            corpus: joblib.hash((audio_inputs(frame), frame["emotion"].tolist(),
                                 frame["speaker"].tolist()))
            for corpus, frame in frames.items()
        }

    def _key(self, corpus: str, name: str, protocol: str) -> str:
        import joblib

        from ._protocols import CROSS_CORPUS, LOCO

        # Cross-corpus and leave-one-corpus-out runs read every corpus; the others their own.
        clips = self.clips if protocol in (CROSS_CORPUS, LOCO) else self.clips[corpus]
        return joblib.hash((corpus, name, protocol, self.settings, clips))

    def folds(self, corpus: str, name: str, protocol: str) -> Path:
        """The ``checkpoint`` folder of one run's folds."""
        return self.folder / self._key(corpus, name, protocol) / "folds"

    def finished(
        self, corpus: str, name: str, protocol: str
    ) -> tuple[pd.DataFrame, list[pd.DataFrame]] | None:
        """A finished run's rows and per-clip predictions, or None."""
        import joblib

        path = self.folder / self._key(corpus, name, protocol) / "run.joblib"
        try:
            table, clips = joblib.load(path)
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            return None
        print(f"{corpus}/{name}/{protocol}: finished in an earlier run into this --out; "
              "skipped (--restart to run it again)", flush=True)
        check = getattr(self.args, "duplicate_check", None)
        if check is not None and "n_duplicates" in table and len(table):
            # Its duplicate warning, as when it ran, for summary.md's list of affected runs.
            counts = table.dropna(subset="n_duplicates").set_index("fold")["n_duplicates"]
            check.warn(f"{table['corpus'].iloc[0]}/{name}/{table['protocol'].iloc[0]}",
                       counts.astype(int).to_dict())
        return table, clips

    def begin(self, corpus: str, name: str, protocol: str) -> None:
        """Mark a run as started; first delete the MLflow runs an interrupted try left.

        A run's MLflow run is created only once its folds are done, so an earlier try can
        have left one only if it stopped while logging (or just after): the MLflow runs of
        this pipeline started since that try began, which are deleted (restorable with
        ``mlflow runs restore``) so that the run is logged once.
        """
        import time

        args = self.args
        folder = self.folder / self._key(corpus, name, protocol)
        marker = folder / "started"
        if marker.is_file() and not getattr(args, "no_mlflow", False):
            since = int(marker.read_text(encoding="utf-8").strip() or 0)
            for run_id in _runs_since(args.out, since, name):
                print(f"{corpus}/{name}/{protocol}: deleting MLflow run {run_id}, logged by "
                      "an interrupted try of this run", flush=True)
                _delete_run(args.out, run_id)
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(int(time.time() * 1000)), encoding="utf-8")

    def save(
        self, corpus: str, name: str, protocol: str, table: pd.DataFrame,
        clips: list[pd.DataFrame],
    ) -> None:
        """Keep a finished run (logged to MLflow, if at all, already)."""
        import joblib

        folder = self.folder / self._key(corpus, name, protocol)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        os.close(fd)
        try:
            joblib.dump((table, list(clips)), tmp)
            os.replace(tmp, folder / "run.joblib")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        shutil.rmtree(folder / "folds", ignore_errors=True)  # the run holds them now


def _client(out: str | os.PathLike) -> Any:
    from mlflow.tracking import MlflowClient

    from sersk.tracking import tracking_uri

    return MlflowClient(tracking_uri=tracking_uri(out))


def _runs_since(out: str | os.PathLike, since_ms: int, pipeline: str) -> list[str]:
    """Ids of the benchmark's MLflow runs of ``pipeline`` (or its search) started since."""
    from sersk.tracking import _quiet_mlflow

    from ._outputs import EXPERIMENT

    with _quiet_mlflow():
        client = _client(out)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return []
        runs = client.search_runs([experiment.experiment_id],
                                  filter_string=f"attributes.start_time >= {since_ms}")
    return [run.info.run_id for run in runs
            if run.data.tags.get("sersk.pipeline") in (pipeline, f"{pipeline}+search")]


def _delete_run(out: str | os.PathLike, run_id: str) -> None:
    from sersk.tracking import _quiet_mlflow

    with _quiet_mlflow():
        _client(out).delete_run(run_id)


def fold_checkpoint(args: argparse.Namespace, corpus: str, name: str, protocol: str) -> Any:
    """The ``checkpoint=`` of one run's cross-validation: a folder, or None without resume."""
    resume = getattr(args, "resume", None)
    return None if resume is None else resume.folds(corpus, name, protocol)

"""What a benchmark writes besides its table: per-clip predictions, the run's description, the
HTML report, and (on request) the pipeline fitted on all the data as an MLflow model."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .report import PREDICTIONS_FILE, RUN_FILE

__all__ = [
    "EXPERIMENT",
    "add_output_arguments",
    "label_predictions",
    "log_fitted_model",
    "write_predictions",
    "write_report_or_say_why",
    "write_run_file",
]

#: The MLflow experiment every benchmark run is logged to.
EXPERIMENT = "sersk-benchmarks"


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of what a benchmark writes besides results.csv and summary.md."""
    group = parser.add_argument_group("outputs")
    group.add_argument(
        "--log-model", action="store_true",
        help="after the cross-validation, fit each pipeline once more on all the clips and "
        "log it in its MLflow run as an MLflow model (with its training curves for the "
        "neural pipelines); costs one more fit per run, on cached features",
    )
    group.add_argument("--no-report", action="store_true",
                       help="do not write <out>/report.html")


#: Columns of the corpus frame copied to each predicted clip (``corpus`` as ``clip_corpus``:
#: the ``corpus`` column of predictions.csv names the run, such as ``ravdess → emodb``).
CLIP_COLUMNS = {"path": "path", "gender": "gender", "corpus": "clip_corpus"}


def label_predictions(
    clips: pd.DataFrame, frame: pd.DataFrame, *, corpus: str, pipeline: str, protocol: str,
) -> pd.DataFrame:
    """The per-clip predictions of one run, with the run's keys and the clip's file, gender
    and corpus (where the frame has them), for the report's breakdown by group."""
    labelled = clips.copy()
    labelled.insert(0, "protocol", protocol)
    labelled.insert(0, "pipeline", pipeline)
    labelled.insert(0, "corpus", corpus)
    # As integers even when no fold gave predictions (an empty column is of object dtype).
    rows = labelled["index"].to_numpy(dtype=int)
    for column, name in CLIP_COLUMNS.items():
        if column in frame:
            labelled[name] = frame[column].to_numpy()[rows]
    return labelled


def write_predictions(clips: list[pd.DataFrame], out: Path) -> None:
    """Every run's per-clip predictions to ``<out>/predictions.csv`` (replaced atomically)."""
    if not clips:
        return
    path = out / PREDICTIONS_FILE
    tmp = path.with_suffix(".csv.tmp")
    pd.concat(clips, ignore_index=True).to_csv(tmp, index=False)
    tmp.replace(path)


def write_run_file(
    out: Path, argv: list[str], args: argparse.Namespace, frames: dict[str, pd.DataFrame],
) -> None:
    """``<out>/run.json``: the command line, the settings and the data, for the report."""
    corpora = {
        corpus: {
            "clips": len(frame),
            "speakers": int(frame["speaker"].nunique()),
            "emotions": {str(k): int(v) for k, v in
                         frame["emotion"].value_counts().sort_index().items()},
        }
        for corpus, frame in frames.items()
    }
    meta = {
        "command": f"python -m benchmarks.run {shlex.join(argv)}".rstrip(),
        "started": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "folds": args.folds,
        "seed": args.seed,
        "protocols": list(args.protocol),
        "pipelines": list(args.pipelines),
        "corpora": corpora,
        "synthetic": "synthetic" in frames,
        "mlflow": None if args.no_mlflow else _tracking_uri(out),
        "experiment": EXPERIMENT,
        "log_model": bool(getattr(args, "log_model", False)) and not args.no_mlflow,
    }
    (out / RUN_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _tracking_uri(out: Path) -> str:
    from sersk.tracking import tracking_uri

    return tracking_uri(out)


def write_report_or_say_why(out: Path, args: argparse.Namespace) -> Path | None:
    """Write ``<out>/report.html`` (and the comparisons in summary.md); None if not written.

    A report that fails to build costs only the report: the results are saved already.
    """
    if getattr(args, "no_report", False):
        return None
    from .report import write_report

    try:
        return write_report(out, summary_md=True)
    except Exception:  # noqa: BLE001 -- the results are written; say why the page is not
        traceback.print_exc()
        print(f"the report was not written; rebuild it with `python -m benchmarks.report "
              f"{out}`", file=sys.stderr)
        return None


def log_fitted_model(
    model: Any, X: Any, y: Any, *, run_id: str, corpus: str, pipeline: str,
    out_dir: str | Path,
) -> str:
    """Fit a clone of ``model`` on all the clips and log it in the run ``run_id``.

    The features come from the cache the cross-validation filled, so this costs about one
    fold's fit. The logged pipeline has no feature cache (its folder is this machine's).
    """
    from sklearn.base import clone

    from sersk.tracking import log_mlflow_model

    fitted = clone(model).fit(X, y)
    features = fitted.named_steps.get("features") if hasattr(fitted, "named_steps") else None
    if features is not None and "memory" in features.get_params():
        features.set_params(memory=None)
    return log_mlflow_model(
        fitted, run_id=run_id, out_dir=out_dir,
        metadata={"pipeline_name": pipeline, "corpora": [corpus], "n_train": len(y)},
    )

"""Benchmark the named pipelines on emotional speech corpora: the comparison table.

    python -m benchmarks.run                                # RAVDESS if found, else synthetic
    python -m benchmarks.run --corpus emodb ravdess --protocol speaker random
    python -m benchmarks.run --corpus synthetic --pipelines mfcc-svm --folds 2 --no-mlflow
    python -m benchmarks.run --corpus ravdess emodb --whisper-model models/whisper-base
    python -m benchmarks.run --pipelines handcrafted-svm --search random --n-iter 20
    python -m benchmarks.run --corpus ravdess emodb --protocol loso cross-corpus
    python -m benchmarks.run --corpus ravdess emodb nemo --protocol loco --adapt corpus

The Whisper pipelines run when a Whisper model folder is given (``--whisper-model`` or
``$SERSK_WHISPER_MODEL``; ``python -m benchmarks.whisper_model --out DIR`` makes one), and are
otherwise left out, with a line saying so. Pipelines whose install extra is not installed (the
Keras ones without ``.[keras]``, the Whisper ones without ``.[whisper]``) are left out in the
same way, with the ``pip install`` that adds them.

With ``--search random`` (or ``grid``) each pipeline's ready search space
(``pipelines.search_space``) is searched inside every outer fold, with inner folds grouped by
speaker (nested cross-validation, ``sersk.model_selection.nested_cross_validate``); its rows
are labelled ``<pipeline>+search``, so they sit beside the defaults' rows in a table, and the
``search`` column says which search (``random(n_iter=20, inner_splits=3)``). In MLflow each
search is a parent run with a child run per candidate.

Every corpus x pipeline x protocol is cross-validated (speaker-independent by default), logged
as one MLflow run (see sersk.tracking), and summarised in a table printed here and written to
``<out>/summary.md``; the per-fold rows go to ``<out>/results.csv``. Features are cached in
``<out>/cache`` (or ``--cache``), so a clip is extracted once across folds, pipelines sharing
a feature set, and later runs.

``--protocol loso`` has one fold per speaker; ``--protocol loco`` leaves one corpus out at a
time (one fold per corpus, predictions restricted to the test corpus's emotions);
``--protocol cross-corpus`` trains on one corpus and tests on another over their shared
emotions (every ordered pair, and all-but-one with three or more corpora); ``--adapt corpus``
(``speaker``) standardises each corpus (speaker) with its own clips' statistics, and
``--transductive`` each speaker before the usual scaler; both label the results so. Every
clip is first checked for exact and near duplicates (fingerprints
cached beside the features); runs whose training and test clips share a recording are
counted (``n_duplicates``), warned about and listed in summary.md (see benchmarks._protocols).

Each test clip's prediction goes to ``<out>/predictions.csv``, and ``<out>/report.html`` is
a self-contained page with the table, bootstrap intervals over speakers, chance levels,
paired comparisons between pipelines tested on the same folds, confusion matrices, per-class
recall, the calibration of the probabilities (ECE, Brier score and the AUROC of the confidence
in the table, a reliability diagram and accuracy against coverage) and the protocol of every
number (``python -m benchmarks.report <out>`` rebuilds it).
``--log-model`` also logs each pipeline, fitted once more on all the clips, as an MLflow model.

Clips that cannot be used (unreadable, empty, truncated, silent, too short) are left out
before anything runs, each listed with its reason in the console, summary.md and
``<out>/left_out.csv`` (``--strict``: exit status 2 instead; see benchmarks._bad_clips).
Finished runs and folds are kept in ``<out>/resume``: an interrupted benchmark run again with
the same ``--out`` fits and logs only what it had not finished (``--restart`` starts over;
see benchmarks._resume).

Exit status: 0 when every fold ran, 1 when some failed (the table says which), 2 for a
usage or data error (such as naming with --pipelines one whose extra or model is missing).
Pipelines the default set leaves out are not failures.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._bad_clips import (
    BadClipsError,
    add_bad_clip_arguments,
    append_left_out_section,
    screen_corpora,
    write_left_out,
)
from ._outputs import (
    EXPERIMENT,
    add_output_arguments,
    label_predictions,
    log_fitted_model,
    write_predictions,
    write_report_or_say_why,
    write_run_file,
)
from ._protocols import (
    CROSS_CORPUS,
    LOCO,
    LOCO_CORPORA,
    PROTOCOL_CHOICES,
    PROTOCOL_HELP,
    add_protocol_arguments,
    append_duplicate_section,
    check_duplicates,
    domains_of,
    n_folds,
    plan_runs,
    protocol_label,
    run_cross_corpus,
    run_tags,
    with_adaptation,
    with_speaker_normalisation,
)
from ._report import SYNTHETIC_NOTE, describe_protocols, format_table, summarise
from ._resume import Resume, add_resume_arguments, fold_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = "synthetic"
DATA_HOME_ENV = "SERSK_DATA_HOME"
WHISPER_MODEL_ENV = "SERSK_WHISPER_MODEL"


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        return os.cpu_count() or 1


class UsageError(Exception):
    """A problem with the command line or the data it points to: exit status 2."""


def data_home_candidates(data_home: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for corpus folders, in order.

    ``--data-home`` if given, else ``$SERSK_DATA_HOME`` if set, else ``./data``,
    ``~/sersk_data`` and ``../shared/corpora`` next to the repository.
    """
    if data_home is not None:
        return [Path(data_home).expanduser()]
    if os.environ.get(DATA_HOME_ENV):
        return [Path(os.environ[DATA_HOME_ENV]).expanduser()]
    return [
        Path("data"),
        Path("~/sersk_data").expanduser(),
        REPO_ROOT.parent / "shared" / "corpora",
    ]


def find_corpus_home(corpus: str, candidates: list[Path]) -> Path | None:
    """The first candidate data home holding a folder for ``corpus``, or None."""
    from sersk.datasets import get_corpus_spec

    spec = get_corpus_spec(corpus)
    for home in candidates:
        if home.is_dir() and any(
            child.is_dir() and spec.matches_folder(child.name) for child in home.iterdir()
        ):
            return home.resolve()
    return None


def build_parser() -> argparse.ArgumentParser:
    import pipelines
    from sersk.cli._common import label_map
    from sersk.datasets import available_corpora

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Cross-validate named sersk pipelines on emotional speech corpora and "
        "print the comparison table.",
        epilog="With no --corpus: RAVDESS if a data home holds it, else the synthetic corpus.",
    )
    parser.add_argument(
        "--corpus", nargs="+", metavar="CORPUS",
        help=f"one or more of {', '.join([*available_corpora(), SYNTHETIC])}, or your own "
        "recordings: a CSV/TSV with path and emotion columns (optional speaker, gender), or a "
        "folder with one folder per emotion (ROOT/angry/*.wav, or ROOT/angry/SPEAKER/*.wav); "
        "tables name them after the file or folder",
    )
    parser.add_argument(
        "--label-map", action="append", type=label_map, metavar="OLD=NEW,...",
        help="rename emotion labels in every corpus, e.g. frustrated=angry,glad=happy "
        "(repeatable)",
    )
    parser.add_argument(
        "--speaker-pattern", metavar="REGEX",
        help="find the speaker in each file name of your own recordings (its group 'speaker', "
        "else its first group, else the whole match), e.g. '^([^_]+)_' for alice_001.wav",
    )
    parser.add_argument(
        "--data-home", metavar="DIR",
        help=f"folder holding the corpus folders (default: ${DATA_HOME_ENV}, else ./data, "
        "~/sersk_data, ../shared/corpora next to the repository)",
    )
    parser.add_argument(
        "--pipelines", nargs="+", choices=pipelines.available(), metavar="NAME",
        help=f"pipelines to compare (default: all of {', '.join(pipelines.available())} "
        "whose install extra is here, the Whisper ones only with a Whisper model; "
        "'sersk pipelines' says which)",
    )
    parser.add_argument(
        "--whisper-model", metavar="DIR", default=os.environ.get(WHISPER_MODEL_ENV) or None,
        help=f"Whisper model folder (CTranslate2) for the whisper-* pipelines (default: "
        f"${WHISPER_MODEL_ENV}); `python -m benchmarks.whisper_model --out DIR` makes one",
    )
    parser.add_argument(
        "--protocol", nargs="+", choices=PROTOCOL_CHOICES, default=["speaker"],
        help=PROTOCOL_HELP,
    )
    parser.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    parser.add_argument("--out", default="benchmark-results", metavar="DIR",
                        help="output folder (default: benchmark-results)")
    parser.add_argument("--n-jobs", type=int, default=available_cores(),
                        help="processes for feature extraction (default: the cores available "
                        f"to this process, {available_cores()} here)")
    parser.add_argument("--cache", metavar="DIR",
                        help="feature cache folder (default: <out>/cache)")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log MLflow runs")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the folds and the synthetic corpus (default: 0)")
    synthetic = parser.add_argument_group("synthetic corpus")
    synthetic.add_argument("--synthetic-speakers", type=int, default=8, metavar="N",
                           help="speakers (default: 8)")
    synthetic.add_argument("--synthetic-utterances", type=int, default=10, metavar="N",
                           help="clips per speaker and emotion (default: 10)")
    add_output_arguments(parser)
    add_bad_clip_arguments(parser)
    add_resume_arguments(parser)
    add_protocol_arguments(parser)
    add_search_arguments(parser)
    return parser


def choose_corpora(args: argparse.Namespace) -> tuple[list[str], str]:
    """The corpora to run, and a sentence saying why."""
    if args.corpus:
        corpora = list(dict.fromkeys(args.corpus))
        return corpora, f"benchmarking {', '.join(corpora)}, as named with --corpus"
    candidates = data_home_candidates(args.data_home)
    if LOCO in args.protocol:
        from sersk.datasets import available_corpora

        known = [c for c in LOCO_CORPORA if c in available_corpora()]
        found = [c for c in known if find_corpus_home(c, candidates) is not None]
        return found, (f"no --corpus given: leave-one-corpus-out over {', '.join(found)} "
                       f"(the default set {', '.join(LOCO_CORPORA)}, those sersk can load and "
                       "a data home holds)")
    home = find_corpus_home("ravdess", candidates)
    if home is not None:
        return ["ravdess"], f"no --corpus given: benchmarking RAVDESS, found in {home}"
    searched = ", ".join(str(c) for c in candidates)
    return [SYNTHETIC], (
        f"no --corpus given and no RAVDESS folder in {searched}: benchmarking the SYNTHETIC "
        "corpus, whose figures say nothing about real speech (use --data-home, or "
        f"${DATA_HOME_ENV}, to point to RAVDESS)"
    )


def load(corpus: str, args: argparse.Namespace) -> pd.DataFrame:
    """The corpus frame: columns emotion, speaker, corpus and what ``audio_inputs`` needs.

    ``corpus`` is a corpus name, ``synthetic``, or the path of one's own recordings (a label
    file or a folder per emotion), whose frame's ``corpus`` column names it in the tables.
    """
    from sersk.datasets import get_corpus_spec, load_corpus, make_emotional_speech
    from sersk.datasets._labelled import is_labelled_source
    from sersk.exceptions import CorpusError

    if corpus == SYNTHETIC:
        return make_emotional_speech(
            n_speakers=args.synthetic_speakers, n_utterances=args.synthetic_utterances,
            random_state=args.seed,
        )
    if is_labelled_source(corpus):
        try:
            frame = load_corpus(corpus, speaker_pattern=getattr(args, "speaker_pattern", None))
        except CorpusError as exc:
            raise UsageError(str(exc)) from exc
        name, source = next(iter(frame.attrs["roots"].items()))
        print(f"{source}: {len(frame)} clips, named {name!r} in the tables", flush=True)
        return frame
    try:
        get_corpus_spec(corpus)
    except CorpusError as exc:
        raise UsageError(f"{exc}, or the path of your own recordings (a CSV/TSV label file "
                         "or a folder per emotion)") from exc
    candidates = data_home_candidates(args.data_home)
    home = find_corpus_home(corpus, candidates)
    if home is None:
        raise UsageError(
            f"no {corpus} folder in {', '.join(str(c) for c in candidates)}; pass --data-home "
            f"DIR (a folder holding a '{corpus}' folder) or set ${DATA_HOME_ENV}"
        )
    try:
        return load_corpus(corpus, home)
    except CorpusError as exc:
        raise UsageError(str(exc)) from exc


def load_all(corpora: list[str], args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """Every corpus's frame, keyed by its name in the tables, with ``--label-map`` applied.

    Raises :class:`UsageError` for two corpora of one name, a label map naming no label, and
    corpora whose speakers are unknown under a protocol that splits by speaker.
    """
    from sersk.datasets._labelled import apply_label_map, missing_speakers
    from sersk.exceptions import CorpusError
    from sersk.model_selection import SPEAKER_GROUPED

    frames: dict[str, pd.DataFrame] = {}
    for corpus in corpora:
        frame = load(corpus, args)
        name = str(frame["corpus"].iloc[0])
        if name in frames:
            raise UsageError(f"two corpora are named {name!r} ({corpora}): your own "
                             "recordings are named after their file or folder; rename one")
        frames[name] = frame
    mapping = {old: new for item in getattr(args, "label_map", None) or []
               for old, new in item.items()}
    if mapping:
        labels = set().union(*(set(frame["emotion"]) for frame in frames.values()))
        try:
            frames = {name: apply_label_map(frame, mapping, labels=labels)
                      for name, frame in frames.items()}
        except CorpusError as exc:
            raise UsageError(str(exc)) from exc
    grouped = [f"--protocol {p}" for p in args.protocol if p in SPEAKER_GROUPED]
    if getattr(args, "transductive", False):
        grouped.append("--transductive")
    for frame in frames.values():
        problem = missing_speakers(frame)
        if problem and grouped:
            raise UsageError(
                f"{' and '.join(grouped)} split{'s' * (len(grouped) == 1)} by speaker, and "
                f"{problem}; or run --protocol random, a speaker-dependent evaluation whose "
                "scores overstate what a new speaker would see"
            )
    return frames


def needs_whisper_model(name: str) -> bool:
    """Whether a named pipeline is built on a Whisper model folder."""
    import inspect

    import pipelines

    return "whisper_model" in inspect.signature(pipelines.get_spec(name).build).parameters


def choose_pipelines(args: argparse.Namespace) -> list[str]:
    """The pipelines to run.

    Without their install extra (``pipelines.needs``) or, for the Whisper pipelines, without
    a Whisper model, the default set leaves pipelines out, with one line per missing part
    saying how to add it; naming such a pipeline with --pipelines is then a usage error."""
    import pipelines

    names = list(dict.fromkeys(args.pipelines or pipelines.available()))
    whisper = [name for name in names if needs_whisper_model(name)]
    if whisper and args.whisper_model is not None:
        if not (Path(args.whisper_model).expanduser() / "model.bin").is_file():
            raise UsageError(f"--whisper-model {args.whisper_model}: no model.bin there; "
                             "`python -m benchmarks.whisper_model --out DIR` makes a model folder")
        whisper = []
    # Each missing part, and the pipelines that need it.
    missing: dict[str, list[str]] = {}
    for name in names:
        for need in pipelines.needs(name):
            if need.missing and need.extra:  # the Whisper model is --whisper-model's
                missing.setdefault(need.missing, []).append(name)
    if whisper:
        missing[f"no Whisper model (pass --whisper-model DIR or set ${WHISPER_MODEL_ENV}; "
                "`python -m benchmarks.whisper_model --out DIR` makes one)"] = whisper
    # One line per set of pipelines (the Whisper ones lack both the extra and the model).
    lines: dict[tuple[str, ...], list[str]] = {}
    for reason, left in missing.items():
        lines.setdefault(tuple(left), []).append(reason)
    if lines and args.pipelines:
        raise UsageError("; ".join(f"{', '.join(left)} cannot run here: {'; '.join(reasons)}"
                                   for left, reasons in lines.items()))
    for left, reasons in lines.items():
        print(f"leaving out {', '.join(left)}: {'; '.join(reasons)}", flush=True)
    left_out = {name for left in lines for name in left}
    return [name for name in names if name not in left_out]


def _feature_key(pipeline: Any) -> str:
    """Identifies a feature configuration, so each is timed (and extracted) once."""
    import joblib

    params = pipeline.named_steps["features"].get_params()
    for volatile in ("memory", "n_jobs", "verbose"):
        params.pop(volatile, None)
    return joblib.hash((type(pipeline.named_steps["features"]).__name__, params))


def _warm_cache(pipeline: Any, X: list) -> float:
    """Extract every clip once into the cache; the seconds per clip it took."""
    from sklearn.base import clone

    features = clone(pipeline.named_steps["features"]).set_params(verbose=True)
    start = time.perf_counter()
    features.fit(X).transform(X)
    return (time.perf_counter() - start) / len(X)


def run_one(
    corpus: str, frame: pd.DataFrame, name: str, protocol: str, args: argparse.Namespace,
    cache: Path, extraction: dict[tuple[str, str], float],
    predictions: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Cross-validate one pipeline under one protocol; log it; its per-fold rows.

    Its per-clip predictions are appended to ``predictions`` when given."""
    if getattr(args, "search", "none") != "none":
        return run_search(corpus, frame, name, protocol, args, cache, extraction, predictions)
    import pipelines
    from sersk.datasets import audio_inputs
    from sersk.model_selection import cross_validate_speakers, tabulate_folds

    X = audio_inputs(frame)
    y = frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    extra = {"whisper_model": args.whisper_model} if needs_whisper_model(name) else {}
    model = pipelines.make(name, memory=str(cache), n_jobs=args.n_jobs, **extra)
    if args.transductive:
        model = with_speaker_normalisation(model, name)
    if getattr(args, "adapt", None):
        model = with_adaptation(model, name)
    key = (corpus, _feature_key(model))  # timed once per corpus and feature set
    label = f"{corpus}/{name}/{protocol}"
    if key not in extraction:
        extraction[key] = _warm_cache(model, X)
    results, clips = cross_validate_speakers(
        model, X, y, speakers=speakers, protocol=protocol, n_splits=args.folds,
        random_state=args.seed, error_score=np.nan, progress=label, return_predictions=True,
        corpora=frame["corpus"].to_numpy(), domains=domains_of(frame, args),
        restrict=not getattr(args, "no_restrict", False),
        checkpoint=fold_checkpoint(args, corpus, name, protocol),
    )
    if protocol == LOCO:
        print(f"{corpus} / {name} / {results.attrs['protocol']}: " + "; ".join(
            f"{row.test_corpus} {row.uar:.3f} ({row.emotions})"
            for row in results.itertuples()), flush=True)
    clips = label_predictions(clips, frame, corpus=corpus, pipeline=name,
                              protocol=results.attrs["protocol"])
    if predictions is not None:
        predictions.append(clips)
    run_id = None
    if not args.no_mlflow:
        from sersk.tracking import log_cross_validation

        run_id = log_cross_validation(
            results, corpus=corpus, pipeline=name, estimator=model, out_dir=args.out,
            experiment=EXPERIMENT,
            params={"seed": args.seed, "n_clips": len(y), "n_speakers": len(set(speakers)),
                    "n_classes": len(set(y))},
            metrics={"extract_seconds_per_clip": extraction[key]},
            tags={"synthetic": str(corpus == SYNTHETIC).lower(), **run_tags(args)},
            predictions=clips[["index", "fold", "speaker", "y_true", "y_pred"]],
        )
        if getattr(args, "log_model", False):
            log_fitted_model(model, X, y, run_id=run_id, corpus=corpus, pipeline=name,
                             out_dir=args.out)
    table = tabulate_folds(results)
    table.insert(0, "pipeline", name)
    table.insert(0, "corpus", corpus)
    table["extract_seconds_per_clip"] = extraction[key]
    table["mlflow_run_id"] = run_id
    if getattr(args, "duplicate_check", None) is not None:
        args.duplicate_check.annotate(table, corpus, frame, name, protocol, args)
    return table


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``--search``: nested cross-validation of a search per pipeline."""
    group = parser.add_argument_group(
        "search",
        "nested speaker-independent search: each outer fold searches its training speakers "
        "(inner folds grouped by speaker, UAR) and scores the winner on its test speakers",
    )
    group.add_argument(
        "--search", choices=["none", "random", "grid"], default="none",
        help="none: the pipelines' defaults (default); random: randomized search over the "
        "pipeline's distributions (pipelines.search_space); grid: over its grid. Rows are "
        "labelled <pipeline>+search, with the search in a 'search' column",
    )
    group.add_argument("--n-iter", type=_at_least(1), default=10, metavar="N",
                       help="candidates of a randomized search (default: 10)")
    group.add_argument("--inner-folds", type=_at_least(2), default=3, metavar="K",
                       help="inner speaker-independent folds (default: 3)")


def _at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def run_search(
    corpus: str, frame: pd.DataFrame, name: str, protocol: str, args: argparse.Namespace,
    cache: Path, extraction: dict[tuple[str, str], float],
    predictions: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Nested search of one pipeline under one protocol; log it; its per-fold rows.

    The rows have the columns of :func:`run_one`'s, the pipeline named ``<name>+search``, and
    ``search`` (such as ``random(n_iter=20, inner_splits=3)``), ``inner_uar``,
    ``best_params`` (JSON) and ``search_seconds``. In MLflow, the search is a parent run with
    a child run per candidate (see :func:`sersk.tracking.log_search`). The outer folds'
    per-clip predictions are appended to ``predictions`` when given.
    """
    import json

    import pipelines
    from sersk.datasets import audio_inputs
    from sersk.exceptions import SerskError
    from sersk.model_selection import nested_cross_validate, tabulate_folds

    if getattr(args, "transductive", False) or getattr(args, "adapt", None):
        raise SerskError("--search does not combine with --transductive or --adapt: the "
                         "searches cannot pass the speakers or domains to the normalisation")

    X = audio_inputs(frame)
    y = frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    extra = {"whisper_model": args.whisper_model} if needs_whisper_model(name) else {}
    model = pipelines.make(name, memory=str(cache), n_jobs=args.n_jobs, **extra)
    key = (corpus, _feature_key(model))
    if key not in extraction:
        extraction[key] = _warm_cache(model, X)
    # Every clip is cached now: the search's workers read features, so they extract on one
    # process each rather than start pools of their own.
    model = pipelines.make(name, memory=str(cache), n_jobs=1, **extra)
    label = f"{name}+search"
    start = time.perf_counter()
    results = nested_cross_validate(
        model, pipelines.search_space(name, args.search), X, y, speakers=speakers,
        search=args.search, n_iter=args.n_iter, inner_splits=args.inner_folds,
        protocol=protocol, n_splits=args.folds, random_state=args.seed, n_jobs=args.n_jobs,
        error_score=np.nan, progress=f"{corpus}/{label}/{protocol}",
    )
    seconds = time.perf_counter() - start
    folds = results.folds
    clips = label_predictions(results.predictions, frame, corpus=corpus, pipeline=label,
                              protocol=folds.attrs["protocol"])
    if predictions is not None:
        predictions.append(clips)
    print(f"{corpus}/{label}/{protocol}: nested {folds.attrs['search']} search, UAR "
          f"{folds['uar'].mean():.3f} ± {folds['uar'].std(ddof=0):.3f} over "
          f"{len(folds)} outer folds, {seconds:.0f} s", flush=True)
    run_id = None
    if not args.no_mlflow:
        from sersk.tracking import log_search

        run_id = log_search(
            results, corpus=corpus, pipeline=label, estimator=model, out_dir=args.out,
            experiment=EXPERIMENT,
            params={"seed": args.seed, "n_clips": len(y), "n_speakers": len(set(speakers)),
                    "n_classes": len(set(y))},
            metrics={"extract_seconds_per_clip": extraction[key], "nested_seconds": seconds},
            # A search is never transductive (see above): tagged as run_one tags its runs.
            tags={"synthetic": str(corpus == SYNTHETIC).lower(), "transductive": "false"},
        )
    table = tabulate_folds(folds)
    table["best_params"] = [None if p is None else json.dumps(p, sort_keys=True, default=str)
                            for p in table["best_params"]]
    table.insert(0, "pipeline", label)
    table.insert(0, "corpus", corpus)
    table["search"] = folds.attrs["search"]
    table["extract_seconds_per_clip"] = extraction[key]
    table["mlflow_run_id"] = run_id
    if getattr(args, "duplicate_check", None) is not None:
        args.duplicate_check.annotate(table, corpus, frame, name, protocol, args)
    return table


def _failed_run(corpus: str, name: str, label: str, folds: int, exc: Exception) -> pd.DataFrame:
    """The rows of a run that failed before its folds: ``label`` is its protocol column."""
    table = pd.DataFrame({"fold": range(1, folds + 1)}, columns=_FIRST_COLUMNS)
    table[["corpus", "pipeline", "protocol"]] = [corpus, name, label]
    table["error"] = f"{type(exc).__name__}: {exc}"
    return table


_FIRST_COLUMNS = [
    "corpus", "pipeline", "protocol", "fold", "uar", "accuracy", "macro_f1", "fit_seconds",
    "predict_seconds_per_clip", "extract_seconds_per_clip", "n_train", "n_test",
]
_LAST_COLUMNS = ["mlflow_run_id", "error"]


def _write_results(tables: list[pd.DataFrame], path: Path) -> pd.DataFrame:
    results = pd.concat(tables, ignore_index=True)
    # The same order whichever runs there were and whichever came first: the first columns,
    # the others (recall_<emotion>, search and duplicate columns …) by name, then the last.
    known = {*_FIRST_COLUMNS, *_LAST_COLUMNS}
    results = results[[*_FIRST_COLUMNS, *sorted(c for c in results if c not in known),
                       *(c for c in _LAST_COLUMNS if c in results)]]
    tmp = path.with_suffix(".csv.tmp")
    results.to_csv(tmp, index=False)
    tmp.replace(path)
    return results


def write_summary(
    path: Path, summary: pd.DataFrame, frames: dict[str, pd.DataFrame], reason: str,
    args: argparse.Namespace, argv: list[str],
) -> None:
    from sersk.datasets import available_corpora
    from sersk.tracking import tracking_uri

    lines = [
        "# sersk benchmark", "",
        f"Run on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: "
        f"`python -m benchmarks.run {shlex.join(argv)}`".rstrip(), "",
        f"{reason[0].upper()}{reason[1:]}.", "",
        format_table(summary, markdown=True), "",
        "UAR: unweighted average recall (recall averaged over emotions, chance = 1 / number of "
        "emotions), mean ± standard deviation over the folds; accuracy and macro-F1 are fold "
        "means. *extract*: feature extraction per clip, timed once per feature set while "
        "filling the cache (a cache left by an earlier run makes it a cache read). *fit* and "
        "*predict* are per fold, with features read from that cache. *ECE*, *Brier*, *AUROC*: "
        "how far `predict_proba` can be trusted, over all test clips pooled "
        "(`sersk.metrics.calibration_scores`): top-label expected calibration error in 15 "
        "bins (0 = confidences match accuracies), multiclass Brier score (0 best, 2 worst), "
        "and the AUROC of the top probability for telling right predictions from wrong ones "
        "(0.5 = no information).", "",
        "## Protocols", "",
        *(f"- **{label}**: {text}" for label, text in describe_protocols(summary["protocol"])),
        *([f"- {args.folds} folds, seed {args.seed}."]
          if {"speaker", "random"} & set(args.protocol) else []), "",
        "## Data", "",
    ]
    for corpus, frame in frames.items():
        counts = frame["emotion"].value_counts().sort_index()
        # One's own recordings: where they were read from (corpora are named after it).
        own = (frame.attrs.get("roots", {}).get(corpus)
               if corpus not in available_corpora() else None)
        speakers = ("speakers unknown" if frame["speaker"].isna().all()
                    else f"{frame['speaker'].nunique()} speakers")
        lines.append(
            f"- **{corpus}**{f' (`{own}`)' if own else ''}: {len(frame)} clips, {speakers}, "
            f"{len(counts)} emotions ({', '.join(f'{e} {n}' for e, n in counts.items())}); "
            f"chance UAR {1 / len(counts):.3f}."
        )
    if SYNTHETIC in frames:
        lines += ["", f"**{SYNTHETIC_NOTE}**"]
    failures = summary[summary["n_failed"] > 0]
    if len(failures):
        lines += ["", "## Failures", "", "Failed folds are listed, with their errors, in "
                  "`results.csv` (column `error`)."]
    if not args.no_mlflow:
        lines += ["", "## MLflow", "", f"One run per row, experiment `{EXPERIMENT}`, at "
                  f"`{tracking_uri(args.out)}`."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status."""
    from sersk._progress import interactive, progress_bar
    from sersk.exceptions import SerskError

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    if CROSS_CORPUS in args.protocol and len(set(args.corpus or [])) < 2:
        print("error: --protocol cross-corpus needs at least two corpora: --corpus A B ...",
              file=sys.stderr)
        return 2
    if args.search != "none" and (args.transductive or args.adapt or
                                  {CROSS_CORPUS, LOCO} & set(args.protocol)):
        print("error: --search runs k-fold protocols without --transductive or --adapt; run "
              "--protocol cross-corpus or loco, --transductive and --adapt without --search",
              file=sys.stderr)
        return 2
    if args.transductive and args.adapt:
        print("error: --transductive and --adapt both standardise per speaker or domain; "
              "choose one (--adapt speaker replaces the pipeline's scaler, --transductive "
              "adds one before it)", file=sys.stderr)
        return 2
    out = Path(args.out)
    cache = Path(args.cache) if args.cache else out / "cache"
    corpora, reason = choose_corpora(args)
    print(reason, flush=True)
    if LOCO in args.protocol and len(corpora) < 2:
        print(f"error: --protocol loco needs at least two corpora; got {corpora}: --corpus "
              "A B ...", file=sys.stderr)
        return 2
    try:
        args.pipelines = choose_pipelines(args)
        frames = load_all(corpora, args)
        frames, left_out = screen_corpora(frames, args, cache)
    except (UsageError, BadClipsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    corpora = list(frames)
    out.mkdir(parents=True, exist_ok=True)
    write_run_file(out, argv, args, frames)
    write_left_out(out, left_out)
    args.resume = Resume(out, args, frames)

    args.duplicate_check = check_duplicates(frames, args, cache)
    runs = plan_runs(corpora, args.pipelines, args.protocol)
    tables, extraction, clips = [], {}, []
    for number, (corpus, name, protocol) in enumerate(
            progress_bar(runs, desc="benchmark", unit="run"), start=1):
        if not interactive():  # no progress bars in a log: a line per run instead
            print(f"[{number}/{len(runs)}] {corpus}/{name}/{protocol}", flush=True)
        if (finished := args.resume.finished(corpus, name, protocol)) is not None:
            tables.append(finished[0])
            clips.extend(finished[1])
            results = _write_results(tables, out / "results.csv")
            write_predictions(clips, out)
            continue
        n_clips = len(clips)
        args.resume.begin(corpus, name, protocol)
        try:
            if protocol == CROSS_CORPUS:
                tables.append(run_cross_corpus(corpus, frames, name, args, cache, extraction,
                                               predictions=clips))
            else:
                frame = (pd.concat([frames[c] for c in corpora], ignore_index=True)
                         if protocol == LOCO else frames[corpus])
                tables.append(run_one(corpus, frame, name, protocol, args, cache,
                                      extraction, predictions=clips))
        except Exception as exc:  # noqa: BLE001 -- one broken run must not cost the others
            if isinstance(exc, SerskError):  # a message written for users: no traceback
                print(f"error: {corpus}/{name}/{protocol}: {exc}", file=sys.stderr)
            else:
                traceback.print_exc()
            tables.append(_failed_run(corpus, name, protocol_label(corpus, protocol, args),
                                      n_folds(corpus, protocol, frames, args), exc))
        else:
            args.resume.save(corpus, name, protocol, tables[-1], clips[n_clips:])
        # Written after every run: an interrupted benchmark keeps what it finished.
        results = _write_results(tables, out / "results.csv")
        write_predictions(clips, out)

    summary = summarise(results, pd.concat(clips, ignore_index=True) if clips else None)
    write_summary(out / "summary.md", summary, frames, reason, args, argv)
    append_duplicate_section(out / "summary.md", args.duplicate_check)
    append_left_out_section(out / "summary.md", left_out)
    report = write_report_or_say_why(out, args)

    print()
    print(format_table(summary))
    if SYNTHETIC in frames:
        print(f"\n{SYNTHETIC_NOTE}")
    print(f"\nPer-fold results: {out / 'results.csv'}; summary: {out / 'summary.md'}")
    if report is not None:
        print(f"Report: {report}")
    n_failed = int(summary["n_failed"].sum())
    if n_failed:
        print(f"{n_failed} fold(s) failed; see the error column of results.csv",
              file=sys.stderr)
    return 1 if n_failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: the finished runs and folds are kept; the same command (same "
              "--out) goes on where this one stopped", file=sys.stderr)
        sys.exit(130)

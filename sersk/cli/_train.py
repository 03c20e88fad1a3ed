"""``sersk train``: train a named pipeline on corpora and save it."""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._common import (
    SYNTHETIC,
    CommandError,
    UsageError,
    add_data_options,
    command,
    load_frames,
    note,
    show_progress,
)

# Keys a training config file may hold, and the command-line options they stand for.
_CONFIG_KEYS = {
    "pipeline": "pipeline", "corpus": "corpus", "data_home": "data_home", "params": "set",
    "emotions": "emotions", "cv": "cv", "output": "output", "cache": "cache",
    "n_jobs": "n_jobs", "seed": "seed", "synthetic_speakers": "synthetic_speakers",
    "synthetic_utterances": "synthetic_utterances", "label_map": "label_map",
    "speaker_pattern": "speaker_pattern", "strict": "strict",
}


def add_parser(commands) -> None:
    parser = command(
        commands, "train", "train a named pipeline on corpora and save it",
        "Train a named pipeline on one or more corpora and save it as one joblib file (the\n"
        "fitted scikit-learn pipeline, which any scikit-learn code can load, with what it is\n"
        "and how it was trained).\n\n"
        "examples:\n"
        "  sersk train handcrafted-svm --corpus ravdess -o ser.joblib --cv 5\n"
        "  sersk train mfcc-svm --corpus ravdess emodb --emotions neutral happy sad angry \\\n"
        "      --set svc__estimator__C=10 -o four.joblib\n"
        "  sersk train handcrafted-svm --corpus my_labels.csv --label-map glad=happy\n"
        "  sersk train --config train.toml\n\n"
        "A config file (TOML or JSON) holds the same settings: pipeline, corpus, data_home,\n"
        "emotions, params (a table of pipeline parameters), label_map (a table of old = new\n"
        "labels), speaker_pattern, cv, output, cache, n_jobs, seed, strict; options given on\n"
        "the command line win.\n\n"
        "Clips that cannot be used (unreadable, empty, truncated, silent, too short) are left\n"
        "out, each listed with its reason; --strict stops instead.",
    )
    # The names are checked when training: importing the registry (and scikit-learn) here
    # would slow down every 'sersk --help'.
    parser.add_argument("pipeline", nargs="?", metavar="PIPELINE",
                        help="the named pipeline to train, such as handcrafted-svm ('sersk "
                        "pipelines' lists them)")
    parser.add_argument("-o", "--output", metavar="MODEL", default=None,
                        help="where to save the model (default: <pipeline>.joblib). A name "
                        "ending in .skops writes the skops format, which loads without "
                        "running code from the file (classic pipelines only; needs the skops "
                        "extra); .joblib files run code when loaded: share them only with "
                        "people who trust you")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="TOML or JSON file with the training settings")
    parser.add_argument("--set", action="append", metavar="PARAM=VALUE", default=None,
                        help="a pipeline parameter, e.g. svc__estimator__C=10 (repeatable; "
                        "names as in 'sersk pipelines NAME')")
    parser.add_argument("--cv", type=int, default=None, metavar="K",
                        help="first cross-validate with K speaker-independent folds and store "
                        "the scores with the model (default: no cross-validation)")
    parser.add_argument("--confusion", metavar="PNG", default=None,
                        help="with --cv, draw the confusion matrix summed over the folds here")
    parser.add_argument("--cache", metavar="DIR", default=None,
                        help="feature cache folder, reused by later runs (default: a temporary "
                        "folder, deleted at the end)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="processes for feature extraction (-1: all cores; default: 1)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--strict", action="store_true", default=None,
                        help="stop (exit status 1) when any clip cannot be used, listing every "
                        "one (default: leave such clips out, listed, and train on the rest)")
    add_data_options(parser, required=False)
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    import pipelines

    from ..datasets import audio_inputs, screen_clips
    from ..datasets._labelled import missing_speakers
    from ..persistence import save_model

    _apply_config(args)
    if not args.pipeline:
        raise UsageError("no pipeline named: give one (sersk train PIPELINE …) or set "
                           "'pipeline' in --config")
    if args.pipeline not in pipelines.available():
        raise CommandError(f"no pipeline named {args.pipeline!r}; available: "
                           f"{', '.join(pipelines.available())}")
    if not args.corpus:
        raise UsageError("no training data: give --corpus NAME … (or 'corpus' in --config)")
    if args.cv is not None and args.cv < 2:
        raise CommandError(f"--cv {args.cv}: cross-validation needs at least 2 folds")
    output = Path(args.output or f"{args.pipeline}.joblib")
    params = _parse_params(args.set or [])
    # A missing install extra or model, said before the corpus is read.
    pipelines.check_needs(args.pipeline, **params)

    frame, corpora = load_frames(args)
    frame, left_out = screen_clips(frame, memory=args.cache, strict=bool(args.strict))
    if len(left_out):
        note(f"leaving out {len(left_out)} clip(s) that cannot be used (--strict to stop "
             "instead):\n" + "\n".join(f"  {row.source}: {row.reason}"
                                      for row in left_out.itertuples()))
        if frame.empty:
            raise CommandError(f"none of the {len(left_out)} clips can be used")
    X, y = audio_inputs(frame), frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    counts = frame["emotion"].value_counts().sort_index()
    unknown = missing_speakers(frame)
    n_speakers = (f"{frame['speaker'].nunique()} speakers" if unknown is None else
                  f"{frame['speaker'].nunique()} known speakers, "
                  f"{int(frame['speaker'].isna().sum())} clips of unknown speaker")
    note(f"training {args.pipeline} on {len(frame)} clips of {', '.join(corpora)} "
          f"({n_speakers}; " + ", ".join(f"{e} {n}" for e, n in counts.items()) + ")")
    if len(counts) < 2:
        raise CommandError("the training data hold a single emotion; a classifier needs two "
                           "or more")
    if args.cv and unknown is not None:
        raise CommandError(f"--cv makes speaker-independent folds, and {unknown}; or train "
                           "without --cv")

    spec = pipelines.get_spec(args.pipeline)
    with _cache_folder(args.cache) as cache:
        model = _make_pipeline(args.pipeline, params, spec.feature_step, cache, args.n_jobs)
        _extract_once(model, spec.feature_step, X, progress=show_progress(args))
        metrics: dict[str, Any] = {}
        if args.cv:
            metrics = _cross_validate(model, X, y, speakers, args)
        try:
            model.fit(X, y)
        except ValueError as exc:  # scikit-learn's word for data it cannot fit, e.g. too few
            raise CommandError(f"{args.pipeline} cannot be trained on these "
                               f"{len(y)} clips: {exc}") from exc
    _forget_runtime_params(model, spec.feature_step)

    meta = save_model(
        model, output, pipeline_name=args.pipeline, corpora=corpora, n_train=len(frame),
        metrics=metrics,
        extra={
            "n_speakers": int(frame["speaker"].nunique()),
            "emotion_counts": {str(e): int(n) for e, n in counts.items()},
            "params": {k: _jsonable(v) for k, v in params.items()},
            "left_out": [{"source": row.source, "reason": row.reason}
                         for row in left_out.itertuples()],
            "synthetic": corpora == [SYNTHETIC],
            "seed": args.seed or 0,
            "command": "sersk " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None,
        },
    )
    summary = f"saved {output} ({args.pipeline}, {len(meta['classes'])} emotions"
    if metrics:
        summary += (f"; speaker-independent {metrics['n_splits']}-fold UAR "
                    f"{metrics['uar_mean']:.3f} ± {metrics['uar_std']:.3f}, chance "
                    f"{1 / len(counts):.3f}")
    print(summary + ")")
    if corpora == [SYNTHETIC]:
        note("note: trained on synthetic sounds, not speech: use it to try sersk out, not to "
              "recognise emotions")
    return 0


def _apply_config(args: argparse.Namespace) -> None:
    """Fill the options not given on the command line from --config."""
    if not args.config:
        return
    config = _read_config(Path(args.config))
    unknown = sorted(set(config) - set(_CONFIG_KEYS))
    if unknown:
        raise CommandError(f"{args.config}: unknown setting(s) {', '.join(unknown)}; known: "
                           f"{', '.join(_CONFIG_KEYS)}")
    for key, dest in _CONFIG_KEYS.items():
        if key not in config:
            continue
        value = config[key]
        if key == "label_map":
            if not isinstance(value, dict):
                raise CommandError(f"{args.config}: 'label_map' must be a table of "
                                   "old = new labels")
            if args.label_map is None:
                args.label_map = [{str(k): str(v) for k, v in value.items()}]
            continue
        if key == "params":
            if not isinstance(value, dict):
                raise CommandError(f"{args.config}: 'params' must be a table of "
                                   "parameter = value")
            # Command-line --set options are applied after (and so over) the config's.
            value = [f"{k}={v!r}" for k, v in value.items()] + (args.set or [])
            args.set = value
            continue
        if key in ("corpus", "emotions") and isinstance(value, str):
            value = [value]
        if getattr(args, dest) is None:
            setattr(args, dest, value)


def _read_config(path: Path) -> dict:
    if not path.is_file():
        raise CommandError(f"{path}: config file not found")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            config = json.loads(text)
        else:
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            config = tomllib.loads(text)
    except ModuleNotFoundError:
        raise CommandError(f"{path}: TOML configs need Python 3.11 or 'pip install tomli'; "
                           "or write the config as JSON") from None
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise CommandError(f"{path}: not a valid config file ({exc})") from None
    if not isinstance(config, dict):
        raise CommandError(f"{path}: a config file must hold a table of settings")
    return config


def _parse_params(items: list[str]) -> dict[str, Any]:
    params = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--set {item!r}: expected PARAM=VALUE, e.g. "
                               "svc__estimator__C=10")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()  # a bare word: a string such as gamma=scale
        params[name.strip()] = value
    return params


@contextlib.contextmanager
def _cache_folder(cache: str | None) -> Iterator[str]:
    if cache:
        yield cache
        return
    with tempfile.TemporaryDirectory(prefix="sersk-train-cache-") as tmp:
        yield tmp


def _make_pipeline(name: str, params: dict, step: str, cache: str, n_jobs: int | None):
    import pipelines

    try:
        model = pipelines.make(name, **params)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    _check_params(model, params)
    feature_params = model.named_steps[step].get_params(deep=False)
    runtime = {"memory": cache, "n_jobs": n_jobs}
    model.set_params(**{f"{step}__{k}": v for k, v in runtime.items() if k in feature_params})
    return model


def _check_params(model, params: dict) -> None:
    """Check the --set values against the estimators they set, before any work: a bad value
    would otherwise surface deep inside cross-validation, blamed on cross_val_predict."""
    from sklearn.utils._param_validation import InvalidParameterError

    nested = model.get_params(deep=True)
    for key, value in params.items():
        owner_key, _, leaf = key.rpartition("__")
        owner = nested.get(owner_key) if owner_key else model
        validate = getattr(owner, "_validate_params", None)
        if validate is None:
            continue
        try:
            validate()
        except InvalidParameterError as exc:
            # The owner may hold several --set values: name this one only if it is the culprit.
            culprit = f"--set {key}={value!r}: " if f"'{leaf}' parameter" in str(exc) else (
                "--set: ")
            raise CommandError(f"{culprit}{exc}") from None


def _extract_once(model, step: str, X: list, *, progress: bool) -> None:
    """Fill the feature cache with every clip, behind one progress bar.

    Cross-validation and the final fit then read the features from the cache, and a clip
    that cannot be used stops training here, with every such clip named, before any fitting.
    """
    from sklearn.base import clone

    features = clone(model.named_steps[step])
    if "verbose" in features.get_params(deep=False):
        features.set_params(verbose=progress)
    features.fit(X).transform(X)


def _cross_validate(model, X, y, speakers, args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from ..model_selection import cross_validate_speakers
    from ..tracking import confusion_matrix_figure

    results = cross_validate_speakers(
        model, X, y, speakers=speakers, n_splits=args.cv, random_state=args.seed or 0,
        progress="cross-validation" if show_progress(args) else False,
    )
    labels = results.attrs["labels"]
    metrics: dict[str, Any] = {"protocol": "speaker-independent", "n_splits": int(args.cv)}
    for name in ("uar", "accuracy", "macro_f1"):
        metrics[f"{name}_mean"] = float(results[name].mean())
        metrics[f"{name}_std"] = float(results[name].std(ddof=0))
    metrics["recall"] = {str(label): float(results[f"recall_{label}"].mean())
                         for label in labels}
    total = np.sum([np.asarray(m) for m in results["confusion_matrix"]], axis=0)
    metrics["confusion_matrix"] = total.tolist()
    metrics["labels"] = [str(label) for label in labels]
    note(f"speaker-independent {args.cv}-fold cross-validation: UAR "
          f"{metrics['uar_mean']:.3f} ± {metrics['uar_std']:.3f}, accuracy "
          f"{metrics['accuracy_mean']:.3f}, macro-F1 {metrics['macro_f1_mean']:.3f}")
    if args.confusion:
        figure = confusion_matrix_figure(
            total, metrics["labels"],
            title=f"{args.pipeline} on {', '.join(dict.fromkeys(args.corpus))}: "
            f"speaker-independent {args.cv}-fold CV (UAR {metrics['uar_mean']:.2f})",
        )
        Path(args.confusion).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.confusion, dpi=110)
        note(f"confusion matrix: {args.confusion}")
    return metrics


def _forget_runtime_params(model, step: str) -> None:
    """The saved model should not write to this machine's cache folder, or fork processes."""
    feature_params = model.named_steps[step].get_params(deep=False)
    defaults = {"memory": None, "n_jobs": None, "verbose": False}
    model.set_params(**{f"{step}__{k}": v for k, v in defaults.items() if k in feature_params})


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value

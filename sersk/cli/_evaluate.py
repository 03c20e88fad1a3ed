"""``sersk evaluate``: score a saved model on labelled clips."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import (
    MODEL_HELP,
    SYNTHETIC,
    CommandError,
    adaptation_note,
    add_adaptation_options,
    add_data_options,
    add_window_options,
    command,
    error,
    load_frames,
    load_model_file,
    note,
    show_progress,
)


def add_parser(commands) -> None:
    parser = command(
        commands, "evaluate", "score a saved model on a corpus",
        "Score a saved model on labelled clips: UAR (unweighted average recall, chance = 1 /\n"
        "number of emotions), accuracy, macro-F1, recall per emotion and the confusion\n"
        "matrix, then UAR by gender, by speaker and (for several corpora) by corpus, each\n"
        "with a 95 % bootstrap interval over speakers; a group whose UAR lies outside the\n"
        "interval of the other groups pooled is flagged with '!'.\n"
        "Clips of emotions the model never learnt are left out and counted. Scoring\n"
        "on the corpus a model was trained on measures memory, not recognition: use another\n"
        "corpus (or 'sersk train --cv' for speaker-independent cross-validation).\n\n"
        "examples:\n"
        "  sersk evaluate ser.joblib --corpus emodb --data-home ~/corpora\n"
        "  sersk evaluate ser.joblib --corpus crema-d --format json --confusion crema.png",
    )
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("--format", choices=["table", "json"], default="table",
                        help="output format (default: %(default)s)")
    parser.add_argument("--confusion", metavar="PNG", default=None,
                        help="draw the confusion matrix here")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--no-restrict", dest="restrict", action="store_false",
                        help="let the model predict every emotion it knows, not only those "
                        "the clips hold (by default, as usual across corpora, it chooses "
                        "among the emotions the clips and the model share)")
    add_window_options(parser)
    add_data_options(parser, required=True)
    add_adaptation_options(parser, per=True)
    parser.set_defaults(handler=run)


def restriction(frame, classes: list[str], args: argparse.Namespace) -> list[str] | None:
    """The emotions predictions are restricted to: those the clips and the model share, when
    fewer than the model's and --no-restrict is not given; else None."""
    present = [c for c in classes if c in set(frame["emotion"])]
    if not args.restrict or len(present) == len(classes):
        return None
    note(f"predictions restricted to the {len(present)} emotions these clips and the model "
         f"share ({', '.join(present)}); --no-restrict lets it predict all {len(classes)}")
    return present


def predict_frame(model, frame, args: argparse.Namespace, emotions: list[str] | None):
    """predict_clips over the frame; with --adapt, each corpus (speaker) adapted to itself."""
    import pandas as pd

    from ..datasets import audio_inputs
    from ..inference import adapt_to_clips, predict_clips

    names = frame["path"].astype(str).tolist() if "path" in frame else None
    options = {"long_clip": args.long, "window": args.window, "hop": args.hop,
               "emotions": emotions}
    if not args.adapt:
        return predict_clips(model, audio_inputs(frame), names=names,
                             progress=show_progress(args), **options)
    note(adaptation_note(args.adapt))
    tables = []
    for domain, part in frame.groupby(args.adapt, sort=False):
        inputs = audio_inputs(part)
        try:
            adapted = adapt_to_clips(model, inputs, min_clips=args.min_clips,
                                     fallback=args.fallback)
        except ValueError as exc:  # too few clips, or a model without a scaler
            raise CommandError(f"--adapt {args.adapt}: {args.adapt} {domain}: {exc} "
                               "(on the command line: --fallback, --min-clips N)") from None
        table = predict_clips(adapted, inputs, progress=show_progress(args),
                              names=None if names is None else part["path"].astype(str).tolist(),
                              **options)
        table.index = part.index
        tables.append(table)
    return pd.concat(tables).sort_index().reset_index(drop=True)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..groups import group_breakdowns
    from ..metrics import score_predictions

    model, meta = load_model_file(args.model)
    frame, corpora = load_frames(args)
    classes = [str(c) for c in model.classes_]
    known = frame["emotion"].isin(classes)
    unknown_counts = frame.loc[~known, "emotion"].value_counts().sort_index()
    if unknown_counts.sum():
        note(f"left out {int(unknown_counts.sum())} clips of emotions the model does not know "
              f"({', '.join(f'{e} {n}' for e, n in unknown_counts.items())})")
    frame = frame[known].reset_index(drop=True)
    if frame.empty:
        raise CommandError(f"none of the clips has an emotion the model knows "
                           f"({', '.join(classes)})")
    seen = sorted(set(corpora) & set(meta.get("corpora") or []))
    if seen == [SYNTHETIC] and meta.get("seed") != (args.seed or 0):
        seen = []  # another seed: other synthetic speakers
    if seen:
        note(f"warning: the model was trained on {', '.join(seen)}: these scores are on clips "
              "it has heard and say little about new speakers; evaluate on another corpus, or "
              "use 'sersk train --cv' for speaker-independent scores")
    emotions = restriction(frame, classes, args)
    table = predict_frame(model, frame, args, emotions)
    failed = table["error"].notna().to_numpy()
    for message in table.loc[failed, "error"]:
        error(message)
    y_true = frame["emotion"].to_numpy()[~failed]
    y_pred = table["emotion"].to_numpy()[~failed]
    if len(y_true) == 0:
        raise CommandError("no clip could be classified")
    scores = score_predictions(y_true, y_pred, labels=classes)
    present = sorted(set(y_true))
    groups = group_breakdowns(frame[~failed], y_true, y_pred, labels=present)
    result = {
        "model": str(args.model), "corpora": corpora, "n_clips": int(len(y_true)),
        "n_failed": int(failed.sum()), "n_left_out": int(unknown_counts.sum()),
        "uar": scores["uar"], "accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"],
        "chance_uar": 1 / len(present),
        "recall": {str(k): (None if np.isnan(v) else v)
                   for k, v in scores["per_class_recall"].items()},
        "labels": scores["labels"], "confusion_matrix": scores["confusion_matrix"].tolist(),
        "groups": {by: breakdown.to_dict() for by, breakdown in groups.items()},
        "restricted_to": emotions,
        "adapted": adaptation_note(args.adapt),
    }
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(_evaluation_text(result))
        for breakdown in groups.values():
            print(f"\n{breakdown.summary()}")
    if args.confusion:
        from ..tracking import confusion_matrix_figure

        figure = confusion_matrix_figure(
            scores["confusion_matrix"], classes,
            title=f"{Path(args.model).name} on {', '.join(corpora)} (UAR {scores['uar']:.2f})",
        )
        figure.savefig(args.confusion, dpi=110)
        note(f"confusion matrix: {args.confusion}")
    return 1 if failed.any() else 0


def _evaluation_text(result: dict) -> str:
    import pandas as pd

    lines = [
        f"{result['model']} on {', '.join(result['corpora'])}: {result['n_clips']} clips",
        f"  UAR       {result['uar']:.3f}   (chance {result['chance_uar']:.3f})",
        f"  accuracy  {result['accuracy']:.3f}",
        f"  macro-F1  {result['macro_f1']:.3f}",
        *([f"  predictions restricted to: {', '.join(result['restricted_to'])}"]
          if result.get("restricted_to") else []),
        *([f"  {result['adapted']}"] if result.get("adapted") else []),
        "",
        "recall per emotion:",
        *(f"  {label:<12} {'—' if r is None else f'{r:.3f}'}"
          for label, r in result["recall"].items()),
        "",
        "confusion matrix (true emotion in rows, predicted in columns):",
    ]
    matrix = pd.DataFrame(result["confusion_matrix"], index=result["labels"],
                          columns=result["labels"])
    lines.append(matrix.to_string())
    return "\n".join(lines)

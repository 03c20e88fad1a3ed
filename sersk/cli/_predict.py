"""``sersk predict``: the emotion of audio files, or over time in long recordings."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..exceptions import SerskError
from ._common import (
    MODEL_HELP,
    CommandError,
    adaptation_note,
    add_adaptation_options,
    add_window_options,
    command,
    error,
    load_model_file,
    note,
    probability,
    show_progress,
)


def add_parser(commands) -> None:
    parser = command(
        commands, "predict", "predict the emotion of audio files",
        "Predict the emotion of audio files (WAV, FLAC, OGG, AIFF …, any rate or channels)\n"
        "and print, for each file, the emotion, its probability (confidence) and the\n"
        "probability of every emotion the model knows. Folders are searched for audio files.\n"
        "Files longer than --long seconds are classified in overlapping windows and the\n"
        "window probabilities averaged; --timeline prints the windows (the emotion over\n"
        "time) instead, and --plot draws them. With --min-confidence P, a file (or window)\n"
        "whose confidence is below P is answered 'uncertain', its probabilities still shown.\n\n"
        "examples:\n"
        "  sersk predict ser.joblib clip.wav\n"
        "  sersk predict ser.joblib clip.wav --min-confidence 0.6\n"
        "  sersk predict ser.joblib recordings/ --format csv -o predictions.csv\n"
        "  sersk predict ser.joblib interview.flac --timeline --plot interview.png",
    )
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_FOLDER",
                        help="audio files, or folders to search for them")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table",
                        help="output format (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write the output here instead of to stdout")
    parser.add_argument("--no-recursive", dest="recursive", action="store_false",
                        help="do not search the sub-folders of folders")
    parser.add_argument("--min-confidence", type=probability, default=None, metavar="P",
                        help="answer 'uncertain' when the emotion's probability is below P, "
                        "a number from 0 to 1 (default: always answer)")
    add_window_options(parser)
    parser.add_argument("--timeline", action="store_true",
                        help="one row per window (start, end, emotion, probabilities) "
                        "instead of one per file")
    parser.add_argument("--plot", metavar="PNG_OR_DIR", default=None,
                        help="draw the emotion over time: a .png file for one input, else a "
                        "folder receiving <file name>.png per input")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_output_restriction(parser)
    add_adaptation_options(parser, per=False)
    parser.set_defaults(handler=run)


def add_output_restriction(parser: argparse.ArgumentParser) -> None:
    """``--emotions``: the output restricted to some of the model's emotions."""
    parser.add_argument("--emotions", nargs="+", metavar="EMOTION", default=None,
                        help="choose among these emotions only (their probabilities "
                        "renormalised to sum to one); default: every emotion of the model")


def adapted_model(model, inputs: list, args: argparse.Namespace):
    """The model adapted to the files given (--adapt), saying so; else the model."""
    from ..inference import adapt_to_clips

    if not args.adapt:
        return model
    try:
        model = adapt_to_clips(model, inputs, min_clips=args.min_clips, fallback=args.fallback)
    except ValueError as exc:  # too few clips, or a model without a scaler
        raise CommandError(f"--adapt: {exc} (on the command line: --fallback, "
                           "--min-clips N)") from None
    note(adaptation_note(True) + f" ({len(inputs)} file(s))")
    return model


def run(args: argparse.Namespace) -> int:
    from ..inference import find_audio_files, predict_clips, predict_timeline, timeline_figure

    model, _ = load_model_file(args.model)
    inputs = []
    for item in args.inputs:
        if os.path.isdir(item):
            found = find_audio_files(item, recursive=args.recursive)
            if not found:
                note(f"warning: no audio files in folder {item}")
            inputs.extend(found)
        else:
            inputs.append(item)  # missing files get their error row
    if not inputs:
        raise CommandError("no audio files to predict")
    model = adapted_model(model, inputs, args)
    if args.emotions:
        _check_emotions(model, args.emotions)
    plot_file = plot_dir = None
    if args.plot:
        if args.plot.lower().endswith(".png"):
            if len(inputs) > 1:
                raise CommandError(f"--plot {args.plot}: one file for {len(inputs)} inputs; "
                                   "give a folder instead")
            plot_file = Path(args.plot)
        else:
            plot_dir = Path(args.plot)
            plot_dir.mkdir(parents=True, exist_ok=True)

    n_failed = 0
    if args.timeline or args.plot:
        tables = []
        for path in _maybe_progress(inputs, show_progress(args) and len(inputs) > 1):
            try:
                timeline = predict_timeline(model, path, window=args.window, hop=args.hop,
                                            min_confidence=args.min_confidence,
                                            emotions=args.emotions)
            except SerskError as exc:
                error(str(exc))
                n_failed += 1
                continue
            timeline.insert(0, "source", path)
            tables.append(timeline)
            if args.plot:
                target = plot_file or plot_dir / f"{Path(path).name}.png"
                timeline_figure(timeline, title=f"{Path(path).name}: emotion over time"
                                ).savefig(target, dpi=100)
        if args.timeline:
            import pandas as pd

            table = pd.concat(tables, ignore_index=True) if tables else None
            if table is not None:
                write_table(table, args, drop_errors=False)
                if args.min_confidence is not None:
                    _note_uncertain(table["emotion"], args.min_confidence, "window")
        else:
            table = None
    if not args.timeline:
        table = predict_clips(model, inputs, long_clip=args.long, window=args.window,
                              hop=args.hop, progress=show_progress(args) and len(inputs) > 1,
                              min_confidence=args.min_confidence, emotions=args.emotions)
        failed = table["error"].notna()
        for message in table.loc[failed, "error"]:
            error(message)
        n_failed = int(failed.sum())
        if not failed.all():
            write_table(table, args, drop_errors=args.format == "table")
        if args.min_confidence is not None:
            _note_uncertain(table.loc[~failed, "emotion"], args.min_confidence, "file")
    if n_failed:
        note(f"{n_failed} of {len(inputs)} file(s) could not be classified")
        return 1
    return 0


def _note_uncertain(emotions, min_confidence: float, unit: str) -> None:
    from ..inference import UNCERTAIN

    n = int((emotions == UNCERTAIN).sum())
    note(f"{n} of {len(emotions)} {unit}(s) below confidence {min_confidence:g}: "
         f"answered '{UNCERTAIN}'")


def _check_emotions(model, emotions: list[str]) -> None:
    from ..models import UnknownEmotionError, check_emotions

    try:
        check_emotions(model.classes_, emotions)
    except UnknownEmotionError as exc:
        raise CommandError(f"--emotions: {exc}") from None
    note(f"choosing among {', '.join(emotions)} only (--emotions)")


def _maybe_progress(items: list, progress: bool):
    if not progress:
        return items
    from .._progress import progress_bar

    return progress_bar(items, desc="predicting", unit="file")


def write_table(table, args: argparse.Namespace, *, drop_errors: bool) -> None:
    from ..inference import PROBA_PREFIX

    if drop_errors and "error" in table:
        table = table[table["error"].isna()].drop(columns="error")
    table = table.rename(columns={"source": "file"})
    if args.format == "csv":
        text = table.to_csv(index=False, float_format="%.4f")
    elif args.format == "json":
        records = table.round(4).astype(object).where(table.notna(), None).to_dict("records")
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    else:
        shown = table.drop(columns=[c for c in ("duration", "n_windows") if c in table])
        if "n_windows" in table and (table["n_windows"] > 1).any():
            shown.insert(shown.columns.get_loc("emotion"), "windows", table["n_windows"])
        shown = shown.rename(columns=lambda c: c[len(PROBA_PREFIX):]
                             if c.startswith(PROBA_PREFIX) else c)
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.3f}") + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        note(f"wrote {args.output}")
    else:
        sys.stdout.write(text)

"""What the ``sersk`` commands share: errors, messages, data and window options."""

from __future__ import annotations

import argparse
import os
import sys

from ..exceptions import SerskError

SYNTHETIC = "synthetic"
DATA_HOME_ENV = "SERSK_DATA_HOME"

#: The help of the MODEL argument of the commands that load a model.
MODEL_HELP = ("a model saved by 'sersk train'. A .joblib file is a pickle, which runs code "
              "when loaded: use only joblib files from a trusted source; a .skops file "
              "loads without running code from the file")


class CommandError(SerskError):
    """A problem the user can fix (a missing file, a bad option value): exit status 1."""


class UsageError(Exception):
    """A command line missing something it needs: exit status 2, like argparse's errors."""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of the descriptions' examples; a wider option column."""

    def __init__(self, prog: str):
        super().__init__(prog, max_help_position=30)


def command(commands, name: str, help: str, description: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=help, description=description,
                               formatter_class=Formatter)


def add_data_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    from ..datasets import available_corpora

    names = [*available_corpora(), SYNTHETIC]
    data = parser.add_argument_group("data")
    data.add_argument(
        "--corpus", nargs="+", metavar="CORPUS", required=required, default=None,
        help=f"corpora to use, combined: {', '.join(names)} ('synthetic' makes a small "
        "corpus of speech-like sounds, not speech, for trying things out), or your own "
        "recordings: a CSV/TSV with path and emotion columns (optional speaker, gender), or "
        "a folder with one folder per emotion (ROOT/angry/*.wav, or ROOT/angry/SPEAKER/*.wav)",
    )
    data.add_argument(
        "--label-map", action="append", type=label_map, metavar="OLD=NEW,...", default=None,
        help="rename emotion labels, e.g. frustrated=angry,glad=happy (your own labels are "
        "otherwise used as they are; repeatable)",
    )
    data.add_argument(
        "--speaker-pattern", metavar="REGEX", default=None,
        help="find the speaker in each file name of your own recordings (its group 'speaker', "
        "else its first group, else the whole match), e.g. '^([^_]+)_' for alice_001.wav",
    )
    data.add_argument(
        "--data-home", metavar="DIR", default=None,
        help=f"folder holding one folder per corpus (default: ${DATA_HOME_ENV}, else "
        "~/sersk_data)",
    )
    data.add_argument("--emotions", nargs="+", metavar="EMOTION", default=None,
                      help="keep only clips of these emotions (default: all)")
    data.add_argument("--synthetic-speakers", type=positive_int, default=None, metavar="N",
                      help="speakers of the synthetic corpus (default: 8)")
    data.add_argument("--synthetic-utterances", type=positive_int, default=None, metavar="N",
                      help="clips per speaker and emotion in the synthetic corpus (default: 10)")
    data.add_argument("--seed", type=int, default=None,
                      help="seed of the synthetic corpus and of the folds (default: 0)")


def add_window_options(parser: argparse.ArgumentParser) -> None:
    from ..inference import DEFAULT_HOP, DEFAULT_LONG_CLIP, DEFAULT_WINDOW

    windows = parser.add_argument_group("long recordings")
    windows.add_argument("--long", type=positive_float, default=DEFAULT_LONG_CLIP,
                         metavar="SECONDS",
                         help="files longer than this are classified in windows (default: "
                         "%(default)s)")
    windows.add_argument("--window", type=window_seconds, default=DEFAULT_WINDOW,
                         metavar="SECONDS", help="window length (default: %(default)s; at "
                         "least sersk.audio.MIN_DURATION)")
    windows.add_argument("--hop", type=positive_float, default=DEFAULT_HOP, metavar="SECONDS",
                         help="step between window starts (default: %(default)s)")


def label_map(text: str) -> dict[str, str]:
    from ..datasets._labelled import parse_label_map

    try:
        return parse_label_map(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_adaptation_options(parser: argparse.ArgumentParser, *, per: bool) -> None:
    """``--adapt`` (with ``per``: ``corpus`` or ``speaker``; else a flag), ``--min-clips``,
    ``--fallback``: adaptation from unlabelled audio (sersk.inference.adapt_to_clips)."""
    from ..preprocessing import DEFAULT_MIN_CLIPS

    group = parser.add_argument_group(
        "adaptation from unlabelled audio (transductive)",
        "standardise the features of each domain with that domain's own statistics, from\n"
        "its unlabelled clips, in place of the training statistics: it removes much of the\n"
        "shift that other microphones, rooms, languages and voices cause. Each prediction\n"
        "then depends on the other clips of its domain; the output says so.",
    )
    if per:
        group.add_argument("--adapt", choices=["corpus", "speaker"], default=None,
                           help="the domain of a clip: its corpus or its speaker")
    else:
        group.add_argument("--adapt", action="store_true",
                           help="the files given form one domain (one microphone, room or "
                           "session)")
    group.add_argument("--min-clips", type=positive_int, default=DEFAULT_MIN_CLIPS,
                       metavar="N", help="fewest clips a domain needs (default: %(default)s)")
    group.add_argument("--fallback", action="store_true",
                       help="a domain with fewer clips keeps the training statistics instead "
                       "of being an error")


def adaptation_note(adapt) -> str | None:
    """The line that labels adapted results, or None."""
    if not adapt:
        return None
    what = "the files given" if adapt is True else f"each {adapt}"
    return (f"adapted (transductive): the features of {what} standardised with their own "
            "statistics, from the unlabelled clips themselves")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability from 0 to 1, got {text!r}"
                                         ) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability from 0 to 1, got {text}")
    return value


def window_seconds(text: str) -> float:
    """A window length: every window is a clip, refused if too short to judge."""
    from ..audio import MIN_DURATION

    value = positive_float(text)
    if value < MIN_DURATION:
        raise argparse.ArgumentTypeError(
            f"at least {MIN_DURATION:g} seconds (sersk.audio.MIN_DURATION: shorter clips are "
            f"too short to judge), got {text}"
        )
    return value


def error(message: str) -> None:
    print(f"sersk: error: {message}", file=sys.stderr)


def note(message: str) -> None:
    print(message, file=sys.stderr)


def show_progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def load_frames(args: argparse.Namespace):
    """The clips named by --corpus (and --emotions) as one corpus frame, and the names of its
    corpora (a label file or folder is named after itself: ``my_labels``)."""
    from ..datasets import load_corpus, make_emotional_speech
    from ..datasets._labelled import apply_label_map, is_labelled_source

    corpora = list(dict.fromkeys(args.corpus))
    mapping = {old: new for item in args.label_map or [] for old, new in item.items()}
    if SYNTHETIC in corpora:
        if len(corpora) > 1:
            raise CommandError("the synthetic corpus cannot be combined with real corpora")
        if args.speaker_pattern:
            raise CommandError("--speaker-pattern applies to your own recordings (a label "
                               "file or folder given to --corpus), not to the synthetic corpus")
        frame = make_emotional_speech(
            n_speakers=args.synthetic_speakers or 8,
            n_utterances=args.synthetic_utterances or 10,
            random_state=args.seed or 0,
        )
        if mapping:
            frame = apply_label_map(frame, mapping)
    else:
        data_home = args.data_home or os.environ.get(DATA_HOME_ENV) or None
        public = [c for c in corpora if not is_labelled_source(c)]
        if public and data_home is not None and not os.path.exists(os.path.expanduser(data_home)):
            given = (f"--data-home {args.data_home}" if args.data_home
                     else f"${DATA_HOME_ENV}={data_home}")
            raise CommandError(f"{given}: no such folder; give the folder that holds one "
                               f"folder per corpus (such as '{public[0]}')")
        frame = load_corpus(corpora if len(corpora) > 1 else corpora[0], data_home,
                            label_map=mapping or None, speaker_pattern=args.speaker_pattern)
        corpora = list(frame.attrs["roots"])
    if args.emotions:
        unknown = sorted(set(args.emotions) - set(frame["emotion"]))
        if unknown:
            raise CommandError(
                f"--emotions {' '.join(unknown)}: no such clips in {', '.join(corpora)}, "
                f"whose emotions are {', '.join(sorted(set(frame['emotion'])))}"
            )
        frame = frame[frame["emotion"].isin(args.emotions)].reset_index(drop=True)
    return frame, corpora


def load_model_file(path: str):
    from ..persistence import load_model

    return load_model(path)

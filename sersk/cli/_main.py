"""The ``sersk`` entry point: the argument parser and the dispatch to the commands."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

from .. import __version__
from ..exceptions import SerskError
from . import _demo, _evaluate, _info, _predict, _train
from ._common import UsageError, error

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``sersk`` argument parser, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="sersk",
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(
            prog, max_help_position=24),
        description="Speech emotion recognition in scikit-learn style: train a named pipeline "
        "on emotional speech corpora, save it, and use it on new recordings.",
        epilog="Run 'sersk COMMAND --help' for the options of a command. Exit status: 0 ok, "
        "1 a problem with data, files or a model (explained on stderr), 2 a command line "
        "that does not parse.",
    )
    parser.add_argument("--version", action="version", version=f"sersk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _train.add_parser(commands)
    _predict.add_parser(commands)
    _evaluate.add_parser(commands)
    _info.add_info_parser(commands)
    _info.add_pipelines_parser(commands)
    _demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sersk`` command; the exit status.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments after the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    status : int
        0 success, 1 a data, file or model problem (explained on stderr), 2 a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if getattr(args, "confusion", None) and args.command == "train" and not args.cv:
        parser.error("--confusion needs --cv (the confusion matrix of the cross-validation)")
    with _plain_warnings():
        try:
            return args.handler(args)
        except UsageError as exc:
            args.parser.print_usage(sys.stderr)
            print(f"{args.parser.prog}: error: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # The reader went away (sersk predict … | head): stop quietly, as cat does.
            _silence_stdout()
            return 1
        except (SerskError, OSError) as exc:
            error(str(exc))
            return 1
        except KeyboardInterrupt:
            error("interrupted")
            return 130


@contextlib.contextmanager
def _plain_warnings() -> Iterator[None]:
    """Warnings as one 'warning: ...' line on stderr, without the source line."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())

"""Clips that cannot be used: left out of the benchmark and listed, or (``--strict``) an error.

Every corpus is screened once before the duplicate check and the folds
(:func:`sersk.datasets.screen_clips`, verdicts cached with the features); each clip left out
is printed with its reason, written to ``<out>/left_out.csv`` and listed in summary.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

LEFT_OUT_FILE = "left_out.csv"
LEFT_OUT_COLUMNS = ["corpus", "source", "reason", "emotion", "speaker"]


class BadClipsError(Exception):
    """``--strict`` and some clips cannot be used: the message lists every one."""


def add_bad_clip_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true",
        help="stop (exit status 2) when any clip cannot be used, listing every one; by default "
        f"such clips are left out and listed in the console, summary.md and {LEFT_OUT_FILE}",
    )


def screen_corpora(
    frames: dict[str, pd.DataFrame], args: argparse.Namespace, cache: Path
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every corpus without its unusable clips, and the clips left out (``LEFT_OUT_COLUMNS``).

    Raises :class:`BadClipsError` under ``--strict`` when any clip is unusable, and when a
    corpus has no usable clip left.
    """
    from sersk.datasets import screen_clips

    start = time.perf_counter()
    kept, left = {}, []
    for corpus, frame in frames.items():
        good, bad = screen_clips(frame, memory=str(cache))
        if len(bad):
            bad = bad.assign(corpus=corpus)
            left.append(bad.reindex(columns=LEFT_OUT_COLUMNS))
        if len(good) == 0:
            raise BadClipsError(f"{corpus}: none of its {len(frame)} clips can be used "
                                f"(first: {bad['source'].iloc[0]}: {bad['reason'].iloc[0]})")
        # Positions index the frames from here on (folds, predictions, duplicate pairs).
        kept[corpus] = good.reset_index(drop=True)
    left_out = (pd.concat(left, ignore_index=True) if left
                else pd.DataFrame(columns=LEFT_OUT_COLUMNS))
    n_clips = sum(len(frame) for frame in frames.values())
    print(f"screening: {n_clips} clips in {time.perf_counter() - start:.1f} s, "
          f"{len(left_out)} cannot be used", flush=True)
    if len(left_out) and getattr(args, "strict", False):
        raise BadClipsError(
            f"{len(left_out)} clip(s) cannot be used (--strict); fix or remove them, or run "
            "without --strict to leave them out:\n" + "\n".join(_lines(left_out))
        )
    for corpus, frame in frames.items():
        n_bad = len(frame) - len(kept[corpus])
        if n_bad:
            print(f"{corpus}: leaving out {n_bad} of {len(frame)} clips that cannot be used "
                  "(--strict to stop instead):", file=sys.stderr)
            print("\n".join(_lines(left_out[left_out["corpus"] == corpus])), file=sys.stderr,
                  flush=True)
    return kept, left_out


def _lines(left_out: pd.DataFrame) -> list[str]:
    return [f"  {row.source}: {row.reason}" for row in left_out.itertuples()]


def write_left_out(out: Path, left_out: pd.DataFrame) -> None:
    """``<out>/left_out.csv``: one row per clip left out (written even when empty)."""
    left_out.to_csv(out / LEFT_OUT_FILE, index=False)


def append_left_out_section(path: Path, left_out: pd.DataFrame) -> None:
    """Add the clips left out, with their reasons, to summary.md."""
    if not len(left_out):
        return
    lines = ["", "## Clips left out", "",
             f"{len(left_out)} clip(s) could not be used and were left out of every run "
             f"(also in `{LEFT_OUT_FILE}`; `--strict` stops instead):", ""]
    lines += [f"- {row.corpus}: `{row.source}`: {row.reason}" for row in left_out.itertuples()]
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

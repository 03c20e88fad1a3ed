"""Rebuild the report of a finished benchmark from its files, without fitting anything.

    python -m benchmarks.report benchmark-results
    python -m benchmarks.report /tmp/enc-bench --output /tmp/enc-report.html

Reads ``<out>/results.csv`` (per fold), ``<out>/predictions.csv`` (per test clip, when the run
saved it) and ``<out>/run.json`` (the command line and the data; for older runs, the first lines
of ``summary.md``), and writes ``<out>/report.html``: one self-contained page with the
comparison table (UAR mean ± std over folds, pooled UAR with its bootstrap interval over
speakers, chance level), the pairwise comparisons between pipelines tested on the same folds,
a confusion matrix and a per-class recall chart per run, a reliability diagram and accuracy
against coverage per corpus and protocol (from the per-clip probabilities), UAR by gender,
speaker and corpus per run (``benchmarks._groups_html``), and the protocol of every number.
``python -m benchmarks.run`` writes it at the end of every benchmark.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["RUN_FILE", "comparisons_markdown", "main", "read_meta", "write_report"]

RUN_FILE = "run.json"
PREDICTIONS_FILE = "predictions.csv"


def read_meta(out: Path) -> dict[str, Any]:
    """What a benchmark recorded about itself: ``run.json``, else what ``summary.md`` says."""
    path = out / RUN_FILE
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    meta: dict[str, Any] = {}
    summary = out / "summary.md"
    if summary.is_file():
        text = summary.read_text(encoding="utf-8")
        found = re.search(r"Run on (.+? UTC): `(.+?)`", text)
        if found:
            meta.update(started=found.group(1), command=found.group(2))
        found = re.search(r"- (\d+) folds, seed (\d+)\.", text)
        if found:
            meta.update(folds=int(found.group(1)), seed=int(found.group(2)))
        data = text.split("## Data", 1)[-1].split("##", 1)[0] if "## Data" in text else ""
        meta["data_lines"] = [line[2:].replace("**", "") for line in data.splitlines()
                              if line.startswith("- ")]
        meta["synthetic"] = "not real speech" in text
    return meta


def comparisons_markdown(comparisons: pd.DataFrame) -> str:
    """The pairwise comparisons as a Markdown section for ``summary.md``."""
    lines = ["## Pairwise comparisons", ""]
    if comparisons.empty:
        return "\n".join([*lines, "No two pipelines share a corpus, protocol and folds."])
    lines += [
        "A − B on the same folds (A: the higher mean UAR). ΔUAR over folds with the "
        "corrected resampled t-test (Nadeau & Bengio); Δ pooled UAR with a paired bootstrap "
        "interval over speakers and a speaker sign-flip permutation test; 95 % intervals. "
        "p-values are not corrected for the number of pairs.", "",
        "| corpus | protocol | A | B | ΔUAR folds [95 % CI] | p | Δ pooled UAR [95 % CI] | p "
        "| verdict |",
        "|---|---|---|---|--:|--:|--:|--:|---|",
    ]

    def interval(d, lo, hi):
        return "–" if pd.isna(d) else f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]"

    def p(value):
        return "–" if pd.isna(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")

    for r in comparisons.itertuples(index=False):
        lines.append(
            f"| {r.corpus} | {r.protocol} | {r.pipeline_a} | {r.pipeline_b} | "
            f"{interval(r.fold_difference, r.fold_ci_low, r.fold_ci_high)} | {p(r.fold_p)} | "
            f"{interval(r.speaker_difference, r.speaker_ci_low, r.speaker_ci_high)} | "
            f"{p(r.speaker_p)} | {r.verdict} |")
    return "\n".join(lines)


def write_report(
    out: str | Path, *, output: str | Path | None = None, summary_md: bool = False,
) -> Path:
    """Write ``report.html`` for the benchmark results in ``out``.

    Parameters
    ----------
    out : str or Path
        A benchmark's output folder, holding at least ``results.csv``.
    output : str or Path, default=None
        Where to write the page; by default ``<out>/report.html``.
    summary_md : bool, default=False
        Also append the pairwise comparisons to ``<out>/summary.md``.

    Returns
    -------
    path : Path
        The page written.
    """
    from ._comparisons import pairwise_comparisons, uar_intervals
    from ._html import render_report

    out = Path(out)
    results = pd.read_csv(out / "results.csv")
    if "error" not in results:
        results["error"] = None
    path = out / PREDICTIONS_FILE
    predictions = pd.read_csv(path) if path.is_file() else None
    for frame in (results, predictions):
        if frame is not None and "test_speakers" in frame:
            # object first: a column read as all-NaN floats (no speaker named) takes "".
            column = frame["test_speakers"].astype(object)
            frame["test_speakers"] = column.where(column.notna(), "").astype(str)
    if predictions is not None:
        predictions["speaker"] = predictions["speaker"].astype(str)
    meta = {**read_meta(out), "built": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"}
    comparisons = pairwise_comparisons(results, predictions)
    page = render_report(results, predictions=predictions,
                         intervals=uar_intervals(results, predictions),
                         comparisons=comparisons, meta=meta)
    output = Path(output) if output is not None else out / "report.html"
    output.write_text(page, encoding="utf-8")
    if summary_md and (out / "summary.md").is_file():
        with open(out / "summary.md", "a", encoding="utf-8") as f:
            f.write("\n" + comparisons_markdown(comparisons) + "\n\nFigures, the bootstrap "
                    "intervals and the folds: `report.html`.\n")
    return output


def main(argv: list[str] | None = None) -> int:
    """Rebuild the report; the exit status (2 when there are no results)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Write <out>/report.html from a finished benchmark's results.csv and "
        "predictions.csv, without fitting anything.")
    parser.add_argument("out", help="the benchmark's output folder")
    parser.add_argument("--output", metavar="FILE", help="where to write the page "
                        "(default: <out>/report.html)")
    args = parser.parse_args(argv)
    if not (Path(args.out) / "results.csv").is_file():
        print(f"error: no results.csv in {args.out}", file=sys.stderr)
        return 2
    print(write_report(args.out, output=args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())

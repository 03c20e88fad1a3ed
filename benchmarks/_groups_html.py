"""The report's "who it works for" section: UAR by gender, by speaker and by corpus per run,
with bootstrap intervals and the groups whose UAR lies outside the others' interval
(:func:`sersk.groups.group_breakdowns` on a run's per-clip predictions)."""

from __future__ import annotations

import pandas as pd

from ._comparisons import RUN_KEYS
from ._html import _e, _interval, _table

__all__ = ["groups_section"]

# predictions.csv column -> the grouping it holds (its corpus column names the run).
_GROUPINGS = {"gender": "gender", "speaker": "speaker", "clip_corpus": "corpus"}

_NOTE = (
    "UAR of each group's test clips pooled over the folds, with a 95 % percentile bootstrap "
    "interval over its speakers (1000 resamples; a single speaker's clips are resampled "
    "instead), and of all the other groups' clips pooled. <b>!</b> marks a group whose UAR "
    "lies outside the others' interval: the rest of the data would rarely score like it. The "
    "flag does not weigh the group's own uncertainty: a group of a few clips can be flagged by "
    "its own noise (read its interval), and among many speakers some are flagged by chance. "
    "Gender as the corpus records it; clips whose corpus does not record it are left out of "
    "that table."
)


def groups_section(predictions: pd.DataFrame | None) -> str:
    """The HTML of the breakdowns of every run that has per-clip predictions.

    Parameters
    ----------
    predictions : pandas.DataFrame or None
        ``predictions.csv``: per-clip rows with the run keys, ``speaker``, ``y_true``,
        ``y_pred`` and, from benchmarks that record them, ``gender`` and ``clip_corpus``.

    Returns
    -------
    html : str
        One collapsible block per run, its summary line naming the flagged groups.
    """
    from sersk.groups import group_breakdowns

    if predictions is None or not len(predictions):
        return "<p>No per-clip predictions: no breakdown by group.</p>"
    parts = [f'<p class="note">{_NOTE}</p>']
    for key, clips in predictions.groupby(RUN_KEYS, sort=False):
        view = pd.DataFrame({grouping: clips[column].to_numpy()
                             for column, grouping in _GROUPINGS.items() if column in clips})
        breakdowns = group_breakdowns(view, clips["y_true"], clips["y_pred"],
                                      labels=sorted(pd.unique(clips["y_true"])))
        if not breakdowns:
            continue
        flags = "; ".join(
            f"{by}: " + (f"{len(b.flagged)} of {len(b.table)} flagged ("
                         + ", ".join(f"{r.group} {_side(r)}" for r in b.table.itertuples()
                                     if r.flagged) + ")"
                         if b.flagged else "none flagged")
            for by, b in breakdowns.items())
        tables = "".join(_breakdown_table(b) for b in breakdowns.values())
        parts.append(f"<details><summary><b>{_e(' / '.join(map(str, key)))}</b>: "
                     f"{_e(flags)}</summary>{tables}</details>")
    if len(parts) == 1:
        parts.append("<p>No run's predictions hold two groups of any kind.</p>")
    return "\n".join(parts)


def _side(row) -> str:
    """Where a flagged group lies: below or above the others' interval."""
    return "below" if row.uar < row.others_low else "above"


def _breakdown_table(breakdown) -> str:
    rows = [[_e(r.group), str(r.n_clips), str(r.n_speakers), _interval(r.uar, r.low, r.high),
             _interval(r.others_uar, r.others_low, r.others_high),
             f"<b>! {_side(r)} the others</b>" if r.flagged else ""]
            for r in breakdown.table.itertuples(index=False)]
    left_out = (f"<p class=\"note\">{breakdown.n_left_out} clips without a {_e(breakdown.by)} "
                "left out.</p>" if breakdown.n_left_out else "")
    return (f"<h4>UAR by {_e(breakdown.by)}</h4>"
            + _table([_e(breakdown.by), "clips", "speakers", "UAR [95 % CI]",
                      "others' UAR [95 % CI]", "flag"], rows, {1, 2, 3, 4})
            + left_out)

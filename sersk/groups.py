"""Who a model works for: UAR per group of clips (gender, speaker, corpus), with intervals.

One UAR over all the clips can hide a model that works for men and not for women, for most
speakers and not for two, or for one corpus of a combination and not the other.
:func:`uar_by_group` scores each group with a bootstrap interval over speakers (as
:func:`sersk.statistics.bootstrap_uar`) and flags a group whose UAR lies outside the interval
of the other groups pooled: the rest of the data would rarely score like this group.
:func:`group_breakdowns` does so for every grouping a corpus frame has: ``sersk evaluate`` and
the benchmark report print what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .statistics import _check_level, _counts, _resample_weights, _uar

__all__ = [
    "GROUP_COLUMNS",
    "GroupBreakdown",
    "group_breakdowns",
    "uar_by_group",
]

#: The groupings :func:`group_breakdowns` looks for, in this order: corpus frame columns.
GROUP_COLUMNS = ("gender", "speaker", "corpus")


@dataclass(frozen=True)
class GroupBreakdown:
    """UAR per group with bootstrap intervals, from :func:`uar_by_group`.

    Attributes
    ----------
    by : str
        What the groups are (``"gender"``, ``"speaker"`` …).
    table : pandas.DataFrame
        One row per group, sorted by group: ``group``, ``n_clips``, ``n_speakers``, ``uar``,
        ``low``, ``high`` (its interval), ``others_uar``, ``others_low``, ``others_high``
        (the UAR of all the other groups' clips pooled, and its interval) and ``flagged``
        (``uar`` outside the others' interval).
    confidence_level : float
        Level of the intervals, such as 0.95.
    n_boot : int
        Number of bootstrap resamples.
    n_left_out : int
        Clips left out because their group is missing (a corpus that does not record gender).
    """

    by: str
    table: pd.DataFrame = field(repr=False)
    confidence_level: float = 0.95
    n_boot: int = 1000
    n_left_out: int = 0

    @property
    def flagged(self) -> list[Any]:
        """The groups whose UAR lies outside the interval of the others."""
        return self.table.loc[self.table["flagged"], "group"].tolist()

    def summary(self) -> str:
        """The table as aligned text, flagged groups marked ``!``, with a line on how to read it.

        Returns
        -------
        text : str
        """
        level = f"{100 * self.confidence_level:g} %"
        rows = [[
            "!" if r.flagged else "", str(r.group), str(r.n_clips), str(r.n_speakers),
            f"{r.uar:.3f}", f"[{r.low:.3f}, {r.high:.3f}]",
            "–" if np.isnan(r.others_uar) else
            f"{r.others_uar:.3f} [{r.others_low:.3f}, {r.others_high:.3f}]",
        ] for r in self.table.itertuples(index=False)]
        headers = ["", self.by, "clips", "speakers", "UAR", f"{level} CI", "others [CI]"]
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
        right = {2, 3, 4}

        def line(values: list[str]) -> str:
            return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(values, widths, strict=True))
                             ).rstrip()

        n = len(self.flagged)
        lines = [
            f"UAR by {self.by} ({level} bootstrap intervals over speakers, a single speaker's "
            "over clips; ! = outside the others' interval: "
            f"{n} of {len(self.table)} group{'s' * (len(self.table) != 1)} flagged)",
            *("  " + line(row) for row in [headers, *rows]),
        ]
        if self.n_left_out:
            lines.append(f"  ({self.n_left_out} clips without a {self.by} left out)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, for JSON.

        Returns
        -------
        breakdown : dict
            ``by``, ``confidence_level``, ``n_boot``, ``n_left_out``, ``flagged`` and
            ``groups`` (the table's rows as dicts; missing values None).
        """
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict("records")
        for row in rows:
            for key, value in row.items():
                if isinstance(value, np.generic):
                    row[key] = value.item()
        return {"by": self.by, "confidence_level": self.confidence_level,
                "n_boot": self.n_boot, "n_left_out": self.n_left_out,
                "flagged": [_plain(g) for g in self.flagged], "groups": rows}


def uar_by_group(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    speakers: Any,
    *,
    by: str = "group",
    labels: Any = None,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> GroupBreakdown:
    """UAR of each group of clips, with intervals, and the groups unlike the others.

    A group's interval is a percentile bootstrap over its speakers (all the clips of a drawn
    speaker together); a group of one speaker (each group, when grouping by speaker) has no
    other speaker to draw, so its clips are resampled instead, an interval over what else that
    speaker might have said. A group is flagged when its UAR lies outside the interval of
    every other group's clips pooled (resampled by speaker).

    Parameters
    ----------
    y_true : array-like of shape (n_clips,)
        True labels.
    y_pred : array-like of shape (n_clips,)
        Predicted labels (any value that is not the true label is a miss, ``"uncertain"``
        included).
    groups : array-like of shape (n_clips,)
        The group of every clip; missing values (None, NaN) leave the clip out.
    speakers : array-like of shape (n_clips,)
        The speaker of every clip: the unit resampled.
    by : str, default="group"
        What the groups are, for the summary (``"gender"``).
    labels : array-like of shape (n_classes,), default=None
        The classes averaged over; by default those of ``y_true``. A group without clips of a
        class leaves it out of its mean, as :func:`~sersk.metrics.unweighted_average_recall`
        does.
    n_boot : int, default=1000
        Number of resamples per interval.
    confidence_level : float, default=0.95
        Level of the intervals.
    random_state : int, numpy.random.Generator or None, default=0
        Seed of the resampling.

    Returns
    -------
    breakdown : GroupBreakdown
        Its ``table`` has one row per group; ``flagged`` lists the groups unlike the others.

    See Also
    --------
    group_breakdowns : Every grouping of a corpus frame.
    sersk.statistics.bootstrap_uar : The interval of all the clips.

    Notes
    -----
    The flag compares the group's UAR with the *others'* interval, so it says the rest of the
    data would rarely score like this group, not that the difference would hold for new
    speakers: a group of a few clips can be flagged by its own noise (its own interval shows
    how wide that is), and with many groups (speakers) some are flagged by chance.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.groups import uar_by_group
    >>> y_true = np.tile(["angry", "sad"], 40)
    >>> speakers = np.repeat(np.arange(8), 10)
    >>> gender = np.where(speakers < 4, "female", "male")
    >>> y_pred = np.where(gender == "female", y_true, "sad")  # right only for the women
    >>> breakdown = uar_by_group(y_true, y_pred, gender, speakers, by="gender")
    >>> breakdown.table[["group", "uar", "flagged"]]
        group  uar  flagged
    0  female  1.0     True
    1    male  0.5     True
    """
    _check_level(confidence_level, n_boot, "n_boot")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    groups, speakers = np.asarray(groups, dtype=object), np.asarray(speakers)
    if groups.shape != y_true.shape:
        raise ValueError(f"groups must have one value per clip: got shape {groups.shape} for "
                         f"y_true of shape {y_true.shape}")
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    rng = np.random.default_rng(random_state)
    alpha = 1 - confidence_level
    known = ~pd.isna(groups)
    names = sorted(set(groups[known].tolist()), key=str)
    rows = []
    for name in names:
        inside = known & (groups == name)
        others = known & ~inside
        uar, low, high = _interval(y_true, y_pred, speakers, inside, labels, n_boot, alpha, rng)
        others_uar, others_low, others_high = (
            _interval(y_true, y_pred, speakers, others, labels, n_boot, alpha, rng)
            if others.any() else (np.nan, np.nan, np.nan))
        rows.append({
            "group": _plain(name), "n_clips": int(inside.sum()),
            "n_speakers": len(np.unique(speakers[inside])), "uar": uar, "low": low,
            "high": high, "others_uar": others_uar, "others_low": others_low,
            "others_high": others_high,
            # The tolerance keeps a UAR equal to a bound (both from the same counts) inside.
            "flagged": bool(others.any() and (uar < others_low - 1e-12
                                              or uar > others_high + 1e-12)),
        })
    table = pd.DataFrame(rows, columns=["group", "n_clips", "n_speakers", "uar", "low", "high",
                                        "others_uar", "others_low", "others_high", "flagged"])
    return GroupBreakdown(by=by, table=table, confidence_level=confidence_level,
                          n_boot=n_boot, n_left_out=int((~known).sum()))


def group_breakdowns(
    clips: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    *,
    columns: tuple[str, ...] = GROUP_COLUMNS,
    labels: Any = None,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> dict[str, GroupBreakdown]:
    """UAR per gender, per speaker and per corpus, for those a frame of clips can tell.

    Parameters
    ----------
    clips : pandas.DataFrame
        One row per scored clip, with a ``speaker`` column and any of ``columns`` (a corpus
        frame from :func:`sersk.datasets.load_corpus`, or a benchmark's predictions).
    y_true, y_pred : array-like of shape (n_clips,)
        True and predicted labels of those clips.
    columns : tuple of str, default=("gender", "speaker", "corpus")
        The groupings to try. One is left out when the frame lacks it or it holds fewer
        than two groups (a corpus of women only has no gender breakdown; one corpus, no
        corpus breakdown).
    labels, n_boot, confidence_level, random_state
        As for :func:`uar_by_group`.

    Returns
    -------
    breakdowns : dict of str to GroupBreakdown
        In the order of ``columns``.
    """
    if "speaker" not in clips:
        raise ValueError("the clips need a 'speaker' column: intervals resample speakers")
    speakers = clips["speaker"].to_numpy()
    found = {}
    for column in columns:
        if column in clips and clips[column].dropna().nunique() >= 2:
            found[column] = uar_by_group(
                y_true, y_pred, clips[column].to_numpy(), speakers, by=column, labels=labels,
                n_boot=n_boot, confidence_level=confidence_level, random_state=random_state)
    return found


def _interval(y_true, y_pred, speakers, mask, labels, n_boot, alpha, rng):
    """UAR of the masked clips and its percentile interval over their speakers (clips when
    they are one speaker's)."""
    units = speakers[mask]
    if len(np.unique(units)) == 1:
        units = np.arange(int(mask.sum()))
    (hits,), support, n_units = _counts(y_true[mask], [y_pred[mask]], units, labels)
    uar = float(_uar(hits.sum(axis=0), support.sum(axis=0)))
    weights = _resample_weights(n_units, n_boot, rng)
    low, high = np.quantile(_uar(weights @ hits, weights @ support), [alpha / 2, 1 - alpha / 2])
    return uar, float(low), float(high)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value

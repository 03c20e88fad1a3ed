"""The statistics of a benchmark: intervals per run and paired comparisons between pipelines.

Computed from ``results.csv`` (one row per fold) and, when saved, ``predictions.csv`` (one row
per test clip: corpus, pipeline, protocol, index, fold, speaker, y_true, y_pred and
proba_<label>), so that a report can be rebuilt without fitting anything.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

__all__ = ["RUN_KEYS", "labels_of", "pairwise_comparisons", "uar_intervals"]

RUN_KEYS = ["corpus", "pipeline", "protocol"]
_ALPHA_LEVEL = 0.95


def labels_of(results: pd.DataFrame, predictions: pd.DataFrame | None = None) -> list:
    """The emotions of one corpus: from the predictions when there are some, else the
    ``recall_<label>`` columns with a value in ``results`` (a results file holding several
    corpora has the union of their columns)."""
    if predictions is not None and len(predictions):
        return sorted(pd.unique(predictions["y_true"]).tolist())
    columns = [c for c in results if c.startswith("recall_") and results[c].notna().any()]
    return sorted(c.removeprefix("recall_") for c in columns)


def _runs(frame: pd.DataFrame | None) -> dict[tuple, pd.DataFrame]:
    if frame is None:
        return {}
    return {tuple(key): group for key, group in frame.groupby(RUN_KEYS, sort=False)}


def uar_intervals(
    results: pd.DataFrame, predictions: pd.DataFrame | None = None, *, n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Chance level, and the pooled UAR with its bootstrap interval over speakers, per run.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fold rows (``results.csv``).
    predictions : pandas.DataFrame, default=None
        Per-clip rows (``predictions.csv``); without them, the pooled UAR and its interval are
        NaN.
    n_boot : int, default=1000
        Bootstrap resamples.
    seed : int, default=0
        Seed of the resampling.

    Returns
    -------
    intervals : pandas.DataFrame
        One row per corpus, pipeline and protocol of ``results``: ``chance``, ``n_clips``,
        ``n_speakers``, ``uar_pooled``, ``uar_ci_low``, ``uar_ci_high``.
    """
    from sersk.statistics import bootstrap_uar

    clips = _runs(predictions)
    rows = []
    for key in _runs(results):
        corpus_rows = results[results["corpus"] == key[0]]
        pooled = clips.get(key)
        labels = labels_of(corpus_rows, pooled)
        row = dict(zip(RUN_KEYS, key, strict=True))
        row.update(chance=1 / len(labels) if labels else np.nan, n_clips=np.nan,
                   n_speakers=np.nan, uar_pooled=np.nan, uar_ci_low=np.nan,
                   uar_ci_high=np.nan)
        # Without the speakers (one's own recordings may not say), no interval over them.
        if pooled is not None and len(pooled) and pooled["speaker"].notna().all():
            interval = bootstrap_uar(pooled["y_true"], pooled["y_pred"], pooled["speaker"],
                                     labels=labels, n_boot=n_boot, random_state=seed)
            row.update(n_clips=interval.n_clips, n_speakers=interval.n_speakers,
                       uar_pooled=interval.uar, uar_ci_low=interval.low,
                       uar_ci_high=interval.high)
        rows.append(row)
    return pd.DataFrame(rows)


def _same_folds(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two runs' folds hold the same test speakers and sizes, fold by fold."""
    columns = ["fold", "n_test", "test_speakers"]
    if not set(columns) <= set(a) or len(a) != len(b):
        return False
    left = a[columns].sort_values("fold").astype(str).reset_index(drop=True)
    right = b[columns].sort_values("fold").astype(str).reset_index(drop=True)
    return left.equals(right)


def pairwise_comparisons(
    results: pd.DataFrame, predictions: pd.DataFrame | None = None, *,
    n_boot: int = 1000, n_permutations: int = 10_000, seed: int = 0,
) -> pd.DataFrame:
    """Every pair of pipelines evaluated on the same corpus, protocol and folds, compared.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fold rows (``results.csv``).
    predictions : pandas.DataFrame, default=None
        Per-clip rows (``predictions.csv``), for the speaker-level test.
    n_boot, n_permutations : int, default=1000, 10000
        Resamples of the speaker-level interval and test.
    seed : int, default=0
        Seed of both.

    Returns
    -------
    comparisons : pandas.DataFrame
        One row per pair, the better pipeline (higher mean fold UAR) first as ``pipeline_a``:
        ``corpus``, ``protocol``, ``pipeline_a``, ``pipeline_b``, ``n_folds``;
        ``fold_difference``, ``fold_ci_low``, ``fold_ci_high``, ``fold_p`` (Nadeau and
        Bengio's corrected resampled t-test on the fold UARs); ``speaker_difference``,
        ``speaker_ci_low``, ``speaker_ci_high``, ``speaker_p`` (pooled UAR, paired bootstrap
        and sign-flip permutation test over speakers; NaN without predictions);
        ``n_speakers``; ``verdict``: "larger than fold-to-fold noise" when ``fold_p`` < 0.05,
        else "within fold-to-fold noise"; with a single fold (cross-corpus), the fold columns
        are NaN and the verdict comes from the speaker-level test ("… speaker-to-speaker
        noise"). Pairs whose folds differ (other seeds or clips), or with a failed fold, are
        left out.
    """
    from sersk.statistics import corrected_paired_ttest

    clips = _runs(predictions)
    rows = []
    for (corpus, protocol), group in results.groupby(["corpus", "protocol"], sort=False):
        runs = dict(list(group.groupby("pipeline", sort=False)))
        complete = [name for name, g in runs.items() if g["uar"].notna().all()
                    and ("error" not in g or g["error"].isna().all())]
        complete.sort(key=lambda name: -runs[name]["uar"].mean())
        for a, b in itertools.combinations(complete, 2):
            fa, fb = runs[a].sort_values("fold"), runs[b].sort_values("fold")
            if not _same_folds(fa, fb):
                continue
            row = {
                "corpus": corpus, "protocol": protocol, "pipeline_a": a, "pipeline_b": b,
                "n_folds": len(fa), "fold_difference": np.nan, "fold_ci_low": np.nan,
                "fold_ci_high": np.nan, "fold_p": np.nan, "speaker_difference": np.nan,
                "speaker_ci_low": np.nan, "speaker_ci_high": np.nan, "speaker_p": np.nan,
                "n_speakers": np.nan,
            }
            fold = None
            if len(fa) >= 2:  # one fold (cross-corpus) has no fold-to-fold noise to measure
                fold = corrected_paired_ttest(
                    fa["uar"].to_numpy(), fb["uar"].to_numpy(),
                    n_train=float(fa["n_train"].mean()), n_test=float(fa["n_test"].mean()),
                    confidence_level=_ALPHA_LEVEL,
                )
                row.update(fold_difference=fold.difference, fold_ci_low=fold.low,
                           fold_ci_high=fold.high, fold_p=fold.p_value)
            speaker = _speaker_test(clips.get((corpus, a, protocol)),
                                    clips.get((corpus, b, protocol)),
                                    n_boot=n_boot, n_permutations=n_permutations, seed=seed)
            if speaker is not None:
                row.update(speaker_difference=speaker.difference, speaker_ci_low=speaker.low,
                           speaker_ci_high=speaker.high, speaker_p=speaker.p_value,
                           n_speakers=speaker.n)
            row["verdict"] = _verdict(fold, speaker)
            rows.append(row)
    columns = ["corpus", "protocol", "pipeline_a", "pipeline_b", "n_folds", "fold_difference",
               "fold_ci_low", "fold_ci_high", "fold_p", "speaker_difference",
               "speaker_ci_low", "speaker_ci_high", "speaker_p", "n_speakers", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def _verdict(fold, speaker) -> str:
    if fold is not None:
        return ("larger than fold-to-fold noise" if fold.exceeds_noise
                else "within fold-to-fold noise")
    if speaker is not None:
        return ("larger than speaker-to-speaker noise" if speaker.exceeds_noise
                else "within speaker-to-speaker noise")
    return "not testable (one fold, no per-clip predictions)"


def _speaker_test(a, b, *, n_boot, n_permutations, seed):
    """The speaker-level paired test when both runs predicted the same clips on the same folds."""
    from sersk.statistics import paired_speaker_test

    if a is None or b is None or len(a) != len(b) or a["speaker"].isna().any():
        return None
    a, b = a.sort_values("index"), b.sort_values("index")
    same = ["index", "fold", "speaker", "y_true"]
    if not all((a[c].to_numpy() == b[c].to_numpy()).all() for c in same):
        return None
    return paired_speaker_test(
        a["y_true"].to_numpy(), a["y_pred"].to_numpy(), b["y_pred"].to_numpy(),
        a["speaker"].to_numpy(), n_boot=n_boot, n_permutations=n_permutations,
        confidence_level=_ALPHA_LEVEL, random_state=seed,
    )

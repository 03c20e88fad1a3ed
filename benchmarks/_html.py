"""The benchmark report as one self-contained HTML page: tables, figures as base64 PNGs, no
link to anything outside the file."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._comparisons import RUN_KEYS, labels_of
from ._report import SYNTHETIC_NOTE, describe_protocols, pooled_probabilities, summarise

__all__ = ["render_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 90em; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f3f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.noise td { color: #666; }
code, pre { background: #f5f5f5; padding: 0.1em 0.3em; border-radius: 3px; }
pre { padding: 0.6em; white-space: pre-wrap; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.figures > div { border: 1px solid #ddd; padding: 0 0.5em 0.5em; max-width: calc(50% - 0.6em);
                 box-sizing: border-box; }
.figures h4 { margin: 0.4em 0; }
.figures img { max-width: 100%; display: block; margin-bottom: 0.4em; }
.note { color: #555; font-size: 0.9em; }
.warning { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.5em 1em; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, digits: int = 3) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(value) else f"{value:.{digits}f}"


def _p(value: Any) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(value):
        return "–"
    return "&lt; 0.001" if value < 0.001 else f"{value:.3f}"


def _interval(estimate: Any, low: Any, high: Any) -> str:
    if not np.isfinite(float(estimate)):
        return "–"
    return f"{_num(estimate)} [{_num(low)}, {_num(high)}]"


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{_e(figure.axes[0].get_title())}" src="data:image/png;base64,{data}">'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int],
           classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f'<td class="num">{v}</td>' if j in numeric else f"<td>{v}</td>"
                        for j, v in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary_table(summary: pd.DataFrame, intervals: pd.DataFrame) -> str:
    merged = summary.merge(intervals, on=RUN_KEYS, how="left")
    headers = ["corpus", "pipeline", "protocol", "UAR over folds<br>(mean ± std)",
               "pooled UAR [95 % CI]<br>(bootstrap over speakers)", "chance", "accuracy",
               "macro-F1", "ECE", "Brier", "AUROC", "folds", "extract ms/clip", "fit s",
               "predict ms/clip"]
    rows = []
    for row in merged.itertuples(index=False):
        if not np.isfinite(row.uar_mean):
            uar = "failed"
        elif row.n_folds - row.n_failed == 1:
            uar = f"{row.uar_mean:.3f} (one fold)"
        else:
            uar = f"{row.uar_mean:.3f} ± {row.uar_std:.3f}"
        rows.append([
            _e(row.corpus), _e(row.pipeline), _e(row.protocol), uar,
            _interval(row.uar_pooled, row.uar_ci_low, row.uar_ci_high), _num(row.chance),
            _num(row.accuracy), _num(row.macro_f1), _num(row.ece), _num(row.brier),
            _num(row.auroc), f"{row.n_folds - row.n_failed}/{row.n_folds}",
            _num(row.extract_ms_per_clip, 1), _num(row.fit_seconds, 2),
            _num(row.predict_ms_per_clip, 2),
        ])
    return _table(headers, rows, set(range(3, 15)))


def _comparison_tables(comparisons: pd.DataFrame) -> str:
    if comparisons.empty:
        return ("<p>No two pipelines were evaluated on the same corpus, protocol and folds "
                "with every fold completed: nothing to compare.</p>")
    parts = []
    for (corpus, protocol), group in comparisons.groupby(["corpus", "protocol"], sort=False):
        headers = ["A", "B", "ΔUAR over folds [95 % CI]", "p (corrected t-test)",
                   "Δ pooled UAR [95 % CI]", "p (speaker sign-flip)", "verdict"]
        rows, classes = [], []
        for row in group.itertuples(index=False):
            rows.append([
                _e(row.pipeline_a), _e(row.pipeline_b),
                _interval(row.fold_difference, row.fold_ci_low, row.fold_ci_high),
                _p(row.fold_p),
                _interval(row.speaker_difference, row.speaker_ci_low, row.speaker_ci_high),
                _p(row.speaker_p), _e(row.verdict),
            ])
            classes.append("noise" if row.verdict.startswith("within") else "")
        folds = int(group["n_folds"].iloc[0])
        speakers = group["n_speakers"].dropna()
        unit = f", {int(speakers.iloc[0])} speakers" if len(speakers) else ""
        parts.append(f"<h3>{_e(corpus)}, {_e(protocol)} ({folds} fold{'s' * (folds > 1)}"
                     f"{unit})</h3>"
                     + _table(headers, rows, {2, 3, 4, 5}, classes))
    return "\n".join(parts)


def _figures(results: pd.DataFrame, predictions: pd.DataFrame | None) -> str:
    from sersk.metrics import score_predictions
    from sersk.plots import confusion_matrix_figure, recall_figure

    clips = ({} if predictions is None else
             {tuple(k): g for k, g in predictions.groupby(RUN_KEYS, sort=False)})
    parts = []
    for (corpus, protocol), runs in results.groupby(["corpus", "protocol"], sort=False):
        labels_pooled = labels_folds = None
        cards = []
        for pipeline, group in runs.groupby("pipeline", sort=False):
            pooled = clips.get((corpus, pipeline, protocol))
            labels = labels_of(results[results["corpus"] == corpus], pooled)
            if not labels or group["uar"].isna().all():
                cards.append(f"<div><h4>{_e(pipeline)}</h4><p>No completed fold.</p></div>")
                continue
            chance = 1 / len(labels)
            done = group[group["uar"].notna()]
            spread = {label: float(done[f"recall_{label}"].std(ddof=0)) for label in labels}
            images = []
            if pooled is not None and len(pooled):
                scores = score_predictions(pooled["y_true"], pooled["y_pred"], labels=labels)
                recall = scores["per_class_recall"]
                images.append(_png(recall_figure(recall, errors=spread, chance=chance,
                                                 title=f"{pipeline}: recall per class")))
                images.append(_png(confusion_matrix_figure(
                    scores["confusion_matrix"], labels, title=f"{pipeline}: all folds")))
                labels_pooled = chance
            else:
                recall = {label: float(done[f"recall_{label}"].mean()) for label in labels}
                images.append(_png(recall_figure(recall, errors=spread, chance=chance,
                                                 title=f"{pipeline}: recall per class")))
                labels_folds = chance
            cards.append(f"<div><h4>{_e(pipeline)}</h4>{''.join(images)}</div>")
        notes = []
        if labels_pooled is not None:
            notes.append("with per-clip predictions, recall of all test clips pooled and the "
                         "confusion matrix summed over the folds (true classes in rows, colours "
                         "the share of the row)")
        if labels_folds is not None:
            notes.append("without per-clip predictions, recall averaged over the folds")
        chance = labels_pooled if labels_pooled is not None else labels_folds
        notes.append("error bars: standard deviation over folds"
                     + (f"; dashed line: chance ({chance:.3f})" if chance is not None else ""))
        parts.append(f"<h3>{_e(corpus)}, {_e(protocol)}</h3>"
                     f"<div class=\"figures\">{''.join(cards)}</div>"
                     f"<p class=\"note\">{_e('; '.join(notes)).capitalize()}.</p>")
    return "\n".join(parts)


def _calibration(predictions: pd.DataFrame | None) -> str:
    """Per corpus and protocol, the reliability diagram and accuracy against coverage of every
    run with per-clip probabilities."""
    from sersk.metrics import accuracy_coverage, reliability_curve
    from sersk.plots import accuracy_coverage_figure, reliability_figure

    pooled = pooled_probabilities(predictions)
    if not pooled:
        return ("<p>No per-clip probabilities (<code>proba_&lt;label&gt;</code> columns of "
                "<code>predictions.csv</code>): nothing to draw.</p>")
    parts = []
    by_setting: dict[tuple, dict[str, tuple]] = {}
    for (corpus, pipeline, protocol), clips in pooled.items():
        by_setting.setdefault((corpus, protocol), {})[pipeline] = clips
    for (corpus, protocol), runs in by_setting.items():
        reliability = {name: reliability_curve(y, proba, labels=labels)
                       for name, (y, proba, labels) in runs.items()}
        coverage = {name: accuracy_coverage(y, proba, labels=labels)
                    for name, (y, proba, labels) in runs.items()}
        images = [
            _png(reliability_figure(reliability, title=f"{corpus}: reliability diagram")),
            _png(accuracy_coverage_figure(coverage,
                                          title=f"{corpus}: accuracy against coverage")),
        ]
        cards = "".join(f"<div>{image}</div>" for image in images)
        parts.append(f"<h3>{_e(corpus)}, {_e(protocol)}</h3>"
                     f"<div class=\"figures\">{cards}</div>")
    return "\n".join(parts)


def _folds(results: pd.DataFrame) -> str:
    parts = []
    for (corpus, protocol), group in results.groupby(["corpus", "protocol"], sort=False):
        runs = list(group.groupby("pipeline", sort=False))
        name, first = runs[0]
        columns = ["fold", "n_train", "n_test", "test_speakers"]
        if not set(columns) <= set(first):
            continue
        reference = first[columns].astype(str).reset_index(drop=True)
        differ = [other for other, g in runs[1:]
                  if not g[columns].astype(str).reset_index(drop=True).equals(reference)]
        rows = [[_e(r.fold), _e(r.n_train), _e(r.n_test), _e(r.test_speakers)]
                for r in first[columns].itertuples(index=False)]
        shared = (f"All {len(runs)} pipelines were tested on these folds."
                  if not differ else
                  f"These are the folds of {_e(name)}; {_e(', '.join(differ))} had other folds "
                  "and are not compared with it.")
        parts.append(f"<h3>{_e(corpus)}, {_e(protocol)}</h3><p>{shared}</p>"
                     + _table(["fold", "training clips", "test clips", "test speakers"], rows,
                              {0, 1, 2}))
    return "\n".join(parts)


def _data(meta: Mapping[str, Any]) -> str:
    corpora = meta.get("corpora") or {}
    items = []
    for corpus, info in corpora.items():
        emotions = info.get("emotions", {})
        counts = ", ".join(f"{_e(e)} {n}" for e, n in emotions.items())
        chance = f"; chance UAR {1 / len(emotions):.3f}" if emotions else ""
        items.append(f"<li><b>{_e(corpus)}</b>: {info.get('clips')} clips, "
                     f"{info.get('speakers')} speakers, {len(emotions)} emotions ({counts})"
                     f"{chance}.</li>")
    items += [f"<li>{_e(line)}</li>" for line in meta.get("data_lines", [])]
    return f"<ul>{''.join(items)}</ul>" if items else "<p>Not recorded with these results.</p>"


def render_report(
    results: pd.DataFrame,
    *,
    predictions: pd.DataFrame | None,
    intervals: pd.DataFrame,
    comparisons: pd.DataFrame,
    meta: Mapping[str, Any],
) -> str:
    """The HTML page of a benchmark.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fold rows (``results.csv``).
    predictions : pandas.DataFrame or None
        Per-clip rows (``predictions.csv``).
    intervals, comparisons : pandas.DataFrame
        From :func:`~benchmarks._comparisons.uar_intervals` and
        :func:`~benchmarks._comparisons.pairwise_comparisons`.
    meta : mapping
        What ``run.json`` holds: ``command``, ``started``, ``folds``, ``seed``, ``corpora``
        (clips, speakers, emotions per corpus), ``synthetic``; missing keys are left out.

    Returns
    -------
    page : str
    """
    from ._groups_html import groups_section  # it imports this module's helpers

    summary = summarise(results, predictions)
    protocols = list(pd.unique(results["protocol"]))
    with_clips = set() if predictions is None else {
        tuple(k) for k, _ in predictions.groupby(RUN_KEYS, sort=False)}
    runs = [tuple(k) for k, _ in results.groupby(RUN_KEYS, sort=False)]
    missing = [" / ".join(map(str, k)) for k in runs if k not in with_clips]
    if missing and len(missing) == len(runs):
        missing = ["any run (no predictions.csv)"]
    command = meta.get("command")
    header = [f"<p>Command: <code>{_e(command)}</code></p>" if command else "",
              f"<p>Run started {_e(meta['started'])}.</p>" if meta.get("started") else "",
              f"<p>Report built {_e(meta['built'])} from <code>results.csv</code>"
              + (" and <code>predictions.csv</code>" if predictions is not None else "")
              + ".</p>" if meta.get("built") else ""]
    if meta.get("mlflow"):
        header.append(f"<p>MLflow: one run per row of the table, experiment "
                      f"<code>{_e(meta.get('experiment', 'sersk-benchmarks'))}</code>, at "
                      f"<code>{_e(meta['mlflow'])}</code>"
                      + (" (each with the pipeline refitted on all clips as an MLflow model)"
                         if meta.get("log_model") else "") + ".</p>")
    if meta.get("synthetic"):
        header.append(f'<p class="warning">{_e(SYNTHETIC_NOTE)}</p>')
    if missing:
        header.append(
            '<p class="warning">No per-clip predictions for ' + _e(", ".join(missing))
            + ": for these runs the report shows the fold statistics (UAR mean ± std, "
            "per-class recall averaged over folds, the corrected t-test between pipelines) "
            "but no pooled UAR with its bootstrap interval, no confusion matrix and no "
            "speaker-level test.</p>")
    descriptions = "".join(f"<li><b>{_e(name)}</b>: {_e(text)}</li>"
                           for name, text in describe_protocols(protocols))
    settings = []
    if meta.get("folds") is not None:
        settings.append(f"{meta['folds']} folds for the k-fold protocols")
    if meta.get("seed") is not None:
        settings.append(f"seed {meta['seed']} (fold assignment; the bootstrap and permutation "
                        "tests use seed 0)")
    body = f"""
<h1>sersk benchmark report</h1>
{''.join(header)}
<h2>Comparison table</h2>
{_summary_table(summary, intervals)}
<p class="note">UAR: unweighted average recall (the recall of each emotion, averaged with equal
weight), chance = 1 / number of emotions. <i>UAR over folds</i>: mean ± standard deviation of
the folds' UARs. <i>Pooled UAR</i>: the UAR of all test clips of all folds together, with a 95 %
percentile bootstrap interval that resamples speakers (all of a speaker's clips together,
1000 resamples): how much the figure could move with other speakers of the same kind. Accuracy
and macro-F1 are fold means; <i>extract</i> is feature extraction per clip (a cache read when an
earlier run filled the cache), <i>fit</i> and <i>predict</i> are per fold. <i>ECE</i>,
<i>Brier</i>, <i>AUROC</i>: how far the probabilities of <code>predict_proba</code> can be trusted,
over all test clips pooled (see Calibration below).</p>
<h2>Pairwise comparisons</h2>
<p class="note">Pipelines evaluated on the same corpus, protocol and folds, the one with the
higher mean UAR as A. <i>ΔUAR over folds</i>: mean of the per-fold differences A − B with the
corrected resampled t-test of Nadeau and Bengio (the folds share most of their training data,
so the plain paired t-test is far too confident); the verdict says whether that difference is
larger than the fold-to-fold noise (p &lt; 0.05). <i>Δ pooled UAR</i>: difference of the pooled
UARs, 95 % paired bootstrap interval over speakers and a sign-flip permutation test that
swaps the two pipelines' predictions speaker by speaker (exact when 2<sup>speakers</sup> ≤ 10000).
The two tests answer different questions: the speaker-level one holds the trained models fixed
and asks whether other speakers of the same kind would see the gap; the fold-level one also
counts how much the models change when retrained on other speakers, so it is the more cautious,
and the verdict follows it (the speaker-level test when there is a single fold). With ten or so
speakers the percentile bootstrap interval is too narrow (it may leave out 0 while the exact
permutation test stays above 0.05): read the p-value. The p-values are not corrected for the
number of pairs.</p>
{_comparison_tables(comparisons)}
<h2>Confusion matrices and recall per class</h2>
{_figures(results, predictions)}
<h2>Calibration</h2>
<p class="note">Whether a confidence means what it says, from the probabilities
(<code>predict_proba</code>) of all test clips pooled. <i>Reliability diagram</i>: the clips in 15
equal-width bins of the top label's probability, each bin's accuracy against its mean confidence
(marker area: its number of clips); a calibrated model lies on the diagonal, an overconfident one
below it. <i>ECE</i> (expected calibration error) is the clip-weighted mean distance of the bins
from the diagonal; the <i>Brier score</i> is the mean squared distance of the probability vector
from the true class (0 best, 2 worst; 1 − 1/n_classes for always answering the class shares
equally). <i>Accuracy against coverage</i>: answering only when the top probability is at least
a threshold (below it, "uncertain"), the share of clips answered and the accuracy on them; the
<i>AUROC</i> in the table says how well the confidence tells right predictions from wrong ones
(0.5: not at all).</p>
{_calibration(predictions)}
<h2>Who it works for: UAR by gender, speaker and corpus</h2>
{groups_section(predictions)}
<h2>Protocols</h2>
<ul>{descriptions}</ul>
{f"<p>{_e(', '.join(settings))}.</p>" if settings else ""}
{_folds(results)}
<h2>Data</h2>
{_data(meta)}
"""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>sersk benchmark report</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")

"""The benchmark report: built by benchmarks.run on a tiny synthetic corpus, rebuilt from its
files, self-contained, and its paired comparisons."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from benchmarks import report, run
from benchmarks._comparisons import pairwise_comparisons, uar_intervals

TINY = ["--synthetic-speakers", "4", "--synthetic-utterances", "2", "--folds", "2"]


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    status = run.main(["--corpus", "synthetic", "--pipelines", "mfcc-svm", "handcrafted-svm",
                       "--out", str(out), "--no-mlflow", *TINY])
    assert status == 0
    return out


def _external_references(page: str) -> list[str]:
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page, flags=re.IGNORECASE)
    links += re.findall(r"url\(([^)]*)\)", page)
    return [link for link in links if not link.startswith("data:")]


def test_benchmark_writes_predictions_and_its_description(bench_out):
    results = pd.read_csv(bench_out / "results.csv")
    predictions = pd.read_csv(bench_out / "predictions.csv")
    meta = json.loads((bench_out / "run.json").read_text())
    n_clips = meta["corpora"]["synthetic"]["clips"]
    assert meta["folds"] == 2 and meta["seed"] == 0 and meta["synthetic"] is True
    assert meta["command"].startswith("python -m benchmarks.run --corpus synthetic")
    assert len(predictions) == 2 * n_clips
    for (pipeline, fold), group in predictions.groupby(["pipeline", "fold"]):
        row = results[(results["pipeline"] == pipeline) & (results["fold"] == fold)].iloc[0]
        assert len(group) == row["n_test"]
        assert sorted(group["speaker"].unique()) == sorted(row["test_speakers"].split())
        accuracy = (group["y_true"] == group["y_pred"]).mean()
        assert accuracy == pytest.approx(row["accuracy"])
    summary = (bench_out / "summary.md").read_text()
    assert "## Pairwise comparisons" in summary and "| handcrafted-svm |" in summary
    # Each clip's gender and corpus, for the breakdown by group.
    assert set(predictions["gender"]) == {"female", "male"}
    assert set(predictions["clip_corpus"]) == {"synthetic"}


def test_report_breaks_uar_down_by_group(bench_out):
    page = (bench_out / "report.html").read_text()
    assert "<h2>Who it works for: UAR by gender, speaker and corpus</h2>" in page
    assert page.count("<details><summary><b>synthetic / ") == 2  # one per run
    assert page.count("<h4>UAR by gender</h4>") == 2
    assert page.count("<h4>UAR by speaker</h4>") == 2
    assert "<h4>UAR by corpus</h4>" not in page  # one corpus
    assert "synthetic-04" in page


def test_benchmark_reports_calibration(bench_out):
    from sersk.metrics import calibration_scores

    results = pd.read_csv(bench_out / "results.csv")
    predictions = pd.read_csv(bench_out / "predictions.csv")
    labels = list(json.loads((bench_out / "run.json").read_text())["corpora"]["synthetic"][
        "emotions"])
    columns = [f"proba_{label}" for label in labels]
    np.testing.assert_allclose(predictions[columns].sum(axis=1), 1, rtol=1e-6)
    for column in ["ece", "brier", "auroc"]:
        assert results[column].notna().all(), column
    # The summary's figures are those of all test clips pooled.
    summary = (bench_out / "summary.md").read_text()
    assert re.search(r"\|\s+ECE \|\s+Brier \|\s+AUROC \|", summary)
    clips = predictions[predictions["pipeline"] == "handcrafted-svm"]
    pooled = calibration_scores(clips["y_true"], clips[columns], labels=labels)
    line = next(line for line in summary.splitlines() if "| handcrafted-svm |" in line)
    assert f"| {pooled['ece']:.3f} | {pooled['brier']:.3f} | {pooled['auroc']:.3f} |" in line


def test_report_is_self_contained_and_holds_the_table(bench_out):
    page = (bench_out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert _external_references(page) == []
    # 2 pipelines x (recall, matrix), then one reliability diagram and one accuracy-coverage
    # plot for the corpus and protocol.
    assert page.count('src="data:image/png;base64,') == 6
    assert 'alt="synthetic: reliability diagram"' in page
    assert 'alt="synthetic: accuracy against coverage"' in page
    assert "<h2>Calibration</h2>" in page
    results = pd.read_csv(bench_out / "results.csv")
    for _, group in results.groupby("pipeline"):
        assert f"{group['uar'].mean():.3f} ± {group['uar'].std(ddof=0):.3f}" in page
    intervals = uar_intervals(results, pd.read_csv(bench_out / "predictions.csv"))
    for row in intervals.itertuples():
        assert f"{row.uar_pooled:.3f} [{row.uar_ci_low:.3f}, {row.uar_ci_high:.3f}]" in page
    chance = 1 / len(json.loads((bench_out / "run.json").read_text())["corpora"]["synthetic"][
        "emotions"])
    assert f"{chance:.3f}" in page
    assert "python -m benchmarks.run --corpus synthetic" in page  # the protocol of the numbers
    assert "StratifiedGroupKFold" in page and "All 2 pipelines were tested on these folds" in page
    assert "not real speech" in page


def test_report_rebuilt_from_results_alone(bench_out, tmp_path):
    for name in ["results.csv", "summary.md"]:
        (tmp_path / name).write_bytes((bench_out / name).read_bytes())
    assert report.main([str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "No per-clip predictions for any run" in page
    assert page.count('src="data:image/png;base64,') == 2  # recall over folds only
    assert "No per-clip probabilities" in page
    assert "corrected t-test" in page
    assert _external_references(page) == []
    assert report.main([str(tmp_path / "nothing")]) == 2


def test_group_section_by_hand():
    from benchmarks._groups_html import groups_section

    right = ["x", "y"] * 4
    clips = pd.DataFrame({
        "corpus": "a+b", "pipeline": "p", "protocol": "speaker-independent",
        "speaker": np.repeat(["a1", "a2", "b1", "b2"], 8), "y_true": right * 4,
        "y_pred": right * 3 + ["y"] * 8,  # b2 always says y: UAR 0.5
        "clip_corpus": np.repeat(["a", "a", "b", "b"], 8),
    })
    page = groups_section(clips)
    assert "<b>a+b / p / speaker-independent</b>: speaker: 1 of 4 flagged (b2 below); " \
        "corpus: 1 of 2 flagged (b below)" in page
    assert "<h4>UAR by corpus</h4>" in page and "<h4>UAR by gender</h4>" not in page
    assert "<td>b</td><td class=\"num\">16</td><td class=\"num\">2</td>" \
        "<td class=\"num\">0.750 [0.500, 1.000]</td>" \
        "<td class=\"num\">1.000 [1.000, 1.000]</td><td><b>! below the others</b></td>" in page
    assert "no breakdown" in groups_section(None)


def _fold_rows(pipeline, uars, *, speakers=("a b", "c d", "e f")):
    return pd.DataFrame({
        "corpus": "toy", "pipeline": pipeline, "protocol": "speaker-independent",
        "fold": np.arange(1, len(uars) + 1), "uar": uars, "n_train": 40, "n_test": 20,
        "test_speakers": list(speakers)[:len(uars)], "error": None, "recall_x": uars,
    })


def test_pairwise_comparisons_of_fold_scores():
    results = pd.concat([
        _fold_rows("weak", [0.50, 0.55, 0.52]),
        _fold_rows("strong", [0.80, 0.86, 0.83]),
        _fold_rows("twin", [0.51, 0.54, 0.53]),
        _fold_rows("elsewhere", [0.9, 0.9, 0.9], speakers=("a c", "b d", "e f")),
    ], ignore_index=True)
    comparisons = pairwise_comparisons(results)
    pairs = list(zip(comparisons["pipeline_a"], comparisons["pipeline_b"], strict=True))
    # Ordered by mean UAR; "elsewhere" was tested on other folds: not compared.
    assert pairs == [("strong", "twin"), ("strong", "weak"), ("twin", "weak")]
    strong = comparisons.iloc[1]
    assert strong["fold_difference"] == pytest.approx(0.83 - 1.57 / 3)
    assert strong["verdict"] == "larger than fold-to-fold noise" and strong["fold_p"] < 0.01
    assert comparisons.iloc[2]["verdict"] == "within fold-to-fold noise"
    assert comparisons["speaker_p"].isna().all()  # no per-clip predictions


def test_speaker_level_comparison_needs_the_same_clips():
    results = pd.concat([_fold_rows("a", [0.6, 0.7, 0.65]), _fold_rows("b", [0.5, 0.6, 0.55])],
                        ignore_index=True)
    rng = np.random.default_rng(0)
    y_true = rng.choice(["x", "y"], 60)
    clips = pd.DataFrame({"corpus": "toy", "protocol": "speaker-independent",
                          "index": np.arange(60), "fold": np.repeat([1, 2, 3], 20),
                          "speaker": np.repeat(list("abcdef"), 10), "y_true": y_true})
    predictions = pd.concat([clips.assign(pipeline="a", y_pred=y_true),
                             clips.assign(pipeline="b", y_pred=y_true)], ignore_index=True)
    row = pairwise_comparisons(results, predictions).iloc[0]
    assert row["speaker_difference"] == 0 and row["speaker_p"] == 1.0 and row["n_speakers"] == 6
    # Other clips for b: the speaker-level test is left out, the fold-level one stays.
    predictions.loc[predictions["pipeline"] == "b", "index"] += 1
    row = pairwise_comparisons(results, predictions).iloc[0]
    assert np.isnan(row["speaker_p"]) and np.isfinite(row["fold_p"])


def test_one_fold_is_compared_speaker_by_speaker():
    # A cross-corpus run has a single fold: no fold-to-fold noise, the speakers decide.
    results = pd.concat([_fold_rows("a", [0.9], speakers=["a b c d e f g h"]),
                         _fold_rows("b", [0.5], speakers=["a b c d e f g h"])],
                        ignore_index=True)
    rng = np.random.default_rng(1)
    y_true = rng.choice(["x", "y"], 80)
    clips = pd.DataFrame({"corpus": "toy", "protocol": "speaker-independent",
                          "index": np.arange(80), "fold": 1,
                          "speaker": np.repeat(list("abcdefgh"), 10), "y_true": y_true})
    coin = np.where(rng.random(80) < 0.5, y_true, np.where(y_true == "x", "y", "x"))
    predictions = pd.concat([clips.assign(pipeline="a", y_pred=y_true),
                             clips.assign(pipeline="b", y_pred=coin)], ignore_index=True)
    row = pairwise_comparisons(results, predictions).iloc[0]
    assert np.isnan(row["fold_p"]) and row["n_folds"] == 1
    assert row["speaker_p"] == pytest.approx(2 / 256)
    assert row["verdict"] == "larger than speaker-to-speaker noise"
    row = pairwise_comparisons(results).iloc[0]
    assert row["verdict"] == "not testable (one fold, no per-clip predictions)"

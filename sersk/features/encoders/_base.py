"""What the pretrained-encoder transformers share: the model-folder error, model fingerprints
for the feature cache, the pooling options, and batching through the encoder.

An encoder transformer is a :class:`~sersk.features.FrameFeatureTransformer` whose frame matrix
is the encoder's output over the frames that hold audio (never the padding), so it is cached
per clip like any other feature and pooled into one vector per clip.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from numbers import Integral
from pathlib import Path

import joblib
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ...exceptions import SerskError
from .._base import FEATURES_VERSION, FrameFeatureTransformer
from .._pooling import StatisticsPooling

__all__ = ["ModelNotFoundError", "model_fingerprint"]

# Bumped whenever a change to the encoder code changes the numbers, so old caches miss.
ENCODERS_VERSION = "1"

# Pooled statistics of the encoder frames, by name; "stats" is StatisticsPooling's default.
POOLINGS = {
    "mean": ("mean",),
    "mean_std": ("mean", "std"),
}

_SAMPLE_BYTES = 1 << 16
_N_SAMPLES = 16


class ModelNotFoundError(SerskError, FileNotFoundError):
    """A model folder that is missing, or lacks the files a model needs."""


def check_model_folder(folder, *, required: tuple[str, ...], parameter: str, hint: str) -> Path:
    """The model folder as a resolved Path, or a :class:`ModelNotFoundError` saying what is
    missing, which parameter named it and how to get one."""
    if folder is None:
        raise ModelNotFoundError(f"{parameter} is None: pass the folder of a model. {hint}")
    path = Path(os.fspath(folder)).expanduser()
    if not path.is_dir():
        problem = "is a file, not a model folder" if path.exists() else "does not exist"
        raise ModelNotFoundError(f"{parameter}={os.fspath(folder)!r} {problem}. {hint}")
    missing = [name for name in required if not (path / name).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"{parameter}={os.fspath(folder)!r} is not a complete model folder: "
            f"{', '.join(missing)} missing. {hint}"
        )
    return path.resolve()


_WEIGHT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".h5", ".msgpack", ".onnx")


def model_fingerprint(folder: str | os.PathLike) -> str:
    """A content fingerprint of a model folder, for cache keys.

    Small files (configurations, vocabularies) count in full; weight files by their size and
    16 samples of 64 KiB spread over them (retraining changes every tensor, so the samples tell
    models apart without reading gigabytes). Memoised per process on each file's path, size and
    modification time.

    Parameters
    ----------
    folder : str or path-like

    Returns
    -------
    str
        A hexadecimal digest.
    """
    stamps = []
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    return _fingerprint(tuple(stamps))


@lru_cache(maxsize=16)
def _fingerprint(stamps: tuple) -> str:
    digest = hashlib.sha1()
    for path, size, _ in stamps:
        name = os.path.basename(path)
        digest.update(f"{name}:{size}".encode())
        with open(path, "rb") as f:
            if not name.endswith(_WEIGHT_SUFFIXES):
                digest.update(f.read())
                continue
            for k in range(_N_SAMPLES):
                f.seek(max(0, (size - _SAMPLE_BYTES) * k // (_N_SAMPLES - 1)))
                digest.update(f.read(_SAMPLE_BYTES))
    return digest.hexdigest()


class EncoderEmbedding(FrameFeatureTransformer):
    """Base of the pretrained-encoder transformers; not used directly.

    Subclasses define ``_model_identity`` (what identifies the model's weights, for the cache),
    ``_frame_matrices`` (a batch of waveforms through the encoder) and ``_channel_names``.
    """

    sr = 16_000  # every encoder here was trained on 16 kHz audio

    _parameter_constraints: dict = {
        **{k: v for k, v in FrameFeatureTransformer._parameter_constraints.items() if k != "sr"},
        "pooling": [StrOptions({"mean", "mean_std", "stats", "frames"}),
                    HasMethods(["fit", "transform"])],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    # Parameters that change how fast the frames come, not what they are.
    _runtime_params = FrameFeatureTransformer._runtime_params | {"batch_size", "n_threads"}

    def _model_identity(self) -> str:
        raise NotImplementedError

    def fit(self, X, y=None):
        """Check the parameters, the model and the inputs; nothing is extracted here.

        Parameters
        ----------
        X : list of audio inputs
            Paths, ``(waveform, sample_rate)`` tuples, mappings with ``"array"`` and
            ``"sampling_rate"``, or 16 kHz waveforms (a 2-D array is one clip per row).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        super().fit(X, y)
        self.n_channels_ = len(self._channel_names())
        return self

    def _frame_matrix(self, y):
        return self._frame_matrices([y])[0]

    def _extraction_batch_size(self) -> int:
        return self.batch_size

    def _make_pooling(self):
        if isinstance(self.pooling, str):
            if self.pooling == "frames":
                return None
            if self.pooling == "stats":
                return StatisticsPooling()
            return StatisticsPooling(
                statistics=POOLINGS[self.pooling], percentiles=(), deltas=False
            )
        return clone(self.pooling)

    def _cache_signature(self) -> str:
        # The model enters the key by its content, not its path: a copied or moved model
        # folder hits the cache, a retrained one at the same path misses it.
        params = {
            k: v for k, v in self.get_params(deep=False).items()
            if k not in self._runtime_params and k != "model"
        }
        key = (FEATURES_VERSION, ENCODERS_VERSION, self._model_identity(), params)
        return f"{type(self).__name__}-{joblib.hash(key)}"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags

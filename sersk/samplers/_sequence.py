"""SpecAugment-style masking of feature sequences, as an imbalanced-learn sampler."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import _AugmentingSampler

__all__ = ["SpecAugment", "spec_augment"]


def spec_augment(
    frames: np.ndarray,
    *,
    rng: np.random.Generator,
    n_time_masks: int = 2,
    max_time_width: int = 20,
    n_freq_masks: int = 2,
    max_freq_width: int = 8,
    n_valid: int | None = None,
) -> np.ndarray:
    """One masked copy of a sequence of frames (Park et al., 2019, without time warping).

    Masked stretches are set to the sequence's per-channel mean over its valid frames, that
    is to an uninformative value, whatever the features' scale.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_channels)
        Feature frames (no mask channel).
    rng : numpy.random.Generator
    n_time_masks : int, default=2
        Stretches of consecutive frames to mask.
    max_time_width : int, default=20
        Longest time mask, in frames (widths are drawn from 0 … max).
    n_freq_masks : int, default=2
        Bands of consecutive channels to mask.
    max_freq_width : int, default=8
        Widest channel mask.
    n_valid : int, default=None
        Frames before the padding; time masks fall inside them. All frames if None.

    Returns
    -------
    ndarray of shape (n_frames, n_channels)

    See Also
    --------
    SpecAugment : The sampler appending such copies to the training sequences.
    """
    out = np.array(frames, dtype=np.float32, copy=True)
    n_frames, n_channels = out.shape
    n_valid = n_frames if n_valid is None else int(n_valid)
    fill = out[:n_valid].mean(axis=0) if n_valid else np.zeros(n_channels, np.float32)
    for _ in range(n_time_masks):
        width = int(rng.integers(0, min(max_time_width, n_valid) + 1)) if n_valid else 0
        start = int(rng.integers(0, n_valid - width + 1)) if n_valid else 0
        out[start : start + width] = fill
    for _ in range(n_freq_masks):
        width = int(rng.integers(0, min(max_freq_width, n_channels) + 1))
        start = int(rng.integers(0, n_channels - width + 1))
        out[:n_valid, start : start + width] = fill[start : start + width]
    return out


class SpecAugment(_AugmentingSampler):
    """Append time- and frequency-masked copies of every training sequence.

    A sampler for the sequence models: it takes the ``(n_clips, n_frames, n_channels)`` output
    of ``MFCC(pooling=FixedLengthSequence())`` or ``LogMel(...)`` and, inside an
    ``imblearn.pipeline.Pipeline``, acts only while fitting. With ``mask_channel=True`` the
    last channel is ``frame_valid``: it is left as it is and time masks fall on real frames.

    Parameters
    ----------
    n_copies : int, default=1
        Masked copies per sequence.
    n_time_masks, max_time_width, n_freq_masks, max_freq_width : int, default=2, 20, 2, 8
        See :func:`spec_augment`.
    mask_channel : bool, default=True
        Whether the last channel is a ``frame_valid`` mask.
    random_state : int, default=0
        Seed; the copies of a sequence depend on its position in the batch.

    See Also
    --------
    spec_augment : The function masking one sequence.
    AudioAugmenter : Waveform augmentation, before feature extraction.
    sersk.models.keras.CRNNClassifier : Its ``mixup_alpha`` mixes clips while training.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.samplers import SpecAugment
    >>> X = np.ones((4, 30, 6), dtype="float32")
    >>> X_res, y_res = SpecAugment(n_copies=1).fit_resample(X, ["a", "b", "a", "b"])
    >>> X_res.shape, y_res.shape
    ((8, 30, 6), (8,))
    """

    _parameter_constraints: dict = {
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "n_time_masks": [Interval(Integral, 0, None, closed="left")],
        "max_time_width": [Interval(Integral, 0, None, closed="left")],
        "n_freq_masks": [Interval(Integral, 0, None, closed="left")],
        "max_freq_width": [Interval(Integral, 0, None, closed="left")],
        "mask_channel": ["boolean"],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_copies=1,
        n_time_masks=2,
        max_time_width=20,
        n_freq_masks=2,
        max_freq_width=8,
        mask_channel=True,
        random_state=0,
    ):
        self.n_copies = n_copies
        self.n_time_masks = n_time_masks
        self.max_time_width = max_time_width
        self.n_freq_masks = n_freq_masks
        self.max_freq_width = max_freq_width
        self.mask_channel = mask_channel
        self.random_state = random_state

    def _check_input(self, X, y):
        X = np.asarray(X)
        if X.ndim != 3 or X.dtype.kind not in "fiu":
            raise ValueError(
                "SpecAugment takes numeric sequences of shape (n_clips, n_frames, n_channels), "
                f"got an array of shape {X.shape} and dtype {X.dtype}; put it after a feature "
                "step with pooling=FixedLengthSequence()"
            )
        if self.mask_channel and X.shape[-1] < 2:
            raise ValueError("with mask_channel=True the sequences need at least 2 channels")
        return X.astype(np.float32, copy=False), self._check_targets(y, len(X))

    def _fit_resample(self, X, y):
        rng = np.random.default_rng(self.random_state)
        copies = []
        for _ in range(self.n_copies):
            block = X.copy()
            for i, sequence in enumerate(X):
                if self.mask_channel:
                    n_valid = int((sequence[:, -1] > 0.5).sum())
                    block[i, :, :-1] = self._mask(sequence[:, :-1], rng, n_valid)
                else:
                    block[i] = self._mask(sequence, rng, None)
            copies.append(block)
        return np.concatenate([X, *copies]), np.concatenate([y] * (1 + self.n_copies))

    def _mask(self, frames, rng, n_valid):
        return spec_augment(
            frames, rng=rng, n_time_masks=self.n_time_masks, max_time_width=self.max_time_width,
            n_freq_masks=self.n_freq_masks, max_freq_width=self.max_freq_width, n_valid=n_valid,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

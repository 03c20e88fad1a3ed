"""From variable-length frame matrices to model inputs: statistics pooling, fixed-length sequences.

Both transformers take a batch of per-clip frame matrices, each of shape
``(n_frames_i, n_channels)`` with the same ``n_channels`` (a list, or a 3-D array), as the
frame-feature transformers of sersk produce with ``pooling="frames"``. The frame-feature
transformers also accept them as their ``pooling`` parameter, which is how they are usually used.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._spectral import _deltas

__all__ = ["StatisticsPooling", "FixedLengthSequence", "check_frame_batch", "pool_statistics"]

STATISTICS = ("mean", "std", "min", "max", "skew", "kurtosis")


def check_frame_batch(X, *, n_channels: int | None = None) -> list[np.ndarray]:
    """Validate a batch of frame matrices: a list of 2-D arrays, or a 3-D array.

    Returns
    -------
    list of ndarray of shape (n_frames_i, n_channels), dtype float32
    """
    if isinstance(X, np.ndarray) and X.ndim == 3:
        batch = list(X)
    elif isinstance(X, Sequence) or (isinstance(X, np.ndarray) and X.dtype == object):
        batch = list(X)
    else:
        raise ValueError(
            "expected a batch of frame matrices: a list of 2-D arrays of shape "
            f"(n_frames, n_channels) or a 3-D array; got {type(X).__name__}"
            + (f" of shape {X.shape}" if hasattr(X, "shape") else "")
        )
    if not batch:
        raise ValueError("the batch of frame matrices is empty")
    out = []
    for i, frames in enumerate(batch):
        frames = np.asarray(frames, dtype=np.float32)
        if frames.ndim != 2 or frames.shape[0] == 0:
            raise ValueError(
                f"frame matrix #{i} has shape {frames.shape}; expected (n_frames >= 1, n_channels)"
            )
        if not np.isfinite(frames).all():
            raise ValueError(f"frame matrix #{i} contains NaN or infinite values")
        if n_channels is None:
            n_channels = frames.shape[1]
        elif frames.shape[1] != n_channels:
            raise ValueError(
                f"frame matrix #{i} has {frames.shape[1]} channels, expected {n_channels}"
            )
        out.append(frames)
    return out


def _default_names(n_channels: int) -> list[str]:
    return [f"frame{j}" for j in range(n_channels)]


def pool_statistics(
    frames: np.ndarray,
    *,
    statistics: Sequence[str] = ("mean", "std", "skew", "kurtosis"),
    percentiles: Sequence[float] = (10.0, 50.0, 90.0),
    deltas: bool = True,
) -> np.ndarray:
    """Summarise one clip's frames over time: moments, percentiles, and the same on deltas.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_channels)
    statistics : sequence of {"mean", "std", "min", "max", "skew", "kurtosis"}
    percentiles : sequence of float in [0, 100]
    deltas : bool, default=True
        Also pool the frame-to-frame deltas of every channel.

    Returns
    -------
    ndarray of shape (n_stats * n_channels * (1 + deltas),)
        Grouped by source (frames, then deltas), then by statistic, then by channel, in the
        order of :meth:`StatisticsPooling.get_feature_names_out`.

    See Also
    --------
    StatisticsPooling : The transformer over a batch of clips.
    """
    frames = np.asarray(frames, dtype=np.float64)
    n_channels = frames.shape[1]
    # Frames and deltas side by side, one channel per row (contiguous along time, which is what
    # every reduction below runs over).
    source = np.hstack([frames, *_deltas(frames, 1)]) if deltas else frames
    rows = np.ascontiguousarray(source.T)
    mean = rows.mean(axis=1)
    centred = rows - mean[:, None]
    squared = centred**2
    variance = squared.mean(axis=1)
    # Constant channels (digital silence in a band, a frozen F0) have no shape: 0, not NaN.
    flat = variance <= 1e-12
    safe = np.where(flat, 1.0, variance)
    columns = []
    for name in statistics:
        if name == "mean":
            columns.append(mean)
        elif name == "std":
            columns.append(np.sqrt(variance))
        elif name == "min":
            columns.append(rows.min(axis=1))
        elif name == "max":
            columns.append(rows.max(axis=1))
        elif name == "skew":
            columns.append(np.where(flat, 0.0, (squared * centred).mean(axis=1) / safe**1.5))
        elif name == "kurtosis":
            columns.append(np.where(flat, 0.0, (squared**2).mean(axis=1) / safe**2 - 3.0))
        else:
            raise ValueError(f"unknown statistic {name!r}; choose from {STATISTICS}")
    if len(percentiles):
        columns.extend(_percentiles(rows, percentiles))
    table = np.stack(columns)  # (n_stats, n_channels * (1 + deltas))
    # Order: frames block then deltas block, each statistic-major.
    out = [table[:, :n_channels].ravel()]
    if deltas:
        out.append(table[:, n_channels:].ravel())
    return np.concatenate(out).astype(np.float32)


def _percentiles(rows: np.ndarray, percentiles: Sequence[float]) -> list[np.ndarray]:
    """Percentiles of every row, by numpy's default 'linear' rule, from one sort.

    Sorting contiguous rows once is several times faster than ``np.percentile(axis=0)`` on the
    frames-by-channels matrix, which partitions along a strided axis for every call.
    """
    ordered = np.sort(rows, axis=1)
    last = ordered.shape[1] - 1
    out = []
    for q in percentiles:
        position = q / 100.0 * last
        lower = int(np.floor(position))
        upper = min(lower + 1, last)
        fraction = position - lower
        out.append(ordered[:, lower] + fraction * (ordered[:, upper] - ordered[:, lower]))
    return out


class StatisticsPooling(TransformerMixin, BaseEstimator):
    """x-vector-like statistics pooling of frame-level features over time.

    Each clip's frame matrix becomes one vector: the chosen moments and percentiles of every
    channel over time, and the same on the channel's frame-to-frame deltas. Clips of any length
    give vectors of one length, ready for a scaler and a classifier.

    Parameters
    ----------
    statistics : tuple of str, default=("mean", "std", "skew", "kurtosis")
        Moments to compute, from "mean", "std", "min", "max", "skew", "kurtosis".
    percentiles : tuple of float, default=(10.0, 50.0, 90.0)
        Percentiles over time, in [0, 100].
    deltas : bool, default=True
        Pool the deltas of every channel as well.

    Attributes
    ----------
    n_channels_in_ : int
        Channels per frame seen in :meth:`fit`.
    channel_names_ : ndarray of str
        Names of the channels, used to name the output columns.

    See Also
    --------
    pool_statistics : The function applied to each clip.
    FixedLengthSequence : Keep the time axis instead, for sequence models.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import StatisticsPooling
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal((50, 2)), rng.standard_normal((80, 2))]
    >>> pooling = StatisticsPooling(percentiles=(50.0,)).fit(clips)
    >>> pooling.transform(clips).shape
    (2, 20)
    >>> list(pooling.get_feature_names_out()[:3])
    ['frame0_mean', 'frame1_mean', 'frame0_std']
    """

    _parameter_constraints: dict = {
        "statistics": [tuple, list],
        "percentiles": [tuple, list],
        "deltas": ["boolean"],
    }

    def __init__(
        self,
        *,
        statistics=("mean", "std", "skew", "kurtosis"),
        percentiles=(10.0, 50.0, 90.0),
        deltas=True,
    ):
        self.statistics = statistics
        self.percentiles = percentiles
        self.deltas = deltas

    def _check_options(self):
        unknown = [s for s in self.statistics if s not in STATISTICS]
        if unknown:
            raise ValueError(f"unknown statistics {unknown}; choose from {STATISTICS}")
        if not self.statistics and not self.percentiles:
            raise ValueError("StatisticsPooling needs at least one statistic or percentile")
        for q in self.percentiles:
            if not isinstance(q, Real) or not 0 <= q <= 100:
                raise ValueError(f"percentiles must lie in [0, 100], got {q!r}")

    def fit(self, X, y=None, *, channel_names=None):
        """Check the options and record the number (and names) of channels.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_channels), or ndarray of shape
            (n_clips, n_frames, n_channels)
        y : None
            Ignored.
        channel_names : array-like of str, default=None
            Names of the channels; ``frame0``, ``frame1`` … if None.

        Returns
        -------
        self : StatisticsPooling
        """
        self._validate_params()
        self._check_options()
        batch = check_frame_batch(X)
        self.n_channels_in_ = batch[0].shape[1]
        names = _default_names(self.n_channels_in_) if channel_names is None else channel_names
        if len(names) != self.n_channels_in_:
            raise ValueError(
                f"{len(names)} channel names for {self.n_channels_in_} channels"
            )
        self.channel_names_ = np.asarray(names, dtype=object)
        return self

    def transform(self, X):
        """Pool every clip's frames.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_channels), or ndarray of shape
            (n_clips, n_frames, n_channels)

        Returns
        -------
        ndarray of shape (n_clips, n_features_out)
        """
        check_is_fitted(self)
        batch = check_frame_batch(X, n_channels=self.n_channels_in_)
        return np.vstack([
            pool_statistics(
                frames, statistics=self.statistics, percentiles=self.percentiles,
                deltas=self.deltas,
            )
            for frames in batch
        ])

    def get_feature_names_out(self, input_features=None):
        """Output column names such as ``mfcc3_mean``, ``mfcc3_p90`` or ``d_mfcc3_std``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Channel names; those seen in :meth:`fit` if None.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        channels = self.channel_names_ if input_features is None else list(input_features)
        labels = list(self.statistics) + [f"p{q:g}" for q in self.percentiles]
        names = []
        for prefix in [""] + (["d_"] if self.deltas else []):
            names.extend(f"{prefix}{c}_{s}" for s in labels for c in channels)
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a batch of variable-length 2-D frame matrices, not a feature matrix.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        return tags


class FixedLengthSequence(TransformerMixin, BaseEstimator):
    """Pad or cut every clip's frames to one length, for sequence models (CRNN, CNN).

    Parameters
    ----------
    n_frames : int, default=143
        Frames per output sequence.
    truncate : {"end", "start", "centre"}, default="end"
        Which frames to drop from a long clip: those at the end, the start, or both ends.
    pad_value : float, default=0.0
        Value of padded frames.
    return_mask : bool, default=True
        Append a last channel ``frame_valid``, 1.0 on real frames and 0.0 on padding, so the
        padding travels with the data (a model can mask it).

    Attributes
    ----------
    n_channels_in_ : int
    channel_names_ : ndarray of str

    See Also
    --------
    StatisticsPooling : Summarise over time instead.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import FixedLengthSequence
    >>> clips = [np.ones((3, 2)), np.ones((7, 2))]
    >>> out = FixedLengthSequence(n_frames=5).fit_transform(clips)
    >>> out.shape
    (2, 5, 3)
    >>> out[0, :, -1]
    array([1., 1., 1., 0., 0.], dtype=float32)
    """

    _parameter_constraints: dict = {
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "truncate": [StrOptions({"end", "start", "centre"})],
        "pad_value": [Real],
        "return_mask": ["boolean"],
    }

    def __init__(self, *, n_frames=143, truncate="end", pad_value=0.0, return_mask=True):
        self.n_frames = n_frames
        self.truncate = truncate
        self.pad_value = pad_value
        self.return_mask = return_mask

    def fit(self, X, y=None, *, channel_names=None):
        """Record the number (and names) of channels.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_channels)
        y : None
            Ignored.
        channel_names : array-like of str, default=None

        Returns
        -------
        self : FixedLengthSequence
        """
        self._validate_params()
        batch = check_frame_batch(X)
        self.n_channels_in_ = batch[0].shape[1]
        names = _default_names(self.n_channels_in_) if channel_names is None else channel_names
        if len(names) != self.n_channels_in_:
            raise ValueError(
                f"{len(names)} channel names for {self.n_channels_in_} channels"
            )
        self.channel_names_ = np.asarray(names, dtype=object)
        return self

    def transform(self, X):
        """Pad or cut each clip.

        Parameters
        ----------
        X : list of ndarray of shape (n_frames_i, n_channels)

        Returns
        -------
        ndarray of shape (n_clips, n_frames, n_channels + return_mask), dtype float32
        """
        check_is_fitted(self)
        batch = check_frame_batch(X, n_channels=self.n_channels_in_)
        width = self.n_channels_in_ + int(self.return_mask)
        out = np.full((len(batch), self.n_frames, width), self.pad_value, dtype=np.float32)
        for i, frames in enumerate(batch):
            extra = frames.shape[0] - self.n_frames
            if extra > 0:
                start = {"end": 0, "start": extra, "centre": extra // 2}[self.truncate]
                frames = frames[start : start + self.n_frames]
            out[i, : frames.shape[0], : self.n_channels_in_] = frames
            if self.return_mask:
                out[i, :, -1] = 0.0
                out[i, : frames.shape[0], -1] = 1.0
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the channels of the last axis (with ``frame_valid`` last if masked).

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        channels = self.channel_names_ if input_features is None else list(input_features)
        return np.asarray(list(channels) + (["frame_valid"] if self.return_mask else []),
                          dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

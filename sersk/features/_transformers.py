"""Audio feature transformers: each a thin shell mapping one frame-feature function over a batch.

All share the parameters and behaviour of :class:`FrameFeatureTransformer` (``sr``,
``pooling``, ``n_jobs``, ``memory``, ``verbose``): input is a list of paths or waveforms, output
is pooled statistics with named columns by default.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ..audio import MIN_DURATION
from ._base import FrameFeatureTransformer
from ._pitch import PITCH_COLUMNS, pitch
from ._spectral import (
    HOP_LENGTH,
    N_FFT,
    WIN_LENGTH,
    chroma,
    log_mel,
    mfcc,
    rms_energy,
    spectral_contrast,
    stft_magnitude,
    zero_crossing_rate,
)

__all__ = [
    "Chroma",
    "LogMel",
    "MFCC",
    "Pitch",
    "RMSEnergy",
    "SpectralContrast",
    "ZeroCrossingRate",
]

_positive_int = [Interval(Integral, 1, None, closed="left")]
_stft_constraints = {
    "n_fft": _positive_int,
    "hop_length": _positive_int,
    "win_length": _positive_int,
}


def _check_stft(transformer) -> None:
    if transformer.win_length > transformer.n_fft:
        raise ValueError(
            f"win_length={transformer.win_length} cannot exceed n_fft={transformer.n_fft}"
        )


class _STFTFeature(FrameFeatureTransformer):
    """A feature computed from the magnitude STFT."""

    def _check_frame_params(self):
        _check_stft(self)

    def _stft(self, y):
        return stft_magnitude(
            y=y, n_fft=self.n_fft, hop_length=self.hop_length, win_length=self.win_length
        )


class MFCC(_STFTFeature):
    """Mel-frequency cepstral coefficients (and deltas) of each clip, pooled.

    Parameters
    ----------
    n_mfcc : int, default=40
        Coefficients per frame.
    n_mels : int, default=64
        Mel bands they are computed from.
    delta_order : {0, 1, 2}, default=1
        Append deltas (1) or deltas and delta-deltas (2) to every frame. With frame deltas,
        ``pooling="stats"`` does not pool deltas a second time.
    n_fft, hop_length, win_length : int, default=512, 160, 400
        STFT size, hop and window in samples (32, 10 and 25 ms at 16 kHz).
    fmin, fmax : float, default=0.0, None
        Mel filterbank edges in Hz; None is the Nyquist frequency.
    sr : int, default=16000
        Analysis sample rate; every input is resampled to it.
    trim_db : float or None, default=30.0
        Leading and trailing stretches more than this many dB below the clip's peak are cut
        before analysis (corpora pad each sentence with silence); None keeps every sample.
    min_duration : float, default=sersk.audio.MIN_DURATION
        Clips shorter than this many seconds (before trimming) are refused with an
        :class:`~sersk.exceptions.AudioError`: on shorter clips, predictions are no better
        than chance (measured by ``benchmarks/min_duration.py``). 0 accepts any clip at least
        one analysis window long.
    pooling : {"stats", "frames"} or transformer, default="stats"
        ``"stats"``: x-vector-like statistics (:class:`StatisticsPooling`); ``"frames"``: the
        per-clip frame matrices; or a transformer such as :class:`FixedLengthSequence`.
    n_jobs : int, default=None
        Processes for extraction (-1: all cores).
    memory : str, path-like or joblib.Memory, default=None
        Cache folder for the frame matrices, keyed by audio content and parameters.
    verbose : bool, default=False
        Progress bar during extraction.

    Attributes
    ----------
    pooling_ : transformer or None
        The fitted pooling (None with ``pooling="frames"``).

    See Also
    --------
    mfcc : The function computing one clip's frames.
    HandcraftedFeatures : MFCC together with the other handcrafted features, sharing one STFT.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import MFCC
    >>> rng = np.random.default_rng(0)
    >>> clips = [(rng.standard_normal(16_000) * 0.1, 16_000) for _ in range(3)]
    >>> features = MFCC(n_mfcc=13).fit(clips)
    >>> features.transform(clips).shape
    (3, 182)
    >>> list(features.get_feature_names_out()[:2])
    ['mfcc0_mean', 'mfcc1_mean']
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
        "n_mfcc": _positive_int,
        "n_mels": _positive_int,
        "delta_order": [Interval(Integral, 0, 2, closed="both")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self, *, n_mfcc=40, n_mels=64, delta_order=1, n_fft=N_FFT, hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH, fmin=0.0, fmax=None, sr=16_000, trim_db=30.0,
        min_duration=MIN_DURATION, pooling="stats", n_jobs=None, memory=None, verbose=False,
    ):
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.delta_order = delta_order
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.fmin = fmin
        self.fmax = fmax
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _check_frame_params(self):
        _check_stft(self)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")

    def _frames_have_deltas(self):
        return self.delta_order > 0

    def _frame_matrix(self, y):
        return mfcc(
            y=y, sr=self.sr, n_mfcc=self.n_mfcc, n_mels=self.n_mels,
            delta_order=self.delta_order, n_fft=self.n_fft, hop_length=self.hop_length,
            win_length=self.win_length, fmin=self.fmin, fmax=self.fmax,
        )

    def _channel_names(self):
        base = [f"mfcc{i}" for i in range(self.n_mfcc)]
        prefixes = ["", "d_", "dd_"][: self.delta_order + 1]
        return [p + name for p in prefixes for name in base]


class LogMel(_STFTFeature):
    """Log-mel spectrogram of each clip, pooled (or as frames for convolutional models).

    Parameters
    ----------
    n_mels : int, default=64
    n_fft, hop_length, win_length : int, default=512, 160, 400
    fmin, fmax : float, default=0.0, None
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    log_mel : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
        "n_mels": _positive_int,
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self, *, n_mels=64, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
        fmin=0.0, fmax=None, sr=16_000, trim_db=30.0, min_duration=MIN_DURATION,
        pooling="stats", n_jobs=None, memory=None, verbose=False,
    ):
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.fmin = fmin
        self.fmax = fmax
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _frame_matrix(self, y):
        return log_mel(
            y=y, sr=self.sr, n_mels=self.n_mels, n_fft=self.n_fft, hop_length=self.hop_length,
            win_length=self.win_length, fmin=self.fmin, fmax=self.fmax,
        )

    def _channel_names(self):
        return [f"logmel{i}" for i in range(self.n_mels)]


class Chroma(_STFTFeature):
    """Chromagram of each clip (energy per pitch class), pooled.

    Parameters
    ----------
    n_chroma : int, default=12
    n_fft, hop_length, win_length : int, default=512, 160, 400
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    chroma : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
        "n_chroma": _positive_int,
    }

    def __init__(
        self, *, n_chroma=12, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
        sr=16_000, trim_db=30.0, min_duration=MIN_DURATION, pooling="stats", n_jobs=None,
        memory=None, verbose=False,
    ):
        self.n_chroma = n_chroma
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _frame_matrix(self, y):
        return chroma(
            y=y, sr=self.sr, n_chroma=self.n_chroma, n_fft=self.n_fft,
            hop_length=self.hop_length, win_length=self.win_length,
        )

    def _channel_names(self):
        return [f"chroma{i}" for i in range(self.n_chroma)]


class SpectralContrast(_STFTFeature):
    """Spectral contrast of each clip in octave bands, pooled.

    Parameters
    ----------
    n_bands : int, default=6
    fmin : float, default=100.0
        Upper edge of the lowest band; ``fmin * 2 ** n_bands`` must stay below ``sr / 2``.
    quantile : float, default=0.02
    n_fft, hop_length, win_length : int, default=512, 160, 400
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    spectral_contrast : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
        "n_bands": _positive_int,
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self, *, n_bands=6, fmin=100.0, quantile=0.02, n_fft=N_FFT, hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH, sr=16_000, trim_db=30.0, min_duration=MIN_DURATION,
        pooling="stats", n_jobs=None, memory=None, verbose=False,
    ):
        self.n_bands = n_bands
        self.fmin = fmin
        self.quantile = quantile
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _check_frame_params(self):
        _check_stft(self)
        if self.fmin * 2.0**self.n_bands >= self.sr / 2:
            raise ValueError(
                f"fmin={self.fmin} Hz with n_bands={self.n_bands} reaches "
                f"{self.fmin * 2.0**self.n_bands:.0f} Hz, at or above the Nyquist frequency of "
                f"sr={self.sr}; lower fmin or n_bands"
            )

    def _frame_matrix(self, y):
        return spectral_contrast(
            y=y, sr=self.sr, n_bands=self.n_bands, fmin=self.fmin, quantile=self.quantile,
            n_fft=self.n_fft, hop_length=self.hop_length, win_length=self.win_length,
        )

    def _channel_names(self):
        return [f"contrast{i}" for i in range(self.n_bands + 1)]


class ZeroCrossingRate(FrameFeatureTransformer):
    """Zero-crossing rate of each clip, pooled.

    Parameters
    ----------
    frame_length, hop_length : int, default=400, 160
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    zero_crossing_rate : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        "frame_length": _positive_int,
        "hop_length": _positive_int,
    }

    def __init__(
        self, *, frame_length=WIN_LENGTH, hop_length=HOP_LENGTH, sr=16_000, trim_db=30.0,
        min_duration=MIN_DURATION, pooling="stats", n_jobs=None, memory=None, verbose=False,
    ):
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _window_samples(self):
        return self.frame_length

    def _frame_matrix(self, y):
        return zero_crossing_rate(
            y=y, sr=self.sr, frame_length=self.frame_length, hop_length=self.hop_length
        )

    def _channel_names(self):
        return ["zcr"]


class RMSEnergy(_STFTFeature):
    """Frame energy (RMS, in dB) of each clip, pooled.

    Parameters
    ----------
    n_fft, hop_length, win_length : int, default=512, 160, 400
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    rms_energy : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
    }

    def __init__(
        self, *, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH, sr=16_000,
        trim_db=30.0, min_duration=MIN_DURATION, pooling="stats", n_jobs=None, memory=None,
        verbose=False,
    ):
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _frame_matrix(self, y):
        return rms_energy(
            y=y, sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length,
            win_length=self.win_length,
        )

    def _channel_names(self):
        return ["rms_db"]


class Pitch(FrameFeatureTransformer):
    """F0 contour, periodicity and voicing of each clip (YIN), pooled.

    Parameters
    ----------
    fmin, fmax : float, default=60.0, 500.0
        F0 search range in Hz.
    frame_length : int, default=768
        Analysis frame in samples (48 ms at 16 kHz); must hold a period at ``fmin``.
    hop_length : int, default=160
    threshold : float, default=0.2
        YIN's periodicity threshold.
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    pitch : The function computing one clip's frames.
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither")],
        "frame_length": _positive_int,
        "hop_length": _positive_int,
        "threshold": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self, *, fmin=60.0, fmax=500.0, frame_length=768, hop_length=HOP_LENGTH, threshold=0.2,
        sr=16_000, trim_db=30.0, min_duration=MIN_DURATION, pooling="stats", n_jobs=None,
        memory=None, verbose=False,
    ):
        self.fmin = fmin
        self.fmax = fmax
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.threshold = threshold
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _check_frame_params(self):
        _check_pitch_range(self.fmin, self.fmax, self.frame_length, self.sr)

    def _window_samples(self):
        return self.frame_length

    def _frame_matrix(self, y):
        return pitch(
            y=y, sr=self.sr, fmin=self.fmin, fmax=self.fmax, frame_length=self.frame_length,
            hop_length=self.hop_length, threshold=self.threshold,
        )

    def _channel_names(self):
        return list(PITCH_COLUMNS)


def _check_pitch_range(fmin, fmax, frame_length, sr):
    if not fmin < fmax < sr / 2:
        raise ValueError(f"need fmin < fmax < sr / 2, got fmin={fmin}, fmax={fmax}, sr={sr}")
    if np.ceil(sr / fmin) >= frame_length:
        raise ValueError(
            f"frame_length={frame_length} cannot hold one period of fmin={fmin} Hz at sr={sr}; "
            "raise frame_length or fmin"
        )

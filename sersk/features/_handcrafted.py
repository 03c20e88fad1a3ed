"""All the classic handcrafted features of a clip in one pass, sharing one STFT."""

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
    _dct_matrix,
    _deltas,
    chroma,
    log_mel,
    rms_energy,
    spectral_contrast,
    zero_crossing_rate,
)
from ._transformers import (
    _check_pitch_range,
    _check_stft,
    _positive_int,
    _stft_constraints,
    _STFTFeature,
)

__all__ = ["HandcraftedFeatures"]

HANDCRAFTED = (
    "mfcc", "log_mel", "chroma", "spectral_contrast", "zero_crossing_rate", "rms_energy",
    "pitch",
)
DEFAULT_HANDCRAFTED = (
    "mfcc", "chroma", "spectral_contrast", "zero_crossing_rate", "rms_energy", "pitch",
)


class HandcraftedFeatures(_STFTFeature):
    """The classic handcrafted set in one pass: MFCC, chroma, spectral contrast, ZCR, energy, F0.

    Every feature is computed on the same frames (one STFT shared by all spectral features) and
    stacked channel-wise, then pooled, by default into x-vector-like statistics of the frames and
    their deltas.

    Parameters
    ----------
    features : tuple of str, default=("mfcc", "chroma", "spectral_contrast", \
"zero_crossing_rate", "rms_energy", "pitch")
        Which features to stack, from those and ``"log_mel"``.
    n_mfcc : int, default=40
    n_mels : int, default=64
        Mel bands for the MFCCs and the log-mel spectrogram.
    pitch_fmin, pitch_fmax : float, default=60.0, 500.0
        F0 search range in Hz.
    delta_order : {0, 1, 2}, default=0
        Append the deltas (1), or deltas and delta-deltas (2), of every channel to every
        frame, as sequence models take them (channels named ``d_<name>``, ``dd_<name>``).
        With frame deltas, ``pooling="stats"`` does not pool deltas a second time.
    n_fft, hop_length, win_length : int, default=512, 160, 400
    sr, trim_db, min_duration, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    MFCC, Chroma, SpectralContrast, ZeroCrossingRate, RMSEnergy, Pitch, LogMel
        The same features one at a time.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import HandcraftedFeatures
    >>> rng = np.random.default_rng(0)
    >>> clips = [(rng.standard_normal(16_000) * 0.1, 16_000) for _ in range(2)]
    >>> HandcraftedFeatures(features=("rms_energy", "pitch")).fit_transform(clips).shape
    (2, 56)
    """

    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        **_stft_constraints,
        "features": [tuple, list],
        "n_mfcc": _positive_int,
        "n_mels": _positive_int,
        "pitch_fmin": [Interval(Real, 0, None, closed="neither")],
        "pitch_fmax": [Interval(Real, 0, None, closed="neither")],
        "delta_order": [Interval(Integral, 0, 2, closed="both")],
    }

    _PITCH_FRAME = 768

    def __init__(
        self, *, features=DEFAULT_HANDCRAFTED, n_mfcc=40, n_mels=64, pitch_fmin=60.0,
        pitch_fmax=500.0, delta_order=0, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
        sr=16_000, trim_db=30.0, min_duration=MIN_DURATION, pooling="stats", n_jobs=None,
        memory=None, verbose=False,
    ):
        self.features = features
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.pitch_fmin = pitch_fmin
        self.pitch_fmax = pitch_fmax
        self.delta_order = delta_order
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

    def _pitch_frame(self):
        # Long enough for two periods at fmin: YIN needs a lag range and an integration window.
        needed = int(np.ceil(2 * self.sr / self.pitch_fmin))
        return max(self._PITCH_FRAME * self.sr // 16_000, needed)

    def _check_frame_params(self):
        _check_stft(self)
        unknown = [f for f in self.features if f not in HANDCRAFTED]
        if unknown or not self.features:
            raise ValueError(f"features must be a non-empty selection of {HANDCRAFTED}, got "
                             f"{tuple(self.features)!r}")
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features repeats a name: {tuple(self.features)!r}")
        if "mfcc" in self.features and self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")
        if "pitch" in self.features:
            _check_pitch_range(self.pitch_fmin, self.pitch_fmax, self._pitch_frame(), self.sr)
        if "spectral_contrast" in self.features and 100.0 * 2**6 >= self.sr / 2:
            raise ValueError(f"spectral contrast needs sr > 12800 Hz, got sr={self.sr}")

    def _frames_have_deltas(self):
        return self.delta_order > 0

    def _window_samples(self):
        return self._pitch_frame() if "pitch" in self.features else self.win_length

    def _frame_matrix(self, y):
        stft = {"n_fft": self.n_fft, "hop_length": self.hop_length, "win_length": self.win_length}
        S = self._stft(y)
        mel_db = None
        if "mfcc" in self.features or "log_mel" in self.features:
            mel_db = log_mel(S=S, sr=self.sr, n_mels=self.n_mels, **stft)
        blocks = []
        for name in self.features:
            if name == "mfcc":
                blocks.append(mel_db @ _dct_matrix(self.n_mels, self.n_mfcc).T)
            elif name == "log_mel":
                blocks.append(mel_db)
            elif name == "chroma":
                blocks.append(chroma(S=S, sr=self.sr, **stft))
            elif name == "spectral_contrast":
                blocks.append(spectral_contrast(S=S, sr=self.sr, **stft))
            elif name == "zero_crossing_rate":
                blocks.append(zero_crossing_rate(
                    y=y, sr=self.sr, frame_length=self.win_length, hop_length=self.hop_length))
            elif name == "rms_energy":
                blocks.append(rms_energy(S=S, sr=self.sr, **stft))
            elif name == "pitch":
                blocks.append(pitch(
                    y=y, sr=self.sr, fmin=self.pitch_fmin, fmax=self.pitch_fmax,
                    frame_length=self._pitch_frame(), hop_length=self.hop_length))
        n_frames = min(block.shape[0] for block in blocks)
        frames = np.hstack([block[:n_frames] for block in blocks]).astype(np.float32)
        if self.delta_order:
            frames = np.hstack([frames, *_deltas(frames, self.delta_order)])
        return frames

    def _channel_names(self):
        names = {
            "mfcc": [f"mfcc{i}" for i in range(self.n_mfcc)],
            "log_mel": [f"logmel{i}" for i in range(self.n_mels)],
            "chroma": [f"chroma{i}" for i in range(12)],
            "spectral_contrast": [f"contrast{i}" for i in range(7)],
            "zero_crossing_rate": ["zcr"],
            "rms_energy": ["rms_db"],
            "pitch": list(PITCH_COLUMNS),
        }
        base = [channel for name in self.features for channel in names[name]]
        prefixes = ["", "d_", "dd_"][: self.delta_order + 1]
        return [prefix + channel for prefix in prefixes for channel in base]

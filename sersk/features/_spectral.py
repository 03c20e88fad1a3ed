"""Frame-level spectral and temporal features of one waveform.

Each function takes one mono waveform and returns a time-major matrix of shape
``(n_frames, n_coefficients)`` (the scikit-learn orientation: one row per frame), where
``n_frames = 1 + len(y) // hop_length`` for every function with the same ``hop_length``, so
features computed separately line up frame by frame and can be stacked.

The functions that work on a magnitude spectrogram accept it precomputed as ``S`` (librosa's
orientation, ``(1 + n_fft // 2, n_frames)``), so a caller computing several of them shares one
STFT.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "chroma",
    "log_mel",
    "mfcc",
    "rms_energy",
    "spectral_contrast",
    "stft_magnitude",
    "zero_crossing_rate",
]

# 10 ms hop, 25 ms window at 16 kHz: the usual speech analysis frame.
N_FFT = 512
HOP_LENGTH = 160
WIN_LENGTH = 400
DB_FLOOR = -100.0  # dB; where log_mel and rms_energy floor silence


def stft_magnitude(
    *, y: np.ndarray, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
) -> np.ndarray:
    """Magnitude STFT with a Hann window and centred frames.

    Returns
    -------
    S : ndarray of shape (1 + n_fft // 2, n_frames)
    """
    import librosa

    return np.abs(
        librosa.stft(
            y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=True,
            pad_mode="constant",
        )
    )


def _magnitude(y, S, n_fft, hop_length, win_length):
    if S is not None:
        return S
    if y is None:
        raise ValueError("pass either a waveform y or a magnitude spectrogram S")
    return stft_magnitude(y=y, n_fft=n_fft, hop_length=hop_length, win_length=win_length)


@lru_cache(maxsize=32)
def _mel_filters(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None):
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)


@lru_cache(maxsize=32)
def _chroma_filters(sr: int, n_fft: int, n_chroma: int):
    import librosa

    # tuning=0: librosa's tuning estimate calls piptrack, slow and (with numba 0.68) unstable,
    # and speech has no tuning to estimate.
    return librosa.filters.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=0.0)


@lru_cache(maxsize=32)
def _dct_matrix(n_mels: int, n_mfcc: int) -> np.ndarray:
    import scipy.fft

    return scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc].astype(
        np.float32
    )


def log_mel(
    *,
    y: np.ndarray | None = None,
    sr: int,
    S: np.ndarray | None = None,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
    n_mels: int = 64,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Log-mel spectrogram, in decibels relative to full scale.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), default=None
        Mono waveform; not needed if ``S`` is given.
    sr : int
        Sample rate in Hz.
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
        Precomputed magnitude STFT.
    n_fft, hop_length, win_length : int, default=512, 160, 400
        STFT size, hop and window in samples.
    n_mels : int, default=64
        Number of mel bands.
    fmin, fmax : float, default=0.0, None
        Band edges of the filterbank in Hz; ``fmax=None`` is the Nyquist frequency.

    Returns
    -------
    ndarray of shape (n_frames, n_mels)
        ``10 * log10(power)``, floored at -100 dB so silence stays finite.

    See Also
    --------
    LogMel : The transformer over a batch of clips.
    mfcc : Cepstral coefficients of this spectrogram.
    """
    S = _magnitude(y, S, n_fft, hop_length, win_length)
    mel_power = _mel_filters(sr, n_fft, n_mels, fmin, fmax) @ (S**2)
    return _power_to_db(mel_power).T.astype(np.float32)


def _power_to_db(power: np.ndarray) -> np.ndarray:
    """``10 * log10(power)`` floored at exactly ``DB_FLOOR``, whatever the input precision.

    The logarithm runs in float64: numpy's float32 ``log10`` of 1e-10 lands a few ulp below
    -10 on some builds, which would leave silence at -100.00001 rather than the floor.
    """
    tiny = 10.0 ** (DB_FLOOR / 10.0)  # the power at the floor; keeps log10 off zero
    db = 10.0 * np.log10(np.maximum(np.asarray(power, dtype=np.float64), tiny))
    return np.maximum(db, DB_FLOOR)


def _deltas(features: np.ndarray, order: int, width: int = 9) -> list[np.ndarray]:
    """Regression deltas along time (HTK's formula over ``width`` frames, edges repeated).

    ``d[t] = sum_n n * (c[t + n] - c[t - n]) / (2 * sum_n n**2)`` for ``n = 1 … width // 2``;
    one correlation per order, so it stays cheap for long clips and many channels.
    """
    from scipy.ndimage import correlate1d

    half = width // 2
    n = np.arange(-half, half + 1, dtype=np.float64)
    kernel = n / (2.0 * np.sum(np.arange(1, half + 1) ** 2))
    out = []
    current = np.asarray(features, dtype=np.float32)
    for _ in range(order):
        current = correlate1d(current, kernel.astype(np.float32), axis=0, mode="nearest")
        out.append(current)
    return out


def mfcc(
    *,
    y: np.ndarray | None = None,
    sr: int,
    S: np.ndarray | None = None,
    n_mfcc: int = 40,
    n_mels: int = 64,
    delta_order: int = 1,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients, optionally followed by their deltas.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), default=None
        Mono waveform; not needed if ``S`` is given.
    sr : int
        Sample rate in Hz.
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
        Precomputed magnitude STFT.
    n_mfcc : int, default=40
        Number of coefficients (at most ``n_mels``).
    n_mels : int, default=64
        Mel bands of the underlying log-mel spectrogram.
    delta_order : int, default=1
        0 for the coefficients alone, 1 to append deltas, 2 to append deltas and delta-deltas.
    n_fft, hop_length, win_length : int, default=512, 160, 400
    fmin, fmax : float, default=0.0, None

    Returns
    -------
    ndarray of shape (n_frames, n_mfcc * (1 + delta_order))

    See Also
    --------
    MFCC : The transformer over a batch of clips.
    librosa.feature.mfcc : The same coefficients (frequency-major, without deltas).

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import mfcc
    >>> y = np.random.default_rng(0).standard_normal(16_000).astype("float32")
    >>> mfcc(y=y, sr=16_000).shape
    (101, 80)
    """
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc={n_mfcc} cannot exceed n_mels={n_mels}")
    mel_db = log_mel(
        y=y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
        n_mels=n_mels, fmin=fmin, fmax=fmax,
    )
    coefficients = mel_db @ _dct_matrix(n_mels, n_mfcc).T
    return np.hstack([coefficients, *_deltas(coefficients, delta_order)]).astype(np.float32)


def chroma(
    *,
    y: np.ndarray | None = None,
    sr: int,
    S: np.ndarray | None = None,
    n_chroma: int = 12,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
) -> np.ndarray:
    """Chromagram: spectral energy folded onto the twelve pitch classes, max-normalised per frame.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), default=None
    sr : int
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
    n_chroma : int, default=12
    n_fft, hop_length, win_length : int, default=512, 160, 400

    Returns
    -------
    ndarray of shape (n_frames, n_chroma)

    See Also
    --------
    Chroma : The transformer over a batch of clips.
    librosa.feature.chroma_stft : The same computation with ``tuning=0``.
    """
    S = _magnitude(y, S, n_fft, hop_length, win_length)
    raw = _chroma_filters(sr, n_fft, n_chroma) @ (S**2)
    peak = raw.max(axis=0, keepdims=True)
    return (raw / np.maximum(peak, 1e-10)).T.astype(np.float32)


def spectral_contrast(
    *,
    y: np.ndarray | None = None,
    sr: int,
    S: np.ndarray | None = None,
    n_bands: int = 6,
    fmin: float = 100.0,
    quantile: float = 0.02,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
) -> np.ndarray:
    """Spectral contrast: peak-to-valley level difference in octave bands, in dB.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), default=None
    sr : int
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
    n_bands : int, default=6
        Octave bands above ``fmin``; ``fmin * 2 ** n_bands`` must stay below the Nyquist rate.
    fmin : float, default=100.0
        Upper edge of the lowest band in Hz.
    quantile : float, default=0.02
        Share of each band taken as its peak and valley.
    n_fft, hop_length, win_length : int, default=512, 160, 400

    Returns
    -------
    ndarray of shape (n_frames, n_bands + 1)

    See Also
    --------
    SpectralContrast : The transformer over a batch of clips.
    librosa.feature.spectral_contrast : The reference implementation.
    """
    import librosa

    S = _magnitude(y, S, n_fft, hop_length, win_length)
    if fmin * 2.0**n_bands >= sr / 2:
        raise ValueError(
            f"fmin={fmin} Hz with n_bands={n_bands} reaches {fmin * 2.0**n_bands:.0f} Hz, at or "
            f"above the Nyquist frequency of sr={sr}; lower fmin or n_bands"
        )
    contrast = librosa.feature.spectral_contrast(
        S=S, sr=sr, n_fft=n_fft, n_bands=n_bands, fmin=fmin, quantile=quantile
    )
    return contrast.T.astype(np.float32)


def zero_crossing_rate(
    *, y: np.ndarray, sr: int, frame_length: int = WIN_LENGTH, hop_length: int = HOP_LENGTH
) -> np.ndarray:
    """Share of sign changes between consecutive samples in each frame.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
        Sample rate in Hz (kept for a uniform signature; the rate is per sample).
    frame_length, hop_length : int, default=400, 160

    Returns
    -------
    ndarray of shape (n_frames, 1)

    See Also
    --------
    ZeroCrossingRate : The transformer over a batch of clips.
    """
    import librosa

    rate = librosa.feature.zero_crossing_rate(
        y, frame_length=frame_length, hop_length=hop_length, center=True
    )
    return rate.T.astype(np.float32)


def rms_energy(
    *,
    y: np.ndarray | None = None,
    sr: int,
    S: np.ndarray | None = None,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    win_length: int = WIN_LENGTH,
) -> np.ndarray:
    """Root-mean-square level per frame, in dB relative to full scale (floored at -100 dB).

    The level is that of the windowed frame, from the spectrum by Parseval's theorem, with the
    Hann window's energy divided out: a full-scale sine reads -3 dB, as a sound-level meter
    reading dBFS would have it.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), default=None
    sr : int
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
        Magnitude STFT with a Hann window of ``win_length`` samples.
    n_fft, hop_length, win_length : int, default=512, 160, 400

    Returns
    -------
    ndarray of shape (n_frames, 1)

    See Also
    --------
    RMSEnergy : The transformer over a batch of clips.
    """
    S = _magnitude(y, S, n_fft, hop_length, win_length)
    power = S.astype(np.float64) ** 2
    # One-sided spectrum to the full one: every bin but DC (and Nyquist, for even n_fft) twice.
    full = 2.0 * power.sum(axis=0) - power[0]
    if n_fft % 2 == 0:
        full -= power[-1]
    mean_square = full / (n_fft * _hann_energy(win_length))
    return _power_to_db(mean_square)[:, None].astype(np.float32)


@lru_cache(maxsize=32)
def _hann_energy(win_length: int) -> float:
    import scipy.signal

    return float(np.sum(scipy.signal.get_window("hann", win_length, fftbins=True) ** 2))
